// The Adam update of many parameter tensors in one call (the training step's optimiser).
#pragma once
#include <cstdint>

namespace voiceswap {

// One parameter tensor: its value, moments and gradient, and where the updated ones go
// (buffers of their own: the outputs may not overlap any input).
struct AdamTensor {
  const float* param;
  const float* m;
  const float* v;
  const float* grad;
  float* paramOut;
  float* mOut;
  float* vOut;
  int64_t size;
};

// torch.optim.Adam's update, as src/train/adam.ts computes it op by op:
//   m' = beta1 m + (1 - beta1) g,  v' = beta2 v + (1 - beta2) g^2,
//   p' = p - stepSize * m' / (sqrt(v') / sqrtBiasCorrection2 + eps)
// with stepSize = lr / (1 - beta1^t) and sqrtBiasCorrection2 = sqrt(1 - beta2^t).
struct AdamStep {
  float beta1, beta2, eps, stepSize, sqrtBiasCorrection2;
};

void adamUpdate(const AdamTensor* tensors, int count, const AdamStep& step);

}  // namespace voiceswap
