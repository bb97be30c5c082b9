//! Arithmetic primitives against u128 references (proptest), and prime generation.

mod common;

use ckks_accel::Error;
use ckks_accel::arith::{Modulus, is_prime, ntt_primes, primitive_root_2n};
use proptest::prelude::*;

fn moduli() -> Vec<Modulus> {
    let mut qs = common::test_primes(1 << 12);
    qs.extend([3, 5, 17, 65537, 998_244_353, (1 << 61) - 1]);
    qs.into_iter().map(|q| Modulus::new(q).unwrap()).collect()
}

proptest! {
    #[test]
    fn mul_mod_matches_u128(i in 0usize..11, a in any::<u64>(), b in any::<u64>()) {
        let m = moduli()[i];
        let q = m.value();
        let (a, b) = (a % q, b % q);
        prop_assert_eq!(m.mul_mod(a, b), ((a as u128 * b as u128) % q as u128) as u64);
    }

    #[test]
    fn shoup_matches_u128(i in 0usize..11, x in any::<u64>(), w in any::<u64>()) {
        let m = moduli()[i];
        let q = m.value();
        let w = w % q;
        let r = m.mul_shoup_lazy(x, w, m.shoup(w));
        prop_assert!(r < 2 * q);
        prop_assert_eq!(r % q, ((x as u128 * w as u128) % q as u128) as u64);
        if m.ifma_friendly() {
            let x52 = x % (4 * q);
            let r = m.mul_shoup52_lazy(x52, w, m.shoup52(w));
            prop_assert!(r < 2 * q);
            prop_assert_eq!(r % q, ((x52 as u128 * w as u128) % q as u128) as u64);
        }
    }

    #[test]
    fn add_sub_neg_pow_inv(i in 0usize..11, a in any::<u64>(), b in any::<u64>(), e in any::<u64>()) {
        let m = moduli()[i];
        let q = m.value();
        let (a, b) = (a % q, b % q);
        prop_assert_eq!(m.add_mod(a, b) as u128, (a as u128 + b as u128) % q as u128);
        prop_assert_eq!(m.sub_mod(a, b) as u128, (a as u128 + q as u128 - b as u128) % q as u128);
        prop_assert_eq!(m.add_mod(m.neg_mod(a), a), 0);
        let mut want = 1u128;
        let mut base = a as u128;
        let mut k = e;
        while k > 0 {
            if k & 1 == 1 { want = want * base % q as u128; }
            base = base * base % q as u128;
            k >>= 1;
        }
        prop_assert_eq!(m.pow_mod(a, e) as u128, want % q as u128);
        match m.inv_mod(a) {
            Some(inv) => prop_assert_eq!(m.mul_mod(a, inv), 1),
            None => prop_assert_eq!(a, 0),
        }
    }

    #[test]
    fn is_prime_matches_trial_division(n in 0u64..200_000) {
        let slow = n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| n % d != 0);
        prop_assert_eq!(is_prime(n), slow);
    }
}

#[test]
fn known_primes_and_composites() {
    assert!(is_prime((1 << 61) - 1));
    assert!(is_prime(18_446_744_073_709_551_557)); // largest u64 prime
    assert!(!is_prime(3_215_031_751)); // strong pseudoprime to bases 2, 3, 5, 7
    assert!(!is_prime(3_825_123_056_546_413_051)); // strong pseudoprime to bases up to 23
    assert!(!is_prime(u64::MAX));
}

#[test]
fn ntt_primes_have_the_requested_shape() {
    for (bits, n) in [(30, 1 << 10), (50, 1 << 16), (60, 1 << 16), (62, 1 << 17)] {
        let qs = ntt_primes(bits, n, 5).unwrap();
        assert_eq!(qs.len(), 5);
        assert!(qs.windows(2).all(|w| w[0] > w[1]), "decreasing");
        for &q in &qs {
            assert!(is_prime(q));
            assert_eq!(64 - q.leading_zeros(), bits);
            assert_eq!(q % (2 * n as u64), 1);
            let m = Modulus::new(q).unwrap();
            let psi = primitive_root_2n(&m, n).unwrap();
            assert_eq!(m.pow_mod(psi, n as u64), q - 1);
        }
    }
}

#[test]
fn ntt_prime_errors() {
    assert!(matches!(
        ntt_primes(63, 1024, 1),
        Err(Error::InvalidPrimeBits { .. })
    ));
    assert!(matches!(
        ntt_primes(5, 1024, 1),
        Err(Error::InvalidPrimeBits { .. })
    ));
    assert!(matches!(
        ntt_primes(30, 1000, 1),
        Err(Error::InvalidRingDegree { .. })
    ));
    assert!(matches!(
        ntt_primes(13, 1024, 100),
        Err(Error::NotEnoughPrimes { .. })
    ));
    let m = Modulus::new(1_000_000_007).unwrap();
    assert!(matches!(
        primitive_root_2n(&m, 1024),
        Err(Error::NotNttFriendly { .. })
    ));
}
