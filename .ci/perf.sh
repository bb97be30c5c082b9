#!/usr/bin/env bash
# CI steps of the key-switching performance work (issue 13): the conversion kernels' bit-exactness
# tests on every ISA of this machine and under force-scalar, and the "no outlined intrinsics"
# check of asm-notes/README.md on the release binary (a closure around SIMD code compiles
# without the target features and calls each intrinsic as a function: 20–60× slower).
# Runs from the repository root; needs cargo and binutils (objdump).
set -euo pipefail
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"
command -v objdump >/dev/null || { apt-get update -qq && apt-get install -y -qq binutils; }

timeout 1800 cargo test --test rns --test keyswitch --test precision
timeout 1800 cargo test --features force-scalar --test rns --test keyswitch --test precision

timeout 1800 cargo build --release --bin ckks-accel
outlined=$(objdump -d --no-show-raw-insn target/release/ckks-accel | grep -c 'call.*_mm' || true)
if [ "$outlined" != "0" ]; then
    echo "error: $outlined calls to outlined SIMD intrinsics in target/release/ckks-accel" >&2
    exit 1
fi
# The conversion figure of `bench keyswitch --json` exists and is a number.
target/release/ckks-accel bench keyswitch --params S --reps 3 --json |
    python3 -c 'import json,sys; d=json.load(sys.stdin); c=d["conversion"]["ns_per_output_word"]; assert c > 0, c; print("conversion ns/word", c)'
