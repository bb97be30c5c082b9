//! Key-switching kernels at the reference sets S and L, per ISA: fast basis conversion (ModUp of
//! one digit, and the P → Q conversion of ModDown), the lazy multiply-accumulate, and a full key
//! switch. `cargo bench --bench keyswitch -- S/` for set S only.

use ckks_accel::Isa;
use ckks_accel::keyswitch::ModDown;
use ckks_accel::keyswitch::{KeySwitcher, ReferenceSet};
use ckks_accel::rns::basis_conversion::BasisConverter;
use ckks_accel::rns::{Representation, RnsPoly, sampling};
use criterion::{Criterion, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::hint::black_box;

fn isas() -> Vec<Isa> {
    let mut v = vec![Isa::Scalar];
    for isa in [Isa::Avx512, Isa::Avx512Ifma] {
        if isa.is_available() {
            v.push(isa);
        }
    }
    v
}

fn bench_set(c: &mut Criterion, set: ReferenceSet) {
    let shape = set.primes().expect("reference primes");
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let mut group = c.benchmark_group(format!("{set}"));
    group.sample_size(10);
    for isa in isas() {
        let ks =
            KeySwitcher::with_isa(shape.n, &shape.q, &shape.p, shape.dnum, isa).expect("params");
        let (q, p, qp) = (
            ks.q_basis().clone(),
            ks.p_basis().clone(),
            ks.qp_basis().clone(),
        );
        let n = shape.n;
        // ModUp conversion of digit 0 to the other Q limbs and P.
        let digit = ks.digit_ranges(q.len())[0].clone();
        let others: Vec<usize> = (0..qp.len()).filter(|i| !digit.contains(i)).collect();
        let conv = BasisConverter::with_isa(
            &qp.sub_basis(digit.clone()),
            &qp.select(&others),
            &others,
            isa,
        )
        .expect("converter");
        let x = sampling::uniform(&qp.sub_basis(digit), Representation::Coefficient, &mut rng);
        let mut out = vec![0u64; qp.len() * n];
        let mut scratch = vec![0u64; conv.scratch_len()];
        group.bench_function(format!("mod_up_conversion/{isa}"), |b| {
            b.iter(|| conv.convert(black_box(x.as_words()), &mut out, &mut scratch))
        });
        // ModDown of one polynomial over Q ∪ P.
        let md = ModDown::with_isa(&q, &p, isa).expect("mod down");
        let y = sampling::uniform(&qp, Representation::Evaluation, &mut rng);
        let mut res = vec![0u64; q.len() * n];
        let mut md_scratch = vec![0u64; md.scratch_len(n)];
        let mut prof = Default::default();
        group.bench_function(format!("mod_down/{isa}"), |b| {
            b.iter(|| {
                md.apply(
                    &q,
                    &p,
                    black_box(y.as_words()),
                    &mut res,
                    &mut md_scratch,
                    &mut prof,
                )
            })
        });
        // Full key switch at the top level.
        let mut s = sampling::from_signed(&qp, &sampling::ternary_coeffs(n, None, &mut rng));
        s.ntt(&qp).expect("ntt");
        let key = ks.generate_key(&s, &s, &mut rng).expect("key");
        let d = sampling::uniform(&q, Representation::Evaluation, &mut rng);
        let mut c0 = RnsPoly::zero(&q, Representation::Evaluation);
        let mut c1 = c0.clone();
        let mut ks_scratch = ks.scratch();
        group.bench_function(format!("key_switch/{isa}"), |b| {
            b.iter(|| {
                ks.switch(black_box(&d), &key, &mut c0, &mut c1, &mut ks_scratch)
                    .expect("switch")
            })
        });
    }
    group.finish();
}

fn keyswitch(c: &mut Criterion) {
    bench_set(c, ReferenceSet::S);
    bench_set(c, ReferenceSet::L);
}

criterion_group!(benches, keyswitch);
criterion_main!(benches);
