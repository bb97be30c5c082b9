// ckks-accel hexl-compat: EltwiseFMAMod.
#pragma once

#include <stdint.h>

namespace intel {
namespace hexl {

/// result[i] = (arg1[i] · arg2 + arg3[i]) mod modulus, or (arg1[i] · arg2) mod modulus when
/// arg3 is nullptr, fully reduced; modulus ≥ 2, input_mod_factor ∈ {1, 2, 4, 8} with
/// input_mod_factor·modulus ≤ 2^64; the scalar arg2 is taken mod modulus. HEXL assumes arg1 and
/// arg3 in [0, input_mod_factor·modulus); here any 64-bit word is accepted and reduced exactly
/// (SEAL passes larger words with factor 8 and small moduli). result may be arg1 or arg3.
/// n = 0 does nothing. Throws intel::hexl::Error on a null pointer or a bad modulus or factor.
void EltwiseFMAMod(uint64_t* result, const uint64_t* arg1, uint64_t arg2,
                   const uint64_t* arg3, uint64_t n, uint64_t modulus,
                   uint64_t input_mod_factor);

}  // namespace hexl
}  // namespace intel
