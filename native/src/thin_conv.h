// Stride-1 convolutions with a single input or output channel where oneDNN has no good
// kernel: the generator's output conv (one output channel: oneDNN's filter gradient is
// its reference kernel, 0.4 GFLOP/s) and the gradients of its input conv (one input
// channel: a slow input gradient, and a filter gradient by oneDNN's signal-unsafe GEMM).
// Each is one matrix product plus a sum of shifted copies, or a gather plus a product.
#pragma once
#include "conv.h"

namespace voiceswap {

// Whether the thin path should compute this pass (it beats oneDNN there): stride 1, no
// dilation, and one output channel (Forward, BackwardWeights) or one input channel
// (BackwardData, BackwardWeights).
bool thinConvPreferred(ConvPass pass, const ConvShape& s);

// Whether the thin path can compute this pass at all: also a forward pass with one input
// channel (a fallback where oneDNN offers only its signal-unsafe GEMM, as on AVX2).
bool thinConvCovers(ConvPass pass, const ConvShape& s);

void thinConvForward(const ConvShape& s, const float* x, const float* w, float* y);
void thinConvBackwardData(const ConvShape& s, const float* dy, const float* w, float* dx);
void thinConvBackwardWeights(const ConvShape& s, const float* x, const float* dy, float* dw);

}  // namespace voiceswap
