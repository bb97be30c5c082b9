// ckks-accel hexl-compat: Intel HEXL's public API over ckks-accel (issue 22).
// CMPINT, the comparison selector of EltwiseCmpAdd / EltwiseCmpSubMod.
#pragma once

#include <cstddef>

namespace intel {
namespace hexl {

#undef TRUE
#undef FALSE

/// Integer comparison cmp(a, b) selected by value (HEXL's numbering, also the C ABI's).
enum class CMPINT {
  EQ = 0,     ///< a == b
  LT = 1,     ///< a < b
  LE = 2,     ///< a <= b
  FALSE = 3,  ///< never
  NE = 4,     ///< a != b
  NLT = 5,    ///< a >= b
  NLE = 6,    ///< a > b
  TRUE = 7    ///< always
};

/// The complementary comparison: Not(c)(a, b) == !c(a, b).
inline CMPINT Not(CMPINT cmp) {
  // The numbering puts each comparison and its complement 4 apart.
  return static_cast<CMPINT>((static_cast<int>(cmp) + 4) % 8);
}

}  // namespace hexl
}  // namespace intel
