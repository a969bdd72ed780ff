#include "thin_conv.h"

#include <algorithm>
#include <cstdint>

#include "gemm.h"
#include "parallel.h"
#include "scratch.h"

namespace voiceswap {
namespace {

// Row-major c[m, n] = op(a)[m, k] * op(b)[k, n].
void product(bool transA, bool transB, int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c) {
  gemm(GemmShape{1, 1, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), transA, transB}, a, b, c);
}

// out[n, i, j] = sum over taps of z[n, i + sign*(kh - padTop), j + sign*(kw - padLeft), tap]:
// per-tap products z (on a zH x zW grid, kH*kW values per position) shifted into place
// and summed. sign +1 maps the input grid to the output grid (forward); -1 maps the
// output grid back to the input grid (input gradient).
void sumShiftedTaps(const ConvShape& s, const float* z, int zH, int zW, float* out, int outH, int outW, int sign) {
  const int taps = s.kH * s.kW;
  const int64_t rows = int64_t(s.batch) * outH;
  parallelFor(rows, rows * outW * taps, [&](int64_t firstRow, int64_t endRow) {
    for (int64_t row = firstRow; row < endRow; row++) {
      const int n = static_cast<int>(row / outH);
      const int i = static_cast<int>(row % outH);
      float* dst = out + row * outW;
      std::fill(dst, dst + outW, 0.0f);
      for (int kh = 0; kh < s.kH; kh++) {
        const int zi = i + sign * (kh - s.padTop);
        if (zi < 0 || zi >= zH) continue;
        const float* zRow = z + (int64_t(n) * zH + zi) * zW * taps;
        for (int kw = 0; kw < s.kW; kw++) {
          const int shift = sign * (kw - s.padLeft);
          const int first = std::max(0, -shift), last = std::min(outW, zW - shift);
          const float* tap = zRow + kh * s.kW + kw;
          for (int j = first; j < last; j++) dst[j] += tap[int64_t(j + shift) * taps];
        }
      }
    }
  });
}

// cols[n, i, j, tap] = src[n, i + sign*(kh - padTop), j + sign*(kw - padLeft)] of a
// one-channel image src (zH x zW), 0 outside it, for every position of a rows x cols grid:
// the image's patches, one row of kH*kW values per position. Valid until the next call.
const float* gatherTaps(const ConvShape& s, const float* src, int srcH, int srcW, int rowsH, int rowsW, int sign) {
  static thread_local Scratch scratch;  // per calling thread (worker_threads)
  const int taps = s.kH * s.kW;
  const int64_t size = int64_t(s.batch) * rowsH * rowsW * taps;
  float* cols = scratch.floats(size);
  std::fill(cols, cols + size, 0.0f);
  const int64_t rows = int64_t(s.batch) * rowsH;
  parallelFor(rows, rows * rowsW * taps, [&](int64_t firstRow, int64_t endRow) {
    for (int64_t row = firstRow; row < endRow; row++) {
      const int n = static_cast<int>(row / rowsH);
      const int i = static_cast<int>(row % rowsH);
      float* dst = cols + row * rowsW * taps;
      for (int kh = 0; kh < s.kH; kh++) {
        const int si = i + sign * (kh - s.padTop);
        if (si < 0 || si >= srcH) continue;
        const float* srcRow = src + (int64_t(n) * srcH + si) * srcW;
        for (int kw = 0; kw < s.kW; kw++) {
          const int shift = sign * (kw - s.padLeft);
          const int first = std::max(0, -shift), last = std::min(rowsW, srcW - shift);
          float* col = dst + kh * s.kW + kw;
          for (int j = first; j < last; j++) col[int64_t(j) * taps] = srcRow[j + shift];
        }
      }
    }
  });
  return cols;
}

}  // namespace

namespace {

bool unitStrides(const ConvShape& s) { return s.strideH == 1 && s.strideW == 1 && s.dilationH == 1 && s.dilationW == 1; }
bool oneOutput(const ConvShape& s) { return s.outC == 1 && s.inC > 1; }
bool oneInput(const ConvShape& s) { return s.inC == 1 && s.outC > 1; }

}  // namespace

bool thinConvPreferred(ConvPass pass, const ConvShape& s) {
  if (!unitStrides(s)) return false;
  switch (pass) {
    case ConvPass::Forward:
    case ConvPass::ForwardBias: return oneOutput(s);
    case ConvPass::BackwardData: return oneInput(s);
    case ConvPass::BackwardWeights: return oneOutput(s) || oneInput(s);
  }
  return false;
}

bool thinConvCovers(ConvPass pass, const ConvShape& s) {
  return thinConvPreferred(pass, s) || (pass == ConvPass::Forward && unitStrides(s) && oneInput(s));
}

void thinConvForward(const ConvShape& s, const float* x, const float* w, float* y) {
  const int taps = s.kH * s.kW;
  if (s.inC == 1) {
    // One input channel: y[p, o] = xs[p, :] . w[:, o], xs being x's patches (im2col; w is [taps, outC]).
    const float* xs = gatherTaps(s, x, s.inH, s.inW, s.outH, s.outW, +1);
    product(false, false, int64_t(s.batch) * s.outH * s.outW, s.outC, taps, xs, w, y);
    return;
  }
  // One output channel: y[p] = sum over taps of x[p shifted] . w[tap, :]. z = x * w^T on
  // the input grid (w is [taps, inC]), then the shifted sums.
  const int64_t positions = int64_t(s.batch) * s.inH * s.inW;
  static thread_local Scratch scratch;  // per calling thread (worker_threads)
  float* z = scratch.floats(positions * taps);  // fully written by the product
  product(false, true, positions, taps, s.inC, x, w, z);
  sumShiftedTaps(s, z, s.inH, s.inW, y, s.outH, s.outW, +1);
}

// One input channel: dx[p] = sum over taps of dy[p shifted back] . w[tap, :]. z = dy * w^T
// on the output grid (w is [taps, outC]), then the shifted sums back onto the input grid.
void thinConvBackwardData(const ConvShape& s, const float* dy, const float* w, float* dx) {
  const int taps = s.kH * s.kW;
  const int64_t positions = int64_t(s.batch) * s.outH * s.outW;
  static thread_local Scratch scratch;  // per calling thread (worker_threads)
  float* z = scratch.floats(positions * taps);
  product(false, true, positions, taps, s.outC, dy, w, z);
  sumShiftedTaps(s, z, s.outH, s.outW, dx, s.inH, s.inW, -1);
}

void thinConvBackwardWeights(const ConvShape& s, const float* x, const float* dy, float* dw) {
  const int taps = s.kH * s.kW;
  if (s.outC == 1) {
    // dw[tap, c] = sum over input positions p of d[p, tap] * x[p, c], d[p, tap] being the
    // dy value that tap connects p to: the one-channel dy's patches, seen from the input grid.
    const float* d = gatherTaps(s, dy, s.outH, s.outW, s.inH, s.inW, -1);
    product(true, false, taps, s.inC, int64_t(s.batch) * s.inH * s.inW, d, x, dw);
  } else {
    // dw[tap, o] = sum over output positions p of xs[p, tap] * dy[p, o], xs being the
    // one-channel x's patches (im2col).
    const float* xs = gatherTaps(s, x, s.inH, s.inW, s.outH, s.outW, +1);
    product(true, false, taps, s.outC, int64_t(s.batch) * s.outH * s.outW, xs, dy, dw);
  }
}

}  // namespace voiceswap
