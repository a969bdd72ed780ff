#include "copy.h"

#include <cstring>
#include <vector>

#include "parallel.h"

namespace voiceswap {

void transpose(const float* x, int rank, const int* shape, const int* perm, float* out) {
  std::vector<int64_t> inStrides(rank);
  int64_t stride = 1;
  for (int d = rank - 1; d >= 0; d--) {
    inStrides[d] = stride;
    stride *= shape[d];
  }
  const int64_t total = stride;
  // Output dimensions, each with its stride in x; an output dimension that continues the
  // previous one in x (perm[i] == perm[i-1] + 1) merges with it.
  std::vector<int64_t> size, step;
  for (int i = 0; i < rank; i++) {
    const int64_t n = shape[perm[i]];
    if (n == 1) continue;
    if (!size.empty() && step.back() == inStrides[perm[i]] * n) {
      size.back() *= n;
      step.back() = inStrides[perm[i]];
      continue;
    }
    size.push_back(n);
    step.push_back(inStrides[perm[i]]);
  }
  if (size.size() <= 1) {  // the permutation keeps the memory order
    std::memcpy(out, x, total * sizeof(float));
    return;
  }
  const int64_t inner = size.back();
  const int64_t innerStep = step.back();
  const int64_t rows = total / inner;
  const int depth = static_cast<int>(size.size()) - 1;
  // A gather (each element read from its own place) costs several times a streaming copy
  // per element, hence the larger weight in the work estimate.
  parallelFor(rows, 4 * total, [&](int64_t first, int64_t end) {
    // The row's index in each outer output dimension, advanced like an odometer: no
    // division per row (rows are as short as 2 elements in a pixel shuffle).
    std::vector<int64_t> index(depth);
    int64_t offset = 0, rest = first;
    for (int d = depth - 1; d >= 0; d--) {
      index[d] = rest % size[d];
      offset += index[d] * step[d];
      rest /= size[d];
    }
    for (int64_t row = first; row < end; row++) {
      const float* src = x + offset;
      float* dst = out + row * inner;
      for (int64_t i = 0; i < inner; i++) dst[i] = src[i * innerStep];
      for (int d = depth - 1; d >= 0; d--) {
        offset += step[d];
        if (++index[d] < size[d]) break;
        offset -= size[d] * step[d];
        index[d] = 0;
      }
    }
  });
}

void concatRows(const float* const* parts, const int64_t* widths, int count, int64_t rows, float* out) {
  int64_t rowWidth = 0;
  for (int k = 0; k < count; k++) rowWidth += widths[k];
  parallelFor(rows, rows * rowWidth, [&](int64_t first, int64_t end) {
    for (int64_t r = first; r < end; r++) {
      float* dst = out + r * rowWidth;
      for (int k = 0; k < count; k++) {
        std::memcpy(dst, parts[k] + r * widths[k], widths[k] * sizeof(float));
        dst += widths[k];
      }
    }
  });
}

void splitRows(const float* x, const int64_t* widths, int count, int64_t rows, float* const* parts) {
  int64_t rowWidth = 0;
  for (int k = 0; k < count; k++) rowWidth += widths[k];
  parallelFor(rows, rows * rowWidth, [&](int64_t first, int64_t end) {
    for (int64_t r = first; r < end; r++) {
      const float* src = x + r * rowWidth;
      for (int k = 0; k < count; k++) {
        std::memcpy(parts[k] + r * widths[k], src, widths[k] * sizeof(float));
        src += widths[k];
      }
    }
  });
}

}  // namespace voiceswap
