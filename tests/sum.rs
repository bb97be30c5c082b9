//! Hoisted sums: every plan equals the plain tree within the precision bound, for every
//! power-of-two span up to the slot count and at sets S and L; a plan's rotation keys are
//! exactly the ones it uses; the cost model picks a plan.

mod common;

use ckks_accel::Error;
use ckks_accel::ckks::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;

fn setup(
    params: CkksParams,
    steps: &[i64],
) -> (Arc<CkksContext>, SecretKey, Evaluator, Ciphertext, Vec<f64>) {
    let ctx = CkksContext::new(params).unwrap();
    let mut kg = KeyGenerator::from_seed(ctx.clone(), 8);
    let sk = kg.secret_key().unwrap();
    let keys = Arc::new(EvaluationKeys {
        relin: Some(kg.relin_key(&sk).unwrap()),
        galois: kg.galois_keys(&sk, steps, false).unwrap(),
    });
    let slots = ctx.params().slots();
    let mut r = ChaCha8Rng::seed_from_u64(3);
    let v: Vec<f64> = (0..slots).map(|_| r.random_range(-1.0..1.0)).collect();
    let enc = Encoder::new(ctx.clone());
    let ct = Encryptor::with_secret_key(ctx.clone(), &sk)
        .unwrap()
        .with_seed(4)
        .encrypt(&enc.encode_default(&v).unwrap())
        .unwrap();
    let eval = Evaluator::new(ctx.clone(), keys).unwrap();
    (ctx, sk, eval, ct, v)
}

fn decrypt(ctx: &Arc<CkksContext>, sk: &SecretKey, ct: &Ciphertext) -> Vec<f64> {
    Encoder::new(ctx.clone())
        .decode(
            &Decryptor::new(ctx.clone(), sk)
                .unwrap()
                .decrypt(ct)
                .unwrap(),
        )
        .unwrap()
}

fn small() -> CkksParams {
    common::small_params()
}

#[test]
fn every_plan_matches_the_tree_for_every_span() {
    let slots = 1 << 11;
    let mut steps: Vec<i64> = Vec::new();
    for r in [2usize, 4, 8, 16] {
        let mut span = 2;
        while span <= slots {
            steps.extend(SumPlan::radix(span, r).unwrap().rotation_steps());
            span *= 2;
        }
    }
    steps.sort_unstable();
    steps.dedup();
    let (ctx, sk, eval, ct, v) = setup(small(), &steps);
    let mut s = eval.scratch();
    let mut span = 2;
    while span <= slots {
        let want: Vec<f64> = (0..slots)
            .map(|i| (0..span).map(|k| v[(i + k) % slots]).sum())
            .collect();
        let mut tree = ct.clone();
        eval.inner_sum_with(&mut tree, &SumMethod::Tree, span, &mut s)
            .unwrap();
        let tree_out = decrypt(&ctx, &sk, &tree);
        for r in [2usize, 4, 8, 16] {
            let plan = SumPlan::radix(span, r).unwrap();
            let mut h = ct.clone();
            eval.inner_sum_with(&mut h, &SumMethod::Hoisted(plan.clone()), span, &mut s)
                .unwrap();
            let got = decrypt(&ctx, &sk, &h);
            let err = got
                .iter()
                .zip(&want)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            let vs_tree = got
                .iter()
                .zip(&tree_out)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            assert!(
                err < 1e-5 && vs_tree < 1e-5,
                "span {span} radix {r}: error {err}, vs tree {vs_tree}"
            );
        }
        span *= 2;
    }
}

#[test]
fn plan_keys_are_exactly_the_ones_used() {
    let span = 256;
    let plan = SumPlan::radix(span, 4).unwrap();
    let steps = plan.rotation_steps();
    assert_eq!(steps, vec![1, 2, 3, 4, 8, 12, 16, 32, 48, 64, 128, 192]);
    assert_eq!(plan.rotations(), steps.len());
    let (_, _, eval, ct, _) = setup(small(), &steps);
    let method = SumMethod::Hoisted(plan.clone());
    eval.check_sum(&method, span).unwrap();
    let mut s = eval.scratch();
    let mut x = ct.clone();
    eval.inner_sum_with(&mut x, &method, span, &mut s).unwrap();
    // Without any one of its keys the plan fails before any work, with a typed error.
    for drop in &steps {
        let fewer: Vec<i64> = steps.iter().copied().filter(|s| s != drop).collect();
        let (_, _, e2, ct2, _) = setup(small(), &fewer);
        let mut y = ct2.clone();
        assert!(matches!(
            e2.inner_sum_with(&mut y, &method, span, &mut e2.scratch()),
            Err(Error::MissingKey { .. })
        ));
        assert_eq!(y, ct2, "nothing may be computed when a key is missing");
    }
    assert!(matches!(
        eval.check_sum(&method, 128),
        Err(Error::InvalidParameters { .. })
    ));
    assert!(SumPlan::radix(100, 4).is_err() && SumPlan::radix(64, 3).is_err());
}

fn workload(preset: Preset, dim: usize) {
    let params = CkksParams::preset(preset).unwrap();
    let mut steps = KeyGenerator::tree_sum_steps(dim);
    for r in [4usize, 8] {
        steps.extend(SumPlan::radix(dim, r).unwrap().rotation_steps());
    }
    steps.sort_unstable();
    steps.dedup();
    let (ctx, sk, eval, ct, v) = setup(params, &steps);
    let mut s = eval.scratch();
    let costs = eval.calibrate_sum(&ct, ct.level() - 1, &mut s).unwrap();
    let (method, predicted) = costs.choose(dim, 8);
    eprintln!(
        "set {preset}: costs {costs:?}; chose {method:?} (predicted {:.1} ms vs tree {:.1} ms)",
        predicted * 1e3,
        costs.tree(dim) * 1e3
    );
    let want: f64 = v[..dim].iter().map(|x| x * x).sum();
    // Level-aware: the lowest level whose modulus still holds the sum (|Σ| · Δ < Q_ℓ / 2):
    // q_0 alone leaves 2^19 at set S (Δ = 2^40) but only 2^9 at set L (Δ = 2^50), so L needs 2 primes.
    let low = if preset == Preset::L { 1 } else { 0 };
    for (m, lvl) in [
        (SumMethod::Tree, None),
        (method.clone(), None),
        (method.clone(), Some(low)),
    ] {
        let mut out = ct.clone();
        eval.inner_product_with(&ct, &ct, dim, &m, lvl, &mut out, &mut s)
            .unwrap();
        let got = decrypt(&ctx, &sk, &out)[0];
        assert!(
            (got - want).abs() < 1e-5,
            "{m:?} level {lvl:?}: {got} vs {want}"
        );
    }
}

#[test]
fn hoisted_inner_product_set_s() {
    workload(Preset::S, 4096);
}

#[test]
fn hoisted_inner_product_set_l() {
    workload(Preset::L, 16384);
}
