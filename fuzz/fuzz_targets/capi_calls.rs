//! The C ABI's entry points under arbitrary arguments: NTT plans of any degree and modulus,
//! transforms and element-wise calls with arbitrary lengths, mod factors, values and in-place
//! aliasing, every deserializer on arbitrary bytes, handles that are garbage or freed, and the
//! HEXL-semantics calls of hexl-compat (`ckks_hexl_*`) against their definitions.
//!
//! Buffers are always as long as the length passed (the C contract); everything else is
//! arbitrary. A finding is a caught Rust panic (`CKKS_STATUS_INTERNAL`), an abort, a hang, or an
//! `OK` whose output breaks the documented range.
#![no_main]

use arbitrary::Arbitrary;
use capi::*;
use libfuzzer_sys::fuzz_target;
use std::ptr::{null, null_mut};

#[derive(Arbitrary, Debug)]
enum Call {
    /// A plan for any (n, q), then a forward or inverse transform of `data`.
    Ntt {
        n: u32,
        q_bits: u8,
        raw_q: Option<u64>,
        inverse: bool,
        in_factor: u64,
        out_factor: u64,
        in_place: bool,
        len_delta: i8,
        data: Vec<u64>,
    },
    /// An element-wise call over a basis of `limbs` primes at degree 2^log_n.
    Eltwise {
        log_n: u8,
        limbs: u8,
        op: u8,
        factor: u64,
        len_delta: i8,
        a: Vec<u64>,
        b: Vec<u64>,
    },
    /// A deserializer of kind `kind` on `bytes`, against the fuzz context.
    Deserialize { kind: u8, bytes: Vec<u8> },
    /// A transform through a handle that is garbage or was freed.
    BadHandle { raw: usize, freed: bool },
    /// A `ckks_hexl_*` call: NTT (any degree, round trip) or element-wise (any modulus, factors,
    /// aliasing), an `OK` output checked against the definition.
    Hexl {
        op: u8,
        modulus: u64,
        log_n: u8,
        f: (u64, u64),
        in_place: bool,
        scalar: u64,
        a: Vec<u64>,
        b: Vec<u64>,
    },
}

fn ok_or_typed(s: CkksStatus, what: &str) {
    assert!(
        s != CkksStatus::Internal,
        "{what}: caught panic: {}",
        last_error()
    );
}

fn last_error() -> String {
    let p = ckks_last_error();
    if p.is_null() {
        return String::new();
    }
    // SAFETY: the library returns a NUL-terminated string valid until the next call on this
    // thread.
    unsafe { std::ffi::CStr::from_ptr(p) }
        .to_string_lossy()
        .into_owned()
}

/// `data` resized to `len` (cycling its words, or zeros).
fn sized(data: &[u64], len: usize) -> Vec<u64> {
    (0..len)
        .map(|i| {
            if data.is_empty() {
                0
            } else {
                data[i % data.len()]
            }
        })
        .collect()
}

fn ntt(
    n: u32,
    q_bits: u8,
    raw_q: Option<u64>,
    inverse: bool,
    f: (u64, u64),
    in_place: bool,
    d: i8,
    data: &[u64],
) {
    let n = (n % (1 << 17)) as usize;
    let q = match raw_q {
        Some(q) => q,
        None => {
            let mut q = 0u64;
            let s = ckks_ntt_primes(u32::from(q_bits % 64), n.max(1), 1, &mut q, 1);
            ok_or_typed(s, "ntt_primes");
            if s != CkksStatus::Ok {
                return;
            }
            q
        }
    };
    let mut plan = null_mut();
    let s = ckks_ntt_plan_create(n, q, &mut plan);
    ok_or_typed(s, "ntt_plan_create");
    if s != CkksStatus::Ok {
        return;
    }
    let len = (n as isize + d as isize).max(0) as usize;
    let input = sized(data, len);
    let mut output = vec![0u64; len];
    let (ip, op) = if in_place {
        output.copy_from_slice(&input);
        (output.as_ptr(), output.as_mut_ptr())
    } else {
        (input.as_ptr(), output.as_mut_ptr())
    };
    let s = if inverse {
        ckks_ntt_inverse(plan, ip, op, len, f.0, f.1)
    } else {
        ckks_ntt_forward(plan, ip, op, len, f.0, f.1)
    };
    ok_or_typed(s, "ntt transform");
    if s == CkksStatus::Ok {
        assert_eq!(
            len, n,
            "a transform of {len} words succeeded on a plan of degree {n}"
        );
        let bound = f.1.saturating_mul(q);
        assert!(output.iter().all(|&x| x < bound), "output beyond {}·q", f.1);
    }
    ok_or_typed(ckks_ntt_plan_free(plan), "ntt_plan_free");
}

fn eltwise(log_n: u8, limbs: u8, op: u8, factor: u64, d: i8, a: &[u64], b: &[u64]) {
    let n = 1usize << (log_n % 12);
    let limbs = (limbs % 4) as usize + 1;
    let mut primes = vec![0u64; limbs];
    let s = ckks_ntt_primes(40, n, limbs, primes.as_mut_ptr(), limbs);
    ok_or_typed(s, "ntt_primes");
    if s != CkksStatus::Ok {
        return;
    }
    let mut basis = null_mut();
    let s = ckks_rns_basis_create(n, primes.as_ptr(), limbs, &mut basis);
    ok_or_typed(s, "rns_basis_create");
    if s != CkksStatus::Ok {
        return;
    }
    let len = ((limbs * n) as isize + d as isize).max(0) as usize;
    let (x, y) = (sized(a, len), sized(b, len));
    let mut out = vec![0u64; len];
    let s = match op % 6 {
        0 => ckks_eltwise_add(basis, x.as_ptr(), y.as_ptr(), out.as_mut_ptr(), len),
        1 => ckks_eltwise_sub(basis, x.as_ptr(), y.as_ptr(), out.as_mut_ptr(), len),
        2 => ckks_eltwise_mul(basis, x.as_ptr(), y.as_ptr(), out.as_mut_ptr(), len),
        3 => ckks_eltwise_mul_add(
            basis,
            x.as_ptr(),
            y.as_ptr(),
            x.as_ptr(),
            out.as_mut_ptr(),
            len,
        ),
        4 => {
            let k = (factor as usize % (limbs + 2)).max(0);
            let scalars = sized(b, k);
            ckks_eltwise_mul_scalar(
                basis,
                x.as_ptr(),
                scalars.as_ptr(),
                k,
                out.as_mut_ptr(),
                len,
            )
        }
        _ => {
            out.copy_from_slice(&x);
            ckks_eltwise_reduce(basis, out.as_mut_ptr(), len, factor % 6)
        }
    };
    ok_or_typed(s, "eltwise");
    if s == CkksStatus::Ok {
        // The first len / n limbs of the basis (1 ≤ limbs ≤ the basis's).
        assert!(
            len > 0 && len % n == 0 && len / n <= limbs,
            "an element-wise call of {len} words succeeded on {limbs} limbs of {n}"
        );
        for (limb, q) in out.chunks(n).zip(&primes) {
            assert!(
                limb.iter().all(|w| w < q),
                "element-wise output not reduced"
            );
        }
    }
    ok_or_typed(ckks_rns_basis_free(basis), "rns_basis_free");
}

/// The fuzz parameters of `fuzz/src/lib.rs` as a C context (built once).
fn context() -> *const CkksContext {
    use std::sync::OnceLock;
    static CTX: OnceLock<usize> = OnceLock::new();
    *CTX.get_or_init(|| {
        let (q, p) = ([50u32, 35, 35], [50u32]);
        let mut ctx = null_mut();
        let s = ckks_context_create(16, q.as_ptr(), 3, p.as_ptr(), 1, 3, 35, 1, &mut ctx);
        assert_eq!(s, CkksStatus::Ok, "fuzz context: {}", last_error());
        ctx as usize
    }) as *const CkksContext
}

fn deserialize(kind: u8, bytes: &[u8]) {
    let ctx = context();
    let (b, l) = (bytes.as_ptr(), bytes.len());
    macro_rules! load {
        ($f:ident, $free:ident) => {{
            let mut out = null_mut();
            let s = $f(ctx, b, l, &mut out);
            ok_or_typed(s, stringify!($f));
            assert_eq!(
                s == CkksStatus::Ok,
                !out.is_null(),
                "{}: out vs status",
                stringify!($f)
            );
            // NULL out pointer: refused, nothing written.
            ok_or_typed($f(ctx, b, l, null_mut()), stringify!($f));
            // NULL buffer with a length: refused.
            ok_or_typed($f(ctx, null(), l.max(1), &mut null_mut()), stringify!($f));
            ok_or_typed($free(out), stringify!($free));
        }};
    }
    match kind % 8 {
        0 => load!(ckks_ciphertext_deserialize, ckks_ciphertext_free),
        1 => load!(ckks_plaintext_deserialize, ckks_plaintext_free),
        2 => load!(ckks_public_key_deserialize, ckks_public_key_free),
        3 => load!(ckks_relin_key_deserialize, ckks_relin_key_free),
        4 => load!(ckks_galois_keys_deserialize, ckks_galois_keys_free),
        5 => load!(ckks_secret_key_deserialize, ckks_secret_key_free),
        6 => load!(ckks_key_bundle_deserialize, ckks_key_bundle_free),
        _ => load!(ckks_batch_deserialize, ckks_batch_free),
    }
}

fn bad_handle(raw: usize, freed: bool) {
    let plan = if freed {
        let mut p = null_mut();
        assert_eq!(ckks_ntt_plan_create(16, 97, &mut p), CkksStatus::Ok);
        assert_eq!(ckks_ntt_plan_free(p), CkksStatus::Ok);
        p.cast_const()
    } else {
        raw as *const CkksNttPlan
    };
    let mut data = [1u64; 16];
    let s = ckks_ntt_forward(plan, data.as_ptr(), data.as_mut_ptr(), 16, 1, 1);
    ok_or_typed(s, "forward on a bad handle");
    assert!(
        plan.is_null() || s != CkksStatus::Ok || !freed,
        "a freed handle was used"
    );
}

fn mulmod(a: u64, b: u64, q: u64) -> u64 {
    ((a as u128 * b as u128) % q as u128) as u64
}

/// HEXL's CMPINT comparison `cmp(a, b)` (0 EQ … 7 TRUE).
fn holds(cmp: u32, a: u64, b: u64) -> bool {
    match cmp {
        0 => a == b,
        1 => a < b,
        2 => a <= b,
        3 => false,
        4 => a != b,
        5 => a >= b,
        6 => a > b,
        _ => true,
    }
}

#[allow(clippy::too_many_arguments)]
fn hexl(op: u8, q: u64, log_n: u8, f: (u64, u64), in_place: bool, w: u64, a: &[u64], b: &[u64]) {
    let n = 1usize << (log_n % 12);
    if op.is_multiple_of(8) {
        // NTT: an NTT prime of (q % 64) bits, or q itself when odd.
        let q = if q & 1 == 1 {
            q
        } else {
            let mut p = 0u64;
            if ckks_ntt_primes((q % 64) as u32, n.max(16), 1, &mut p, 1) != CkksStatus::Ok {
                return;
            }
            p
        };
        let mut h = null_mut();
        let s = ckks_hexl_ntt_create(n as u64, q, 0, &mut h);
        ok_or_typed(s, "hexl_ntt_create");
        if s != CkksStatus::Ok {
            return;
        }
        let x = sized(a, n);
        let mut y = if in_place { x.clone() } else { vec![0; n] };
        let src = if in_place { y.as_ptr() } else { x.as_ptr() };
        let s = ckks_hexl_ntt_forward(h, y.as_mut_ptr(), src, n as u64, f.0, f.1);
        ok_or_typed(s, "hexl_ntt_forward");
        if s == CkksStatus::Ok {
            assert!(
                y.iter().all(|&v| v < f.1.saturating_mul(q)),
                "forward output range"
            );
            let mut z = vec![0; n];
            let yr: Vec<u64> = y.iter().map(|&v| v % q).collect();
            let s = ckks_hexl_ntt_inverse(h, z.as_mut_ptr(), yr.as_ptr(), n as u64, 1, 1);
            assert_eq!(
                s,
                CkksStatus::Ok,
                "inverse of a forward output: {}",
                last_error()
            );
            assert!(z.iter().zip(&x).all(|(&z, &x)| z == x % q), "round trip");
        }
        ok_or_typed(ckks_hexl_ntt_free(h), "hexl_ntt_free");
        return;
    }
    let len = n.min(a.len().max(1));
    let x = sized(a, len);
    let yv = sized(b, len);
    let mut out = if in_place { x.clone() } else { vec![0; len] };
    let (r, xp, yp, ln) = (out.as_mut_ptr(), x.as_ptr(), yv.as_ptr(), len as u64);
    // In place: result is operand1 (its copy in `out`).
    let xp = if in_place { r.cast_const() } else { xp };
    let cmp = (w % 9) as u32;
    let (s, want): (CkksStatus, Box<dyn Fn(u64, u64) -> u64>) = match op % 8 {
        1 => (
            ckks_hexl_eltwise_add_mod(r, xp, yp, ln, q),
            Box::new(move |a, b| ((a as u128 + b as u128) % q.max(1) as u128) as u64),
        ),
        2 => (
            ckks_hexl_eltwise_sub_mod(r, xp, yp, ln, q),
            Box::new(move |a, b| ((a as u128 + q as u128 - b as u128) % q.max(1) as u128) as u64),
        ),
        3 => (
            ckks_hexl_eltwise_mult_mod(r, xp, yp, ln, q, f.0),
            Box::new(move |a, b| mulmod(a, b, q.max(1))),
        ),
        4 => {
            let c = if w & 1 == 1 { yp } else { null() };
            let ww = w % q.max(1);
            (
                ckks_hexl_eltwise_fma_mod(r, xp, w, c, ln, q, f.0),
                Box::new(move |a, b| {
                    let add = if w & 1 == 1 { b as u128 } else { 0 };
                    ((a as u128 * ww as u128 + add) % q.max(1) as u128) as u64
                }),
            )
        }
        5 => (
            ckks_hexl_eltwise_reduce_mod(r, xp, ln, q, if w & 1 == 1 { q } else { f.0 }, f.1),
            Box::new(move |a, _| a % q.max(1)),
        ),
        // The comparisons are checked below (they need the bound).
        6 => (
            ckks_hexl_eltwise_cmp_add(r, xp, ln, cmp, b.first().copied().unwrap_or(0), w),
            Box::new(|a, _| a),
        ),
        _ => (
            ckks_hexl_eltwise_cmp_sub_mod(r, xp, ln, q, cmp, b.first().copied().unwrap_or(0), w),
            Box::new(|a, _| a),
        ),
    };
    ok_or_typed(s, "hexl eltwise");
    if s != CkksStatus::Ok {
        return;
    }
    let bound = b.first().copied().unwrap_or(0);
    for i in 0..len {
        let (a, c) = (x[i], yv[i]);
        let got = out[i];
        match op % 8 {
            // Reduce: output factor 2 may be lazy, congruent and below 2q.
            5 if f.1 == 2 => assert!(got < 2 * q && got % q == a % q, "reduce_mod"),
            6 => {
                let e = if holds(cmp, a, bound) {
                    a.wrapping_add(w)
                } else {
                    a
                };
                assert_eq!(got, e, "cmp_add");
            }
            7 => {
                let v = a % q;
                let d = w % q;
                let e = if holds(cmp, a, bound) {
                    ((v as u128 + q as u128 - d as u128) % q as u128) as u64
                } else {
                    v
                };
                assert_eq!(got, e, "cmp_sub_mod");
            }
            _ => assert_eq!(got, want(a, c), "hexl op {}", op % 8),
        }
    }
}

fuzz_target!(|call: Call| {
    match call {
        Call::Ntt {
            n,
            q_bits,
            raw_q,
            inverse,
            in_factor,
            out_factor,
            in_place,
            len_delta,
            data,
        } => ntt(
            n,
            q_bits,
            raw_q,
            inverse,
            (in_factor, out_factor),
            in_place,
            len_delta,
            &data,
        ),
        Call::Eltwise {
            log_n,
            limbs,
            op,
            factor,
            len_delta,
            a,
            b,
        } => eltwise(log_n, limbs, op, factor, len_delta, &a, &b),
        Call::Deserialize { kind, bytes } => deserialize(kind, &bytes),
        Call::BadHandle { raw, freed } => bad_handle(raw, freed),
        Call::Hexl {
            op,
            modulus,
            log_n,
            f,
            in_place,
            scalar,
            a,
            b,
        } => hexl(op, modulus, log_n, f, in_place, scalar, &a, &b),
    }
});
