#!/usr/bin/env bash
# Miri in CI: runs the scalar paths under Miri's undefined-behaviour checker at n = 16 —
# tests/miri.rs (scalar NTT and element-wise kernels, a whole CKKS pipeline with key generation,
# key switching, rescaling, rotation, serialization and sealing, the engine on two threads) and
# the library's serialization and sampler unit tests — with every SIMD path compiled out
# (--features force-scalar).
#
# What Miri cannot reach, and why: the AVX2 / AVX-512 / IFMA kernels and the two gather blocks
# in rns/automorphism.rs (most AVX-512 intrinsics are not implemented by Miri, and run-time
# detection executes CPUID/XGETBV, which Miri cannot run), so the unsafe token constructions in
# isa.rs are not executed either; those paths are checked bit for bit against scalar by the
# normal tests instead. Real-size parameters (n = 2^12..2^16) are ~10^3x too slow under Miri.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
start=$(date +%s)
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
rustup component add --toolchain nightly miri rust-src
cargo +nightly miri setup
# Isolation stays on: getrandom and the clock are emulated deterministically by Miri.
# Tree Borrows: under the default Stacked Borrows model, rayon's dependency crossbeam-epoch
# (internal.rs, `Local` list entries cast back to their container) is reported — a pattern Tree
# Borrows accepts; the pipeline up to the engine also ran clean under Stacked Borrows.
# Permissive provenance: crossbeam-epoch's tagged pointers are integer-to-pointer casts.
# Ignore leaks: rayon's pool threads and crossbeam-epoch's global collector are deliberately
# never freed before exit (reported as leaks otherwise; the tests themselves pass).
export MIRIFLAGS="${MIRIFLAGS:--Zmiri-tree-borrows -Zmiri-permissive-provenance -Zmiri-ignore-leaks}"
cargo +nightly miri test --no-default-features --features force-scalar --test miri
end=$(date +%s)
echo "== miri: $((end - start)) s"
