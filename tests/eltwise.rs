//! Element-wise kernels: every ISA against scalar (which is checked against u128 arithmetic),
//! on random inputs, edge inputs and odd lengths (scalar tails).

mod common;

use ckks_accel::arith::Modulus;
use ckks_accel::eltwise::{Eltwise, LazyRange};
use ckks_accel::{Error, Isa};
use common::{random_below, rng, test_primes};

const LENS: [usize; 5] = [8, 13, 1024, 1 << 12, (1 << 16) + 3];

fn reference_ok(q: u64, a: &[u64], b: &[u64], c: &[u64]) {
    // Scalar kernel against straightforward u128 arithmetic.
    let ops = Eltwise::with_isa(q, Isa::Scalar).unwrap();
    let mut out = vec![0; a.len()];
    ops.mul_add(a, b, c, &mut out);
    for i in 0..a.len() {
        let want = ((a[i] as u128 * b[i] as u128 + c[i] as u128) % q as u128) as u64;
        assert_eq!(out[i], want);
    }
    ops.sub(a, b, &mut out);
    for i in 0..a.len() {
        assert_eq!(
            out[i],
            ((a[i] as u128 + q as u128 - b[i] as u128) % q as u128) as u64
        );
    }
}

fn inputs(n: usize, q: u64, seed: u64) -> Vec<[Vec<u64>; 3]> {
    let mut r = rng(seed);
    let edge: Vec<u64> = (0..n).map(|i| [0, 1, q - 1, q - 2, q / 2][i % 5]).collect();
    let edge2: Vec<u64> = (0..n).map(|i| [q - 1, 0, q - 1, 1, q / 3][i % 5]).collect();
    vec![
        [
            random_below(&mut r, n, q),
            random_below(&mut r, n, q),
            random_below(&mut r, n, q),
        ],
        [edge.clone(), edge2.clone(), edge],
        [vec![q - 1; n], vec![q - 1; n], vec![q - 1; n]],
        [vec![0; n], vec![q - 1; n], edge2],
    ]
}

#[test]
fn every_isa_matches_scalar() {
    for n in LENS {
        for q in test_primes(1 << 10) {
            let scalar = Eltwise::with_isa(q, Isa::Scalar).unwrap();
            for (k, [a, b, c]) in inputs(n, q, n as u64).into_iter().enumerate() {
                reference_ok(q, &a, &b, &c);
                for isa in Isa::available() {
                    let Ok(ops) = Eltwise::with_isa(q, isa) else {
                        continue;
                    };
                    let ctx = format!("{isa} n={n} q={q} input#{k}");
                    let (mut x, mut y) = (vec![0; n], vec![0; n]);
                    ops.add(&a, &b, &mut x);
                    scalar.add(&a, &b, &mut y);
                    assert_eq!(x, y, "add {ctx}");
                    ops.sub(&a, &b, &mut x);
                    scalar.sub(&a, &b, &mut y);
                    assert_eq!(x, y, "sub {ctx}");
                    ops.neg(&a, &mut x);
                    scalar.neg(&a, &mut y);
                    assert_eq!(x, y, "neg {ctx}");
                    ops.mul(&a, &b, &mut x);
                    scalar.mul(&a, &b, &mut y);
                    assert_eq!(x, y, "mul {ctx}");
                    ops.mul_add(&a, &b, &c, &mut x);
                    scalar.mul_add(&a, &b, &c, &mut y);
                    assert_eq!(x, y, "mul_add {ctx}");
                    let w = b[n / 2];
                    ops.mul_scalar(&a, w, &mut x);
                    scalar.mul_scalar(&a, w, &mut y);
                    assert_eq!(x, y, "mul_scalar {ctx}");
                    // In-place forms equal the out-of-place ones.
                    let mut z = a.clone();
                    ops.add_assign(&mut z, &b);
                    ops.sub_assign(&mut z, &c);
                    ops.mul_assign(&mut z, &b);
                    ops.mul_add_assign(&mut z, &a, &c);
                    ops.neg_assign(&mut z);
                    let mut t = a.clone();
                    scalar.add_assign(&mut t, &b);
                    scalar.sub_assign(&mut t, &c);
                    scalar.mul_assign(&mut t, &b);
                    scalar.mul_add_assign(&mut t, &a, &c);
                    scalar.neg_assign(&mut t);
                    assert_eq!(z, t, "assign chain {ctx}");
                }
            }
        }
    }
}

#[test]
fn lazy_ranges_at_their_edges() {
    for q in test_primes(1 << 10) {
        let m = Modulus::new(q).unwrap();
        let n = 64 + 5;
        let two = |i: usize| [0, q - 1, q, 2 * q - 1][i % 4];
        let four = |i: usize| [0, q - 1, 2 * q - 1, 3 * q, 4 * q - 1][i % 5];
        let any = |i: usize| [0, q - 1, 4 * q - 1, u64::MAX, u64::MAX - 1, 1 << 63][i % 6];
        for isa in Isa::available() {
            let Ok(ops) = Eltwise::with_isa(q, isa) else {
                continue;
            };
            for (range, f) in [
                (LazyRange::TwoQ, &two as &dyn Fn(usize) -> u64),
                (LazyRange::FourQ, &four),
                (LazyRange::Any, &any),
            ] {
                let mut a: Vec<u64> = (0..n).map(f).collect();
                let want: Vec<u64> = a.iter().map(|&x| x % q).collect();
                ops.reduce(&mut a, range);
                assert_eq!(a, want, "{isa} {range:?} q={q}");
            }
            // mul_scalar accepts [0, 4q).
            let a: Vec<u64> = (0..n).map(four).collect();
            let w = q - 2;
            let mut out = vec![0; n];
            ops.mul_scalar(&a, w, &mut out);
            let want: Vec<u64> = a
                .iter()
                .map(|&x| ((x as u128 * w as u128) % q as u128) as u64)
                .collect();
            assert_eq!(out, want, "{isa} mul_scalar lazy q={q}");
            assert_eq!(m.reduce_2q(m.reduce_4q(4 * q - 1)), q - 1);
        }
    }
}

#[test]
fn errors_and_panics() {
    let big = test_primes(1024)[3];
    let e = Eltwise::with_isa(big, Isa::Avx512Ifma).unwrap_err();
    assert!(matches!(
        e,
        Error::ModulusTooLargeForIfma { .. } | Error::IsaUnavailable { .. }
    ));
    assert!(matches!(Eltwise::new(91), Err(Error::NotPrime { q: 91 })));
    assert!(matches!(
        Eltwise::new(1 << 62),
        Err(Error::ModulusOutOfRange { .. })
    ));
    let ops = Eltwise::new(test_primes(1024)[1]).unwrap();
    let r = std::panic::catch_unwind(|| {
        let mut out = vec![0; 8];
        ops.add(&[0; 8], &[0; 7], &mut out);
    });
    assert!(r.is_err(), "mismatched lengths must panic");
}
