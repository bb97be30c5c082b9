//! The CKKS layer: encoding precision, encryption, every evaluator operation against the
//! plaintext computation, the seed inner-product workload at sets S and L, typed errors and
//! serialization (round trips and corrupted input).

mod common;

use ckks_accel::Error;
use ckks_accel::ckks::*;
use num_complex::Complex64;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;

struct Env {
    ctx: Arc<CkksContext>,
    sk: SecretKey,
    pk: PublicKey,
    keys: Arc<EvaluationKeys>,
    encoder: Encoder,
    eval: Evaluator,
}

fn env(params: CkksParams, rotations: &[i64], conjugation: bool) -> Env {
    let ctx = CkksContext::new(params).unwrap();
    let mut kg = KeyGenerator::from_seed(ctx.clone(), 42);
    let sk = kg.secret_key().unwrap();
    let pk = kg.public_key(&sk).unwrap();
    let relin = kg.relin_key(&sk).unwrap();
    let galois = kg.galois_keys(&sk, rotations, conjugation).unwrap();
    let keys = Arc::new(EvaluationKeys {
        relin: Some(relin),
        galois,
    });
    let eval = Evaluator::new(ctx.clone(), keys.clone()).unwrap();
    Env {
        encoder: Encoder::new(ctx.clone()),
        ctx,
        sk,
        pk,
        keys,
        eval,
    }
}

fn small_params() -> CkksParams {
    common::insecure_params(12, &[55, 40, 40, 40], &[56], 4, 40)
}

fn random_vec(n: usize, seed: u64) -> Vec<f64> {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| r.random_range(-1.0..1.0)).collect()
}

fn max_err(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

impl Env {
    fn enc(&self, v: &[f64]) -> Ciphertext {
        let pt = self.encoder.encode_default(v).unwrap();
        Encryptor::with_public_key(self.ctx.clone(), &self.pk)
            .unwrap()
            .with_seed(3)
            .encrypt(&pt)
            .unwrap()
    }
    fn dec(&self, ct: &Ciphertext) -> Vec<f64> {
        self.encoder
            .decode(
                &Decryptor::new(self.ctx.clone(), &self.sk)
                    .unwrap()
                    .decrypt(ct)
                    .unwrap(),
            )
            .unwrap()
    }
}

#[test]
fn encode_decode_and_encrypt_precision() {
    let e = env(CkksParams::preset(Preset::S).unwrap(), &[], false);
    let slots = e.encoder.slots();
    let v = random_vec(slots, 1);
    let pt = e.encoder.encode_default(&v).unwrap();
    let back = e.encoder.decode(&pt).unwrap();
    let enc_err = max_err(&v, &back);
    assert!(enc_err < 1e-9, "encoding error {enc_err}");
    let ct = e.enc(&v);
    let err = max_err(&v, &e.dec(&ct));
    eprintln!("set S: encode error {enc_err:.2e}, public-key encryption error {err:.2e}");
    assert!(err < 1e-6);
    let mut sk_enc = Encryptor::with_secret_key(e.ctx.clone(), &e.sk)
        .unwrap()
        .with_seed(9);
    let ct2 = sk_enc.encrypt(&pt).unwrap();
    assert!(max_err(&v, &e.dec(&ct2)) < 1e-7);
    // Encoding at a lower level and a custom scale.
    let pt1 = e.encoder.encode(&v, 2f64.powi(30), 1).unwrap();
    assert_eq!(pt1.level(), 1);
    assert!(max_err(&v, &e.encoder.decode(&pt1).unwrap()) < 1e-6);
}

#[test]
fn evaluator_operations_match_plaintext() {
    let e = env(small_params(), &[1, 2, 3, -1, 7, 64], true);
    let slots = e.encoder.slots();
    let (a, b) = (random_vec(slots, 2), random_vec(slots, 3));
    let (ca, cb) = (e.enc(&a), e.enc(&b));
    let mut s = e.eval.scratch();
    let tol = 1e-5;
    let check = |ct: &Ciphertext, want: &[f64], what: &str| {
        let got = e.dec(ct);
        let err = max_err(&got, want);
        assert!(err < tol, "{what}: error {err}");
    };
    let sum: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
    check(&e.eval.add(&ca, &cb).unwrap(), &sum, "add");
    let diff: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x - y).collect();
    check(&e.eval.sub(&ca, &cb).unwrap(), &diff, "sub");
    let mut neg = ca.clone();
    e.eval.negate_assign(&mut neg).unwrap();
    check(&neg, &a.iter().map(|x| -x).collect::<Vec<_>>(), "negate");
    let mut cp = ca.clone();
    e.eval
        .add_plain_assign(&mut cp, &e.encoder.encode_default(&b).unwrap())
        .unwrap();
    check(&cp, &sum, "add_plain");
    let mut cc = ca.clone();
    e.eval.add_const_assign(&mut cc, 0.25).unwrap();
    check(
        &cc,
        &a.iter().map(|x| x + 0.25).collect::<Vec<_>>(),
        "add_const",
    );
    let prod: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x * y).collect();
    let m = e.eval.mul(&ca, &cb).unwrap();
    assert_eq!(m.degree(), 3);
    check(&m, &prod, "mul (degree 3, decrypts with s²)");
    let r = e.eval.relinearize(&m, &mut s).unwrap();
    check(&r, &prod, "relinearize");
    let rs = e.eval.rescale(&r, &mut s).unwrap();
    assert_eq!(rs.level(), r.level() - 1);
    check(&rs, &prod, "rescale");
    let mut mp = ca.clone();
    e.eval
        .mul_plain_assign(&mut mp, &e.encoder.encode_default(&b).unwrap())
        .unwrap();
    check(
        &e.eval.rescale(&mp, &mut s).unwrap(),
        &prod,
        "mul_plain + rescale",
    );
    let mut mc = ca.clone();
    e.eval.mul_const_assign(&mut mc, -1.5).unwrap();
    check(
        &e.eval.rescale(&mc, &mut s).unwrap(),
        &a.iter().map(|x| -1.5 * x).collect::<Vec<_>>(),
        "mul_const",
    );
    for steps in [1i64, 2, 3, -1, 7, 64] {
        let want: Vec<f64> = (0..slots)
            .map(|i| a[(i as i64 + steps).rem_euclid(slots as i64) as usize])
            .collect();
        check(
            &e.eval.rotate(&ca, steps, &mut s).unwrap(),
            &want,
            &format!("rotate {steps}"),
        );
    }
    let hoisted = e.eval.rotate_hoisted(&ca, &[1, 2, 3], &mut s).unwrap();
    for (k, ct) in hoisted.iter().enumerate() {
        let want: Vec<f64> = (0..slots).map(|i| a[(i + k + 1) % slots]).collect();
        check(ct, &want, "hoisted rotation");
    }
    // Conjugation on complex slots.
    let z: Vec<Complex64> = a
        .iter()
        .zip(&b)
        .map(|(&x, &y)| Complex64::new(x, y))
        .collect();
    let pt = e
        .encoder
        .encode_complex(
            &z,
            e.ctx.params().default_scale(),
            e.ctx.params().max_level(),
        )
        .unwrap();
    let cz = Encryptor::with_public_key(e.ctx.clone(), &e.pk)
        .unwrap()
        .encrypt(&pt)
        .unwrap();
    let conj = e.eval.conjugate(&cz, &mut s).unwrap();
    let got = e
        .encoder
        .decode_complex(
            &Decryptor::new(e.ctx.clone(), &e.sk)
                .unwrap()
                .decrypt(&conj)
                .unwrap(),
        )
        .unwrap();
    let err = got
        .iter()
        .zip(&z)
        .map(|(g, w)| (g - w.conj()).norm())
        .fold(0.0, f64::max);
    assert!(err < tol, "conjugate: {err}");
    // Inner sum over 4 slots needs rotations 1 and 2.
    let mut t = ca.clone();
    e.eval.inner_sum_assign(&mut t, 4, &mut s).unwrap();
    let want: Vec<f64> = (0..slots)
        .map(|i| (0..4).map(|k| a[(i + k) % slots]).sum())
        .collect();
    check(&t, &want, "inner_sum(4)");
}

fn seed_workload(preset: Preset, dim: usize) -> f64 {
    let params = CkksParams::preset(preset).unwrap();
    let e = env(params, &KeyGenerator::tree_sum_steps(dim), false);
    let (a, b) = (random_vec(dim, 10), random_vec(dim, 11));
    let want: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
    let (ca, cb) = (e.enc(&a), e.enc(&b));
    let mut s = e.eval.scratch();
    let mut out = ca.clone();
    e.eval
        .inner_product_into(&ca, &cb, dim, &mut out, &mut s)
        .unwrap();
    let got = e.dec(&out);
    let err = (got[0] - want).abs();
    eprintln!(
        "set {preset}: inner product dim {dim}: {:.9} vs {want:.9}, error {err:.2e}",
        got[0]
    );
    err
}

#[test]
fn seed_workload_set_s() {
    assert!(seed_workload(Preset::S, 4096) < 1e-5);
}

#[test]
fn seed_workload_set_l() {
    assert!(seed_workload(Preset::L, 16384) < 1e-5);
}

#[test]
fn typed_errors() {
    let e = env(small_params(), &[1], false);
    let slots = e.encoder.slots();
    let v = random_vec(slots, 4);
    let ca = e.enc(&v);
    let mut s = e.eval.scratch();
    // Level and scale mismatches.
    let low = e
        .eval
        .rescale(
            &e.eval
                .relinearize(&e.eval.mul(&ca, &ca).unwrap(), &mut s)
                .unwrap(),
            &mut s,
        )
        .unwrap();
    assert!(matches!(
        e.eval.add(&ca, &low),
        Err(Error::LevelMismatch { .. })
    ));
    let mut dropped = ca.clone();
    e.eval.drop_to_level(&mut dropped, low.level()).unwrap();
    assert!(matches!(
        e.eval.add(&dropped, &low),
        Err(Error::ScaleMismatch { .. })
    ));
    // Missing keys.
    assert!(matches!(
        e.eval.rotate(&ca, 5, &mut s),
        Err(Error::MissingKey { .. })
    ));
    assert!(matches!(
        e.eval.check_inner_sum(8),
        Err(Error::MissingKey { .. })
    ));
    assert!(matches!(
        e.eval.check_inner_sum(3),
        Err(Error::InvalidParameters { .. })
    ));
    let no_keys = Evaluator::new(e.ctx.clone(), Arc::new(EvaluationKeys::default())).unwrap();
    let m = e.eval.mul(&ca, &ca).unwrap();
    assert!(matches!(
        no_keys.relinearize(&m, &mut no_keys.scratch()),
        Err(Error::MissingKey { .. })
    ));
    assert!(matches!(
        e.eval.relinearize(&ca, &mut s),
        Err(Error::WrongDegree { .. })
    ));
    // Objects of other parameters.
    let other = env(CkksParams::preset(Preset::S).unwrap(), &[], false);
    let foreign = other.enc(&v[..8]);
    assert!(matches!(
        e.eval.add(&ca, &foreign),
        Err(Error::ParamsMismatch { .. })
    ));
    assert!(matches!(
        Decryptor::new(e.ctx.clone(), &other.sk),
        Err(Error::ParamsMismatch { .. })
    ));
    // Encoding errors.
    assert!(e.encoder.encode_default(&vec![0.0; slots + 1]).is_err());
    assert!(e.encoder.encode_default(&[f64::NAN]).is_err());
    assert!(e.encoder.encode(&[1.0], 2f64.powi(40), 99).is_err());
    // Rescale at level 0.
    let mut l0 = ca.clone();
    e.eval.drop_to_level(&mut l0, 0).unwrap();
    assert!(matches!(
        e.eval.rescale(&l0, &mut s),
        Err(Error::InvalidLevel { .. })
    ));
}

#[test]
fn invalid_parameters_are_refused() {
    let base = || {
        CkksParams::builder()
            .ring_degree(1 << 14)
            .q_bits(&[60, 40, 40])
            .p_bits(&[61])
            .dnum(3)
            .log_scale(40)
    };
    assert!(base().build().is_ok());
    // Insecure: log QP too large for n unless opted in.
    let big = CkksParams::builder()
        .ring_degree(1 << 12)
        .q_bits(&[60, 50, 50])
        .p_bits(&[60])
        .dnum(3)
        .log_scale(40);
    assert!(matches!(
        big.clone().build(),
        Err(Error::InsecureParameters { .. })
    ));
    assert!(big.allow_insecure(true).build().is_ok());
    assert!(matches!(
        base().dnum(0).build(),
        Err(Error::InvalidParameters { .. })
    ));
    assert!(matches!(
        base().dnum(4).build(),
        Err(Error::InvalidParameters { .. })
    ));
    assert!(matches!(
        base().log_scale(61).build(),
        Err(Error::InvalidParameters { .. })
    ));
    assert!(matches!(
        base().log_scale(50).build(),
        Err(Error::InvalidParameters { .. })
    ));
    assert!(matches!(
        base().ring_degree(1000).build(),
        Err(Error::InvalidRingDegree { .. })
    ));
    let q = ckks_accel::arith::ntt_primes(40, 1 << 14, 2).unwrap();
    let dup = CkksParams::builder()
        .ring_degree(1 << 14)
        .q_primes(&[q[0], q[1], q[0]])
        .p_primes(&[q[1]])
        .dnum(1);
    assert!(matches!(dup.build(), Err(Error::DuplicatePrime { .. })));
    assert!(matches!(
        base().p_bits(&[30]).dnum(1).build(),
        Err(Error::InvalidParameters { .. })
    ));
    assert!(matches!(
        base()
            .secret(SecretDistribution::TernaryHammingWeight(64))
            .build(),
        Err(Error::InsecureParameters { .. })
    ));
    for preset in [Preset::S, Preset::L, Preset::SIfma, Preset::LIfma] {
        let p = CkksParams::preset(preset).unwrap();
        assert!(!p.is_insecure(), "{preset} must be 128-bit secure");
    }
    let s = CkksParams::preset(Preset::SIfma).unwrap();
    assert!(s.q().iter().chain(s.p()).all(|&x| x < 1 << 50));
}

#[test]
fn serialization_round_trips_and_rejects_corruption() {
    let e = env(small_params(), &[1, 2], false);
    let v = random_vec(16, 5);
    let ct = e.enc(&v);
    let bytes = ct.to_bytes();
    assert_eq!(Ciphertext::from_bytes(&e.ctx, &bytes).unwrap(), ct);
    let pt = e.encoder.encode_default(&v).unwrap();
    assert_eq!(Plaintext::from_bytes(&e.ctx, &pt.to_bytes()).unwrap(), pt);
    assert_eq!(
        PublicKey::from_bytes(&e.ctx, &e.pk.to_bytes()).unwrap(),
        e.pk
    );
    let p = e.ctx.params().clone();
    assert_eq!(
        CkksParams::from_bytes_allow_insecure(&p.to_bytes()).unwrap(),
        p
    );
    let rk = e.keys.relin.as_ref().unwrap();
    let rk2 = RelinKey::from_bytes(&e.ctx, &rk.to_bytes()).unwrap();
    assert_eq!(rk2.to_bytes(), rk.to_bytes());
    let gk = GaloisKeys::from_bytes(&e.ctx, &e.keys.galois.to_bytes()).unwrap();
    assert_eq!(gk.elements(), e.keys.galois.elements());
    // Keys loaded from bytes work.
    let eval2 = Evaluator::new(
        e.ctx.clone(),
        Arc::new(EvaluationKeys {
            relin: Some(rk2),
            galois: gk,
        }),
    )
    .unwrap();
    let rot = eval2.rotate(&ct, 1, &mut eval2.scratch()).unwrap();
    assert!((e.dec(&rot)[0] - v[1]).abs() < 1e-5);

    // Corruption: every flipped byte, truncation, wrong kind, wrong parameters.
    for pos in [0, 5, 6, 10, 20, bytes.len() / 2, bytes.len() - 1] {
        let mut bad = bytes.clone();
        bad[pos] ^= 0x40;
        assert!(
            Ciphertext::from_bytes(&e.ctx, &bad).is_err(),
            "flip at {pos}"
        );
    }
    for len in [0, 3, 15, 100, bytes.len() - 1] {
        assert!(
            Ciphertext::from_bytes(&e.ctx, &bytes[..len]).is_err(),
            "truncated to {len}"
        );
    }
    assert!(matches!(
        Plaintext::from_bytes(&e.ctx, &bytes),
        Err(Error::Deserialize { .. })
    ));
    let other = CkksContext::new(CkksParams::preset(Preset::S).unwrap()).unwrap();
    assert!(matches!(
        Ciphertext::from_bytes(&other, &bytes),
        Err(Error::ParamsMismatch { .. })
    ));
    assert!(CkksParams::from_bytes(&bytes).is_err());
}

#[test]
fn secret_key_debug_is_redacted() {
    let e = env(small_params(), &[], false);
    let s = format!("{:?}", e.sk);
    assert!(s.contains("redacted") && s.len() < 80, "{s}");
}
