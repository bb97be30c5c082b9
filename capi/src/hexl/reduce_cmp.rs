//! HEXL's `EltwiseReduceMod`, `EltwiseCmpAdd` and `EltwiseCmpSubMod` (conventions as in
//! `eltwise.rs`: stateless, any modulus HEXL accepts, `result` may be the operand, n = 0 is a
//! no-op).

use super::eltwise::{
    check_below, check_modulus, check_pointers, elementwise1, fast, io, lazy_bound,
};
use crate::{CkksStatus, FfiResult, fail, guard, slice, slice_mut};
use accel::eltwise::LazyRange;

/// HEXL `EltwiseReduceMod`: reduces `operand` into `result`. input_mod_factor: `modulus` (any
/// 64-bit input; HEXL documents "< modulus²" and reduces any word with Barrett), or 1, 2, 4
/// (input in [0, input_mod_factor·modulus)); output_mod_factor 1 (output in [0, modulus)) or
/// 2 (output in [0, 2·modulus): from factor 4 the output is x − 2·modulus for x ≥ 2·modulus,
/// from `modulus` it is fully reduced; an output range that already holds the input copies
/// it). modulus ≥ 2. `result` may be `operand`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_hexl_eltwise_reduce_mod(
    result: *mut u64,
    operand: *const u64,
    n: u64,
    modulus: u64,
    input_mod_factor: u64,
    output_mod_factor: u64,
) -> CkksStatus {
    guard(|| {
        if n == 0 {
            return Ok(());
        }
        let q = modulus;
        check_modulus(q, u64::MAX)?;
        if output_mod_factor != 1 && output_mod_factor != 2 {
            return fail(
                CkksStatus::InvalidArgument,
                format!("output_mod_factor {output_mod_factor} is not 1 or 2"),
            );
        }
        let any = input_mod_factor == q;
        let bound = if any {
            u64::MAX
        } else {
            lazy_bound(q, input_mod_factor, &[1, 2, 4]).map_err(|mut f| {
                f.msg = format!("{} (or the modulus {q})", f.msg);
                f
            })?
        };
        let n = n as usize;
        check_pointers(result, &[(operand, "operand")], n)?;
        check_below(slice(operand, n, "operand")?, bound, "operand")?;
        let from = match input_mod_factor {
            2 if !any => LazyRange::TwoQ,
            4 if !any => LazyRange::FourQ,
            _ => LazyRange::Any,
        };
        // In place onto a vectorized reduction: no copies.
        if std::ptr::eq(operand, result.cast_const())
            && output_mod_factor == 1
            && (any || input_mod_factor > 1)
            && let Some(ops) = fast(q)
        {
            ops.reduce(slice_mut(result, n, "result")?, from);
            return Ok(());
        }
        let mut keep = Vec::new();
        let io = io(result, &[(operand, "operand")], n, &mut keep)?;
        if !any && output_mod_factor >= input_mod_factor {
            io.out.copy_from_slice(io.ins[0]);
            return Ok(());
        }
        if output_mod_factor == 1
            && let Some(ops) = fast(q)
        {
            io.out.copy_from_slice(io.ins[0]);
            ops.reduce(io.out, from);
            return Ok(());
        }
        if output_mod_factor == 2 && input_mod_factor == 4 && !any {
            let two_q = 2 * q;
            elementwise1(io, |x| if x >= two_q { x - two_q } else { x });
        } else {
            elementwise1(io, |x| x % q);
        }
        Ok(())
    })
}

/// HEXL's `CMPINT` comparison `cmp(a, b)`: 0 EQ, 1 LT, 2 LE, 3 FALSE, 4 NE, 5 NLT (≥), 6 NLE
/// (>), 7 TRUE.
fn compare(cmp: u32) -> FfiResult<fn(u64, u64) -> bool> {
    Ok(match cmp {
        0 => |a, b| a == b,
        1 => |a, b| a < b,
        2 => |a, b| a <= b,
        3 => |_, _| false,
        4 => |a, b| a != b,
        5 => |a, b| a >= b,
        6 => |a, b| a > b,
        7 => |_, _| true,
        _ => {
            return fail(
                CkksStatus::InvalidArgument,
                format!("cmp {cmp} is not a CMPINT value (0..=7)"),
            );
        }
    })
}

/// HEXL `EltwiseCmpAdd`: `result[i] = cmp(operand1[i], bound) ? operand1[i] + diff :
/// operand1[i]` (wrapping 64-bit addition; `cmp` a CMPINT value 0..=7). `result` may be
/// operand1.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_hexl_eltwise_cmp_add(
    result: *mut u64,
    operand1: *const u64,
    n: u64,
    cmp: u32,
    bound: u64,
    diff: u64,
) -> CkksStatus {
    guard(|| {
        let f = compare(cmp)?;
        if n == 0 {
            return Ok(());
        }
        let mut keep = Vec::new();
        let io = io(result, &[(operand1, "operand1")], n as usize, &mut keep)?;
        elementwise1(io, |x| if f(x, bound) { x.wrapping_add(diff) } else { x });
        Ok(())
    })
}

/// HEXL `EltwiseCmpSubMod`: `result[i] = cmp(operand1[i], bound) ? (operand1[i] − diff) mod
/// modulus : operand1[i] mod modulus` (any 64-bit input; diff taken mod modulus; modulus ≥ 2).
/// `result` may be operand1.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_hexl_eltwise_cmp_sub_mod(
    result: *mut u64,
    operand1: *const u64,
    n: u64,
    modulus: u64,
    cmp: u32,
    bound: u64,
    diff: u64,
) -> CkksStatus {
    guard(|| {
        let f = compare(cmp)?;
        if n == 0 {
            return Ok(());
        }
        let q = modulus;
        check_modulus(q, u64::MAX)?;
        let d = diff % q;
        let mut keep = Vec::new();
        let io = io(result, &[(operand1, "operand1")], n as usize, &mut keep)?;
        elementwise1(io, |x| {
            let r = x % q;
            if f(x, bound) {
                if r >= d { r - d } else { r + (q - d) }
            } else {
                r
            }
        });
        Ok(())
    })
}
