//! ModDown fused with the rescale (`KeySwitcher::switch_rescale`): every ISA bit for bit against
//! scalar, within one unit of the two-step path (switch, add, rescale) on every coefficient with
//! no systematic difference, and typed errors where it does not apply.

use ckks_accel::arith::ntt_primes;
use ckks_accel::keyswitch::{KeySwitcher, ModDownRescale};
use ckks_accel::rns::{Representation, RnsBasis, RnsPoly, sampling};
use ckks_accel::{Error, Isa};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// Set S's shape (n = 2^14: 60 + 5 × 40-bit Q, 2 × 61-bit P, dnum 3) and a 5-prime P.
fn switcher(isa: Isa, p_count: usize) -> KeySwitcher {
    let n = 1 << 14;
    let q = [ntt_primes(60, n, 1).unwrap(), ntt_primes(40, n, 5).unwrap()].concat();
    KeySwitcher::with_isa(n, &q, &ntt_primes(61, n, p_count).unwrap(), 3, isa).unwrap()
}

fn centered(x: u64, q: u64) -> i64 {
    if x > q / 2 {
        x as i64 - q as i64
    } else {
        x as i64
    }
}

/// (fused − two-step) per coefficient, the same small integer in every limb.
fn differences(basis: &RnsBasis, fused: &RnsPoly, two_step: &RnsPoly) -> Vec<i64> {
    let mut d = fused.clone();
    d.sub_assign(two_step, basis).unwrap();
    d.intt(basis).unwrap();
    (0..basis.n())
        .map(|c| {
            let v = centered(d.limb(0)[c], basis.primes()[0]);
            for i in 1..basis.len() {
                assert_eq!(
                    centered(d.limb(i)[c], basis.primes()[i]),
                    v,
                    "coefficient {c}"
                );
            }
            v
        })
        .collect()
}

#[test]
fn fused_matches_two_steps_and_scalar_on_every_level() {
    for p_count in [2, 5] {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let ks = switcher(Isa::detect(), p_count);
        let reference = switcher(Isa::Scalar, p_count);
        let coeffs = sampling::ternary_coeffs(ks.n(), None, &mut rng);
        let mut s = sampling::from_signed(ks.qp_basis(), &coeffs);
        s.ntt(ks.qp_basis()).unwrap();
        let mut s2 = s.clone();
        s2.mul_assign(&s, ks.qp_basis()).unwrap();
        let key = ks.generate_key(&s2, &s, &mut rng).unwrap();
        let (mut scratch, mut ref_scratch) = (ks.scratch(), reference.scratch());
        let mut rescale_scratch = vec![0u64; 2 * ks.n()];
        let (mut total, mut nonzero, mut sum) = (0usize, 0usize, 0i64);
        for l in [2, 4, 6] {
            assert!(ks.fuses_rescale(l));
            let basis = ks.q_basis().prefix(l);
            let lower = ks.q_basis().prefix(l - 1);
            let uniform =
                |rng: &mut ChaCha20Rng| sampling::uniform(&basis, Representation::Evaluation, rng);
            let (d, c0, c1) = (uniform(&mut rng), uniform(&mut rng), uniform(&mut rng));
            let zero = |b: &RnsBasis| RnsPoly::zero(b, Representation::Evaluation);
            let (mut f0, mut f1) = (zero(&lower), zero(&lower));
            ks.switch_rescale(&d, &key, (&c0, &c1), &mut f0, &mut f1, &mut scratch)
                .unwrap();
            let (mut r0, mut r1) = (zero(&lower), zero(&lower));
            reference
                .switch_rescale(&d, &key, (&c0, &c1), &mut r0, &mut r1, &mut ref_scratch)
                .unwrap();
            assert_eq!(
                (&f0, &f1),
                (&r0, &r1),
                "{} differs from scalar",
                Isa::detect()
            );
            // The two-step path: switch, add the parts, rescale each.
            let (mut t0, mut t1) = (zero(&basis), zero(&basis));
            ks.switch(&d, &key, &mut t0, &mut t1, &mut scratch).unwrap();
            t0.add_assign(&c0, &basis).unwrap();
            t1.add_assign(&c1, &basis).unwrap();
            for (t, f) in [(&t0, &f0), (&t1, &f1)] {
                let mut u = zero(&lower);
                t.rescale_into(&basis, &mut u, &mut rescale_scratch)
                    .unwrap();
                for v in differences(&lower, f, &u) {
                    assert!(
                        v.abs() <= 1,
                        "fused and two-step differ by {v} at {l} limbs"
                    );
                    total += 1;
                    nonzero += (v != 0) as usize;
                    sum += v;
                }
            }
        }
        let mean = sum as f64 / total as f64;
        eprintln!(
            "|P| = {p_count}: fused − two-step over {total} coefficients: {nonzero} differ by ±1, \
             mean {mean:+.2e}"
        );
        // Both round to nearest: the differences must not lean one way (a bias of 1/1000 of a
        // unit would be ~6σ here).
        assert!(
            mean.abs() < 1e-3,
            "systematic difference {mean:+.2e} between fused and two-step"
        );
    }
}

#[test]
fn fused_step_errors() {
    let ks = switcher(Isa::detect(), 2);
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let coeffs = sampling::ternary_coeffs(ks.n(), None, &mut rng);
    let mut s = sampling::from_signed(ks.qp_basis(), &coeffs);
    s.ntt(ks.qp_basis()).unwrap();
    let key = ks.generate_key(&s, &s, &mut rng).unwrap();
    let mut scratch = ks.scratch();
    let basis = ks.q_basis().prefix(3);
    let lower = ks.q_basis().prefix(2);
    let d = sampling::uniform(&basis, Representation::Evaluation, &mut rng);
    let zero = |b: &RnsBasis| RnsPoly::zero(b, Representation::Evaluation);
    let (mut o0, mut o1) = (zero(&lower), zero(&lower));
    // One Q limb: nothing to rescale into.
    let one = ks.q_basis().prefix(1);
    let d1 = sampling::uniform(&one, Representation::Evaluation, &mut rng);
    assert!(!ks.fuses_rescale(1));
    assert!(matches!(
        ks.switch_rescale(&d1, &key, (&d1, &d1), &mut o0, &mut o1, &mut scratch),
        Err(Error::InvalidKeySwitchParams { .. })
    ));
    // Parts over the wrong primes, or in coefficient form; outputs at the wrong level.
    assert!(matches!(
        ks.switch_rescale(&d, &key, (&d, &d1), &mut o0, &mut o1, &mut scratch),
        Err(Error::BasisMismatch { .. })
    ));
    let mut dc = d.clone();
    dc.intt(&basis).unwrap();
    assert!(matches!(
        ks.switch_rescale(&d, &key, (&d, &dc), &mut o0, &mut o1, &mut scratch),
        Err(Error::WrongRepresentation { .. })
    ));
    let mut wrong = zero(&basis);
    assert!(matches!(
        ks.switch_rescale(&d, &key, (&d, &d), &mut wrong, &mut o1, &mut scratch),
        Err(Error::BasisMismatch { .. })
    ));
    // Too many special primes for the exact conversion: no fused step.
    assert!(!ModDownRescale::supported(4, 7));
    assert!(ModDownRescale::supported(4, 6));
    ks.switch_rescale(&d, &key, (&d, &d), &mut o0, &mut o1, &mut scratch)
        .unwrap();
}
