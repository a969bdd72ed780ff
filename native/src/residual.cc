#include "residual.h"

#include "elementwise.h"
#include "norm.h"
#include "norm_glu.h"
#include "reduce.h"
#include "scratch.h"

namespace voiceswap {

namespace {

int64_t positions(const ResidualShape& s) { return int64_t(s.n) * s.h * s.w; }

ConvShape convShape(const ResidualShape& s, int outC) {
  return ConvShape{s.n,         s.h,          s.w, s.c, s.h, s.w, outC, s.kH, s.kW, 1, 1, s.padTop, s.padLeft,
                   s.padBottom, s.padRight, 1, 1};
}

// The workspace's pieces (residual.h), in order.
struct Saved {
  float *y1, *mean1, *rstd1, *a, *y2, *mean2, *rstd2;
};

Saved savedParts(const ResidualShape& s, float* workspace) {
  const int64_t p = positions(s), c = s.c, n = s.n;
  Saved v;
  v.y1 = workspace;
  v.mean1 = v.y1 + p * 2 * c;
  v.rstd1 = v.mean1 + n * 2 * c;
  v.a = v.rstd1 + n * 2 * c;
  v.y2 = v.a + p * c;
  v.mean2 = v.y2 + p * c;
  v.rstd2 = v.mean2 + n * c;
  return v;
}

// out[k] = sum over rows of x[row, k]: a bias's gradient, computed as the Sum kernel
// computes it over [N, H, W] (the same function, so the same bits as the unfused layers).
void columnSums(const float* x, int64_t rows, int cols, float* out) {
  const int shape[2] = {static_cast<int>(rows), cols};
  const int reduced[2] = {1, 0};
  reduceSum(x, 2, shape, reduced, false, out);
}

// y = x + y, element-wise: the Add kernel's own loop (so the same bits as the unfused layers' Add).
void addInto(float* y, const float* x, int64_t count) {
  const int shape[1] = {static_cast<int>(count)};
  binaryBroadcast(BinaryOp::Add, 1, shape, x, shape, y, shape, y);
}

}  // namespace

int64_t residualWorkspaceSize(const ResidualShape& s) {
  const int64_t p = positions(s), c = s.c, n = s.n;
  return p * 2 * c + 2 * n * 2 * c + p * c + p * c + 2 * n * c;
}

ConvShape residualConv1(const ResidualShape& s) { return convShape(s, 2 * s.c); }
ConvShape residualConv2(const ResidualShape& s) { return convShape(s, s.c); }

void residualForward(const ResidualShape& s, const float* x, const ResidualWeights& p, float eps, float* y,
                     float* workspace) {
  const Saved v = savedParts(s, workspace);
  const int64_t spatial = int64_t(s.h) * s.w;
  conv2dForward(residualConv1(s), x, p.w1, p.b1, v.y1, p.key1);
  instanceNormGluForward(s.n, spatial, s.c, v.y1, p.g1, p.be1, eps, v.a, v.mean1, v.rstd1);
  conv2dForward(residualConv2(s), v.a, p.w2, p.b2, v.y2, p.key2);
  instanceNormForward(s.n, spatial, s.c, v.y2, p.g2, p.be2, eps, y, v.mean2, v.rstd2);
  addInto(y, x, positions(s) * s.c);
}

void residualBackward(const ResidualShape& s, const float* dy, const float* x, const ResidualWeights& p,
                      const float* workspace, const ResidualGradients& g) {
  // the workspace is only read here; savedParts lays out the same pointers
  const Saved v = savedParts(s, const_cast<float*>(workspace));
  const int64_t spatial = int64_t(s.h) * s.w, rows = positions(s);
  // per thread and kept (see scratch.h): conv2's output gradient, the GLU output's, conv1's
  static thread_local Scratch scratch;
  float* dy2 = scratch.floats(size_t(rows) * 4 * s.c);
  float* da = dy2 + rows * s.c;
  float* dy1 = da + rows * s.c;
  instanceNormBackward(s.n, spatial, s.c, dy, v.y2, p.g2, v.mean2, v.rstd2, dy2, g.dg2, g.dbe2);
  columnSums(dy2, rows, s.c, g.db2);
  conv2dBackwardWeights(residualConv2(s), v.a, dy2, g.dw2);
  conv2dBackwardData(residualConv2(s), dy2, p.w2, da, p.key2);
  instanceNormGluBackward(s.n, spatial, s.c, da, v.y1, p.g1, p.be1, v.mean1, v.rstd1, dy1, g.dg1, g.dbe1);
  columnSums(dy1, rows, 2 * s.c, g.db1);
  conv2dBackwardWeights(residualConv1(s), x, dy1, g.dw1);
  conv2dBackwardData(residualConv1(s), dy1, p.w1, g.dx, p.key1);
  addInto(g.dx, dy, rows * s.c);  // the skip connection
}

}  // namespace voiceswap
