//! The C functions called as C would call them: results against the Rust library, and every
//! kind of bad input (null pointers, wrong lengths, mismatched and freed handles, non-prime q,
//! wrong roots, out-of-range data, corrupt bytes) → status + message, never a crash.

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

#[test]
fn ntt_matches_the_rust_plan_in_and_out_of_place_full_and_lazy() {
    let _checks = checks_on();
    let q = prime(50, 0);
    let p = plan(q);
    let rust = NttPlan::new(N, q).unwrap();
    let a: Vec<u64> = (0..N as u64).map(|i| (i * 7919 + 3) % q).collect();
    let mut want = a.clone();
    rust.forward(&mut want);
    let mut out = vec![0; N];
    ok(ckks_ntt_forward(p, a.as_ptr(), out.as_mut_ptr(), N, 1, 1));
    assert_eq!(out, want);
    let mut inplace = a.clone();
    ok(ckks_ntt_forward(
        p,
        inplace.as_ptr(),
        inplace.as_mut_ptr(),
        N,
        1,
        1,
    ));
    assert_eq!(inplace, want);
    // Lazy forward: [0, 4q), congruent to the full one.
    let mut lazy = vec![0; N];
    ok(ckks_ntt_forward(p, a.as_ptr(), lazy.as_mut_ptr(), N, 1, 4));
    assert!(
        lazy.iter()
            .zip(&want)
            .all(|(&l, &w)| l < 4 * q && l % q == w)
    );
    // Inverse back, lazy [0, 2q) then full.
    let mut back = vec![0; N];
    ok(ckks_ntt_inverse(
        p,
        want.as_ptr(),
        back.as_mut_ptr(),
        N,
        1,
        2,
    ));
    assert!(back.iter().zip(&a).all(|(&l, &x)| l < 2 * q && l % q == x));
    // Full inverse from inputs in [0, 2q) (the forward result plus q), in place.
    let mut shifted: Vec<u64> = want.iter().map(|&w| w + q).collect();
    ok(ckks_ntt_inverse(
        p,
        shifted.as_ptr(),
        shifted.as_mut_ptr(),
        N,
        2,
        1,
    ));
    assert_eq!(shifted, a);
    ok(ckks_ntt_plan_free(p));
}

#[test]
fn ntt_with_root_reports_it_and_refuses_wrong_roots() {
    let q = prime(50, 0);
    let p = plan(q);
    let (mut n, mut qq, mut root, mut isa) = (0usize, 0u64, 0u64, null());
    ok(ckks_ntt_plan_info(p, &mut n, &mut qq, &mut root, &mut isa));
    assert_eq!((n, qq), (N, q));
    assert!(!isa.is_null());
    let m = accel::arith::Modulus::new(q).unwrap();
    let mut p3 = null_mut();
    ok(ckks_ntt_plan_create_with_root(
        N,
        q,
        m.pow_mod(root, 3),
        &mut p3,
    ));
    let mut r3 = 0;
    ok(ckks_ntt_plan_info(
        p3,
        null_mut(),
        null_mut(),
        &mut r3,
        null_mut(),
    ));
    assert_eq!(r3, m.pow_mod(root, 3));
    for bad in [m.pow_mod(root, 2), 1, q - 1, q + root] {
        let mut x = null_mut();
        err(
            ckks_ntt_plan_create_with_root(N, q, bad, &mut x),
            CkksStatus::InvalidArgument,
            "primitive",
        );
        assert!(x.is_null(), "out must stay untouched on error");
    }
    ok(ckks_ntt_plan_free(p));
    ok(ckks_ntt_plan_free(p3));
}

#[test]
fn bad_plan_parameters() {
    let mut p = null_mut();
    let q = prime(50, 0);
    err(
        ckks_ntt_plan_create(N, q + 2, &mut p),
        CkksStatus::InvalidArgument,
        "prime",
    );
    err(
        ckks_ntt_plan_create(N, 15, &mut p),
        CkksStatus::InvalidArgument,
        "",
    );
    err(
        ckks_ntt_plan_create(100, q, &mut p),
        CkksStatus::InvalidArgument,
        "power of two",
    );
    err(
        ckks_ntt_plan_create(N, 1 << 62, &mut p),
        CkksStatus::InvalidArgument,
        "",
    );
    // 97 is prime but 97 ≢ 1 mod 128.
    err(
        ckks_ntt_plan_create(N, 97, &mut p),
        CkksStatus::InvalidArgument,
        "1 mod 2n",
    );
    assert!(p.is_null());
    err(
        ckks_ntt_plan_create(N, q, null_mut()),
        CkksStatus::NullPointer,
        "out",
    );
    let dup = [q, q];
    let mut b = null_mut();
    err(
        ckks_rns_basis_create(N, dup.as_ptr(), 2, &mut b),
        CkksStatus::InvalidArgument,
        "more than once",
    );
    err(
        ckks_rns_basis_create(N, null(), 2, &mut b),
        CkksStatus::NullPointer,
        "primes",
    );
    err(
        ckks_rns_basis_create(N, dup.as_ptr(), 0, &mut b),
        CkksStatus::InvalidLength,
        "",
    );
}

#[test]
fn ntt_bad_calls() {
    let _checks = checks_on();
    let (q, q2) = (prime(50, 0), prime(50, 1));
    let p = plan(q);
    let a = vec![1u64; N];
    let mut out = vec![0u64; N];
    err(
        ckks_ntt_forward(p, null(), out.as_mut_ptr(), N, 1, 1),
        CkksStatus::NullPointer,
        "NULL",
    );
    err(
        ckks_ntt_forward(p, a.as_ptr(), null_mut(), N, 1, 1),
        CkksStatus::NullPointer,
        "NULL",
    );
    err(
        ckks_ntt_forward(p, a.as_ptr(), out.as_mut_ptr(), N - 1, 1, 1),
        CkksStatus::InvalidLength,
        "len",
    );
    err(
        ckks_ntt_forward(p, a.as_ptr(), out.as_mut_ptr(), N, 3, 1),
        CkksStatus::InvalidArgument,
        "input_mod_factor",
    );
    err(
        ckks_ntt_forward(p, a.as_ptr(), out.as_mut_ptr(), N, 1, 2),
        CkksStatus::InvalidArgument,
        "output_mod_factor",
    );
    err(
        ckks_ntt_inverse(p, a.as_ptr(), out.as_mut_ptr(), N, 4, 1),
        CkksStatus::InvalidArgument,
        "input_mod_factor",
    );
    // Partial overlap of input and output.
    let mut buf = vec![0u64; 2 * N];
    err(
        ckks_ntt_forward(p, buf.as_ptr(), buf[1..].as_mut_ptr(), N, 1, 1),
        CkksStatus::InvalidArgument,
        "overlap",
    );
    // A plan for q used with data for q' > q: out of range, nothing written.
    let big = q.max(q2);
    let small_plan = plan(q.min(q2));
    let data: Vec<u64> = (0..N as u64).map(|i| big - 1 - i).collect();
    out.fill(7);
    err(
        ckks_ntt_forward(small_plan, data.as_ptr(), out.as_mut_ptr(), N, 1, 1),
        CkksStatus::OutOfRange,
        "another modulus",
    );
    assert!(out.iter().all(|&x| x == 7));
    // The check can be turned off (trusted pipelines); lengths are still checked.
    ok(ckks_set_input_checks(0));
    ok(ckks_ntt_forward(p, a.as_ptr(), out.as_mut_ptr(), N, 4, 1));
    err(
        ckks_ntt_forward(p, a.as_ptr(), out.as_mut_ptr(), 0, 1, 1),
        CkksStatus::InvalidLength,
        "len",
    );
    ok(ckks_set_input_checks(1));
    ok(ckks_ntt_plan_free(p));
    ok(ckks_ntt_plan_free(small_plan));
}

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
fn eltwise_over_limbs_matches_rust_and_handles_aliasing() {
    let _checks = checks_on();
    let primes = [prime(40, 0), prime(40, 1)];
    let b = basis(&primes);
    let rb = RnsBasis::new(N, &primes).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let x = sampling::uniform(&rb, Representation::Evaluation, &mut rng);
    let y = sampling::uniform(&rb, Representation::Evaluation, &mut rng);
    let z = sampling::uniform(&rb, Representation::Evaluation, &mut rng);
    let (a, bb, c) = (x.as_words(), y.as_words(), z.as_words());
    let len = a.len();
    let reference = |f: &dyn Fn(usize, u64, u64, u64, u64) -> u64| -> Vec<u64> {
        (0..len)
            .map(|i| f(i, primes[i / N], a[i], bb[i], c[i]))
            .collect()
    };
    let mm = |q: u64, u: u64, v: u64| ((u as u128 * v as u128) % q as u128) as u64;
    let mut out = vec![0u64; len];
    ok(ckks_eltwise_add(
        b,
        a.as_ptr(),
        bb.as_ptr(),
        out.as_mut_ptr(),
        len,
    ));
    assert_eq!(out, reference(&|_, q, u, v, _| (u + v) % q));
    ok(ckks_eltwise_sub(
        b,
        a.as_ptr(),
        bb.as_ptr(),
        out.as_mut_ptr(),
        len,
    ));
    let sub = reference(&|_, q, u, v, _| (u + q - v) % q);
    assert_eq!(out, sub);
    ok(ckks_eltwise_mul(
        b,
        a.as_ptr(),
        bb.as_ptr(),
        out.as_mut_ptr(),
        len,
    ));
    assert_eq!(out, reference(&|_, q, u, v, _| mm(q, u, v)));
    ok(ckks_eltwise_mul_add(
        b,
        a.as_ptr(),
        bb.as_ptr(),
        c.as_ptr(),
        out.as_mut_ptr(),
        len,
    ));
    let fma = reference(&|_, q, u, v, w| (mm(q, u, v) + w) % q);
    assert_eq!(out, fma);
    // In place: out == c accumulates; out == b for a subtraction.
    let mut acc = c.to_vec();
    ok(ckks_eltwise_mul_add(
        b,
        a.as_ptr(),
        bb.as_ptr(),
        acc.as_ptr(),
        acc.as_mut_ptr(),
        len,
    ));
    assert_eq!(acc, fma);
    let mut yb = bb.to_vec();
    ok(ckks_eltwise_sub(
        b,
        a.as_ptr(),
        yb.as_ptr(),
        yb.as_mut_ptr(),
        len,
    ));
    assert_eq!(yb, sub);
    let scalars = [3u64, 5];
    ok(ckks_eltwise_mul_scalar(
        b,
        a.as_ptr(),
        scalars.as_ptr(),
        2,
        out.as_mut_ptr(),
        len,
    ));
    assert_eq!(out, reference(&|i, q, u, _, _| mm(q, u, scalars[i / N])));
    // Reduce from [0, 4q) and from any u64.
    let mut lazy: Vec<u64> = a
        .iter()
        .enumerate()
        .map(|(i, &u)| u + 3 * primes[i / N])
        .collect();
    ok(ckks_eltwise_reduce(b, lazy.as_mut_ptr(), len, 4));
    assert_eq!(lazy, a);
    let mut any = vec![u64::MAX; len];
    ok(ckks_eltwise_reduce(b, any.as_mut_ptr(), len, 0));
    assert!(
        any.iter()
            .enumerate()
            .all(|(i, &v)| v == u64::MAX % primes[i / N])
    );
    // One limb only (a prefix of the basis) is fine.
    ok(ckks_eltwise_add(
        b,
        a.as_ptr(),
        bb.as_ptr(),
        out.as_mut_ptr(),
        N,
    ));

    // Bad input.
    err(
        ckks_eltwise_add(b, a.as_ptr(), bb.as_ptr(), out.as_mut_ptr(), len + N),
        CkksStatus::InvalidLength,
        "limbs",
    );
    err(
        ckks_eltwise_add(b, a.as_ptr(), bb.as_ptr(), out.as_mut_ptr(), N + 1),
        CkksStatus::InvalidLength,
        "limbs",
    );
    err(
        ckks_eltwise_mul(b, a.as_ptr(), null(), out.as_mut_ptr(), len),
        CkksStatus::NullPointer,
        "NULL",
    );
    err(
        ckks_eltwise_mul_scalar(b, a.as_ptr(), scalars.as_ptr(), 1, out.as_mut_ptr(), len),
        CkksStatus::InvalidLength,
        "scalars_len",
    );
    let bad_scalar = [primes[0], 1];
    err(
        ckks_eltwise_mul_scalar(b, a.as_ptr(), bad_scalar.as_ptr(), 2, out.as_mut_ptr(), len),
        CkksStatus::OutOfRange,
        "scalars[0]",
    );
    err(
        ckks_eltwise_reduce(b, out.as_mut_ptr(), len, 3),
        CkksStatus::InvalidArgument,
        "input_mod_factor",
    );
    let mut wrong = a.to_vec();
    wrong[N + 5] = primes[1];
    err(
        ckks_eltwise_add(b, wrong.as_ptr(), bb.as_ptr(), out.as_mut_ptr(), len),
        CkksStatus::OutOfRange,
        "a[5]",
    );
    let mut buf = vec![0u64; len + 1];
    err(
        ckks_eltwise_add(b, buf.as_ptr(), bb.as_ptr(), buf[1..].as_mut_ptr(), len),
        CkksStatus::InvalidArgument,
        "overlap",
    );
    err(
        ckks_eltwise_mul_add(
            b,
            out.as_ptr(),
            bb.as_ptr(),
            c.as_ptr(),
            out.as_mut_ptr(),
            len,
        ),
        CkksStatus::InvalidArgument,
        "overlap",
    );
    ok(ckks_rns_basis_free(b));
}

#[test]
fn rns_ntt_many_limbs_matches_per_limb_plans() {
    let _checks = checks_on();
    let primes = [prime(50, 0), prime(50, 1), prime(50, 2)];
    let b = basis(&primes);
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let rb = RnsBasis::new(N, &primes).unwrap();
    let x = sampling::uniform(&rb, Representation::Coefficient, &mut rng);
    let mut want = x.clone();
    want.ntt(&rb).unwrap();
    let mut out = vec![0u64; 3 * N];
    ok(ckks_rns_ntt_forward(
        b,
        x.as_words().as_ptr(),
        out.as_mut_ptr(),
        3 * N,
        1,
        1,
    ));
    assert_eq!(out, want.as_words());
    ok(ckks_rns_ntt_inverse(
        b,
        out.as_ptr(),
        out.as_mut_ptr(),
        3 * N,
        1,
        1,
    ));
    assert_eq!(out, x.as_words());
    let mut bad = out.clone();
    bad[2 * N] = primes[2] * 4;
    err(
        ckks_rns_ntt_forward(b, bad.as_ptr(), bad.as_mut_ptr(), 3 * N, 4, 1),
        CkksStatus::OutOfRange,
        "limb 2",
    );
    ok(ckks_rns_basis_free(b));
}

#[test]
fn modup_moddown_and_key_switch_on_caller_limbs() {
    let _checks = checks_on();
    let q = ntt_primes(40, N, 3).unwrap();
    let p = ntt_primes(50, N, 1).unwrap();
    let qp: Vec<u64> = q.iter().chain(&p).copied().collect();
    let ext = basis(&qp);
    let qb = basis(&q);
    let pb = basis(&p);
    let rq = RnsBasis::new(N, &q).unwrap();
    let rqp = RnsBasis::new(N, &qp).unwrap();

    // ModUp of a small signed polynomial given on limbs 0..2: exact on every other limb.
    let coeffs: Vec<i64> = (0..N as i64).map(|i| (i % 17) - 8).collect();
    let small = sampling::from_signed(&rqp, &coeffs);
    let mut up = null_mut();
    ok(ckks_modup_create(ext, 0, 2, &mut up));
    let mut out = vec![0u64; 4 * N];
    ok(ckks_modup_apply(
        up,
        small.as_words()[..2 * N].as_ptr(),
        2 * N,
        out.as_mut_ptr(),
        4 * N,
    ));
    // Fast base conversion is exact up to a multiple of the digit modulus (|e| < #digit limbs):
    // here check the digit limbs are copied and the result is congruent to x + e·Q_digit.
    assert_eq!(&out[..2 * N], &small.as_words()[..2 * N]);
    let qd = (q[0] as u128 * q[1] as u128) as u128;
    for (limb, &m) in qp.iter().enumerate().skip(2) {
        for i in 0..N {
            let got = out[limb * N + i];
            let exact = small.as_words()[limb * N + i];
            let ok = (0..2u128)
                .any(|e| ((exact as u128 + e * (qd % m as u128)) % m as u128) as u64 == got);
            assert!(ok, "limb {limb} coeff {i}");
        }
    }
    err(
        ckks_modup_create(ext, 0, 4, &mut up),
        CkksStatus::InvalidArgument,
        "proper",
    );
    err(
        ckks_modup_apply(
            up,
            small.as_words().as_ptr(),
            3 * N,
            out.as_mut_ptr(),
            4 * N,
        ),
        CkksStatus::InvalidLength,
        "digit_len",
    );
    ok(ckks_modup_free(up));

    // ModDown of P·x (x small, evaluation form) gives x back.
    let mut px = sampling::from_signed(&rqp, &coeffs);
    let pm: Vec<u64> = qp.iter().map(|&m| p[0] % m).collect();
    px.mul_scalar_assign(&pm, &rqp).unwrap();
    px.ntt(&rqp).unwrap();
    let mut down = null_mut();
    ok(ckks_moddown_create(qb, pb, &mut down));
    let mut res = vec![0u64; 3 * N];
    ok(ckks_moddown_apply(
        down,
        px.as_words().as_ptr(),
        4 * N,
        res.as_mut_ptr(),
        3 * N,
    ));
    let mut want = sampling::from_signed(&rq, &coeffs);
    want.ntt(&rq).unwrap();
    assert_eq!(res, want.as_words());
    err(
        ckks_moddown_apply(down, px.as_words().as_ptr(), 3 * N, res.as_mut_ptr(), 3 * N),
        CkksStatus::InvalidLength,
        "x_len",
    );
    err(
        ckks_moddown_create(qb, qb, &mut down),
        CkksStatus::InvalidArgument,
        "more than once",
    );
    ok(ckks_moddown_free(down));

    // Key switch: out0 + out1·s_to ≈ d·s_from (mod Q).
    let mut ks = null_mut();
    ok(ckks_keyswitcher_create(
        N,
        q.as_ptr(),
        3,
        p.as_ptr(),
        1,
        3,
        &mut ks,
    ));
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let ternary = |rng: &mut ChaCha20Rng| {
        let c = sampling::ternary_coeffs(N, None, rng);
        let mut s = sampling::from_signed(&rqp, &c);
        s.ntt(&rqp).unwrap();
        s
    };
    let (s_from, s_to) = (ternary(&mut rng), ternary(&mut rng));
    let seed = 9u64;
    let mut key = null_mut();
    ok(ckks_switching_key_generate(
        ks,
        s_from.as_words().as_ptr(),
        s_to.as_words().as_ptr(),
        4 * N,
        &seed,
        &mut key,
    ));
    let d = sampling::uniform(&rq, Representation::Evaluation, &mut rng);
    let (mut o0, mut o1) = (vec![0u64; 3 * N], vec![0u64; 3 * N]);
    ok(ckks_keyswitch(
        ks,
        key,
        d.as_words().as_ptr(),
        o0.as_mut_ptr(),
        o1.as_mut_ptr(),
        3 * N,
    ));
    let to_q = |s: &accel::rns::RnsPoly| {
        accel::rns::RnsPoly::from_words(&rq, Representation::Evaluation, &s.as_words()[..3 * N])
            .unwrap()
    };
    let mut lhs = accel::rns::RnsPoly::from_words(&rq, Representation::Evaluation, &o1).unwrap();
    lhs.mul_assign(&to_q(&s_to), &rq).unwrap();
    lhs.add_assign(
        &accel::rns::RnsPoly::from_words(&rq, Representation::Evaluation, &o0).unwrap(),
        &rq,
    )
    .unwrap();
    let mut rhs = d.clone();
    rhs.mul_assign(&to_q(&s_from), &rq).unwrap();
    lhs.sub_assign(&rhs, &rq).unwrap();
    lhs.intt(&rq).unwrap();
    // Noise: centered residues of limb 0 are small.
    let q0 = q[0];
    let max_noise = lhs.limb(0).iter().map(|&v| v.min(q0 - v)).max().unwrap();
    assert!(max_noise < 1 << 20, "key-switching noise {max_noise}");
    // Bad key switching input.
    err(
        ckks_keyswitch(
            ks,
            key,
            d.as_words().as_ptr(),
            o0.as_mut_ptr(),
            o0.as_mut_ptr(),
            3 * N,
        ),
        CkksStatus::InvalidArgument,
        "overlap",
    );
    err(
        ckks_keyswitch(
            ks,
            key,
            d.as_words().as_ptr(),
            o0.as_mut_ptr(),
            o1.as_mut_ptr(),
            4 * N,
        ),
        CkksStatus::InvalidLength,
        "limbs",
    );
    err(
        ckks_switching_key_generate(
            ks,
            s_from.as_words().as_ptr(),
            null(),
            4 * N,
            &seed,
            &mut key,
        ),
        CkksStatus::NullPointer,
        "s_to",
    );
    // A key of another switcher (other P) is refused.
    let p2 = ntt_primes(51, N, 1).unwrap();
    let mut ks2 = null_mut();
    ok(ckks_keyswitcher_create(
        N,
        q.as_ptr(),
        3,
        p2.as_ptr(),
        1,
        3,
        &mut ks2,
    ));
    err(
        ckks_keyswitch(
            ks2,
            key,
            d.as_words().as_ptr(),
            o0.as_mut_ptr(),
            o1.as_mut_ptr(),
            3 * N,
        ),
        CkksStatus::Mismatch,
        "key",
    );
    err(
        ckks_keyswitcher_create(N, q.as_ptr(), 3, p.as_ptr(), 1, 0, &mut ks2),
        CkksStatus::InvalidArgument,
        "",
    );
    for h in [ks, ks2] {
        ok(ckks_keyswitcher_free(h));
    }
    ok(ckks_switching_key_free(key));
    for h in [ext, qb, pb] {
        ok(ckks_rns_basis_free(h));
    }
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

#[test]
fn ckks_pipeline_batch_serialization_and_bad_input() {
    let _checks = checks_on();
    let ctx = toy_context(11);
    let (mut slots, mut max_level) = (0, 0);
    ok(ckks_context_info(
        ctx,
        null_mut(),
        &mut slots,
        &mut max_level,
        null_mut(),
    ));
    assert_eq!((slots, max_level), (1024, 2));
    let mut kg = null_mut();
    ok(ckks_keygen_create_seeded(ctx, 11, &mut kg));
    let (mut sk, mut pk, mut rlk, mut gk) = (null_mut(), null_mut(), null_mut(), null_mut());
    ok(ckks_keygen_secret_key(kg, &mut sk));
    ok(ckks_keygen_public_key(kg, sk, &mut pk));
    ok(ckks_keygen_relin_key(kg, sk, &mut rlk));
    let (mut kind, mut radix) = (9u32, 9usize);
    ok(ckks_keygen_sum_keys(
        kg,
        sk,
        CkksSum::Tree as u32,
        0,
        8,
        1,
        &mut gk,
        &mut kind,
        &mut radix,
    ));
    assert_eq!((kind, radix), (CkksSum::Tree as u32, 0));
    let mut eval = null_mut();
    ok(ckks_evaluator_create(ctx, rlk, gk, &mut eval));
    let (mut enc, mut dec) = (null_mut(), null_mut());
    ok(ckks_encryptor_create(ctx, pk, &mut enc));
    ok(ckks_decryptor_create(ctx, sk, &mut dec));

    let x: Vec<f64> = (0..8).map(|i| i as f64 / 8.0).collect();
    let y: Vec<f64> = (0..8).map(|i| 1.0 - i as f64 / 16.0).collect();
    let want: f64 = x.iter().zip(&y).map(|(a, b)| a * b).sum();
    let encrypt = |v: &[f64]| {
        let (mut pt, mut ct) = (null_mut(), null_mut());
        ok(ckks_encode(
            ctx,
            v.as_ptr(),
            v.len(),
            0.0,
            usize::MAX,
            &mut pt,
        ));
        ok(ckks_encrypt(enc, pt, &mut ct));
        ok(ckks_plaintext_free(pt));
        ct
    };
    let decrypt0 = |ct: *const CkksCiphertext| {
        let mut pt = null_mut();
        ok(ckks_decrypt(dec, ct, &mut pt));
        let (mut v, mut w) = ([0.0f64; 2], 0);
        ok(ckks_decode(ctx, pt, v.as_mut_ptr(), 2, &mut w));
        assert_eq!(w, 1024);
        ok(ckks_plaintext_free(pt));
        v[0]
    };
    let (cx, cy) = (encrypt(&x), encrypt(&y));
    // mul → relinearize → rescale → rotate by hand, then the one-call inner product.
    let (mut m, mut r, mut s, mut rot) = (null_mut(), null_mut(), null_mut(), null_mut());
    ok(ckks_mul(eval, cx, cy, &mut m));
    let mut deg = 0;
    ok(ckks_ciphertext_info(m, null_mut(), null_mut(), &mut deg));
    assert_eq!(deg, 3);
    ok(ckks_relinearize(eval, m, &mut r));
    ok(ckks_rescale(eval, r, &mut s));
    let mut level = 9;
    ok(ckks_ciphertext_info(s, &mut level, null_mut(), null_mut()));
    assert_eq!(level, 1);
    assert!((decrypt0(s) - x[0] * y[0]).abs() < 1e-6);
    ok(ckks_rotate(eval, s, 1, &mut rot));
    assert!((decrypt0(rot) - x[1] * y[1]).abs() < 1e-6);
    let mut ip = null_mut();
    ok(ckks_inner_product(eval, cx, cy, 8, &mut ip));
    assert!((decrypt0(ip) - want).abs() < 1e-6);

    // The batch.
    let mut engine = null_mut();
    ok(ckks_engine_create(eval, 2, kind, radix, 8, &mut engine));
    let a = [cx.cast_const(), cy.cast_const(), cx.cast_const()];
    let b = [cy.cast_const(), cx.cast_const(), cx.cast_const()];
    let mut outs = [null_mut(); 3];
    ok(ckks_engine_run(
        engine,
        a.as_ptr(),
        b.as_ptr(),
        3,
        8,
        outs.as_mut_ptr(),
    ));
    let xx: f64 = x.iter().map(|v| v * v).sum();
    for (o, w) in outs.iter().zip([want, want, xx]) {
        assert!((decrypt0(*o) - w).abs() < 1e-6);
        ok(ckks_ciphertext_free(*o));
    }

    // Serialization: two-call pattern, round trip, corrupt bytes.
    let mut size = 0;
    err(
        ckks_ciphertext_serialize(ip, null_mut(), 0, &mut size),
        CkksStatus::BufferTooSmall,
        "needed",
    );
    let mut bytes = vec![0u8; size];
    ok(ckks_ciphertext_serialize(
        ip,
        bytes.as_mut_ptr(),
        size,
        &mut size,
    ));
    let mut back = null_mut();
    ok(ckks_ciphertext_deserialize(
        ctx,
        bytes.as_ptr(),
        size,
        &mut back,
    ));
    assert!((decrypt0(back) - want).abs() < 1e-6);
    bytes[size / 2] ^= 1;
    let mut junk = null_mut();
    err(
        ckks_ciphertext_deserialize(ctx, bytes.as_ptr(), size, &mut junk),
        CkksStatus::Deserialize,
        "",
    );
    err(
        ckks_ciphertext_deserialize(ctx, bytes.as_ptr(), 3, &mut junk),
        CkksStatus::Deserialize,
        "",
    );
    assert!(junk.is_null());
    let (mut n, mut pk2) = (0, null_mut());
    ckks_public_key_serialize(pk, null_mut(), 0, &mut n);
    let mut v = vec![0u8; n];
    ok(ckks_public_key_serialize(pk, v.as_mut_ptr(), n, &mut n));
    ok(ckks_public_key_deserialize(ctx, v.as_ptr(), n, &mut pk2));
    ok(ckks_public_key_free(pk2));
    ckks_relin_key_serialize(rlk, null_mut(), 0, &mut n);
    let mut v = vec![0u8; n];
    ok(ckks_relin_key_serialize(rlk, v.as_mut_ptr(), n, &mut n));
    let mut rlk2 = null_mut();
    ok(ckks_relin_key_deserialize(ctx, v.as_ptr(), n, &mut rlk2));
    // A relinearization key's bytes are not Galois keys.
    let mut gk2 = null_mut();
    err(
        ckks_galois_keys_deserialize(ctx, v.as_ptr(), n, &mut gk2),
        CkksStatus::Deserialize,
        "",
    );
    ckks_params_serialize(ctx, null_mut(), 0, &mut n);
    let mut pbytes = vec![0u8; n];
    ok(ckks_params_serialize(ctx, pbytes.as_mut_ptr(), n, &mut n));
    let mut ctx2 = null_mut();
    err(
        ckks_context_from_params(pbytes.as_ptr(), n, 0, &mut ctx2),
        CkksStatus::InvalidArgument,
        "secure",
    );
    ok(ckks_context_from_params(pbytes.as_ptr(), n, 1, &mut ctx2));
    // The secret key through bytes decrypts the same; the bytes of another kind are refused.
    ckks_secret_key_serialize(ctx, sk, null_mut(), 0, &mut n);
    let mut skb = vec![0u8; n];
    ok(ckks_secret_key_serialize(
        ctx,
        sk,
        skb.as_mut_ptr(),
        n,
        &mut n,
    ));
    let (mut sk_back, mut dec2) = (null_mut(), null_mut());
    ok(ckks_secret_key_deserialize(
        ctx,
        skb.as_ptr(),
        n,
        &mut sk_back,
    ));
    ok(ckks_decryptor_create(ctx, sk_back, &mut dec2));
    let mut pt_back = null_mut();
    ok(ckks_decrypt(dec2, ip, &mut pt_back));
    let (mut v0, mut w0) = (0.0f64, 0usize);
    ok(ckks_decode(ctx, pt_back, &mut v0, 1, &mut w0));
    assert!((v0 - want).abs() < 1e-6);
    ok(ckks_plaintext_free(pt_back));
    ok(ckks_decryptor_free(dec2));
    ok(ckks_secret_key_free(sk_back));
    err(
        ckks_secret_key_deserialize(ctx, pbytes.as_ptr(), pbytes.len(), &mut sk_back),
        CkksStatus::Deserialize,
        "",
    );

    // Mismatched objects: a ciphertext of other parameters, a missing key, bad dims.
    let other = toy_context(12);
    let (mut kg2, mut sk2, mut enc2) = (null_mut(), null_mut(), null_mut());
    ok(ckks_keygen_create_seeded(other, 1, &mut kg2));
    ok(ckks_keygen_secret_key(kg2, &mut sk2));
    ok(ckks_encryptor_create_symmetric(other, sk2, &mut enc2));
    let (mut pt2, mut foreign) = (null_mut(), null_mut());
    ok(ckks_encode(other, x.as_ptr(), 8, 0.0, usize::MAX, &mut pt2));
    ok(ckks_encrypt(enc2, pt2, &mut foreign));
    let mut bad = null_mut();
    err(
        ckks_mul(eval, cx, foreign, &mut bad),
        CkksStatus::Mismatch,
        "parameter",
    );
    err(
        ckks_encrypt(enc, pt2, &mut bad),
        CkksStatus::Mismatch,
        "parameter",
    );
    err(
        ckks_decryptor_create(ctx, sk2, &mut dec.cast()),
        CkksStatus::Mismatch,
        "",
    );
    err(
        ckks_rotate(eval, s, 3, &mut bad),
        CkksStatus::MissingKey,
        "rotation",
    );
    let mut bare = null_mut();
    ok(ckks_evaluator_create(ctx, null(), null(), &mut bare));
    err(
        ckks_relinearize(bare, m, &mut bad),
        CkksStatus::MissingKey,
        "relinearization",
    );
    err(
        ckks_relinearize(eval, s, &mut bad),
        CkksStatus::InvalidArgument,
        "parts",
    );
    err(
        ckks_inner_product(eval, cx, cy, 6, &mut bad),
        CkksStatus::InvalidArgument,
        "",
    );
    err(
        ckks_engine_run(engine, a.as_ptr(), b.as_ptr(), 3, 16, outs.as_mut_ptr()),
        CkksStatus::MissingKey,
        "rotation key",
    );
    let with_foreign = [cx.cast_const(), foreign.cast_const()];
    err(
        ckks_engine_run(
            engine,
            with_foreign.as_ptr(),
            b.as_ptr(),
            2,
            8,
            outs.as_mut_ptr(),
        ),
        CkksStatus::Mismatch,
        "task 1",
    );
    err(
        ckks_engine_run(engine, a.as_ptr(), null(), 3, 8, outs.as_mut_ptr()),
        CkksStatus::NullPointer,
        "b",
    );
    let with_null = [cx.cast_const(), null()];
    err(
        ckks_engine_run(
            engine,
            with_null.as_ptr(),
            b.as_ptr(),
            2,
            8,
            outs.as_mut_ptr(),
        ),
        CkksStatus::NullPointer,
        "a[1]",
    );
    err(
        ckks_engine_create(eval, 1, 2, 0, 8, &mut engine.cast()),
        CkksStatus::InvalidArgument,
        "resolved",
    );
    err(
        ckks_engine_create(bare, 1, 0, 0, 8, &mut engine.cast()),
        CkksStatus::MissingKey,
        "",
    );
    let mut badpt = null_mut();
    err(
        ckks_encode(ctx, x.as_ptr(), 5000, 0.0, usize::MAX, &mut badpt),
        CkksStatus::InvalidArgument,
        "",
    );
    err(
        ckks_encode(ctx, null(), 8, 0.0, usize::MAX, &mut badpt),
        CkksStatus::NullPointer,
        "values",
    );
    err(
        ckks_encode(ctx, x.as_ptr(), 8, 0.0, 7, &mut badpt),
        CkksStatus::InvalidArgument,
        "level",
    );
    let nan = [f64::NAN];
    err(
        ckks_encode(ctx, nan.as_ptr(), 1, 0.0, usize::MAX, &mut badpt),
        CkksStatus::InvalidArgument,
        "",
    );
    err(
        ckks_context_create_preset(9, &mut bad.cast()),
        CkksStatus::InvalidArgument,
        "preset",
    );
    let qb = [60u32, 60, 60, 60];
    let pb = [60u32];
    let mut insecure = null_mut();
    err(
        ckks_context_create(
            1 << 10,
            qb.as_ptr(),
            4,
            pb.as_ptr(),
            1,
            4,
            40,
            0,
            &mut insecure,
        ),
        CkksStatus::InvalidArgument,
        "secure",
    );
    // A secret key used where a public key is expected.
    err(
        ckks_encryptor_create(ctx, sk.cast(), &mut bad.cast()),
        CkksStatus::InvalidHandle,
        "CkksSecretKey",
    );
    assert!(bad.is_null());

    for h in [cx, cy, m, r, s, rot, ip, back, foreign] {
        ok(ckks_ciphertext_free(h));
    }
    err(
        ckks_ciphertext_free(cx),
        CkksStatus::InvalidHandle,
        "double free",
    );
    ok(ckks_plaintext_free(pt2));
    ok(ckks_engine_free(engine));
    for e in [eval, bare] {
        ok(ckks_evaluator_free(e));
    }
    ok(ckks_encryptor_free(enc));
    ok(ckks_encryptor_free(enc2));
    ok(ckks_decryptor_free(dec));
    ok(ckks_relin_key_free(rlk));
    ok(ckks_relin_key_free(rlk2));
    ok(ckks_galois_keys_free(gk));
    ok(ckks_public_key_free(pk));
    ok(ckks_secret_key_free(sk));
    ok(ckks_secret_key_free(sk2));
    ok(ckks_keygen_free(kg));
    ok(ckks_keygen_free(kg2));
    for c in [ctx, ctx2, other] {
        ok(ckks_context_free(c));
    }
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
