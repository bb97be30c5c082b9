//! The serialized form of an [`EncryptedBatch`] (kind 10 of the crate's format, see
//! `ckks::serialize`): the plan and its tile pairs in one checksummed frame.
//!
//! Payload, little-endian:
//!
//! | field | encoding |
//! |---|---|
//! | slots, dim, block, products per ciphertext, count k | u64 each |
//! | sum over the block | u8: 0 = tree, 1 = hoisted; for 1, steps u8 then (radix u64, stride u64) per step |
//! | output level | u64 (the tensor level is output level + 1) |
//! | value bound | f64 (finite, > 0) |
//! | predicted seconds | f64 (finite, ≥ 0) |
//! | reason | u32 length (≤ 4096) + UTF-8 bytes |
//! | tile pairs | u64 count (= groups × tiles), then per pair two ciphertexts, each u64 length + its own framed bytes (kind 6, or 11 for a seeded fresh tile: half the bytes) |
//!
//! Loading checks everything before it allocates: the layout (slots equal the parameters',
//! block a power of two, products per ciphertext in range), k ≥ 1, the sum plan's shape for the
//! block, the levels, the tile count against the plan and the bytes left, and every ciphertext
//! (its own checksum, parameters, residues, degree 2, level ≥ the tensor level, the batch's
//! format version). Whatever loads re-serializes to exactly its input (written as the current
//! format version: a version-2 batch comes back as version 3, same length).

use super::EncryptedBatch;
use super::layout::TiledLayout;
use super::plan::BatchPlan;
use crate::ckks::serialize::{
    HEADER, Kind, Reader, Writer, bad, frame_sum, nested_sums, payload_unverified, read, read_with,
};
use crate::ckks::{Ciphertext, CkksContext, SumMethod, SumPlan};
use crate::error::Result;

/// Longest plan reason stored.
const MAX_REASON: usize = 4096;
/// Smallest serialized ciphertext (frame + scale + parts + two one-limb polys of n ≥ 2).
const MIN_CT_BYTES: usize = 32 + 9;

fn write_sum(w: &mut Writer, sum: &SumMethod) {
    match sum {
        SumMethod::Tree => w.u8(0),
        SumMethod::Hoisted(p) => {
            w.u8(1);
            w.u8(p.steps.len() as u8);
            for &(r, s) in &p.steps {
                w.u64(r as u64);
                w.u64(s as u64);
            }
        }
    }
}

fn sum_len(sum: &SumMethod) -> usize {
    match sum {
        SumMethod::Tree => 1,
        SumMethod::Hoisted(p) => 2 + 16 * p.steps.len(),
    }
}

fn read_sum(r: &mut Reader<'_>, block: usize) -> Result<SumMethod> {
    match r.u8()? {
        0 => Ok(SumMethod::Tree),
        1 => {
            let count = r.u8()? as usize;
            if count > block.trailing_zeros() as usize {
                return Err(bad(format!("batch: {count} sum steps over {block} slots")));
            }
            let mut steps = Vec::with_capacity(count);
            let mut stride = 1usize;
            for i in 0..count {
                let (rad, s) = (r.u64()?, r.u64()?);
                let ok = rad >= 2
                    && rad.is_power_of_two()
                    && s == stride as u64
                    && (stride as u64)
                        .checked_mul(rad)
                        .is_some_and(|x| x <= block as u64);
                if !ok {
                    return Err(bad(format!(
                        "batch: sum step {i} (radix {rad}, stride {s}) is not a plan over {block} slots"
                    )));
                }
                steps.push((rad as usize, s as usize));
                stride *= rad as usize;
            }
            if stride != block {
                return Err(bad(format!(
                    "batch: sum steps cover {stride} of {block} slots"
                )));
            }
            Ok(SumMethod::Hoisted(SumPlan { span: block, steps }))
        }
        t => Err(bad(format!("batch: unknown sum method {t}"))),
    }
}

impl EncryptedBatch {
    /// Serializes the batch (plan and tile pairs) in the crate's format (kind 10).
    pub fn to_bytes(&self) -> Vec<u8> {
        let plan = self.plan();
        let cts: Vec<(Vec<u8>, Vec<u8>)> = self
            .tiles()
            .iter()
            .map(|(a, b)| (a.to_bytes(), b.to_bytes()))
            .collect();
        let len = plan_len(plan)
            + 8
            + cts
                .iter()
                .map(|(a, b)| 16 + a.len() + b.len())
                .sum::<usize>();
        let params_id = self.tiles().first().map_or(0, |(a, _)| a.params_id());
        let mut w = Writer::new(Kind::Batch, params_id, len);
        write_plan(&mut w, plan);
        w.u64(cts.len() as u64);
        for (a, b) in &cts {
            for c in [a, b] {
                w.u64(c.len() as u64);
                w.bytes(c);
            }
        }
        w.finish()
    }

    /// Loads a batch of `ctx`'s parameters (see the module docs for what is checked), on the
    /// calling thread.
    ///
    /// The batch's checksum and every tile's are computed in one pass (`tile_sums`); each is
    /// still checked against its trailer, exactly as loading them one by one would.
    pub fn from_bytes(ctx: &CkksContext, bytes: &[u8]) -> Result<EncryptedBatch> {
        let (outer, inner) = match tile_sums(ctx, bytes) {
            Some((o, v)) => (Some(o), Some(v)),
            None => (None, None),
        };
        let mut inner = inner.map(Vec::into_iter);
        Self::load(ctx, bytes, outer, |slices| {
            slices
                .iter()
                .map(|s| {
                    let known = inner.as_mut().and_then(Iterator::next);
                    Ciphertext::from_bytes_with_sum(ctx, s, known)
                })
                .collect()
        })
    }

    /// As [`EncryptedBatch::from_bytes`], with the tiles (checksum, residue checks, the
    /// re-expansion of seeded ones) loaded by the current rayon pool's threads while one of them
    /// checksums the whole frame — what [`super::InnerProductEngine::load_batch`] runs in the
    /// engine's pool. Same checks, same errors (the frame's checksum is reported before any tile's),
    /// same result.
    pub fn from_bytes_parallel(ctx: &CkksContext, bytes: &[u8]) -> Result<EncryptedBatch> {
        use rayon::prelude::*;
        if bytes.len() < HEADER + 8 {
            return Self::from_bytes(ctx, bytes); // reports why
        }
        // The frame checks (the version among them, before the sum) run in `load`.
        let version = u16::from_le_bytes([bytes[4], bytes[5]]);
        let body = &bytes[..bytes.len() - 8];
        let mut tiles = None;
        let outer = rayon::join(
            || frame_sum(version, body),
            || {
                tiles = tile_slices(ctx, bytes).map(|slices| {
                    slices
                        .par_iter()
                        .map(|s| Ciphertext::from_bytes_with_sum(ctx, s, None))
                        .collect::<Vec<_>>()
                })
            },
        )
        .0;
        let Some(mut tiles) = tiles else {
            return Self::from_bytes(ctx, bytes);
        };
        Self::load(ctx, bytes, Some(outer), |slices| {
            // The pre-scan and the checked walk agree on the tiles when the frame checks out;
            // anything else is reported by the walk before this runs.
            if slices.len() != tiles.len() {
                return Err(bad("batch: tile walk and pre-scan disagree"));
            }
            std::mem::take(&mut tiles).into_iter().collect()
        })
    }

    /// The checked walk shared by both loaders: frame (checksum `outer` if already computed),
    /// parameters, plan, tile count; then `load_tiles` turns the tiles' byte slices (in order)
    /// into ciphertexts, each checked here for degree and level before pairing.
    fn load(
        ctx: &CkksContext,
        bytes: &[u8],
        outer: Option<u64>,
        load_tiles: impl FnOnce(&[&[u8]]) -> Result<Vec<Ciphertext>>,
    ) -> Result<EncryptedBatch> {
        let (id, mut r) = read_with(Kind::Batch, bytes, outer)?;
        ctx.check_id(id)?;
        let plan = read_plan(&mut r, ctx)?;
        let pairs = r.u64()?;
        let want = (plan.groups as u64).saturating_mul(plan.layout.tiles as u64);
        if pairs != want {
            return Err(bad(format!(
                "batch of {pairs} tile pairs, the plan has {want}"
            )));
        }
        if pairs.saturating_mul(2 * (8 + MIN_CT_BYTES) as u64) > r.remaining() as u64 {
            return Err(bad("batch: fewer bytes than its tile pairs need"));
        }
        // A batch's tiles carry the batch's format version (so a batch of the current version
        // re-serializes to exactly itself; a version-2 batch is all version 2).
        let version = &bytes[4..6];
        let mut slices = Vec::with_capacity(2 * pairs as usize);
        for _ in 0..2 * pairs {
            let len = usize::try_from(r.u64()?).map_err(|_| bad("batch: ciphertext length"))?;
            let tile = r.take(len)?;
            if tile.get(4..6).is_some_and(|v| v != version) {
                return Err(bad(format!(
                    "batch: a tile of format version {} in a version {} batch",
                    u16::from_le_bytes([tile[4], tile[5]]),
                    u16::from_le_bytes([version[0], version[1]])
                )));
            }
            slices.push(tile);
        }
        r.finish()?;
        let mut cts = load_tiles(&slices)?.into_iter();
        let mut one = || -> Result<Ciphertext> {
            let ct = cts.next().ok_or_else(|| bad("batch: missing tile"))?;
            if ct.degree() != 2 || ct.level() < plan.tensor_level {
                return Err(bad(format!(
                    "batch tile of degree {} at level {} (need degree 2 at level ≥ {})",
                    ct.degree(),
                    ct.level(),
                    plan.tensor_level
                )));
            }
            Ok(ct)
        };
        let mut tiles = Vec::with_capacity(pairs as usize);
        for _ in 0..pairs {
            let a = one()?;
            let b = one()?;
            tiles.push((a, b));
        }
        EncryptedBatch::from_tiles(&plan, tiles)
    }
}

/// The checksums of a batch frame and of each tile frame in it, in one pass (see
/// `serialize::nested_sums`), from a pre-scan of the unverified bytes ([`tile_ranges`]). `None`
/// when the bytes do not get that far (the loader then takes the one-by-one path, which
/// reports why).
fn tile_sums(ctx: &CkksContext, bytes: &[u8]) -> Option<(u64, Vec<u64>)> {
    let ranges = tile_ranges(ctx, bytes)?;
    // The checksummed part of each tile's frame: everything but its 8-byte trailer.
    let ranges: Vec<_> = ranges
        .into_iter()
        .map(|r| Some(r.start..r.end.checked_sub(8).filter(|&e| e >= r.start)?))
        .collect::<Option<_>>()?;
    nested_sums(&bytes[..bytes.len() - 8], &ranges)
}

/// The tiles' framed bytes, in order, from the same pre-scan (for the parallel loader).
fn tile_slices<'a>(ctx: &CkksContext, bytes: &'a [u8]) -> Option<Vec<&'a [u8]>> {
    Some(
        tile_ranges(ctx, bytes)?
            .into_iter()
            .map(|r| &bytes[r])
            .collect(),
    )
}

/// The byte ranges of the tile frames, from a pre-scan of the unverified bytes that walks the
/// plan and the tiles' length prefixes exactly as [`EncryptedBatch::from_bytes`] then does.
fn tile_ranges(ctx: &CkksContext, bytes: &[u8]) -> Option<Vec<std::ops::Range<usize>>> {
    let mut r = payload_unverified(Kind::Batch, bytes)?;
    let plan = read_plan(&mut r, ctx).ok()?;
    let pairs = r.u64().ok()?;
    if pairs != (plan.groups as u64).saturating_mul(plan.layout.tiles as u64)
        || pairs.saturating_mul(2 * (8 + MIN_CT_BYTES) as u64) > r.remaining() as u64
    {
        return None;
    }
    let mut ranges = Vec::with_capacity(2 * pairs as usize);
    for _ in 0..2 * pairs {
        let len = usize::try_from(r.u64().ok()?).ok()?;
        let start = HEADER + r.offset();
        r.take(len).ok()?;
        ranges.push(start..start + len);
    }
    Some(ranges)
}

/// Bytes of a plan as written by [`write_plan`].
fn plan_len(plan: &BatchPlan) -> usize {
    5 * 8 + sum_len(&plan.sum) + 8 + 8 + 8 + 4 + plan.reason.len().min(MAX_REASON)
}

/// The plan fields of a batch (everything before the tile pairs).
fn write_plan(w: &mut Writer, plan: &BatchPlan) {
    let l = &plan.layout;
    for x in [l.slots, l.dim, l.block, l.per_ciphertext, plan.count] {
        w.u64(x as u64);
    }
    write_sum(w, &plan.sum);
    w.u64(plan.output_level as u64);
    w.f64(plan.value_bound);
    w.f64(plan.predicted_s);
    let reason = truncate_utf8(&plan.reason, MAX_REASON);
    w.u32(reason.len() as u32);
    w.bytes(reason.as_bytes());
}

/// Reads and checks the plan fields written by [`write_plan`].
fn read_plan(r: &mut Reader<'_>, ctx: &CkksContext) -> Result<BatchPlan> {
    let params = ctx.params();
    let mut field = |name: &str| -> Result<usize> {
        let x = r.u64()?;
        usize::try_from(x).map_err(|_| bad(format!("batch: {name} {x} out of range")))
    };
    let (slots, dim, block, m, count) = (
        field("slots")?,
        field("dim")?,
        field("block")?,
        field("products per ciphertext")?,
        field("count")?,
    );
    if slots != params.slots() {
        return Err(bad(format!(
            "batch laid out for {slots} slots, the parameters have {}",
            params.slots()
        )));
    }
    let layout = TiledLayout::with_per_ciphertext(slots, dim, block, m)
        .map_err(|e| bad(format!("batch layout: {e}")))?;
    if count == 0 || count > m.saturating_mul(MAX_GROUPS) {
        return Err(bad(format!("batch of {count} products")));
    }
    let sum = read_sum(r, block)?;
    let output_level = r.u64()?;
    let max = params.max_level() as u64;
    if output_level >= max {
        return Err(bad(format!(
            "batch output level {output_level}: must be below the top level {max}"
        )));
    }
    let output_level = output_level as usize;
    let value_bound = r.f64()?;
    if !(value_bound.is_finite() && value_bound > 0.0) {
        return Err(bad(format!("batch value bound {value_bound}")));
    }
    let predicted_s = r.f64()?;
    if !(predicted_s.is_finite() && predicted_s >= 0.0) {
        return Err(bad(format!("batch predicted time {predicted_s}")));
    }
    let reason_len = r.u32()? as usize;
    if reason_len > MAX_REASON {
        return Err(bad(format!("batch reason of {reason_len} bytes")));
    }
    let reason = std::str::from_utf8(r.take(reason_len)?)
        .map_err(|_| bad("batch reason is not UTF-8"))?
        .to_string();
    let groups = layout.groups(count);
    Ok(BatchPlan {
        layout,
        count,
        groups,
        sum,
        output_level,
        tensor_level: output_level + 1,
        value_bound,
        plaintext_side: false,
        predicted_s,
        reason,
    })
}

impl BatchPlan {
    /// Serializes the plan alone (kind 12: the plan fields of kind 10, no tiles) — e.g. to
    /// send it to the workers that encrypt a batch's shards.
    pub fn to_bytes(&self, params_id: u64) -> Vec<u8> {
        let mut w = Writer::new(Kind::BatchPlan, params_id, plan_len(self));
        write_plan(&mut w, self);
        w.finish()
    }

    /// Loads a plan of `ctx`'s parameters written by [`BatchPlan::to_bytes`] (checked as the
    /// plan of a batch is).
    pub fn from_bytes(ctx: &CkksContext, bytes: &[u8]) -> Result<BatchPlan> {
        let (id, mut r) = read(Kind::BatchPlan, bytes)?;
        ctx.check_id(id)?;
        let plan = read_plan(&mut r, ctx)?;
        r.finish()?;
        Ok(plan)
    }

    /// The same layout, sum and levels for `count` products (≥ 1): e.g. the last, shorter shard
    /// of a batch split into shards of one plan. The prediction scales with the groups.
    pub fn for_count(&self, count: usize) -> Result<BatchPlan> {
        if count == 0 {
            return Err(crate::error::Error::InvalidParameters {
                reason: "a plan of 0 products".into(),
            });
        }
        let groups = self.layout.groups(count);
        let mut plan = self.clone();
        plan.predicted_s = self.predicted_s * groups as f64 / self.groups.max(1) as f64;
        plan.count = count;
        plan.groups = groups;
        Ok(plan)
    }
}

/// Most groups a loaded batch may describe (before any tile is read).
const MAX_GROUPS: usize = 1 << 24;

fn truncate_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
