#include "context.h"

namespace voiceswap {

dnnl::engine& cpuEngine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpuStream() {
  static thread_local dnnl::stream stream(cpuEngine());  // one per thread (executor.h)
  return stream;
}

}  // namespace voiceswap
