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

/// A `CkksSum` and radix for sums over `span` slots: a radix above the span is refused (it
/// would be clamped to one step over the span otherwise).
/// Evaluation keys from optional handles: NULL `relin` → no relinearization key, NULL
/// `galois` → no rotation keys.
fn optional_keys(
    relin: *const CkksRelinKey,
    galois: *const CkksGaloisKeys,
) -> FfiResult<EvaluationKeys> {
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
    Ok(EvaluationKeys { relin, galois })
}

fn resolve_sum(kind: u32, radix: usize, span: usize) -> FfiResult<SumChoice> {
    if kind == CkksSum::Hoisted as u32 && radix > span.max(2) {
        return fail(
            CkksStatus::InvalidArgument,
            format!("radix {radix} is larger than the span {span} (a power of two in 2..={span})"),
        );
    }
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
/// `ckks_engine_create` (or to `ckks_key_bundle_create`). A `level` above the top level is
/// `CKKS_STATUS_INVALID_ARGUMENT` whatever the kind.
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
        let choice = resolve_sum(kind, radix, span)?;
        // Auto measures at `level` and refuses a level the parameters lack; refuse it for the
        // tree and a given radix too (nothing is measured there, but the caller's level is
        // just as wrong).
        let max =
            k.0.lock()
                .unwrap_or_else(|p| p.into_inner())
                .context()
                .params()
                .max_level();
        if level > max {
            return Err(accel::Error::InvalidLevel { level, min: 0, max }.into());
        }
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

mod batch;
pub use batch::*;
mod bundle;
pub use bundle::*;
mod eval;
pub use eval::*;
mod serialize;
pub use serialize::*;
