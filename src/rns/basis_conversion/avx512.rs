//! AVX-512 conversion kernel (64-bit lanes): products from `vpmullq` and the `vpmuludq`-built
//! high half, accumulated in lo/hi lanes with an unsigned-compare carry.

use super::{ConvKernel, DstConsts, ROUND_MAGIC};
use crate::arith::avx512::{load, mul_hi_u64, store};
use crate::isa::Avx512Token;
use core::arch::x86_64::{__m512d, __m512i};

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
    type F = __m512d;
    #[inline(always)]
    fn f_splat(self, x: f64) -> __m512d {
        self.0.avx512f._mm512_set1_pd(x)
    }
    #[inline(always)]
    fn f_mac(self, acc: __m512d, x: __m512i, sh: __m512i, c: __m512d) -> __m512d {
        let f = self.0.avx512f;
        // x >> sh < 2^52 becomes the double 2^52 + (x >> sh) by OR-ing in the exponent; taking
        // 2^52 away again is exact. Then one multiply and one add, unfused (as scalar).
        let magic = self.splat(ROUND_MAGIC.to_bits());
        let xf = f._mm512_sub_pd(
            f._mm512_castsi512_pd(f._mm512_or_si512(f._mm512_srlv_epi64(x, sh), magic)),
            f._mm512_castsi512_pd(magic),
        );
        f._mm512_add_pd(acc, f._mm512_mul_pd(xf, c))
    }
    #[inline(always)]
    fn f_round(self, acc: __m512d) -> __m512i {
        let f = self.0.avx512f;
        let r = f._mm512_add_pd(acc, f._mm512_set1_pd(ROUND_MAGIC));
        f._mm512_sub_epi64(f._mm512_castpd_si512(r), self.splat(ROUND_MAGIC.to_bits()))
    }
    #[inline(always)]
    fn lookup8(self, v: __m512i, table: &[u64; 8]) -> __m512i {
        self.0.avx512f._mm512_permutexvar_epi64(v, load(table))
    }
    #[inline(always)]
    fn add_mod(self, a: __m512i, b: __m512i, q: __m512i) -> __m512i {
        self.csub(self.0.avx512f._mm512_add_epi64(a, b), q)
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
