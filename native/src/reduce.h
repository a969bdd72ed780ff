// Sums and means over any set of dimensions, accumulated in double precision (as tfjs's
// cpu kernels accumulate in JavaScript numbers).
#pragma once

namespace voiceswap {

// out = sum (or mean) of x[shape] over the dimensions d with reduced[d] != 0; out holds
// the kept dimensions in their order.
void reduceSum(const float* x, int rank, const int* shape, const int* reduced, bool mean, float* out);

}  // namespace voiceswap
