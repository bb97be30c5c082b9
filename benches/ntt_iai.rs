//! Instruction counts (Callgrind, via iai-callgrind) of one forward and one inverse NTT, for
//! n = 2^12 and 2^14 over the largest NTT prime below 2^50, on the scalar and AVX2 paths.
//!
//! Valgrind emulates no AVX-512 and hides it from CPUID, so only scalar and AVX2 can run here.
//! If AVX2 is missing too, its cases measure nothing (a note goes to stderr) instead of failing.
//! Plan creation and input generation happen in `setup`, outside the measured function.
//!
//! Needs `iai-callgrind-runner` 0.16.1 on PATH: `cargo bench --bench ntt_iai`.

use ckks_accel::{AlignedVec, Isa, arith::ntt_primes, ntt::NttPlan};
use iai_callgrind::{library_benchmark, library_benchmark_group, main};
use std::hint::black_box;

/// Prime size: the largest NTT-friendly prime below 2^50.
const PRIME_BITS: u32 = 50;

/// A plan and an input buffer in [0, q), or `None` when the ISA is unavailable here.
type Case = Option<(NttPlan, AlignedVec)>;

/// Builds the plan for n = 2^`log_n` on `isa` and a deterministic input in [0, q).
fn setup(log_n: u32, isa: Isa) -> Case {
    let n = 1usize << log_n;
    let q = ntt_primes(PRIME_BITS, n, 1).expect("NTT prime exists")[0];
    if !isa.is_available() {
        eprintln!("ntt_iai: {isa} is not available under valgrind here; skipping n={n}");
        return None;
    }
    let plan = NttPlan::with_isa(n, q, isa).expect("isa is available");
    let input = (0..n as u64)
        .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) % q)
        .collect();
    Some((plan, input))
}

// One forward transform (input [0, q) ⊂ [0, 4q)). Plain comment: the macro rejects `doc`.
#[library_benchmark]
#[bench::n4096_scalar(args = (12, Isa::Scalar), setup = setup)]
#[bench::n4096_avx2(args = (12, Isa::Avx2), setup = setup)]
#[bench::n16384_scalar(args = (14, Isa::Scalar), setup = setup)]
#[bench::n16384_avx2(args = (14, Isa::Avx2), setup = setup)]
fn forward(case: Case) -> Case {
    case.map(|(plan, mut a)| {
        plan.forward(black_box(&mut a));
        (plan, a)
    })
}

// One inverse transform (input [0, q) ⊂ [0, 2q)).
#[library_benchmark]
#[bench::n4096_scalar(args = (12, Isa::Scalar), setup = setup)]
#[bench::n4096_avx2(args = (12, Isa::Avx2), setup = setup)]
#[bench::n16384_scalar(args = (14, Isa::Scalar), setup = setup)]
#[bench::n16384_avx2(args = (14, Isa::Avx2), setup = setup)]
fn inverse(case: Case) -> Case {
    case.map(|(plan, mut a)| {
        plan.inverse(black_box(&mut a));
        (plan, a)
    })
}

library_benchmark_group!(name = ntt; benchmarks = forward, inverse);

main!(library_benchmark_groups = ntt);
