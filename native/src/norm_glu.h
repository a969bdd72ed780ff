// Instance norm followed by a GLU, as one kernel each way: the layers every CycleGAN-VC2
// block ends with. On NHWC data viewed as [N, S, 2C]: z = instance norm of x (affine, as
// norm.h), out[.., k] = z[.., k] * sigmoid(z[.., C + k]) for k < C. The normalised z is
// never stored: the forward pass reads x and writes the C gated channels, and the
// backward pass recomputes z from x and the saved statistics.
#pragma once
#include <cstdint>

namespace voiceswap {

// out [N, S, C]; mean and rstd [N, 2C] for the backward pass. Sums in double precision.
void instanceNormGluForward(int n, int64_t s, int c, const float* x, const float* gamma, const float* beta, float eps,
                            float* out, float* mean, float* rstd);

// dx [N, S, 2C], dgamma and dbeta [2C], given dy [N, S, C] and the forward's inputs and
// statistics: the GLU's gradient dz, then instance norm's (norm.h) with dz as its dy.
void instanceNormGluBackward(int n, int64_t s, int c, const float* dy, const float* x, const float* gamma,
                             const float* beta, const float* mean, const float* rstd, float* dx, float* dgamma,
                             float* dbeta);

}  // namespace voiceswap
