#include "norm.h"

#include <cmath>
#include <vector>

#include "parallel.h"

namespace voiceswap {

// Each thread takes a block of channels and walks the S rows for them: rows are contiguous
// in C, so a block is a contiguous stretch of every row.

void instanceNormForward(int n, int64_t s, int c, const float* x, const float* gamma, const float* beta, float eps,
                         float* y, float* mean, float* rstd) {
  for (int b = 0; b < n; b++) {
    const float* xb = x + int64_t(b) * s * c;
    float* yb = y + int64_t(b) * s * c;
    parallelFor(c, 3 * s * c, [&](int64_t c0, int64_t c1) {
      std::vector<double> sum(c1 - c0, 0.0), sumSq(c1 - c0, 0.0);
      for (int64_t i = 0; i < s; i++) {
        const float* row = xb + i * c;
        for (int64_t k = c0; k < c1; k++) sum[k - c0] += row[k];
      }
      for (int64_t k = c0; k < c1; k++) sum[k - c0] /= double(s);
      for (int64_t i = 0; i < s; i++) {
        const float* row = xb + i * c;
        for (int64_t k = c0; k < c1; k++) {
          const double d = row[k] - sum[k - c0];
          sumSq[k - c0] += d * d;
        }
      }
      std::vector<float> scale(c1 - c0), shift(c1 - c0);
      for (int64_t k = c0; k < c1; k++) {
        const double r = 1.0 / std::sqrt(sumSq[k - c0] / double(s) + double(eps));
        mean[int64_t(b) * c + k] = float(sum[k - c0]);
        rstd[int64_t(b) * c + k] = float(r);
        scale[k - c0] = float(gamma[k] * r);
        shift[k - c0] = float(beta[k] - sum[k - c0] * gamma[k] * r);
      }
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
