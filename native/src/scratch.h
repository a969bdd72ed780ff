// Reusable temporary buffers. A fresh multi-megabyte allocation per call is returned to
// the system when freed and page-faulted in again on the next call, which costs more than
// the arithmetic that uses it; a scratch buffer keeps its memory.
#pragma once
#include <cstddef>
#include <vector>

namespace voiceswap {

class Scratch {
 public:
  // At least n floats, contents unspecified. Valid until the next call on this Scratch.
  float* floats(size_t n) {
    if (data_.size() < n) data_.resize(n);
    return data_.data();
  }

 private:
  std::vector<float> data_;
};

}  // namespace voiceswap
