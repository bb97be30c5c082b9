//! The HEXL-semantics NTT entry points (`ckks_hexl_ntt_*`): every degree from 2 against the
//! definition, the minimal default root, every mod factor, in place, and bad input. The
//! element-wise calls: `hexl_eltwise.rs`.

use super::*;

/// a·b mod q, exact (128-bit).
pub(super) fn mulmod(a: u64, b: u64, q: u64) -> u64 {
    ((a as u128 * b as u128) % q as u128) as u64
}

fn powmod(b: u64, mut e: u64, q: u64) -> u64 {
    let (mut r, mut b) = (1u64, b % q);
    while e > 0 {
        if e & 1 == 1 {
            r = mulmod(r, b, q);
        }
        b = mulmod(b, b, q);
        e >>= 1;
    }
    r
}

/// out[k] = Σ_j a_j ψ^(j(2·brv(k)+1)) mod q, from the definition (O(n²)).
fn definition(a: &[u64], psi: u64, q: u64) -> Vec<u64> {
    let n = a.len();
    let bits = n.trailing_zeros();
    (0..n)
        .map(|k| {
            let e = 2 * (k.reverse_bits() >> (usize::BITS - bits)) as u64 + 1;
            let w = powmod(psi, e, q);
            a.iter()
                .rev()
                .fold(0u64, |acc, &x| (mulmod(acc, w, q) + x % q) % q)
        })
        .collect()
}

fn hexl_ntt(n: u64, q: u64, root: u64) -> *mut CkksHexlNtt {
    let mut h = null_mut();
    ok(ckks_hexl_ntt_create(n, q, root, &mut h));
    h
}

#[test]
fn hexl_ntt_matches_the_definition_at_every_degree_and_factor() {
    let _checks = checks_on();
    let q = ntt_primes(50, 1 << 10, 1).unwrap()[0];
    for log_n in 1..=8 {
        let n = 1usize << log_n;
        let h = hexl_ntt(n as u64, q, 0);
        let mut psi = 0;
        ok(ckks_hexl_ntt_root(h, &mut psi));
        // The default root is the minimal primitive 2n-th root.
        assert_eq!(powmod(psi, n as u64, q), q - 1);
        let min = (0..n as u64)
            .map(|k| powmod(psi, 2 * k + 1, q))
            .min()
            .unwrap();
        assert_eq!(psi, min, "n = {n}");
        for fi in [1u64, 2, 4] {
            let a: Vec<u64> = (0..n as u64)
                .map(|i| (i * 0x9e37_79b9 + 11) % (fi * q))
                .collect();
            let want = definition(&a, psi, q);
            for fo in [1u64, 4] {
                let mut out = vec![0; n];
                ok(ckks_hexl_ntt_forward(
                    h,
                    out.as_mut_ptr(),
                    a.as_ptr(),
                    n as u64,
                    fi,
                    fo,
                ));
                let mut inplace = a.clone();
                let p = inplace.as_mut_ptr();
                ok(ckks_hexl_ntt_forward(h, p, p, n as u64, fi, fo));
                assert_eq!(inplace, out);
                if fo == 1 {
                    assert_eq!(out, want, "n = {n}, factors {fi} -> {fo}");
                } else {
                    assert!(
                        out.iter()
                            .zip(&want)
                            .all(|(&o, &w)| o < 4 * q && o % q == w)
                    );
                }
            }
            // Inverse of the exact forward output gives back a mod q (input factors 1, 2).
            if fi <= 2 {
                let x: Vec<u64> = want
                    .iter()
                    .map(|&w| if fi == 2 { w + q } else { w })
                    .collect();
                for fo in [1u64, 2] {
                    let mut back = vec![0; n];
                    ok(ckks_hexl_ntt_inverse(
                        h,
                        back.as_mut_ptr(),
                        x.as_ptr(),
                        n as u64,
                        fi,
                        fo,
                    ));
                    assert!(
                        back.iter()
                            .zip(&a)
                            .all(|(&b, &a)| b < fo * q && b % q == a % q),
                        "inverse n = {n}, {fi} -> {fo}"
                    );
                }
            }
        }
        ok(ckks_hexl_ntt_free(h));
    }
}

#[test]
fn hexl_ntt_with_a_given_root_and_bad_parameters() {
    let _checks = checks_on();
    let q = ntt_primes(40, 1 << 10, 1).unwrap()[0];
    for n in [4u64, 64] {
        let h = hexl_ntt(n, q, 0);
        let mut psi = 0;
        ok(ckks_hexl_ntt_root(h, &mut psi));
        let psi3 = powmod(psi, 3, q);
        let g = hexl_ntt(n, q, psi3);
        let mut r = 0;
        ok(ckks_hexl_ntt_root(g, &mut r));
        assert_eq!(r, psi3);
        let a: Vec<u64> = (1..=n).collect();
        let mut out = vec![0; n as usize];
        ok(ckks_hexl_ntt_forward(
            g,
            out.as_mut_ptr(),
            a.as_ptr(),
            n,
            1,
            1,
        ));
        assert_eq!(out, definition(&a, psi3, q));
        // psi² is not primitive.
        let mut bad = null_mut();
        err(
            ckks_hexl_ntt_create(n, q, mulmod(psi, psi, q), &mut bad),
            CkksStatus::InvalidArgument,
            "root",
        );
        ok(ckks_hexl_ntt_free(g));
        ok(ckks_hexl_ntt_free(h));
    }
    let mut h = null_mut();
    err(
        ckks_hexl_ntt_create(1, q, 0, &mut h),
        CkksStatus::InvalidArgument,
        "degree 1",
    );
    err(
        ckks_hexl_ntt_create(12, q, 0, &mut h),
        CkksStatus::InvalidArgument,
        "power of two",
    );
    err(
        ckks_hexl_ntt_create(8, q + 2, 0, &mut h),
        CkksStatus::InvalidArgument,
        "prime",
    );
    err(
        ckks_hexl_ntt_create(8, 101, 0, &mut h),
        CkksStatus::InvalidArgument,
        "1 mod 2n",
    );
    err(
        ckks_hexl_ntt_create(64, q + 2, 0, &mut h),
        CkksStatus::InvalidArgument,
        "",
    );
    err(
        ckks_hexl_ntt_create(8, q, 0, null_mut()),
        CkksStatus::NullPointer,
        "out",
    );
    let g = hexl_ntt(8, q, 0);
    let mut a = vec![1u64; 8];
    let p = a.as_mut_ptr();
    err(
        ckks_hexl_ntt_forward(g, p, p, 8, 3, 1),
        CkksStatus::InvalidArgument,
        "input_mod_factor 3",
    );
    err(
        ckks_hexl_ntt_forward(g, p, p, 8, 1, 2),
        CkksStatus::InvalidArgument,
        "output_mod_factor 2",
    );
    err(
        ckks_hexl_ntt_inverse(g, p, p, 8, 4, 1),
        CkksStatus::InvalidArgument,
        "input_mod_factor 4",
    );
    err(
        ckks_hexl_ntt_inverse(g, p, p, 8, 1, 4),
        CkksStatus::InvalidArgument,
        "output_mod_factor 4",
    );
    err(
        ckks_hexl_ntt_forward(g, p, p, 16, 1, 1),
        CkksStatus::InvalidLength,
        "degree 8",
    );
    err(
        ckks_hexl_ntt_forward(g, null_mut(), p, 8, 1, 1),
        CkksStatus::NullPointer,
        "NULL",
    );
    a[3] = 2 * q;
    let p = a.as_mut_ptr();
    err(
        ckks_hexl_ntt_forward(g, p, p, 8, 2, 1),
        CkksStatus::OutOfRange,
        "operand[3]",
    );
    assert_eq!(a[3], 2 * q, "a failing call leaves the data untouched");
    ok(ckks_hexl_ntt_free(g));
    err(
        ckks_hexl_ntt_forward(g, p, p, 8, 4, 1),
        CkksStatus::InvalidHandle,
        "CkksHexlNtt",
    );
}
