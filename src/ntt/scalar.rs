//! Scalar NTT: with one lane every stride is "wide", so the generic loops of `stages.rs` run
//! every stage. `Scalar64` (64-bit Shoup) is bit-identical to AVX2 and AVX-512, `Scalar52` (the
//! model of IFMA's 52-bit Shoup product) to IFMA, lazy outputs included.

use super::{NttKernel, stages};
use crate::arith::lanes::ScalarLanes;

impl<const BITS: u32> NttKernel for ScalarLanes<BITS> {
    const RADIX4: bool = true;
    fn fwd_small(self, q: u64, data: &mut [u64], w: &[u64], ws: &[u64], t: usize, reduce: bool) {
        stages::fwd_radix2(self, q, data, (w, ws), t, reduce)
    }
    fn inv_small(self, q: u64, data: &mut [u64], w: &[u64], ws: &[u64], t: usize) {
        stages::inv_radix2(self, q, data, (w, ws), t)
    }
}
