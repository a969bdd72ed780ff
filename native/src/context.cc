#include "context.h"

#include <omp.h>

#include "conv.h"
#include "gemm.h"

namespace voiceswap {

dnnl::engine& cpuEngine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpuStream() {
  static thread_local dnnl::stream stream(cpuEngine());  // one per calling thread (worker_threads)
  return stream;
}

int threadCount() { return omp_get_max_threads(); }

void setThreadCount(int n) {
  if (n == omp_get_max_threads()) return;
  omp_set_num_threads(n);
  clearConvPlans();
  clearGemmPlans();
}

}  // namespace voiceswap
