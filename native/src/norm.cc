#include "norm.h"

// No fused multiply-adds, so that results do not depend on the thread count (see norm_glu.cc).
#pragma GCC optimize("fp-contract=off")

#include <cmath>
#include <vector>

#include "parallel.h"

namespace voiceswap {

// Each thread takes a block of channels and walks the S rows for them: rows are contiguous
// in C, so a block is a contiguous stretch of every row.

// Compiled for AVX-512, AVX2+FMA and baseline x86-64 (the double-precision sums are
// compute-bound at SSE2's two lanes).
__attribute__((target_clones("avx512f", "avx2,fma", "default"))) void channelScaleShift(
    const float* x, int64_t s, int64_t stride, int64_t c0, int64_t count, const float* gamma, const float* beta,
    float eps, float* mean, float* rstd, float* scale, float* shift) {
  std::vector<double> sum(count, 0.0), sumSq(count, 0.0);
  for (int64_t i = 0; i < s; i++) {
    const float* row = x + i * stride + c0;
    for (int64_t k = 0; k < count; k++) sum[k] += row[k];
  }
  for (int64_t k = 0; k < count; k++) sum[k] /= double(s);
  for (int64_t i = 0; i < s; i++) {
    const float* row = x + i * stride + c0;
    for (int64_t k = 0; k < count; k++) {
      const double d = row[k] - sum[k];
      sumSq[k] += d * d;
    }
  }
  for (int64_t k = 0; k < count; k++) {
    const double r = 1.0 / std::sqrt(sumSq[k] / double(s) + double(eps));
    const int64_t channel = c0 + k;
    mean[channel] = float(sum[k]);
    rstd[channel] = float(r);
    scale[k] = float(gamma[channel] * r);
    shift[k] = float(beta[channel] - sum[k] * gamma[channel] * r);
  }
}

void instanceNormForward(int n, int64_t s, int c, const float* x, const float* gamma, const float* beta, float eps,
                         float* y, float* mean, float* rstd) {
  for (int b = 0; b < n; b++) {
    const float* xb = x + int64_t(b) * s * c;
    float* yb = y + int64_t(b) * s * c;
    parallelFor(c, 3 * s * c, [&](int64_t c0, int64_t c1) {
      std::vector<float> scale(c1 - c0), shift(c1 - c0);
      channelScaleShift(xb, s, c, c0, c1 - c0, gamma, beta, eps, mean + int64_t(b) * c, rstd + int64_t(b) * c,
                        scale.data(), shift.data());
      for (int64_t i = 0; i < s; i++) {
        const float* row = xb + i * c;
        float* out = yb + i * c;
        for (int64_t k = c0; k < c1; k++) out[k] = row[k] * scale[k - c0] + shift[k - c0];
      }
    });
  }
}

void instanceNormBackward(int n, int64_t s, int c, const float* dy, const float* x, const float* gamma,
                          const float* mean, const float* rstd, float* dx, float* dgamma, float* dbeta) {
  for (int k = 0; k < c; k++) dgamma[k] = dbeta[k] = 0.0f;
  for (int b = 0; b < n; b++) {
    const int64_t offset = int64_t(b) * s * c;
    parallelFor(c, 4 * s * c, [&](int64_t c0, int64_t c1) {
      std::vector<double> sumDy(c1 - c0, 0.0), sumDyXhat(c1 - c0, 0.0);
      const float* m = mean + int64_t(b) * c;
      const float* r = rstd + int64_t(b) * c;
      for (int64_t i = 0; i < s; i++) {
        const float* dyRow = dy + offset + i * c;
        const float* xRow = x + offset + i * c;
        for (int64_t k = c0; k < c1; k++) {
          const double xhat = (double(xRow[k]) - m[k]) * r[k];
          sumDy[k - c0] += dyRow[k];
          sumDyXhat[k - c0] += dyRow[k] * xhat;
        }
      }
      for (int64_t i = 0; i < s; i++) {
        const float* dyRow = dy + offset + i * c;
        const float* xRow = x + offset + i * c;
        float* dxRow = dx + offset + i * c;
        for (int64_t k = c0; k < c1; k++) {
          const double xhat = (double(xRow[k]) - m[k]) * r[k];
          const double meanDy = sumDy[k - c0] / double(s), meanDyXhat = sumDyXhat[k - c0] / double(s);
          dxRow[k] = float(double(gamma[k]) * r[k] * (dyRow[k] - meanDy - xhat * meanDyXhat));
        }
      }
      // Each thread owns its channels: no two write the same dgamma/dbeta entry.
      for (int64_t k = c0; k < c1; k++) {
        dgamma[k] += float(sumDyXhat[k - c0]);
        dbeta[k] += float(sumDy[k - c0]);
      }
    });
  }
}

}  // namespace voiceswap
