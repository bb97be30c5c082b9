//! Noise measurement: how far a ciphertext is from the message it should hold.
//!
//! For a ciphertext ct at level ℓ and scale Δ' and the expected slot values m, a
//! [`NoiseMeter`] (it holds the secret key) reports
//!
//! * the **slot error** `Re(Decode(Dec(ct)))_i − m_i` over every slot (slots beyond `m.len()`
//!   are expected to be 0): max |·|, mean and standard deviation, in message units;
//! * the **coefficient noise** `e = [c0 + c1·s (+ c2·s²) − ⌊Δ'·Encode(m)⌉]_{Q_ℓ}` (centered,
//!   exact integers via Garner's mixed radix, shown as f64): max |·|, mean and standard
//!   deviation, in integer units.
//!
//! The two are linked by the canonical embedding: a coefficient noise of standard deviation σ_e
//! gives a slot error of standard deviation ≈ σ_e·√(n/2)/Δ' (real part), so log2 of the slot
//! error ≈ log2 σ_e + (log2 n − 1)/2 − log2 Δ'. A nonzero **mean** of the coefficient noise
//! (a constant-sign polynomial) is what a biased rounding leaves; it concentrates in the slot
//! nearest ζ = 1 (slot 0) — the mean and the max are reported separately for that reason.
//!
//! ```
//! use ckks_accel::ckks::*;
//! let params = CkksParams::builder()
//!     .ring_degree(1 << 12).q_bits(&[50, 35, 35]).p_bits(&[50]).dnum(3).log_scale(35)
//!     .allow_insecure(true) // toy size for the doctest
//!     .build()?;
//! let ctx = CkksContext::new(params)?;
//! let mut kg = KeyGenerator::from_seed(ctx.clone(), 1);
//! let sk = kg.secret_key()?;
//! let pk = kg.public_key(&sk)?;
//! let mut enc = Encryptor::with_public_key(ctx.clone(), &pk)?;
//! let m = [0.5, -0.25, 1.0];
//! let ct = enc.encrypt(&Encoder::new(ctx.clone()).encode_default(&m)?)?;
//! let report = NoiseMeter::new(ctx.clone(), &sk)?.measure(&ct, &m)?;
//! assert!(report.slots.log2_max() < -20.0);   // fresh public-key noise, 2^35 scale
//! assert!(report.coefficients.log2_std() < 6.0); // ≈ √((1 + h)/12) ≈ 2^4.5 at n = 2^12
//! println!("{report}");
//! # Ok::<(), ckks_accel::Error>(())
//! ```

use super::ciphertext::Ciphertext;
use super::context::CkksContext;
use super::encoder::Encoder;
use super::encryptor::Decryptor;
use super::keys::SecretKey;
use crate::error::Result;
pub use crate::rns::noise::ErrorStats;
use std::sync::Arc;

/// The noise of one ciphertext against its expected message.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct NoiseReport {
    /// Level of the ciphertext.
    pub level: usize,
    /// Its scale Δ'.
    pub scale: f64,
    /// Decoded slot error (real parts), message units.
    pub slots: ErrorStats,
    /// Coefficient-domain noise, integer units.
    pub coefficients: ErrorStats,
}

impl std::fmt::Display for NoiseReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "level {}, scale 2^{:.1}: slot error max 2^{:.1} std 2^{:.1}; coefficient noise max 2^{:.1} std 2^{:.1} mean {:+.2}",
            self.level,
            self.scale.log2(),
            self.slots.log2_max(),
            self.slots.log2_std(),
            self.coefficients.log2_max(),
            self.coefficients.log2_std(),
            self.coefficients.mean
        )
    }
}

/// Measures ciphertext noise with the secret key (for tests, benchmarks and parameter
/// studies; it decrypts, so it belongs on the key owner's side).
pub struct NoiseMeter {
    ctx: Arc<CkksContext>,
    dec: Decryptor,
    encoder: Encoder,
}

impl std::fmt::Debug for NoiseMeter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NoiseMeter { .. }")
    }
}

impl NoiseMeter {
    /// A meter for `ctx`'s parameters holding (a copy of) `sk`, zeroized on drop.
    /// Errors: [`crate::Error::ParamsMismatch`] if `sk` belongs to other parameters.
    pub fn new(ctx: Arc<CkksContext>, sk: &SecretKey) -> Result<NoiseMeter> {
        Ok(NoiseMeter {
            dec: Decryptor::new(ctx.clone(), sk)?,
            encoder: Encoder::new(ctx.clone()),
            ctx,
        })
    }

    /// The noise of `ct` against the real slot values `expected` (at most n/2; the remaining
    /// slots are expected to be 0). Errors (typed, nothing measured): other parameters
    /// ([`crate::Error::ParamsMismatch`]), a ciphertext of degree other than 1 or 2
    /// ([`crate::Error::WrongDegree`]), too many values for the slots, an invalid level.
    pub fn measure(&self, ct: &Ciphertext, expected: &[f64]) -> Result<NoiseReport> {
        let pt = self.dec.decrypt(ct)?;
        let slots = self.encoder.decode(&pt)?;
        let want = self.encoder.encode(expected, ct.scale(), ct.level())?;
        let basis = self.ctx.basis(ct.level())?;
        let mut diff = pt.poly.clone();
        diff.sub_assign(&want.poly, basis)?;
        diff.intt(basis)?;
        let l = basis.len();
        let mut residues = vec![0u64; l];
        let coeffs = (0..basis.n()).map(|c| {
            for (i, r) in residues.iter_mut().enumerate() {
                *r = diff.limb(i)[c];
            }
            self.ctx.centered_value(&residues)
        });
        let coefficients = ErrorStats::of(coeffs.collect::<Result<Vec<_>>>()?);
        let slot_err = slots
            .iter()
            .enumerate()
            .map(|(i, &z)| z - expected.get(i).copied().unwrap_or(0.0));
        Ok(NoiseReport {
            level: ct.level(),
            scale: ct.scale(),
            slots: ErrorStats::of(slot_err),
            coefficients,
        })
    }
}
