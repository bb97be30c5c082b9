//! Scalar reference NTT primitives (Harvey butterflies, `u128` products).
//!
//! `Scalar64` uses the 64-bit Shoup product (bit-identical to AVX2 and AVX-512);
//! `Scalar52` models the IFMA kernel's 52-bit Shoup product (bit-identical to IFMA).

use super::{NttKernel, stages};

#[derive(Clone, Copy)]
pub(crate) struct ScalarKernel<const BITS: u32>;

pub(crate) type Scalar64 = ScalarKernel<64>;
pub(crate) type Scalar52 = ScalarKernel<52>;

#[allow(non_upper_case_globals)]
pub(crate) const Scalar64: Scalar64 = ScalarKernel;
#[allow(non_upper_case_globals)]
pub(crate) const Scalar52: Scalar52 = ScalarKernel;

impl<const BITS: u32> NttKernel for ScalarKernel<BITS> {
    type V = u64;
    const RADIX4: bool = true;
    const LANES: usize = 1;

    #[inline(always)]
    fn splat(self, x: u64) -> u64 {
        x
    }
    #[inline(always)]
    fn load(self, s: &[u64]) -> u64 {
        s[0]
    }
    #[inline(always)]
    fn store(self, d: &mut [u64], v: u64) {
        d[0] = v;
    }
    #[inline(always)]
    fn csub(self, x: u64, m: u64) -> u64 {
        x.min(x.wrapping_sub(m))
    }
    /// `x·w mod q` in [0, 2q) by Shoup with a `BITS`-bit companion (x < 2^BITS).
    #[inline(always)]
    fn mul_shoup(self, x: u64, w: u64, ws: u64, q: u64) -> u64 {
        let qhat = ((x as u128 * ws as u128) >> BITS) as u64;
        x.wrapping_mul(w).wrapping_sub(qhat.wrapping_mul(q))
    }
    #[inline(always)]
    fn add(self, x: u64, y: u64) -> u64 {
        x.wrapping_add(y)
    }
    #[inline(always)]
    fn sub(self, x: u64, y: u64) -> u64 {
        x.wrapping_sub(y)
    }
    /// With one lane every stride is "wide": the generic loop applies.
    fn fwd_small(self, q: u64, data: &mut [u64], w: &[u64], ws: &[u64], t: usize, reduce: bool) {
        stages::fwd_radix2(self, q, data, (w, ws), t, reduce)
    }
    fn inv_small(self, q: u64, data: &mut [u64], w: &[u64], ws: &[u64], t: usize) {
        stages::inv_radix2(self, q, data, (w, ws), t)
    }
}
