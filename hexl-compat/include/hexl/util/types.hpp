// ckks-accel hexl-compat: HEXL's integer type aliases.
#pragma once

#include <cstdint>

namespace intel {
namespace hexl {
/// Unsigned 128-bit integer (GCC / Clang).
__extension__ typedef unsigned __int128 uint128_t;
}  // namespace hexl
}  // namespace intel
