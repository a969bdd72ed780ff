#include "adam.h"

// No fused multiply-adds (see norm_glu.cc): with them the vectorised body and the scalar
// remainder would round differently, so a parameter's update would depend on where its
// span starts and on the buffer's alignment; without them every lane computes exactly the
// scalar float32 arithmetic of the loop below, bit for bit.
#pragma GCC optimize("fp-contract=off")

#include <algorithm>
#include <cmath>
#include <vector>

#include "parallel.h"

namespace voiceswap {

namespace {

// A stretch of one tensor: the unit the threads share out. Small enough that a network's
// hundreds of tensors, large and tiny, split evenly over the threads.
struct Span {
  int tensor;
  int64_t begin, end;
};
constexpr int64_t kSpanElements = 1 << 14;

// One stretch of one tensor, compiled for AVX-512, AVX2+FMA and baseline x86-64, the best
// chosen when the addon loads. The square root and division make the loop compute-bound:
// scalar, a small-preset step spent 14 ms here; vectorised, half that. The separate
// __restrict pointers are what lets the compiler vectorise it (through the struct it must
// assume the outputs may overwrite the inputs).
__attribute__((target_clones("avx512f", "avx2,fma", "default"))) void updateRange(
    const float* __restrict param, const float* __restrict m0, const float* __restrict v0, const float* __restrict grad,
    float* __restrict paramOut, float* __restrict mOut, float* __restrict vOut, int64_t n, AdamStep s) {
  const float oneMinusBeta1 = 1.0f - s.beta1, oneMinusBeta2 = 1.0f - s.beta2;
  for (int64_t i = 0; i < n; i++) {
    const float g = grad[i];
    const float m = s.beta1 * m0[i] + oneMinusBeta1 * g;
    const float v = s.beta2 * v0[i] + oneMinusBeta2 * (g * g);
    const float denom = std::sqrt(v) / s.sqrtBiasCorrection2 + s.eps;
    mOut[i] = m;
    vOut[i] = v;
    paramOut[i] = param[i] - (m / denom) * s.stepSize;
  }
}

void updateSpan(const AdamTensor& t, int64_t begin, int64_t end, const AdamStep& s) {
  updateRange(t.param + begin, t.m + begin, t.v + begin, t.grad + begin, t.paramOut + begin, t.mOut + begin, t.vOut + begin,
              end - begin, s);
}

}  // namespace

void adamUpdate(const AdamTensor* tensors, int count, const AdamStep& step) {
  std::vector<Span> spans;
  int64_t total = 0;
  for (int k = 0; k < count; k++) {
    for (int64_t b = 0; b < tensors[k].size; b += kSpanElements) {
      spans.push_back({k, b, std::min(tensors[k].size, b + kSpanElements)});
    }
    total += tensors[k].size;
  }
  const int64_t n = static_cast<int64_t>(spans.size());
  // Seven arrays touched per element: far more work per span than a parallel region costs.
  parallelFor(n, 7 * total, [&](int64_t first, int64_t last) {
    for (int64_t i = first; i < last; i++) updateSpan(tensors[spans[i].tensor], spans[i].begin, spans[i].end, step);
  });
}

}  // namespace voiceswap
