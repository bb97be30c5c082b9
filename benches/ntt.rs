//! Wall-clock benchmarks of the negacyclic NTT, every available ISA side by side with the peer
//! crate `tfhe-ntt` on the same ring degree and prime, so each run shows the ratio.
//!
//! Groups `ntt_forward` and `ntt_inverse`; ids `fwd/n=65536/q50/avx512ifma`,
//! `fwd/n=65536/q50/tfhe-ntt`, … Throughput is counted in butterflies (n/2 · log2 n), so
//! criterion's "elem/s" reads as butterflies per second.
//!
//! What `tfhe-ntt` 0.7.1 runs: AVX-512 IFMA for p < 2^51 when the CPU has it, otherwise
//! AVX-512 (feature `avx512`), then AVX2, then scalar; for p < 2^62 it uses the same Harvey/Shoup
//! lazy butterflies as this crate. Its `inv` does **not** scale by 1/n (this crate's `inverse`
//! does, folded into the last stage), so the inverse group shows it twice: `tfhe-ntt` (`inv`
//! alone) and `tfhe-ntt+normalize` (`inv` then `normalize`, the same result as ours).
//!
//! Quick check: `cargo bench --bench ntt -- --warm-up-time 1 --measurement-time 2`.

mod support;
use support::{NTT_SEED, butterflies, random_residues};

use ckks_accel::{AlignedVec, Isa, arith::ntt_primes, ntt::NttPlan};
use criterion::{
    BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main, measurement::WallTime,
};
use std::hint::black_box;

/// log2 of the ring degrees benchmarked.
const LOG_DEGREES: [u32; 3] = [12, 14, 16];
/// Prime sizes: the largest NTT-friendly prime below 2^bits.
const PRIME_BITS: [u32; 2] = [50, 62];

/// Transform direction of one benchmark group.
#[derive(Clone, Copy)]
enum Direction {
    Forward,
    Inverse,
}

impl Direction {
    fn group_name(self) -> &'static str {
        match self {
            Direction::Forward => "ntt_forward",
            Direction::Inverse => "ntt_inverse",
        }
    }

    fn id_prefix(self) -> &'static str {
        match self {
            Direction::Forward => "fwd",
            Direction::Inverse => "inv",
        }
    }
}

/// The ISAs this CPU can run for modulus `q` (IFMA only below 2^50).
fn isas_for(q: u64) -> impl Iterator<Item = Isa> {
    Isa::available()
        .into_iter()
        .filter(move |isa| isa.best_for_modulus(q) == *isa)
}

/// This crate's transform on one ISA. Outputs are in [0, q), valid inputs for the next call.
fn bench_ours(
    group: &mut BenchmarkGroup<'_, WallTime>,
    dir: Direction,
    case: &str,
    plan: &NttPlan,
) {
    let mut buf = random_residues(plan.n(), plan.modulus(), NTT_SEED);
    group.bench_function(
        format!("{}/{case}/{}", dir.id_prefix(), plan.isa()),
        |b| match dir {
            Direction::Forward => b.iter(|| plan.forward(black_box(&mut buf))),
            Direction::Inverse => b.iter(|| plan.inverse(black_box(&mut buf))),
        },
    );
}

/// The peer `tfhe-ntt` on the same degree and prime (it picks its own ISA).
fn bench_tfhe(
    group: &mut BenchmarkGroup<'_, WallTime>,
    dir: Direction,
    case: &str,
    n: usize,
    q: u64,
) {
    let plan =
        tfhe_ntt::prime64::Plan::try_new(n, q).expect("tfhe-ntt accepts every NTT prime < 2^62");
    let mut buf = random_residues(n, q, NTT_SEED);
    let prefix = dir.id_prefix();
    match dir {
        Direction::Forward => {
            group.bench_function(format!("{prefix}/{case}/tfhe-ntt"), |b| {
                b.iter(|| plan.fwd(black_box(&mut buf)))
            });
        }
        Direction::Inverse => {
            group.bench_function(format!("{prefix}/{case}/tfhe-ntt"), |b| {
                b.iter(|| plan.inv(black_box(&mut buf)))
            });
            group.bench_function(format!("{prefix}/{case}/tfhe-ntt+normalize"), |b| {
                b.iter(|| {
                    plan.inv(black_box(&mut buf));
                    plan.normalize(&mut buf);
                })
            });
        }
    }
}

/// One group: every (n, prime) case, every ISA, then the peer.
fn bench_direction(c: &mut Criterion, dir: Direction) {
    let mut group = c.benchmark_group(dir.group_name());
    for log_n in LOG_DEGREES {
        let n = 1usize << log_n;
        group.throughput(Throughput::Elements(butterflies(n)));
        for bits in PRIME_BITS {
            let q = ntt_primes(bits, n, 1).expect("NTT prime exists")[0];
            let case = format!("n={n}/q{bits}");
            for isa in isas_for(q) {
                let plan = NttPlan::with_isa(n, q, isa).expect("isa is available and fits q");
                bench_ours(&mut group, dir, &case, &plan);
            }
            bench_tfhe(&mut group, dir, &case, n, q);
        }
    }
    group.finish();
}

fn ntt_forward(c: &mut Criterion) {
    bench_direction(c, Direction::Forward);
}

fn ntt_inverse(c: &mut Criterion) {
    bench_direction(c, Direction::Inverse);
}

/// Element-wise `mul` and fused `mul_add` at n = 2^16 per ISA, with tfhe-ntt's point-wise
/// product (`mul_accumulate` into a zeroed buffer, its closest operation) as the peer.
fn eltwise(c: &mut Criterion) {
    let n = 1 << 16;
    let mut group = c.benchmark_group("eltwise");
    group.throughput(Throughput::Elements(n as u64));
    for bits in PRIME_BITS {
        let q = ntt_primes(bits, n, 1).expect("prime exists")[0];
        let (a, b) = (random_residues(n, q, 11), random_residues(n, q, 12));
        let mut out = AlignedVec::zeroed(n);
        for isa in isas_for(q) {
            let ops = ckks_accel::eltwise::Eltwise::with_isa(q, isa).expect("available");
            group.bench_function(format!("mul/n={n}/q{bits}/{isa}"), |bch| {
                bch.iter(|| ops.mul(black_box(&a), black_box(&b), &mut out))
            });
            group.bench_function(format!("mul_add/n={n}/q{bits}/{isa}"), |bch| {
                bch.iter(|| ops.mul_add(black_box(&a), black_box(&b), black_box(&a), &mut out))
            });
        }
        let plan = tfhe_ntt::prime64::Plan::try_new(n, q).expect("tfhe-ntt plan");
        group.bench_function(format!("mul_add/n={n}/q{bits}/tfhe-ntt"), |bch| {
            bch.iter(|| {
                out.fill(0);
                plan.mul_accumulate(&mut out, black_box(&a), black_box(&b))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, ntt_forward, ntt_inverse, eltwise);
criterion_main!(benches);
