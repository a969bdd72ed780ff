#include "reduce.h"

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "parallel.h"

namespace voiceswap {
namespace {

// Consecutive dimensions with the same reduced/kept status, merged; size-1 dims dropped.
struct Group {
  int64_t size;
  bool reduced;
};

std::vector<Group> mergeGroups(int rank, const int* shape, const int* reduced) {
  std::vector<Group> groups;
  for (int d = 0; d < rank; d++) {
    if (shape[d] == 1) continue;
    const bool r = reduced[d] != 0;
    if (!groups.empty() && groups.back().reduced == r) {
      groups.back().size *= shape[d];
    } else {
      groups.push_back({shape[d], r});
    }
  }
  return groups;
}

// out[o, i] = sum over r of x[o, r, i] for x laid out [outer, reduce, inner]. The reduce
// range is split across threads; each sums its share into its own partial [outer, inner],
// and the partials are added in thread order (deterministic for a given thread count).
template <typename In>
void sumMiddle(const In* x, int64_t outer, int64_t reduce, int64_t inner, double* out) {
  const int64_t total = outer * reduce * inner;
  const int threads = total >= kParallelMinElements && reduce >= 2 ? omp_get_max_threads() : 1;
  // (partials per thread: the shares below are of the reduce range, and each thread writes its own)
  const int64_t outSize = outer * inner;
  // Kept between calls (no allocation per op), one per calling thread (the executor's workers); the
  // OpenMP team below shares the caller's through this reference (a thread_local named inside
  // the parallel region would be each team thread's own).
  static thread_local std::vector<double> callerPartials;
  std::vector<double>& partials = callerPartials;
  partials.assign(static_cast<size_t>(threads) * outSize, 0.0);
  auto sumShare = [&](int t) {
    const int64_t r0 = reduce * t / threads;
    const int64_t r1 = reduce * (t + 1) / threads;
    double* acc = partials.data() + t * outSize;
    for (int64_t o = 0; o < outer; o++) {
      const In* block = x + o * reduce * inner;
      double* dst = acc + o * inner;
      if (inner == 1) {
        double sum = 0.0;
#pragma omp simd reduction(+ : sum)
        for (int64_t r = r0; r < r1; r++) sum += block[r];
        dst[0] = sum;
      } else {
        for (int64_t r = r0; r < r1; r++) {
          const In* row = block + r * inner;
#pragma omp simd
          for (int64_t i = 0; i < inner; i++) dst[i] += row[i];
        }
      }
    }
  };
  if (threads == 1) {
    sumShare(0);
  } else {
#pragma omp parallel num_threads(threads)
    sumShare(omp_get_thread_num());
  }
  std::copy(partials.begin(), partials.begin() + outSize, out);
  for (int t = 1; t < threads; t++) {
    const double* p = partials.data() + t * outSize;
    for (int64_t j = 0; j < outSize; j++) out[j] += p[j];
  }
}

}  // namespace

void reduceSum(const float* x, int rank, const int* shape, const int* reduced, bool mean, float* out) {
  std::vector<Group> groups = mergeGroups(rank, shape, reduced);
  int64_t count = 1;  // elements summed into each output
  for (int d = 0; d < rank; d++) {
    if (reduced[d] != 0) count *= shape[d];
  }
  int64_t size = 1;
  for (const Group& g : groups) size *= g.size;

  // Reduce one reduced group at a time, innermost first; the first pass reads the float
  // input, later ones the double intermediate.
  static thread_local std::vector<double> callerCurrent, callerNext;  // kept between calls, per calling thread
  std::vector<double>& current = callerCurrent;  // shared with sumMiddle's OpenMP team by reference
  std::vector<double>& next = callerNext;
  bool fromInput = true;
  for (int gi = static_cast<int>(groups.size()) - 1; gi >= 0; gi--) {
    if (!groups[gi].reduced) continue;
    int64_t inner = 1;
    for (size_t j = gi + 1; j < groups.size(); j++) inner *= groups[j].size;
    const int64_t reduce = groups[gi].size;
    const int64_t outer = size / (reduce * inner);
    next.assign(static_cast<size_t>(outer * inner), 0.0);
    if (fromInput) {
      sumMiddle(x, outer, reduce, inner, next.data());
    } else {
      sumMiddle(current.data(), outer, reduce, inner, next.data());
    }
    current.swap(next);
    fromInput = false;
    size /= reduce;
    groups.erase(groups.begin() + gi);
  }
  const double scale = mean ? 1.0 / static_cast<double>(count) : 1.0;
  if (fromInput) {  // nothing to reduce (only size-1 dimensions flagged)
    for (int64_t j = 0; j < size; j++) out[j] = static_cast<float>(x[j] * scale);
    return;
  }
  for (int64_t j = 0; j < size; j++) out[j] = static_cast<float>(current[j] * scale);
}

}  // namespace voiceswap
