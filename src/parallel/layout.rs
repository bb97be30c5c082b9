//! Tiled slot layouts for batches of inner products, and the output level a batch needs.
//!
//! **Layout, block size b** (a power of two): a ciphertext holds m ≤ slots / b products; slot
//! `i·b + j` of tile `t` holds coordinate `t·b + j` of product i (zero past `dim`). A group of
//! m products is T = ⌈dim / b⌉ tile pairs. After the group's tensor sum, relinearization,
//! rescale and the sum over b slots, product i's result is in slot `i·b` of the group's output.
//! - b = 1 ("transposed"): tile t holds coordinate t of `slots` different products; no rotation.
//! - b ≥ dim, T = 1: today's packing (m = slots / b) or, with m = 1, the per-pair layout.
//!
//! **Leakage.** As with any packing, the other slots of a group's output hold partial sums of
//! neighbouring blocks; whoever decrypts sees them. Mask with a plaintext multiply (one more
//! level) if the decryptor must learn only the results.

use crate::ckks::CkksParams;
use crate::error::{Error, Result};

/// Which of the layout family a [`TiledLayout`] is (for reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LayoutKind {
    /// One product per ciphertext pair (m = 1, T = 1).
    PerPair,
    /// Several whole vectors per ciphertext (m > 1, T = 1).
    Packed,
    /// Vectors cut into T > 1 tiles of b slots, m products per tile.
    Tiled,
}

impl std::fmt::Display for LayoutKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LayoutKind::PerPair => "per-pair",
            LayoutKind::Packed => "packed",
            LayoutKind::Tiled => "tiled",
        })
    }
}

/// A slot layout: block size, products per ciphertext and tiles per group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TiledLayout {
    /// Slots per ciphertext.
    pub slots: usize,
    /// Vector length (any length ≥ 1; zero-padded to T·b).
    pub dim: usize,
    /// Block size b: slots per product in one tile (a power of two).
    pub block: usize,
    /// Products per ciphertext m (1 ≤ m ≤ slots / b).
    pub per_ciphertext: usize,
    /// Tile pairs per group T = ⌈dim / b⌉.
    pub tiles: usize,
}

impl TiledLayout {
    /// The layout with block `block` and the most products per ciphertext (slots / b).
    /// `block` must be a power of two ≤ slots and ≤ the next power of two of `dim`.
    pub fn new(slots: usize, dim: usize, block: usize) -> Result<TiledLayout> {
        Self::with_per_ciphertext(slots, dim, block, slots / block.max(1))
    }

    /// The per-pair layout: one product per ciphertext, the whole vector in one tile.
    pub fn per_pair(slots: usize, dim: usize) -> Result<TiledLayout> {
        Self::with_per_ciphertext(slots, dim, dim.max(1).next_power_of_two(), 1)
    }

    /// A layout with `per_ciphertext` products per ciphertext (≤ slots / block).
    pub fn with_per_ciphertext(
        slots: usize,
        dim: usize,
        block: usize,
        per_ciphertext: usize,
    ) -> Result<TiledLayout> {
        if dim == 0 || dim > slots.saturating_mul(slots) {
            return Err(Error::InvalidParameters {
                reason: format!("dim {dim} must be in 1..={}", slots.saturating_mul(slots)),
            });
        }
        if !block.is_power_of_two() || block > slots || block > dim.next_power_of_two() {
            return Err(Error::InvalidParameters {
                reason: format!(
                    "block {block} must be a power of two ≤ min(slots {slots}, {})",
                    dim.next_power_of_two()
                ),
            });
        }
        if per_ciphertext == 0 || per_ciphertext > slots / block {
            return Err(Error::InvalidParameters {
                reason: format!(
                    "{per_ciphertext} products per ciphertext: must be in 1..={}",
                    slots / block
                ),
            });
        }
        Ok(TiledLayout {
            slots,
            dim,
            block,
            per_ciphertext,
            tiles: dim.div_ceil(block),
        })
    }

    /// Per-pair, packed or tiled.
    pub fn kind(&self) -> LayoutKind {
        match (self.tiles, self.per_ciphertext) {
            (1, 1) => LayoutKind::PerPair,
            (1, _) => LayoutKind::Packed,
            _ => LayoutKind::Tiled,
        }
    }

    /// Groups for `count` products: ⌈count / m⌉.
    pub fn groups(&self, count: usize) -> usize {
        count.div_ceil(self.per_ciphertext)
    }

    /// The slot vector of tile `tile` for one group's `vectors` (at most m, each of length
    /// `dim`): `out[i·b + j] = vectors[i][tile·b + j]`, zero elsewhere. `out` has `slots`
    /// entries.
    pub fn fill_tile(&self, vectors: &[&[f64]], tile: usize, out: &mut [f64]) -> Result<()> {
        if vectors.len() > self.per_ciphertext || out.len() != self.slots || tile >= self.tiles {
            return Err(Error::InvalidParameters {
                reason: format!(
                    "tile {tile} of {} for {} vectors into {} slots (layout: {} per ciphertext, {} slots)",
                    self.tiles,
                    vectors.len(),
                    out.len(),
                    self.per_ciphertext,
                    self.slots
                ),
            });
        }
        out.fill(0.0);
        let (b, start) = (self.block, tile * self.block);
        let end = (start + b).min(self.dim);
        for (i, v) in vectors.iter().enumerate() {
            if v.len() != self.dim {
                return Err(Error::InvalidParameters {
                    reason: format!("vector of length {} in a dim-{} batch", v.len(), self.dim),
                });
            }
            out[i * b..i * b + (end - start)].copy_from_slice(&v[start..end]);
        }
        Ok(())
    }

    /// Slot of product i (within its group) in the group's output: i·b.
    pub fn result_slot(&self, i: usize) -> usize {
        i * self.block
    }
}

impl std::fmt::Display for TiledLayout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} b = {} ({} per ciphertext, {} tile pair(s) per group)",
            self.kind(),
            self.block,
            self.per_ciphertext,
            self.tiles
        )
    }
}

/// Bits of headroom kept between a batch's result (and its tensor) and half the modulus at the
/// levels [`lowest_output_level`] picks: room for the noise, the rounding of the rescale and
/// values a little beyond the declared bound.
pub const LEVEL_MARGIN_BITS: f64 = 5.0;

/// The lowest output level that holds the results of inner products over `dim` coordinates
/// whose values are bounded by `value_bound` in absolute value: |result| ≤ dim · bound². The
/// tensor lives one level above (scale Δ², before the rescale) and must fit there too:
///
/// - `log2(dim·B²) + log2(Δ²) + margin ≤ log2(Q_{ℓ+1}) − 1` (the tensor),
/// - `log2(dim·B²) + log2(Δ²/q_{ℓ+1}) + margin ≤ log2(Q_ℓ) − 1` (the result),
///
/// with margin [`LEVEL_MARGIN_BITS`]. Partial sums in the other slots obey the same bound.
/// Errors if no level below the top holds it.
pub fn lowest_output_level(params: &CkksParams, dim: usize, value_bound: f64) -> Result<usize> {
    if !(value_bound.is_finite() && value_bound > 0.0) || dim == 0 {
        return Err(Error::InvalidParameters {
            reason: format!("value bound {value_bound} must be finite and > 0, dim ≥ 1"),
        });
    }
    let q = params.q();
    let log_q = |l: usize| -> f64 { q[..=l].iter().map(|&p| (p as f64).log2()).sum() };
    let log_r = (dim as f64).log2() + 2.0 * value_bound.log2();
    let log_delta2 = 2.0 * params.log_scale() as f64;
    for l in 0..params.max_level() {
        let tensor_ok = log_r + log_delta2 + LEVEL_MARGIN_BITS <= log_q(l + 1) - 1.0;
        let out_scale = log_delta2 - (q[l + 1] as f64).log2();
        let result_ok = log_r + out_scale + LEVEL_MARGIN_BITS <= log_q(l) - 1.0;
        if tensor_ok && result_ok {
            return Ok(l);
        }
    }
    Err(Error::InvalidParameters {
        reason: format!(
            "results up to {dim}·{value_bound}² do not fit below the top level of this chain"
        ),
    })
}
