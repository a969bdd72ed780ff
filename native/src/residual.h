// The generator's residual block as one call each way:
//   y = x + IN2(conv2(GLU(IN1(conv1(x)))))
// (conv1: C -> 2C channels, conv2: C -> C, both with the same kernel and padding that
// keeps the spatial size; IN: instance norm with affine parameters, as norm.h). Every piece
// is the addon's own kernel for that layer; what one call saves is the tfjs engine's work
// around a dozen kernels per pass, which on the 1-D residual blocks' small tensors cost
// more than their arithmetic.
#pragma once
#include <cstdint>

#include "conv.h"

namespace voiceswap {

struct ResidualShape {
  int n, h, w, c;  // x [N, H, W, C]
  int kH, kW;
  int padTop, padBottom, padLeft, padRight;
};

// What the backward pass needs from the forward one, in one buffer of
// residualWorkspaceSize() floats: conv1's output y1 [N, S, 2C], IN1's mean and rstd
// [N, 2C], the GLU's output a [N, S, C], conv2's output y2 [N, S, C], IN2's mean and rstd
// [N, C] (S = H * W).
int64_t residualWorkspaceSize(const ResidualShape& s);

// The two convolutions' shapes.
ConvShape residualConv1(const ResidualShape& s);
ConvShape residualConv2(const ResidualShape& s);

// Weights: w1 [kH, kW, C, 2C], b1, g1, be1 [2C]; w2 [kH, kW, C, C], b2, g2, be2 [C]. The
// filter keys are conv.h's (kNoFilterKey: convert the filter on every pass).
struct ResidualWeights {
  const float *w1, *b1, *g1, *be1, *w2, *b2, *g2, *be2;
  int64_t key1, key2;
};

// y [N, H, W, C] and the workspace.
void residualForward(const ResidualShape& s, const float* x, const ResidualWeights& p, float eps, float* y,
                     float* workspace);

// Gradients given dy: dx [N, H, W, C], then each parameter's (same shapes as the weights).
struct ResidualGradients {
  float *dx, *dw1, *db1, *dg1, *dbe1, *dw2, *db2, *dg2, *dbe2;
};
void residualBackward(const ResidualShape& s, const float* dy, const float* x, const ResidualWeights& p,
                      const float* workspace, const ResidualGradients& g);

}  // namespace voiceswap
