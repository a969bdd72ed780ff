// 2D convolutions on NHWC activations and HWIO filters (tfjs's layouts), over oneDNN.
#pragma once

#include <cstdint>
#include <memory>

namespace voiceswap {

// Every size of one convolution, in tfjs's terms. Padding is explicit per side; the
// bottom/right padding may be smaller than the top/left one when a strided conv does not
// reach the last rows (tfjs's 'valid' with stride), which oneDNN expresses the same way.
struct ConvShape {
  int batch, inH, inW, inC;
  int outH, outW, outC;
  int kH, kW;
  int strideH, strideW;
  int padTop, padLeft, padBottom, padRight;
  int dilationH, dilationW;  // 1 = no dilation (tfjs's convention)
};

constexpr int kConvShapeFields = 17;

// ForwardBias (the forward pass with the bias added inside oneDNN's kernel) is internal to
// conv.cc: callers ask for Forward, with or without a bias.
enum class ConvPass : int { Forward = 0, BackwardData = 1, BackwardWeights = 2, ForwardBias = 3 };

// Reads a ConvShape from kConvShapeFields ints in the field order above.
ConvShape convShapeFromInts(const int* v);

// Whether this pass of this convolution runs natively: false when oneDNN offers only
// kernels that are unsafe under signals (see gemm.h) for it; the caller then computes it
// some other way. Prepares (and caches) the kernel.
bool conv2dSupported(ConvPass pass, const ConvShape& s);

// A filter key names the contents of a filter buffer for as long as they do not change:
// passes given the same key reuse the filter once converted to oneDNN's layout, so the
// caller must give a key to one unchanging filter only, and forget it (FilterStore::forget)
// before the buffer is freed or rewritten. kNoFilterKey: convert on every call.
constexpr int64_t kNoFilterKey = 0;

// The converted filters under one set of keys: those of one addon instance (a Node.js
// thread), shared by the worker threads that run its passes (executor.h). Safe to use from
// several threads at once.
class FilterStore {
 public:
  FilterStore();
  ~FilterStore();
  FilterStore(const FilterStore&) = delete;
  FilterStore& operator=(const FilterStore&) = delete;

  // Drops the converted copies of the filter under `key` (any number of layouts).
  void forget(int64_t key);
  // Drops every converted filter (e.g. when the caller's keys start over).
  void forgetAll();
  // How many filters the forward and input-gradient passes have converted to oneDNN's
  // layout so far (cached or not): what the store saves, observable.
  int64_t conversions() const;
  // How many filter keys have converted copies kept.
  int64_t kept() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  friend Impl& filterStoreImpl(FilterStore& store);
};

// The store the calling thread's passes keep converted filters in (null: none, every pass
// converts its filter).
void useFilterStore(FilterStore* store);

// The three passes; each requires conv2dSupported for its pass.
// y[N, outH, outW, outC] = conv(x[N, inH, inW, inC], w[kH, kW, inC, outC]), plus bias[outC]
// at every position when bias is not null (added to the float32 result, as a separate Add would)
void conv2dForward(const ConvShape& s, const float* x, const float* w, const float* bias, float* y,
                   int64_t filterKey = kNoFilterKey);
// dx[N, inH, inW, inC] = gradient of the conv w.r.t. its input, given dy
void conv2dBackwardData(const ConvShape& s, const float* dy, const float* w, float* dx,
                        int64_t filterKey = kNoFilterKey);
// dw[kH, kW, inC, outC] = gradient of the conv w.r.t. its filter, given x and dy
void conv2dBackwardWeights(const ConvShape& s, const float* x, const float* dy, float* dw);

// The floating-point operations of one pass (each pass costs the same).
double convPassFlops(const ConvShape& s);

}  // namespace voiceswap
