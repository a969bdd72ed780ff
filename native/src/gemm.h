// Matrix products for the addon's own kernels (batched, row-major, with transposes).
#pragma once
#include <cstdint>

namespace voiceswap {

struct GemmShape {
  int batchA, batchB;  // equal, or one of them 1 (broadcast)
  int m, n, k;         // c[batch, m, n] = op(a)[m, k] * op(b)[k, n]
  bool transposeA, transposeB;
};

// a is [batchA, m, k] ([batchA, k, m] when transposeA); b is [batchB, k, n] ([batchB, n, k]
// when transposeB); c is [max(batchA, batchB), m, n].
//
// Runs oneDNN's matmul primitive, except where oneDNN would run one of its generated
// "gemm:jit" kernels: those point the stack pointer into the heap while they run, so any
// signal delivered meanwhile (a profiler's SIGPROF, a terminal resize, Ctrl-C) corrupts
// the heap (oneDNN issue #4845, fixed after 3.11; Debian ships 2.6). Where oneDNN would
// pick that kernel (on CPUs without AVX-512) or its slow reference kernel, a plain loop
// nest computes the product.
void gemm(const GemmShape& s, const float* a, const float* b, float* c);

// Whether a oneDNN implementation name is one of the signal-unsafe generated GEMM kernels.
bool isSignalUnsafe(const char* implementation);

}  // namespace voiceswap
