// ckks-accel hexl-compat: EltwiseAddMod.
#pragma once

#include <stdint.h>

namespace intel {
namespace hexl {

/// result[i] = (operand1[i] + operand2[i]) mod modulus for i < n; 2 ≤ modulus < 2^63, inputs
/// in [0, modulus). result may be either operand. n = 0 does nothing. Throws intel::hexl::Error
/// on a null pointer, a bad modulus or an input out of range.
void EltwiseAddMod(uint64_t* result, const uint64_t* operand1,
                   const uint64_t* operand2, uint64_t n, uint64_t modulus);

/// result[i] = (operand1[i] + operand2) mod modulus (scalar operand2 < modulus); as above.
void EltwiseAddMod(uint64_t* result, const uint64_t* operand1,
                   uint64_t operand2, uint64_t n, uint64_t modulus);

}  // namespace hexl
}  // namespace intel
