#include "gemm.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "context.h"
#include "parallel.h"
#include "scratch.h"

namespace voiceswap {

using dnnl::memory;

bool isSignalUnsafe(const char* implementation) { return std::strstr(implementation, "gemm") != nullptr; }

namespace {

// One prepared product: oneDNN's matmul, or nothing when the loop nest does it.
struct GemmPlan {
  bool useLoops = false;
  dnnl::matmul op;
  memory::desc a, b, c;
};

// Row-major [batch, rows, cols] descriptor; `transposed` reads a stored [batch, cols, rows]
// array as its transpose. (A batch of 1 broadcasts; its stride must still be the matrix
// size, or oneDNN 2.6 falls back to its reference kernel.)
memory::desc matrixDesc(int batch, int64_t rows, int64_t cols, bool transposed) {
  const memory::dim batchStride = rows * cols;
  const memory::dims strides = transposed ? memory::dims{batchStride, 1, rows} : memory::dims{batchStride, cols, 1};
  return memory::desc({batch, rows, cols}, memory::data_type::f32, strides);
}

std::unique_ptr<GemmPlan> makePlan(const GemmShape& s) {
  auto plan = std::make_unique<GemmPlan>();
  const int batch = std::max(s.batchA, s.batchB);
  plan->a = matrixDesc(s.batchA, s.m, s.k, s.transposeA);
  plan->b = matrixDesc(s.batchB, s.k, s.n, s.transposeB);
  plan->c = memory::desc({batch, s.m, s.n}, memory::data_type::f32, memory::format_tag::abc);
  try {
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(plan->a, plan->b, plan->c), cpuEngine());
    const std::string implementation = pd.impl_info_str();
    // the loops also beat oneDNN's reference kernel
    if (isSignalUnsafe(implementation.c_str()) || implementation.rfind("ref", 0) == 0) {
      plan->useLoops = true;
    } else {
      plan->op = dnnl::matmul(pd);
    }
  } catch (const dnnl::error&) {
    plan->useLoops = true;  // a shape oneDNN's matmul does not take
  }
  return plan;
}

using PlanKey = std::array<int, 8>;  // the shape, and the thread count the plan is prepared for

std::map<PlanKey, std::unique_ptr<GemmPlan>>& plans() {
  static thread_local std::map<PlanKey, std::unique_ptr<GemmPlan>> cache;  // per thread: the executor's workers run side by side
  return cache;
}

// c = op(a) * op(b) for one matrix pair, as sums of scaled rows of op(b) (held contiguous:
// b is transposed into a buffer first when needed), which vectorise. Each thread owns a
// block of c's rows and accumulates them in double precision (long sums of float32
// products drift by about k times the float epsilon otherwise); with a transposed a, the
// block's rows are updated together for each p so that a is read along its stored rows.
void gemmLoops(const GemmShape& s, const float* a, const float* b, float* c) {
  if (s.transposeB) {
    static thread_local Scratch scratch;  // per thread (the executor's workers run side by side)
    float* bRows = scratch.floats(int64_t(s.k) * s.n);
    for (int j = 0; j < s.n; j++)
      for (int p = 0; p < s.k; p++) bRows[int64_t(p) * s.n + j] = b[int64_t(j) * s.k + p];
    b = bRows;
  }
  constexpr int64_t kBlockRows = 64;  // rows accumulated together: their doubles stay in cache
  const int64_t blocks = (s.m + kBlockRows - 1) / kBlockRows;
  parallelFor(blocks, int64_t(s.m) * s.n * s.k / 16, [&](int64_t firstBlock, int64_t endBlock) {
    std::vector<double> acc(kBlockRows * s.n);
    for (int64_t block = firstBlock; block < endBlock; block++) {
      const int64_t first = block * kBlockRows, end = std::min<int64_t>(s.m, first + kBlockRows);
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int p = 0; p < s.k; p++) {
        const float* bRow = b + int64_t(p) * s.n;
        for (int64_t i = first; i < end; i++) {
          const double factor = s.transposeA ? a[int64_t(p) * s.m + i] : a[i * s.k + p];
          double* row = acc.data() + (i - first) * s.n;
          for (int j = 0; j < s.n; j++) row[j] += factor * bRow[j];
        }
      }
      for (int64_t i = first; i < end; i++) {
        for (int j = 0; j < s.n; j++) c[i * s.n + j] = static_cast<float>(acc[(i - first) * s.n + j]);
      }
    }
  });
}

}  // namespace

void gemm(const GemmShape& s, const float* a, const float* b, float* c) {
  // a small product runs on one thread, and its kernel is prepared for one
  const double flops = 2.0 * std::max(s.batchA, s.batchB) * s.m * s.n * s.k;
  OneThreadScope threads(flops < kSingleThreadFlops);
  const PlanKey key{s.batchA, s.batchB, s.m, s.n, s.k, s.transposeA, s.transposeB, omp_get_max_threads()};
  auto& cache = plans();
  auto found = cache.find(key);
  if (found == cache.end()) found = cache.emplace(key, makePlan(s)).first;
  GemmPlan& plan = *found->second;
  if (plan.useLoops) {
    const int batch = std::max(s.batchA, s.batchB);
    const int64_t sizeA = int64_t(s.m) * s.k, sizeB = int64_t(s.k) * s.n, sizeC = int64_t(s.m) * s.n;
    for (int i = 0; i < batch; i++) {
      gemmLoops(s, a + (s.batchA == 1 ? 0 : i * sizeA), b + (s.batchB == 1 ? 0 : i * sizeB), c + i * sizeC);
    }
    return;
  }
  dnnl::stream& stream = cpuStream();
  memory am(plan.a, cpuEngine(), const_cast<float*>(a));
  memory bm(plan.b, cpuEngine(), const_cast<float*>(b));
  memory cm(plan.c, cpuEngine(), c);
  plan.op.execute(stream, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
  stream.wait();
}

}  // namespace voiceswap
