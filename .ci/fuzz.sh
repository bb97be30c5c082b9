#!/usr/bin/env bash
# Fuzzing in CI: builds the cargo-fuzz targets in fuzz/ on nightly and runs each for a bounded
# time (FUZZ_SECONDS, default 20 s) from its checked-in seed corpus. Fails on any crash, panic,
# timeout or leak libFuzzer reports. Prints executions per target.
#
# Targets: every deserializer (params, secret/public/relinearization/Galois keys, key bundles,
# encrypted batches,
# plaintexts, ciphertexts, sealed envelopes), the parameter builder, and the C ABI's entry
# points (capi_calls: NTT and element-wise calls with arbitrary lengths, factors and values,
# every C deserializer, garbage and freed handles).
#
# Longer runs (docs/development.md "Fuzzing"): FUZZ_SECONDS=3600 .ci/fuzz.sh, or one target:
#   cd fuzz && cargo +nightly fuzz run ciphertext_from_bytes -- -max_len=65536
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
secs="${FUZZ_SECONDS:-20}"
start=$(date +%s)

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
cargo +nightly fuzz --version

cd fuzz
targets=$(cargo +nightly fuzz list)
echo "== building $(echo "$targets" | wc -l) targets (release, debug assertions on)"
cargo +nightly fuzz build --debug-assertions
built=$(date +%s)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
summary=""
for t in $targets; do
  mkdir -p "$work/$t"
  seeds=()
  [ -d "corpus/$t" ] && seeds=("corpus/$t")
  echo "== $t (${secs} s)"
  log="$work/$t.log"
  if ! cargo +nightly fuzz run --debug-assertions "$t" "$work/$t" "${seeds[@]}" -- \
      -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log"
    grep -m 3 -E "panicked at|ERROR: libFuzzer" "$log" || true
    # The panic message is printed when the reproducer is replayed:
    "target/x86_64-unknown-linux-gnu/release/$t" "artifacts/$t"/* 2>&1 | grep -m 3 -A 2 "panicked at" || true
    echo "fuzz target $t FAILED (reproducer in fuzz/artifacts/$t/)" >&2
    exit 1
  fi
  runs=$(grep -Eo 'Done [0-9]+ runs' "$log" | grep -Eo '[0-9]+' | tail -n 1 || echo "?")
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 | grep -Eo '[0-9]+' || echo "?")
  summary+=$(printf '%-26s %10s execs  cov %s\n' "$t" "$runs" "$cov")$'\n'
done
end=$(date +%s)
echo "== fuzz summary (${secs} s per target; build $((built - start)) s, total $((end - start)) s)"
printf '%s' "$summary"
