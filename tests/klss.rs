//! KLSS key switching: bit for bit the hybrid switch at every level (relinearization-style and
//! Galois keys, hoisted), SIMD == scalar, noise within the hybrid formula, typed errors.

use ckks_accel::arith::ntt_primes;
use ckks_accel::keyswitch::{KeySwitcher, KlssSwitcher};
use ckks_accel::rns::{Automorphism, Representation, RnsPoly, sampling};
use ckks_accel::{Error, Isa};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// n = 2^11, Q = 60 + 7 × 40 bits, P = 2 × 61 bits, dnum = 4 (α = 2).
fn params() -> (usize, Vec<u64>, Vec<u64>, usize) {
    let n = 1 << 11;
    let q = [ntt_primes(60, n, 1).unwrap(), ntt_primes(40, n, 7).unwrap()].concat();
    (n, q, ntt_primes(61, n, 2).unwrap(), 4)
}

fn switcher(isa: Isa) -> KeySwitcher {
    let (n, q, p, dnum) = params();
    KeySwitcher::with_isa(n, &q, &p, dnum, isa).unwrap()
}

fn secret(ks: &KeySwitcher, rng: &mut ChaCha20Rng) -> (RnsPoly, usize) {
    let coeffs = sampling::ternary_coeffs(ks.n(), None, rng);
    let h = coeffs.iter().filter(|&&c| c != 0).count();
    let mut s = sampling::from_signed(ks.qp_basis(), &coeffs);
    s.ntt(ks.qp_basis()).unwrap();
    (s, h)
}

fn pair(ks: &KeySwitcher, l: usize) -> (RnsPoly, RnsPoly) {
    let b = ks.q_basis().prefix(l);
    (
        RnsPoly::zero(&b, Representation::Evaluation),
        RnsPoly::zero(&b, Representation::Evaluation),
    )
}

fn restrict(s: &RnsPoly, l: usize, ks: &KeySwitcher) -> RnsPoly {
    let mut t = s.clone();
    t.truncate(&ks.q_basis().prefix(l)).unwrap();
    t
}

#[test]
fn klss_equals_hybrid_at_every_level_and_group_size() {
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let ks = switcher(Isa::detect());
    let (s, h) = secret(&ks, &mut rng);
    let mut s2 = s.clone();
    s2.mul_assign(&s, ks.qp_basis()).unwrap();
    let key = ks.generate_key(&s2, &s, &mut rng).unwrap();
    let mut hs = ks.scratch();
    for group in [1, 2, 3, 4] {
        let klss = KlssSwitcher::new(&ks, group).unwrap();
        let kkey = klss.derive_key(&key).unwrap();
        let mut scratch = klss.scratch();
        for l in 1..=ks.q_basis().len() {
            let basis = ks.q_basis().prefix(l);
            let d = sampling::uniform(&basis, Representation::Evaluation, &mut rng);
            let (mut h0, mut h1) = pair(&ks, l);
            let (mut k0, mut k1) = pair(&ks, l);
            ks.switch(&d, &key, &mut h0, &mut h1, &mut hs).unwrap();
            klss.switch(&d, &kkey, &mut k0, &mut k1, &mut scratch)
                .unwrap();
            assert_eq!((&k0, &k1), (&h0, &h1), "groups of {group}, {l} limbs");
            let noise = ks
                .measure_noise(&k0, &k1, &restrict(&s, l, &ks), &d, &restrict(&s2, l, &ks))
                .unwrap();
            assert!(noise.max_abs <= ks.noise_bound(h), "{noise:?}");
        }
        let cost = klss.cost(ks.q_basis().len()).unwrap();
        let hybrid = ks.cost(ks.q_basis().len()).unwrap();
        eprintln!(
            "groups of {group}: {} aux primes, KLSS {cost:?}, hybrid {hybrid:?}, key {} vs {} bytes",
            klss.aux_basis().len(),
            kkey.size_bytes(),
            key.size_bytes()
        );
        assert_eq!(cost.key_bytes_read, cost.mac_limbs * ks.n() * 8);
        for c in [cost, hybrid] {
            assert!(c.bytes_streamed > c.key_bytes_read, "{c:?}");
        }
    }
}

#[test]
fn klss_galois_keys_and_hoisting_equal_hybrid() {
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    let ks = switcher(Isa::detect());
    let (s, _) = secret(&ks, &mut rng);
    let klss = KlssSwitcher::new(&ks, 3).unwrap();
    let autos: Vec<Automorphism> = [1i64, 5, -3]
        .iter()
        .map(|&r| Automorphism::rotation(ks.n(), r).unwrap())
        .collect();
    let keys: Vec<_> = autos
        .iter()
        .map(|a| ks.generate_galois_key(&s, a, &mut rng).unwrap())
        .collect();
    let kkeys: Vec<_> = keys.iter().map(|k| klss.derive_key(k).unwrap()).collect();
    let l = 5;
    let basis = ks.q_basis().prefix(l);
    let d = sampling::uniform(&basis, Representation::Evaluation, &mut rng);
    let mut hs = ks.scratch();
    let mut dec = ks.decomposition_buffer();
    ks.decompose(&d, &mut dec, &mut hs).unwrap();
    let mut scratch = klss.scratch();
    klss.decompose(&d, &mut scratch).unwrap();
    for ((a, key), kkey) in autos.iter().zip(&keys).zip(&kkeys) {
        assert_eq!(kkey.galois_element(), Some(a.galois_element()));
        let (mut h0, mut h1) = pair(&ks, l);
        let (mut k0, mut k1) = pair(&ks, l);
        ks.apply(&dec, key, Some(a), &mut h0, &mut h1, &mut hs)
            .unwrap();
        klss.apply(kkey, Some(a), &mut k0, &mut k1, &mut scratch)
            .unwrap();
        assert_eq!((&k0, &k1), (&h0, &h1), "rotation {}", a.galois_element());
    }
    // A Galois key used without its automorphism, or with another one: typed errors.
    let (mut k0, mut k1) = pair(&ks, l);
    let e = klss.apply(&kkeys[0], None, &mut k0, &mut k1, &mut scratch);
    assert!(matches!(e, Err(Error::KeyMismatch { .. })), "{e:?}");
    let e = klss.apply(&kkeys[0], Some(&autos[1]), &mut k0, &mut k1, &mut scratch);
    assert!(matches!(e, Err(Error::KeyMismatch { .. })), "{e:?}");
}

#[test]
fn klss_every_isa_equals_scalar() {
    let mut rng = ChaCha20Rng::seed_from_u64(13);
    let reference = switcher(Isa::Scalar);
    let rklss = KlssSwitcher::new(&reference, 3).unwrap();
    let (s, _) = secret(&reference, &mut rng);
    let mut s2 = s.clone();
    s2.mul_assign(&s, reference.qp_basis()).unwrap();
    let key = reference.generate_key(&s2, &s, &mut rng).unwrap();
    let rkey = rklss.derive_key(&key).unwrap();
    let mut rs = rklss.scratch();
    for isa in Isa::available() {
        let ks = switcher(isa);
        let klss = KlssSwitcher::new(&ks, 3).unwrap();
        assert_eq!(klss.aux_basis().primes(), rklss.aux_basis().primes());
        // Keys are shared across ISAs of the same parameters; the derived key is the same.
        let key = ks
            .key_from_parts(
                (0..key.digits()).map(|j| key.digit(j).0.clone()).collect(),
                (0..key.digits()).map(|j| key.digit(j).1.clone()).collect(),
                None,
            )
            .unwrap();
        let kkey = klss.derive_key(&key).unwrap();
        let mut scratch = klss.scratch();
        for l in [1, 4, 8] {
            let basis = ks.q_basis().prefix(l);
            let d = sampling::uniform(&basis, Representation::Evaluation, &mut rng);
            let (mut k0, mut k1) = pair(&ks, l);
            let (mut r0, mut r1) = pair(&ks, l);
            klss.switch(&d, &kkey, &mut k0, &mut k1, &mut scratch)
                .unwrap();
            rklss.switch(&d, &rkey, &mut r0, &mut r1, &mut rs).unwrap();
            assert_eq!((&k0, &k1), (&r0, &r1), "{isa} at {l} limbs");
        }
    }
}

#[test]
fn klss_bad_input_is_a_typed_error() {
    let mut rng = ChaCha20Rng::seed_from_u64(14);
    let ks = switcher(Isa::detect());
    let param = |r: Result<KlssSwitcher, Error>| {
        assert!(
            matches!(r, Err(Error::InvalidKeySwitchParams { .. })),
            "{r:?}"
        )
    };
    // Group sizes outside 1..=7; groups too wide for 7 auxiliary primes below 2^50.
    param(KlssSwitcher::new(&ks, 0));
    param(KlssSwitcher::new(&ks, 8));
    param(KlssSwitcher::new(&ks, 7));
    // Too few auxiliary primes for exact accumulation.
    let aux = ntt_primes(45, ks.n(), 2).unwrap();
    param(KlssSwitcher::with_aux_primes(&ks, 3, &aux));
    // An auxiliary prime of Q.
    let mut dup = ntt_primes(45, ks.n(), 6).unwrap();
    dup[0] = ks.q_basis().primes()[1];
    let r = KlssSwitcher::with_aux_primes(&ks, 3, &dup);
    assert!(matches!(r, Err(Error::DuplicatePrime { .. })), "{r:?}");

    let klss = KlssSwitcher::new(&ks, 3).unwrap();
    let other = KlssSwitcher::new(&ks, 2).unwrap();
    let (s, _) = secret(&ks, &mut rng);
    let key = ks.generate_key(&s, &s, &mut rng).unwrap();
    // A key of the other grouping, a hybrid key of other parameters: KeyMismatch.
    let okey = other.derive_key(&key).unwrap();
    let mut scratch = klss.scratch();
    let d = sampling::uniform(ks.q_basis(), Representation::Evaluation, &mut rng);
    let l = ks.q_basis().len();
    let (mut c0, mut c1) = pair(&ks, l);
    let e = klss.switch(&d, &okey, &mut c0, &mut c1, &mut scratch);
    assert!(matches!(e, Err(Error::KeyMismatch { .. })), "{e:?}");
    let (n, q, p, _) = params();
    let ks3 = KeySwitcher::new(n, &q, &p, 3).unwrap();
    let (s3, _) = secret(&ks3, &mut rng);
    let key3 = ks3.generate_key(&s3, &s3, &mut rng).unwrap();
    let e = klss.derive_key(&key3);
    assert!(matches!(e, Err(Error::KeyMismatch { .. })), "{e:?}");
    // Another switcher's scratch; apply before any decomposition.
    let kkey = klss.derive_key(&key).unwrap();
    let mut wrong = other.scratch();
    let e = klss.switch(&d, &kkey, &mut c0, &mut c1, &mut wrong);
    assert!(matches!(e, Err(Error::ScratchMismatch { .. })), "{e:?}");
    let mut fresh = klss.scratch();
    let e = klss.apply(&kkey, None, &mut c0, &mut c1, &mut fresh);
    assert!(matches!(e, Err(Error::ScratchMismatch { .. })), "{e:?}");
    // Coefficient-form input.
    let mut dc = d.clone();
    dc.intt(ks.q_basis()).unwrap();
    let e = klss.switch(&dc, &kkey, &mut c0, &mut c1, &mut scratch);
    assert!(matches!(e, Err(Error::WrongRepresentation { .. })), "{e:?}");
}

/// Set S's shape (n = 2^14, 60 + 5 × 40, P = 2 × 61, dnum 3) at the top level.
#[test]
fn klss_equals_hybrid_at_set_s() {
    let mut rng = ChaCha20Rng::seed_from_u64(15);
    let n = 1 << 14;
    let q = [ntt_primes(60, n, 1).unwrap(), ntt_primes(40, n, 5).unwrap()].concat();
    let ks = KeySwitcher::new(n, &q, &ntt_primes(61, n, 2).unwrap(), 3).unwrap();
    let (s, _) = secret(&ks, &mut rng);
    let key = ks.generate_key(&s, &s, &mut rng).unwrap();
    let klss = KlssSwitcher::new(&ks, 3).unwrap();
    let kkey = klss.derive_key(&key).unwrap();
    let d = sampling::uniform(ks.q_basis(), Representation::Evaluation, &mut rng);
    let l = q.len();
    let (mut h0, mut h1) = pair(&ks, l);
    let (mut k0, mut k1) = pair(&ks, l);
    ks.switch(&d, &key, &mut h0, &mut h1, &mut ks.scratch())
        .unwrap();
    klss.switch(&d, &kkey, &mut k0, &mut k1, &mut klss.scratch())
        .unwrap();
    assert_eq!((&k0, &k1), (&h0, &h1));
}
