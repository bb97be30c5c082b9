//! Scalar conversion kernel: `u128` accumulation, three Shoup products per output.

use super::{ConvKernel, DstConsts};

#[derive(Clone, Copy)]
pub(crate) struct ScalarConv;

#[inline(always)]
fn shoup_lazy(x: u64, w: u64, ws: u64, q: u64) -> u64 {
    let qhat = ((x as u128 * ws as u128) >> 64) as u64;
    x.wrapping_mul(w).wrapping_sub(qhat.wrapping_mul(q))
}

#[inline(always)]
fn csub(x: u64, m: u64) -> u64 {
    x.min(x.wrapping_sub(m))
}

impl ConvKernel for ScalarConv {
    type V = u64;
    type Acc = u128;
    const LANES: usize = 1;
    #[inline(always)]
    fn load(self, s: &[u64]) -> u64 {
        s[0]
    }
    #[inline(always)]
    fn store(self, d: &mut [u64], v: u64) {
        d[0] = v;
    }
    #[inline(always)]
    fn splat(self, x: u64) -> u64 {
        x
    }
    #[inline(always)]
    fn mul_const(self, x: u64, w: u64, ws: u64, q: u64) -> u64 {
        csub(shoup_lazy(x, w, ws, q), q)
    }
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
        let h = csub(shoup_lazy((acc >> 64) as u64, 1, c.one_shoup, p), p);
        let t1 = shoup_lazy(h, c.r, c.r_shoup, p);
        let t2 = shoup_lazy(acc as u64, 1, c.one_shoup, p);
        csub(csub(t1 + t2, 2 * p), p)
    }
}
