//! [`Encoder`]: vectors of up to n/2 complex (or real) numbers ↔ plaintexts, through the
//! canonical embedding ([`SpecialFft`](super::encoding::SpecialFft)), scaled by Δ and rounded,
//! then written into every limb of the level and transformed to evaluation form.
//!
//! Precision: encoding rounds each coefficient to an integer, an error of ≤ 1/2 per coefficient,
//! i.e. about √n/(2Δ) per slot; decoding is exact up to f64 rounding (Garner's mixed-radix
//! reconstruction gives exact digits).

use super::ciphertext::Plaintext;
use super::context::CkksContext;
use crate::error::{Error, Result};
use crate::rns::{Representation, RnsPoly};
use num_complex::Complex64;
use std::sync::Arc;

/// Encodes and decodes for one parameter set.
#[derive(Debug, Clone)]
pub struct Encoder {
    ctx: Arc<CkksContext>,
}

impl Encoder {
    /// An encoder for `ctx`.
    pub fn new(ctx: Arc<CkksContext>) -> Encoder {
        Encoder { ctx }
    }

    /// The context.
    pub fn context(&self) -> &Arc<CkksContext> {
        &self.ctx
    }

    /// Number of slots (n/2).
    pub fn slots(&self) -> usize {
        self.ctx.params().slots()
    }

    /// Encodes complex `values` (at most n/2; the rest are 0) at `scale` and `level`.
    pub fn encode_complex(
        &self,
        values: &[Complex64],
        scale: f64,
        level: usize,
    ) -> Result<Plaintext> {
        let basis = self.ctx.basis(level)?;
        super::context::check_scale(scale, basis)?;
        let n = basis.n();
        let mut coeffs = vec![0i128; n];
        self.ctx.fft().encode(values, scale, &mut coeffs)?;
        let log_q: f64 = basis.primes().iter().map(|&q| (q as f64).log2()).sum();
        let max = coeffs.iter().map(|c| c.unsigned_abs()).max().unwrap_or(0);
        if max > 0 && (max as f64).log2() >= log_q - 1.0 {
            return Err(Error::InvalidParameters {
                reason: format!(
                    "message too large for level {level}: coefficient of 2^{:.1} bits",
                    (max as f64).log2()
                ),
            });
        }
        let mut poly = RnsPoly::zero(basis, Representation::Coefficient);
        for (i, limb) in poly.limbs_mut().enumerate() {
            let q = basis.primes()[i] as i128;
            for (x, &c) in limb.iter_mut().zip(&coeffs) {
                *x = c.rem_euclid(q) as u64;
            }
        }
        poly.ntt(basis)?;
        Ok(Plaintext {
            params_id: self.ctx.params().id(),
            poly,
            scale,
        })
    }

    /// Encodes real `values` at `scale` and `level`.
    pub fn encode(&self, values: &[f64], scale: f64, level: usize) -> Result<Plaintext> {
        let v: Vec<Complex64> = values.iter().map(|&x| Complex64::new(x, 0.0)).collect();
        self.encode_complex(&v, scale, level)
    }

    /// Encodes real `values` at the default scale and the top level.
    pub fn encode_default(&self, values: &[f64]) -> Result<Plaintext> {
        let p = self.ctx.params();
        self.encode(values, p.default_scale(), p.max_level())
    }

    /// Decodes all n/2 slots.
    pub fn decode_complex(&self, pt: &Plaintext) -> Result<Vec<Complex64>> {
        self.ctx.check_id(pt.params_id)?;
        super::context::check_scale(pt.scale, self.ctx.basis(pt.level())?)?;
        let basis = self.ctx.basis(pt.level())?;
        let mut poly = pt.poly.clone();
        poly.intt(basis)?;
        let n = basis.n();
        let l = basis.len();
        let mut residues = vec![0u64; l];
        let coeffs: Vec<f64> = (0..n)
            .map(|c| {
                for (i, r) in residues.iter_mut().enumerate() {
                    *r = poly.limb(i)[c];
                }
                self.ctx.centered_value(&residues)
            })
            .collect::<Result<_>>()?;
        let mut out = vec![Complex64::new(0.0, 0.0); self.slots()];
        self.ctx.fft().decode(&coeffs, pt.scale, &mut out);
        Ok(out)
    }

    /// Decodes the real parts of all n/2 slots.
    pub fn decode(&self, pt: &Plaintext) -> Result<Vec<f64>> {
        Ok(self.decode_complex(pt)?.into_iter().map(|z| z.re).collect())
    }
}
