// ckks-accel hexl-compat: EltwiseCmpSubMod.
#pragma once

#include <stdint.h>

#include "hexl/util/util.hpp"

namespace intel {
namespace hexl {

/// result[i] = cmp(operand1[i], bound) ? (operand1[i] − diff) mod modulus
///                                     : operand1[i] mod modulus
/// for i < n (operand1 any 64-bit word, compared before reduction; diff taken mod modulus;
/// modulus ≥ 2). result may be operand1. n = 0 does nothing. Throws intel::hexl::Error on a
/// null pointer, a bad modulus or a cmp outside CMPINT.
void EltwiseCmpSubMod(uint64_t* result, const uint64_t* operand1, uint64_t n,
                      uint64_t modulus, CMPINT cmp, uint64_t bound,
                      uint64_t diff);

}  // namespace hexl
}  // namespace intel
