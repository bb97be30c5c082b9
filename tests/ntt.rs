//! NTT correctness: scalar against the O(n²) definition, every SIMD path against scalar bit for
//! bit (random and edge inputs, every lazy range), round trips, and every error case.

mod common;

use ckks_accel::arith::{Modulus, ntt_primes};
use ckks_accel::ntt::NttPlan;
use ckks_accel::{Error, Isa};
use common::{random_below, rng, test_primes};

const SIZES: [usize; 8] = [16, 32, 64, 1024, 1 << 12, 1 << 14, 1 << 16, 1 << 17];

fn brv(k: usize, log_n: u32) -> usize {
    k.reverse_bits() >> (usize::BITS - log_n)
}

/// â_k = Σ_j a_j ψ^{(2·brv(k)+1)·j}, the documented output of `forward`.
fn naive_forward(a: &[u64], q: &Modulus, psi: u64) -> Vec<u64> {
    let n = a.len();
    let log_n = n.trailing_zeros();
    (0..n)
        .map(|k| {
            let root = q.pow_mod(psi, (2 * brv(k, log_n) + 1) as u64);
            let mut acc = 0;
            let mut p = 1;
            for &x in a {
                acc = q.add_mod(acc, q.mul_mod(x, p));
                p = q.mul_mod(p, root);
            }
            acc
        })
        .collect()
}

fn naive_negacyclic(a: &[u64], b: &[u64], q: &Modulus) -> Vec<u64> {
    let n = a.len();
    let mut c = vec![0; n];
    for i in 0..n {
        for j in 0..n {
            let p = q.mul_mod(a[i], b[j]);
            if i + j < n {
                c[i + j] = q.add_mod(c[i + j], p);
            } else {
                c[i + j - n] = q.sub_mod(c[i + j - n], p);
            }
        }
    }
    c
}

#[test]
fn scalar_forward_matches_definition() {
    let mut r = rng(1);
    for n in [16, 32, 64, 128] {
        for q in test_primes(n) {
            let plan = NttPlan::with_isa(n, q, Isa::Scalar).unwrap();
            let m = Modulus::new(q).unwrap();
            let a = random_below(&mut r, n, q);
            let mut got = a.clone();
            plan.forward(&mut got);
            assert_eq!(got, naive_forward(&a, &m, plan.psi()), "n={n} q={q}");
        }
    }
}

#[test]
fn pointwise_product_is_negacyclic_convolution() {
    let mut r = rng(2);
    for isa in Isa::available() {
        for n in [16, 64, 256] {
            for q in test_primes(n) {
                let Ok(plan) = NttPlan::with_isa(n, q, isa) else {
                    continue;
                };
                let m = Modulus::new(q).unwrap();
                let (a, b) = (random_below(&mut r, n, q), random_below(&mut r, n, q));
                let (mut fa, mut fb) = (a.clone(), b.clone());
                plan.forward(&mut fa);
                plan.forward(&mut fb);
                let mut c: Vec<u64> = fa.iter().zip(&fb).map(|(&x, &y)| m.mul_mod(x, y)).collect();
                plan.inverse(&mut c);
                assert_eq!(c, naive_negacyclic(&a, &b, &m), "{isa} n={n} q={q}");
            }
        }
    }
}

/// Inputs that stress the lazy ranges: zeros, q−1, the top of the range, and a mix.
fn edge_inputs(n: usize, q: u64, range: u64) -> Vec<Vec<u64>> {
    let top = range * q - 1;
    let mut mix = vec![0; n];
    for (i, x) in mix.iter_mut().enumerate() {
        *x = [0, q - 1, q, 2 * q - 1, top][i % 5].min(top);
    }
    vec![vec![0; n], vec![q - 1; n], vec![top; n], mix]
}

fn check_isa_against_reference(isa: Isa, n: usize, q: u64, seed: u64) {
    let Ok(plan) = NttPlan::with_isa(n, q, isa) else {
        assert!(
            isa == Isa::Avx512Ifma && q >= 1 << 50,
            "{isa} unexpectedly refused q={q}"
        );
        return;
    };
    let reference = plan.reference();
    let canonical = NttPlan::with_isa(n, q, Isa::Scalar).unwrap();
    let mut r = rng(seed);
    let mut fwd_inputs = edge_inputs(n, q, 4);
    fwd_inputs.push(random_below(&mut r, n, 4 * q));
    fwd_inputs.push(random_below(&mut r, n, q));
    for input in &fwd_inputs {
        let (mut a, mut b, mut c) = (input.clone(), input.clone(), input.clone());
        plan.forward_lazy(&mut a);
        reference.forward_lazy(&mut b);
        assert_eq!(a, b, "forward_lazy {isa} n={n} q={q}");
        assert!(a.iter().all(|&x| x < 4 * q), "forward_lazy output range");
        let mut a = input.clone();
        plan.forward(&mut a);
        canonical.forward(&mut c);
        assert_eq!(a, c, "forward {isa} n={n} q={q}");
    }
    let mut inv_inputs = edge_inputs(n, q, 2);
    inv_inputs.push(random_below(&mut r, n, 2 * q));
    for input in &inv_inputs {
        let (mut a, mut b, mut c) = (input.clone(), input.clone(), input.clone());
        plan.inverse_lazy(&mut a);
        reference.inverse_lazy(&mut b);
        assert_eq!(a, b, "inverse_lazy {isa} n={n} q={q}");
        assert!(a.iter().all(|&x| x < 2 * q), "inverse_lazy output range");
        let mut a = input.clone();
        plan.inverse(&mut a);
        canonical.inverse(&mut c);
        assert_eq!(a, c, "inverse {isa} n={n} q={q}");
    }
}

#[test]
fn every_isa_matches_scalar_bit_for_bit() {
    let isas = Isa::available();
    eprintln!("testing ISAs: {isas:?}");
    for (i, &n) in SIZES.iter().enumerate() {
        for q in test_primes(n) {
            for &isa in &isas {
                check_isa_against_reference(isa, n, q, 100 + i as u64);
            }
        }
    }
}

#[test]
fn largest_degree_matches_scalar() {
    let n = ckks_accel::ntt::MAX_RING_DEGREE;
    let q = ntt_primes(50, n, 1).unwrap()[0];
    for isa in Isa::available() {
        check_isa_against_reference(isa, n, q, 7);
    }
}

#[test]
fn forward_then_inverse_is_identity() {
    let mut r = rng(3);
    for isa in Isa::available() {
        for n in SIZES {
            for q in test_primes(n) {
                let Ok(plan) = NttPlan::with_isa(n, q, isa) else {
                    continue;
                };
                let a = random_below(&mut r, n, q);
                let mut b = a.clone();
                plan.forward(&mut b);
                plan.inverse(&mut b);
                assert_eq!(a, b, "{isa} n={n} q={q}");
                // Lazy chain: forward_lazy output [0,4q) must be reduced to [0,2q) before
                // inverse_lazy; inverse_lazy output [0,2q) is a valid forward_lazy input.
                let m = Modulus::new(q).unwrap();
                plan.forward_lazy(&mut b);
                b.iter_mut().for_each(|x| *x = m.reduce_4q(*x));
                plan.inverse_lazy(&mut b);
                assert!(
                    b.iter().zip(&a).all(|(&x, &y)| m.reduce_2q(x) == y),
                    "{isa} lazy chain"
                );
            }
        }
    }
}

#[test]
fn new_picks_ifma_only_below_2_50() {
    let n = 1024;
    let small = ntt_primes(50, n, 1).unwrap()[0];
    let large = ntt_primes(60, n, 1).unwrap()[0];
    let best = Isa::detect();
    assert_eq!(NttPlan::new(n, small).unwrap().isa(), best);
    assert_eq!(
        NttPlan::new(n, large).unwrap().isa(),
        best.best_for_modulus(large)
    );
    assert_ne!(NttPlan::new(n, large).unwrap().isa(), Isa::Avx512Ifma);
}

#[test]
fn errors_are_typed() {
    let q = ntt_primes(50, 1024, 1).unwrap()[0];
    for n in [0, 1, 8, 100, 1023, 1 << 21] {
        assert!(
            matches!(NttPlan::new(n, q), Err(Error::InvalidRingDegree { .. })),
            "n={n}"
        );
    }
    assert!(matches!(
        NttPlan::new(1024, q + 2 * 1024 * 2),
        Err(Error::NotPrime { .. }) | Err(Error::NotNttFriendly { .. })
    ));
    assert!(matches!(
        NttPlan::new(1024, 1_000_000_007 * 3),
        Err(Error::NotPrime { .. })
    ));
    // 998244353 = 119·2^23 + 1 is prime; 1_000_000_007 is prime but not 1 mod 2048.
    assert!(matches!(
        NttPlan::new(1024, 1_000_000_007),
        Err(Error::NotNttFriendly { .. })
    ));
    assert!(matches!(
        NttPlan::new(1024, (1 << 62) + 1),
        Err(Error::ModulusOutOfRange { .. })
    ));
    assert!(matches!(
        NttPlan::new(1024, u64::MAX),
        Err(Error::ModulusOutOfRange { .. })
    ));
    let big = ntt_primes(60, 1024, 1).unwrap()[0];
    let e = NttPlan::with_isa(1024, big, Isa::Avx512Ifma).unwrap_err();
    if Isa::Avx512Ifma.is_available() {
        assert_eq!(e, Error::ModulusTooLargeForIfma { q: big });
    } else {
        assert!(matches!(
            e,
            Error::ModulusTooLargeForIfma { .. } | Error::IsaUnavailable { .. }
        ));
    }
    for isa in Isa::ALL {
        if !isa.is_available() {
            assert_eq!(
                NttPlan::with_isa(1024, q, isa).unwrap_err(),
                Error::IsaUnavailable { isa }
            );
        }
    }
}

#[test]
#[should_panic(expected = "slice length")]
fn wrong_length_panics() {
    let q = ntt_primes(50, 64, 1).unwrap()[0];
    NttPlan::new(64, q).unwrap().forward(&mut [0u64; 32]);
}

// The range check is a debug assertion (the kernels do not pay for it in release builds), so
// this test only exists where debug assertions are on: `cargo test --release` has none.
#[cfg(debug_assertions)]
#[test]
#[should_panic(expected = "out of range")]
fn out_of_range_input_panics_in_debug() {
    let q = ntt_primes(50, 64, 1).unwrap()[0];
    let mut a = vec![0u64; 64];
    a[3] = 2 * q;
    NttPlan::new(64, q).unwrap().inverse(&mut a);
}
