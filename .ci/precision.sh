#!/usr/bin/env bash
# Precision checks of issue #10: exact ModDown / centered ModUp (every ISA against scalar, zero-mean
# rounding), key-switch noise as documented, CKKS sums without bias, and the batch report of
# `bench ckks` (hoisted max ≤ 1.5× tree). Runs from the repo root; needs only cargo and python3.
set -euo pipefail
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"
command -v python3 >/dev/null || { apt-get update -qq && apt-get install -y -qq python3; }
timeout 1800 cargo test --test precision --test precision_ckks
timeout 900 cargo test --features force-scalar --test precision
timeout 900 cargo run --release --quiet -- bench ckks --params S --reps 1 --batch 16 --json > /tmp/precision-bench.json
python3 - /tmp/precision-bench.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
e = d["errors"]
for name, row in e.items():
    print(f"{name:12s} max {row['max_abs']:.3e} mean {row['mean_abs']:.3e}")
    assert row["max_abs"] < 1e-6, f"{name}: max error {row['max_abs']} (before issue #10: ~5e-6)"
assert e["hoisted"]["max_abs"] <= 1.5 * e["tree"]["max_abs"], "hoisted max > 1.5 x tree max"
fresh = d["noise"]["fresh"]["coefficients"]
assert abs(fresh["mean"]) < 5 * fresh["std"] / fresh["count"] ** 0.5, "fresh encryption biased"
print("precision ok")
PY
