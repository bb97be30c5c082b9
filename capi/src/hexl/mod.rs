//! Entry points for the Intel HEXL compatibility layer (`hexl-compat/`, issue 22): NTTs and
//! element-wise operations with HEXL's exact semantics, so that the C++ `intel::hexl` API can
//! be a thin layer over them.
//!
//! Differences from the other kernel entry points (`kernels.rs`):
//! - NTTs of every power-of-two degree from 2 to 2^20 (degrees below the library's plans, which
//!   start at 16, use an exact scalar transform computed from the definition), with the root
//!   given by the caller or, with `root` = 0, HEXL's default: the minimal primitive 2n-th root.
//! - Element-wise operations are stateless and take any modulus HEXL accepts (not only NTT
//!   primes): primes below 2^62 run on the library's vectorized kernels (one `Eltwise` per
//!   modulus, cached), every other modulus on exact scalar code.
//! - n = 0 is a no-op for every element-wise call (HEXL's debug builds reject it, its release
//!   builds do nothing; clients such as SEAL may pass it).

mod eltwise;
mod reduce_cmp;

pub use eltwise::*;
pub use reduce_cmp::*;

use crate::handle::{get, handle_kind, register, release};
use crate::kernels::check_range;
use crate::{
    CkksStatus, FfiResult, check_out, fail, guard, partial_overlap, slice, slice_mut, write_out,
};
use accel::arith::{Modulus, is_prime, primitive_root_2n};
use accel::ntt::NttPlan;

/// The transform behind a `CkksHexlNtt`.
pub(crate) enum HexlNtt {
    /// n ≥ 16: the library's vectorized plan.
    Plan(NttPlan),
    /// n < 16: an exact scalar transform from the definition (HEXL accepts n = 2, 4, 8).
    Small(SmallNtt),
}

/// A negacyclic NTT of degree n < 16, computed from its definition with 128-bit products.
pub(crate) struct SmallNtt {
    n: usize,
    q: u64,
    psi: u64,
    /// `fwd[k][j]` = ψ^(j·(2·brv(k)+1)): row k of the forward matrix.
    fwd: Vec<Vec<u64>>,
    /// `inv[j][k]` = n^(-1)·ψ^(−j·(2·brv(k)+1)): row j of the inverse matrix.
    inv: Vec<Vec<u64>>,
}

fn mulmod(a: u64, b: u64, q: u64) -> u64 {
    ((a as u128 * b as u128) % q as u128) as u64
}

fn powmod(mut b: u64, mut e: u64, q: u64) -> u64 {
    let mut r = 1 % q;
    b %= q;
    while e > 0 {
        if e & 1 == 1 {
            r = mulmod(r, b, q);
        }
        b = mulmod(b, b, q);
        e >>= 1;
    }
    r
}

fn bit_reverse(k: usize, bits: u32) -> usize {
    if bits == 0 {
        0
    } else {
        k.reverse_bits() >> (usize::BITS - bits)
    }
}

impl SmallNtt {
    fn new(n: usize, q: u64, psi: u64) -> SmallNtt {
        let bits = n.trailing_zeros();
        let psi_inv = powmod(psi, 2 * n as u64 - 1, q);
        let n_inv = powmod(n as u64, q - 2, q);
        let exp = |j: usize, k: usize| (j * (2 * bit_reverse(k, bits) + 1)) as u64;
        let fwd = (0..n)
            .map(|k| (0..n).map(|j| powmod(psi, exp(j, k), q)).collect())
            .collect();
        let inv = (0..n)
            .map(|j| {
                (0..n)
                    .map(|k| mulmod(n_inv, powmod(psi_inv, exp(j, k), q), q))
                    .collect()
            })
            .collect();
        SmallNtt {
            n,
            q,
            psi,
            fwd,
            inv,
        }
    }

    /// `out = M · (x mod q)` for the forward or inverse matrix (`x` and `out` distinct).
    fn apply(&self, inverse: bool, x: &[u64], out: &mut [u64]) {
        let m = if inverse { &self.inv } else { &self.fwd };
        for (row, o) in m.iter().zip(out.iter_mut()) {
            let acc = row.iter().zip(x).fold(0u128, |s, (&w, &v)| {
                (s + w as u128 * (v % self.q) as u128) % self.q as u128
            });
            *o = acc as u64;
        }
    }
}

impl HexlNtt {
    fn n(&self) -> usize {
        match self {
            HexlNtt::Plan(p) => p.n(),
            HexlNtt::Small(s) => s.n,
        }
    }

    fn q(&self) -> u64 {
        match self {
            HexlNtt::Plan(p) => p.modulus(),
            HexlNtt::Small(s) => s.q,
        }
    }
}

/// A negacyclic NTT with Intel HEXL's semantics (any power-of-two degree from 2 to 2^20).
///
/// Opaque: only used through pointers returned by this library.
pub struct CkksHexlNtt {
    _opaque: [u8; 0],
}
handle_kind!(CkksHexlNtt => HexlNtt);

/// The minimal primitive 2n-th root of unity mod prime q (HEXL's default root): the smallest of
/// ψ^k over odd k for any primitive root ψ.
fn minimal_root(n: usize, q: u64, psi: u64) -> u64 {
    let psi2 = mulmod(psi, psi, q);
    let mut cur = psi;
    let mut best = psi;
    for _ in 1..n {
        cur = mulmod(cur, psi2, q);
        best = best.min(cur);
    }
    best
}

fn build(n: u64, q: u64, root: u64) -> FfiResult<HexlNtt> {
    if !n.is_power_of_two() || !(2..=1 << 20).contains(&n) {
        return fail(
            CkksStatus::InvalidArgument,
            format!("degree {n} is not a power of two in [2, 2^20]"),
        );
    }
    let n = n as usize;
    if n >= accel::arith::MIN_RING_DEGREE {
        let plan = if root == 0 {
            // Modulus::new and primitive_root_2n validate q (prime < 2^62, q ≡ 1 mod 2n).
            let m = Modulus::new(q)?;
            let min = minimal_root(n, q, primitive_root_2n(&m, n)?);
            NttPlan::with_root(n, q, min)?
        } else {
            NttPlan::with_root(n, q, root)?
        };
        return Ok(HexlNtt::Plan(plan));
    }
    // The small path validates what NttPlan would: q a prime < 2^62 with q ≡ 1 (mod 2n).
    if !(2..accel::arith::MODULUS_LIMIT).contains(&q) || !is_prime(q) {
        return fail(
            CkksStatus::InvalidArgument,
            format!("modulus {q} is not a prime below 2^62"),
        );
    }
    if q % (2 * n as u64) != 1 {
        return fail(
            CkksStatus::InvalidArgument,
            format!("modulus {q} is not 1 mod 2n = {}", 2 * n),
        );
    }
    let psi = if root == 0 {
        let m = Modulus::new(q)?;
        minimal_root(n, q, primitive_root_2n(&m, n)?)
    } else {
        if root >= q || powmod(root, n as u64, q) != q - 1 {
            return fail(
                CkksStatus::InvalidArgument,
                format!(
                    "root {root} is not a primitive {}-th root of unity mod {q}",
                    2 * n
                ),
            );
        }
        root
    };
    Ok(HexlNtt::Small(SmallNtt::new(n, q, psi)))
}

/// Creates a HEXL-semantics NTT of degree `n` (a power of two, 2 ≤ n ≤ 2^20) over the prime
/// q ≡ 1 (mod 2n), q < 2^62, on the primitive 2n-th root of unity `root` (root^n ≡ −1 mod q),
/// or with `root` = 0 on the minimal primitive 2n-th root (HEXL's default). Bad n, q or root:
/// `CKKS_STATUS_INVALID_ARGUMENT`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_hexl_ntt_create(
    n: u64,
    q: u64,
    root: u64,
    out: *mut *mut CkksHexlNtt,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let ntt = build(n, q, root)?;
        write_out(out, register(ntt), "out")
    })
}

/// Releases a `CkksHexlNtt` (NULL is a no-op); a freed or foreign handle gives
/// `CKKS_STATUS_INVALID_HANDLE`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_hexl_ntt_free(handle: *mut CkksHexlNtt) -> CkksStatus {
    guard(|| release::<HexlNtt, CkksHexlNtt>(handle, "handle"))
}

/// The root of unity a `CkksHexlNtt` uses (the given one, or the minimal one for root 0).
#[unsafe(no_mangle)]
pub extern "C" fn ckks_hexl_ntt_root(ntt: *const CkksHexlNtt, root: *mut u64) -> CkksStatus {
    guard(|| {
        let h = get::<HexlNtt, _>(ntt, "ntt")?;
        let r = match &*h {
            HexlNtt::Plan(p) => p.psi(),
            HexlNtt::Small(s) => s.psi,
        };
        write_out(root, r, "root")
    })
}

fn hexl_transform(
    ntt: *const CkksHexlNtt,
    inverse: bool,
    result: *mut u64,
    operand: *const u64,
    n: u64,
    input_mod_factor: u64,
    output_mod_factor: u64,
) -> CkksStatus {
    guard(|| {
        let h = get::<HexlNtt, _>(ntt, "ntt")?;
        let (ins, outs): (&[u64], &[u64]) = if inverse {
            (&[1, 2], &[1, 2])
        } else {
            (&[1, 2, 4], &[1, 4])
        };
        let dir = if inverse { "inverse" } else { "forward" };
        if !ins.contains(&input_mod_factor) {
            return fail(
                CkksStatus::InvalidArgument,
                format!("{dir} NTT: input_mod_factor {input_mod_factor} is not one of {ins:?}"),
            );
        }
        if !outs.contains(&output_mod_factor) {
            return fail(
                CkksStatus::InvalidArgument,
                format!("{dir} NTT: output_mod_factor {output_mod_factor} is not one of {outs:?}"),
            );
        }
        let len = h.n();
        if n != len as u64 {
            return fail(
                CkksStatus::InvalidLength,
                format!("n = {n} is not the transform's degree {len}"),
            );
        }
        if result.is_null() || operand.is_null() {
            return fail(CkksStatus::NullPointer, "result or operand is NULL");
        }
        if partial_overlap(operand, result.cast_const(), len) {
            return fail(
                CkksStatus::InvalidArgument,
                "result and operand overlap without being the same array",
            );
        }
        let q = h.q();
        let in_place = std::ptr::eq(operand, result.cast_const());
        let reduce = output_mod_factor == 1;
        match &*h {
            HexlNtt::Plan(plan) => {
                if in_place {
                    let data = slice_mut(result, len, "result")?;
                    check_range(data, q, input_mod_factor, "operand")?;
                    match (inverse, reduce) {
                        (false, true) => plan.forward(data),
                        (false, false) => plan.forward_lazy(data),
                        (true, true) => plan.inverse(data),
                        (true, false) => plan.inverse_lazy(data),
                    }
                } else {
                    let src = slice(operand, len, "operand")?;
                    check_range(src, q, input_mod_factor, "operand")?;
                    let dst = slice_mut(result, len, "result")?;
                    match (inverse, reduce) {
                        (false, true) => plan.forward_into(src, dst),
                        (false, false) => plan.forward_lazy_into(src, dst),
                        (true, true) => plan.inverse_into(src, dst),
                        (true, false) => plan.inverse_lazy_into(src, dst),
                    }
                }
            }
            HexlNtt::Small(s) => {
                // Fully reduced output: within every lazy range, equal mod q.
                let src = slice(operand, len, "operand")?.to_vec();
                check_range(&src, q, input_mod_factor, "operand")?;
                let dst = slice_mut(result, len, "result")?;
                s.apply(inverse, &src, dst);
            }
        }
        Ok(())
    })
}

/// Forward NTT with HEXL's semantics: `operand` (n words, natural order, in
/// [0, input_mod_factor·q), input_mod_factor ∈ {1, 2, 4}) → `result` in bit-reversed order, in
/// [0, q) (output_mod_factor 1) or [0, 4q) (output_mod_factor 4). `result == operand`: in
/// place. Out-of-range input: `CKKS_STATUS_OUT_OF_RANGE` (unless input checks are off).
#[unsafe(no_mangle)]
pub extern "C" fn ckks_hexl_ntt_forward(
    ntt: *const CkksHexlNtt,
    result: *mut u64,
    operand: *const u64,
    n: u64,
    input_mod_factor: u64,
    output_mod_factor: u64,
) -> CkksStatus {
    hexl_transform(
        ntt,
        false,
        result,
        operand,
        n,
        input_mod_factor,
        output_mod_factor,
    )
}

/// Inverse NTT with HEXL's semantics (1/n folded in): `operand` in bit-reversed order, in
/// [0, input_mod_factor·q) with input_mod_factor ∈ {1, 2} → `result` in natural order, in
/// [0, q) (output_mod_factor 1) or [0, 2q) (output_mod_factor 2). `result == operand`: in place.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_hexl_ntt_inverse(
    ntt: *const CkksHexlNtt,
    result: *mut u64,
    operand: *const u64,
    n: u64,
    input_mod_factor: u64,
    output_mod_factor: u64,
) -> CkksStatus {
    hexl_transform(
        ntt,
        true,
        result,
        operand,
        n,
        input_mod_factor,
        output_mod_factor,
    )
}
