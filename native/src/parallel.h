// When an element-wise loop is worth splitting across threads.
#pragma once
#include <cstdint>

namespace voiceswap {

// Below this many elements a parallel region (thread wake-up, barrier) costs more than it
// saves; it also keeps the many tiny ops of a training step on one core.
constexpr int64_t kParallelMinElements = 1 << 15;

}  // namespace voiceswap
