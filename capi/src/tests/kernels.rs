//! NTT plans (with and without a given root, bad parameters, bad calls), element-wise calls
//! over limbs (against Rust, aliasing), and many-limb RNS transforms.

use super::*;

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
