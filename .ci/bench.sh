#!/usr/bin/env bash
# CI steps of the bench commands (issue 13, "Also"): `bench ntt` with its tfhe-ntt peer row and
# cycle figures, `bench keyswitch` cycles, and `bench scaling` (relinearization vs Q limbs and
# ring degree, ours and OpenFHE's, SVG + JSON) on a tiny grid, end to end; then the checked-in
# plot and its JSON are checked for shape (not re-measured: timings need an idle machine).
# Runs from the repository root. Creates the OpenFHE venv (PyPI wheel, CPython 3.10 via pyenv,
# as shared/peers/openfhe/run.sh does) when python3.10 is present; without it the OpenFHE side
# is skipped and the tests check the "not measured" path instead.
set -euo pipefail
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"

venv="${OPENFHE_VENV:-$HOME/.cache/ckks-accel-peers/openfhe-venv}"
if [ ! -x "$venv/bin/python" ]; then
  py=""
  for c in "$(pyenv root 2>/dev/null)/versions/3.10"*/bin/python3.10 "$(command -v python3.10 2>/dev/null || true)"; do
    if [ -x "$c" ] && "$c" --version >/dev/null 2>&1; then py=$c; break; fi
  done
  if [ -n "$py" ]; then
    "$py" -m venv "$venv"
    timeout 900 "$venv/bin/pip" install -q "openfhe==1.6.1.0.22.4" "numpy<3"
  else
    echo "python3.10 not found: bench scaling is tested without OpenFHE"
  fi
fi

timeout 1800 cargo test -p ckks-accel-cli --test cli bench_

timeout 1800 cargo build --release -p ckks-accel-cli
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
timeout 600 target/release/ckks-accel bench scaling --limbs 2,4 --limbs-log-n 12 --log-n 12,13 \
  --reps 3 --svg "$tmp/relin.svg"
python3 - "$tmp/relin.svg" docs/relin-scaling.svg <<'EOF'
import json, sys, xml.dom.minidom
for svg in sys.argv[1:]:
    doc = xml.dom.minidom.parse(svg)  # well-formed XML
    assert doc.documentElement.tagName == "svg", svg
    text = " ".join(t.firstChild.data for t in doc.getElementsByTagName("text") if t.firstChild)
    for needle in ("Relinearization time", "CPU: ", "UTC", "Q limbs", "ring degree"):
        assert needle in text, (svg, needle)
    data = json.load(open(svg[: -len(".svg")] + ".json"))
    assert data["bench"] == "scaling" and data["cases"], svg
    for c in data["cases"]:
        assert c["ours"]["relin_ms"] > 0, c
    print(svg, len(data["cases"]), "cases; OpenFHE:",
          data["openfhe"]["openfhe_version"] if data["openfhe"] else data["openfhe_skipped"])
EOF
