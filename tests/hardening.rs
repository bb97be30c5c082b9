//! Regression tests for issue 12: every panic and silent wrong answer found by hand and by
//! fuzzing is a typed error now, resource caps are checked before anything is allocated, and
//! the secret samplers have the right distributions.

use ckks_accel::Error;
use ckks_accel::arith::ntt_primes;
use ckks_accel::ckks::*;
use ckks_accel::parallel::{EngineConfig, InnerProductEngine, MAX_THREADS, PackedLayout};
use ckks_accel::rns::{Representation, RnsBasis, RnsPoly, sampling};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

fn params() -> CkksParams {
    common::toy_params()
}

struct Env {
    ctx: Arc<CkksContext>,
    sk: SecretKey,
    pk: PublicKey,
    eval: Evaluator,
}

fn env() -> Env {
    let ctx = CkksContext::new(params()).unwrap();
    let (sk, pk, keys) = common::test_keys(&ctx, 1, &[1, 2, 4, 8]);
    let eval = Evaluator::new(ctx.clone(), Arc::new(keys)).unwrap();
    Env { ctx, sk, pk, eval }
}

impl Env {
    fn enc(&self, v: &[f64], scale: f64) -> Ciphertext {
        let pt = Encoder::new(self.ctx.clone())
            .encode(v, scale, self.ctx.params().max_level())
            .unwrap();
        Encryptor::with_public_key(self.ctx.clone(), &self.pk)
            .unwrap()
            .with_seed(2)
            .encrypt(&pt)
            .unwrap()
    }
}

fn quick<T>(f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let r = f();
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "took {:?}",
        t.elapsed()
    );
    r
}

#[test]
fn prime_counts_are_capped_before_generating_anything() {
    // 65 Q primes used to be accepted and then panic in decoding (a 64-entry CRT array);
    // 1000 primes with the insecure opt-in ran for a minute and grew to 19 GB.
    for count in [MAX_Q_PRIMES + 1, 1000] {
        let r = quick(|| {
            CkksParams::builder()
                .ring_degree(1 << 12)
                .q_bits(&vec![40; count])
                .p_bits(&[60])
                .dnum(count.div_ceil(8))
                .allow_insecure(true)
                .build()
        });
        assert!(matches!(r, Err(Error::InvalidParameters { .. })), "{r:?}");
    }
    let r = quick(|| {
        CkksParams::builder()
            .ring_degree(1 << 12)
            .q_bits(&[40])
            .p_bits(&[60; MAX_P_PRIMES + 1])
            .allow_insecure(true)
            .build()
    });
    assert!(matches!(r, Err(Error::InvalidParameters { .. })), "{r:?}");
    let r = CkksParams::builder()
        .ring_degree(MAX_CKKS_RING_DEGREE * 2)
        .q_bits(&[60])
        .p_bits(&[60])
        .allow_insecure(true)
        .build();
    assert!(matches!(r, Err(Error::InvalidRingDegree { .. })), "{r:?}");
}

#[test]
fn digit_counts_that_leave_empty_digits_are_an_error() {
    // Found by fuzz/params_builder: 13 Q primes in 10 digits (⌈13/10⌉ = 2 per digit fill only 7)
    // panicked slicing the Q chain.
    let r = CkksParams::builder()
        .ring_degree(1 << 12)
        .q_bits(&[47; 13])
        .p_bits(&[47; 7])
        .dnum(10)
        .log_scale(40)
        .allow_insecure(true)
        .build();
    match r {
        Err(Error::InvalidParameters { reason }) => assert!(reason.contains("empty digits")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn more_than_fifteen_digits_is_an_error_not_a_panic() {
    // Found while splitting keyswitch/: 16 one-prime digits built a switcher whose digit MAC
    // (at most 15 digits) then indexed out of bounds in the first switch.
    let n = 1 << 4;
    let q = ntt_primes(30, n, 16).unwrap();
    let p = ntt_primes(31, n, 1).unwrap();
    match ckks_accel::keyswitch::KeySwitcher::new(n, &q, &p, 16) {
        Err(Error::InvalidKeySwitchParams { reason }) => {
            assert!(
                reason.contains("16 key-switching digits: at most 15"),
                "{reason}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(ckks_accel::keyswitch::KeySwitcher::new(n, &q[..15], &p, 15).is_ok());
    let r = CkksParams::builder()
        .ring_degree(1 << 12)
        .q_bits(&[40; 16])
        .p_bits(&[45])
        .dnum(16)
        .log_scale(30)
        .allow_insecure(true)
        .build();
    match r {
        Err(Error::InvalidParameters { reason }) => {
            assert!(reason.contains("at most 15"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn ntt_primes_with_a_huge_count_is_an_error() {
    for count in [usize::MAX, 1 << 40] {
        let r = quick(|| ntt_primes(50, 1 << 12, count));
        assert!(matches!(r, Err(Error::NotEnoughPrimes { .. })), "{r:?}");
    }
}

#[test]
fn centered_value_checks_its_input() {
    let e = env();
    let q = e.ctx.params().q().to_vec();
    assert_eq!(e.ctx.centered_value(&[q[0] - 1]).unwrap(), -1.0);
    assert!(matches!(
        e.ctx.centered_value(&[0; 65]),
        Err(Error::InvalidLevel { .. })
    ));
    assert!(matches!(
        e.ctx.centered_value(&[0; 4]),
        Err(Error::InvalidLevel { .. })
    ));
    assert!(e.ctx.centered_value(&[]).is_err());
    assert!(matches!(
        e.ctx.centered_value(&[q[0]]),
        Err(Error::ModulusOutOfRange { .. })
    ));
}

#[test]
fn limb_index_out_of_range_is_an_error() {
    let basis = RnsBasis::new(64, &ntt_primes(40, 64, 2).unwrap()).unwrap();
    let mut p = RnsPoly::zero(&basis, Representation::Coefficient);
    assert_eq!(p.try_limb(1).unwrap().len(), 64);
    assert!(matches!(p.try_limb(2), Err(Error::InvalidLevel { .. })));
    assert!(matches!(
        p.try_limb_mut(99),
        Err(Error::InvalidLevel { .. })
    ));
}

#[test]
fn packed_unpack_refuses_inconsistent_input() {
    let layout = PackedLayout::new(8, 4).unwrap(); // 2 vectors per ciphertext
    let decoded = vec![vec![1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0]];
    assert_eq!(layout.unpack(&decoded, 2).unwrap(), vec![1.0, 2.0]);
    assert!(matches!(
        layout.unpack(&decoded, 3),
        Err(Error::InvalidParameters { .. })
    ));
    assert!(matches!(
        layout.unpack(&[vec![1.0; 5]], 2),
        Err(Error::InvalidParameters { .. })
    ));
}

#[test]
fn engine_thread_count_is_capped() {
    let e = env();
    for threads in [1usize << 24, MAX_THREADS + 1, 0] {
        let r = quick(|| {
            InnerProductEngine::new(
                e.eval.clone(),
                EngineConfig {
                    threads: Some(threads),
                    ..Default::default()
                },
            )
        });
        assert!(
            matches!(r, Err(Error::InvalidParameters { .. })),
            "{threads}"
        );
    }
}

#[test]
fn degree_three_inputs_are_refused_where_a_part_would_be_dropped() {
    let e = env();
    let d = e.ctx.params().default_scale();
    let a = e.enc(&[0.5; 8], d);
    let ct3 = e.eval.mul(&a, &a).unwrap();
    assert_eq!(ct3.degree(), 3);
    let mut s = e.eval.scratch();
    let wrong = |r: Result<(), Error>| {
        assert!(
            matches!(
                r,
                Err(Error::WrongDegree {
                    expected: 2,
                    found: 3
                })
            ),
            "{r:?}"
        )
    };
    wrong(e.eval.conjugate(&ct3, &mut s).map(|_| ()));
    wrong(e.eval.inner_sum_assign(&mut ct3.clone(), 8, &mut s));
    let hoisted = SumMethod::Hoisted(SumPlan::radix(8, 2).unwrap());
    wrong(e.eval.inner_sum_with(&mut ct3.clone(), &hoisted, 8, &mut s));
    wrong(e.eval.rotate(&ct3, 1, &mut s).map(|_| ()));
}

#[test]
fn merging_galois_keys_of_other_parameters_is_an_error() {
    let e = env();
    let other_params = common::insecure_params(10, &[50, 35], &[50], 2, 35);
    let other = CkksContext::new(other_params).unwrap();
    let mut kg_other = KeyGenerator::from_seed(other.clone(), 3);
    let sk_other = kg_other.secret_key().unwrap();
    let foreign = kg_other.galois_keys(&sk_other, &[3], false).unwrap();
    let mut kg = KeyGenerator::from_seed(e.ctx.clone(), 1);
    let mut mine = kg.galois_keys(&e.sk, &[1], false).unwrap();
    let before = mine.elements();
    assert!(matches!(
        mine.merge(foreign),
        Err(Error::ParamsMismatch { .. })
    ));
    assert_eq!(mine.elements(), before, "nothing merged");
    mine.merge(kg.galois_keys(&e.sk, &[2], false).unwrap())
        .unwrap();
    assert_eq!(mine.len(), 2);
    let mut empty = GaloisKeys::default();
    empty.merge(mine).unwrap();
    assert_eq!(empty.len(), 2);
}

#[test]
fn scales_out_of_range_are_errors() {
    let e = env();
    let enc = Encoder::new(e.ctx.clone());
    let top = e.ctx.params().max_level();
    for bad in [
        0.0,
        5e-324,
        0.5,
        -1.0,
        f64::NAN,
        f64::INFINITY,
        2f64.powi(200),
    ] {
        assert!(
            matches!(
                enc.encode(&[1.0], bad, top),
                Err(Error::ScaleOutOfRange { .. })
            ),
            "{bad}"
        );
    }
    // Products whose scale leaves the modulus budget (Q ≈ 2^120 here): 2^70 · 2^70.
    let big = e.enc(&[0.5], 2f64.powi(70));
    assert!(matches!(
        e.eval.mul(&big, &big),
        Err(Error::ScaleOutOfRange { .. })
    ));
    let mut c = big.clone();
    assert!(matches!(
        e.eval
            .mul_const_assign(&mut c, 2.0)
            .and_then(|_| e.eval.mul_const_assign(&mut c, 2.0)),
        Err(Error::ScaleOutOfRange { .. })
    ));
    // Rescaling a fresh ciphertext twice would leave a scale below 1.
    let fresh = e.enc(&[0.5], e.ctx.params().default_scale());
    let mut s = e.eval.scratch();
    let once = e.eval.rescale(&fresh, &mut s).unwrap();
    assert!(matches!(
        e.eval.rescale(&once, &mut s),
        Err(Error::ScaleOutOfRange { .. })
    ));
}

#[test]
fn sparse_sampler_has_exact_weight_and_balanced_signs_and_positions() {
    let (n, h) = (1 << 12, 64);
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let mut per_position = vec![0u32; n];
    let (mut plus, mut minus) = (0, 0);
    let trials = 200;
    for _ in 0..trials {
        let c = sampling::ternary_coeffs(n, Some(h), &mut rng);
        assert_eq!(c.iter().filter(|&&x| x != 0).count(), h);
        assert!(c.iter().all(|&x| (-1..=1).contains(&x)));
        plus += c.iter().filter(|&&x| x == 1).count();
        minus += c.iter().filter(|&&x| x == -1).count();
        for (i, &x) in c.iter().enumerate() {
            per_position[i] += (x != 0) as u32;
        }
    }
    let total = (trials * h) as f64;
    assert!(
        ((plus as f64) / total - 0.5).abs() < 0.03,
        "{plus} vs {minus}"
    );
    // Non-zeros spread over the positions: each eighth of the ring gets ~1/8 of them.
    for chunk in per_position.chunks(n / 8) {
        let share = chunk.iter().sum::<u32>() as f64 / total;
        assert!((share - 0.125).abs() < 0.02, "{share}");
    }
    // Uniform ternary: each value ~1/3.
    let c = sampling::ternary_coeffs(30000, None, &mut rng);
    for v in -1..=1 {
        let share = c.iter().filter(|&&x| x == v).count() as f64 / 30000.0;
        assert!((share - 1.0 / 3.0).abs() < 0.02, "{v}: {share}");
    }
    // from_signed maps negatives with the masked add.
    let basis = RnsBasis::new(16, &ntt_primes(40, 16, 1).unwrap()).unwrap();
    let q = basis.primes()[0];
    let p = sampling::from_signed(&basis, &[-1, 0, 1, -19, 19, i64::MIN, i64::MAX]);
    let want = [
        q - 1,
        0,
        1,
        q - 19,
        19,
        i64::MIN.rem_euclid(q as i64) as u64,
        i64::MAX.rem_euclid(q as i64) as u64,
    ];
    assert_eq!(&p.limb(0)[..7], &want);
}
