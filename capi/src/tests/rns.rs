//! ModUp, ModDown and key switching on caller-owned limbs.

use super::*;

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
