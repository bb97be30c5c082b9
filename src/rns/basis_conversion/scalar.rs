//! Scalar conversion kernel: `u128` accumulation, three Shoup products per output.

use super::{ConvKernel, DstConsts, ROUND_MAGIC};

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
    #[inline(always)]
    fn add_mod(self, a: u64, b: u64, q: u64) -> u64 {
        csub(a + b, q)
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
