//! The CKKS pipeline through the C ABI: contexts, keys, encryption, evaluation, batches,
//! serialization and the bad input of each.

use super::*;

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
        CkksStatus::Mismatch,
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
        CkksStatus::Mismatch,
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
fn compressed_encryptor_halves_serialized_ciphertexts() {
    let _checks = checks_on();
    let ctx = toy_context(12);
    let mut kg = null_mut();
    ok(ckks_keygen_create_seeded(ctx, 12, &mut kg));
    let (mut sk, mut pk) = (null_mut(), null_mut());
    ok(ckks_keygen_secret_key(kg, &mut sk));
    ok(ckks_keygen_public_key(kg, sk, &mut pk));
    let (mut enc, mut full_enc, mut dec) = (null_mut(), null_mut(), null_mut());
    ok(ckks_encryptor_create_compressed(ctx, sk, &mut enc));
    ok(ckks_encryptor_create_symmetric(ctx, sk, &mut full_enc));
    ok(ckks_decryptor_create(ctx, sk, &mut dec));
    err(
        ckks_encryptor_create_compressed(ctx, null_mut(), &mut enc),
        CkksStatus::NullPointer,
        "sk",
    );
    let v = [0.25f64, -0.5, 0.75];
    let mut pt = null_mut();
    ok(ckks_encode(
        ctx,
        v.as_ptr(),
        v.len(),
        0.0,
        usize::MAX,
        &mut pt,
    ));
    let size_of = |e: *mut CkksEncryptor| {
        let mut ct = null_mut();
        ok(ckks_encrypt(e, pt, &mut ct));
        let mut size = 0;
        err(
            ckks_ciphertext_serialize(ct, null_mut(), 0, &mut size),
            CkksStatus::BufferTooSmall,
            "needed",
        );
        let mut bytes = vec![0u8; size];
        ok(ckks_ciphertext_serialize(
            ct,
            bytes.as_mut_ptr(),
            size,
            &mut size,
        ));
        ok(ckks_ciphertext_free(ct));
        bytes
    };
    let small = size_of(enc);
    let full = size_of(full_enc);
    let ratio = small.len() as f64 / full.len() as f64;
    assert!(ratio < 0.501, "{} vs {} bytes", small.len(), full.len());
    let mut back = null_mut();
    ok(ckks_ciphertext_deserialize(
        ctx,
        small.as_ptr(),
        small.len(),
        &mut back,
    ));
    let (mut out, mut n) = (null_mut(), 0usize);
    ok(ckks_decrypt(dec, back, &mut out));
    let mut got = vec![0f64; 4];
    ok(ckks_decode(ctx, out, got.as_mut_ptr(), got.len(), &mut n));
    for (g, w) in got.iter().zip(&v) {
        assert!((g - w).abs() < 1e-6, "{g} vs {w}");
    }
    let mut bad = small.clone();
    bad.truncate(small.len() - 1);
    let mut none = null_mut();
    err(
        ckks_ciphertext_deserialize(ctx, bad.as_ptr(), bad.len(), &mut none),
        CkksStatus::Deserialize,
        "",
    );
    ok(ckks_ciphertext_free(back));
    ok(ckks_plaintext_free(out));
    ok(ckks_plaintext_free(pt));
    ok(ckks_encryptor_free(enc));
    ok(ckks_encryptor_free(full_enc));
    ok(ckks_decryptor_free(dec));
    ok(ckks_public_key_free(pk));
    ok(ckks_secret_key_free(sk));
    ok(ckks_keygen_free(kg));
    ok(ckks_context_free(ctx));
}
