//! AVX-512 conversion kernel (64-bit lanes): products from `vpmullq` and the `vpmuludq`-built
//! high half, accumulated in lo/hi lanes with an unsigned-compare carry.

use super::{ConvKernel, DstConsts};
use crate::arith::avx512::{load, mul_hi_u64, store};
use crate::isa::Avx512Token;
use core::arch::x86_64::__m512i;

#[derive(Clone, Copy)]
pub(crate) struct Conv512(pub Avx512Token);

impl Conv512 {
    #[inline(always)]
    fn shoup_lazy(self, x: __m512i, w: __m512i, ws: __m512i, q: __m512i) -> __m512i {
        let (f, dq) = (self.0.avx512f, self.0.avx512dq);
        let qhat = mul_hi_u64(self.0, x, ws);
        f._mm512_sub_epi64(dq._mm512_mullo_epi64(x, w), dq._mm512_mullo_epi64(qhat, q))
    }
    #[inline(always)]
    fn csub(self, x: __m512i, m: __m512i) -> __m512i {
        let f = self.0.avx512f;
        f._mm512_min_epu64(x, f._mm512_sub_epi64(x, m))
    }
}

impl ConvKernel for Conv512 {
    type V = __m512i;
    type Acc = (__m512i, __m512i);
    const LANES: usize = 8;
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
        self.csub(self.shoup_lazy(x, w, ws, q), q)
    }
    #[inline(always)]
    fn acc_zero(self) -> (__m512i, __m512i) {
        let z = self.0.avx512f._mm512_setzero_si512();
        (z, z)
    }
    #[inline(always)]
    fn acc_mac(self, (lo, hi): (__m512i, __m512i), t: __m512i, m: __m512i) -> (__m512i, __m512i) {
        let (f, dq) = (self.0.avx512f, self.0.avx512dq);
        let plo = dq._mm512_mullo_epi64(t, m);
        let phi = mul_hi_u64(self.0, t, m);
        let lo2 = f._mm512_add_epi64(lo, plo);
        let carry = f._mm512_cmplt_epu64_mask(lo2, plo);
        let hi2 = f._mm512_mask_add_epi64(
            f._mm512_add_epi64(hi, phi),
            carry,
            f._mm512_add_epi64(hi, phi),
            f._mm512_set1_epi64(1),
        );
        (lo2, hi2)
    }
    #[inline(always)]
    fn acc_reduce(self, (lo, hi): (__m512i, __m512i), c: &DstConsts) -> __m512i {
        let f = self.0.avx512f;
        let (p, one) = (self.splat(c.p), self.splat(1));
        let (one_s, r, r_s) = (
            self.splat(c.one_shoup),
            self.splat(c.r),
            self.splat(c.r_shoup),
        );
        let h = self.csub(self.shoup_lazy(hi, one, one_s, p), p);
        let t1 = self.shoup_lazy(h, r, r_s, p);
        let t2 = self.shoup_lazy(lo, one, one_s, p);
        let s = f._mm512_add_epi64(t1, t2);
        self.csub(self.csub(s, self.splat(2 * c.p)), p)
    }
}
