#include "matmul.h"

#include <algorithm>
#include <oneapi/dnnl/dnnl.hpp>

namespace voiceswap {

void batchMatMul(const MatMulShape& s, const float* a, const float* b, float* c) {
  const int batch = std::max(s.batchA, s.batchB);
  const int64_t sizeA = int64_t(s.m) * s.k;
  const int64_t sizeB = int64_t(s.k) * s.n;
  const int64_t sizeC = int64_t(s.m) * s.n;
  // Row-major leading dimensions: the stored row length of each operand.
  const int64_t lda = s.transposeA ? s.m : s.k;
  const int64_t ldb = s.transposeB ? s.k : s.n;
  for (int i = 0; i < batch; i++) {
    const float* ai = a + (s.batchA == 1 ? 0 : i * sizeA);
    const float* bi = b + (s.batchB == 1 ? 0 : i * sizeB);
    dnnl::error::wrap_c_api(dnnl_sgemm(s.transposeA ? 'T' : 'N', s.transposeB ? 'T' : 'N', s.m, s.n, s.k, 1.0f, ai,
                                       lda, bi, ldb, 0.0f, c + i * sizeC, s.n),
                            "sgemm failed");
  }
}

}  // namespace voiceswap
