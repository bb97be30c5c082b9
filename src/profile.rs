//! Operation counters and optional section timers, owned by each worker's scratch and merged at
//! the end (no locks, no atomics in the hot path).

use std::time::Instant;

/// How much a [`Profile`] records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProfileLevel {
    /// Nothing (one branch per section).
    Off,
    /// Operation counts only.
    #[default]
    Counts,
    /// Counts and wall time per section (two `Instant::now()` per section).
    Timed,
}

/// The kernel families time is attributed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Forward NTTs (count = limbs transformed).
    Ntt,
    /// Inverse NTTs (count = limbs transformed).
    Intt,
    /// Fast basis conversion (count = output limbs).
    BasisConversion,
    /// Multiply-accumulate with key material (count = limb products).
    Mac,
    /// Element-wise and other work (count = limbs touched).
    Other,
}

/// Counts and (optionally) nanoseconds per [`Section`], plus higher-level operation counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Profile {
    /// What is recorded.
    pub level: ProfileLevel,
    /// Limb forward NTTs.
    pub ntt: u64,
    /// Limb inverse NTTs.
    pub intt: u64,
    /// Output limbs of basis conversions.
    pub conv_limbs: u64,
    /// Limb multiply-accumulates.
    pub mac_limbs: u64,
    /// Other limb operations.
    pub other_limbs: u64,
    /// Decompositions (INTT + ModUp of every digit + NTT).
    pub mod_ups: u64,
    /// ModDown calls.
    pub mod_downs: u64,
    /// Key switches (decomposition + apply, or one apply of a hoisted decomposition).
    pub key_switches: u64,
    /// Ciphertext multiplications (tensor products).
    pub muls: u64,
    /// Relinearizations.
    pub relins: u64,
    /// Rescales.
    pub rescales: u64,
    /// Rotations (and other automorphisms).
    pub rotations: u64,
    /// Ciphertext additions.
    pub adds: u64,
    /// Nanoseconds in forward NTTs.
    pub ntt_ns: u64,
    /// Nanoseconds in inverse NTTs.
    pub intt_ns: u64,
    /// Nanoseconds in basis conversion.
    pub conv_ns: u64,
    /// Nanoseconds in multiply-accumulate.
    pub mac_ns: u64,
    /// Nanoseconds in other timed sections.
    pub other_ns: u64,
}

impl Profile {
    /// An empty profile recording at `level`.
    pub fn new(level: ProfileLevel) -> Profile {
        Profile {
            level,
            ..Profile::default()
        }
    }

    /// Runs `f`, adding `count` to the section's counter and, when timed, its duration.
    #[inline]
    pub fn record<R>(&mut self, section: Section, count: u64, f: impl FnOnce() -> R) -> R {
        if self.level == ProfileLevel::Off {
            return f();
        }
        let start = (self.level == ProfileLevel::Timed).then(Instant::now);
        let r = f();
        let ns = start.map_or(0, |s| s.elapsed().as_nanos() as u64);
        let (c, t) = match section {
            Section::Ntt => (&mut self.ntt, &mut self.ntt_ns),
            Section::Intt => (&mut self.intt, &mut self.intt_ns),
            Section::BasisConversion => (&mut self.conv_limbs, &mut self.conv_ns),
            Section::Mac => (&mut self.mac_limbs, &mut self.mac_ns),
            Section::Other => (&mut self.other_limbs, &mut self.other_ns),
        };
        *c += count;
        *t += ns;
        r
    }

    /// Adds another profile's counts and times (e.g. merging workers).
    pub fn merge(&mut self, o: &Profile) {
        self.ntt += o.ntt;
        self.intt += o.intt;
        self.conv_limbs += o.conv_limbs;
        self.mac_limbs += o.mac_limbs;
        self.other_limbs += o.other_limbs;
        self.mod_ups += o.mod_ups;
        self.mod_downs += o.mod_downs;
        self.key_switches += o.key_switches;
        self.muls += o.muls;
        self.relins += o.relins;
        self.rescales += o.rescales;
        self.rotations += o.rotations;
        self.adds += o.adds;
        self.ntt_ns += o.ntt_ns;
        self.intt_ns += o.intt_ns;
        self.conv_ns += o.conv_ns;
        self.mac_ns += o.mac_ns;
        self.other_ns += o.other_ns;
    }

    /// Clears counts and times, keeping the level.
    pub fn reset(&mut self) {
        *self = Profile::new(self.level);
    }

    /// Total timed nanoseconds over all sections.
    pub fn timed_ns(&self) -> u64 {
        self.ntt_ns + self.intt_ns + self.conv_ns + self.mac_ns + self.other_ns
    }
}
