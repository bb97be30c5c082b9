//! Scalar conversion kernel: exact `u128` accumulation, reduced by three Shoup products (the
//! 64-bit reference) or, on the 52-bit model, by one `u128` remainder.

use super::kernel::{ConvKernel, DstConsts, Estimate, ROUND_MAGIC, reduce_lo_hi};
use crate::arith::lanes::ScalarLanes;

impl<const BITS: u32> ConvKernel for ScalarLanes<BITS> {
    type Acc = u128;
    #[inline(always)]
    fn acc_zero(self) -> u128 {
        0
    }
    #[inline(always)]
    fn acc_mac(self, acc: u128, t: u64, m: u64) -> u128 {
        acc + t as u128 * m as u128
    }
    #[inline(always)]
    fn acc_reduce(self, acc: u128, c: &DstConsts) -> u64 {
        let p = c.p;
        if BITS != 64 {
            // The 52-bit model serves reference NTT plans only; the canonical residue is the
            // same whatever the reduction.
            return (acc % p as u128) as u64;
        }
        reduce_lo_hi(self, acc as u64, (acc >> 64) as u64, c)
    }
}

impl<const BITS: u32> Estimate for ScalarLanes<BITS> {
    type F = f64;
    #[inline(always)]
    fn f_splat(self, x: f64) -> f64 {
        x
    }
    #[inline(always)]
    fn f_mac(self, acc: f64, x: u64, sh: u64, c: f64) -> f64 {
        // x >> sh < 2^52: the conversion is exact; one multiply and one add, unfused.
        acc + ((x >> sh) as f64) * c
    }
    #[inline(always)]
    fn f_round(self, acc: f64) -> u64 {
        (acc + ROUND_MAGIC).to_bits() - ROUND_MAGIC.to_bits()
    }
    #[inline(always)]
    fn lookup8(self, v: u64, table: &[u64; 8]) -> u64 {
        table[v as usize & 7]
    }
}
