//! Serialization of CKKS objects to and from caller byte buffers (the two-call size pattern).

use super::*;

// ---- serialization ------------------------------------------------------------------------------

/// A ciphertext to bytes (versioned, checksummed): `buf` NULL or `cap` too small →
/// `*written` = bytes needed and `CKKS_STATUS_BUFFER_TOO_SMALL`; else the bytes are written.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_ciphertext_serialize(
    obj: *const CkksCiphertext,
    buf: *mut u8,
    cap: usize,
    written: *mut usize,
) -> CkksStatus {
    guard(|| {
        let o = get::<Ct, _>(obj, "obj")?;
        write_bytes(&o.0.to_bytes(), buf, cap, written)
    })
}

/// A ciphertext from `len` bytes, checked against the context's parameters.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_ciphertext_deserialize(
    ctx: *const CkksContext,
    buf: *const u8,
    len: usize,
    out: *mut *mut CkksCiphertext,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let c = get::<Ctx, _>(ctx, "ctx")?;
        let v = Ciphertext::from_bytes(&c.ctx, slice(buf, len, "buf")?)?;
        write_out(out, register(Ct(v)), "out")
    })
}

/// A plaintext to bytes (versioned, checksummed): `buf` NULL or `cap` too small →
/// `*written` = bytes needed and `CKKS_STATUS_BUFFER_TOO_SMALL`; else the bytes are written.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_plaintext_serialize(
    obj: *const CkksPlaintext,
    buf: *mut u8,
    cap: usize,
    written: *mut usize,
) -> CkksStatus {
    guard(|| {
        let o = get::<Pt, _>(obj, "obj")?;
        write_bytes(&o.0.to_bytes(), buf, cap, written)
    })
}

/// A plaintext from `len` bytes, checked against the context's parameters.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_plaintext_deserialize(
    ctx: *const CkksContext,
    buf: *const u8,
    len: usize,
    out: *mut *mut CkksPlaintext,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let c = get::<Ctx, _>(ctx, "ctx")?;
        let v = Plaintext::from_bytes(&c.ctx, slice(buf, len, "buf")?)?;
        write_out(out, register(Pt(v)), "out")
    })
}

/// A public key to bytes (versioned, checksummed): `buf` NULL or `cap` too small →
/// `*written` = bytes needed and `CKKS_STATUS_BUFFER_TOO_SMALL`; else the bytes are written.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_public_key_serialize(
    obj: *const CkksPublicKey,
    buf: *mut u8,
    cap: usize,
    written: *mut usize,
) -> CkksStatus {
    guard(|| {
        let o = get::<Pk, _>(obj, "obj")?;
        write_bytes(&o.0.to_bytes(), buf, cap, written)
    })
}

/// A public key from `len` bytes, checked against the context's parameters.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_public_key_deserialize(
    ctx: *const CkksContext,
    buf: *const u8,
    len: usize,
    out: *mut *mut CkksPublicKey,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let c = get::<Ctx, _>(ctx, "ctx")?;
        let v = PublicKey::from_bytes(&c.ctx, slice(buf, len, "buf")?)?;
        write_out(out, register(Pk(v)), "out")
    })
}

/// A relinearization key to bytes (versioned, checksummed): `buf` NULL or `cap` too small →
/// `*written` = bytes needed and `CKKS_STATUS_BUFFER_TOO_SMALL`; else the bytes are written.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_relin_key_serialize(
    obj: *const CkksRelinKey,
    buf: *mut u8,
    cap: usize,
    written: *mut usize,
) -> CkksStatus {
    guard(|| {
        let o = get::<Rlk, _>(obj, "obj")?;
        write_bytes(&o.0.to_bytes(), buf, cap, written)
    })
}

/// A relinearization key from `len` bytes, checked against the context's parameters.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_relin_key_deserialize(
    ctx: *const CkksContext,
    buf: *const u8,
    len: usize,
    out: *mut *mut CkksRelinKey,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let c = get::<Ctx, _>(ctx, "ctx")?;
        let v = RelinKey::from_bytes(&c.ctx, slice(buf, len, "buf")?)?;
        write_out(out, register(Rlk(v)), "out")
    })
}

/// Galois keys to bytes (versioned, checksummed): `buf` NULL or `cap` too small →
/// `*written` = bytes needed and `CKKS_STATUS_BUFFER_TOO_SMALL`; else the bytes are written.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_galois_keys_serialize(
    obj: *const CkksGaloisKeys,
    buf: *mut u8,
    cap: usize,
    written: *mut usize,
) -> CkksStatus {
    guard(|| {
        let o = get::<Gk, _>(obj, "obj")?;
        write_bytes(&o.0.to_bytes(), buf, cap, written)
    })
}

/// Galois keys from `len` bytes, checked against the context's parameters.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_galois_keys_deserialize(
    ctx: *const CkksContext,
    buf: *const u8,
    len: usize,
    out: *mut *mut CkksGaloisKeys,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let c = get::<Ctx, _>(ctx, "ctx")?;
        let v = GaloisKeys::from_bytes(&c.ctx, slice(buf, len, "buf")?)?;
        write_out(out, register(Gk(v)), "out")
    })
}

/// A secret key to bytes (ternary coefficients, **not encrypted**: protect them at rest). Two-call
/// pattern as the other serializers; the library's own copy is zeroized.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_secret_key_serialize(
    ctx: *const CkksContext,
    sk: *const CkksSecretKey,
    buf: *mut u8,
    cap: usize,
    written: *mut usize,
) -> CkksStatus {
    guard(|| {
        let c = get::<Ctx, _>(ctx, "ctx")?;
        let k = get::<Sk, _>(sk, "sk")?;
        let bytes = k.0.to_bytes(&c.ctx)?; // Zeroizing: wiped on drop
        write_bytes(&bytes, buf, cap, written)
    })
}

/// A secret key from `len` bytes (checked: parameters, ternary coefficients).
#[unsafe(no_mangle)]
pub extern "C" fn ckks_secret_key_deserialize(
    ctx: *const CkksContext,
    buf: *const u8,
    len: usize,
    out: *mut *mut CkksSecretKey,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let c = get::<Ctx, _>(ctx, "ctx")?;
        let sk = SecretKey::from_bytes(&c.ctx, slice(buf, len, "buf")?)?;
        write_out(out, register(Sk(sk)), "out")
    })
}

/// Serializes the context's parameters: `buf` NULL (or `cap` too small) → `*written` = size
/// needed and `CKKS_STATUS_BUFFER_TOO_SMALL`; otherwise the bytes are written and `*written` is
/// their count. The same pattern holds for every `*_serialize` function.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_params_serialize(
    ctx: *const CkksContext,
    buf: *mut u8,
    cap: usize,
    written: *mut usize,
) -> CkksStatus {
    guard(|| {
        let c = get::<Ctx, _>(ctx, "ctx")?;
        write_bytes(&c.ctx.params().to_bytes(), buf, cap, written)
    })
}

/// Creates a context from serialized parameters. Parameters below 128-bit security are refused
/// unless `allow_insecure != 0` (tests and experiments only).
#[unsafe(no_mangle)]
pub extern "C" fn ckks_context_from_params(
    buf: *const u8,
    len: usize,
    allow_insecure: i32,
    out: *mut *mut CkksContext,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let bytes = slice(buf, len, "buf")?;
        let params = if allow_insecure != 0 {
            CkksParams::from_bytes_allow_insecure(bytes)?
        } else {
            CkksParams::from_bytes(bytes)?
        };
        write_out(out, ctx_handle(RustContext::new(params)?), "out")
    })
}
