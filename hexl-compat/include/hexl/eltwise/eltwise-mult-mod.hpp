// ckks-accel hexl-compat: EltwiseMultMod.
#pragma once

#include <stdint.h>

namespace intel {
namespace hexl {

/// result[i] = (operand1[i] · operand2[i]) mod modulus for i < n, fully reduced; modulus ≥ 2,
/// input_mod_factor ∈ {1, 2, 4} with input_mod_factor·modulus ≤ 2^64. HEXL assumes inputs in
/// [0, input_mod_factor·modulus); here any 64-bit word is accepted and reduced exactly (SEAL
/// relies on it). result may be either operand. n = 0 does nothing. Throws intel::hexl::Error
/// on a null pointer or a bad modulus or factor.
void EltwiseMultMod(uint64_t* result, const uint64_t* operand1,
                    const uint64_t* operand2, uint64_t n, uint64_t modulus,
                    uint64_t input_mod_factor);

}  // namespace hexl
}  // namespace intel
