#include "elementwise.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "fast_exp.h"
#include "parallel.h"

namespace voiceswap {
namespace {

struct Add {
  static float apply(float a, float b) { return a + b; }
};
struct Sub {
  static float apply(float a, float b) { return a - b; }
};
struct Mul {
  static float apply(float a, float b) { return a * b; }
};
struct Div {
  static float apply(float a, float b) { return a / b; }
};
struct SquaredDifference {
  static float apply(float a, float b) { return (a - b) * (a - b); }
};
// As JavaScript's Math.max / Math.min, which tfjs's cpu kernels use: NaN wins, and +0 is
// larger than -0.
struct Maximum {
  static float apply(float a, float b) {
    if (a > b) return a;
    if (b > a) return b;
    if (std::isnan(a) || std::isnan(b)) return NAN;
    return std::signbit(a) ? b : a;
  }
};
struct Minimum {
  static float apply(float a, float b) {
    if (a < b) return a;
    if (b < a) return b;
    if (std::isnan(a) || std::isnan(b)) return NAN;
    return std::signbit(a) ? a : b;
  }
};

// The broadcast iteration space after merging dimensions: `rows` runs of `inner` output
// elements; a row's operand offsets follow from its index through the outer dimensions.
// Fixed-size arrays: this runs for every one of a training step's thousands of small ops.
struct Layout {
  int depth = 0;                                  // outer dimensions
  int64_t outer[kMaxRank], aOuter[kMaxRank], bOuter[kMaxRank];  // sizes, a/b strides (0 = broadcast)
  int64_t inner = 1;
  int64_t aInner = 1, bInner = 1;  // 1 = contiguous, 0 = one value repeated
  int64_t rows = 1;
};

Layout broadcastLayout(int rank, const int* outShape, const int* aShape, const int* bShape) {
  // element strides of a and b per output dimension, 0 where broadcast
  int64_t aStrides[kMaxRank], bStrides[kMaxRank];
  int64_t aStride = 1, bStride = 1;
  for (int i = rank - 1; i >= 0; i--) {
    aStrides[i] = aShape[i] == 1 ? 0 : aStride;
    bStrides[i] = bShape[i] == 1 ? 0 : bStride;
    aStride *= aShape[i];
    bStride *= bShape[i];
  }
  // Merge each dimension into the one before it where both operands step through the two
  // as one (contiguous, or both broadcast), dropping size-1 dimensions.
  int64_t size[kMaxRank], sa[kMaxRank], sb[kMaxRank];
  int count = 0;
  for (int i = 0; i < rank; i++) {
    if (outShape[i] == 1) continue;
    const int64_t n = outShape[i];
    if (count > 0 && sa[count - 1] == aStrides[i] * n && sb[count - 1] == bStrides[i] * n) {
      size[count - 1] *= n;
      sa[count - 1] = aStrides[i];
      sb[count - 1] = bStrides[i];
      continue;
    }
    size[count] = n;
    sa[count] = aStrides[i];
    sb[count] = bStrides[i];
    count++;
  }
  Layout l;
  if (count == 0) return l;  // one element
  l.inner = size[count - 1];
  l.aInner = sa[count - 1];
  l.bInner = sb[count - 1];
  l.depth = count - 1;
  for (int d = 0; d < l.depth; d++) {
    l.outer[d] = size[d];
    l.aOuter[d] = sa[d];
    l.bOuter[d] = sb[d];
    l.rows *= size[d];
  }
  return l;
}

// One run of `n` outputs; the three cases give the compiler plain vectorisable loops.
template <typename Op>
inline void run(const float* a, int64_t aStep, const float* b, int64_t bStep, float* out, int64_t n) {
  if (aStep == 1 && bStep == 1) {
    for (int64_t i = 0; i < n; i++) out[i] = Op::apply(a[i], b[i]);
  } else if (aStep == 1) {
    const float bv = b[0];
    for (int64_t i = 0; i < n; i++) out[i] = Op::apply(a[i], bv);
  } else if (bStep == 1) {
    const float av = a[0];
    for (int64_t i = 0; i < n; i++) out[i] = Op::apply(av, b[i]);
  } else {
    const float v = Op::apply(a[0], b[0]);
    for (int64_t i = 0; i < n; i++) out[i] = v;
  }
}

template <typename Op>
void broadcastRows(const Layout& l, const float* a, const float* b, float* out, int64_t firstRow, int64_t endRow) {
  for (int64_t row = firstRow; row < endRow; row++) {
    int64_t aOffset = 0, bOffset = 0, rest = row;
    for (int d = l.depth - 1; d >= 0; d--) {
      const int64_t index = rest % l.outer[d];
      rest /= l.outer[d];
      aOffset += index * l.aOuter[d];
      bOffset += index * l.bOuter[d];
    }
    run<Op>(a + aOffset, l.aInner, b + bOffset, l.bInner, out + row * l.inner, l.inner);
  }
}

template <typename Op>
void broadcastLoop(const Layout& l, const float* a, const float* b, float* out) {
  const int64_t total = l.rows * l.inner;
  if (l.rows == 1) {  // one long run: split it
    parallelFor(l.inner, total, [&](int64_t begin, int64_t end) {
      run<Op>(a + begin * l.aInner, l.aInner, b + begin * l.bInner, l.bInner, out + begin, end - begin);
    });
    return;
  }
  parallelFor(l.rows, total, [&](int64_t begin, int64_t end) { broadcastRows<Op>(l, a, b, out, begin, end); });
}

template <typename Op>
void unaryLoop(const float* x, float* out, int64_t size) {
  parallelFor(size, size, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i++) out[i] = Op::apply(x[i]);
  });
}

struct First {
  static float apply(float a, float) { return a; }
};

// The logistic function over a range, compiled for AVX-512, AVX2+FMA and baseline x86-64,
// the best chosen when the addon loads: the polynomial is compute-bound, 3x faster with AVX2.
__attribute__((target_clones("avx512f", "avx2,fma", "default"))) void sigmoidRange(const float* __restrict x,
                                                                               float* __restrict out, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = 1.0f / (1.0f + expVectorisable(-x[i]));
}
struct Sqrt {
  static float apply(float x) { return std::sqrt(x); }
};
struct Rsqrt {
  static float apply(float x) { return 1.0f / std::sqrt(x); }
};
struct Square {
  static float apply(float x) { return x * x; }
};
struct Neg {
  static float apply(float x) { return -x; }
};
struct Abs {
  static float apply(float x) { return std::fabs(x); }
};
struct Exp {
  static float apply(float x) { return std::exp(x); }
};
struct Log {
  static float apply(float x) { return std::log(x); }
};
struct Relu {
  // Math.max(0, x), as tfjs: NaN stays NaN, -0 becomes +0
  static float apply(float x) { return x > 0.0f || std::isnan(x) ? x : 0.0f; }
};

}  // namespace

void binaryBroadcast(BinaryOp op, int rank, const int* outShape, const float* a, const int* aShape, const float* b,
                     const int* bShape, float* out) {
  const Layout l = broadcastLayout(rank, outShape, aShape, bShape);
  switch (op) {
    case BinaryOp::Add: return broadcastLoop<Add>(l, a, b, out);
    case BinaryOp::Sub: return broadcastLoop<Sub>(l, a, b, out);
    case BinaryOp::Mul: return broadcastLoop<Mul>(l, a, b, out);
    case BinaryOp::Div: return broadcastLoop<Div>(l, a, b, out);
    case BinaryOp::SquaredDifference: return broadcastLoop<SquaredDifference>(l, a, b, out);
    case BinaryOp::Maximum: return broadcastLoop<Maximum>(l, a, b, out);
    case BinaryOp::Minimum: return broadcastLoop<Minimum>(l, a, b, out);
  }
}

void broadcastTo(int rank, const int* outShape, const float* x, const int* xShape, float* out) {
  broadcastLoop<First>(broadcastLayout(rank, outShape, xShape, xShape), x, x, out);
}

void unary(UnaryOp op, const float* x, float* out, int64_t size) {
  switch (op) {
    case UnaryOp::Sigmoid:
      return parallelFor(size, size, [&](int64_t begin, int64_t end) { sigmoidRange(x + begin, out + begin, end - begin); });
    case UnaryOp::Sqrt: return unaryLoop<Sqrt>(x, out, size);
    case UnaryOp::Rsqrt: return unaryLoop<Rsqrt>(x, out, size);
    case UnaryOp::Square: return unaryLoop<Square>(x, out, size);
    case UnaryOp::Neg: return unaryLoop<Neg>(x, out, size);
    case UnaryOp::Abs: return unaryLoop<Abs>(x, out, size);
    case UnaryOp::Exp: return unaryLoop<Exp>(x, out, size);
    case UnaryOp::Log: return unaryLoop<Log>(x, out, size);
    case UnaryOp::Relu: return unaryLoop<Relu>(x, out, size);
  }
}

void step(const float* x, float* out, int64_t size, float alpha) {
  parallelFor(size, size, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i++) out[i] = std::isnan(x[i]) ? x[i] : x[i] > 0.0f ? 1.0f : alpha;
  });
}

namespace {

// GLU over `rows` rows of 2c values: out = first half * sigmoid(second half).
__attribute__((target_clones("avx512f", "avx2,fma", "default"))) void gluRows(const float* __restrict x,
                                                                            float* __restrict out, int64_t first,
                                                                            int64_t last, int64_t c) {
  for (int64_t r = first; r < last; r++) {
    const float* a = x + r * 2 * c;
    const float* b = a + c;
    float* y = out + r * c;
    for (int64_t k = 0; k < c; k++) y[k] = a[k] / (1.0f + expVectorisable(-b[k]));
  }
}

// Its gradient: d(first half) = dy * s, d(second half) = dy * a * s * (1 - s), s = sigmoid(b).
__attribute__((target_clones("avx512f", "avx2,fma", "default"))) void gluGradRows(
    const float* __restrict dy, const float* __restrict x, float* __restrict dx, int64_t first, int64_t last, int64_t c) {
  for (int64_t r = first; r < last; r++) {
    const float* a = x + r * 2 * c;
    const float* b = a + c;
    const float* g = dy + r * c;
    float* da = dx + r * 2 * c;
    float* db = da + c;
    for (int64_t k = 0; k < c; k++) {
      const float s = 1.0f / (1.0f + expVectorisable(-b[k]));
      da[k] = g[k] * s;
      db[k] = g[k] * a[k] * s * (1.0f - s);
    }
  }
}

}  // namespace

void glu(const float* x, float* out, int64_t rows, int64_t c) {
  parallelFor(rows, 3 * rows * c, [&](int64_t first, int64_t last) { gluRows(x, out, first, last, c); });
}

void gluGrad(const float* dy, const float* x, float* dx, int64_t rows, int64_t c) {
  parallelFor(rows, 5 * rows * c, [&](int64_t first, int64_t last) { gluGradRows(dy, x, dx, first, last, c); });
}

}  // namespace voiceswap
