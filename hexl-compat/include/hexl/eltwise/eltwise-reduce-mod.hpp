// ckks-accel hexl-compat: EltwiseReduceMod.
#pragma once

#include <stdint.h>

namespace intel {
namespace hexl {

/// Reduces operand[i] into result[i] for i < n; modulus ≥ 2.
/// input_mod_factor: `modulus` (any 64-bit word is accepted; HEXL documents "< modulus²") or
/// 1, 2, 4 (input in [0, input_mod_factor·modulus)). output_mod_factor: 1 → [0, modulus);
/// 2 → [0, 2·modulus) (from factor 4: x − 2·modulus when x ≥ 2·modulus, as HEXL; from
/// `modulus`: fully reduced). An output range that already holds the input copies it.
/// result may be operand. n = 0 does nothing. Throws intel::hexl::Error on a null pointer, a
/// bad modulus or factor, or an input out of range.
void EltwiseReduceMod(uint64_t* result, const uint64_t* operand, uint64_t n,
                      uint64_t modulus, uint64_t input_mod_factor,
                      uint64_t output_mod_factor);

}  // namespace hexl
}  // namespace intel
