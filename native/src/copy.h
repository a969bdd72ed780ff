// Data movement: transposes, and concatenation / splitting along an axis.
#pragma once
#include <cstdint>

namespace voiceswap {

// out = x[shape] with its dimensions permuted: out dimension i is x's dimension perm[i].
void transpose(const float* x, int rank, const int* shape, const int* perm, float* out);

// Concatenation of `count` parts along an axis, seen as `rows` rows: part k holds rows
// of widths[k] contiguous elements; an output row is the parts' rows side by side.
void concatRows(const float* const* parts, const int64_t* widths, int count, int64_t rows, float* out);
// The inverse: splits each row of x into `count` parts of widths[k] elements.
void splitRows(const float* x, const int64_t* widths, int count, int64_t rows, float* const* parts);

}  // namespace voiceswap
