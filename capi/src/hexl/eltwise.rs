//! HEXL's arithmetic element-wise operations (`EltwiseAddMod`, `EltwiseSubMod`,
//! `EltwiseMultMod`, `EltwiseFMAMod`; `EltwiseReduceMod` and the comparisons are in
//! `reduce_cmp.rs`) and the helpers they share: stateless, any
//! modulus HEXL accepts, `result` may be any of the inputs (in place) but must not partially
//! overlap one. Every output is fully reduced unless the call asks for a lazy range, and equals
//! the straightforward definition word for word.
//!
//! Primes below 2^62 run on the library's vectorized kernels (an `Eltwise` per modulus, kept
//! in a small process-wide cache); other moduli (SEAL passes e.g. plain moduli such as 2^k) run
//! on exact scalar code with 128-bit products.

use crate::{CkksStatus, FfiResult, fail, guard, input_checks, partial_overlap, slice, slice_mut};
use accel::eltwise::{Eltwise, LazyRange};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

type Cache = RwLock<HashMap<u64, Option<Arc<Eltwise>>>>;
static CACHE: LazyLock<Cache> = LazyLock::new(|| RwLock::new(HashMap::new()));
/// Cache entries kept before the cache is emptied (a client cycling through moduli cannot
/// grow it without bound).
const CACHE_LIMIT: usize = 4096;

/// The library's kernels for `q` when q is a prime below 2^62, `None` otherwise.
pub(super) fn fast(q: u64) -> Option<Arc<Eltwise>> {
    if q >= accel::arith::MODULUS_LIMIT {
        return None;
    }
    if let Some(hit) = CACHE.read().unwrap_or_else(|p| p.into_inner()).get(&q) {
        return hit.clone();
    }
    let ops = if accel::arith::is_prime(q) {
        Eltwise::new(q).ok().map(Arc::new)
    } else {
        None
    };
    let mut c = CACHE.write().unwrap_or_else(|p| p.into_inner());
    if c.len() >= CACHE_LIMIT {
        c.clear();
    }
    c.insert(q, ops.clone());
    ops
}

fn mulmod(a: u64, b: u64, q: u64) -> u64 {
    ((a as u128 * b as u128) % q as u128) as u64
}

/// The largest word of `data` (0 for an empty slice).
pub(super) fn max_of(data: &[u64]) -> u64 {
    crate::max_word(data)
}

/// Fails with `OUT_OF_RANGE` if a word of `data` is ≥ `bound` (when input checks are on).
pub(super) fn check_below(data: &[u64], bound: u64, what: &str) -> FfiResult<()> {
    if !input_checks() || bound == u64::MAX {
        return Ok(());
    }
    range_error(data, max_of(data), bound, what)
}

/// The `OUT_OF_RANGE` error for `data` whose maximum `max` is ≥ `bound` (Ok otherwise).
fn range_error(data: &[u64], max: u64, bound: u64, what: &str) -> FfiResult<()> {
    if max >= bound && input_checks() {
        let i = data.iter().position(|&x| x >= bound).unwrap_or(0);
        return fail(
            CkksStatus::OutOfRange,
            format!("{what}[{i}] = {} is not below {bound}", data[i]),
        );
    }
    Ok(())
}

/// Refuses NULL pointers and inputs that partially overlap `result` (n > 0 words).
pub(super) fn check_pointers(
    result: *mut u64,
    inputs: &[(*const u64, &str)],
    n: usize,
) -> FfiResult<()> {
    if result.is_null() {
        return fail(CkksStatus::NullPointer, "result is NULL");
    }
    for &(p, what) in inputs {
        if p.is_null() {
            return fail(CkksStatus::NullPointer, format!("{what} is NULL"));
        }
        if partial_overlap(p, result.cast_const(), n) {
            return fail(
                CkksStatus::InvalidArgument,
                format!("result and {what} overlap without being the same array"),
            );
        }
    }
    Ok(())
}

pub(super) fn check_modulus(q: u64, max_exclusive: u64) -> FfiResult<()> {
    if q < 2 || q >= max_exclusive {
        return fail(
            CkksStatus::InvalidArgument,
            format!("modulus {q} is outside [2, {max_exclusive})"),
        );
    }
    Ok(())
}

/// The input arrays of one call, with `result` possibly equal to some of them.
pub(super) struct Io<'a> {
    /// Inputs; an input that is `result` itself is a copy (in `keep`).
    pub(super) ins: Vec<&'a [u64]>,
    /// The output array.
    pub(super) out: &'a mut [u64],
}

/// Reads `inputs` (each `n` words) and `result`: NULLs and partial overlaps are refused, an
/// input equal to `result` is copied into `keep` so that the slices never alias.
pub(super) fn io<'a>(
    result: *mut u64,
    inputs: &[(*const u64, &str)],
    n: usize,
    keep: &'a mut Vec<Vec<u64>>,
) -> FfiResult<Io<'a>> {
    check_pointers(result, inputs, n)?;
    let r = result.cast_const();
    for &(p, what) in inputs {
        if std::ptr::eq(p, r) {
            keep.push(slice(p, n, what)?.to_vec());
        }
    }
    let mut copies = keep.iter();
    let mut ins = Vec::with_capacity(inputs.len());
    for &(p, what) in inputs {
        if std::ptr::eq(p, r) {
            ins.push(copies.next().map(Vec::as_slice).unwrap_or(&[]));
        } else {
            ins.push(slice(p, n, what)?);
        }
    }
    let out = slice_mut(result, n, "result")?;
    Ok(Io { ins, out })
}

fn elementwise2(io: Io<'_>, f: impl Fn(u64, u64) -> u64) {
    for ((o, &x), &y) in io.out.iter_mut().zip(io.ins[0]).zip(io.ins[1]) {
        *o = f(x, y);
    }
}

pub(super) fn elementwise1(io: Io<'_>, f: impl Fn(u64) -> u64) {
    for (o, &x) in io.out.iter_mut().zip(io.ins[0]) {
        *o = f(x);
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Bin {
    Add,
    Sub,
    Mul,
}

/// Vector–vector add, sub or multiply, on the library's kernels when `fast` allows (inputs
/// already checked to lie in [0, q)), with `result` allowed to equal either input.
fn binary_fast(
    ops: &Eltwise,
    op: Bin,
    a: *const u64,
    b: *const u64,
    r: *mut u64,
    n: usize,
) -> FfiResult<()> {
    let rc = r.cast_const();
    let (a_out, b_out) = (std::ptr::eq(a, rc), std::ptr::eq(b, rc));
    match (a_out, b_out) {
        (false, false) => {
            let (x, y) = (slice(a, n, "operand1")?, slice(b, n, "operand2")?);
            let z = slice_mut(r, n, "result")?;
            match op {
                Bin::Add => ops.add(x, y, z),
                Bin::Sub => ops.sub(x, y, z),
                Bin::Mul => ops.mul(x, y, z),
            }
        }
        (true, true) => {
            let y = slice(b, n, "operand2")?.to_vec();
            let z = slice_mut(r, n, "result")?;
            match op {
                Bin::Add => ops.add_assign(z, &y),
                Bin::Sub => z.fill(0),
                Bin::Mul => ops.mul_assign(z, &y),
            }
        }
        (true, false) => {
            let y = slice(b, n, "operand2")?;
            let z = slice_mut(r, n, "result")?;
            match op {
                Bin::Add => ops.add_assign(z, y),
                Bin::Sub => ops.sub_assign(z, y),
                Bin::Mul => ops.mul_assign(z, y),
            }
        }
        (false, true) => {
            let x = slice(a, n, "operand1")?;
            let z = slice_mut(r, n, "result")?;
            match op {
                Bin::Add => ops.add_assign(z, x),
                Bin::Mul => ops.mul_assign(z, x),
                // z = x − z = −(z − x).
                Bin::Sub => {
                    ops.sub_assign(z, x);
                    ops.neg_assign(z);
                }
            }
        }
    }
    Ok(())
}

fn add_sub(result: *mut u64, a: *const u64, b: *const u64, n: u64, q: u64, op: Bin) -> CkksStatus {
    guard(|| {
        if n == 0 {
            return Ok(());
        }
        check_modulus(q, 1 << 63)?;
        let n = n as usize;
        let ins = [(a, "operand1"), (b, "operand2")];
        check_pointers(result, &ins, n)?;
        for (p, what) in ins {
            check_below(slice(p, n, what)?, q, what)?;
        }
        if let Some(ops) = fast(q) {
            return binary_fast(&ops, op, a, b, result, n);
        }
        let mut keep = Vec::new();
        let io = io(result, &ins, n, &mut keep)?;
        match op {
            Bin::Add => elementwise2(io, |x, y| {
                let s = x + y;
                if s >= q { s - q } else { s }
            }),
            _ => elementwise2(io, |x, y| if x >= y { x - y } else { x + (q - y) }),
        }
        Ok(())
    })
}

/// `result[i] = (operand1[i] + operand2[i]) mod modulus` (HEXL `EltwiseAddMod`, vector–vector):
/// 2 ≤ modulus < 2^63, inputs in [0, modulus). `result` may be either operand.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_hexl_eltwise_add_mod(
    result: *mut u64,
    operand1: *const u64,
    operand2: *const u64,
    n: u64,
    modulus: u64,
) -> CkksStatus {
    add_sub(result, operand1, operand2, n, modulus, Bin::Add)
}

/// `result[i] = (operand1[i] − operand2[i]) mod modulus` (HEXL `EltwiseSubMod`, vector–vector);
/// as `ckks_hexl_eltwise_add_mod`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_hexl_eltwise_sub_mod(
    result: *mut u64,
    operand1: *const u64,
    operand2: *const u64,
    n: u64,
    modulus: u64,
) -> CkksStatus {
    add_sub(result, operand1, operand2, n, modulus, Bin::Sub)
}

fn scalar_add_sub(
    result: *mut u64,
    a: *const u64,
    s: u64,
    n: u64,
    q: u64,
    add: bool,
) -> CkksStatus {
    guard(|| {
        if n == 0 {
            return Ok(());
        }
        check_modulus(q, 1 << 63)?;
        if s >= q {
            return fail(
                CkksStatus::OutOfRange,
                format!("scalar operand2 = {s} is not below the modulus {q}"),
            );
        }
        let mut keep = Vec::new();
        let io = io(result, &[(a, "operand1")], n as usize, &mut keep)?;
        check_below(io.ins[0], q, "operand1")?;
        if add {
            elementwise1(io, |x| {
                let t = x + s;
                if t >= q { t - q } else { t }
            });
        } else {
            elementwise1(io, |x| if x >= s { x - s } else { x + (q - s) });
        }
        Ok(())
    })
}

/// `result[i] = (operand1[i] + operand2) mod modulus` (HEXL `EltwiseAddMod`, vector–scalar):
/// 2 ≤ modulus < 2^63, operand1 in [0, modulus), operand2 < modulus. `result` may be operand1.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_hexl_eltwise_add_scalar_mod(
    result: *mut u64,
    operand1: *const u64,
    operand2: u64,
    n: u64,
    modulus: u64,
) -> CkksStatus {
    scalar_add_sub(result, operand1, operand2, n, modulus, true)
}

/// `result[i] = (operand1[i] − operand2) mod modulus` (HEXL `EltwiseSubMod`, vector–scalar);
/// as `ckks_hexl_eltwise_add_scalar_mod`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_hexl_eltwise_sub_scalar_mod(
    result: *mut u64,
    operand1: *const u64,
    operand2: u64,
    n: u64,
    modulus: u64,
) -> CkksStatus {
    scalar_add_sub(result, operand1, operand2, n, modulus, false)
}

/// The bound f·q of a lazy range, refusing factors outside `allowed` and ranges past 2^64.
pub(super) fn lazy_bound(q: u64, f: u64, allowed: &[u64]) -> FfiResult<u64> {
    if !allowed.contains(&f) {
        return fail(
            CkksStatus::InvalidArgument,
            format!("input_mod_factor {f} is not one of {allowed:?}"),
        );
    }
    match q.checked_mul(f) {
        Some(b) => Ok(b),
        None if (q as u128) * (f as u128) == 1u128 << 64 => Ok(u64::MAX),
        None => fail(
            CkksStatus::InvalidArgument,
            format!("input_mod_factor {f} × modulus {q} exceeds 2^64"),
        ),
    }
}

/// `result[i] = (operand1[i] · operand2[i]) mod modulus` (HEXL `EltwiseMultMod`): modulus ≥ 2,
/// input_mod_factor ∈ {1, 2, 4} with input_mod_factor·modulus ≤ 2^64; output in [0, modulus).
/// HEXL assumes inputs in [0, input_mod_factor·modulus); any word is accepted here and reduced
/// exactly (SEAL relies on that). `result` may be either operand.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_hexl_eltwise_mult_mod(
    result: *mut u64,
    operand1: *const u64,
    operand2: *const u64,
    n: u64,
    modulus: u64,
    input_mod_factor: u64,
) -> CkksStatus {
    guard(|| {
        if n == 0 {
            return Ok(());
        }
        let q = modulus;
        check_modulus(q, u64::MAX)?;
        lazy_bound(q, input_mod_factor, &[1, 2, 4])?;
        let n = n as usize;
        let ins = [(operand1, "operand1"), (operand2, "operand2")];
        check_pointers(result, &ins, n)?;
        // Any word is accepted (SEAL passes words beyond input_mod_factor·q) and reduced
        // exactly; reduced inputs take the vectorized product directly.
        let mut all_reduced = true;
        for (p, what) in ins {
            all_reduced &= max_of(slice(p, n, what)?) < q;
        }
        let ops = fast(q);
        if let Some(ops) = &ops
            && all_reduced
        {
            return binary_fast(ops, Bin::Mul, operand1, operand2, result, n);
        }
        let mut keep = Vec::new();
        let io = io(result, &ins, n, &mut keep)?;
        if let Some(ops) = &ops {
            // Unreduced inputs: reduce copies first.
            let mut x = io.ins[0].to_vec();
            ops.reduce(&mut x, LazyRange::Any);
            io.out.copy_from_slice(io.ins[1]);
            ops.reduce(io.out, LazyRange::Any);
            ops.mul_assign(io.out, &x);
            return Ok(());
        }
        elementwise2(io, |x, y| mulmod(x, y, q));
        Ok(())
    })
}

/// `result[i] = (arg1[i] · arg2 + arg3[i]) mod modulus`, or `(arg1[i] · arg2) mod modulus` when
/// `arg3` is NULL (HEXL `EltwiseFMAMod`): modulus ≥ 2, input_mod_factor ∈ {1, 2, 4, 8} with
/// input_mod_factor·modulus ≤ 2^64; the scalar arg2 is taken mod modulus. Output in
/// [0, modulus). HEXL assumes arg1 and arg3 in [0, input_mod_factor·modulus); any word is
/// accepted here and reduced exactly (SEAL passes larger words with factor 8 and small moduli).
/// `result` may be arg1 or arg3.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_hexl_eltwise_fma_mod(
    result: *mut u64,
    arg1: *const u64,
    arg2: u64,
    arg3: *const u64,
    n: u64,
    modulus: u64,
    input_mod_factor: u64,
) -> CkksStatus {
    guard(|| {
        if n == 0 {
            return Ok(());
        }
        let q = modulus;
        check_modulus(q, u64::MAX)?;
        lazy_bound(q, input_mod_factor, &[1, 2, 4, 8])?;
        let w = arg2 % q;
        let n = n as usize;
        let mut keep = Vec::new();
        if arg3.is_null() {
            let in_place = std::ptr::eq(arg1, result.cast_const());
            check_pointers(result, &[(arg1, "arg1")], n)?;
            // The vectorized Shoup product takes inputs below 4q (q < 2^62 there).
            if let Some(ops) = fast(q)
                && max_of(slice(arg1, n, "arg1")?) < 4 * q
            {
                if in_place {
                    ops.mul_scalar_assign(slice_mut(result, n, "result")?, w);
                } else {
                    let x = slice(arg1, n, "arg1")?;
                    ops.mul_scalar(x, w, slice_mut(result, n, "result")?);
                }
                return Ok(());
            }
            let io = io(result, &[(arg1, "arg1")], n, &mut keep)?;
            elementwise1(io, |x| mulmod(x, w, q));
        } else {
            let io = io(result, &[(arg1, "arg1"), (arg3, "arg3")], n, &mut keep)?;
            elementwise2(io, |x, c| {
                ((x as u128 * w as u128 + c as u128) % q as u128) as u64
            });
        }
        Ok(())
    })
}
