//! Rescaling: exact division by the last prime with rounding, dropping that limb.
//!
//! For C in [0, Q_ℓ) given by residues c_0..c_ℓ, the result over q_0..q_{ℓ−1} is
//! ⌊(C + ⌊q_ℓ/2⌋) / q_ℓ⌋, computed limb-wise as `(c_i − [r − h]_{q_i}) · q_ℓ^{−1} mod q_i` with
//! `h = ⌊q_ℓ/2⌋` and `r = (c_ℓ + h) mod q_ℓ` per coefficient (the last limb in coefficient form;
//! `r − h` is re-embedded mod each q_i and, for evaluation-form input, transformed there).

use super::{Representation, RnsBasis, RnsPoly};
use crate::eltwise::LazyRange;
use crate::error::{Error, Result};

impl RnsPoly {
    /// Divides by the last prime of `basis` with rounding and writes the result, one limb
    /// shorter, into `out` (over `basis.prefix(len − 1)`, same representation). `scratch` must
    /// hold at least 2n words; nothing is allocated.
    pub fn rescale_into(
        &self,
        basis: &RnsBasis,
        out: &mut RnsPoly,
        scratch: &mut [u64],
    ) -> Result<()> {
        basis.check(self.primes())?;
        let l = basis.len();
        if l < 2 {
            return Err(Error::InvalidLevel {
                level: l,
                min: 2,
                max: usize::MAX,
            });
        }
        let lower = &basis.primes()[..l - 1];
        if out.primes() != lower {
            return Err(Error::BasisMismatch {
                expected: l - 1,
                expected_first: lower[0],
                found: out.num_limbs(),
                found_first: out.primes().first().copied().unwrap_or(0),
            });
        }
        let n = self.n();
        if scratch.len() < 2 * n {
            return Err(Error::ScratchMismatch {
                reason: format!("rescale needs 2n = {} words", 2 * n),
            });
        }
        let (r, tmp) = scratch[..2 * n].split_at_mut(n);
        let last = basis.modulus(l - 1);
        let ql = last.value();
        let half = ql / 2;
        let eval = self.representation() == Representation::Evaluation;
        r.copy_from_slice(self.limb(l - 1));
        if eval {
            basis.plan(l - 1).inverse(r);
        }
        r.iter_mut().for_each(|x| *x = last.add_mod(*x, half));
        for i in 0..l - 1 {
            let m = basis.modulus(i);
            let qi = m.value();
            tmp.copy_from_slice(r);
            if ql > qi {
                basis.ops(i).reduce(tmp, LazyRange::Any);
            }
            let h = half % qi;
            tmp.iter_mut().for_each(|x| *x = m.sub_mod(*x, h));
            if eval {
                basis.plan(i).forward(tmp);
            }
            let inv = m.inv_mod(ql % qi).expect("distinct primes are coprime");
            let dst = out.limb_mut(i);
            basis.ops(i).sub(self.limb(i), tmp, dst);
            basis.ops(i).mul_scalar_assign(dst, inv);
        }
        out.set_representation(self.representation());
        Ok(())
    }
}
