//! The key bundle through the C ABI: create (tree and hoisted), the two-call serialization
//! (full and compressed), deserialize, info, the keys back out, an evaluator and an engine
//! from a bundle, and the refusals (bad dim, missing rotation keys, no description, corrupt
//! bytes, an out-of-range level in `ckks_keygen_sum_keys`).

use super::*;

fn context() -> *mut CkksContext {
    toy_context(10)
}

fn serialize(b: *const CkksKeyBundle, compressed: i32) -> Vec<u8> {
    let mut size = 0;
    err(
        ckks_key_bundle_serialize(b, compressed, null_mut(), 0, &mut size),
        CkksStatus::BufferTooSmall,
        "needed",
    );
    let mut bytes = vec![0u8; size];
    ok(ckks_key_bundle_serialize(
        b,
        compressed,
        bytes.as_mut_ptr(),
        size,
        &mut size,
    ));
    assert_eq!(size, bytes.len());
    bytes
}

#[test]
fn key_bundles_through_the_c_abi() {
    let ctx = context();
    let mut kg = null_mut();
    ok(ckks_keygen_create_seeded(ctx, 3, &mut kg));
    let (mut sk, mut pk, mut rlk, mut gk) = (null_mut(), null_mut(), null_mut(), null_mut());
    ok(ckks_keygen_secret_key(kg, &mut sk));
    ok(ckks_keygen_public_key(kg, sk, &mut pk));
    ok(ckks_keygen_relin_key(kg, sk, &mut rlk));
    let (mut kind, mut radix) = (9u32, 9usize);
    // An out-of-range level is refused for every kind (auto always refused it).
    for k in [CkksSum::Tree, CkksSum::Hoisted, CkksSum::Auto] {
        err(
            ckks_keygen_sum_keys(kg, sk, k as u32, 4, 16, 99, &mut gk, &mut kind, &mut radix),
            CkksStatus::Mismatch,
            "level 99",
        );
    }
    // A radix above the span is refused, not clamped.
    err(
        ckks_keygen_sum_keys(
            kg,
            sk,
            CkksSum::Hoisted as u32,
            32,
            16,
            1,
            &mut gk,
            &mut kind,
            &mut radix,
        ),
        CkksStatus::InvalidArgument,
        "larger than the span",
    );
    ok(ckks_keygen_sum_keys(
        kg,
        sk,
        CkksSum::Hoisted as u32,
        4,
        16,
        1,
        &mut gk,
        &mut kind,
        &mut radix,
    ));
    assert_eq!((kind, radix), (CkksSum::Hoisted as u32, 4));

    let mut bundle = null_mut();
    // dim 32 needs rotation keys the hoisted-16 set lacks; dim 3 is no power of two.
    err(
        ckks_key_bundle_create(ctx, rlk, gk, kind, radix, 32, &mut bundle),
        CkksStatus::InvalidArgument,
        "rotation key",
    );
    err(
        ckks_key_bundle_create(ctx, rlk, gk, CkksSum::Tree as u32, 0, 3, &mut bundle),
        CkksStatus::InvalidArgument,
        "power of two",
    );
    err(
        ckks_key_bundle_create(ctx, rlk, gk, CkksSum::Hoisted as u32, 0, 16, &mut bundle),
        CkksStatus::InvalidArgument,
        "resolved radix",
    );
    err(
        ckks_key_bundle_create(ctx, rlk, gk, CkksSum::Hoisted as u32, 32, 16, &mut bundle),
        CkksStatus::InvalidArgument,
        "resolved radix",
    );
    err(
        ckks_key_bundle_create(ctx, rlk, gk, 7, 0, 16, &mut bundle),
        CkksStatus::InvalidArgument,
        "sum_kind 7",
    );
    ok(ckks_key_bundle_create(
        ctx,
        rlk,
        gk,
        kind,
        radix,
        16,
        &mut bundle,
    ));

    // The C key generator does not make seeded keys: no compressed form.
    let full = serialize(bundle, 0);
    err(
        ckks_key_bundle_serialize(bundle, 1, null_mut(), 0, &mut 0),
        CkksStatus::InvalidArgument,
        "seed",
    );
    let mut back = null_mut();
    ok(ckks_key_bundle_deserialize(
        ctx,
        full.as_ptr(),
        full.len(),
        &mut back,
    ));
    assert_eq!(serialize(back, 0), full);
    let (mut has_relin, mut count, mut dim, mut k2, mut r2) = (9, 0, 0, 9, 0);
    ok(ckks_key_bundle_info(
        back,
        &mut has_relin,
        &mut count,
        &mut dim,
        &mut k2,
        &mut r2,
    ));
    assert_eq!((has_relin, dim, k2, r2), (1, 16, kind, 4));
    assert_eq!(count, 6); // radix 4 over 16: rotations 1, 2, 3 and 4, 8, 12

    // Corrupt bytes: one flipped byte anywhere fails the checksum.
    let mut bad = full.clone();
    bad[full.len() / 2] ^= 1;
    let mut none = null_mut();
    err(
        ckks_key_bundle_deserialize(ctx, bad.as_ptr(), bad.len(), &mut none),
        CkksStatus::Deserialize,
        "checksum",
    );
    assert!(none.is_null());

    // The keys back out, an evaluator and an engine from the bundle.
    let (mut rlk2, mut gk2) = (null_mut(), null_mut());
    ok(ckks_key_bundle_relin_key(back, &mut rlk2));
    ok(ckks_key_bundle_galois_keys(back, &mut gk2));
    let mut engine = null_mut();
    ok(ckks_engine_create_from_bundle(back, 2, &mut engine));
    let mut eval = null_mut();
    ok(ckks_evaluator_create_from_bundle(back, &mut eval));
    ok(ckks_key_bundle_free(back));
    let mut enc = null_mut();
    ok(ckks_encryptor_create(ctx, pk, &mut enc));
    let x: Vec<f64> = (0..16).map(|i| i as f64 / 16.0).collect();
    let (mut pt, mut ct) = (null_mut(), null_mut());
    ok(ckks_encode(ctx, x.as_ptr(), 16, 0.0, usize::MAX, &mut pt));
    ok(ckks_encrypt(enc, pt, &mut ct));
    let a = [ct.cast_const()];
    let mut out = [null_mut()];
    ok(ckks_engine_run(
        engine,
        a.as_ptr(),
        a.as_ptr(),
        1,
        16,
        out.as_mut_ptr(),
    ));
    let mut dec = null_mut();
    ok(ckks_decryptor_create(ctx, sk, &mut dec));
    let mut res = null_mut();
    ok(ckks_decrypt(dec, out[0], &mut res));
    let (mut v, mut w) = ([0.0f64; 1], 0);
    ok(ckks_decode(ctx, res, v.as_mut_ptr(), 1, &mut w));
    let want: f64 = x.iter().map(|v| v * v).sum();
    assert!((v[0] - want).abs() < 1e-4, "{} vs {want}", v[0]);
    let mut ip = null_mut();
    ok(ckks_inner_product(eval, ct, ct, 16, &mut ip)); // the tree needs 1, 2, 4, 8: present

    // A bundle without a description or without the relinearization key runs no engine.
    let mut bare = null_mut();
    ok(ckks_key_bundle_create(
        ctx,
        null_mut(),
        gk2,
        0,
        0,
        0,
        &mut bare,
    ));
    let mut e2 = null_mut();
    err(
        ckks_engine_create_from_bundle(bare, 1, &mut e2),
        CkksStatus::InvalidArgument,
        "no sum description",
    );
    err(
        ckks_key_bundle_relin_key(bare, &mut rlk2),
        CkksStatus::MissingKey,
        "no relinearization key",
    );
    let bare_bytes = serialize(bare, 0);
    let mut bare2 = null_mut();
    ok(ckks_key_bundle_deserialize(
        ctx,
        bare_bytes.as_ptr(),
        bare_bytes.len(),
        &mut bare2,
    ));
    let mut d0 = 9;
    ok(ckks_key_bundle_info(
        bare2,
        null_mut(),
        null_mut(),
        &mut d0,
        null_mut(),
        null_mut(),
    ));
    assert_eq!(d0, 0);
    // A freed bundle is an invalid handle.
    ok(ckks_key_bundle_free(bare));
    err(
        ckks_key_bundle_serialize(bare, 0, null_mut(), 0, &mut 0),
        CkksStatus::InvalidHandle,
        "CkksKeyBundle",
    );
    err(
        ckks_key_bundle_free(bare),
        CkksStatus::InvalidHandle,
        "double free",
    );
}
