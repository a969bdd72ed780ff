// Stride-1 convolutions with a single input or output channel: the generator's input and
// output convs and the discriminator's input conv, all three passes. oneDNN does these
// poorly (on the development VM: its filter gradient for one output channel is its
// reference kernel, about 1 GFLOP/s; its input gradient for one input channel 17-19
// GFLOP/s), and they are simple correlations: thin_conv.cc computes them directly, in
// vector loops with register tiles compiled for each instruction set (150-300 GFLOP/s
// for the generator's convs there).
#pragma once
#include "conv.h"

namespace voiceswap {

// Whether this pass runs here instead of in oneDNN: stride 1, no dilation, and one input
// or one output channel (not both).
bool thinConvHandles(ConvPass pass, const ConvShape& s);

// The three passes (see conv.h); each requires thinConvHandles for its pass. The forward
// pass adds bias (when not null) to each result as it stores it.
void thinConvForward(const ConvShape& s, const float* x, const float* w, const float* bias, float* y);
void thinConvBackwardData(const ConvShape& s, const float* dy, const float* w, float* dx);
void thinConvBackwardWeights(const ConvShape& s, const float* x, const float* dy, float* dw);

// The instruction set the kernels run on: 2 AVX-512, 1 AVX2 + FMA, 0 baseline x86-64. The
// best the CPU has unless set lower (the tests run each set's code on one machine); a
// level above the CPU's best is an error (std::invalid_argument).
int thinConvVectorLevel();
void setThinConvVectorLevel(int level);

}  // namespace voiceswap
