//! The C functions called as C would call them: results against the Rust library, and every
//! kind of bad input (null pointers, wrong lengths, mismatched and freed handles, non-prime q,
//! wrong roots, out-of-range data, corrupt bytes) → status + message, never a crash.
//!
//! One file per area: `kernels` (NTT plans, element-wise, RNS transforms), `rns` (ModUp,
//! ModDown, key switching on caller limbs), `ckks` (the CKKS pipeline, batches, serialization),
//! `bundle` (key bundles), `status` (the error mapping); this file holds the shared helpers,
//! the handle checks and the panic boundary.

use super::*;
use accel::arith::ntt_primes;
use accel::ntt::NttPlan;
use accel::rns::{Representation, RnsBasis, sampling};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::ffi::CStr;
use std::ptr::{null, null_mut};

fn last() -> String {
    // SAFETY: ckks_last_error returns a valid NUL-terminated string owned by this thread.
    unsafe { CStr::from_ptr(ckks_last_error()) }
        .to_string_lossy()
        .into_owned()
}

#[track_caller]
fn ok(s: CkksStatus) {
    assert_eq!(s, CkksStatus::Ok, "{}", last());
    assert_eq!(last(), "");
}

#[track_caller]
fn err(s: CkksStatus, want: CkksStatus, needle: &str) {
    assert_eq!(s, want, "message: {}", last());
    let msg = last();
    assert!(msg.contains(needle), "{msg:?} does not mention {needle:?}");
}

const N: usize = 64;

/// `ckks_set_input_checks` is process-wide: tests that rely on the range checks, or turn them
/// off, hold this lock.
static CHECKS: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn checks_on() -> std::sync::MutexGuard<'static, ()> {
    CHECKS.lock().unwrap_or_else(|p| p.into_inner())
}

fn prime(bits: u32, i: usize) -> u64 {
    ntt_primes(bits, N, i + 1).unwrap()[i]
}

fn plan(q: u64) -> *mut CkksNttPlan {
    let mut p = null_mut();
    ok(ckks_ntt_plan_create(N, q, &mut p));
    p
}

fn basis(primes: &[u64]) -> *mut CkksRnsBasis {
    let mut b = null_mut();
    ok(ckks_rns_basis_create(
        N,
        primes.as_ptr(),
        primes.len(),
        &mut b,
    ));
    b
}

/// A small insecure context for the CKKS tests.
fn toy_context(log_n: u32) -> *mut CkksContext {
    let (qb, pb) = ([50u32, 40, 40], [50u32]);
    let mut ctx = null_mut();
    ok(ckks_context_create(
        1 << log_n,
        qb.as_ptr(),
        3,
        pb.as_ptr(),
        1,
        3,
        40,
        1,
        &mut ctx,
    ));
    ctx
}

mod bundle;
mod ckks;
mod hexl;
mod hexl_eltwise;
mod kernels;
mod rns;
mod status;

#[test]
fn handles_freed_twice_foreign_or_of_another_type_are_detected() {
    let q = prime(50, 0);
    let p = plan(q);
    let b = basis(&[q]);
    let a = vec![1u64; N];
    let mut out = vec![0u64; N];
    // A basis handle where a plan is expected.
    err(
        ckks_ntt_forward(b.cast(), a.as_ptr(), out.as_mut_ptr(), N, 1, 1),
        CkksStatus::InvalidHandle,
        "CkksRnsBasis handle, a CkksNttPlan was expected",
    );
    err(
        ckks_ntt_plan_free(b.cast()),
        CkksStatus::InvalidHandle,
        "not a CkksNttPlan",
    );
    ok(ckks_ntt_plan_free(p));
    err(
        ckks_ntt_forward(p, a.as_ptr(), out.as_mut_ptr(), N, 1, 1),
        CkksStatus::InvalidHandle,
        "not a live CkksNttPlan",
    );
    err(
        ckks_ntt_plan_free(p),
        CkksStatus::InvalidHandle,
        "double free",
    );
    // Garbage that was never a handle (a real heap address, a small integer).
    let bogus = Box::into_raw(Box::new(0u64));
    err(
        ckks_ntt_forward(bogus.cast(), a.as_ptr(), out.as_mut_ptr(), N, 1, 1),
        CkksStatus::InvalidHandle,
        "never created",
    );
    // SAFETY: `bogus` came from Box::into_raw above and is freed exactly once.
    drop(unsafe { Box::from_raw(bogus) });
    err(
        ckks_ntt_forward(8usize as *const _, a.as_ptr(), out.as_mut_ptr(), N, 1, 1),
        CkksStatus::InvalidHandle,
        "",
    );
    err(
        ckks_ntt_forward(null(), a.as_ptr(), out.as_mut_ptr(), N, 1, 1),
        CkksStatus::NullPointer,
        "plan",
    );
    ok(ckks_ntt_plan_free(null_mut()));
    ok(ckks_rns_basis_free(b));
}

#[test]
fn panics_are_caught_and_errors_are_per_thread() {
    let s = guard(|| panic!("boom {}", 42));
    err(s, CkksStatus::Internal, "boom 42");
    // Another thread sees its own (empty) last error, and its failure does not leak here.
    std::thread::spawn(|| {
        assert_eq!(last(), "");
        let mut p = null_mut();
        assert_eq!(
            ckks_ntt_plan_create(3, 5, &mut p),
            CkksStatus::InvalidArgument
        );
    })
    .join()
    .unwrap();
    assert!(last().contains("boom 42"));
    let mut out = vec![0u64; 4];
    err(
        ckks_ntt_primes(50, N, 5, out.as_mut_ptr(), 4),
        CkksStatus::InvalidLength,
        "out_len",
    );
    err(
        ckks_ntt_primes(70, N, 1, out.as_mut_ptr(), 4),
        CkksStatus::InvalidArgument,
        "bits",
    );
    // Status names are NUL-terminated static strings.
    // SAFETY: ckks_status_name returns a static NUL-terminated string.
    let name = unsafe { CStr::from_ptr(ckks_status_name(CkksStatus::OutOfRange as i32)) };
    assert_eq!(name.to_str().unwrap(), "out of range");
}
