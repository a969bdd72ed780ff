// The process-wide oneDNN engine, and each thread's stream.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

namespace voiceswap {

dnnl::engine& cpuEngine();
dnnl::stream& cpuStream();

}  // namespace voiceswap
