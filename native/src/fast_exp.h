// exp in arithmetic the compiler vectorises, for the sigmoids of the GLU kernels.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace voiceswap {

// exp(x) to about 1e-7 relative, in arithmetic the compiler vectorises (std::exp is a
// scalar library call, and sigmoid runs on every GLU gate): x = n ln2 + r with |r| <= ln2/2,
// exp(r) by Cephes' expf polynomial, 2^n put into the exponent bits. +-Infinity beyond the
// float range, NaN stays NaN.
inline float expVectorisable(float x) {
  const float clamped = std::min(std::max(x, -87.0f), 88.0f);
  const float shifter = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const float n = (clamped * 1.44269504088896341f + shifter) - shifter;
  const float r = clamped - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  const float e = p * scale;
  return x > 88.72f ? INFINITY : (x < -103.98f ? 0.0f : e);
}

}  // namespace voiceswap
