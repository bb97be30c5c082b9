//! CKKS-level precision: fresh public-key noise is the rounding of the division by P, hoisted
//! and tree sums agree in precision (hoisted max ≤ 1.5× tree), no sum leaves a systematic bias,
//! and the noise meter's typed errors. Set S and a small fast set.

mod common;

use ckks_accel::Error;
use ckks_accel::ckks::*;
use std::sync::Arc;

fn small_params() -> CkksParams {
    common::small_params()
}

/// Deterministic vector in [−1, 1).
fn vector(len: usize, seed: u64) -> Vec<f64> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        })
        .collect()
}

struct Env {
    ctx: Arc<CkksContext>,
    sk: SecretKey,
    pk: PublicKey,
    eval: Evaluator,
}

fn env(params: CkksParams, dim: usize, hoisted: &SumMethod) -> Env {
    let ctx = CkksContext::new(params).unwrap();
    let mut kg = KeyGenerator::from_seed(ctx.clone(), 21);
    let sk = kg.secret_key().unwrap();
    let pk = kg.public_key(&sk).unwrap();
    let mut steps = KeyGenerator::tree_sum_steps(dim);
    steps.extend(hoisted.rotation_steps(dim));
    steps.sort_unstable();
    steps.dedup();
    let keys = Arc::new(EvaluationKeys {
        relin: Some(kg.relin_key(&sk).unwrap()),
        galois: kg.galois_keys(&sk, &steps, false).unwrap(),
    });
    let eval = Evaluator::new(ctx.clone(), keys).unwrap();
    Env { ctx, sk, pk, eval }
}

/// Fresh public-key encryption: coefficient noise ≈ √((1 + h)/12) (h ≈ 2n/3), zero mean.
fn check_fresh_noise(e: &Env) {
    let n = e.ctx.params().n();
    let encoder = Encoder::new(e.ctx.clone());
    let meter = NoiseMeter::new(e.ctx.clone(), &e.sk).unwrap();
    let mut enc = Encryptor::with_public_key(e.ctx.clone(), &e.pk)
        .unwrap()
        .with_seed(5);
    let m = vector(encoder.slots(), 9);
    let ct = enc.encrypt(&encoder.encode_default(&m).unwrap()).unwrap();
    let r = meter.measure(&ct, &m).unwrap();
    let want = ((1.0 + 2.0 * n as f64 / 3.0) / 12.0).sqrt();
    eprintln!(
        "n={n} fresh public-key encryption: {r} (expected std 2^{:.2})",
        want.log2()
    );
    assert!((r.coefficients.log2_std() - want.log2()).abs() < 0.3, "{r}");
    assert!(r.coefficients.mean_sigmas() < 5.0, "biased encryption: {r}");
}

/// Hoisted (radix 4) and tree sums on the same ciphertexts: max |error| of the hoisted sum at
/// most 1.5× the tree's, both below `bound`, and the signed mean error of each within 5
/// standard errors of 0 (a per-step bias in slot 0 would shift every product the same way).
fn check_sums(e: &Env, dim: usize, k: usize, hoisted: &SumMethod, bound: f64) {
    let encoder = Encoder::new(e.ctx.clone());
    let dec = Decryptor::new(e.ctx.clone(), &e.sk).unwrap();
    let mut enc = Encryptor::with_public_key(e.ctx.clone(), &e.pk)
        .unwrap()
        .with_seed(6);
    let mut s = e.eval.scratch();
    let mut errs = [Vec::new(), Vec::new()];
    for i in 0..k as u64 {
        let (x, y) = (vector(dim, 2 * i + 1), vector(dim, 2 * i + 2));
        let want: f64 = x.iter().zip(&y).map(|(a, b)| a * b).sum();
        let a = enc.encrypt(&encoder.encode_default(&x).unwrap()).unwrap();
        let b = enc.encrypt(&encoder.encode_default(&y).unwrap()).unwrap();
        for (j, method) in [SumMethod::Tree, hoisted.clone()].iter().enumerate() {
            let mut out = a.clone();
            e.eval
                .inner_product_with(&a, &b, dim, method, None, &mut out, &mut s)
                .unwrap();
            let got = encoder.decode(&dec.decrypt(&out).unwrap()).unwrap()[0];
            errs[j].push(got - want);
        }
    }
    let stats: Vec<ErrorStats> = errs
        .iter()
        .map(|v| ErrorStats::of(v.iter().copied()))
        .collect();
    let n = e.ctx.params().n();
    for (name, st) in ["tree", "hoisted"].iter().zip(&stats) {
        eprintln!(
            "n={n} dim={dim} {name}: max {:.3e} mean|·| ~ signed mean {:+.2e} ({:.1} σ), std {:.2e}",
            st.max_abs,
            st.mean,
            st.mean_sigmas(),
            st.std
        );
        assert!(
            st.max_abs <= bound,
            "{name}: max error {} > {bound}",
            st.max_abs
        );
        assert!(st.mean_sigmas() <= 5.0, "{name}: biased, {st:?}");
    }
    assert!(
        stats[1].max_abs <= 1.5 * stats[0].max_abs,
        "hoisted max {} > 1.5 × tree max {}",
        stats[1].max_abs,
        stats[0].max_abs
    );
}

#[test]
fn small_set_fresh_noise_and_sums() {
    let dim = 256;
    let hoisted = SumMethod::Hoisted(SumPlan::radix(dim, 4).unwrap());
    let e = env(small_params(), dim, &hoisted);
    check_fresh_noise(&e);
    check_sums(&e, dim, 32, &hoisted, 1e-7);
}

#[test]
fn set_s_fresh_noise_and_sums() {
    let dim = 4096;
    let hoisted = SumMethod::Hoisted(SumPlan::radix(dim, 4).unwrap());
    let e = env(CkksParams::preset(Preset::S).unwrap(), dim, &hoisted);
    check_fresh_noise(&e);
    // Before the exact ModDown and Q ∪ P encryption: 3.9e-6 tree, 5.6e-6 hoisted. Now the
    // rounding floor (fresh, rescale and rotation roundings): std ≈ 2.5e-7, so issue #10's
    // 5e-7 target is ~2σ; the bound leaves room for the seed.
    check_sums(&e, dim, 16, &hoisted, 8e-7);
}

#[test]
fn noise_meter_typed_errors() {
    let e = env(small_params(), 4, &SumMethod::Tree);
    let encoder = Encoder::new(e.ctx.clone());
    let meter = NoiseMeter::new(e.ctx.clone(), &e.sk).unwrap();
    let mut enc = Encryptor::with_secret_key(e.ctx.clone(), &e.sk).unwrap();
    let ct = enc
        .encrypt(&encoder.encode_default(&[0.5]).unwrap())
        .unwrap();
    // Too many expected values for the slots.
    assert!(meter.measure(&ct, &vec![0.0; encoder.slots() + 1]).is_err());
    // A ciphertext or a key of other parameters.
    let other = CkksContext::new(common::insecure_params(12, &[55, 40], &[56], 2, 40)).unwrap();
    let other_sk = KeyGenerator::from_seed(other.clone(), 1)
        .secret_key()
        .unwrap();
    assert!(matches!(
        NoiseMeter::new(e.ctx.clone(), &other_sk),
        Err(Error::ParamsMismatch { .. })
    ));
    let other_ct = Encryptor::with_secret_key(other.clone(), &other_sk)
        .unwrap()
        .encrypt(&Encoder::new(other.clone()).encode_default(&[0.5]).unwrap())
        .unwrap();
    assert!(matches!(
        meter.measure(&other_ct, &[0.5]),
        Err(Error::ParamsMismatch { .. })
    ));
    // Secret-key encryption: noise is one Gaussian (σ = 3.2), far below public-key noise.
    let r = meter.measure(&ct, &[0.5]).unwrap();
    assert!(r.coefficients.max_abs <= 19.0, "{r}");
    assert!(r.slots.max_abs < 1e-8, "{r}");
}

/// Relinearize + rescale fused (one division by P·q_ℓ) against the two steps, on the same
/// products: the errors against the exact product agree (fused max ≤ 1.1× two-step max) and
/// the fused one has no systematic bias.
#[test]
fn fused_relinearize_rescale_precision() {
    let e = env(small_params(), 1, &SumMethod::Tree);
    let encoder = Encoder::new(e.ctx.clone());
    let dec = Decryptor::new(e.ctx.clone(), &e.sk).unwrap();
    let mut enc = Encryptor::with_public_key(e.ctx.clone(), &e.pk)
        .unwrap()
        .with_seed(8);
    let mut s = e.eval.scratch();
    let slots = encoder.slots();
    let mut errs = [Vec::new(), Vec::new()];
    for i in 0..4u64 {
        let (x, y) = (vector(slots, 40 + 2 * i), vector(slots, 41 + 2 * i));
        let a = enc.encrypt(&encoder.encode_default(&x).unwrap()).unwrap();
        let b = enc.encrypt(&encoder.encode_default(&y).unwrap()).unwrap();
        let prod = e.eval.mul(&a, &b).unwrap();
        let two_step = e
            .eval
            .rescale(&e.eval.relinearize(&prod, &mut s).unwrap(), &mut s)
            .unwrap();
        let fused = e.eval.relinearize_rescale(&prod, &mut s).unwrap();
        assert_eq!(fused.level(), two_step.level());
        assert_eq!(fused.scale(), two_step.scale());
        for (j, ct) in [&two_step, &fused].into_iter().enumerate() {
            let got = encoder.decode(&dec.decrypt(ct).unwrap()).unwrap();
            errs[j].extend(
                got.iter()
                    .zip(x.iter().zip(&y))
                    .map(|(g, (p, q))| g - p * q),
            );
        }
    }
    let [two, fused] = errs.map(ErrorStats::of);
    for (name, st) in [("two-step", &two), ("fused", &fused)] {
        eprintln!(
            "relinearize + rescale, {name}: max {:.3e} std {:.3e} signed mean {:+.2e} ({:.1} σ)",
            st.max_abs,
            st.std,
            st.mean,
            st.mean_sigmas()
        );
    }
    assert!(fused.max_abs <= 1.1 * two.max_abs, "{fused:?} vs {two:?}");
    assert!(fused.mean_sigmas() <= 5.0, "fused path biased: {fused:?}");
}
