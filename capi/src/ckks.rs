//! The CKKS level: parameters/context, keys, encoding and encryption, evaluation, the parallel
//! inner-product batch and serialization to byte buffers.
//!
//! Ciphertexts and plaintexts are immutable values: every operation returns a new handle.

use crate::handle::{get, handle_kind, register, release};
use crate::{
    CkksStatus, FfiResult, check_out, fail, guard, slice, slice_mut, write_bytes, write_out,
};
use accel::ckks::{
    Ciphertext, CkksContext as RustContext, CkksParams, Decryptor, Encoder, Encryptor,
    EvaluationKeys, Evaluator, EvaluatorScratch, GaloisKeys, KeyGenerator, Plaintext, Preset,
    PublicKey, RelinKey, SecretKey, SumChoice, SumMethod, SumPlan,
};
use accel::parallel::{EngineConfig, InnerProductEngine, Mode};
use std::sync::{Arc, Mutex};

/// Parameter presets for `ckks_context_create_preset` (reference workloads).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CkksPreset {
    /// Set S: n = 2^14, 128-bit secure.
    S = 0,
    /// Set L: n = 2^16, 128-bit secure.
    L = 1,
    /// Set S with every prime below 2^50 (IFMA-friendly).
    SIfma = 2,
    /// Set L with every prime below 2^50 (IFMA-friendly).
    LIfma = 3,
}

/// Inner-sum methods for `ckks_keygen_sum_keys` and `ckks_engine_create`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CkksSum {
    /// The plain doubling tree: log2(dim) rotations.
    Tree = 0,
    /// Hoisted radix folding (double hoisting) with a given radix.
    Hoisted = 1,
    /// The calibrated cost model chooses (key generation only; it reports the choice).
    Auto = 2,
}

/// "Use the top level" for `ckks_encode` (SIZE_MAX in C).
const TOP_LEVEL: usize = usize::MAX;

pub(crate) struct Ctx {
    ctx: Arc<RustContext>,
    encoder: Encoder,
}
pub(crate) struct KeyGen(Mutex<KeyGenerator>);
pub(crate) struct Sk(SecretKey);
pub(crate) struct Pk(PublicKey);
pub(crate) struct Rlk(RelinKey);
pub(crate) struct Gk(GaloisKeys);
pub(crate) struct Enc(Mutex<Encryptor>);
pub(crate) struct Dec(Decryptor);
pub(crate) struct Pt(Plaintext);
pub(crate) struct Ct(Ciphertext);
pub(crate) struct Eval {
    eval: Evaluator,
    pool: Mutex<Vec<EvaluatorScratch>>,
}
pub(crate) struct Engine(InnerProductEngine);

/// CKKS parameters with their precomputed tables (NTT plans, key switching, encoder).
///
/// Opaque: only used through pointers returned by this library.
pub struct CkksContext {
    _opaque: [u8; 0],
}
handle_kind!(CkksContext => Ctx);

/// Releases a `CkksContext` (NULL is a no-op). Using the handle afterwards, or freeing it twice,
/// returns `CKKS_STATUS_INVALID_HANDLE`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_context_free(handle: *mut CkksContext) -> CkksStatus {
    guard(|| release::<Ctx, CkksContext>(handle, "handle"))
}
/// A key generator (ChaCha20 CSPRNG).
///
/// Opaque: only used through pointers returned by this library.
pub struct CkksKeyGenerator {
    _opaque: [u8; 0],
}
handle_kind!(CkksKeyGenerator => KeyGen);

/// Releases a `CkksKeyGenerator` (NULL is a no-op). Using the handle afterwards, or freeing it twice,
/// returns `CKKS_STATUS_INVALID_HANDLE`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_keygen_free(handle: *mut CkksKeyGenerator) -> CkksStatus {
    guard(|| release::<KeyGen, CkksKeyGenerator>(handle, "handle"))
}
/// A secret key (zeroized when freed).
///
/// Opaque: only used through pointers returned by this library.
pub struct CkksSecretKey {
    _opaque: [u8; 0],
}
handle_kind!(CkksSecretKey => Sk);

/// Releases a `CkksSecretKey` (NULL is a no-op). Using the handle afterwards, or freeing it twice,
/// returns `CKKS_STATUS_INVALID_HANDLE`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_secret_key_free(handle: *mut CkksSecretKey) -> CkksStatus {
    guard(|| release::<Sk, CkksSecretKey>(handle, "handle"))
}
/// A public key.
///
/// Opaque: only used through pointers returned by this library.
pub struct CkksPublicKey {
    _opaque: [u8; 0],
}
handle_kind!(CkksPublicKey => Pk);

/// Releases a `CkksPublicKey` (NULL is a no-op). Using the handle afterwards, or freeing it twice,
/// returns `CKKS_STATUS_INVALID_HANDLE`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_public_key_free(handle: *mut CkksPublicKey) -> CkksStatus {
    guard(|| release::<Pk, CkksPublicKey>(handle, "handle"))
}
/// A relinearization key.
///
/// Opaque: only used through pointers returned by this library.
pub struct CkksRelinKey {
    _opaque: [u8; 0],
}
handle_kind!(CkksRelinKey => Rlk);

/// Releases a `CkksRelinKey` (NULL is a no-op). Using the handle afterwards, or freeing it twice,
/// returns `CKKS_STATUS_INVALID_HANDLE`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_relin_key_free(handle: *mut CkksRelinKey) -> CkksStatus {
    guard(|| release::<Rlk, CkksRelinKey>(handle, "handle"))
}
/// A set of Galois (rotation) keys.
///
/// Opaque: only used through pointers returned by this library.
pub struct CkksGaloisKeys {
    _opaque: [u8; 0],
}
handle_kind!(CkksGaloisKeys => Gk);

/// Releases a `CkksGaloisKeys` (NULL is a no-op). Using the handle afterwards, or freeing it twice,
/// returns `CKKS_STATUS_INVALID_HANDLE`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_galois_keys_free(handle: *mut CkksGaloisKeys) -> CkksStatus {
    guard(|| release::<Gk, CkksGaloisKeys>(handle, "handle"))
}
/// An encryptor (public or secret key).
///
/// Opaque: only used through pointers returned by this library.
pub struct CkksEncryptor {
    _opaque: [u8; 0],
}
handle_kind!(CkksEncryptor => Enc);

/// Releases a `CkksEncryptor` (NULL is a no-op). Using the handle afterwards, or freeing it twice,
/// returns `CKKS_STATUS_INVALID_HANDLE`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_encryptor_free(handle: *mut CkksEncryptor) -> CkksStatus {
    guard(|| release::<Enc, CkksEncryptor>(handle, "handle"))
}
/// A decryptor.
///
/// Opaque: only used through pointers returned by this library.
pub struct CkksDecryptor {
    _opaque: [u8; 0],
}
handle_kind!(CkksDecryptor => Dec);

/// Releases a `CkksDecryptor` (NULL is a no-op). Using the handle afterwards, or freeing it twice,
/// returns `CKKS_STATUS_INVALID_HANDLE`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_decryptor_free(handle: *mut CkksDecryptor) -> CkksStatus {
    guard(|| release::<Dec, CkksDecryptor>(handle, "handle"))
}
/// An encoded message.
///
/// Opaque: only used through pointers returned by this library.
pub struct CkksPlaintext {
    _opaque: [u8; 0],
}
handle_kind!(CkksPlaintext => Pt);

/// Releases a `CkksPlaintext` (NULL is a no-op). Using the handle afterwards, or freeing it twice,
/// returns `CKKS_STATUS_INVALID_HANDLE`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_plaintext_free(handle: *mut CkksPlaintext) -> CkksStatus {
    guard(|| release::<Pt, CkksPlaintext>(handle, "handle"))
}
/// A ciphertext.
///
/// Opaque: only used through pointers returned by this library.
pub struct CkksCiphertext {
    _opaque: [u8; 0],
}
handle_kind!(CkksCiphertext => Ct);

/// Releases a `CkksCiphertext` (NULL is a no-op). Using the handle afterwards, or freeing it twice,
/// returns `CKKS_STATUS_INVALID_HANDLE`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_ciphertext_free(handle: *mut CkksCiphertext) -> CkksStatus {
    guard(|| release::<Ct, CkksCiphertext>(handle, "handle"))
}
/// An evaluator: context and evaluation keys (shared, immutable), scratch per caller.
///
/// Opaque: only used through pointers returned by this library.
pub struct CkksEvaluator {
    _opaque: [u8; 0],
}
handle_kind!(CkksEvaluator => Eval);

/// Releases a `CkksEvaluator` (NULL is a no-op). Using the handle afterwards, or freeing it twice,
/// returns `CKKS_STATUS_INVALID_HANDLE`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_evaluator_free(handle: *mut CkksEvaluator) -> CkksStatus {
    guard(|| release::<Eval, CkksEvaluator>(handle, "handle"))
}
/// The parallel inner-product engine (a worker pool with per-worker arenas).
///
/// Opaque: only used through pointers returned by this library.
pub struct CkksEngine {
    _opaque: [u8; 0],
}
handle_kind!(CkksEngine => Engine);

/// Releases a `CkksEngine` (NULL is a no-op). Using the handle afterwards, or freeing it twice,
/// returns `CKKS_STATUS_INVALID_HANDLE`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_engine_free(handle: *mut CkksEngine) -> CkksStatus {
    guard(|| release::<Engine, CkksEngine>(handle, "handle"))
}

fn ctx_handle(ctx: Arc<RustContext>) -> *mut CkksContext {
    let encoder = Encoder::new(ctx.clone());
    register(Ctx { ctx, encoder })
}

// ---- context -----------------------------------------------------------------------------------

/// Creates a context for a preset (`CkksPreset` value).
#[unsafe(no_mangle)]
pub extern "C" fn ckks_context_create_preset(
    preset: u32,
    out: *mut *mut CkksContext,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let preset = match preset {
            0 => Preset::S,
            1 => Preset::L,
            2 => Preset::SIfma,
            3 => Preset::LIfma,
            p => return fail(CkksStatus::InvalidArgument, format!("unknown preset {p}")),
        };
        let ctx = RustContext::new(CkksParams::preset(preset)?)?;
        write_out(out, ctx_handle(ctx), "out")
    })
}

/// Creates a context from explicit parameters: ring degree `n`, bit sizes of the Q primes
/// (`q_len`, q_0 first) and of the special primes P (`p_len`), `dnum` digits, the default
/// scale 2^`log_scale`. Parameters below 128-bit security are refused unless
/// `allow_insecure != 0`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn ckks_context_create(
    n: usize,
    q_bits: *const u32,
    q_len: usize,
    p_bits: *const u32,
    p_len: usize,
    dnum: usize,
    log_scale: u32,
    allow_insecure: i32,
    out: *mut *mut CkksContext,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let params = CkksParams::builder()
            .ring_degree(n)
            .q_bits(slice(q_bits, q_len, "q_bits")?)
            .p_bits(slice(p_bits, p_len, "p_bits")?)
            .dnum(dnum)
            .log_scale(log_scale)
            .allow_insecure(allow_insecure != 0)
            .build()?;
        write_out(out, ctx_handle(RustContext::new(params)?), "out")
    })
}

/// Reports ring degree, slots, top level and default scale (any pointer may be NULL).
#[unsafe(no_mangle)]
pub extern "C" fn ckks_context_info(
    ctx: *const CkksContext,
    n: *mut usize,
    slots: *mut usize,
    max_level: *mut usize,
    default_scale: *mut f64,
) -> CkksStatus {
    guard(|| {
        let c = get::<Ctx, _>(ctx, "ctx")?;
        let p = c.ctx.params();
        for (ptr, v, what) in [
            (n, p.n(), "n"),
            (slots, p.slots(), "slots"),
            (max_level, p.max_level(), "max_level"),
        ] {
            if !ptr.is_null() {
                write_out(ptr, v, what)?;
            }
        }
        if !default_scale.is_null() {
            write_out(default_scale, p.default_scale(), "default_scale")?;
        }
        Ok(())
    })
}

// ---- keys ----------------------------------------------------------------------------------------

/// Creates a key generator seeded from the operating system.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_keygen_create(
    ctx: *const CkksContext,
    out: *mut *mut CkksKeyGenerator,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let c = get::<Ctx, _>(ctx, "ctx")?;
        let kg = KeyGenerator::new(c.ctx.clone())?;
        write_out(out, register(KeyGen(Mutex::new(kg))), "out")
    })
}

/// Creates a deterministic key generator from `seed` — for tests and benchmarks only.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_keygen_create_seeded(
    ctx: *const CkksContext,
    seed: u64,
    out: *mut *mut CkksKeyGenerator,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let c = get::<Ctx, _>(ctx, "ctx")?;
        let kg = KeyGenerator::from_seed(c.ctx.clone(), seed);
        write_out(out, register(KeyGen(Mutex::new(kg))), "out")
    })
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Generates a secret key.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_keygen_secret_key(
    kg: *const CkksKeyGenerator,
    out: *mut *mut CkksSecretKey,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let k = get::<KeyGen, _>(kg, "kg")?;
        let sk = lock(&k.0).secret_key()?;
        write_out(out, register(Sk(sk)), "out")
    })
}

/// Generates the public key of `sk`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_keygen_public_key(
    kg: *const CkksKeyGenerator,
    sk: *const CkksSecretKey,
    out: *mut *mut CkksPublicKey,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let k = get::<KeyGen, _>(kg, "kg")?;
        let s = get::<Sk, _>(sk, "sk")?;
        let pk = lock(&k.0).public_key(&s.0)?;
        write_out(out, register(Pk(pk)), "out")
    })
}

/// Generates the relinearization key of `sk`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_keygen_relin_key(
    kg: *const CkksKeyGenerator,
    sk: *const CkksSecretKey,
    out: *mut *mut CkksRelinKey,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let k = get::<KeyGen, _>(kg, "kg")?;
        let s = get::<Sk, _>(sk, "sk")?;
        let rlk = lock(&k.0).relin_key(&s.0)?;
        write_out(out, register(Rlk(rlk)), "out")
    })
}

/// Generates rotation keys for each of the `count` slot rotations in `steps` (positive: left),
/// plus the conjugation key if `conjugation != 0`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_keygen_galois_keys(
    kg: *const CkksKeyGenerator,
    sk: *const CkksSecretKey,
    steps: *const i64,
    count: usize,
    conjugation: i32,
    out: *mut *mut CkksGaloisKeys,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let k = get::<KeyGen, _>(kg, "kg")?;
        let s = get::<Sk, _>(sk, "sk")?;
        let steps = slice(steps, count, "steps")?;
        let gk = lock(&k.0).galois_keys(&s.0, steps, conjugation != 0)?;
        write_out(out, register(Gk(gk)), "out")
    })
}

fn resolve_sum(kind: u32, radix: usize) -> FfiResult<SumChoice> {
    Ok(match kind {
        0 => SumChoice::Tree,
        1 => SumChoice::Hoisted((radix != 0).then_some(radix)),
        2 => SumChoice::Auto,
        k => {
            return fail(
                CkksStatus::InvalidArgument,
                format!("unknown sum method {k}"),
            );
        }
    })
}

/// Chooses the inner-sum method for vectors of `span` slots summed at `level` (the level after
/// the product's rescale: top level − 1 for fresh ciphertexts) and generates exactly its
/// rotation keys. `kind` is a `CkksSum` value; `radix` (power of two ≥ 2, or 0 to let the
/// calibrated cost model choose) is used by `CKKS_SUM_HOISTED`. The choice is written to
/// `*out_kind` (TREE or HOISTED) and `*out_radix` (0 for the tree); pass them to
/// `ckks_engine_create`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn ckks_keygen_sum_keys(
    kg: *const CkksKeyGenerator,
    sk: *const CkksSecretKey,
    kind: u32,
    radix: usize,
    span: usize,
    level: usize,
    out_keys: *mut *mut CkksGaloisKeys,
    out_kind: *mut u32,
    out_radix: *mut usize,
) -> CkksStatus {
    guard(|| {
        check_out(out_keys, "out_keys")?;
        check_out(out_kind, "out_kind")?;
        check_out(out_radix, "out_radix")?;
        let k = get::<KeyGen, _>(kg, "kg")?;
        let s = get::<Sk, _>(sk, "sk")?;
        let choice = resolve_sum(kind, radix)?;
        let (method, gk) = lock(&k.0).sum_keys(&s.0, choice, span, level)?;
        let (kind, radix) = match &method {
            SumMethod::Tree => (CkksSum::Tree as u32, 0),
            SumMethod::Hoisted(plan) => (CkksSum::Hoisted as u32, plan.max_radix()),
        };
        write_out(out_keys, register(Gk(gk)), "out_keys")?;
        write_out(out_kind, kind, "out_kind")?;
        write_out(out_radix, radix, "out_radix")
    })
}

// ---- encoding and encryption ---------------------------------------------------------------------

/// Encodes `count` ≤ slots real values at `scale` (≤ 0: the default scale) and `level`
/// (`SIZE_MAX`: the top level).
#[unsafe(no_mangle)]
pub extern "C" fn ckks_encode(
    ctx: *const CkksContext,
    values: *const f64,
    count: usize,
    scale: f64,
    level: usize,
    out: *mut *mut CkksPlaintext,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let c = get::<Ctx, _>(ctx, "ctx")?;
        let v = slice(values, count, "values")?;
        let p = c.ctx.params();
        let scale = if scale > 0.0 {
            scale
        } else {
            p.default_scale()
        };
        let level = if level == TOP_LEVEL {
            p.max_level()
        } else {
            level
        };
        let pt = c.encoder.encode(v, scale, level)?;
        write_out(out, register(Pt(pt)), "out")
    })
}

/// Decodes a plaintext: writes min(`cap`, slots) values to `out` (may be NULL with `cap` 0) and
/// the number of slots to `*written`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_decode(
    ctx: *const CkksContext,
    pt: *const CkksPlaintext,
    out: *mut f64,
    cap: usize,
    written: *mut usize,
) -> CkksStatus {
    guard(|| {
        check_out(written, "written")?;
        let c = get::<Ctx, _>(ctx, "ctx")?;
        let p = get::<Pt, _>(pt, "pt")?;
        let values = c.encoder.decode(&p.0)?;
        let k = cap.min(values.len());
        slice_mut(out, k, "out")?.copy_from_slice(&values[..k]);
        write_out(written, values.len(), "written")
    })
}

/// Creates a public-key encryptor (randomness from the operating system).
#[unsafe(no_mangle)]
pub extern "C" fn ckks_encryptor_create(
    ctx: *const CkksContext,
    pk: *const CkksPublicKey,
    out: *mut *mut CkksEncryptor,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let c = get::<Ctx, _>(ctx, "ctx")?;
        let k = get::<Pk, _>(pk, "pk")?;
        let e = Encryptor::with_public_key(c.ctx.clone(), &k.0)?;
        write_out(out, register(Enc(Mutex::new(e))), "out")
    })
}

/// Creates a secret-key (symmetric) encryptor.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_encryptor_create_symmetric(
    ctx: *const CkksContext,
    sk: *const CkksSecretKey,
    out: *mut *mut CkksEncryptor,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let c = get::<Ctx, _>(ctx, "ctx")?;
        let k = get::<Sk, _>(sk, "sk")?;
        let e = Encryptor::with_secret_key(c.ctx.clone(), &k.0)?;
        write_out(out, register(Enc(Mutex::new(e))), "out")
    })
}

/// Encrypts a plaintext.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_encrypt(
    enc: *const CkksEncryptor,
    pt: *const CkksPlaintext,
    out: *mut *mut CkksCiphertext,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let e = get::<Enc, _>(enc, "enc")?;
        let p = get::<Pt, _>(pt, "pt")?;
        let ct = lock(&e.0).encrypt(&p.0)?;
        write_out(out, register(Ct(ct)), "out")
    })
}

/// Creates a decryptor.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_decryptor_create(
    ctx: *const CkksContext,
    sk: *const CkksSecretKey,
    out: *mut *mut CkksDecryptor,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let c = get::<Ctx, _>(ctx, "ctx")?;
        let k = get::<Sk, _>(sk, "sk")?;
        let d = Decryptor::new(c.ctx.clone(), &k.0)?;
        write_out(out, register(Dec(d)), "out")
    })
}

/// Decrypts a ciphertext (degree 2 or 3).
#[unsafe(no_mangle)]
pub extern "C" fn ckks_decrypt(
    dec: *const CkksDecryptor,
    ct: *const CkksCiphertext,
    out: *mut *mut CkksPlaintext,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let d = get::<Dec, _>(dec, "dec")?;
        let c = get::<Ct, _>(ct, "ct")?;
        let pt = d.0.decrypt(&c.0)?;
        write_out(out, register(Pt(pt)), "out")
    })
}

/// Reports a ciphertext's level, scale and degree (number of parts); pointers may be NULL.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_ciphertext_info(
    ct: *const CkksCiphertext,
    level: *mut usize,
    scale: *mut f64,
    degree: *mut usize,
) -> CkksStatus {
    guard(|| {
        let c = get::<Ct, _>(ct, "ct")?;
        if !level.is_null() {
            write_out(level, c.0.level(), "level")?;
        }
        if !scale.is_null() {
            write_out(scale, c.0.scale(), "scale")?;
        }
        if !degree.is_null() {
            write_out(degree, c.0.degree(), "degree")?;
        }
        Ok(())
    })
}

// ---- evaluation ----------------------------------------------------------------------------------

/// Creates an evaluator with the optional relinearization key and Galois keys (either may be
/// NULL; operations needing a missing key fail with `CKKS_STATUS_MISSING_KEY`). The keys are
/// copied: the handles may be freed afterwards.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_evaluator_create(
    ctx: *const CkksContext,
    relin: *const CkksRelinKey,
    galois: *const CkksGaloisKeys,
    out: *mut *mut CkksEvaluator,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let c = get::<Ctx, _>(ctx, "ctx")?;
        let relin = if relin.is_null() {
            None
        } else {
            Some(get::<Rlk, _>(relin, "relin")?.0.clone())
        };
        let galois = if galois.is_null() {
            GaloisKeys::default()
        } else {
            get::<Gk, _>(galois, "galois")?.0.clone()
        };
        let eval = Evaluator::new(c.ctx.clone(), Arc::new(EvaluationKeys { relin, galois }))?;
        write_out(
            out,
            register(Eval {
                eval,
                pool: Mutex::new(Vec::new()),
            }),
            "out",
        )
    })
}

/// Runs `f` with a scratch arena from the evaluator's pool (created on first use per
/// concurrent caller, then reused).
fn with_eval<R>(
    ev: *const CkksEvaluator,
    f: impl FnOnce(&Evaluator, &mut EvaluatorScratch) -> FfiResult<R>,
) -> FfiResult<R> {
    let e = get::<Eval, _>(ev, "eval")?;
    let mut scratch = lock(&e.pool).pop().unwrap_or_else(|| e.eval.scratch());
    let r = f(&e.eval, &mut scratch);
    lock(&e.pool).push(scratch);
    r
}

fn unary(
    ev: *const CkksEvaluator,
    ct: *const CkksCiphertext,
    out: *mut *mut CkksCiphertext,
    op: impl FnOnce(&Evaluator, &Ciphertext, &mut EvaluatorScratch) -> accel::Result<Ciphertext>,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let c = get::<Ct, _>(ct, "ct")?;
        let r = with_eval(ev, |e, s| Ok(op(e, &c.0, s)?))?;
        write_out(out, register(Ct(r)), "out")
    })
}

fn binary(
    ev: *const CkksEvaluator,
    a: *const CkksCiphertext,
    b: *const CkksCiphertext,
    out: *mut *mut CkksCiphertext,
    op: impl FnOnce(
        &Evaluator,
        &Ciphertext,
        &Ciphertext,
        &mut EvaluatorScratch,
    ) -> accel::Result<Ciphertext>,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let x = get::<Ct, _>(a, "a")?;
        let y = get::<Ct, _>(b, "b")?;
        let r = with_eval(ev, |e, s| Ok(op(e, &x.0, &y.0, s)?))?;
        write_out(out, register(Ct(r)), "out")
    })
}

/// `out = a + b` (same level and scale).
#[unsafe(no_mangle)]
pub extern "C" fn ckks_add(
    eval: *const CkksEvaluator,
    a: *const CkksCiphertext,
    b: *const CkksCiphertext,
    out: *mut *mut CkksCiphertext,
) -> CkksStatus {
    binary(eval, a, b, out, |e, x, y, _| e.add(x, y))
}

/// `out = a − b` (same level and scale).
#[unsafe(no_mangle)]
pub extern "C" fn ckks_sub(
    eval: *const CkksEvaluator,
    a: *const CkksCiphertext,
    b: *const CkksCiphertext,
    out: *mut *mut CkksCiphertext,
) -> CkksStatus {
    binary(eval, a, b, out, |e, x, y, _| e.sub(x, y))
}

/// `out = a ⊗ b`: degree 3, scale a.scale·b.scale (relinearize and rescale next).
#[unsafe(no_mangle)]
pub extern "C" fn ckks_mul(
    eval: *const CkksEvaluator,
    a: *const CkksCiphertext,
    b: *const CkksCiphertext,
    out: *mut *mut CkksCiphertext,
) -> CkksStatus {
    binary(eval, a, b, out, |e, x, y, _| e.mul(x, y))
}

/// Relinearizes a degree-3 ciphertext (needs the relinearization key).
#[unsafe(no_mangle)]
pub extern "C" fn ckks_relinearize(
    eval: *const CkksEvaluator,
    ct: *const CkksCiphertext,
    out: *mut *mut CkksCiphertext,
) -> CkksStatus {
    unary(eval, ct, out, |e, c, s| e.relinearize(c, s))
}

/// Rescales: divides by the last prime of the level (level − 1, scale / q_level).
#[unsafe(no_mangle)]
pub extern "C" fn ckks_rescale(
    eval: *const CkksEvaluator,
    ct: *const CkksCiphertext,
    out: *mut *mut CkksCiphertext,
) -> CkksStatus {
    unary(eval, ct, out, |e, c, s| e.rescale(c, s))
}

/// Rotates the slots left by `steps` (negative: right); needs that rotation's Galois key.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_rotate(
    eval: *const CkksEvaluator,
    ct: *const CkksCiphertext,
    steps: i64,
    out: *mut *mut CkksCiphertext,
) -> CkksStatus {
    unary(eval, ct, out, |e, c, s| e.rotate(c, steps, s))
}

/// One encrypted inner product of two length-`dim` vectors (power of two ≤ slots): multiply,
/// relinearize, rescale, then the tree sum over `dim` slots (needs rotation keys 1, 2, …,
/// dim/2). Slot 0 of the result (and every slot k·dim) holds Σ a_i·b_i.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_inner_product(
    eval: *const CkksEvaluator,
    a: *const CkksCiphertext,
    b: *const CkksCiphertext,
    dim: usize,
    out: *mut *mut CkksCiphertext,
) -> CkksStatus {
    binary(eval, a, b, out, |e, x, y, s| {
        let mut r = x.clone();
        e.inner_product_into(x, y, dim, &mut r, s)?;
        Ok(r)
    })
}

// ---- the parallel batch --------------------------------------------------------------------------

/// Creates the parallel inner-product engine for vectors of length `dim` on `threads` workers
/// (0: `RAYON_NUM_THREADS` or every core), summing with `sum_kind` (`CKKS_SUM_TREE` or
/// `CKKS_SUM_HOISTED` with `radix`, as reported by `ckks_keygen_sum_keys`). The evaluator
/// must hold the relinearization key and the sum's rotation keys.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_engine_create(
    eval: *const CkksEvaluator,
    threads: usize,
    sum_kind: u32,
    radix: usize,
    dim: usize,
    out: *mut *mut CkksEngine,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let e = get::<Eval, _>(eval, "eval")?;
        let method = match resolve_sum(sum_kind, radix)? {
            SumChoice::Tree => SumMethod::Tree,
            SumChoice::Hoisted(Some(r)) => SumMethod::Hoisted(SumPlan::radix(dim, r)?),
            _ => {
                return fail(
                    CkksStatus::InvalidArgument,
                    "the engine needs a resolved sum: CKKS_SUM_TREE, or CKKS_SUM_HOISTED with a radix",
                );
            }
        };
        e.eval.check_sum(&method, dim)?;
        let config = EngineConfig {
            threads: (threads != 0).then_some(threads),
            mode: Mode::Auto,
            ..Default::default()
        };
        let engine = InnerProductEngine::new(e.eval.clone(), config)?.with_sum(method, None);
        write_out(out, register(Engine(engine)), "out")
    })
}

/// Runs `count` inner products `a[i] · b[i]` (arrays of `count` ciphertext handles) over the
/// engine's workers, for vectors of `dim` slots (as given to `ckks_engine_create`), and
/// writes `count` new ciphertext handles to `out` in input order. On error nothing is written
/// and the message names the failing pair.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_engine_run(
    engine: *const CkksEngine,
    a: *const *const CkksCiphertext,
    b: *const *const CkksCiphertext,
    count: usize,
    dim: usize,
    out: *mut *mut CkksCiphertext,
) -> CkksStatus {
    guard(|| {
        let eng = get::<Engine, _>(engine, "engine")?;
        let ha = slice(a, count, "a")?;
        let hb = slice(b, count, "b")?;
        let dst = slice_mut(out, count, "out")?;
        let pairs = ha
            .iter()
            .zip(hb)
            .enumerate()
            .map(|(i, (&x, &y))| {
                Ok((
                    get::<Ct, _>(x, &format!("a[{i}]"))?.0.clone(),
                    get::<Ct, _>(y, &format!("b[{i}]"))?.0.clone(),
                ))
            })
            .collect::<FfiResult<Vec<_>>>()?;
        let results = eng.0.run(&pairs, dim)?;
        for (slot, ct) in dst.iter_mut().zip(results) {
            *slot = register(Ct(ct));
        }
        Ok(())
    })
}

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
