#!/usr/bin/env bash
# Installs the Intel HEXL drop-in (issue 22) into PREFIX:
#   PREFIX/include/hexl/...            HEXL's public headers (namespace intel::hexl)
#   PREFIX/include/ckks_accel.h        the C ABI they call
#   PREFIX/lib/libhexl.a               the C++ layer
#   PREFIX/lib/libckks_accel.a         the kernels (Rust static library)
#   PREFIX/lib/cmake/hexl-1.2.6/       HEXLConfig.cmake, HEXLConfigVersion.cmake (HEXL::hexl)
# Usage: hexl-compat/install.sh PREFIX    (builds with `cargo build --release -p ckks-accel-capi`;
# honours CARGO_TARGET_DIR, CXX, CXXFLAGS). Then SEAL: -DSEAL_USE_INTEL_HEXL=ON
# -DHEXL_DIR=PREFIX/lib/cmake/hexl-1.2.6; OpenFHE (openfhe-hexl): CMAKE_FLAGS="-DINTEL_HEXL_PREBUILT=ON
# -DINTEL_HEXL_HINT_DIR=PREFIX" scripts/build-openfhe-development.sh.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 PREFIX" >&2
  exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
mkdir -p "$1"
prefix="$(cd "$1" && pwd)"
target="${CARGO_TARGET_DIR:-$repo/target}"
cxx="${CXX:-g++}"

(cd "$repo" && cargo build --release -p ckks-accel-capi)
mkdir -p "$prefix/lib/cmake/hexl-1.2.6" "$prefix/include"
# Copy the library right after the build (a shared target dir may be rebuilt by others).
cp "$target/release/libckks_accel.a" "$prefix/lib/libckks_accel.a"
cp "$repo/capi/include/ckks_accel.h" "$prefix/include/ckks_accel.h"
rm -rf "$prefix/include/hexl"
cp -r "$here/include/hexl" "$prefix/include/hexl"

obj="$(mktemp -d)"
trap 'rm -rf "$obj"' EXIT
# shellcheck disable=SC2086
"$cxx" -std=c++17 -O2 -fPIC -Wall -Wextra -Werror ${CXXFLAGS:-} -I"$prefix/include" \
  -c "$here/src/hexl_compat.cpp" -o "$obj/hexl_compat.o"
rm -f "$prefix/lib/libhexl.a"
ar rcs "$prefix/lib/libhexl.a" "$obj/hexl_compat.o"
cp "$here/cmake/HEXLConfig.cmake" "$here/cmake/HEXLConfigVersion.cmake" \
  "$prefix/lib/cmake/hexl-1.2.6/"
echo "hexl-compat installed in $prefix (HEXL_DIR=$prefix/lib/cmake/hexl-1.2.6)"
