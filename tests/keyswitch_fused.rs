//! The fused one-thread key switches (NTT + MAC per limb, and conversion + NTT + MAC per
//! limb) equal the staged path (decompose, then MAC) and
//! the parallel path word for word, at every level, on every ISA; also for the switch fused
//! with the rescale.

use ckks_accel::Isa;
use ckks_accel::arith::ntt_primes;
use ckks_accel::keyswitch::{Fusion, KeySwitcher};
use ckks_accel::rns::{Representation, RnsPoly, sampling};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn check(n: usize, q: &[u64], p: &[u64], dnum: usize, isa: Isa) {
    let mut rng = ChaCha20Rng::seed_from_u64(21);
    let ks = KeySwitcher::with_isa(n, q, p, dnum, isa).unwrap();
    let coeffs = sampling::ternary_coeffs(n, None, &mut rng);
    let mut s = sampling::from_signed(ks.qp_basis(), &coeffs);
    s.ntt(ks.qp_basis()).unwrap();
    let mut s2 = s.clone();
    s2.mul_assign(&s, ks.qp_basis()).unwrap();
    let key = ks.generate_key(&s2, &s, &mut rng).unwrap();
    let mut fused = ks.scratch();
    assert_eq!(fused.fusion(), Fusion::NttMac);
    let mut staged = ks.scratch();
    staged.set_fusion(Fusion::Staged);
    let mut per_limb = ks.scratch();
    per_limb.set_fusion(Fusion::PerLimb);
    let mut par = ks.scratch();
    par.set_parallel(true);
    assert_eq!(par.fusion(), Fusion::Staged);
    for l in 1..=q.len() {
        let basis = ks.q_basis().prefix(l);
        let d = sampling::uniform(&basis, Representation::Evaluation, &mut rng);
        let zero = || RnsPoly::zero(&basis, Representation::Evaluation);
        let mut outs = Vec::new();
        for scratch in [&mut fused, &mut staged, &mut par, &mut per_limb] {
            let (mut c0, mut c1) = (zero(), zero());
            ks.switch(&d, &key, &mut c0, &mut c1, scratch).unwrap();
            outs.push((c0, c1));
        }
        assert_eq!(outs[0], outs[1], "{isa}: fused != staged at {l} limbs");
        assert_eq!(outs[0], outs[2], "{isa}: fused != parallel at {l} limbs");
        assert_eq!(outs[0], outs[3], "{isa}: fused != per-limb at {l} limbs");
        if l >= 2 && ks.fuses_rescale(l) {
            let lower = ks.q_basis().prefix(l - 1);
            let c = (
                sampling::uniform(&basis, Representation::Evaluation, &mut rng),
                sampling::uniform(&basis, Representation::Evaluation, &mut rng),
            );
            let mut outs = Vec::new();
            for scratch in [&mut fused, &mut staged, &mut par, &mut per_limb] {
                let mut o0 = RnsPoly::zero(&lower, Representation::Evaluation);
                let mut o1 = o0.clone();
                ks.switch_rescale(&d, &key, (&c.0, &c.1), &mut o0, &mut o1, scratch)
                    .unwrap();
                outs.push((o0, o1));
            }
            assert_eq!(outs[0], outs[1], "{isa}: rescale fused != staged at {l}");
            assert_eq!(outs[0], outs[2], "{isa}: rescale fused != parallel at {l}");
            assert_eq!(outs[0], outs[3], "{isa}: rescale fused != per-limb at {l}");
        }
    }
}

#[test]
fn fused_equals_staged_small_every_isa() {
    let n = 1 << 10;
    let q = [ntt_primes(60, n, 1).unwrap(), ntt_primes(40, n, 6).unwrap()].concat();
    let p = ntt_primes(61, n, 2).unwrap();
    for isa in Isa::available() {
        for dnum in [1, 3, 7] {
            check(n, &q, &p, dnum, isa);
        }
    }
}

#[test]
fn fused_equals_staged_at_set_s() {
    let n = 1 << 14;
    let q = [ntt_primes(60, n, 1).unwrap(), ntt_primes(40, n, 5).unwrap()].concat();
    check(n, &q, &ntt_primes(61, n, 2).unwrap(), 3, Isa::detect());
}
