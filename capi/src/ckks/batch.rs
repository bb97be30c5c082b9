//! Planned batches through the C ABI: a calibrated plan and exactly its keys
//! (`ckks_batch_keys`), a batch encrypted from two k×dim row-major double arrays
//! (`ckks_batch_encrypt`), the run (`ckks_engine_run_batch`: one result ciphertext per group),
//! decryption into k doubles (`ckks_batch_decrypt`) and serialization (kind 10).

use super::*;
use crate::Fail;
use accel::parallel::{BatchPlan, BatchRequest, EncryptedBatch};

pub(crate) struct Plan(BatchPlan);
pub(crate) struct Batch(EncryptedBatch);

/// A planned batch layout (block size, products per ciphertext, tiles per group, sum, levels).
///
/// Opaque: only used through pointers returned by this library.
pub struct CkksBatchPlan {
    _opaque: [u8; 0],
}
handle_kind!(CkksBatchPlan => Plan);

/// Encrypted tile pairs laid out for a plan.
///
/// Opaque: only used through pointers returned by this library.
pub struct CkksBatch {
    _opaque: [u8; 0],
}
handle_kind!(CkksBatch => Batch);

/// What a plan decided (`ckks_batch_plan_info`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct CkksBatchPlanInfo {
    /// Products k.
    pub count: usize,
    /// Vector length.
    pub dim: usize,
    /// Block size b (slots per product in one tile).
    pub block: usize,
    /// Products per ciphertext m.
    pub per_ciphertext: usize,
    /// Tile pairs per group T.
    pub tiles: usize,
    /// Groups (result ciphertexts of a run).
    pub groups: usize,
    /// Sum over each block: `CKKS_SUM_TREE` or `CKKS_SUM_HOISTED`.
    pub sum_kind: u32,
    /// The hoisted plan's largest radix (0 for the tree).
    pub radix: usize,
    /// Level of the results.
    pub output_level: usize,
    /// Level of the tensors: inputs must be at this level or above.
    pub tensor_level: usize,
    /// Key switches per product.
    pub key_switches_per_product: f64,
    /// Predicted wall time in seconds on the requested threads.
    pub predicted_s: f64,
}

/// Releases a `CkksBatchPlan` (NULL is a no-op).
#[unsafe(no_mangle)]
pub extern "C" fn ckks_batch_plan_free(handle: *mut CkksBatchPlan) -> CkksStatus {
    guard(|| release::<Plan, CkksBatchPlan>(handle, "handle"))
}

/// Releases a `CkksBatch` (NULL is a no-op).
#[unsafe(no_mangle)]
pub extern "C" fn ckks_batch_free(handle: *mut CkksBatch) -> CkksStatus {
    guard(|| release::<Batch, CkksBatch>(handle, "handle"))
}

/// Plans `k` inner products of length `dim` on `threads` workers (0: every core), calibrating
/// this machine's unit costs, and generates exactly the plan's keys: `*out_relin` (the
/// relinearization key) and `*out_galois` (the sum's rotation keys; empty for b = 1) — build
/// the evaluator with `ckks_evaluator_create(ctx, relin, galois, …)`.
///
/// `block`: 0 for the planner's choice, else a power of two; `sum_kind`: `CKKS_SUM_AUTO`,
/// `CKKS_SUM_TREE` or `CKKS_SUM_HOISTED` with `radix`; `output_level`: `SIZE_MAX` for the lowest
/// level that holds `dim · value_bound²`; `value_bound`: bound on every |x|, |y| (e.g. 1.0).
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn ckks_batch_keys(
    kg: *const CkksKeyGenerator,
    sk: *const CkksSecretKey,
    k: usize,
    dim: usize,
    threads: usize,
    block: usize,
    sum_kind: u32,
    radix: usize,
    output_level: usize,
    value_bound: f64,
    out_plan: *mut *mut CkksBatchPlan,
    out_relin: *mut *mut CkksRelinKey,
    out_galois: *mut *mut CkksGaloisKeys,
) -> CkksStatus {
    guard(|| {
        check_out(out_plan, "out_plan")?;
        check_out(out_relin, "out_relin")?;
        check_out(out_galois, "out_galois")?;
        let g = get::<KeyGen, _>(kg, "kg")?;
        let s = get::<Sk, _>(sk, "sk")?;
        if threads > accel::parallel::MAX_THREADS {
            return fail(
                CkksStatus::InvalidArgument,
                format!(
                    "threads = {threads}: at most {}",
                    accel::parallel::MAX_THREADS
                ),
            );
        }
        let threads = if threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            threads
        };
        let mut req = BatchRequest::new(k, dim, threads);
        req.block = (block != 0).then_some(block);
        req.sum = match sum_kind {
            0 => SumChoice::Tree,
            1 if radix >= 2 && radix.is_power_of_two() && radix <= SumChoice::MAX_RADIX => {
                SumChoice::Hoisted(Some(radix))
            }
            1 => {
                return fail(
                    CkksStatus::InvalidArgument,
                    format!(
                        "radix {radix} must be a power of two in 2..={}",
                        SumChoice::MAX_RADIX
                    ),
                );
            }
            2 => SumChoice::Auto,
            other => {
                return fail(
                    CkksStatus::InvalidArgument,
                    format!("unknown sum method {other}"),
                );
            }
        };
        req.output_level = (output_level != usize::MAX).then_some(output_level);
        req.value_bound = value_bound;
        let (plan, keys) = lock(&g.0).batch_keys(&s.0, &req)?;
        let relin = keys
            .relin
            .expect("a two-sided plan has a relinearization key");
        write_out(out_plan, register(Plan(plan)), "out_plan")?;
        write_out(out_relin, register(Rlk(relin)), "out_relin")?;
        write_out(out_galois, register(Gk(keys.galois)), "out_galois")
    })
}

/// What `plan` decided.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_batch_plan_info(
    plan: *const CkksBatchPlan,
    out: *mut CkksBatchPlanInfo,
) -> CkksStatus {
    guard(|| {
        let p = &get::<Plan, _>(plan, "plan")?.0;
        let (sum_kind, radix) = match &p.sum {
            SumMethod::Tree => (CkksSum::Tree as u32, 0),
            SumMethod::Hoisted(h) => (CkksSum::Hoisted as u32, h.max_radix()),
        };
        write_out(
            out,
            CkksBatchPlanInfo {
                count: p.count,
                dim: p.layout.dim,
                block: p.layout.block,
                per_ciphertext: p.layout.per_ciphertext,
                tiles: p.layout.tiles,
                groups: p.groups,
                sum_kind,
                radix,
                output_level: p.output_level,
                tensor_level: p.tensor_level,
                key_switches_per_product: p.key_switches_per_product(),
                predicted_s: p.predicted_s,
            },
            "out",
        )
    })
}

/// Lays out and encrypts `k` pairs for `plan`: `x` and `y` are row-major `k × dim` arrays of
/// doubles (row i is vector i), every value finite with |v| ≤ the plan's value bound; tiles
/// are encrypted with `enc` (public or secret key) at `level` (`SIZE_MAX`: the top level).
/// On error nothing is created.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn ckks_batch_encrypt(
    plan: *const CkksBatchPlan,
    ctx: *const CkksContext,
    enc: *const CkksEncryptor,
    x: *const f64,
    y: *const f64,
    k: usize,
    dim: usize,
    level: usize,
    out: *mut *mut CkksBatch,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let p = &get::<Plan, _>(plan, "plan")?.0;
        let c = get::<Ctx, _>(ctx, "ctx")?;
        let e = get::<Enc, _>(enc, "enc")?;
        if k != p.count || dim != p.layout.dim {
            return fail(
                CkksStatus::InvalidArgument,
                format!(
                    "{k} × {dim} values for a plan of {} products of dim {}",
                    p.count, p.layout.dim
                ),
            );
        }
        let len = k.checked_mul(dim).ok_or_else(|| Fail {
            status: CkksStatus::InvalidArgument,
            msg: "k × dim overflows".into(),
        })?;
        let (xv, yv) = (slice(x, len, "x")?, slice(y, len, "y")?);
        let rows = |v: &[f64]| v.chunks(dim).map(<[f64]>::to_vec).collect::<Vec<_>>();
        let level = (level != usize::MAX).then_some(level);
        let batch =
            EncryptedBatch::encrypt(p, &rows(xv), &rows(yv), level, &c.encoder, &mut lock(&e.0))?;
        write_out(out, register(Batch(batch)), "out")
    })
}

/// Groups of `batch` (the number of result ciphertexts a run writes).
#[unsafe(no_mangle)]
pub extern "C" fn ckks_batch_groups(batch: *const CkksBatch, out: *mut usize) -> CkksStatus {
    guard(|| {
        let b = get::<Batch, _>(batch, "batch")?;
        write_out(out, b.0.plan().groups, "out")
    })
}

/// Creates an engine for planned batches on `threads` workers (0: every core). The evaluator
/// must hold the keys `ckks_batch_keys` returned.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_engine_create_for_batches(
    eval: *const CkksEvaluator,
    threads: usize,
    out: *mut *mut CkksEngine,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let e = get::<Eval, _>(eval, "eval")?;
        let config = EngineConfig {
            threads: (threads != 0).then_some(threads),
            mode: Mode::Tiled,
            ..Default::default()
        };
        let engine = InnerProductEngine::new(e.eval.clone(), config)?;
        write_out(out, register(Engine(engine)), "out")
    })
}

/// Runs `batch` on `engine`: writes `groups` new ciphertext handles to `out` (`groups` must be
/// `ckks_batch_groups(batch)`). On error nothing is written.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_engine_run_batch(
    engine: *const CkksEngine,
    batch: *const CkksBatch,
    out: *mut *mut CkksCiphertext,
    groups: usize,
) -> CkksStatus {
    guard(|| {
        let eng = get::<Engine, _>(engine, "engine")?;
        let b = get::<Batch, _>(batch, "batch")?;
        if groups != b.0.plan().groups {
            return fail(
                CkksStatus::InvalidArgument,
                format!(
                    "out has {groups} slots, the batch has {} groups",
                    b.0.plan().groups
                ),
            );
        }
        let dst = slice_mut(out, groups, "out")?;
        let (results, _) = eng.0.run_batch(&b.0, &|_, _| {})?;
        for (slot, ct) in dst.iter_mut().zip(results) {
            *slot = register(Ct(ct));
        }
        Ok(())
    })
}

/// Decrypts the `groups` results of a run of `batch` into the `k` products (`out`, input
/// order). Results of another batch or layout are refused; on error `out` is not written.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_batch_decrypt(
    batch: *const CkksBatch,
    ctx: *const CkksContext,
    dec: *const CkksDecryptor,
    results: *const *const CkksCiphertext,
    groups: usize,
    out: *mut f64,
    k: usize,
) -> CkksStatus {
    guard(|| {
        let b = get::<Batch, _>(batch, "batch")?;
        let c = get::<Ctx, _>(ctx, "ctx")?;
        let d = get::<Dec, _>(dec, "dec")?;
        if k != b.0.count() {
            return fail(
                CkksStatus::InvalidArgument,
                format!("out has {k} slots, the batch has {} products", b.0.count()),
            );
        }
        let cts = slice(results, groups, "results")?
            .iter()
            .enumerate()
            .map(|(i, &h)| Ok(get::<Ct, _>(h, &format!("results[{i}]"))?.0.clone()))
            .collect::<FfiResult<Vec<_>>>()?;
        let values = b.0.decrypt(&cts, &d.0, &c.encoder)?;
        slice_mut(out, k, "out")?.copy_from_slice(&values);
        Ok(())
    })
}

/// A batch to bytes (the crate's format, kind 10): `buf` NULL or `cap` too small →
/// `*written` = bytes needed and `CKKS_STATUS_BUFFER_TOO_SMALL`; else the bytes are written.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_batch_serialize(
    batch: *const CkksBatch,
    buf: *mut u8,
    cap: usize,
    written: *mut usize,
) -> CkksStatus {
    guard(|| {
        let b = get::<Batch, _>(batch, "batch")?;
        write_bytes(&b.0.to_bytes(), buf, cap, written)
    })
}

/// A batch from `len` bytes, checked against the context's parameters.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_batch_deserialize(
    ctx: *const CkksContext,
    buf: *const u8,
    len: usize,
    out: *mut *mut CkksBatch,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let c = get::<Ctx, _>(ctx, "ctx")?;
        let b = EncryptedBatch::from_bytes(&c.ctx, slice(buf, len, "buf")?)?;
        write_out(out, register(Batch(b)), "out")
    })
}
