#include "norm_glu.h"

// No fused multiply-adds: a thread's share of the channels decides which of them its
// vectorised loops reach in the vector body and which in the scalar remainder, and the
// compiler contracts a * b + c differently in the two. With contraction the output
// depended on the thread count (convert --jobs 2, one thread per worker, wrote other
// bytes than --jobs 1); without it every element is the same IEEE arithmetic either way.
#pragma GCC optimize("fp-contract=off")

#include <algorithm>
#include <vector>

#include "fast_exp.h"
#include "norm.h"
#include "parallel.h"
#include "scratch.h"

namespace voiceswap {

namespace {

// Gated outputs k0 <= k < k0 + m of every row: the gate channels are C further on. scale
// and shift hold the m value channels' affine maps, then the m gates'.
__attribute__((target_clones("avx512f", "avx2,fma", "default"))) void gatedRows(
    const float* __restrict x, float* __restrict out, int64_t s, int64_t c, int64_t k0, int64_t m,
    const float* __restrict scale, const float* __restrict shift) {
  const int64_t width = 2 * c;
  for (int64_t i = 0; i < s; i++) {
    const float* value = x + i * width + k0;
    const float* gate = value + c;
    float* o = out + i * c + k0;
    for (int64_t j = 0; j < m; j++) {
      const float a = value[j] * scale[j] + shift[j];
      const float g = gate[j] * scale[m + j] + shift[m + j];
      o[j] = a / (1.0f + expVectorisable(-g));
    }
  }
}

// One block of channel pairs' constants for the backward pass, value channels first (index
// j), then the gates (m + j): mean, rstd, gamma, beta.
struct PairStats {
  std::vector<float> mean, rstd, gamma, beta;
  PairStats(int64_t b, int64_t c, int64_t k0, int64_t m, const float* mean_, const float* rstd_, const float* gamma_,
            const float* beta_)
      : mean(2 * m), rstd(2 * m), gamma(2 * m), beta(2 * m) {
    for (int half = 0; half < 2; half++) {
      for (int64_t j = 0; j < m; j++) {
        const int64_t channel = half * c + k0 + j;
        mean[half * m + j] = mean_[b * 2 * c + channel];
        rstd[half * m + j] = rstd_[b * 2 * c + channel];
        gamma[half * m + j] = gamma_[channel];
        beta[half * m + j] = beta_[channel];
      }
    }
  }
};

// Pass 1 of the backward pass over the pairs k0 <= k < k0 + m of every row: the GLU's
// gradient dz (written to dzValue and dzGate, [S, m] each), and per channel the sums of dz
// and dz * xhat over the rows. (Separate arrays, not one with the gates m floats on: the
// compiler vectorises only loops whose stores cannot overlap, and with one array it would
// check that at run time and take the scalar loop for m below a vector's width.)
__attribute__((target_clones("avx512f", "avx2,fma", "default"))) void gateGradRows(
    const float* __restrict dy, const float* __restrict x, int64_t s, int64_t c, int64_t k0, int64_t m,
    const float* __restrict mean, const float* __restrict rstd, const float* __restrict gamma,
    const float* __restrict beta, float* __restrict dzValue, float* __restrict dzGate, double* __restrict sumDzValue,
    double* __restrict sumDzGate, double* __restrict sumDzXhatValue, double* __restrict sumDzXhatGate) {
  const int64_t width = 2 * c;
  for (int64_t i = 0; i < s; i++) {
    const float* g = dy + i * c + k0;
    const float* value = x + i * width + k0;
    const float* gate = value + c;
    float* da = dzValue + i * m;
    float* dg = dzGate + i * m;
    for (int64_t j = 0; j < m; j++) {
      const float xhatA = (value[j] - mean[j]) * rstd[j];
      const float xhatG = (gate[j] - mean[m + j]) * rstd[m + j];
      const float a = xhatA * gamma[j] + beta[j];
      const float sig = 1.0f / (1.0f + expVectorisable(-(xhatG * gamma[m + j] + beta[m + j])));
      const float dValue = g[j] * sig;
      const float dGate = g[j] * a * sig * (1.0f - sig);
      da[j] = dValue;
      dg[j] = dGate;
      sumDzValue[j] += dValue;
      sumDzXhatValue[j] += double(dValue * xhatA);
      sumDzGate[j] += dGate;
      sumDzXhatGate[j] += double(dGate * xhatG);
    }
  }
}

// Pass 2: dx = gamma * rstd * (dz - mean(dz) - xhat * mean(dz * xhat)) for the value
// (half 0) or the gate (half 1) channels k0 <= k < k0 + m, with xhat recomputed from x;
// the constants are the half's m values.
__attribute__((target_clones("avx512f", "avx2,fma", "default"))) void normGradRows(
    const float* __restrict dz, const float* __restrict x, float* __restrict dx, int64_t s, int64_t c, int64_t k0,
    int64_t m, int half, const float* __restrict mean, const float* __restrict rstd, const float* __restrict gamma,
    const float* __restrict meanDz, const float* __restrict meanDzXhat) {
  const int64_t width = 2 * c;
  for (int64_t i = 0; i < s; i++) {
    const float* d = dz + i * m;
    const float* xs = x + i * width + half * c + k0;
    float* out = dx + i * width + half * c + k0;
    for (int64_t j = 0; j < m; j++) {
      const float xhat = (xs[j] - mean[j]) * rstd[j];
      out[j] = gamma[j] * rstd[j] * (d[j] - meanDz[j] - xhat * meanDzXhat[j]);
    }
  }
}

}  // namespace

void instanceNormGluForward(int n, int64_t s, int c, const float* x, const float* gamma, const float* beta, float eps,
                            float* out, float* mean, float* rstd) {
  const int64_t width = 2 * int64_t(c);
  for (int b = 0; b < n; b++) {
    const float* xb = x + b * s * width;
    float* ob = out + b * s * c;
    // each thread takes a block of channel pairs: x read three times (two for the
    // statistics), the gated half written once
    parallelFor(c, 7 * s * c, [&](int64_t k0, int64_t k1) {
      const int64_t m = k1 - k0;
      std::vector<float> scale(2 * m), shift(2 * m);
      for (int half = 0; half < 2; half++) {
        channelScaleShift(xb, s, width, half * c + k0, m, gamma, beta, eps, mean + b * width, rstd + b * width,
                          scale.data() + half * m, shift.data() + half * m);
      }
      gatedRows(xb, ob, s, c, k0, m, scale.data(), shift.data());
    });
  }
}

void instanceNormGluBackward(int n, int64_t s, int c, const float* dy, const float* x, const float* gamma,
                             const float* beta, const float* mean, const float* rstd, float* dx, float* dgamma,
                             float* dbeta) {
  const int64_t width = 2 * int64_t(c);
  for (int64_t k = 0; k < width; k++) dgamma[k] = dbeta[k] = 0.0f;
  // Threads take blocks of kPairsPerShare channel pairs. Measured on the 2-core
  // development VM, one thread against two: with 16 pairs each, two threads were no
  // faster, or slower ([1,5120,32]: 144 us on one, 259 on two, each thread's loops then
  // shorter than a vector); with 64 or more each, two were 18-19% faster.
  constexpr int64_t kPairsPerShare = 32;
  const int64_t blocks = (c + kPairsPerShare - 1) / kPairsPerShare;
  // One parallel region for the whole batch, shared out in (sample, block) units. With a
  // region per sample, two threads were slower than one ([2,40,32,128] by 2x; in a
  // small-preset step the kernel took 8.7 ms a step on two threads, 6.6 on one); shared
  // out this way, two are as fast as one up to about 3M of work and faster beyond
  // ([3,40,32,512]: 1.55 ms against 2.55). Each unit writes its own sample's partial sums;
  // they are added up below in sample order: the same bits whatever the thread count.
  std::vector<float> partialGamma(size_t(n) * width), partialBeta(size_t(n) * width);
  // Per pair and row: dy, x (2) and dz (2) in the first pass, dz (2), x (2) and dx (2) in the second
  parallelFor(int64_t(n) * blocks, 13 * n * s * c, [&](int64_t firstUnit, int64_t endUnit) {
    // a thread's units, one stretch of channel pairs per sample
    for (int64_t unit = firstUnit; unit < endUnit;) {
      const int b = static_cast<int>(unit / blocks);
      const int64_t lastUnit = std::min<int64_t>(endUnit, (b + 1) * blocks);
      const int64_t k0 = (unit - b * blocks) * kPairsPerShare;
      const int64_t k1 = std::min<int64_t>(c, (lastUnit - b * blocks) * kPairsPerShare);
      unit = lastUnit;
      const int64_t m = k1 - k0;
      const PairStats p(b, c, k0, m, mean, rstd, gamma, beta);
      // per thread and kept: a fresh buffer of this size would be mapped and unmapped by
      // every call, and unmapping memory while another thread runs costs both threads
      static thread_local Scratch scratch;
      float* dzValue = scratch.floats(size_t(2 * s * m));  // the GLU's gradient for this block, between the passes
      float* dzGate = dzValue + s * m;
      std::vector<double> sums(4 * m, 0.0);  // dz and dz * xhat, value channels then gates
      double* sumDz = sums.data();
      double* sumDzXhat = sums.data() + 2 * m;
      const float* dyb = dy + b * s * c;
      const float* xb = x + b * s * width;
      gateGradRows(dyb, xb, s, c, k0, m, p.mean.data(), p.rstd.data(), p.gamma.data(), p.beta.data(), dzValue, dzGate,
                   sumDz, sumDz + m, sumDzXhat, sumDzXhat + m);
      std::vector<float> meanDz(2 * m), meanDzXhat(2 * m);
      for (int64_t j = 0; j < 2 * m; j++) {
        meanDz[j] = float(sumDz[j] / double(s));
        meanDzXhat[j] = float(sumDzXhat[j] / double(s));
      }
      for (int half = 0; half < 2; half++) {
        const int64_t o = half * m;
        normGradRows(half == 0 ? dzValue : dzGate, xb, dx + b * s * width, s, c, k0, m, half, p.mean.data() + o,
                     p.rstd.data() + o, p.gamma.data() + o, meanDz.data() + o, meanDzXhat.data() + o);
      }
      for (int half = 0; half < 2; half++) {
        for (int64_t j = 0; j < m; j++) {
          const int64_t channel = half * c + k0 + j;
          partialGamma[b * width + channel] = float(sumDzXhat[half * m + j]);
          partialBeta[b * width + channel] = float(sumDz[half * m + j]);
        }
      }
    }
  });
  for (int b = 0; b < n; b++) {
    for (int64_t k = 0; k < width; k++) {
      dgamma[k] += partialGamma[b * width + k];
      dbeta[k] += partialBeta[b * width + k];
    }
  }
}

}  // namespace voiceswap
