#!/usr/bin/env bash
# CI for the Intel HEXL drop-in (issue 22): install hexl-compat into a scratch prefix, run its
# C++ bit-exactness test, then build Microsoft SEAL 4.0 (the source bundled by the `seal_fhe`
# crate, fetched with cargo from crates.io) with -DSEAL_USE_INTEL_HEXL=ON against it (after a
# CMake consumer checks the package the way SEAL and openfhe-hexl find it),
# SEAL_BUILD_TESTS=ON, SEAL_BUILD_DEPS=OFF (Debian's googletest), and run SEAL's own test
# suite `sealtest`: every test must pass (278 in SEAL 4.0). Closing line:
#   sealtest: 278 passed, 0 failed
# (also repeated as the very last line). Installs cmake, g++, libgtest-dev and libbenchmark-dev
# when missing (apt-get). Runs from the repo root; the
# scratch tree is $SEAL_CI_DIR (default target/seal-ci); C++ builds use $SEAL_JOBS (default 2)
# jobs. Then (SEAL_BENCH=0 skips it) builds `sealbench` against native SEAL and against
# hexl-compat (libbenchmark-dev) and prints the NTT / multiply / relinearize / rotate rows at
# n = 2^13..2^15 side by side: a report, not a gate (timings on shared CI machines are noisy;
# see docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
repo="$PWD"
jobs="${SEAL_JOBS:-2}"
bench="${SEAL_BENCH:-1}"
work="${SEAL_CI_DIR:-$repo/target/seal-ci}"
expected="${SEAL_EXPECTED_TESTS:-278}"
seal_crate_version="0.8.1"
mkdir -p "$work"
t0=$SECONDS
lap() { echo "-- $* (t=$((SECONDS - t0))s)"; }

pkgs=()
command -v cmake >/dev/null 2>&1 || pkgs+=(cmake)
command -v g++ >/dev/null 2>&1 || pkgs+=(g++)
dpkg -s libgtest-dev >/dev/null 2>&1 || pkgs+=(libgtest-dev)
if [ "$bench" = 1 ]; then
  dpkg -s libbenchmark-dev >/dev/null 2>&1 || pkgs+=(libbenchmark-dev)
fi
if [ ${#pkgs[@]} -gt 0 ]; then
  echo "== installing ${pkgs[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi

echo "== SEAL 4.0 source: crate seal_fhe $seal_crate_version (cargo fetch)"
fetch="$work/fetch"
mkdir -p "$fetch/src"
cat > "$fetch/Cargo.toml" <<TOML
[package]
name = "seal-source-fetch"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
seal_fhe = "=$seal_crate_version"

[workspace]
TOML
echo "fn main() {}" > "$fetch/src/main.rs"
cargo fetch --manifest-path "$fetch/Cargo.toml" -q
manifest="$(cargo metadata --manifest-path "$fetch/Cargo.toml" --format-version 1 \
  | grep -o "\"manifest_path\":\"[^\"]*seal_fhe-$seal_crate_version/Cargo.toml\"" | head -1 \
  | sed 's/.*":"//; s/"$//')"
seal_src="$(dirname "$manifest")/SEAL"
test -f "$seal_src/CMakeLists.txt"
test -d "$seal_src/native/tests"
echo "SEAL source: $seal_src"
lap "source"

echo "== hexl-compat/install.sh (cargo build --release -p ckks-accel-capi + headers + CMake package)"
prefix="$work/hexl-prefix"
hexl-compat/install.sh "$prefix"
lap "install"

echo "== hexl-compat bit-exactness test (C++, against straightforward references)"
g++ -std=c++17 -O2 -Wall -Wextra -Werror -I"$prefix/include" \
  hexl-compat/tests/test_hexl_compat.cpp "$prefix/lib/libhexl.a" "$prefix/lib/libckks_accel.a" \
  -lpthread -ldl -lm -o "$work/test_hexl_compat"
"$work/test_hexl_compat" | tee "$work/test_hexl_compat.log"
grep -q ' 0 failed$' "$work/test_hexl_compat.log"
lap "compat test"

echo "== CMake package: find_package(HEXL 1.2.3 / 1.2.5 / 1.2.6) as SEAL and openfhe-hexl ask, 1.3.0 refused"
for v in 1.2.3 1.2.5 1.2.6; do
  cmake -S hexl-compat/tests/cmake-consumer -B "$work/consumer-$v" -DCMAKE_BUILD_TYPE=Release \
    -DHEXL_REQUEST="$v" -DHEXL_HINT="$prefix" >"$work/consumer-$v.log"
  grep "requested $v" "$work/consumer-$v.log"
done
cmake --build "$work/consumer-1.2.6" -j "$jobs" >/dev/null
"$work/consumer-1.2.6/hexl_consumer" | tee "$work/consumer.out"
grep -q '^hexl consumer: OK$' "$work/consumer.out"
if cmake -S hexl-compat/tests/cmake-consumer -B "$work/consumer-1.3.0" -DHEXL_REQUEST=1.3.0 \
  -DHEXL_HINT="$prefix" >"$work/consumer-1.3.0.log" 2>&1; then
  echo "a request for HEXL 1.3.0 was accepted" >&2
  exit 1
fi
lap "cmake package"

# SEAL options: nothing optional (no zlib/zstd/MSGSL, no C wrapper, examples or bench).
seal_opts=(-DCMAKE_BUILD_TYPE=Release -DSEAL_BUILD_DEPS=OFF -DSEAL_USE_MSGSL=OFF
  -DSEAL_USE_ZLIB=OFF -DSEAL_USE_ZSTD=OFF -DSEAL_BUILD_SEAL_C=OFF -DSEAL_BUILD_EXAMPLES=OFF)

echo "== SEAL 4.0 with -DSEAL_USE_INTEL_HEXL=ON -DHEXL_DIR=$prefix/lib/cmake/hexl-1.2.6"
cmake -S "$seal_src" -B "$work/seal-hexl" "${seal_opts[@]}" -DSEAL_BUILD_TESTS=ON \
  -DSEAL_BUILD_BENCH="$( [ "$bench" = 1 ] && echo ON || echo OFF)" -DSEAL_USE_INTEL_HEXL=ON \
  -DHEXL_DIR="$prefix/lib/cmake/hexl-1.2.6" >"$work/seal-hexl.configure.log"
grep -q "ckks-accel hexl-compat" "$work/seal-hexl.configure.log"
nice -n 5 cmake --build "$work/seal-hexl" -j "$jobs" --target sealtest
lap "sealtest build"

echo "== sealtest"
set +e
"$work/seal-hexl/bin/sealtest" --gtest_color=no >"$work/sealtest.log" 2>&1
rc=$?
set -e
grep -E '^\[  (FAILED|PASSED) +\]|^\[==========\]' "$work/sealtest.log" || true
passed="$(sed -n 's/^\[  PASSED  \] \([0-9]*\) tests\{0,1\}\..*/\1/p' "$work/sealtest.log" | tail -1)"
failed="$(sed -n 's/^\[  FAILED  \] \([0-9]*\) tests\{0,1\}, listed below:.*/\1/p' "$work/sealtest.log" | tail -1)"
passed="${passed:-0}"
failed="${failed:-0}"
lap "sealtest run"
echo "sealtest: $passed passed, $failed failed"
if [ "$rc" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -ne "$expected" ]; then
  echo "sealtest FAILED: exit $rc, $passed passed (expected $expected), $failed failed" >&2
  exit 1
fi

if [ "$bench" = 1 ]; then
  echo "== sealbench: hexl-compat and native SEAL"
  nice -n 5 cmake --build "$work/seal-hexl" -j "$jobs" --target sealbench
  cmake -S "$seal_src" -B "$work/seal-native" "${seal_opts[@]}" -DSEAL_BUILD_TESTS=OFF \
    -DSEAL_BUILD_BENCH=ON -DSEAL_USE_INTEL_HEXL=OFF >"$work/seal-native.configure.log"
  nice -n 5 cmake --build "$work/seal-native" -j "$jobs" --target sealbench
  filter='n=(8192|16384|32768) / log.q.=[0-9]+ / (UTIL / NTT(Forward|Inverse)|CKKS / Evaluate(MulCt|RelinInplace|Rotate))/iterations:10$'
  for flavour in native hexl; do
    "$work/seal-$flavour/bin/sealbench" --benchmark_filter="$filter" \
      --benchmark_format=csv >"$work/sealbench-$flavour.csv" 2>/dev/null
    rows="$(grep -c '^"n=' "$work/sealbench-$flavour.csv" || true)"
    echo "sealbench ($flavour): $rows rows in $work/sealbench-$flavour.csv"
    [ "$rows" -eq 15 ]  # 5 operations x 3 degrees: a renamed benchmark must not go unnoticed
  done
  # One row per benchmark: native µs, hexl-compat µs, native ÷ hexl-compat (cpu_time column).
  awk -F'"' 'FNR == 1 { f++ } /^"n=/ { split($3, c, ","); t[f, $2] = c[4]; if (f == 1) order[++k] = $2 }
    END { printf "%-52s %12s %12s %8s\n", "sealbench (us, cpu time)", "native", "hexl-compat", "speedup";
          for (i = 1; i <= k; i++) { name = order[i]; label = name; sub("/iterations:10", "", label);
            printf "%-52s %12.1f %12.1f %7.2fx\n", label, t[1, name], t[2, name], t[1, name] / t[2, name] } }' \
    "$work/sealbench-native.csv" "$work/sealbench-hexl.csv" | tee "$work/sealbench-table.txt"
  lap "sealbench"
fi
echo "seal CI: all checks passed"
echo "sealtest: $passed passed, $failed failed"
