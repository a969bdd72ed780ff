// Instance normalisation with its affine parameters, forward and backward, on NHWC data
// viewed as [N, S, C] (S = H * W): statistics per sample and channel over S.
#pragma once
#include <cstdint>

namespace voiceswap {

// y = (x - mean) * rstd * gamma + beta, rstd = 1 / sqrt(biased variance + eps); also
// writes mean and rstd [N, C] for the backward pass. Sums in double precision.
void instanceNormForward(int n, int64_t s, int c, const float* x, const float* gamma, const float* beta, float eps,
                         float* y, float* mean, float* rstd);

// The statistics of channels [c0, c0 + count) of one sample x [S, stride] (row i at
// x + i * stride): mean and rstd (written at [c0 + k]), and the affine map of the
// normalisation, y = x * scale[k] + shift[k] (scale, shift: `count` values).
void channelScaleShift(const float* x, int64_t s, int64_t stride, int64_t c0, int64_t count, const float* gamma,
                       const float* beta, float eps, float* mean, float* rstd, float* scale, float* shift);

// The gradients given dy: with xhat = (x - mean) * rstd,
//   dx = gamma * rstd * (dy - mean_S(dy) - xhat * mean_S(dy * xhat)),
//   dgamma = sum_{N,S}(dy * xhat), dbeta = sum_{N,S}(dy).
void instanceNormBackward(int n, int64_t s, int c, const float* dy, const float* x, const float* gamma,
                          const float* mean, const float* rstd, float* dx, float* dgamma, float* dbeta);

}  // namespace voiceswap
