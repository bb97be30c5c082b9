//! IFMA conversion kernel (every prime < 2^50): `vpmadd52luq` / `vpmadd52huq` accumulate the low
//! and high 52-bit halves of each product in separate lanes (no carries to track).

use super::avx512::Conv512;
use super::{ConvKernel, DstConsts};
use crate::arith::MASK52;
use crate::arith::avx512::{load, mul_shoup52, store};
use crate::isa::IfmaToken;
use core::arch::x86_64::{__m512d, __m512i};

#[derive(Clone, Copy)]
pub(crate) struct ConvIfma(pub IfmaToken);

impl ConvIfma {
    /// The AVX-512 kernel on the same CPU (IFMA implies every AVX-512 feature it uses).
    #[inline(always)]
    fn k512(self) -> Conv512 {
        Conv512(self.0.avx512())
    }
    #[inline(always)]
    fn csub(self, x: __m512i, m: __m512i) -> __m512i {
        let f = self.0.avx512f;
        f._mm512_min_epu64(x, f._mm512_sub_epi64(x, m))
    }
}

impl ConvKernel for ConvIfma {
    type V = __m512i;
    type Acc = (__m512i, __m512i);
    const LANES: usize = 8;
    #[inline(always)]
    fn prefetch(self, s: &[u64], at: usize) {
        crate::arith::avx512::prefetch(s, at)
    }
    #[inline(always)]
    fn load(self, s: &[u64]) -> __m512i {
        load(s)
    }
    #[inline(always)]
    fn store(self, d: &mut [u64], v: __m512i) {
        store(d, v)
    }
    #[inline(always)]
    fn splat(self, x: u64) -> __m512i {
        self.0.avx512f._mm512_set1_epi64(x as i64)
    }
    #[inline(always)]
    fn mul_const(self, x: __m512i, w: __m512i, ws: __m512i, q: __m512i) -> __m512i {
        self.csub(mul_shoup52(self.0, x, w, ws, q), q)
    }
    #[inline(always)]
    fn acc_zero(self) -> (__m512i, __m512i) {
        let z = self.0.avx512f._mm512_setzero_si512();
        (z, z)
    }
    #[inline(always)]
    fn acc_mac(self, (lo, hi): (__m512i, __m512i), t: __m512i, m: __m512i) -> (__m512i, __m512i) {
        let ifma = self.0.avx512ifma;
        (
            ifma._mm512_madd52lo_epu64(lo, t, m),
            ifma._mm512_madd52hi_epu64(hi, t, m),
        )
    }
    // The f64 overflow estimate and the table correction are the AVX-512 kernel's (same lanes).
    type F = __m512d;
    #[inline(always)]
    fn f_splat(self, x: f64) -> __m512d {
        self.k512().f_splat(x)
    }
    #[inline(always)]
    fn f_mac(self, acc: __m512d, x: __m512i, sh: __m512i, c: __m512d) -> __m512d {
        self.k512().f_mac(acc, x, sh, c)
    }
    #[inline(always)]
    fn f_round(self, acc: __m512d) -> __m512i {
        self.k512().f_round(acc)
    }
    #[inline(always)]
    fn lookup8(self, v: __m512i, table: &[u64; 8]) -> __m512i {
        self.k512().lookup8(v, table)
    }
    #[inline(always)]
    fn add_mod(self, a: __m512i, b: __m512i, q: __m512i) -> __m512i {
        self.k512().add_mod(a, b, q)
    }
    #[inline(always)]
    fn acc_reduce(self, (lo, hi): (__m512i, __m512i), c: &DstConsts) -> __m512i {
        let f = self.0.avx512f;
        // value = hi·2^52 + lo; move lo's carries into hi so both are below 2^52.
        let hi = f._mm512_add_epi64(hi, f._mm512_srli_epi64::<52>(lo));
        let lo = f._mm512_and_si512(lo, self.splat(MASK52));
        let p = self.splat(c.p);
        let t1 = mul_shoup52(self.0, hi, self.splat(c.r), self.splat(c.r_shoup), p);
        let t2 = mul_shoup52(self.0, lo, self.splat(1), self.splat(c.one_shoup), p);
        let s = f._mm512_add_epi64(t1, t2);
        self.csub(self.csub(s, self.splat(2 * c.p)), p)
    }
}
