// Splitting a loop across the OpenMP threads, only when it is worth it.
#pragma once
#include <omp.h>

#include <cstdint>

namespace voiceswap {

// Below this much work (elements read and written) a loop runs on the calling thread
// alone. A parallel region has to wake the other threads, which sleep between regions
// (OMP_WAIT_POLICY=passive, see src/backend/native/addon.ts); on the 2-core development VM
// that wake-up costs 50-200 us, as much as streaming a megabyte. Measured in a small-preset
// training step, each kernel interleaved on one and on two threads (same process, every
// shape): instance norm, GLU, their gradients and the bias sums were faster on one thread
// up to about 1M elements of work (e.g. instance norm of 2x40x32x128: 0.31 ms against 0.50
// per call), and the large ones only a little faster on two. With 1 << 15, the threshold
// before, the step's kernels took 168 ms where the faster thread count for each would have
// taken 152.
constexpr int64_t kParallelMinElements = 1 << 20;

// Below this many floating-point operations a convolution pass or a matrix product runs on
// the calling thread alone (its oneDNN kernel is also prepared for one thread). Measured
// on the same VM with 2 threads, each pass alone, interleaved with one thread: the
// residual blocks' 1x3 convolutions (1.6 MFLOP) took 90-200 us per pass on two threads
// and 30-100 us on one, 5 MFLOP ones 100-175 us against 70-115 us; the two break even
// between 25 and 100 MFLOP, and two threads win from about 190 MFLOP (by 1.1-1.7x). The
// envelope's 64x80 by 80x80 product (0.8 MFLOP) took 210 us on two threads, 35 on one.
constexpr double kSingleThreadFlops = 16e6;

// Limits the calling thread's OpenMP team to one thread while it lives, when `oneThread`.
class OneThreadScope {
 public:
  explicit OneThreadScope(bool oneThread) : saved_(omp_get_max_threads()), limited_(oneThread && saved_ > 1) {
    if (limited_) omp_set_num_threads(1);
  }
  ~OneThreadScope() {
    if (limited_) omp_set_num_threads(saved_);
  }
  OneThreadScope(const OneThreadScope&) = delete;
  OneThreadScope& operator=(const OneThreadScope&) = delete;

 private:
  int saved_;
  bool limited_;
};

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
