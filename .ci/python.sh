#!/usr/bin/env bash
# CI for the Python package (issue 14): a fresh venv, the pinned test dependencies from PyPI,
# `pip install ./python` (maturin builds the PyO3 extension in release mode), the pytest suite
# (API, seeded keys and compressed ciphertexts, a real 2-worker Dask LocalCluster with a worker
# killed mid-run, and data-local shard runs through fsspec's local filesystem) and
# the example script. Runs from the repo root; ~5 min on 2 cores from cold (the extension's
# release build is most of it), ~1 min when target/ is warm.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if ! command -v "$PY" >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
  PY=python3
fi
"$PY" -c 'import sys; assert sys.version_info >= (3, 9), sys.version' 

VENV=target/ci-python-venv
if [ ! -x "$VENV/bin/python" ]; then
  if ! "$PY" -m venv "$VENV" 2>/dev/null; then
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
  fi
fi
# shellcheck disable=SC1091
. "$VENV/bin/activate"
python -m pip install -q --upgrade "pip>=24"
python -m pip install -q "maturin==1.16.0" "numpy==2.4.6" "pytest==9.2.0" \
  "dask==2026.8.0" "distributed==2026.8.0" "fsspec==2026.9.0" \
  "xxhash==4.1.0"

echo "== pip install ./python"
start=$(date +%s)
python -m pip install -q --force-reinstall --no-deps ./python
echo "built and installed in $(( $(date +%s) - start )) s"
python -c 'import ckks_accel as ck; print("ckks_accel", ck.__version__, "ISA", ck.ISA, "format", ck.FORMAT_VERSION)'

echo "== pytest python/tests"
# Outside python/, so `import ckks_accel` is the installed package, not the source folder.
(cd python/tests && python -m pytest -q -p no:cacheprovider .)

echo "== examples/python/inner_product.py"
python examples/python/inner_product.py --k 4
