//! The per-pair engine's mode choice ([`choose_mode`]) and the whole-vector packing of
//! [`PackedLayout`] (several length-`dim` vectors per ciphertext, summed over `dim`). Planned
//! batches use `TiledLayout`, of which this packing is the T = 1 case.

use super::{Mode, Plan};
use crate::error::{Error, Result};

/// Chooses a mode for k products of length `dim` on `threads` workers with `slots` slots per
/// ciphertext. `packable` says whether the caller still holds plaintext vectors (packing
/// happens at encoding time).
pub fn choose_mode(k: usize, dim: usize, slots: usize, threads: usize, packable: bool) -> Plan {
    let per_ct = slots / dim.max(1);
    if packable && k > 1 && per_ct >= 2 {
        let cts = k.div_ceil(per_ct);
        return Plan {
            mode: Mode::Packed,
            reason: format!(
                "dim {dim} fills only 1/{per_ct} of the {slots} slots: {k} products pack into {cts} ciphertext(s)"
            ),
        };
    }
    if k >= threads || threads == 1 {
        Plan {
            mode: Mode::Task,
            reason: format!(
                "k = {k} ≥ {threads} threads: one product per worker keeps every core busy"
            ),
        }
    } else {
        Plan {
            mode: Mode::Limb,
            reason: format!(
                "k = {k} < {threads} threads: spread each product's limbs and digits instead"
            ),
        }
    }
}

/// Slot layout for packing many length-`dim` vectors into one ciphertext: vector j of a group
/// occupies slots `j·dim .. (j+1)·dim`, and after the inner sum over `dim` its product sits in
/// slot `j·dim`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackedLayout {
    /// Vector length (a power of two).
    pub dim: usize,
    /// Vectors per ciphertext (slots / dim).
    pub per_ciphertext: usize,
}

impl PackedLayout {
    /// The layout for `slots` slots and vectors of length `dim` (a power of two ≤ slots).
    pub fn new(slots: usize, dim: usize) -> Result<PackedLayout> {
        if !dim.is_power_of_two() || dim > slots {
            return Err(Error::InvalidParameters {
                reason: format!("dim {dim} must be a power of two ≤ {slots}"),
            });
        }
        Ok(PackedLayout {
            dim,
            per_ciphertext: slots / dim,
        })
    }

    /// Concatenates the vectors into slot vectors, `per_ciphertext` at a time.
    pub fn pack(&self, vectors: &[Vec<f64>]) -> Result<Vec<Vec<f64>>> {
        if let Some(v) = vectors.iter().find(|v| v.len() != self.dim) {
            return Err(Error::InvalidParameters {
                reason: format!("vector of length {} in a dim-{} batch", v.len(), self.dim),
            });
        }
        Ok(vectors
            .chunks(self.per_ciphertext)
            .map(|group| group.concat())
            .collect())
    }

    /// The `count` products from the decoded slot vectors of the packed results. Errors if
    /// `count` needs more ciphertexts than given or a slot vector is shorter than the layout.
    pub fn unpack(&self, decoded: &[Vec<f64>], count: usize) -> Result<Vec<f64>> {
        let need = count.div_ceil(self.per_ciphertext.max(1));
        if need > decoded.len() {
            return Err(Error::InvalidParameters {
                reason: format!(
                    "{count} products need {need} packed ciphertexts, {} given",
                    decoded.len()
                ),
            });
        }
        let slots = self.per_ciphertext * self.dim;
        if let Some(v) = decoded[..need].iter().find(|v| v.len() < slots) {
            return Err(Error::InvalidParameters {
                reason: format!(
                    "decoded vector of {} slots, the layout needs {slots}",
                    v.len()
                ),
            });
        }
        Ok(decoded
            .iter()
            .flat_map(|slots| (0..self.per_ciphertext).map(move |j| slots[j * self.dim]))
            .take(count)
            .collect())
    }
}
