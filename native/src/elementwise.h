// Element-wise arithmetic with numpy/tfjs broadcasting, and element-wise functions.
#pragma once
#include <cstdint>

namespace voiceswap {

enum class BinaryOp : int { Add = 0, Sub = 1, Mul = 2, Div = 3, SquaredDifference = 4, Maximum = 5, Minimum = 6 };
enum class UnaryOp : int { Sigmoid = 0, Sqrt = 1, Rsqrt = 2, Square = 3, Neg = 4, Abs = 5, Exp = 6, Log = 7, Relu = 8 };

// Highest rank the broadcasting kernel takes (tfjs tensors rarely exceed 6).
constexpr int kMaxRank = 8;

constexpr int kBinaryOps = 7;
constexpr int kUnaryOps = 9;

// out[outShape] = a op b. aShape and bShape have outShape's rank; each of their
// dimensions equals outShape's or is 1 (broadcast).
void binaryBroadcast(BinaryOp op, int rank, const int* outShape, const float* a, const int* aShape, const float* b,
                     const int* bShape, float* out);

void unary(UnaryOp op, const float* x, float* out, int64_t size);

// tfjs's Step: out = 1 where x > 0, alpha elsewhere, NaN where x is NaN (the gradient of
// Abs is a Step with alpha -1).
void step(const float* x, float* out, int64_t size, float alpha);

// out[outShape] = x[xShape] repeated along the dimensions where xShape is 1 (tfjs's
// broadcastTo; xShape has outShape's rank).
void broadcastTo(int rank, const int* outShape, const float* x, const int* xShape, float* out);

// Gated linear unit over the last axis: x is `rows` rows of 2c values (NHWC with 2c
// channels), out[r, k] = x[r, k] * sigmoid(x[r, c + k]); gluGrad gives dx from dy.
void glu(const float* x, float* out, int64_t rows, int64_t c);
void gluGrad(const float* dy, const float* x, float* dx, int64_t rows, int64_t c);

}  // namespace voiceswap
