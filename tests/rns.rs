//! RNS layer: basis conversion, ModUp/ModDown, rescale and automorphisms against big-integer
//! references; every ISA against scalar bit for bit at the shapes of sets S and L.

mod common;

use ckks_accel::arith::ntt_primes;
use ckks_accel::keyswitch::ModDown;
use ckks_accel::rns::basis_conversion::{BasisConverter, convert_poly};
use ckks_accel::rns::{Automorphism, Representation, RnsBasis, RnsPoly, automorphism};
use ckks_accel::{Error, Isa};
use common::{random_below, rng};
use num_bigint::BigUint;

/// Distinct primes: `count` of `bits` bits, skipping the first `skip`.
fn primes(bits: u32, n: usize, count: usize, skip: usize) -> Vec<u64> {
    ntt_primes(bits, n, count + skip).unwrap()[skip..].to_vec()
}

fn random_poly(basis: &RnsBasis, repr: Representation, seed: u64) -> RnsPoly {
    let mut r = rng(seed);
    let mut words = Vec::new();
    for &q in basis.primes() {
        words.extend(random_below(&mut r, basis.n(), q));
    }
    RnsPoly::from_words(basis, repr, &words).unwrap()
}

fn big(x: u64) -> BigUint {
    BigUint::from(x)
}

fn product(ps: &[u64]) -> BigUint {
    ps.iter().fold(big(1), |acc, &p| acc * big(p))
}

/// CRT value of coefficient `c` of `poly`.
fn crt(poly: &RnsPoly, c: usize) -> BigUint {
    let ps = poly.primes();
    let q = product(ps);
    let mut acc = big(0);
    for (i, &p) in ps.iter().enumerate() {
        let qi = &q / big(p);
        let inv = (&qi % big(p)).modpow(&big(p - 2), &big(p));
        acc += big(poly.limb(i)[c]) * inv % big(p) * qi;
    }
    acc % q
}

fn to_u64(x: &BigUint) -> u64 {
    x.to_u64_digits().first().copied().unwrap_or(0)
}

#[test]
fn base_conversion_is_x_plus_small_multiple_of_q() {
    let n = 1 << 10;
    let src_p = [primes(60, n, 1, 0), primes(50, n, 4, 0)].concat();
    let dst_p = [primes(50, n, 3, 4), primes(61, n, 5, 0)].concat();
    let src = RnsBasis::new(n, &src_p).unwrap();
    let dst = RnsBasis::new(n, &dst_p).unwrap();
    let conv = BasisConverter::new(&src, &dst, &(0..dst.len()).collect::<Vec<_>>()).unwrap();
    let x = random_poly(&src, Representation::Coefficient, 1);
    let y = convert_poly(&conv, &x, &dst).unwrap();
    let q = product(&src_p);
    for c in 0..n {
        let xv = crt(&x, c);
        // The same sum the kernel forms, over the integers.
        let mut s = big(0);
        for (i, &qi) in src_p.iter().enumerate() {
            let qhat = &q / big(qi);
            let inv = (&qhat % big(qi)).modpow(&big(qi - 2), &big(qi));
            s += big(x.limb(i)[c]) * inv % big(qi) * qhat;
        }
        let u = (&s - &xv) / &q;
        assert_eq!(&xv + &u * &q, s);
        assert!(u < big(src_p.len() as u64), "u = {u} too large");
        for (j, &p) in dst_p.iter().enumerate() {
            assert_eq!(
                y.limb(j)[c],
                to_u64(&(&s % big(p))),
                "coefficient {c} limb {j}"
            );
        }
    }
}

fn check_conversion_isas(n: usize, src_p: &[u64], dst_p: &[u64]) {
    let src = RnsBasis::new(n, src_p).unwrap();
    let dst = RnsBasis::new(n, dst_p).unwrap();
    let pos: Vec<usize> = (0..dst.len()).collect();
    let x = random_poly(&src, Representation::Coefficient, n as u64);
    let mut edge = x.clone();
    for (i, limb) in edge.limbs_mut().enumerate() {
        let q = src_p[i];
        limb.iter_mut()
            .enumerate()
            .for_each(|(k, v)| *v = [0, q - 1, q / 2, 1][k % 4]);
    }
    // The lazy accumulators' upper edge: x_i = [−Q/q_i]_{q_i} makes every step-1 product
    // t_i = x_i·(Q/q_i)^{−1} = q_i − 1, the largest value each term can contribute.
    let mut top = x.clone();
    let q_all = product(src_p);
    for (i, limb) in top.limbs_mut().enumerate() {
        let q = src_p[i];
        let q_hat = to_u64(&(&q_all / big(q) % big(q)));
        limb.iter_mut()
            .enumerate()
            .for_each(|(k, v)| *v = if k % 2 == 0 { q - q_hat } else { q - 1 });
    }
    let exact = src_p.len() <= ckks_accel::rns::basis_conversion::MAX_EXACT_SOURCE_LIMBS;
    for is_exact in [false, true] {
        if is_exact && !exact {
            continue;
        }
        let build = |isa| {
            if is_exact {
                BasisConverter::exact_with_isa(&src, &dst, &pos, isa).unwrap()
            } else {
                BasisConverter::with_isa(&src, &dst, &pos, isa).unwrap()
            }
        };
        let reference = build(Isa::Scalar);
        for input in [&x, &edge, &top] {
            let want = convert_poly(&reference, input, &dst).unwrap();
            for isa in Isa::available() {
                let conv = build(isa);
                let got = convert_poly(&conv, input, &dst).unwrap();
                assert_eq!(
                    got,
                    want,
                    "{isa} (ran on {}) n={n} exact={is_exact}",
                    conv.isa()
                );
            }
        }
    }
}

/// Every case of the split-52 IFMA kernel (source primes < 2^50, in [2^50, 2^52), ≥ 2^52;
/// output primes < 2^50 and ≥ 2^50) and the 15-limb maximum, against scalar on every ISA —
/// at n = 2^10 (four output vectors per row step) and n = 16 (on the 8-lane ISAs a tile of two
/// vectors, computed one at a time; scalar and AVX2 take four vectors at every n ≥ 16). The
/// all-narrow case at n = 16 covers the one-vector path of the IFMA kernel for primes < 2^50.
#[test]
fn split52_conversion_cases_match_scalar() {
    for n in [1 << 10, 16] {
        split52_cases(n);
    }
    let narrow = primes(49, 16, 8, 0);
    check_conversion_isas(16, &narrow[..3], &narrow[3..]);
}

fn split52_cases(n: usize) {
    let p50 = primes(49, n, 6, 0);
    let p51 = primes(51, n, 3, 0);
    let p52 = primes(52, n, 2, 0);
    let p60 = primes(60, n, 2, 0);
    let p62 = primes(62, n, 16, 0);
    // Narrow sources to narrow + wide outputs (ModUp of a 50-bit digit).
    check_conversion_isas(n, &p50[..3], &[&p50[3..], &p60[..], &p62[..2]].concat());
    // Wide rows with 2^50 ≤ p < 2^52 (A0 may exceed p there).
    check_conversion_isas(n, &p50[..3], &[&p51[..], &p52[..]].concat());
    check_conversion_isas(
        n,
        &[&p62[..1], &p50[..2]].concat(),
        &[&p51[..], &p52[..]].concat(),
    );
    // Sources in [2^50, 2^52): t < 2^52 but the 2^104 part appears in narrow rows.
    check_conversion_isas(n, &p51, &[&p50[..], &p62[..1]].concat());
    // Sources ≥ 2^52 (t1 ≠ 0) to every kind of output (ModDown, and ModUp of digit 0).
    check_conversion_isas(
        n,
        &[&p62[..2], &p52[..]].concat(),
        &[&p50[..], &p60[..]].concat(),
    );
    check_conversion_isas(
        n,
        &[&p60[..1], &p50[..2]].concat(),
        &[&p50[2..], &p62[..3]].concat(),
    );
    // The most source limbs one conversion takes, all 62-bit, to 62- and 50-bit outputs.
    check_conversion_isas(n, &p62[..15], &[&p62[15..], &p50[..2]].concat());
}

#[test]
fn every_isa_converts_like_scalar_set_s_and_l_shapes() {
    // Set S: ModUp of a 2-limb digit (60+40 bits) to 4×40 + 2×61; ModDown 2×61 → 6 limbs.
    let n = 1 << 14;
    let q_s = [primes(60, n, 1, 0), primes(40, n, 5, 0)].concat();
    let p_s = primes(61, n, 2, 0);
    check_conversion_isas(n, &q_s[..2], &[q_s[2..].to_vec(), p_s.clone()].concat());
    check_conversion_isas(n, &p_s, &q_s);
    // Set L: a 5-limb digit (60+4×50) to 15×50 + 5×61; ModDown 5×61 → 20 limbs.
    let n = 1 << 16;
    let q_l = [primes(60, n, 1, 0), primes(50, n, 19, 0)].concat();
    let p_l = primes(61, n, 5, 0);
    check_conversion_isas(n, &q_l[..5], &[q_l[5..].to_vec(), p_l.clone()].concat());
    check_conversion_isas(n, &p_l, &q_l);
    // IFMA-friendly variant: every prime below 2^50, so the IFMA kernel runs.
    let q_f = primes(49, n, 10, 0);
    check_conversion_isas(n, &q_f[..5], &q_f[5..]);
    check_conversion_isas(n, &q_f[..15.min(q_f.len())], &primes(48, n, 3, 0));
}

#[test]
fn mod_down_divides_by_p() {
    let n = 1 << 10;
    let q_p = primes(50, n, 4, 0);
    let p_p = primes(61, n, 2, 0);
    let q = RnsBasis::new(n, &q_p).unwrap();
    let p = RnsBasis::new(n, &p_p).unwrap();
    let qp = q.concat(&p).unwrap();
    // x = P·y + e with small e: ModDown must return y + (small).
    let y = random_poly(&q, Representation::Coefficient, 9);
    let pv = product(&p_p);
    let mut x = RnsPoly::zero(&qp, Representation::Coefficient);
    let mut r = rng(10);
    let errs = random_below(&mut r, n, 1000);
    for (c, &e) in errs.iter().enumerate() {
        let xv = crt(&y, c) * &pv + big(e);
        for (i, &m) in qp.primes().iter().enumerate() {
            x.limb_mut(i)[c] = to_u64(&(&xv % big(m)));
        }
    }
    x.ntt(&qp).unwrap();
    let md = ModDown::new(&q, &p).unwrap();
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
    // The paired form (two inputs, ordered by prime) gives the same words as two calls.
    let x2 = random_poly(&qp, Representation::Evaluation, 11);
    let mut single = RnsPoly::zero(&q, Representation::Evaluation);
    md.apply(
        &q,
        &p,
        x2.as_words(),
        single.as_words_mut(),
        &mut scratch,
        &mut Default::default(),
    );
    let (mut pair0, mut pair1) = (out.clone(), single.clone());
    pair0.as_words_mut().fill(0);
    pair1.as_words_mut().fill(0);
    let mut scratch2 = vec![0; md.scratch_len(n)];
    md.apply_pair(
        &q,
        &p,
        (x.as_words(), x2.as_words()),
        (pair0.as_words_mut(), pair1.as_words_mut()),
        (&mut scratch, &mut scratch2),
        &mut Default::default(),
    );
    assert_eq!(pair0, out);
    assert_eq!(pair1, single);
    out.intt(&q).unwrap();
    let qv = product(&q_p);
    for c in 0..n {
        let got = crt(&out, c);
        let want = crt(&y, c);
        let diff = if got >= want {
            &got - &want
        } else {
            &qv - (&want - &got)
        };
        let alt = &qv - &diff;
        let diff = diff.min(alt);
        assert!(
            diff <= big(p_p.len() as u64),
            "coefficient {c}: error {diff}"
        );
    }
}

#[test]
fn rescale_rounds_exactly() {
    let n = 1 << 10;
    let ps = [primes(60, n, 1, 0), primes(40, n, 3, 0)].concat();
    let basis = RnsBasis::new(n, &ps).unwrap();
    let lower = basis.prefix(3);
    for repr in [Representation::Coefficient, Representation::Evaluation] {
        let x = random_poly(&basis, Representation::Coefficient, 5);
        let mut xin = x.clone();
        if repr == Representation::Evaluation {
            xin.ntt(&basis).unwrap();
        }
        let mut out = RnsPoly::zero(&lower, repr);
        let mut scratch = vec![0; 2 * n];
        xin.rescale_into(&basis, &mut out, &mut scratch).unwrap();
        if repr == Representation::Evaluation {
            out.intt(&lower).unwrap();
        }
        let ql = big(ps[3]);
        let ql_half = big(ps[3] / 2);
        let q_low = product(&ps[..3]);
        for c in 0..n {
            let want = (crt(&x, c) + &ql_half) / &ql % &q_low;
            assert_eq!(crt(&out, c), want, "{repr:?} coefficient {c}");
        }
    }
}

#[test]
fn automorphisms_commute_with_the_ntt() {
    let n = 1 << 10;
    let basis = RnsBasis::new(n, &primes(50, n, 2, 0)).unwrap();
    let a = random_poly(&basis, Representation::Coefficient, 3);
    for g in [
        3,
        5,
        25,
        2 * n - 1,
        automorphism::galois_element_for_rotation(n, 7),
    ] {
        let auto = Automorphism::new(n, g).unwrap();
        let mut coeff = RnsPoly::zero(&basis, Representation::Coefficient);
        auto.apply(&a, &mut coeff, &basis).unwrap();
        coeff.ntt(&basis).unwrap();
        let mut ea = a.clone();
        ea.ntt(&basis).unwrap();
        let mut eval = RnsPoly::zero(&basis, Representation::Evaluation);
        auto.apply(&ea, &mut eval, &basis).unwrap();
        assert_eq!(coeff, eval, "g = {g}");
    }
    // σ_g ∘ σ_h = σ_{gh}; rotation by r then by s is rotation by r + s.
    let r1 = Automorphism::rotation(n, 3).unwrap();
    let r2 = Automorphism::rotation(n, 5).unwrap();
    let r12 = Automorphism::rotation(n, 8).unwrap();
    let (mut t, mut u, mut v) = (a.clone(), a.clone(), a.clone());
    r1.apply(&a, &mut t, &basis).unwrap();
    r2.apply(&t, &mut u, &basis).unwrap();
    r12.apply(&a, &mut v, &basis).unwrap();
    assert_eq!(u, v);
    assert!(Automorphism::new(n, 4).is_err());
    assert!(Automorphism::new(n, 2 * n + 1).is_err());
}

#[test]
fn limbwise_ops_and_typed_errors() {
    let n = 64;
    let ps = primes(50, n, 3, 0);
    let basis = RnsBasis::new(n, &ps).unwrap();
    let other = RnsBasis::new(n, &primes(50, n, 3, 3)).unwrap();
    let mut a = random_poly(&basis, Representation::Evaluation, 1);
    let b = random_poly(&basis, Representation::Evaluation, 2);
    let c = random_poly(&other, Representation::Evaluation, 3);
    let mut sum = a.clone();
    sum.add_assign(&b, &basis).unwrap();
    sum.sub_assign(&b, &basis).unwrap();
    assert_eq!(sum, a);
    assert!(matches!(
        a.add_assign(&c, &basis),
        Err(Error::BasisMismatch { .. })
    ));
    let coeff = random_poly(&basis, Representation::Coefficient, 4);
    assert!(matches!(
        a.add_assign(&coeff, &basis),
        Err(Error::WrongRepresentation { .. })
    ));
    assert!(matches!(a.intt(&other), Err(Error::BasisMismatch { .. })));
    assert!(matches!(
        RnsBasis::new(n, &[ps[0], ps[1], ps[0]]),
        Err(Error::DuplicatePrime { .. })
    ));
    let mut bad = vec![0u64; 3 * n];
    bad[5] = ps[0];
    assert!(RnsPoly::from_words(&basis, Representation::Coefficient, &bad).is_err());
    let too_many = RnsBasis::new(n, &primes(40, n, 16, 0)).unwrap();
    assert!(matches!(
        BasisConverter::new(&too_many, &basis, &[0, 1, 2]),
        Err(Error::TooManySourceLimbs { .. })
    ));
}
