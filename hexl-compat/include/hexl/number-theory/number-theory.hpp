// ckks-accel hexl-compat: the scalar number-theory helpers of HEXL's public API that its users
// call (exact 128-bit arithmetic; inline).
#pragma once

#include <cstdint>

#include "hexl/util/types.hpp"

namespace intel {
namespace hexl {

/// Whether `num` is a power of two (0 is not).
inline constexpr bool IsPowerOfTwo(uint64_t num) {
  return num != 0 && (num & (num - 1)) == 0;
}

/// floor(log2(x)) for x > 0.
inline uint64_t Log2(uint64_t x) { return 63 - static_cast<uint64_t>(__builtin_clzll(x)); }

/// The lowest `bit_width` bits of x in reverse order.
inline uint64_t ReverseBits(uint64_t x, uint64_t bit_width) {
  uint64_t r = 0;
  for (uint64_t i = 0; i < bit_width; ++i) r |= ((x >> i) & 1) << (bit_width - 1 - i);
  return r;
}

/// (x · y) mod modulus, exact for any 64-bit inputs (modulus > 0).
inline uint64_t MultiplyMod(uint64_t x, uint64_t y, uint64_t modulus) {
  return static_cast<uint64_t>((static_cast<uint128_t>(x) * y) % modulus);
}

/// (x + y) mod modulus for x, y < modulus.
inline uint64_t AddUIntMod(uint64_t x, uint64_t y, uint64_t modulus) {
  uint64_t s = x + y;
  return (s >= modulus || s < x) ? s - modulus : s;
}

/// (x − y) mod modulus for x, y < modulus.
inline uint64_t SubUIntMod(uint64_t x, uint64_t y, uint64_t modulus) {
  return x >= y ? x - y : x + (modulus - y);
}

/// base^exp mod modulus (modulus > 0).
inline uint64_t PowMod(uint64_t base, uint64_t exp, uint64_t modulus) {
  uint64_t r = 1 % modulus;
  base %= modulus;
  while (exp != 0) {
    if (exp & 1) r = MultiplyMod(r, base, modulus);
    base = MultiplyMod(base, base, modulus);
    exp >>= 1;
  }
  return r;
}

/// x^(-1) mod modulus for a prime modulus and x not divisible by it (Fermat).
inline uint64_t InverseMod(uint64_t x, uint64_t modulus) {
  return PowMod(x, modulus - 2, modulus);
}

/// Whether `root` is a primitive `degree`-th root of unity mod `modulus` (degree a power of
/// two ≥ 2): root^(degree/2) ≡ −1.
inline bool IsPrimitiveRoot(uint64_t root, uint64_t degree, uint64_t modulus) {
  if (root == 0 || degree < 2) return false;
  return PowMod(root, degree / 2, modulus) == modulus - 1;
}

}  // namespace hexl
}  // namespace intel
