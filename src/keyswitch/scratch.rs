//! Per-worker work buffers of the key switch ([`KeySwitchScratch`]) and their checks.
//!
//! One scratch serves every level of one [`KeySwitcher`]: its buffers are sized for the top
//! level (Q ∪ P) and 64-byte aligned, so no call allocates. It carries the switcher's
//! fingerprint of (Q, P, dnum); using it with other parameters is a typed error
//! ([`Error::ScratchMismatch`]).

use super::{Decomposition, KeySwitcher};
use crate::aligned::AlignedVec;
use crate::error::{Error, Result};
use crate::profile::{Profile, ProfileLevel};

/// The data flow of a one-thread key switch: every choice computes the same words (tested);
/// they differ in how often the decomposition streams through memory (`fused` module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fusion {
    /// Decompose (conversion of every digit, then the NTTs ordered by prime), then the MAC.
    Staged,
    /// Conversions as staged; then per limb the NTTs of every digit and at once the MAC.
    #[default]
    NttMac,
    /// Per limb: the conversion row of every digit, its NTT and the MAC (step 1 of each
    /// conversion once per switch).
    PerLimb,
}

/// Reusable, aligned work buffers for one worker.
pub struct KeySwitchScratch {
    /// The fingerprint of the switcher that made it.
    pub(super) id: u64,
    pub(super) n: usize,
    /// The input in coefficient form (decomposition), |Q| limbs.
    pub(super) coeff: AlignedVec,
    /// The MAC outputs over Q_ℓ ∪ P.
    pub(super) acc0: AlignedVec,
    pub(super) acc1: AlignedVec,
    /// One conversion scratch per digit (decomposition) / per output (ModDown), so the
    /// parallel paths need no allocation.
    pub(super) conv: Vec<AlignedVec>,
    /// ModDown outputs before the automorphism (rotations).
    pub(super) md: [AlignedVec; 2],
    /// Q_ℓ ∪ P totals of a double-hoisted sum.
    pub(super) tot: [AlignedVec; 2],
    pub(super) decomposition: Option<Decomposition>,
    /// Spread limbs and digits of each call over the current rayon pool ("limb" parallelism).
    pub(super) parallel: bool,
    /// How one-thread switches order decomposition and MAC.
    pub(super) fusion: Fusion,
    /// Operation counts (and times, if enabled) of every call made with this scratch.
    pub profile: Profile,
}

impl KeySwitchScratch {
    /// Whether [`KeySwitcher`] calls with this scratch split their limbs and digits over the
    /// current rayon pool (results are bit-identical either way).
    pub fn set_parallel(&mut self, parallel: bool) {
        self.parallel = parallel;
    }

    /// The decomposition buffer, taken out while a switch uses it (put it back after).
    pub(super) fn take_decomposition(&mut self) -> Result<Decomposition> {
        self.decomposition
            .take()
            .ok_or_else(|| Error::ScratchMismatch {
                reason: "scratch has no decomposition buffer".into(),
            })
    }

    /// See [`KeySwitchScratch::set_parallel`].
    pub fn is_parallel(&self) -> bool {
        self.parallel
    }

    /// How one-thread switches ([`KeySwitcher::switch`], [`KeySwitcher::switch_rescale`])
    /// order their decomposition and MAC (default [`Fusion::NttMac`]); the words are the same
    /// for every choice.
    pub fn set_fusion(&mut self, fusion: Fusion) {
        self.fusion = fusion;
    }

    /// The data flow the next one-thread switch takes (a parallel scratch always stages).
    pub fn fusion(&self) -> Fusion {
        if self.parallel {
            Fusion::Staged
        } else {
            self.fusion
        }
    }
}

impl std::fmt::Debug for KeySwitchScratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySwitchScratch")
            .field("n", &self.n)
            .finish()
    }
}

impl KeySwitcher {
    /// Fresh scratch sized for the top level.
    pub fn scratch(&self) -> KeySwitchScratch {
        let n = self.n;
        let (l, k) = (self.q.len(), self.p.len());
        let ext = l + k;
        // The largest scratch any level's converters ask for (their size depends on the kernel:
        // exact conversions and the split-52 IFMA kernel take per-tile extras).
        let conv = self
            .levels
            .iter()
            .flat_map(|lv| {
                let ups = lv.mod_ups.iter().map(|u| u.converter().scratch_len());
                let fused = lv.mod_down_rescale.as_ref().map(|f| f.scratch_len(n));
                ups.chain([lv.mod_down.scratch_len(n)]).chain(fused)
            })
            .fold((self.alpha * n).max(k * n + l * n + k * n), usize::max);
        KeySwitchScratch {
            id: self.id,
            n,
            coeff: AlignedVec::zeroed(l * n),
            acc0: AlignedVec::zeroed(ext * n),
            acc1: AlignedVec::zeroed(ext * n),
            conv: (0..self.dnum.max(2))
                .map(|_| AlignedVec::zeroed(conv))
                .collect(),
            md: [AlignedVec::zeroed(l * n), AlignedVec::zeroed(l * n)],
            tot: [AlignedVec::zeroed(ext * n), AlignedVec::zeroed(ext * n)],
            decomposition: Some(self.decomposition_buffer()),
            parallel: false,
            fusion: Fusion::default(),
            profile: Profile::new(ProfileLevel::Counts),
        }
    }

    /// Errors unless `scratch` was made by a switcher of these parameters.
    pub(super) fn check_scratch(&self, scratch: &KeySwitchScratch) -> Result<()> {
        if scratch.id != self.id || scratch.n != self.n {
            return Err(Error::ScratchMismatch {
                reason: "scratch was made for other parameters".into(),
            });
        }
        Ok(())
    }
}
