//! Hybrid key switching: correctness (decrypts to d·s′ within the documented noise bound),
//! hoisted rotations, every ISA bit for bit against scalar at sets S and L, typed errors.

mod common;

use ckks_accel::arith::ntt_primes;
use ckks_accel::keyswitch::KeySwitcher;
use ckks_accel::rns::{Automorphism, Representation, RnsBasis, RnsPoly, sampling};
use ckks_accel::{Error, Isa};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

struct Setup {
    ks: KeySwitcher,
    s: RnsPoly,
    s_l1: usize,
}

fn set_s() -> (usize, Vec<u64>, Vec<u64>, usize) {
    let n = 1 << 14;
    let q = [ntt_primes(60, n, 1).unwrap(), ntt_primes(40, n, 5).unwrap()].concat();
    (n, q, ntt_primes(61, n, 2).unwrap(), 3)
}

fn set_l() -> (usize, Vec<u64>, Vec<u64>, usize) {
    let n = 1 << 16;
    let q = [
        ntt_primes(60, n, 1).unwrap(),
        ntt_primes(50, n, 19).unwrap(),
    ]
    .concat();
    (n, q, ntt_primes(61, n, 5).unwrap(), 4)
}

fn setup(
    (n, q, p, dnum): (usize, Vec<u64>, Vec<u64>, usize),
    isa: Isa,
    rng: &mut ChaCha20Rng,
) -> Setup {
    let ks = KeySwitcher::with_isa(n, &q, &p, dnum, isa).unwrap();
    let coeffs = sampling::ternary_coeffs(n, None, rng);
    let s_l1 = coeffs.iter().filter(|&&c| c != 0).count();
    let mut s = sampling::from_signed(ks.qp_basis(), &coeffs);
    s.ntt(ks.qp_basis()).unwrap();
    Setup { ks, s, s_l1 }
}

/// The secret restricted to the first `l` Q limbs.
fn restrict(s: &RnsPoly, basis: &RnsBasis) -> RnsPoly {
    let mut t = s.clone();
    t.truncate(basis).unwrap();
    t
}

/// max |c0 + c1·s − d·s′| over centered coefficients (as f64, log scale is enough).
fn noise(
    basis: &RnsBasis,
    c0: &RnsPoly,
    c1: &RnsPoly,
    s: &RnsPoly,
    d: &RnsPoly,
    s_from: &RnsPoly,
) -> f64 {
    let mut v = c1.clone();
    v.mul_assign(s, basis).unwrap();
    v.add_assign(c0, basis).unwrap();
    let mut ds = d.clone();
    ds.mul_assign(s_from, basis).unwrap();
    v.sub_assign(&ds, basis).unwrap();
    v.intt(basis).unwrap();
    // Small values have the same centered residue in every limb: read limb 0, and check that
    // limb 1 agrees (so the value is small mod Q, not just mod q_0).
    let q0 = basis.primes()[0] as i128;
    let centered = |x: u64, q: i128| {
        let x = x as i128;
        if x > q / 2 { x - q } else { x }
    };
    let mut worst = 0f64;
    for c in 0..basis.n() {
        let a = centered(v.limb(0)[c], q0);
        if basis.len() > 1 {
            let b = centered(v.limb(1)[c], basis.primes()[1] as i128);
            assert_eq!(a, b, "noise is not small mod Q at coefficient {c}");
        }
        worst = worst.max(a.unsigned_abs() as f64);
    }
    worst
}

fn check_switch(set: (usize, Vec<u64>, Vec<u64>, usize), levels: &[usize]) {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let st = setup(set, Isa::detect(), &mut rng);
    let ks = &st.ks;
    let reference = KeySwitcher::with_isa(
        ks.n(),
        ks.q_basis().primes(),
        ks.p_basis().primes(),
        ks.dnum(),
        Isa::Scalar,
    )
    .unwrap();
    // Relinearization-style key: s² → s.
    let mut s2 = st.s.clone();
    s2.mul_assign(&st.s, ks.qp_basis()).unwrap();
    let key = ks.generate_key(&s2, &st.s, &mut rng).unwrap();
    let mut scratch = ks.scratch();
    let mut ref_scratch = reference.scratch();
    for &l in levels {
        let basis = ks.q_basis().prefix(l);
        let d = sampling::uniform(&basis, Representation::Evaluation, &mut rng);
        let (mut c0, mut c1) = (
            RnsPoly::zero(&basis, Representation::Evaluation),
            RnsPoly::zero(&basis, Representation::Evaluation),
        );
        ks.switch(&d, &key, &mut c0, &mut c1, &mut scratch).unwrap();
        let (mut r0, mut r1) = (c0.clone(), c1.clone());
        reference
            .switch(&d, &key, &mut r0, &mut r1, &mut ref_scratch)
            .unwrap();
        assert_eq!(
            (&c0, &c1),
            (&r0, &r1),
            "{} differs from scalar at {l} limbs",
            Isa::detect()
        );
        let e = noise(
            &basis,
            &c0,
            &c1,
            &restrict(&st.s, &basis),
            &d,
            &restrict(&s2, &basis),
        );
        let bound = ks.noise_bound(st.s_l1);
        eprintln!(
            "n={} limbs={l}: key-switch noise {e} (bound {bound:.0}, log2 {:.1})",
            ks.n(),
            e.log2()
        );
        assert!(e <= bound, "noise {e} above bound {bound}");
    }
}

#[test]
fn switch_set_s_all_levels_and_isas() {
    check_switch(set_s(), &[6, 5, 3, 1]);
}

#[test]
fn switch_set_l_top_level_and_isas() {
    check_switch(set_l(), &[20, 7]);
}

#[test]
fn hoisted_rotations_decrypt_correctly() {
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let st = setup(set_s(), Isa::detect(), &mut rng);
    let ks = &st.ks;
    let n = ks.n();
    let basis = ks.q_basis().clone();
    let d = sampling::uniform(&basis, Representation::Evaluation, &mut rng);
    let mut scratch = ks.scratch();
    let mut dec = ks.decomposition_buffer();
    ks.decompose(&d, &mut dec, &mut scratch).unwrap();
    assert_eq!(dec.digits(), 3);
    for steps in [1, 2, 4, -1] {
        let auto = Automorphism::rotation(n, steps).unwrap();
        // Galois key: σ(s) → s (stored permuted by σ^{−1}).
        let mut s_rot = RnsPoly::zero(ks.qp_basis(), Representation::Evaluation);
        auto.apply(&st.s, &mut s_rot, ks.qp_basis()).unwrap();
        let key = ks.generate_galois_key(&st.s, &auto, &mut rng).unwrap();
        assert_eq!(key.galois_element(), Some(auto.galois_element()));
        let (mut c0, mut c1) = (
            RnsPoly::zero(&basis, Representation::Evaluation),
            RnsPoly::zero(&basis, Representation::Evaluation),
        );
        ks.apply(&dec, &key, Some(&auto), &mut c0, &mut c1, &mut scratch)
            .unwrap();
        // c0 + c1·s ≈ σ(d)·σ(s) = σ(d·s): the key switch of σ(d).
        let mut d_rot = RnsPoly::zero(&basis, Representation::Evaluation);
        auto.apply(&d, &mut d_rot, &basis).unwrap();
        let e = noise(
            &basis,
            &c0,
            &c1,
            &restrict(&st.s, &basis),
            &d_rot,
            &restrict(&s_rot, &basis),
        );
        assert!(e <= ks.noise_bound(st.s_l1), "rotation {steps}: noise {e}");
        // The parallel (limb) path computes exactly the same words.
        let mut par = ks.scratch();
        par.set_parallel(true);
        let (mut p0, mut p1) = (c0.clone(), c1.clone());
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        pool.install(|| ks.apply(&dec, &key, Some(&auto), &mut p0, &mut p1, &mut par))
            .unwrap();
        assert_eq!((&p0, &p1), (&c0, &c1));
        // A Galois key cannot be used without its automorphism (nor with another one).
        assert!(matches!(
            ks.apply(&dec, &key, None, &mut p0, &mut p1, &mut scratch),
            Err(Error::KeyMismatch { .. })
        ));
    }
    // Parallel decomposition equals the sequential one.
    let mut par = ks.scratch();
    par.set_parallel(true);
    let mut dec2 = ks.decomposition_buffer();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    pool.install(|| ks.decompose(&d, &mut dec2, &mut par))
        .unwrap();
    let key = ks.generate_key(&st.s, &st.s, &mut rng).unwrap();
    let (mut a0, mut a1) = (
        RnsPoly::zero(&basis, Representation::Evaluation),
        RnsPoly::zero(&basis, Representation::Evaluation),
    );
    let (mut b0, mut b1) = (a0.clone(), a1.clone());
    ks.apply(&dec, &key, None, &mut a0, &mut a1, &mut scratch)
        .unwrap();
    ks.apply(&dec2, &key, None, &mut b0, &mut b1, &mut scratch)
        .unwrap();
    assert_eq!((&a0, &a1), (&b0, &b1));
}

#[test]
fn typed_errors() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let (n, q, p, _) = set_s();
    let ks = KeySwitcher::new(n, &q, &p, 3).unwrap();
    let other = KeySwitcher::new(n, &q, &p, 2).unwrap();
    assert!(matches!(
        KeySwitcher::new(n, &q, &p, 0),
        Err(Error::InvalidKeySwitchParams { .. })
    ));
    assert!(matches!(
        KeySwitcher::new(n, &q, &p, 7),
        Err(Error::InvalidKeySwitchParams { .. })
    ));
    assert!(matches!(
        KeySwitcher::new(n, &q, &q[..1], 3),
        Err(Error::DuplicatePrime { .. })
    ));
    let mut s = sampling::from_signed(ks.qp_basis(), &sampling::ternary_coeffs(n, None, &mut rng));
    assert!(matches!(
        ks.generate_key(&s, &s, &mut rng),
        Err(Error::WrongRepresentation { .. })
    ));
    s.ntt(ks.qp_basis()).unwrap();
    let key = ks.generate_key(&s, &s, &mut rng).unwrap();
    let other_key = other.generate_key(&s, &s, &mut rng).unwrap();
    let basis = ks.q_basis().clone();
    let d = sampling::uniform(&basis, Representation::Evaluation, &mut rng);
    let (mut c0, mut c1) = (
        RnsPoly::zero(&basis, Representation::Evaluation),
        RnsPoly::zero(&basis, Representation::Evaluation),
    );
    let mut scratch = ks.scratch();
    assert!(matches!(
        ks.switch(&d, &other_key, &mut c0, &mut c1, &mut scratch),
        Err(Error::KeyMismatch { .. })
    ));
    assert!(matches!(
        ks.switch(&d, &key, &mut c0, &mut c1, &mut other.scratch()),
        Err(Error::ScratchMismatch { .. })
    ));
    let mut dc = d.clone();
    dc.set_representation(Representation::Coefficient);
    assert!(matches!(
        ks.switch(&dc, &key, &mut c0, &mut c1, &mut scratch),
        Err(Error::WrongRepresentation { .. })
    ));
    let foreign = RnsBasis::new(
        n,
        &ntt_primes(40, n, 6).unwrap()[..6]
            .iter()
            .rev()
            .copied()
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let df = sampling::uniform(&foreign, Representation::Evaluation, &mut rng);
    assert!(matches!(
        ks.switch(&df, &key, &mut c0, &mut c1, &mut scratch),
        Err(Error::BasisMismatch { .. })
    ));
    ks.switch(&d, &key, &mut c0, &mut c1, &mut scratch).unwrap();
    assert!(key.size_bytes() > 0 && key.digits() == 3);
}
