#!/usr/bin/env bash
# ThreadSanitizer in CI: the engine's concurrency stress tests (tests/engine_concurrency.rs:
# 16 callers sharing one engine in task, static and limb modes, and progress callbacks that
# re-enter the engine) built with -Zsanitizer=thread on nightly, std rebuilt with the same
# instrumentation (-Zbuild-std). Fails on any data race TSan reports (it exits non-zero), on a
# hang (the tests' own 120 s watchdog) or on a test failure. Own target dir: the instrumented
# build shares nothing with the normal one. ~5 min cold on 2 cores, mostly std and the deps.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
start=$(date +%s)
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
rustup component add --toolchain nightly rust-src
export RUSTFLAGS="-Zsanitizer=thread" RUSTDOCFLAGS="-Zsanitizer=thread"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1}"
CARGO_TARGET_DIR=target/tsan cargo +nightly test -Zbuild-std \
  --target "$(rustc -vV | sed -n 's/^host: //p')" -p ckks-accel --test engine_concurrency
end=$(date +%s)
echo "== tsan: $((end - start)) s"
