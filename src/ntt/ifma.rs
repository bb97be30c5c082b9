//! AVX-512 IFMA NTT: the AVX-512 shuffles (`avx512.rs`) with the 52-bit Shoup product of the
//! IFMA lanes, two stages per pass, and twiddles recomputed from their companions.

use super::{NttKernel, avx512};
use crate::arith::dispatch::IfmaLanes;
use crate::arith::lanes::Lanes;
use core::arch::x86_64::__m512i;

impl NttKernel for IfmaLanes {
    const RADIX4: bool = true;
    /// w = hi52(w'·q) + 1: with w·2^52 = w'·q + r (0 ≤ r < q < 2^50), w'·q = w·2^52 − r, whose
    /// high 52 bits are w − 1 exactly when r ≠ 0 — always, since 0 < w < q and q is an odd
    /// prime (twiddles are powers of ψ, never 0). Inputs: w' < 2^52, q < 2^50.
    #[inline(always)]
    fn derived_w(self, ws: __m512i, q: __m512i) -> Option<__m512i> {
        Some(
            self.0
                .avx512ifma
                ._mm512_madd52hi_epu64(self.splat(1), ws, q),
        )
    }
    #[inline(always)]
    fn fwd_small(self, q: u64, data: &mut [u64], w: &[u64], ws: &[u64], t: usize, reduce: bool) {
        avx512::fwd_small(self, q, data, (w, ws), t, reduce)
    }
    #[inline(always)]
    fn inv_small(self, q: u64, data: &mut [u64], w: &[u64], ws: &[u64], t: usize) {
        avx512::inv_small(self, q, data, (w, ws), t)
    }
}
