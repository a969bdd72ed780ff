// Batched matrix products (tfjs's BatchMatMul) over oneDNN's sgemm.
#pragma once
#include <cstdint>

namespace voiceswap {

struct MatMulShape {
  int batchA, batchB;  // equal, or one of them 1 (broadcast)
  int m, n, k;         // c[batch, m, n] = op(a)[m, k] * op(b)[k, n]
  bool transposeA, transposeB;
};

// a is [batchA, m, k] ([batchA, k, m] when transposeA); b is [batchB, k, n] ([batchB, n, k]
// when transposeB); c is [max(batchA, batchB), m, n]. All row-major.
void batchMatMul(const MatMulShape& s, const float* a, const float* b, float* c);

}  // namespace voiceswap
