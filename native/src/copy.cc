#include "copy.h"

#include <cstring>
#include <vector>

#include "parallel.h"

namespace voiceswap {

namespace {

// Where each row of an output starts in x: rows run over the first `depth` output
// dimensions (sizes `size`, steps in x `step`), and the index in each is advanced like an
// odometer, with no division per row (rows are as short as 2 elements in a pixel shuffle).
class RowOffsets {
 public:
  RowOffsets(const std::vector<int64_t>& size, const std::vector<int64_t>& step, int depth, int64_t firstRow)
      : size_(size), step_(step), index_(depth) {
    for (int d = depth - 1; d >= 0; d--) {
      index_[d] = firstRow % size[d];
      offset_ += index_[d] * step[d];
      firstRow /= size[d];
    }
  }
  int64_t offset() const { return offset_; }
  void next() {
    for (int d = static_cast<int>(index_.size()) - 1; d >= 0; d--) {
      offset_ += step_[d];
      if (++index_[d] < size_[d]) return;
      offset_ -= size_[d] * step_[d];
      index_[d] = 0;
    }
  }

 private:
  const std::vector<int64_t>& size_;
  const std::vector<int64_t>& step_;
  std::vector<int64_t> index_;
  int64_t offset_ = 0;
};

// Output dimension `k` reads x contiguously (its step is 1) and the dimensions after it
// hold few elements, `block` in all (a pixel shuffle: rows of 2 or 4 elements). Element
// (a, b) of output block `row` is x[offset(row) + a + blockOffsets[b]]: the b loop outside
// reads x contiguously and the writes land in a block of size[k] * block floats that stays
// in L1, where a gather of short rows reads a scattered element per write.
void transposeBlocks(const float* x, const std::vector<int64_t>& size, const std::vector<int64_t>& step, int k,
                     int64_t block, int64_t total, float* out) {
  std::vector<int64_t> blockOffsets(block, 0);
  for (int64_t b = 0; b < block; b++) {
    int64_t rest = b;
    for (int d = static_cast<int>(size.size()) - 1; d > k; d--) {
      blockOffsets[b] += (rest % size[d]) * step[d];
      rest /= size[d];
    }
  }
  const int64_t length = size[k], rowFloats = length * block, rows = total / rowFloats;
  parallelFor(rows, 4 * total, [&](int64_t first, int64_t end) {  // the same estimate as transpose's
    RowOffsets rowOffsets(size, step, k, first);
    for (int64_t row = first; row < end; row++, rowOffsets.next()) {
      float* dst = out + row * rowFloats;
      for (int64_t b = 0; b < block; b++) {
        const float* src = x + rowOffsets.offset() + blockOffsets[b];
        for (int64_t a = 0; a < length; a++) dst[a * block + b] = src[a];
      }
    }
  });
}

// transposeBlocks where it applies: the last output dimension is short and not x's
// contiguous one, an earlier one is, and the ones after that hold at most 64 elements.
bool transposeByBlocks(const float* x, const std::vector<int64_t>& size, const std::vector<int64_t>& step, float* out) {
  constexpr int64_t kShortRow = 16, kMaxBlock = 64;
  const int last = static_cast<int>(size.size()) - 1;
  if (size[last] >= kShortRow || step[last] == 1) return false;
  int64_t block = 1, total = 1;
  for (const int64_t n : size) total *= n;
  for (int k = last; k >= 0; k--) {
    if (step[k] == 1) {
      if (block > kMaxBlock) return false;
      transposeBlocks(x, size, step, k, block, total, out);
      return true;
    }
    block *= size[k];
  }
  return false;
}

}  // namespace

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
  if (transposeByBlocks(x, size, step, out)) return;
  const int64_t inner = size.back();
  const int64_t innerStep = step.back();
  const int64_t rows = total / inner;
  const int depth = static_cast<int>(size.size()) - 1;
  // A gather (each element read from its own place) costs several times a streaming copy
  // per element, hence the larger weight in the work estimate.
  parallelFor(rows, 4 * total, [&](int64_t first, int64_t end) {
    RowOffsets rowOffsets(size, step, depth, first);
    for (int64_t row = first; row < end; row++, rowOffsets.next()) {
      const float* src = x + rowOffsets.offset();
      float* dst = out + row * inner;
      for (int64_t i = 0; i < inner; i++) dst[i] = src[i * innerStep];
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
