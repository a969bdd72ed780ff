// The process-wide oneDNN engine and stream, and the thread count of the native kernels.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

namespace voiceswap {

dnnl::engine& cpuEngine();
dnnl::stream& cpuStream();

// Threads every native kernel uses (OpenMP, shared by oneDNN and our own loops).
int threadCount();
// Changes the thread count; prepared oneDNN primitives are dropped, since they are
// specialised for the thread count they were created under.
void setThreadCount(int n);

}  // namespace voiceswap
