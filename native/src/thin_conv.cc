#include "thin_conv.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "parallel.h"
#include "scratch.h"

namespace voiceswap {
namespace {

// Every thin pass is one of three stride-1 correlations between a one-channel image s and
// a many-channel array (C channels, NHWC), over taps (kh, kw) of a kH x kW filter:
//   spread:    out[p, c] = sum_t s[p + t] * m[t, c]          (one channel in, C out)
//   collapse:  out[p]    = sum_t sum_c x[p + t, c] * m[t, c]  (C channels in, one out)
//   correlate: d[t, c]   = sum_p s[p + t] * x[p, c]          (a filter gradient)
// where p runs over an output grid and p + t means input position (i + kh - padTop,
// j + kw - padLeft), 0 outside the input. The backward passes are these on the flipped
// filter (see the bottom of this file).
struct Taps {
  int batch;
  int inH, inW;    // the grid p + t reads
  int outH, outW;  // the grid p runs over
  int kH, kW;
  int padTop, padLeft;
};

// A one-channel input with its padding made explicit, so that the inner loops never test
// a bound: `rows` x `cols` positions per image, position (r, q) holding input position
// (r - padTop, q - padLeft), or 0 outside the input.
struct Padded {
  const float* data;
  int rows, cols;
};

// Copies the one-channel src [batch, inH, inW] into a padded grid covering every position
// the taps read: outH + kH - 1 rows by outW + kW - 1 columns.
Padded padInput(const Taps& g, const float* src, Scratch& scratch) {
  const int rows = g.outH + g.kH - 1, cols = g.outW + g.kW - 1;
  float* dst = scratch.floats(size_t(g.batch) * rows * cols);
  for (int n = 0; n < g.batch; n++) {
    for (int r = 0; r < rows; r++) {
      float* out = dst + (int64_t(n) * rows + r) * cols;
      std::fill(out, out + cols, 0.0f);
      const int inRow = r - g.padTop;
      const int first = std::max(0, g.padLeft), last = std::min(cols, g.padLeft + g.inW);
      if (inRow < 0 || inRow >= g.inH || first >= last) continue;
      const float* in = src + (int64_t(n) * g.inH + inRow) * g.inW + (first - g.padLeft);
      std::copy(in, in + (last - first), out + first);
    }
  }
  return Padded{dst, rows, cols};
}

// ---- Vectors of V floats (GCC vector extensions; V = 1 is a plain float). The kernels
// below are templates over V and their register tile; each is compiled once per
// instruction set, so that a tile fits that set's registers: kMaxLanes is its widest
// vector, kTile how many vector registers a tile's sums may take (AVX-512 has 32, AVX2
// and SSE 16; the rest hold the values multiplied).

struct Avx512 { static constexpr int kMaxLanes = 16, kTile = 24; };
struct Avx2 { static constexpr int kMaxLanes = 8, kTile = 12; };
struct Plain { static constexpr int kMaxLanes = 4, kTile = 12; };  // SSE2, part of every x86-64

typedef float Floats16 __attribute__((vector_size(64)));
typedef float Floats8 __attribute__((vector_size(32)));
typedef float Floats4 __attribute__((vector_size(16)));
typedef float Floats2 __attribute__((vector_size(8)));
template <int V> struct Lanes;
template <> struct Lanes<16> { using T = Floats16; };
template <> struct Lanes<8> { using T = Floats8; };
template <> struct Lanes<4> { using T = Floats4; };
template <> struct Lanes<2> { using T = Floats2; };
template <> struct Lanes<1> { using T = float; };

// By reference, not by value: a vector return would change the calling convention
// between instruction sets (GCC's -Wpsabi).
template <typename T> [[gnu::always_inline]] inline void load(T& v, const float* p) { std::memcpy(&v, p, sizeof v); }
template <typename T> [[gnu::always_inline]] inline void store(float* p, const T& v) { std::memcpy(p, &v, sizeof v); }

// The sum of a vector's lanes, halving the vector (a fixed order: the same bits on every
// call).
template <int V> [[gnu::always_inline]] inline float laneSum(const typename Lanes<V>::T& v) {
  if constexpr (V == 1) {
    return v;
  } else {
    using Half = typename Lanes<V / 2>::T;
    Half low, high;
    std::memcpy(&low, &v, sizeof low);
    std::memcpy(&high, reinterpret_cast<const char*>(&v) + sizeof low, sizeof high);
    const Half folded = low + high;
    float total = 0.0f;
    for (int i = 0; i < V / 2; i++) total += folded[i];
    return total;
  }
}

// ---- spread: out[p, c] = sum_t s[p + t] * m[t, c], plus b[c] when b is not null. A tile
// is JB consecutive positions of one row by CV vectors of channels, its sums held in
// registers over all taps.

template <int V, int JB, int CV>
[[gnu::always_inline]] inline void spreadTile(const Taps& g, int C, const float* s, int sCols, const float* m, const float* b, float* out) {
  using T = typename Lanes<V>::T;
  T sum[JB][CV] = {};
  for (int kh = 0; kh < g.kH; kh++) {
    for (int kw = 0; kw < g.kW; kw++) {
      const float* sTap = s + int64_t(kh) * sCols + kw;
      const float* mTap = m + int64_t(kh * g.kW + kw) * C;
      T weights[CV];
#pragma GCC unroll 8
      for (int v = 0; v < CV; v++) load(weights[v], mTap + v * V);
#pragma GCC unroll 16
      for (int jb = 0; jb < JB; jb++) {
        const float value = sTap[jb];
#pragma GCC unroll 8
        for (int v = 0; v < CV; v++) sum[jb][v] += value * weights[v];
      }
    }
  }
  T bias[CV] = {};
  if (b != nullptr) {
#pragma GCC unroll 8
    for (int v = 0; v < CV; v++) load(bias[v], b + v * V);
  }
#pragma GCC unroll 16
  for (int jb = 0; jb < JB; jb++) {
#pragma GCC unroll 8
    for (int v = 0; v < CV; v++) store(out + int64_t(jb) * C + v * V, b != nullptr ? sum[jb][v] + bias[v] : sum[jb][v]);
  }
}

// Channels [c0, c0 + CV*V) of output row (n, i); s points at the padded row i of image n.
template <int V, int JB, int CV>
[[gnu::always_inline]] inline void spreadChunk(const Taps& g, int C, const float* s, int sCols, const float* m, const float* b, float* out, int c0) {
  const float* bChunk = b != nullptr ? b + c0 : nullptr;
  int j = 0;
  for (; j + JB <= g.outW; j += JB) spreadTile<V, JB, CV>(g, C, s + j, sCols, m + c0, bChunk, out + int64_t(j) * C + c0);
  for (; j < g.outW; j++) spreadTile<V, 1, CV>(g, C, s + j, sCols, m + c0, bChunk, out + int64_t(j) * C + c0);
}

template <typename Isa, int V>
[[gnu::always_inline]] inline void spreadRowOf(const Taps& g, int C, const float* s, int sCols, const float* m, const float* b, float* out) {
  constexpr int kWide = std::min(8, Isa::kTile / 4), kMid = std::min(8, Isa::kTile / 2), kNarrow = std::min(8, Isa::kTile);
  int c0 = 0;
  for (; c0 + 4 * V <= C; c0 += 4 * V) spreadChunk<V, kWide, 4>(g, C, s, sCols, m, b, out, c0);
  if (c0 + 2 * V <= C) {
    spreadChunk<V, kMid, 2>(g, C, s, sCols, m, b, out, c0);
    c0 += 2 * V;
  }
  if (c0 + V <= C) spreadChunk<V, kNarrow, 1>(g, C, s, sCols, m, b, out, c0);
}

// ---- collapse: out[p] = sum_t sum_c x[p + t, c] * m[t, c]. A tile is JB consecutive
// positions of one row, each with a vector of partial sums over channel lanes. The taps of
// a filter row go in blocks of KB: the block's KB weight vectors stay in registers while
// each of the JB + KB - 1 input positions its taps read is loaded once and multiplied
// into every position of the tile it reaches. A tile whose taps may fall outside the
// input row (kChecked) reads zeros there.

template <int V, int JB, int KB, bool kChecked>
[[gnu::always_inline]] inline void collapseBlock(typename Lanes<V>::T (&sum)[JB], const float* xRow, const float* mBlock, int C, int firstColumn, int inW) {
  using T = typename Lanes<V>::T;
  T weights[KB];
#pragma GCC unroll 16
  for (int k = 0; k < KB; k++) load(weights[k], mBlock + int64_t(k) * C);
#pragma GCC unroll 32
  for (int q = 0; q < JB + KB - 1; q++) {
    T values = {};
    const int column = firstColumn + q;
    if (!kChecked || (column >= 0 && column < inW)) load(values, xRow + int64_t(column) * C);
#pragma GCC unroll 16
    for (int k = 0; k < KB; k++) {
      const int jb = q - k;  // the tile position that tap k of the block reads at column q
      if (jb >= 0 && jb < JB) sum[jb] += values * weights[k];
    }
  }
}

// A block of `taps` (1 .. KB) taps.
template <int V, int JB, int KB, bool kChecked>
[[gnu::always_inline]] inline void collapseBlockOf(int taps, typename Lanes<V>::T (&sum)[JB], const float* xRow, const float* mBlock, int C, int firstColumn, int inW) {
  if constexpr (KB > 1) {
    if (taps < KB) return collapseBlockOf<V, JB, KB - 1, kChecked>(taps, sum, xRow, mBlock, C, firstColumn, inW);
  }
  collapseBlock<V, JB, KB, kChecked>(sum, xRow, mBlock, C, firstColumn, inW);
}

template <int V, int JB, int KB, bool kChecked>
[[gnu::always_inline]] inline void collapseTile(const Taps& g, int C, const float* x, int i, int j0, const float* m, const float* b, float* out) {
  using T = typename Lanes<V>::T;
  T sum[JB] = {};
  for (int kh = 0; kh < g.kH; kh++) {
    const int r = i + kh - g.padTop;
    if (r < 0 || r >= g.inH) continue;
    const float* xRow = x + int64_t(r) * g.inW * C;
    for (int c0 = 0; c0 < C; c0 += V) {
      for (int kw0 = 0; kw0 < g.kW; kw0 += KB) {
        const float* mBlock = m + (int64_t(kh) * g.kW + kw0) * C + c0;
        collapseBlockOf<V, JB, KB, kChecked>(std::min(KB, g.kW - kw0), sum, xRow + c0, mBlock, C, j0 + kw0 - g.padLeft, g.inW);
      }
    }
  }
#pragma GCC unroll 16
  for (int jb = 0; jb < JB; jb++) out[jb] = b != nullptr ? laneSum<V>(sum[jb]) + *b : laneSum<V>(sum[jb]);
}

// Output row (n, i); x is image n.
template <typename Isa, int V>
[[gnu::always_inline]] inline void collapseRowOf(const Taps& g, int C, const float* x, int i, const float* m, const float* b, float* out) {
  constexpr int JB = Isa::kTile >= 24 ? 8 : 6, KB = JB;
  int j = 0;
  for (; j + JB <= g.outW; j += JB) {
    // whole: every column the tile reads, j - padLeft .. j + JB - 1 - padLeft + kW - 1, is in the row
    if (j - g.padLeft >= 0 && j + JB - 1 - g.padLeft + g.kW - 1 < g.inW) {
      collapseTile<V, JB, KB, false>(g, C, x, i, j, m, b, out + j);
    } else {
      collapseTile<V, JB, KB, true>(g, C, x, i, j, m, b, out + j);
    }
  }
  for (; j < g.outW; j++) collapseTile<V, 1, KB, true>(g, C, x, i, j, m, b, out + j);
}

// ---- correlate: d[t, c] = sum_p s[p + t] * x[p, c]. A tile is TB taps by CV vectors of
// channels; d's rows are split into tiles before the loop (CorrelateTile), and a thread
// adds one row of positions at a time into each of its tiles, so that the row stays in
// its cache while every tile reads it. Each d value is summed in position order whatever
// the number of threads.

struct CorrelateTile {
  int firstTap;  // taps firstTap .. firstTap + taps - 1 in row-major (kh, kw) order
  int taps;
  int c0, vectors;
};

constexpr int kMaxTileTaps = 8;

template <int V, int TB, int CV>
[[gnu::always_inline]] inline void correlateTile(const Taps& g, int C, const float* s, int sCols, const float* x, const CorrelateTile& tile, float* d) {
  using T = typename Lanes<V>::T;
  const float* sTap[TB];
  T sum[TB][CV];
#pragma GCC unroll 8
  for (int t = 0; t < TB; t++) {
    const int tap = tile.firstTap + t, kh = tap / g.kW, kw = tap % g.kW;
    sTap[t] = s + int64_t(kh) * sCols + kw;
#pragma GCC unroll 8
    for (int v = 0; v < CV; v++) load(sum[t][v], d + int64_t(tap) * C + tile.c0 + v * V);
  }
  const float* xChunk = x + tile.c0;
  for (int j = 0; j < g.outW; j++) {
    T values[CV];
#pragma GCC unroll 8
    for (int v = 0; v < CV; v++) load(values[v], xChunk + int64_t(j) * C + v * V);
#pragma GCC unroll 8
    for (int t = 0; t < TB; t++) {
      const float value = sTap[t][j];
#pragma GCC unroll 8
      for (int v = 0; v < CV; v++) sum[t][v] += value * values[v];
    }
  }
#pragma GCC unroll 8
  for (int t = 0; t < TB; t++) {
#pragma GCC unroll 8
    for (int v = 0; v < CV; v++) store(d + int64_t(tile.firstTap + t) * C + tile.c0 + v * V, sum[t][v]);
  }
}

// Picks the instance for a tile's tap count (1 .. TB) at run time.
template <int V, int CV, int TB>
[[gnu::always_inline]] inline void correlateTileOf(const Taps& g, int C, const float* s, int sCols, const float* x, const CorrelateTile& tile, float* d) {
  if constexpr (TB > 1) {
    if (tile.taps < TB) return correlateTileOf<V, CV, TB - 1>(g, C, s, sCols, x, tile, d);
  }
  correlateTile<V, TB, CV>(g, C, s, sCols, x, tile, d);
}

template <typename Isa, int V>
[[gnu::always_inline]] inline void correlateRowOf(const Taps& g, int C, const float* s, int sCols, const float* x, const CorrelateTile* tiles, int count, float* d) {
  for (int k = 0; k < count; k++) {
    const CorrelateTile& tile = tiles[k];
    if (tile.vectors == 4) {
      correlateTileOf<V, 4, std::min(kMaxTileTaps, Isa::kTile / 4)>(g, C, s, sCols, x, tile, d);
    } else if (tile.vectors == 2) {
      correlateTileOf<V, 2, std::min(kMaxTileTaps, Isa::kTile / 2)>(g, C, s, sCols, x, tile, d);
    } else {
      correlateTileOf<V, 1, std::min(kMaxTileTaps, Isa::kTile)>(g, C, s, sCols, x, tile, d);
    }
  }
}

// ---- One row's work, compiled once per instruction set. The channel vectors are the
// widest the set has that divide C, else single floats (RowJob::lanes).

enum class Kind { Spread, Collapse, Correlate };

struct RowJob {
  Kind kind;
  Taps g;
  int C;
  int lanes;                  // 16, 8, 4 or 1, dividing C
  Padded s;                   // spread, correlate: the one-channel input
  const float* x;             // collapse: [batch, inH, inW, C]; correlate: [batch, outH, outW, C]
  const float* m;             // spread, collapse: [kH, kW, C]
  const float* bias;          // spread: [C], collapse: [1], or null
  float* out;                 // spread: [batch, outH, outW, C]; collapse: [batch, outH, outW]; correlate: d
  const CorrelateTile* tiles;  // correlate: this thread's tiles
  int tileCount;
};

template <typename Isa, int V>
[[gnu::always_inline]] inline void runRowWith(const RowJob& job, int n, int i) {
  const Taps& g = job.g;
  const int64_t row = int64_t(n) * g.outH + i;
  const float* sRow = job.s.data + (int64_t(n) * job.s.rows + i) * job.s.cols;  // padded row i: input row i - padTop
  switch (job.kind) {
    case Kind::Spread:
      return spreadRowOf<Isa, V>(g, job.C, sRow, job.s.cols, job.m, job.bias, job.out + row * g.outW * job.C);
    case Kind::Collapse:
      return collapseRowOf<Isa, V>(g, job.C, job.x + int64_t(n) * g.inH * g.inW * job.C, i, job.m, job.bias, job.out + row * g.outW);
    case Kind::Correlate:
      return correlateRowOf<Isa, V>(g, job.C, sRow, job.s.cols, job.x + row * g.outW * job.C, job.tiles, job.tileCount, job.out);
  }
}

template <typename Isa>
[[gnu::always_inline]] inline void runRows(const RowJob& job, int64_t first, int64_t end) {
  for (int64_t row = first; row < end; row++) {
    const int n = static_cast<int>(row / job.g.outH), i = static_cast<int>(row % job.g.outH);
    if constexpr (Isa::kMaxLanes >= 16) {
      if (job.lanes == 16) {
        runRowWith<Isa, 16>(job, n, i);
        continue;
      }
    }
    if constexpr (Isa::kMaxLanes >= 8) {
      if (job.lanes == 8) {
        runRowWith<Isa, 8>(job, n, i);
        continue;
      }
    }
    if constexpr (Isa::kMaxLanes >= 4) {
      if (job.lanes == 4) {
        runRowWith<Isa, 4>(job, n, i);
        continue;
      }
    }
    runRowWith<Isa, 1>(job, n, i);
  }
}

__attribute__((target("avx512f,fma"))) void runRowsAvx512(const RowJob& job, int64_t first, int64_t end) { runRows<Avx512>(job, first, end); }
__attribute__((target("avx2,fma"))) void runRowsAvx2(const RowJob& job, int64_t first, int64_t end) { runRows<Avx2>(job, first, end); }
void runRowsPlain(const RowJob& job, int64_t first, int64_t end) { runRows<Plain>(job, first, end); }

// The kernels for one instruction set.
struct Cpu {
  void (*runRows)(const RowJob&, int64_t, int64_t);
  int maxLanes, tile;
};

constexpr Cpu kCpus[] = {
    Cpu{&runRowsPlain, Plain::kMaxLanes, Plain::kTile},
    Cpu{&runRowsAvx2, Avx2::kMaxLanes, Avx2::kTile},
    Cpu{&runRowsAvx512, Avx512::kMaxLanes, Avx512::kTile},
};

int bestVectorLevel() {
  static const int best = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
    return 0;
  }();
  return best;
}

std::atomic<int>& vectorLevel() {
  static std::atomic<int> level{bestVectorLevel()};
  return level;
}

const Cpu& thisCpu() { return kCpus[vectorLevel().load(std::memory_order_relaxed)]; }

int lanesFor(int C) {
  for (const int lanes : {16, 8, 4}) {
    if (lanes <= thisCpu().maxLanes && C % lanes == 0) return lanes;
  }
  return 1;
}

int64_t macs(const Taps& g, int C) { return int64_t(g.batch) * g.outH * g.outW * g.kH * g.kW * C; }

// Runs the job's rows, shared between the threads.
void runAllRows(const RowJob& job) {
  const Cpu& cpu = thisCpu();
  parallelFor(int64_t(job.g.batch) * job.g.outH, macs(job.g, job.C), [&](int64_t first, int64_t end) { cpu.runRows(job, first, end); });
}

// ---- The three correlations over whole arrays.

void spread(const Taps& g, int C, const float* s, const float* m, const float* bias, float* out) {
  static thread_local Scratch scratch;  // per thread (the executor's workers run side by side)
  RowJob job{};
  job.kind = Kind::Spread, job.g = g, job.C = C, job.lanes = lanesFor(C);
  job.s = padInput(g, s, scratch), job.m = m, job.bias = bias, job.out = out;
  runAllRows(job);
}

void collapse(const Taps& g, int C, const float* x, const float* m, const float* bias, float* out) {
  RowJob job{};
  job.kind = Kind::Collapse, job.g = g, job.C = C, job.lanes = lanesFor(C);
  job.x = x, job.m = m, job.bias = bias, job.out = out;
  runAllRows(job);
}

// d [kH*kW, C] = sum over positions p of s[p + t] * x[p, c]. The threads share the tiles
// of d, each running over every row of positions.
void correlate(const Taps& g, int C, const float* s, const float* x, float* d) {
  static thread_local Scratch scratch;
  RowJob job{};
  job.kind = Kind::Correlate, job.g = g, job.C = C, job.lanes = lanesFor(C);
  job.s = padInput(g, s, scratch), job.x = x, job.out = d;
  // Tiles: chunks of 4, 2 or 1 channel vectors, each with its taps in groups of nearly
  // equal size, as many taps as the registers allow.
  const int taps = g.kH * g.kW;
  std::vector<CorrelateTile> tiles;
  for (int c0 = 0; c0 + job.lanes <= C;) {
    const int vectors = c0 + 4 * job.lanes <= C ? 4 : c0 + 2 * job.lanes <= C ? 2 : 1;
    const int most = std::min(kMaxTileTaps, thisCpu().tile / vectors);
    const int groups = (taps + most - 1) / most;
    for (int k = 0; k < groups; k++) {
      const int first = taps * k / groups, end = taps * (k + 1) / groups;
      tiles.push_back(CorrelateTile{first, end - first, c0, vectors});
    }
    c0 += vectors * job.lanes;
  }
  std::fill(d, d + int64_t(taps) * C, 0.0f);
  parallelFor(static_cast<int64_t>(tiles.size()), macs(g, C), [&](int64_t first, int64_t end) {
    RowJob share = job;
    share.tiles = tiles.data() + first, share.tileCount = static_cast<int>(end - first);
    thisCpu().runRows(share, 0, int64_t(g.batch) * g.outH);
  });
}

// ---- The conv passes in terms of the three.

bool unitStrides(const ConvShape& s) { return s.strideH == 1 && s.strideW == 1 && s.dilationH == 1 && s.dilationW == 1; }
bool oneOutput(const ConvShape& s) { return s.outC == 1 && s.inC > 1; }
bool oneInput(const ConvShape& s) { return s.inC == 1 && s.outC > 1; }

// The forward pass's geometry: output positions over the input grid.
Taps forwardTaps(const ConvShape& s) {
  return Taps{s.batch, s.inH, s.inW, s.outH, s.outW, s.kH, s.kW, s.padTop, s.padLeft};
}

// The transposed geometry: input positions over the output grid. Input position q gets
// dy[q - t + pad]; with the filter flipped (t' = k - 1 - t) that reads q + t' - pad', a
// correlation with padding pad' = k - 1 - pad.
Taps transposedTaps(const ConvShape& s) {
  return Taps{s.batch, s.outH, s.outW, s.inH, s.inW, s.kH, s.kW, s.kH - 1 - s.padTop, s.kW - 1 - s.padLeft};
}

// dst[t] = src[taps - 1 - t] for the `taps` rows of C floats of a [kH, kW, C] array: the
// filter flipped in both directions.
void reverseTaps(const float* src, int taps, int C, float* dst) {
  for (int t = 0; t < taps; t++) std::copy(src + int64_t(taps - 1 - t) * C, src + int64_t(taps - t) * C, dst + int64_t(t) * C);
}

// The [kH, kW, C] filter w flipped, in a scratch buffer valid until the next call.
const float* flippedTaps(const ConvShape& s, const float* w, int C) {
  static thread_local Scratch scratch;
  const int taps = s.kH * s.kW;
  float* flipped = scratch.floats(size_t(taps) * C);
  reverseTaps(w, taps, C, flipped);
  return flipped;
}

}  // namespace

int thinConvVectorLevel() { return vectorLevel().load(); }

void setThinConvVectorLevel(int level) {
  if (level < 0 || level > bestVectorLevel()) {
    throw std::invalid_argument("vector level " + std::to_string(level) + " is not available on this CPU (0 to " +
                                std::to_string(bestVectorLevel()) + ")");
  }
  vectorLevel().store(level);
}

bool thinConvHandles(ConvPass, const ConvShape& s) { return unitStrides(s) && (oneInput(s) || oneOutput(s)); }

void thinConvForward(const ConvShape& s, const float* x, const float* w, const float* bias, float* y) {
  // w [kH, kW, inC, outC] is [kH, kW, C] when either channel count is 1
  if (s.inC == 1) return spread(forwardTaps(s), s.outC, x, w, bias, y);
  collapse(forwardTaps(s), s.inC, x, w, bias, y);
}

void thinConvBackwardData(const ConvShape& s, const float* dy, const float* w, float* dx) {
  if (s.outC == 1) return spread(transposedTaps(s), s.inC, dy, flippedTaps(s, w, s.inC), nullptr, dx);
  collapse(transposedTaps(s), s.outC, dy, flippedTaps(s, w, s.outC), nullptr, dx);
}

void thinConvBackwardWeights(const ConvShape& s, const float* x, const float* dy, float* dw) {
  if (s.inC == 1) return correlate(forwardTaps(s), s.outC, x, dy, dw);
  // One output channel: dw[t, c] = sum_q x[q, c] * dy[q - t + pad], the correlation of dy
  // over the input grid with tap t' = k - 1 - t; computed for t', then reversed.
  static thread_local Scratch scratch;
  const int taps = s.kH * s.kW;
  float* reversed = scratch.floats(size_t(taps) * s.inC);
  correlate(transposedTaps(s), s.inC, dy, x, reversed);
  reverseTaps(reversed, taps, s.inC, dw);
}

}  // namespace voiceswap
