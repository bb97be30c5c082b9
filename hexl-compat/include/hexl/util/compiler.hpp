// ckks-accel hexl-compat: compiler helpers of HEXL's public headers.
#pragma once

/// Marks a deliberately unused value.
#define HEXL_UNUSED(x) (void)(x)
