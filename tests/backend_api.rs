//! The API a backend author needs: plans on a given root (every ISA bit-identical to scalar),
//! out-of-place transforms, ciphertexts from and back to polynomials with validation, the
//! library-level sum choice and Auto-mode packing.

mod common;

use ckks_accel::arith::{Modulus, ntt_primes};
use ckks_accel::ckks::*;
use ckks_accel::ntt::NttPlan;
use ckks_accel::parallel::{
    BatchPlan, BatchRequest, EncryptedBatch, EngineConfig, InnerProductEngine,
};
use ckks_accel::rns::{Representation, RnsPoly};
use ckks_accel::{Error, Isa};
use std::sync::Arc;

#[test]
fn with_root_on_every_isa_matches_scalar_and_roundtrips() {
    for (bits, n) in [(50, 1 << 10), (61, 1 << 12)] {
        let q = ntt_primes(bits, n, 1).unwrap()[0];
        let m = Modulus::new(q).unwrap();
        let psi = NttPlan::new(n, q).unwrap().psi();
        for k in [3u64, 5, 2 * n as u64 - 1] {
            let root = m.pow_mod(psi, k);
            let scalar = NttPlan::with_root_isa(n, q, root, Isa::Scalar).unwrap();
            let a: Vec<u64> = (0..n as u64).map(|i| (i * 0x9E37_79B9 + 11) % q).collect();
            let mut want = a.clone();
            scalar.forward(&mut want);
            for isa in Isa::available() {
                let Ok(plan) = NttPlan::with_root_isa(n, q, root, isa) else {
                    assert!(isa == Isa::Avx512Ifma && q >= 1 << 50);
                    continue;
                };
                assert_eq!(plan.psi(), root);
                let mut out = vec![0; n];
                plan.forward_into(&a, &mut out);
                assert_eq!(out, want, "{isa} root ψ^{k}");
                let mut back = vec![0; n];
                plan.inverse_into(&out, &mut back);
                assert_eq!(back, a);
                // Lazy out-of-place outputs equal the in-place lazy ones.
                let (mut l1, mut l2) = (a.clone(), vec![0; n]);
                plan.forward_lazy(&mut l1);
                plan.forward_lazy_into(&a, &mut l2);
                assert_eq!(l1, l2);
                let (mut i1, mut i2) = (out.clone(), vec![0; n]);
                plan.inverse_lazy(&mut i1);
                plan.inverse_lazy_into(&out, &mut i2);
                assert_eq!(i1, i2);
            }
        }
        // Roots of the wrong order, 0, q and beyond are refused.
        for bad in [
            1,
            q - 1,
            m.pow_mod(psi, 2),
            m.pow_mod(psi, 4),
            0,
            q,
            q + psi,
        ] {
            assert!(
                matches!(
                    NttPlan::with_root(n, q, bad),
                    Err(Error::InvalidRoot { .. })
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            NttPlan::with_root(n, q + 2, psi),
            Err(Error::NotPrime { .. })
        ));
    }
}

#[test]
#[should_panic(expected = "output length")]
fn out_of_place_checks_the_output_length() {
    let q = ntt_primes(50, 64, 1).unwrap()[0];
    let plan = NttPlan::new(64, q).unwrap();
    plan.forward_into(&[0; 64], &mut [0; 32]);
}

fn toy() -> Arc<CkksContext> {
    let params = common::insecure_params(11, &[50, 40, 40], &[50], 3, 40);
    CkksContext::new(params).unwrap()
}

#[test]
fn ciphertexts_from_polynomials_are_validated() {
    let ctx = toy();
    let mut kg = KeyGenerator::from_seed(ctx.clone(), 1);
    let sk = kg.secret_key().unwrap();
    let mut enc = Encryptor::with_secret_key(ctx.clone(), &sk).unwrap();
    let encoder = Encoder::new(ctx.clone());
    let pt = encoder.encode_default(&[0.25, -0.5]).unwrap();
    let ct = enc.encrypt(&pt).unwrap();
    let scale = ct.scale();

    // Round trips.
    let back = Ciphertext::from_parts(&ctx, ct.clone().into_parts(), scale).unwrap();
    assert_eq!(back, ct);
    let pt2 = Plaintext::from_poly(&ctx, pt.clone().into_poly(), pt.scale()).unwrap();
    assert_eq!(pt2, pt);
    let dec = Decryptor::new(ctx.clone(), &sk).unwrap();
    assert!((encoder.decode(&dec.decrypt(&back).unwrap()).unwrap()[1] + 0.5).abs() < 1e-6);

    let parts = ct.clone().into_parts();
    // Wrong number of parts.
    for n in [0, 1, 4] {
        let p: Vec<RnsPoly> = parts.iter().cycle().take(n).cloned().collect();
        assert!(matches!(
            Ciphertext::from_parts(&ctx, p, scale),
            Err(Error::WrongDegree { .. })
        ));
    }
    // Coefficient form.
    let mut coeff = parts.clone();
    coeff[1].intt(ctx.basis(ct.level()).unwrap()).unwrap();
    assert!(matches!(
        Ciphertext::from_parts(&ctx, coeff, scale),
        Err(Error::WrongRepresentation { .. })
    ));
    // Parts at different levels.
    let mut mixed = parts.clone();
    mixed[1].truncate(ctx.basis(1).unwrap()).unwrap();
    assert!(matches!(
        Ciphertext::from_parts(&ctx, mixed, scale),
        Err(Error::BasisMismatch { .. })
    ));
    // Polynomials of other parameters.
    let other = CkksContext::new(common::insecure_params(11, &[51, 41, 41], &[51], 3, 40)).unwrap();
    assert!(matches!(
        Ciphertext::from_parts(&other, parts.clone(), scale),
        Err(Error::BasisMismatch { .. })
    ));
    // Bad scales.
    for s in [0.0, 0.5, f64::NAN, f64::INFINITY, -1.0] {
        assert!(matches!(
            Ciphertext::from_parts(&ctx, parts.clone(), s),
            Err(Error::InvalidParameters { .. })
        ));
    }
    let zero = RnsPoly::zero(ctx.basis(0).unwrap(), Representation::Coefficient);
    assert!(Plaintext::from_poly(&ctx, zero, scale).is_err());
}

#[test]
fn sum_keys_generate_exactly_the_chosen_methods_keys() {
    let ctx = toy();
    let mut kg = KeyGenerator::from_seed(ctx.clone(), 2);
    let sk = kg.secret_key().unwrap();
    let n = ctx.params().n();
    for (choice, span) in [
        (SumChoice::Tree, 64),
        (SumChoice::Hoisted(Some(8)), 64),
        (SumChoice::Hoisted(None), 16),
        (SumChoice::Auto, 128),
    ] {
        let (method, keys) = kg.sum_keys(&sk, choice, span, 1).unwrap();
        match (choice, &method) {
            (SumChoice::Tree, SumMethod::Tree) | (SumChoice::Auto, _) => {}
            (SumChoice::Hoisted(Some(8)), SumMethod::Hoisted(p)) => assert_eq!(p.max_radix(), 8),
            (SumChoice::Hoisted(None), SumMethod::Hoisted(_)) => {}
            other => panic!("{other:?}"),
        }
        let steps = method.rotation_steps(span);
        assert_eq!(keys.len(), steps.len(), "{choice:?}");
        assert!(steps.iter().all(|&s| keys.has_rotation(n, s)));
    }
    assert!(kg.sum_keys(&sk, SumChoice::Auto, 48, 1).is_err());
    assert!(
        kg.sum_keys(&sk, SumChoice::Hoisted(Some(3)), 64, 1)
            .is_err()
    );
    assert!(kg.sum_keys(&sk, SumChoice::Auto, 64, 9).is_err());
}

#[test]
fn encrypted_batch_runs_every_layout_family() {
    let ctx = toy();
    let mut kg = KeyGenerator::from_seed(ctx.clone(), 3);
    let sk = kg.secret_key().unwrap();
    let (_, galois) = kg.sum_keys(&sk, SumChoice::Tree, 16, 1).unwrap();
    let keys = Arc::new(EvaluationKeys {
        relin: Some(kg.relin_key(&sk).unwrap()),
        galois,
    });
    let encoder = Encoder::new(ctx.clone());
    let mut enc = Encryptor::with_secret_key(ctx.clone(), &sk).unwrap();
    let dec = Decryptor::new(ctx.clone(), &sk).unwrap();
    let xs: Vec<Vec<f64>> = (0..5)
        .map(|i| (0..16).map(|j| ((i + j) % 7) as f64 / 7.0).collect())
        .collect();
    let ys: Vec<Vec<f64>> = (0..5)
        .map(|i| (0..16).map(|j| ((i * j) % 5) as f64 / 5.0 - 0.4).collect())
        .collect();
    let want: Vec<f64> = xs
        .iter()
        .zip(&ys)
        .map(|(x, y)| x.iter().zip(y).map(|(a, b)| a * b).sum())
        .collect();
    // Per-pair (b = 16, one product per ciphertext: the `m = 1` extreme is reached with k = 1
    // plans; here b = 16 packs all 5), packed and tiled layouts, and the planner's own choice.
    for block in [Some(16), Some(4), Some(1), None] {
        let mut req = BatchRequest::new(5, 16, 2);
        req.block = block;
        req.sum = SumChoice::Tree; // the keys are the tree's over 16 slots
        let plan = Evaluator::new(ctx.clone(), keys.clone())
            .unwrap()
            .plan_batch(&req)
            .unwrap();
        let eval = Evaluator::new(ctx.clone(), keys.clone()).unwrap();
        let cfg = EngineConfig {
            threads: Some(2),
            ..Default::default()
        };
        let engine = InnerProductEngine::new(eval, cfg).unwrap();
        let batch = EncryptedBatch::encrypt(&plan, &xs, &ys, None, &encoder, &mut enc).unwrap();
        assert_eq!(batch.count(), 5);
        assert_eq!(batch.tiles().len(), plan.groups * plan.layout.tiles);
        let (out, _) = engine.run_batch(&batch, &|_, _| {}).unwrap();
        let got = batch.decrypt(&out, &dec, &encoder).unwrap();
        assert_eq!(got.len(), 5);
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-6, "{block:?}: {g} vs {w}");
        }
        assert!(batch.decrypt(&out[..0], &dec, &encoder).is_err());
    }
    // Bad batches.
    let plan = BatchPlan::uncosted(ctx.params(), &BatchRequest::new(5, 16, 1)).unwrap();
    assert!(EncryptedBatch::encrypt(&plan, &xs, &ys[..4], None, &encoder, &mut enc).is_err());
    assert!(EncryptedBatch::encrypt(&plan, &[], &[], None, &encoder, &mut enc).is_err());
    let mut ragged = xs.clone();
    ragged[3].pop();
    assert!(EncryptedBatch::encrypt(&plan, &ragged, &ys, None, &encoder, &mut enc).is_err());
    let odd = vec![vec![0.5; 12]; 5];
    assert!(EncryptedBatch::encrypt(&plan, &odd, &odd, None, &encoder, &mut enc).is_err());
}
