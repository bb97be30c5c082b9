//! The HEXL-semantics element-wise entry points (`ckks_hexl_eltwise_*`) against their
//! definitions for prime (vectorized) and non-prime (scalar) moduli, with aliasing, lazy and
//! out-of-range inputs, and bad input.

use super::hexl::mulmod;
use super::*;

/// Moduli for the element-wise tests: NTT primes (the vectorized path) and others (scalar).
fn moduli() -> Vec<u64> {
    let mut m = vec![
        2,
        3,
        64,
        1_000_000,
        (1 << 61) - 2,
        (1 << 62) - 3,
        (1 << 62) + 1,
    ];
    for bits in [30, 50, 61] {
        m.push(ntt_primes(bits, 64, 1).unwrap()[0]);
    }
    m
}

fn words(n: usize, bound: u64, seed: u64) -> Vec<u64> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if bound == 0 { x } else { x % bound }
        })
        .collect()
}

#[test]
fn hexl_eltwise_add_sub_mult_fma_match_their_definitions() {
    let _checks = checks_on();
    let n = 37;
    for (t, q) in moduli().into_iter().enumerate() {
        let (a, b) = (words(n, q, t as u64), words(n, q, 100 + t as u64));
        let mut r = vec![0; n];
        if q < 1 << 63 {
            ok(ckks_hexl_eltwise_add_mod(
                r.as_mut_ptr(),
                a.as_ptr(),
                b.as_ptr(),
                n as u64,
                q,
            ));
            let want: Vec<u64> = a
                .iter()
                .zip(&b)
                .map(|(&x, &y)| ((x as u128 + y as u128) % q as u128) as u64)
                .collect();
            assert_eq!(r, want, "add q = {q}");
            // In place, result == operand2.
            let mut c = b.clone();
            let pc = c.as_mut_ptr();
            ok(ckks_hexl_eltwise_sub_mod(pc, a.as_ptr(), pc, n as u64, q));
            let want: Vec<u64> = a
                .iter()
                .zip(&b)
                .map(|(&x, &y)| (x as u128 + q as u128 - y as u128) as u64 % q)
                .collect();
            assert_eq!(c, want, "sub q = {q}");
            let s = q / 3;
            ok(ckks_hexl_eltwise_sub_scalar_mod(
                r.as_mut_ptr(),
                a.as_ptr(),
                s,
                n as u64,
                q,
            ));
            assert!(
                r.iter()
                    .zip(&a)
                    .all(|(&r, &x)| r == ((x as u128 + (q - s) as u128) % q as u128) as u64)
            );
            ok(ckks_hexl_eltwise_add_scalar_mod(
                r.as_mut_ptr(),
                a.as_ptr(),
                s,
                n as u64,
                q,
            ));
            assert!(
                r.iter()
                    .zip(&a)
                    .all(|(&r, &x)| r == ((x as u128 + s as u128) % q as u128) as u64)
            );
        }
        for f in [1u64, 2, 4] {
            if (f as u128) * (q as u128) > 1 << 64 {
                continue;
            }
            let (x, y) = (
                words(n, f.saturating_mul(q), 7),
                words(n, f.saturating_mul(q), 8),
            );
            let mut z = y.clone();
            let pz = z.as_mut_ptr();
            ok(ckks_hexl_eltwise_mult_mod(
                pz,
                x.as_ptr(),
                pz,
                n as u64,
                q,
                f,
            ));
            assert!(
                z.iter()
                    .zip(x.iter().zip(&y))
                    .all(|(&z, (&x, &y))| z == mulmod(x, y, q)),
                "mult q = {q}, f = {f}"
            );
        }
        for f in [1u64, 2, 4, 8] {
            if (f as u128) * (q as u128) > 1 << 64 {
                continue;
            }
            let (x, c) = (
                words(n, f.saturating_mul(q), 9),
                words(n, f.saturating_mul(q), 10),
            );
            let w = 0xdead_beef_1234_5678;
            ok(ckks_hexl_eltwise_fma_mod(
                r.as_mut_ptr(),
                x.as_ptr(),
                w,
                null(),
                n as u64,
                q,
                f,
            ));
            assert!(
                r.iter().zip(&x).all(|(&r, &x)| r == mulmod(x, w % q, q)),
                "fma q = {q}, f = {f}"
            );
            let mut acc = c.clone();
            let pa = acc.as_mut_ptr();
            ok(ckks_hexl_eltwise_fma_mod(
                pa,
                x.as_ptr(),
                w,
                pa,
                n as u64,
                q,
                f,
            ));
            let want: Vec<u64> = x
                .iter()
                .zip(&c)
                .map(|(&x, &c)| ((x as u128 * (w % q) as u128 + c as u128) % q as u128) as u64)
                .collect();
            assert_eq!(acc, want, "fma+ q = {q}, f = {f}");
        }
    }
}

#[test]
fn hexl_eltwise_reduce_and_compare_match_their_definitions() {
    let _checks = checks_on();
    let n = 29;
    for q in moduli() {
        let any = words(n, 0, 3);
        let mut r = vec![0; n];
        ok(ckks_hexl_eltwise_reduce_mod(
            r.as_mut_ptr(),
            any.as_ptr(),
            n as u64,
            q,
            q,
            1,
        ));
        assert!(
            r.iter().zip(&any).all(|(&r, &x)| r == x % q),
            "reduce any q = {q}"
        );
        for f in [2u64, 4] {
            if (f as u128) * (q as u128) > 1 << 64 || f == q {
                continue;
            }
            let x = words(n, f * q, 4);
            for fo in [1u64, 2] {
                let mut y = x.clone();
                let p = y.as_mut_ptr();
                ok(ckks_hexl_eltwise_reduce_mod(p, p, n as u64, q, f, fo));
                for (&y, &x) in y.iter().zip(&x) {
                    let want = match (f, fo) {
                        (_, 1) => x % q,
                        (4, 2) if x >= 2 * q => x - 2 * q,
                        _ => x,
                    };
                    assert_eq!(y, want, "reduce q = {q}, {f} -> {fo}");
                }
            }
        }
        let x = words(n, 0, 5);
        let bound = x[0];
        for cmp in 0u32..8 {
            let holds = |a: u64| match cmp {
                0 => a == bound,
                1 => a < bound,
                2 => a <= bound,
                3 => false,
                4 => a != bound,
                5 => a >= bound,
                6 => a > bound,
                _ => true,
            };
            ok(ckks_hexl_eltwise_cmp_add(
                r.as_mut_ptr(),
                x.as_ptr(),
                n as u64,
                cmp,
                bound,
                5,
            ));
            assert!(
                r.iter()
                    .zip(&x)
                    .all(|(&r, &a)| r == if holds(a) { a.wrapping_add(5) } else { a })
            );
            let d = q - 1;
            ok(ckks_hexl_eltwise_cmp_sub_mod(
                r.as_mut_ptr(),
                x.as_ptr(),
                n as u64,
                q,
                cmp,
                bound,
                d,
            ));
            assert!(r.iter().zip(&x).all(|(&r, &a)| {
                let v = a % q;
                r == if holds(a) {
                    ((v as u128 + q as u128 - d as u128) % q as u128) as u64
                } else {
                    v
                }
            }));
        }
    }
}

#[test]
fn hexl_eltwise_bad_input_is_reported_and_n_zero_is_a_no_op() {
    let _checks = checks_on();
    let q = ntt_primes(50, 64, 1).unwrap()[0];
    let mut a = vec![1u64; 16];
    let p = a.as_mut_ptr();
    ok(ckks_hexl_eltwise_add_mod(null_mut(), null(), null(), 0, q));
    ok(ckks_hexl_eltwise_reduce_mod(null_mut(), null(), 0, 0, 0, 0));
    err(
        ckks_hexl_eltwise_add_mod(p, p, null(), 16, q),
        CkksStatus::NullPointer,
        "operand2",
    );
    err(
        ckks_hexl_eltwise_add_mod(p, p, p, 16, 1),
        CkksStatus::InvalidArgument,
        "modulus 1",
    );
    err(
        ckks_hexl_eltwise_add_scalar_mod(p, p, q, 16, q),
        CkksStatus::OutOfRange,
        "scalar",
    );
    err(
        ckks_hexl_eltwise_mult_mod(p, p, p, 16, q, 3),
        CkksStatus::InvalidArgument,
        "input_mod_factor 3",
    );
    err(
        ckks_hexl_eltwise_mult_mod(p, p, p, 16, 1 << 63, 4),
        CkksStatus::InvalidArgument,
        "2^64",
    );
    err(
        ckks_hexl_eltwise_fma_mod(p, p, 1, null(), 16, q, 16),
        CkksStatus::InvalidArgument,
        "16",
    );
    err(
        ckks_hexl_eltwise_reduce_mod(p, p, 16, q, 3, 1),
        CkksStatus::InvalidArgument,
        "or the modulus",
    );
    err(
        ckks_hexl_eltwise_reduce_mod(p, p, 16, q, 4, 4),
        CkksStatus::InvalidArgument,
        "output_mod_factor",
    );
    err(
        ckks_hexl_eltwise_cmp_add(p, p, 16, 8, 0, 1),
        CkksStatus::InvalidArgument,
        "CMPINT",
    );
    // Partial overlap.
    err(
        ckks_hexl_eltwise_add_mod(p.wrapping_add(1), p, p, 8, q),
        CkksStatus::InvalidArgument,
        "overlap",
    );
    // Out of range: the output stays untouched.
    a[5] = q;
    let mut out = vec![7u64; 16];
    err(
        ckks_hexl_eltwise_sub_mod(out.as_mut_ptr(), a.as_ptr(), a.as_ptr(), 16, q),
        CkksStatus::OutOfRange,
        "operand1[5]",
    );
    assert!(out.iter().all(|&x| x == 7));
    a[5] = 4 * q;
    err(
        ckks_hexl_eltwise_reduce_mod(out.as_mut_ptr(), a.as_ptr(), 16, q, 4, 1),
        CkksStatus::OutOfRange,
        "",
    );
    // Mult and FMA accept any word and reduce it exactly (SEAL passes 70 with q = 5, factor 8).
    ok(ckks_hexl_eltwise_mult_mod(
        out.as_mut_ptr(),
        a.as_ptr(),
        a.as_ptr(),
        16,
        q,
        4,
    ));
    assert_eq!(out[5], mulmod(4 * q, 4 * q, q));
    assert_eq!(out[0], 1);
    let seal = [70u64, 3, u64::MAX - 1];
    let mut r = [0u64; 3];
    ok(ckks_hexl_eltwise_fma_mod(
        r.as_mut_ptr(),
        seal.as_ptr(),
        3,
        null(),
        3,
        5,
        8,
    ));
    assert_eq!(r, [0, 4, ((u64::MAX - 1) % 5) * 3 % 5]);
    ok(ckks_hexl_eltwise_fma_mod(
        r.as_mut_ptr(),
        seal.as_ptr(),
        3,
        seal.as_ptr(),
        3,
        5,
        8,
    ));
    assert_eq!(r, [0, 2, ((u64::MAX - 1) % 5) * 4 % 5]);
    // With input checks off the call is trusted: no range error (the result is unspecified).
    let m = 1_000_000;
    let big = [5 * m; 16];
    ok(ckks_set_input_checks(0));
    let s = ckks_hexl_eltwise_add_mod(out.as_mut_ptr(), big.as_ptr(), big.as_ptr(), 16, m);
    ok(ckks_set_input_checks(1));
    ok(s);
    err(
        ckks_hexl_eltwise_add_mod(out.as_mut_ptr(), big.as_ptr(), big.as_ptr(), 16, m),
        CkksStatus::OutOfRange,
        "",
    );
}
