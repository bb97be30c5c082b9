// ckks-accel hexl-compat: EltwiseCmpAdd.
#pragma once

#include <stdint.h>

#include "hexl/util/util.hpp"

namespace intel {
namespace hexl {

/// result[i] = cmp(operand1[i], bound) ? operand1[i] + diff : operand1[i] (64-bit wrapping
/// addition) for i < n. result may be operand1. n = 0 does nothing. Throws intel::hexl::Error
/// on a null pointer or a cmp outside CMPINT.
void EltwiseCmpAdd(uint64_t* result, const uint64_t* operand1, uint64_t n,
                   CMPINT cmp, uint64_t bound, uint64_t diff);

}  // namespace hexl
}  // namespace intel
