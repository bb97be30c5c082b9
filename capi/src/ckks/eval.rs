//! Encoding, encryption, evaluation and the parallel inner-product batch.

use super::*;

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

/// Creates a secret-key encryptor of *compressed* (seeded) ciphertexts: each ciphertext's
/// uniform part is expanded from a fresh 32-byte seed it keeps, so `ckks_ciphertext_serialize`
/// writes about half the bytes (format kind 11) until an operation changes the ciphertext;
/// `ckks_ciphertext_deserialize` reads both forms.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_encryptor_create_compressed(
    ctx: *const CkksContext,
    sk: *const CkksSecretKey,
    out: *mut *mut CkksEncryptor,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let c = get::<Ctx, _>(ctx, "ctx")?;
        let k = get::<Sk, _>(sk, "sk")?;
        let e = Encryptor::with_secret_key(c.ctx.clone(), &k.0)?.seeded(true)?;
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
        let eval = Evaluator::new(c.ctx.clone(), Arc::new(optional_keys(relin, galois)?))?;
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
        let method = match resolve_sum(sum_kind, radix, dim)? {
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
