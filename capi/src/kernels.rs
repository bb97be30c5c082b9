//! NTT plans, RNS bases (many limbs at once) and element-wise kernels, in the spirit of Intel
//! HEXL's API: `input_mod_factor` / `output_mod_factor` name the value ranges [0, f·q).

use crate::handle::{get, handle_kind, register, release};
use crate::{
    CkksStatus, FfiResult, check_out, fail, guard, input_checks, partial_overlap, slice, slice_mut,
    write_out,
};
use accel::eltwise::{Eltwise, LazyRange};
use accel::ntt::NttPlan;
use accel::rns::RnsBasis;
use std::ffi::c_char;

pub(crate) struct Plan(pub NttPlan);
pub(crate) struct Basis(pub RnsBasis);

/// A negacyclic NTT plan for one (n, q, ψ).
///
/// Opaque: only used through pointers returned by this library.
pub struct CkksNttPlan {
    _opaque: [u8; 0],
}
handle_kind!(CkksNttPlan => Plan);

/// Releases a `CkksNttPlan` (NULL is a no-op). Using the handle afterwards, or freeing it twice,
/// returns `CKKS_STATUS_INVALID_HANDLE`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_ntt_plan_free(handle: *mut CkksNttPlan) -> CkksStatus {
    guard(|| release::<Plan, CkksNttPlan>(handle, "handle"))
}
/// An RNS basis: n and an ordered list of distinct NTT-friendly primes, with one NTT plan and
/// one set of element-wise kernels per prime. Data over a basis is `limbs × n` words, limb i
/// reduced modulo prime i; any prefix of the basis (a lower level) may be passed.
///
/// Opaque: only used through pointers returned by this library.
pub struct CkksRnsBasis {
    _opaque: [u8; 0],
}
handle_kind!(CkksRnsBasis => Basis);

/// Releases a `CkksRnsBasis` (NULL is a no-op). Using the handle afterwards, or freeing it twice,
/// returns `CKKS_STATUS_INVALID_HANDLE`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_rns_basis_free(handle: *mut CkksRnsBasis) -> CkksStatus {
    guard(|| release::<Basis, CkksRnsBasis>(handle, "handle"))
}

pub(crate) fn isa_name(isa: accel::Isa) -> *const c_char {
    match isa {
        accel::Isa::Scalar => c"scalar".as_ptr(),
        accel::Isa::Avx2 => c"avx2".as_ptr(),
        accel::Isa::Avx512 => c"avx512".as_ptr(),
        accel::Isa::Avx512Ifma => c"avx512ifma".as_ptr(),
    }
}

/// Fails with `OUT_OF_RANGE` if some word is ≥ bound (when input checks are on).
pub(crate) fn check_range(data: &[u64], q: u64, factor: u64, what: &str) -> FfiResult<()> {
    if !input_checks() {
        return Ok(());
    }
    let bound = q.saturating_mul(factor);
    if crate::max_word(data) < bound {
        return Ok(());
    }
    if let Some(i) = data.iter().position(|&x| x >= bound) {
        return fail(
            CkksStatus::OutOfRange,
            format!(
                "{what}[{i}] = {} is outside [0, {factor}·q) for q = {q} (data for another modulus?)",
                data[i]
            ),
        );
    }
    Ok(())
}

/// Range-checks every limb of `len` words at `ptr` over `basis` before any output is written,
/// so that a failing call leaves every array untouched.
fn check_all_limbs(
    basis: &RnsBasis,
    ptr: *const u64,
    len: usize,
    factor: u64,
    what: &str,
) -> FfiResult<()> {
    if !input_checks() {
        return Ok(());
    }
    let data = slice(ptr, len, what)?;
    for (i, limb) in data.chunks_exact(basis.n()).enumerate() {
        check_range(limb, basis.modulus(i).value(), factor, what).map_err(|mut f| {
            f.msg = format!("limb {i}: {}", f.msg);
            f
        })?;
    }
    Ok(())
}

/// The detected instruction set, as a static string ("scalar", "avx2", "avx512", "avx512ifma").
#[unsafe(no_mangle)]
pub extern "C" fn ckks_detected_isa(out: *mut *const c_char) -> CkksStatus {
    guard(|| write_out(out, isa_name(accel::Isa::detect()), "out"))
}

/// Writes the `count` largest primes of `bits` bits with q ≡ 1 (mod 2n) to `out`
/// (`out_len` ≥ `count`), largest first.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_ntt_primes(
    bits: u32,
    n: usize,
    count: usize,
    out: *mut u64,
    out_len: usize,
) -> CkksStatus {
    guard(|| {
        if out_len < count {
            return fail(
                CkksStatus::InvalidLength,
                format!("out_len {out_len} < count {count}"),
            );
        }
        let out = slice_mut(out, count, "out")?;
        let primes = accel::arith::ntt_primes(bits, n, count)?;
        out.copy_from_slice(&primes);
        Ok(())
    })
}

// ---- NTT plans ------------------------------------------------------------------------------

/// Creates an NTT plan for ring degree `n` (power of two, 16 ≤ n ≤ 2^20) and prime
/// q ≡ 1 (mod 2n), q < 2^62, on the best instruction set of this CPU, with the library's
/// choice of primitive 2n-th root ψ (see `ckks_ntt_plan_info`).
#[unsafe(no_mangle)]
pub extern "C" fn ckks_ntt_plan_create(n: usize, q: u64, out: *mut *mut CkksNttPlan) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let plan = NttPlan::new(n, q)?;
        write_out(out, register(Plan(plan)), "out")
    })
}

/// Creates an NTT plan on a given primitive 2n-th root of unity `root` (root^n ≡ −1 mod q), e.g.
/// the one another library uses, so that evaluation-form data can be exchanged with it. A root
/// that is not a primitive 2n-th root gives `CKKS_STATUS_INVALID_ARGUMENT`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_ntt_plan_create_with_root(
    n: usize,
    q: u64,
    root: u64,
    out: *mut *mut CkksNttPlan,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let plan = NttPlan::with_root(n, q, root)?;
        write_out(out, register(Plan(plan)), "out")
    })
}

/// Reports a plan's degree, prime, root ψ in use and instruction set (static string). Any
/// out-pointer may be NULL to skip it.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_ntt_plan_info(
    plan: *const CkksNttPlan,
    n: *mut usize,
    q: *mut u64,
    root: *mut u64,
    isa: *mut *const c_char,
) -> CkksStatus {
    guard(|| {
        let p = get::<Plan, _>(plan, "plan")?;
        if !n.is_null() {
            write_out(n, p.0.n(), "n")?;
        }
        if !q.is_null() {
            write_out(q, p.0.modulus(), "q")?;
        }
        if !root.is_null() {
            write_out(root, p.0.psi(), "root")?;
        }
        if !isa.is_null() {
            write_out(isa, isa_name(p.0.isa()), "isa")?;
        }
        Ok(())
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Dir {
    Forward,
    Inverse,
}

/// Validates the factors: forward in {1, 2, 4} → out {1, 4}; inverse in {1, 2} → out {1, 2}.
/// Returns (input bound factor, reduce output).
fn factors(dir: Dir, input: u64, output: u64) -> FfiResult<(u64, bool)> {
    let ok_in = match dir {
        Dir::Forward => matches!(input, 1 | 2 | 4),
        Dir::Inverse => matches!(input, 1 | 2),
    };
    let reduce = match (dir, output) {
        (_, 1) => true,
        (Dir::Forward, 4) | (Dir::Inverse, 2) => false,
        _ => {
            return fail(
                CkksStatus::InvalidArgument,
                format!(
                    "output_mod_factor {output} is not supported ({} accepts 1 or {})",
                    if dir == Dir::Forward {
                        "forward"
                    } else {
                        "inverse"
                    },
                    if dir == Dir::Forward { 4 } else { 2 }
                ),
            );
        }
    };
    if !ok_in {
        return fail(
            CkksStatus::InvalidArgument,
            format!(
                "input_mod_factor {input} is not supported ({} accepts {})",
                if dir == Dir::Forward {
                    "forward"
                } else {
                    "inverse"
                },
                if dir == Dir::Forward {
                    "1, 2 or 4"
                } else {
                    "1 or 2"
                }
            ),
        );
    }
    Ok((input, reduce))
}

/// Runs one transform of `plan` from `input` to `output` (the same pointer: in place);
/// `check`: range-check the input here (multi-limb callers check every limb up front).
#[allow(clippy::too_many_arguments)]
fn transform(
    plan: &NttPlan,
    dir: Dir,
    input: *const u64,
    output: *mut u64,
    len: usize,
    factor: u64,
    reduce: bool,
    check: bool,
) -> FfiResult<()> {
    if partial_overlap(input, output.cast_const(), len) {
        return fail(
            CkksStatus::InvalidArgument,
            "input and output overlap without being the same array",
        );
    }
    let q = plan.modulus();
    if std::ptr::eq(input, output.cast_const()) {
        let data = slice_mut(output, len, "data")?;
        if check {
            check_range(data, q, factor, "input")?;
        }
        match (dir, reduce) {
            (Dir::Forward, true) => plan.forward(data),
            (Dir::Forward, false) => plan.forward_lazy(data),
            (Dir::Inverse, true) => plan.inverse(data),
            (Dir::Inverse, false) => plan.inverse_lazy(data),
        }
    } else {
        let src = slice(input, len, "input")?;
        if check {
            check_range(src, q, factor, "input")?;
        }
        let dst = slice_mut(output, len, "output")?;
        match (dir, reduce) {
            (Dir::Forward, true) => plan.forward_into(src, dst),
            (Dir::Forward, false) => plan.forward_lazy_into(src, dst),
            (Dir::Inverse, true) => plan.inverse_into(src, dst),
            (Dir::Inverse, false) => plan.inverse_lazy_into(src, dst),
        }
    }
    Ok(())
}

fn ntt_call(
    plan: *const CkksNttPlan,
    dir: Dir,
    input: *const u64,
    output: *mut u64,
    len: usize,
    input_mod_factor: u64,
    output_mod_factor: u64,
) -> CkksStatus {
    guard(|| {
        let p = get::<Plan, _>(plan, "plan")?;
        let (factor, reduce) = factors(dir, input_mod_factor, output_mod_factor)?;
        if len != p.0.n() {
            return fail(
                CkksStatus::InvalidLength,
                format!("len {len} != plan degree n = {}", p.0.n()),
            );
        }
        if input.is_null() || output.is_null() {
            return fail(CkksStatus::NullPointer, "input or output is NULL");
        }
        transform(&p.0, dir, input, output, len, factor, reduce, true)
    })
}

/// Forward negacyclic NTT of `len` = n words: `input` in natural order, values in
/// [0, input_mod_factor·q) with input_mod_factor ∈ {1, 2, 4}; `output` in bit-reversed order,
/// in [0, q) (output_mod_factor 1) or the lazy [0, 4q) (output_mod_factor 4).
/// `input == output` transforms in place.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_ntt_forward(
    plan: *const CkksNttPlan,
    input: *const u64,
    output: *mut u64,
    len: usize,
    input_mod_factor: u64,
    output_mod_factor: u64,
) -> CkksStatus {
    ntt_call(
        plan,
        Dir::Forward,
        input,
        output,
        len,
        input_mod_factor,
        output_mod_factor,
    )
}

/// Inverse negacyclic NTT (1/n folded in) of `len` = n words: `input` in bit-reversed order, in
/// [0, input_mod_factor·q) with input_mod_factor ∈ {1, 2}; `output` in natural order, in [0, q)
/// (output_mod_factor 1) or the lazy [0, 2q) (output_mod_factor 2). `input == output`: in place.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_ntt_inverse(
    plan: *const CkksNttPlan,
    input: *const u64,
    output: *mut u64,
    len: usize,
    input_mod_factor: u64,
    output_mod_factor: u64,
) -> CkksStatus {
    ntt_call(
        plan,
        Dir::Inverse,
        input,
        output,
        len,
        input_mod_factor,
        output_mod_factor,
    )
}

// ---- RNS bases: many limbs at once -----------------------------------------------------------

/// Creates an RNS basis of degree `n` over `count` distinct primes (each ≡ 1 mod 2n, < 2^62).
#[unsafe(no_mangle)]
pub extern "C" fn ckks_rns_basis_create(
    n: usize,
    primes: *const u64,
    count: usize,
    out: *mut *mut CkksRnsBasis,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        if count == 0 {
            return fail(
                CkksStatus::InvalidLength,
                "a basis needs at least one prime",
            );
        }
        let primes = slice(primes, count, "primes")?;
        let basis = RnsBasis::new(n, primes)?;
        write_out(out, register(Basis(basis)), "out")
    })
}

/// Reports a basis' degree and number of primes (either pointer may be NULL).
#[unsafe(no_mangle)]
pub extern "C" fn ckks_rns_basis_info(
    basis: *const CkksRnsBasis,
    n: *mut usize,
    count: *mut usize,
) -> CkksStatus {
    guard(|| {
        let b = get::<Basis, _>(basis, "basis")?;
        if !n.is_null() {
            write_out(n, b.0.n(), "n")?;
        }
        if !count.is_null() {
            write_out(count, b.0.len(), "count")?;
        }
        Ok(())
    })
}

/// Number of limbs in `len` words over `basis`: a multiple of n, between 1 and the basis size.
pub(crate) fn limbs_of(basis: &RnsBasis, len: usize) -> FfiResult<usize> {
    let n = basis.n();
    if len == 0 || !len.is_multiple_of(n) || len / n > basis.len() {
        return fail(
            CkksStatus::InvalidLength,
            format!(
                "len {len} is not limbs × n with n = {n} and 1 ≤ limbs ≤ {}",
                basis.len()
            ),
        );
    }
    Ok(len / n)
}

fn rns_ntt_call(
    basis: *const CkksRnsBasis,
    dir: Dir,
    input: *const u64,
    output: *mut u64,
    len: usize,
    input_mod_factor: u64,
    output_mod_factor: u64,
) -> CkksStatus {
    guard(|| {
        let b = get::<Basis, _>(basis, "basis")?;
        let (factor, reduce) = factors(dir, input_mod_factor, output_mod_factor)?;
        let limbs = limbs_of(&b.0, len)?;
        if input.is_null() || output.is_null() {
            return fail(CkksStatus::NullPointer, "input or output is NULL");
        }
        if partial_overlap(input, output.cast_const(), len) {
            return fail(
                CkksStatus::InvalidArgument,
                "input and output overlap without being the same array",
            );
        }
        check_all_limbs(&b.0, input, len, factor, "input")?;
        let n = b.0.n();
        for i in 0..limbs {
            // Pointer offsets within the caller's arrays (len = limbs·n words, checked above).
            let (src, dst) = (input.wrapping_add(i * n), output.wrapping_add(i * n));
            transform(b.0.plan(i), dir, src, dst, n, factor, reduce, false)?;
        }
        Ok(())
    })
}

/// Forward NTT of every limb of `len` = limbs × n words (limb i modulo prime i of the basis);
/// ranges and in-place rule as `ckks_ntt_forward`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_rns_ntt_forward(
    basis: *const CkksRnsBasis,
    input: *const u64,
    output: *mut u64,
    len: usize,
    input_mod_factor: u64,
    output_mod_factor: u64,
) -> CkksStatus {
    rns_ntt_call(
        basis,
        Dir::Forward,
        input,
        output,
        len,
        input_mod_factor,
        output_mod_factor,
    )
}

/// Inverse NTT of every limb; ranges and in-place rule as `ckks_ntt_inverse`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_rns_ntt_inverse(
    basis: *const CkksRnsBasis,
    input: *const u64,
    output: *mut u64,
    len: usize,
    input_mod_factor: u64,
    output_mod_factor: u64,
) -> CkksStatus {
    rns_ntt_call(
        basis,
        Dir::Inverse,
        input,
        output,
        len,
        input_mod_factor,
        output_mod_factor,
    )
}

// ---- element-wise -----------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
}

/// `out = a op b` limb by limb. `out` may be `a` or `b` (in place); inputs in [0, q).
fn binary(
    basis: *const CkksRnsBasis,
    op: Op,
    a: *const u64,
    b: *const u64,
    out: *mut u64,
    len: usize,
) -> CkksStatus {
    guard(|| {
        let bs = get::<Basis, _>(basis, "basis")?;
        let limbs = limbs_of(&bs.0, len)?;
        let n = bs.0.n();
        let o = out.cast_const();
        if partial_overlap(a, o, len) || partial_overlap(b, o, len) {
            return fail(
                CkksStatus::InvalidArgument,
                "out overlaps an input without being the same array",
            );
        }
        if a.is_null() || b.is_null() || out.is_null() {
            return fail(CkksStatus::NullPointer, "a, b or out is NULL");
        }
        check_all_limbs(&bs.0, a, len, 1, "a")?;
        check_all_limbs(&bs.0, b, len, 1, "b")?;
        let (a_is_out, b_is_out) = (std::ptr::eq(a, o), std::ptr::eq(b, o));
        for i in 0..limbs {
            let ops: &Eltwise = bs.0.ops(i);
            let (ai, bi, oi) = (
                a.wrapping_add(i * n),
                b.wrapping_add(i * n),
                out.wrapping_add(i * n),
            );
            match (a_is_out, b_is_out) {
                (false, false) => {
                    let (x, y) = (slice(ai, n, "a")?, slice(bi, n, "b")?);
                    let z = slice_mut(oi, n, "out")?;
                    match op {
                        Op::Add => ops.add(x, y, z),
                        Op::Sub => ops.sub(x, y, z),
                        Op::Mul => ops.mul(x, y, z),
                    }
                }
                (true, true) => {
                    let z = slice_mut(oi, n, "out")?;
                    match op {
                        Op::Add => {
                            let y = z.to_vec();
                            ops.add_assign(z, &y)
                        }
                        Op::Sub => z.fill(0),
                        Op::Mul => {
                            let y = z.to_vec();
                            ops.mul_assign(z, &y)
                        }
                    }
                }
                (true, false) => {
                    let y = slice(bi, n, "b")?;
                    let z = slice_mut(oi, n, "out")?;
                    match op {
                        Op::Add => ops.add_assign(z, y),
                        Op::Sub => ops.sub_assign(z, y),
                        Op::Mul => ops.mul_assign(z, y),
                    }
                }
                (false, true) => {
                    let x = slice(ai, n, "a")?;
                    let z = slice_mut(oi, n, "out")?;
                    match op {
                        Op::Add => ops.add_assign(z, x),
                        Op::Mul => ops.mul_assign(z, x),
                        // z = x − z = −(z − x).
                        Op::Sub => {
                            ops.sub_assign(z, x);
                            ops.neg_assign(z);
                        }
                    }
                }
            }
        }
        Ok(())
    })
}

/// `out = a + b mod q_i` over `len` = limbs × n words; inputs in [0, q), `out` may be `a` or `b`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_eltwise_add(
    basis: *const CkksRnsBasis,
    a: *const u64,
    b: *const u64,
    out: *mut u64,
    len: usize,
) -> CkksStatus {
    binary(basis, Op::Add, a, b, out, len)
}

/// `out = a − b mod q_i`; as `ckks_eltwise_add`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_eltwise_sub(
    basis: *const CkksRnsBasis,
    a: *const u64,
    b: *const u64,
    out: *mut u64,
    len: usize,
) -> CkksStatus {
    binary(basis, Op::Sub, a, b, out, len)
}

/// `out = a · b mod q_i`; as `ckks_eltwise_add`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_eltwise_mul(
    basis: *const CkksRnsBasis,
    a: *const u64,
    b: *const u64,
    out: *mut u64,
    len: usize,
) -> CkksStatus {
    binary(basis, Op::Mul, a, b, out, len)
}

/// `out = a · b + c mod q_i` over `len` = limbs × n words; inputs in [0, q). `out` may be `c`
/// (accumulate in place) but must not overlap `a` or `b`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_eltwise_mul_add(
    basis: *const CkksRnsBasis,
    a: *const u64,
    b: *const u64,
    c: *const u64,
    out: *mut u64,
    len: usize,
) -> CkksStatus {
    guard(|| {
        let bs = get::<Basis, _>(basis, "basis")?;
        let limbs = limbs_of(&bs.0, len)?;
        let n = bs.0.n();
        let o = out.cast_const();
        if a.is_null() || b.is_null() || c.is_null() || out.is_null() {
            return fail(CkksStatus::NullPointer, "a, b, c or out is NULL");
        }
        if partial_overlap(c, o, len)
            || (a as usize).abs_diff(o as usize) < len * 8
            || (b as usize).abs_diff(o as usize) < len * 8
        {
            return fail(
                CkksStatus::InvalidArgument,
                "out overlaps a or b, or partially overlaps c",
            );
        }
        let in_place = std::ptr::eq(c, o);
        for (ptr, what) in [(a, "a"), (b, "b"), (c, "c")] {
            check_all_limbs(&bs.0, ptr, len, 1, what)?;
        }
        for i in 0..limbs {
            let ops = bs.0.ops(i);
            let x = slice(a.wrapping_add(i * n), n, "a")?;
            let y = slice(b.wrapping_add(i * n), n, "b")?;
            if in_place {
                let z = slice_mut(out.wrapping_add(i * n), n, "out")?;
                ops.mul_add_assign(z, x, y);
            } else {
                let w = slice(c.wrapping_add(i * n), n, "c")?;
                let z = slice_mut(out.wrapping_add(i * n), n, "out")?;
                ops.mul_add(x, y, w, z);
            }
        }
        Ok(())
    })
}

/// `out = a · scalars[i] mod q_i` (one scalar per limb, `scalars_len` ≥ limbs, each < q_i);
/// `a` in [0, 4q), `out` may be `a`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_eltwise_mul_scalar(
    basis: *const CkksRnsBasis,
    a: *const u64,
    scalars: *const u64,
    scalars_len: usize,
    out: *mut u64,
    len: usize,
) -> CkksStatus {
    guard(|| {
        let bs = get::<Basis, _>(basis, "basis")?;
        let limbs = limbs_of(&bs.0, len)?;
        let n = bs.0.n();
        if scalars_len < limbs {
            return fail(
                CkksStatus::InvalidLength,
                format!("scalars_len {scalars_len} < {limbs} limbs"),
            );
        }
        let w = slice(scalars, limbs, "scalars")?;
        let o = out.cast_const();
        if partial_overlap(a, o, len) {
            return fail(
                CkksStatus::InvalidArgument,
                "out overlaps a without being the same array",
            );
        }
        if a.is_null() || out.is_null() {
            return fail(CkksStatus::NullPointer, "a or out is NULL");
        }
        for (i, &wi) in w.iter().enumerate() {
            let q = bs.0.modulus(i).value();
            if wi >= q {
                return fail(
                    CkksStatus::OutOfRange,
                    format!("scalars[{i}] = {wi} is not below q = {q}"),
                );
            }
        }
        check_all_limbs(&bs.0, a, len, 4, "a")?;
        for (i, &wi) in w.iter().enumerate() {
            let ops = bs.0.ops(i);
            if std::ptr::eq(a, o) {
                let z = slice_mut(out.wrapping_add(i * n), n, "out")?;
                ops.mul_scalar_assign(z, wi);
            } else {
                let x = slice(a.wrapping_add(i * n), n, "a")?;
                let z = slice_mut(out.wrapping_add(i * n), n, "out")?;
                ops.mul_scalar(x, wi, z);
            }
        }
        Ok(())
    })
}

/// Reduces `data` (`len` = limbs × n words) in place to [0, q_i) from [0, input_mod_factor·q)
/// with input_mod_factor 2 or 4, or from any 64-bit value with input_mod_factor 0.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_eltwise_reduce(
    basis: *const CkksRnsBasis,
    data: *mut u64,
    len: usize,
    input_mod_factor: u64,
) -> CkksStatus {
    guard(|| {
        let bs = get::<Basis, _>(basis, "basis")?;
        let limbs = limbs_of(&bs.0, len)?;
        let n = bs.0.n();
        let from = match input_mod_factor {
            0 => LazyRange::Any,
            2 => LazyRange::TwoQ,
            4 => LazyRange::FourQ,
            f => {
                return fail(
                    CkksStatus::InvalidArgument,
                    format!("input_mod_factor {f} is not 0 (any), 2 or 4"),
                );
            }
        };
        if input_mod_factor != 0 {
            check_all_limbs(&bs.0, data, len, input_mod_factor, "data")?;
        }
        let all = slice_mut(data, len, "data")?;
        for (i, limb) in all.chunks_exact_mut(n).take(limbs).enumerate() {
            bs.0.ops(i).reduce(limb, from);
        }
        Ok(())
    })
}
