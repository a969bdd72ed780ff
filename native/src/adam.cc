#include "adam.h"

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

void updateSpan(const AdamTensor& t, int64_t begin, int64_t end, const AdamStep& s) {
  const float oneMinusBeta1 = 1.0f - s.beta1, oneMinusBeta2 = 1.0f - s.beta2;
  for (int64_t i = begin; i < end; i++) {
    const float g = t.grad[i];
    const float m = s.beta1 * t.m[i] + oneMinusBeta1 * g;
    const float v = s.beta2 * t.v[i] + oneMinusBeta2 * (g * g);
    const float denom = std::sqrt(v) / s.sqrtBiasCorrection2 + s.eps;
    t.mOut[i] = m;
    t.vOut[i] = v;
    t.paramOut[i] = t.param[i] - (m / denom) * s.stepSize;
  }
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
