//! Precision of the RNS layer: the exact P → Q conversion returns the centered representative
//! (every ISA bit for bit equal to scalar), and ModDown rounds to nearest with zero-mean error —
//! a test that fails if the one-sided bias of the fast conversion comes back.

mod common;

use ckks_accel::Isa;
use ckks_accel::arith::ntt_primes;
use ckks_accel::keyswitch::ModDown;
use ckks_accel::rns::basis_conversion::{BasisConverter, convert_poly};
use ckks_accel::rns::{Representation, RnsBasis, RnsPoly};
use common::{random_below, rng};
use num_bigint::{BigInt, BigUint};

fn primes(bits: u32, n: usize, count: usize, skip: usize) -> Vec<u64> {
    ntt_primes(bits, n, count + skip).unwrap()[skip..].to_vec()
}

fn product(ps: &[u64]) -> BigUint {
    ps.iter().fold(BigUint::from(1u32), |acc, &p| acc * p)
}

/// CRT value in [0, Q) of coefficient `c`.
fn crt(poly: &RnsPoly, c: usize) -> BigUint {
    let ps = poly.primes();
    let q = product(ps);
    let mut acc = BigUint::from(0u32);
    for (i, &p) in ps.iter().enumerate() {
        let qi = &q / p;
        let inv = (&qi % p).modpow(&BigUint::from(p - 2), &BigUint::from(p));
        acc += BigUint::from(poly.limb(i)[c]) * inv % p * qi;
    }
    acc % q
}

/// Centered value in (−Q/2, Q/2].
fn centered(x: &BigUint, q: &BigUint) -> BigInt {
    if x * 2u32 > *q {
        BigInt::from(x.clone()) - BigInt::from(q.clone())
    } else {
        BigInt::from(x.clone())
    }
}

fn residue(x: &BigInt, p: u64) -> u64 {
    let r = ((x % p) + p) % p;
    r.to_u64_digits().1.first().copied().unwrap_or(0)
}

fn poly_from_values(basis: &RnsBasis, values: &[BigInt]) -> RnsPoly {
    let mut words = Vec::with_capacity(basis.len() * basis.n());
    for &p in basis.primes() {
        words.extend(values.iter().map(|v| residue(v, p)));
    }
    RnsPoly::from_words(basis, Representation::Coefficient, &words).unwrap()
}

/// Random values in [0, Q), with `edges` also edge values: 0, ±1, ±⌊Q/2⌋, Q/2 ± small, and limb patterns.
fn test_values(q: &BigUint, n: usize, seed: u64, edges: bool) -> Vec<BigInt> {
    let mut r = rng(seed);
    let qi = BigInt::from(q.clone());
    let half: BigInt = &qi / 2u32;
    let words = q.to_u64_digits().len() + 1;
    (0..n)
        .map(|c| match if edges { c % 16 } else { 15 } {
            0 => BigInt::from(0),
            1 => BigInt::from(1),
            2 => &qi - 1,
            3 => half.clone(),
            4 => &half + 1,
            5 => &half - 1,
            6 => &half + 2,
            _ => {
                let limbs = random_below(&mut r, words, u64::MAX);
                BigInt::from(BigUint::new(
                    limbs
                        .iter()
                        .flat_map(|&w| [w as u32, (w >> 32) as u32])
                        .collect(),
                )) % &qi
            }
        })
        .collect()
}

/// The exact conversion returns [x_c]_{p_j} for the centered x_c (at a rounding tie, i.e.
/// |x_c| ≈ Q/2, also x_c ∓ Q), and every ISA returns the scalar words.
fn check_exact(n: usize, src_p: &[u64], dst_p: &[u64], big_check: bool) {
    let src = RnsBasis::new(n, src_p).unwrap();
    let dst = RnsBasis::new(n, dst_p).unwrap();
    let pos: Vec<usize> = (0..dst.len()).collect();
    let q = product(src_p);
    let values = test_values(&q, n, n as u64 ^ src_p[0], true);
    let x = poly_from_values(&src, &values);
    let reference = BasisConverter::exact_with_isa(&src, &dst, &pos, Isa::Scalar).unwrap();
    assert!(reference.is_exact());
    let want = convert_poly(&reference, &x, &dst).unwrap();
    for isa in Isa::available() {
        let conv = BasisConverter::exact_with_isa(&src, &dst, &pos, isa).unwrap();
        let got = convert_poly(&conv, &x, &dst).unwrap();
        assert_eq!(got, want, "{isa} (ran on {}) n={n}", conv.isa());
    }
    if !big_check {
        return;
    }
    let qi = BigInt::from(q.clone());
    // Estimate error ≤ s·2^−50 of Q: only values this close to ±Q/2 may take the other side.
    let tie_zone = &qi >> 40;
    for (c, v) in values.iter().enumerate() {
        let xc = centered(&BigUint::try_from(v.clone()).unwrap(), &q);
        let near_tie = (&qi / 2u32) - BigInt::from(xc.magnitude().clone()) < tie_zone;
        for (j, &p) in dst_p.iter().enumerate() {
            let got = want.limb(j)[c];
            let ok = got == residue(&xc, p)
                || (near_tie
                    && (got == residue(&(&xc - &qi), p) || got == residue(&(&xc + &qi), p)));
            assert!(ok, "coefficient {c} (x_c = {xc}) limb {j}: {got}");
        }
    }
}

#[test]
fn exact_conversion_is_centered_and_isa_independent() {
    let n = 1 << 10;
    // Shapes of ModDown: set S (2 × 61-bit P → 60 + 40-bit Q), set L (5 × 61 → 60 + 50),
    // IFMA-friendly (every prime < 2^50), one special prime, 62-bit primes.
    let q = [
        primes(60, n, 1, 0),
        primes(40, n, 3, 0),
        primes(50, n, 3, 0),
    ]
    .concat();
    check_exact(n, &primes(61, n, 2, 0), &q, true);
    check_exact(n, &primes(61, n, 5, 0), &q, true);
    check_exact(n, &primes(61, n, 1, 0), &q, true);
    check_exact(n, &primes(49, n, 3, 0), &primes(48, n, 6, 0), true);
    check_exact(n, &primes(62, n, 7, 0), &primes(30, n, 2, 0), true);
    // Full-size shapes against scalar only.
    let n = 1 << 14;
    let q_s = [primes(60, n, 1, 0), primes(40, n, 5, 0)].concat();
    check_exact(n, &primes(61, n, 2, 0), &q_s, false);
    let n = 1 << 16;
    let q_l = [primes(60, n, 1, 0), primes(50, n, 19, 0)].concat();
    check_exact(n, &primes(61, n, 5, 0), &q_l, false);
    check_exact(n, &primes(49, n, 5, 0), &primes(48, n, 15, 0), false);
}

#[test]
fn exact_conversion_rejects_too_many_limbs() {
    let n = 64;
    let src = RnsBasis::new(n, &primes(40, n, 8, 0)).unwrap();
    let dst = RnsBasis::new(n, &primes(50, n, 2, 0)).unwrap();
    assert!(matches!(
        BasisConverter::exact(&src, &dst, &[0, 1]),
        Err(ckks_accel::Error::TooManySourceLimbs { max: 7, .. })
    ));
}

/// ModDown over random x ∈ [0, QP): the result must be x/P rounded to nearest (error in
/// [−1/2, 1/2]) and the error's mean over all coefficients must be zero within 5 standard
/// errors. The fast conversion (floor and a one-sided u·P) has mean ≈ −(|P| + 1)/2 and fails.
#[test]
fn mod_down_rounds_to_nearest_with_zero_mean_error() {
    let n = 1 << 12;
    for (q_p, p_p) in [
        (
            [primes(60, n, 1, 0), primes(40, n, 5, 0)].concat(),
            primes(61, n, 2, 0),
        ),
        (primes(49, n, 4, 0), primes(48, n, 3, 0)),
    ] {
        let q = RnsBasis::new(n, &q_p).unwrap();
        let p = RnsBasis::new(n, &p_p).unwrap();
        let qp = q.concat(&p).unwrap();
        let all = [q_p.clone(), p_p.clone()].concat();
        let qp_v = product(&all);
        let (q_v, p_v) = (product(&q_p), product(&p_p));
        let values = test_values(&qp_v, n, 77, false);
        let mut x = poly_from_values(&qp, &values);
        x.ntt(&qp).unwrap();
        let mut reference: Option<RnsPoly> = None;
        for isa in Isa::available() {
            let md = ModDown::with_isa(&q, &p, isa).unwrap();
            let mut out = RnsPoly::zero(&q, Representation::Evaluation);
            let mut scratch = vec![0; md.scratch_len(n)];
            md.apply(
                &q,
                &p,
                x.as_words(),
                out.as_words_mut(),
                &mut scratch,
                &mut Default::default(),
            );
            match &reference {
                None => reference = Some(out),
                Some(r) => assert_eq!(&out, r, "ModDown on {isa} differs from scalar"),
            }
        }
        let mut out = reference.unwrap();
        out.intt(&q).unwrap();
        let (pf, mut sum, mut sum_sq) = (p_v.to_string().parse::<f64>().unwrap(), 0.0, 0.0);
        let pi = BigInt::from(p_v.clone());
        for (c, v) in values.iter().enumerate() {
            let xc = centered(&BigUint::try_from(v.clone()).unwrap(), &qp_v);
            let got = centered(&crt(&out, c), &q_v);
            // error·P = got·P − x_c mod QP, an integer of magnitude ≤ P/2.
            let qpi = BigInt::from(qp_v.clone());
            let r = ((&got * &pi - &xc) % &qpi + &qpi) % &qpi;
            let r = centered(&BigUint::try_from(r).unwrap(), &qp_v);
            let e = r.to_string().parse::<f64>().unwrap() / pf;
            assert!(e.abs() <= 0.5 + 1e-9, "coefficient {c}: error {e}");
            sum += e;
            sum_sq += e * e;
        }
        let nf = n as f64;
        let mean = sum / nf;
        let std = (sum_sq / nf - mean * mean).sqrt();
        assert!(
            mean.abs() <= 5.0 * std / nf.sqrt() + 1e-12,
            "ModDown error mean {mean:.4} (std {std:.3}, n {n}): biased"
        );
        // A uniform rounding error has std 1/√12 ≈ 0.289.
        assert!((std - 0.2887).abs() < 0.03, "std {std}");
    }
}

/// One key switch adds noise with the documented standard deviation (within 2^0.25), a max
/// below 6.5 σ_ks and a zero mean (within 5 standard errors): at set S's shape and a small
/// IFMA-friendly shape, on the best ISA.
#[test]
fn key_switch_noise_is_as_documented_and_unbiased() {
    use ckks_accel::keyswitch::KeySwitcher;
    use ckks_accel::rns::sampling;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;
    let n_s = 1 << 14;
    let q_s = [primes(60, n_s, 1, 0), primes(40, n_s, 5, 0)].concat();
    let small = 1 << 12;
    for (n, q, p, dnum, levels) in [
        (n_s, q_s, primes(61, n_s, 2, 0), 3, vec![6, 3, 1]),
        (
            small,
            primes(45, small, 4, 0),
            primes(49, small, 2, 0),
            2,
            vec![4, 2],
        ),
    ] {
        let ks = KeySwitcher::new(n, &q, &p, dnum).unwrap();
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let coeffs = sampling::ternary_coeffs(n, None, &mut rng);
        let h = coeffs.iter().filter(|&&c| c != 0).count();
        let mut s = sampling::from_signed(ks.qp_basis(), &coeffs);
        s.ntt(ks.qp_basis()).unwrap();
        let mut s2 = s.clone();
        s2.mul_assign(&s, ks.qp_basis()).unwrap();
        let key = ks.generate_key(&s2, &s, &mut rng).unwrap();
        let mut scratch = ks.scratch();
        for l in levels {
            let basis = ks.q_basis().prefix(l);
            let d = sampling::uniform(&basis, Representation::Evaluation, &mut rng);
            let mut c0 = RnsPoly::zero(&basis, Representation::Evaluation);
            let mut c1 = c0.clone();
            ks.switch(&d, &key, &mut c0, &mut c1, &mut scratch).unwrap();
            let e = ks.measure_noise(&c0, &c1, &s, &d, &s2).unwrap();
            let want = ks.expected_noise_std(l, h).unwrap();
            eprintln!(
                "n={n} limbs={l}: std 2^{:.2} (expected 2^{:.2}), max 2^{:.2}, mean {:+.3} ({:.1} σ)",
                e.log2_std(),
                want.log2(),
                e.log2_max(),
                e.mean,
                e.mean_sigmas()
            );
            assert!(
                (e.log2_std() - want.log2()).abs() <= 0.25,
                "std {e:?} vs {want}"
            );
            assert!(e.max_abs <= 6.5 * want, "max {} vs σ {want}", e.max_abs);
            assert!(e.mean_sigmas() <= 5.0, "biased key switch: {e:?}");
        }
    }
}
