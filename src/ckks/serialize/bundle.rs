//! The evaluation-key bundle ([`Kind::KeyBundle`]): the keys an evaluator needs and the inner
//! sum they were generated for, as one checked object (layout in the parent module's docs).

use super::objects::{get_switching_key, put_switching_key, require_seed, switching_key_len};
use super::{Kind, Reader, Writer, bad, read};
use crate::ckks::context::CkksContext;
use crate::ckks::keys::{EvaluationKeys, GaloisKeys, RelinKey};
use crate::ckks::sum::{SumMethod, SumPlan};
use crate::error::{Error, Result};
use std::sync::Arc;

/// Key encodings of a bundle (every switching key in it uses the bundle's).
const ENC_FULL: u8 = 0;
const ENC_SEEDED: u8 = 1;
/// Sum descriptions.
const SUM_NONE: u8 = 0;
const SUM_TREE: u8 = 1;
const SUM_HOISTED: u8 = 2;

/// Evaluation keys plus the inner sum they were made for: what an [`crate::ckks::Evaluator`]
/// or an [`crate::parallel::InnerProductEngine`] needs, serialized as one object of the
/// crate's format (kind [`Kind::KeyBundle`]) that C, Python and Rust all read.
///
/// `sum` is `Some((dim, method))` when the keys were generated for inner products over `dim`
/// slots summed by `method` ([`SumMethod::Tree`] or [`SumMethod::Hoisted`] with its full step
/// list, so non-uniform plans roundtrip), `None` for keys made by hand. Every byte of the
/// serialized bundle is covered by the frame's checksum, and loading checks the description
/// against the keys it describes: `dim` a power of two ≤ slots, the plan's span equal to
/// `dim`, its steps `(r, s)` powers of two with strides 1, r₀, r₀·r₁, … covering the span
/// exactly, and **every rotation key the method needs for `dim` present** — so a bundle that
/// loads never produces a wrong or failing sum for its own description.
///
/// ```
/// # use ckks_accel::ckks::*;
/// # let params = CkksParams::builder().ring_degree(1 << 10).q_bits(&[50, 40]).p_bits(&[50])
/// #     .dnum(2).log_scale(40).allow_insecure(true).build()?;
/// # let ctx = CkksContext::new(params)?;
/// let mut kg = KeyGenerator::from_seed(ctx.clone(), 7).with_seeded_keys(true);
/// let sk = kg.secret_key()?;
/// let (method, galois) = kg.sum_keys(&sk, SumChoice::Hoisted(Some(4)), 64, 0)?;
/// let bundle = KeyBundle {
///     keys: std::sync::Arc::new(EvaluationKeys { relin: Some(kg.relin_key(&sk)?), galois }),
///     sum: Some((64, method)),
/// };
/// let bytes = bundle.to_bytes_compressed(&ctx)?; // or to_bytes: every key in full
/// let back = KeyBundle::from_bytes(&ctx, &bytes)?;
/// assert_eq!(back.sum, bundle.sum);
/// assert_eq!(back.to_bytes_compressed(&ctx)?, bytes); // canonical
/// let eval = Evaluator::new(ctx.clone(), back.keys.clone())?; // shares the keys
/// # Ok::<(), ckks_accel::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct KeyBundle {
    /// The relinearization key (optional) and the Galois keys, shareable with an
    /// [`crate::ckks::Evaluator`] without a copy.
    pub keys: Arc<EvaluationKeys>,
    /// The inner-sum length and method the keys were made for, if any.
    pub sum: Option<(usize, SumMethod)>,
}

/// Why a sum description does not fit `ctx` and `galois` (`None`: it fits).
fn sum_problem(
    ctx: &CkksContext,
    galois: &GaloisKeys,
    dim: usize,
    method: &SumMethod,
) -> Option<String> {
    let slots = ctx.params().slots();
    if !dim.is_power_of_two() || dim > slots {
        return Some(format!(
            "sum dim {dim} must be a power of two ≤ {slots} slots"
        ));
    }
    if let SumMethod::Hoisted(plan) = method {
        if plan.span != dim {
            return Some(format!(
                "hoisted plan over {} slots described for dim {dim}",
                plan.span
            ));
        }
        let mut stride = 1usize;
        for (i, &(r, s)) in plan.steps.iter().enumerate() {
            if r < 2 || !r.is_power_of_two() {
                return Some(format!(
                    "plan step {i}: radix {r} must be a power of two ≥ 2"
                ));
            }
            if s != stride {
                return Some(format!(
                    "plan step {i}: stride {s}, expected {stride} (the product of the earlier radices)"
                ));
            }
            match stride.checked_mul(r) {
                Some(next) if next <= dim => stride = next,
                _ => {
                    return Some(format!(
                        "plan step {i} (radix {r}, stride {s}) reaches beyond the span {dim}"
                    ));
                }
            }
        }
        if stride != dim {
            return Some(format!(
                "plan steps cover {stride} of the span's {dim} slots"
            ));
        }
    }
    let n = ctx.params().n();
    let name = match method {
        SumMethod::Tree => "tree",
        SumMethod::Hoisted(_) => "hoisted",
    };
    method
        .rotation_steps(dim)
        .into_iter()
        .find(|&step| !galois.has_rotation(n, step))
        .map(|step| {
            format!(
                "the {name} sum over {dim} slots needs the rotation key for {step} steps, which the keys lack"
            )
        })
}

impl KeyBundle {
    /// Checks that the keys belong to `ctx` ([`Error::ParamsMismatch`]) and that the sum
    /// description is valid for them ([`Error::InvalidParameters`]; the same rules as loading,
    /// see the type's docs).
    pub fn check(&self, ctx: &CkksContext) -> Result<()> {
        if let Some(r) = &self.keys.relin {
            ctx.check_id(r.params_id)?;
        }
        if !self.keys.galois.is_empty() {
            ctx.check_id(self.keys.galois.params_id)?;
        }
        if let Some((dim, method)) = &self.sum
            && let Some(reason) = sum_problem(ctx, &self.keys.galois, *dim, method)
        {
            return Err(Error::InvalidParameters { reason });
        }
        Ok(())
    }

    /// Whether every key carries its seed (so [`KeyBundle::to_bytes_compressed`] works).
    pub fn is_seeded(&self) -> bool {
        self.keys.relin.as_ref().is_none_or(|r| r.is_seeded()) && self.keys.galois.is_seeded()
    }

    /// Serializes the bundle with every key in full, after [`KeyBundle::check`].
    pub fn to_bytes(&self, ctx: &CkksContext) -> Result<Vec<u8>> {
        self.check(ctx)?;
        Ok(self.write(ctx, false))
    }

    /// Serializes the bundle with every key compressed (its `b` parts and 32-byte seed, about
    /// half the bytes), after [`KeyBundle::check`]. Errors unless every key was generated
    /// seeded ([`crate::ckks::KeyGenerator::with_seeded_keys`]).
    pub fn to_bytes_compressed(&self, ctx: &CkksContext) -> Result<Vec<u8>> {
        self.check(ctx)?;
        if let Some(r) = &self.keys.relin {
            require_seed(&r.key, "the relinearization key")?;
        }
        for (&g, (_, k)) in &self.keys.galois.keys {
            require_seed(k, &format!("the Galois key {g}"))?;
        }
        Ok(self.write(ctx, true))
    }

    fn write(&self, ctx: &CkksContext, compressed: bool) -> Vec<u8> {
        let relin_len = self
            .keys
            .relin
            .as_ref()
            .map_or(0, |r| switching_key_len(&r.key, compressed));
        let sum_len = match &self.sum {
            None => 0,
            Some((_, SumMethod::Tree)) => 8,
            Some((_, SumMethod::Hoisted(p))) => 8 + 1 + 16 * p.steps.len(),
        };
        let len = 1 + 1 + relin_len + self.keys.galois.entries_len(compressed) + 1 + sum_len;
        let mut w = Writer::new(Kind::KeyBundle, ctx.params().id(), len);
        w.u8(if compressed { ENC_SEEDED } else { ENC_FULL });
        match &self.keys.relin {
            None => w.u8(0),
            Some(r) => {
                w.u8(1);
                put_switching_key(&mut w, &r.key, compressed);
            }
        }
        self.keys.galois.put_entries(&mut w, compressed);
        match &self.sum {
            None => w.u8(SUM_NONE),
            Some((dim, method)) => {
                w.u8(match method {
                    SumMethod::Tree => SUM_TREE,
                    SumMethod::Hoisted(_) => SUM_HOISTED,
                });
                w.u64(*dim as u64);
                if let SumMethod::Hoisted(p) = method {
                    // check() bounded the steps by log2(dim) ≤ 16.
                    w.u8(p.steps.len() as u8);
                    for &(r, s) in &p.steps {
                        w.u64(r as u64);
                        w.u64(s as u64);
                    }
                }
            }
        }
        w.finish()
    }

    /// Loads a bundle of `ctx`'s parameters: the frame checks of every object, the keys as
    /// [`RelinKey::from_bytes`] / [`GaloisKeys::from_bytes`] check them (one encoding for all),
    /// then the sum description against the keys (see the type's docs). Any failure is
    /// [`Error::Deserialize`] (or [`Error::ParamsMismatch`] for another parameter set).
    pub fn from_bytes(ctx: &CkksContext, bytes: &[u8]) -> Result<KeyBundle> {
        let (id, mut r) = read(Kind::KeyBundle, bytes)?;
        ctx.check_id(id)?;
        let seeded = match r.u8()? {
            ENC_FULL => false,
            ENC_SEEDED => true,
            e => return Err(bad(format!("key bundle: unknown key encoding {e}"))),
        };
        let relin = match r.u8()? {
            0 => None,
            1 => Some(RelinKey {
                params_id: id,
                key: get_switching_key(&mut r, ctx, None, Some(seeded))?,
            }),
            x => {
                return Err(bad(format!(
                    "key bundle: relinearization flag {x} is not 0/1"
                )));
            }
        };
        let galois = GaloisKeys {
            params_id: id,
            keys: GaloisKeys::get_entries(&mut r, ctx, Some(seeded))?,
        };
        let sum = read_sum(&mut r, ctx)?;
        r.finish()?;
        if let Some((dim, method)) = &sum
            && let Some(reason) = sum_problem(ctx, &galois, *dim, method)
        {
            return Err(bad(format!("key bundle: {reason}")));
        }
        Ok(KeyBundle {
            keys: Arc::new(EvaluationKeys { relin, galois }),
            sum,
        })
    }
}

/// The sum description; the plan's shape is checked by the caller (`sum_problem`).
fn read_sum(r: &mut Reader<'_>, ctx: &CkksContext) -> Result<Option<(usize, SumMethod)>> {
    let tag = r.u8()?;
    if tag == SUM_NONE {
        return Ok(None);
    }
    if tag != SUM_TREE && tag != SUM_HOISTED {
        return Err(bad(format!("key bundle: unknown sum method {tag}")));
    }
    let slots = ctx.params().slots();
    let dim = r.u64()?;
    let dim = usize::try_from(dim)
        .ok()
        .filter(|&d| d.is_power_of_two() && d <= slots)
        .ok_or_else(|| {
            bad(format!(
                "key bundle: sum dim {dim} must be a power of two ≤ {slots} slots"
            ))
        })?;
    if tag == SUM_TREE {
        return Ok(Some((dim, SumMethod::Tree)));
    }
    let count = r.u8()? as usize;
    // Every step has radix ≥ 2, so a valid plan has at most log2(dim) steps.
    let max = dim.trailing_zeros() as usize;
    if count > max {
        return Err(bad(format!(
            "key bundle: {count} plan steps, a plan over {dim} slots has at most {max}"
        )));
    }
    let mut steps = Vec::with_capacity(count);
    for _ in 0..count {
        let (rad, stride) = (r.u64()?, r.u64()?);
        let to_usize = |x: u64| {
            usize::try_from(x).map_err(|_| bad(format!("key bundle: plan value {x} out of range")))
        };
        steps.push((to_usize(rad)?, to_usize(stride)?));
    }
    Ok(Some((
        dim,
        SumMethod::Hoisted(SumPlan { span: dim, steps }),
    )))
}
