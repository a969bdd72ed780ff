// Splitting a loop across the OpenMP threads, only when it is worth it.
#pragma once
#include <omp.h>

#include <cstdint>

namespace voiceswap {

// Below this many elements of work a parallel region (thread wake-up, barrier) costs more
// than it saves; it also keeps the many tiny ops of a training step on one core.
constexpr int64_t kParallelMinElements = 1 << 15;

// Calls body(begin, end) on contiguous shares of [0, n): one share per thread when `work`
// (elements touched) is large enough, else the whole range on the calling thread. (Even an
// OpenMP region that runs on one thread costs microseconds, more than a small op.)
template <typename Body>
void parallelFor(int64_t n, int64_t work, Body&& body) {
  if (work < kParallelMinElements || n < 2 || omp_get_max_threads() == 1) {
    body(int64_t{0}, n);
    return;
  }
#pragma omp parallel
  {
    const int64_t t = omp_get_thread_num(), threads = omp_get_num_threads();
    const int64_t begin = n * t / threads, end = n * (t + 1) / threads;
    if (begin < end) body(begin, end);
  }
}

}  // namespace voiceswap
