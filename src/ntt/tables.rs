//! Twiddle tables of one plan: ψ^brv(k) and ψ^−brv(k) with their Shoup companions, in the order
//! the stages read them, and the constants of the last inverse stage.

use super::ShoupWidth;
use crate::aligned::AlignedVec;
use crate::arith::Modulus;

/// Precomputed twiddles, laid out per stage: entry k (1 ≤ k < n) serves stage m = 2^⌊log2 k⌋,
/// group k − m; entry 0 (value 0) is never read. The IFMA kernels read only the companions
/// (see `NttKernel::derived_w`); the `fwd`/`inv` values are kept for the other ISAs and the
/// scalar reference model.
#[derive(Clone)]
pub(crate) struct Tables {
    pub fwd: AlignedVec,
    pub fwd_shoup: AlignedVec,
    pub inv: AlignedVec,
    pub inv_shoup: AlignedVec,
    /// n^−1 and its companion (left output of the last inverse stage).
    pub n_inv: u64,
    pub n_inv_shoup: u64,
    /// ψ^−brv(1)·n^−1 and its companion (right output of the last inverse stage).
    pub inv_last: u64,
    pub inv_last_shoup: u64,
}

impl Tables {
    /// The tables of degree n over `m` for the root ψ, with companions of `width`.
    pub(super) fn new(n: usize, m: &Modulus, psi: u64, width: ShoupWidth) -> Tables {
        let log_n = n.trailing_zeros();
        let psi_inv = m.inv_mod(psi).expect("psi is a unit");
        let companion = |w: u64| match width {
            ShoupWidth::W64 => m.shoup(w),
            ShoupWidth::W52 => m.shoup52(w),
        };
        let brv = |k: usize| k.reverse_bits() >> (usize::BITS - log_n);
        // Powers ψ^i and ψ^−i in natural order (n products each), then scattered to ψ^brv(k).
        let powers = |root: u64| {
            let mut p = Vec::with_capacity(n);
            let mut x = 1u64;
            for _ in 0..n {
                p.push(x);
                x = m.mul_mod(x, root);
            }
            p
        };
        let (pw, pw_inv) = (powers(psi), powers(psi_inv));
        let mut fwd = AlignedVec::zeroed(n);
        let mut inv = AlignedVec::zeroed(n);
        for k in 1..n {
            fwd[k] = pw[brv(k)];
            inv[k] = pw_inv[brv(k)];
        }
        let fwd_shoup = fwd.iter().map(|&w| companion(w)).collect();
        let inv_shoup = inv.iter().map(|&w| companion(w)).collect();
        let n_inv = m.inv_mod(n as u64).expect("n is a unit mod an odd prime");
        let inv_last = m.mul_mod(inv[1], n_inv);
        Tables {
            fwd,
            fwd_shoup,
            inv,
            inv_shoup,
            n_inv,
            n_inv_shoup: companion(n_inv),
            inv_last,
            inv_last_shoup: companion(inv_last),
        }
    }
}
