//! The evaluation-key bundle: relinearization key, Galois keys and the inner sum they were made
//! for, as one object of the crate's format (readable from Rust, C and Python alike).

use super::*;
use accel::ckks::KeyBundle;

pub(crate) struct Bundle {
    ctx: Arc<RustContext>,
    bundle: KeyBundle,
}

/// Evaluation keys (optional relinearization key, Galois keys) plus the inner-sum length and
/// method they were generated for; serialized as one checked object (`ckks_key_bundle_*`).
///
/// Opaque: only used through pointers returned by this library.
pub struct CkksKeyBundle {
    _opaque: [u8; 0],
}
handle_kind!(CkksKeyBundle => Bundle);

/// Releases a `CkksKeyBundle` (NULL is a no-op). Using the handle afterwards, or freeing it
/// twice, returns `CKKS_STATUS_INVALID_HANDLE`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_key_bundle_free(handle: *mut CkksKeyBundle) -> CkksStatus {
    guard(|| release::<Bundle, CkksKeyBundle>(handle, "handle"))
}

/// Builds a bundle from a relinearization key and Galois keys (either may be NULL; they are
/// copied, so the handles may be freed afterwards) and a sum description: `dim` 0 means none
/// (`sum_kind` and `radix` are then ignored); otherwise `sum_kind` is `CKKS_SUM_TREE`, or
/// `CKKS_SUM_HOISTED` with `radix` a power of two in 2..=`dim` (as reported by
/// `ckks_keygen_sum_keys`).
/// Refused (`CKKS_STATUS_INVALID_ARGUMENT`) unless `dim` is a power of two ≤ slots and every
/// rotation key the sum needs is present; keys of other parameters are `CKKS_STATUS_MISMATCH`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_key_bundle_create(
    ctx: *const CkksContext,
    relin: *const CkksRelinKey,
    galois: *const CkksGaloisKeys,
    sum_kind: u32,
    radix: usize,
    dim: usize,
    out: *mut *mut CkksKeyBundle,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let c = get::<Ctx, _>(ctx, "ctx")?;
        let keys = optional_keys(relin, galois)?;
        let sum = if dim == 0 {
            None
        } else {
            let method = match sum_kind {
                0 => SumMethod::Tree,
                1 if (2..=dim.max(2)).contains(&radix) => {
                    SumMethod::Hoisted(SumPlan::radix(dim, radix)?)
                }
                1 => {
                    return fail(
                        CkksStatus::InvalidArgument,
                        format!(
                            "radix {radix}: a bundle needs a resolved radix (a power of two in 2..={dim})"
                        ),
                    );
                }
                k => {
                    return fail(
                        CkksStatus::InvalidArgument,
                        format!("sum_kind {k}: CKKS_SUM_TREE or CKKS_SUM_HOISTED"),
                    );
                }
            };
            Some((dim, method))
        };
        let bundle = KeyBundle {
            keys: Arc::new(keys),
            sum,
        };
        bundle.check(&c.ctx)?;
        write_out(
            out,
            register(Bundle {
                ctx: c.ctx.clone(),
                bundle,
            }),
            "out",
        )
    })
}

/// A bundle to bytes: every key in full (`compressed == 0`) or compressed (`b` halves and
/// 32-byte seeds, about half the bytes; `CKKS_STATUS_INVALID_ARGUMENT` unless every key was
/// generated seeded). Two-call pattern: `buf` NULL or `cap` too small → `*written` = bytes
/// needed and `CKKS_STATUS_BUFFER_TOO_SMALL`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_key_bundle_serialize(
    bundle: *const CkksKeyBundle,
    compressed: i32,
    buf: *mut u8,
    cap: usize,
    written: *mut usize,
) -> CkksStatus {
    guard(|| {
        let b = get::<Bundle, _>(bundle, "bundle")?;
        let bytes = if compressed != 0 {
            b.bundle.to_bytes_compressed(&b.ctx)?
        } else {
            b.bundle.to_bytes(&b.ctx)?
        };
        write_bytes(&bytes, buf, cap, written)
    })
}

/// A bundle from `len` bytes, checked against the context's parameters: every key as its own
/// deserializer checks it, and the sum description against the keys (`dim` a power of two ≤
/// slots, a well-formed plan over `dim`, every rotation key it needs present); any failure is
/// `CKKS_STATUS_DESERIALIZE` (`CKKS_STATUS_MISMATCH` for another parameter set).
#[unsafe(no_mangle)]
pub extern "C" fn ckks_key_bundle_deserialize(
    ctx: *const CkksContext,
    buf: *const u8,
    len: usize,
    out: *mut *mut CkksKeyBundle,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let c = get::<Ctx, _>(ctx, "ctx")?;
        let bundle = KeyBundle::from_bytes(&c.ctx, slice(buf, len, "buf")?)?;
        write_out(
            out,
            register(Bundle {
                ctx: c.ctx.clone(),
                bundle,
            }),
            "out",
        )
    })
}

/// Describes a bundle (any pointer may be NULL): whether it holds a relinearization key, the
/// number of Galois keys, the sum's `dim` (0: no description), its kind (`CKKS_SUM_TREE` or
/// `CKKS_SUM_HOISTED`) and the hoisted plan's largest radix (0 for the tree).
#[unsafe(no_mangle)]
pub extern "C" fn ckks_key_bundle_info(
    bundle: *const CkksKeyBundle,
    has_relin: *mut i32,
    galois_keys: *mut usize,
    dim: *mut usize,
    sum_kind: *mut u32,
    radix: *mut usize,
) -> CkksStatus {
    guard(|| {
        let b = get::<Bundle, _>(bundle, "bundle")?;
        let k = &b.bundle;
        let (d, kind, r) = match &k.sum {
            None => (0, CkksSum::Tree as u32, 0),
            Some((d, SumMethod::Tree)) => (*d, CkksSum::Tree as u32, 0),
            Some((d, SumMethod::Hoisted(p))) => (*d, CkksSum::Hoisted as u32, p.max_radix()),
        };
        if !has_relin.is_null() {
            write_out(has_relin, k.keys.relin.is_some() as i32, "has_relin")?;
        }
        for (ptr, v, what) in [
            (galois_keys, k.keys.galois.len(), "galois_keys"),
            (dim, d, "dim"),
            (radix, r, "radix"),
        ] {
            if !ptr.is_null() {
                write_out(ptr, v, what)?;
            }
        }
        if !sum_kind.is_null() {
            write_out(sum_kind, kind, "sum_kind")?;
        }
        Ok(())
    })
}

/// A copy of the bundle's relinearization key (`CKKS_STATUS_MISSING_KEY` if it has none).
#[unsafe(no_mangle)]
pub extern "C" fn ckks_key_bundle_relin_key(
    bundle: *const CkksKeyBundle,
    out: *mut *mut CkksRelinKey,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let b = get::<Bundle, _>(bundle, "bundle")?;
        match &b.bundle.keys.relin {
            Some(r) => write_out(out, register(Rlk(r.clone())), "out"),
            None => fail(
                CkksStatus::MissingKey,
                "the bundle holds no relinearization key",
            ),
        }
    })
}

/// A copy of the bundle's Galois keys (possibly empty).
#[unsafe(no_mangle)]
pub extern "C" fn ckks_key_bundle_galois_keys(
    bundle: *const CkksKeyBundle,
    out: *mut *mut CkksGaloisKeys,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let b = get::<Bundle, _>(bundle, "bundle")?;
        write_out(out, register(Gk(b.bundle.keys.galois.clone())), "out")
    })
}

/// Creates an evaluator holding the bundle's keys (shared with the bundle, not copied; the
/// bundle may be freed afterwards).
#[unsafe(no_mangle)]
pub extern "C" fn ckks_evaluator_create_from_bundle(
    bundle: *const CkksKeyBundle,
    out: *mut *mut CkksEvaluator,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let b = get::<Bundle, _>(bundle, "bundle")?;
        let eval = Evaluator::new(b.ctx.clone(), b.bundle.keys.clone())?;
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

/// Creates the parallel inner-product engine for the bundle's sum description (its `dim` and
/// exact method, non-uniform hoisted plans included) on `threads` workers (0:
/// `RAYON_NUM_THREADS` or every core). Run it with `ckks_engine_run` and that `dim`.
/// `CKKS_STATUS_INVALID_ARGUMENT` if the bundle has no sum description;
/// `CKKS_STATUS_MISSING_KEY` if it lacks the relinearization key.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_engine_create_from_bundle(
    bundle: *const CkksKeyBundle,
    threads: usize,
    out: *mut *mut CkksEngine,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let b = get::<Bundle, _>(bundle, "bundle")?;
        let Some((dim, method)) = b.bundle.sum.clone() else {
            return fail(
                CkksStatus::InvalidArgument,
                "the bundle has no sum description (made without a dim)",
            );
        };
        if b.bundle.keys.relin.is_none() {
            return fail(
                CkksStatus::MissingKey,
                "inner products need the relinearization key, which the bundle lacks",
            );
        }
        let eval = Evaluator::new(b.ctx.clone(), b.bundle.keys.clone())?;
        eval.check_sum(&method, dim)?;
        let config = EngineConfig {
            threads: (threads != 0).then_some(threads),
            mode: Mode::Auto,
            ..Default::default()
        };
        let engine = InnerProductEngine::new(eval, config)?.with_sum(method, None);
        write_out(out, register(Engine(engine)), "out")
    })
}
