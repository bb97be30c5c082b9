// ckks-accel hexl-compat: build-time defines HEXL users may test.
#pragma once

/// Set by the ckks-accel compatibility layer (not by Intel HEXL itself).
#define HEXL_CKKS_ACCEL_COMPAT 1
/// The HEXL version whose API this layer provides.
#define HEXL_VERSION_MAJOR 1
#define HEXL_VERSION_MINOR 2
#define HEXL_VERSION_PATCH 6
