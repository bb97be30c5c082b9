//! AVX-512 conversion kernel (64-bit lanes): products from `vpmullq` and the `vpmuludq`-built
//! high half, accumulated in lo/hi lanes with an unsigned-compare carry. The f64 overflow
//! estimate and the table lookup are shared with the IFMA kernel (the same instructions).

use super::kernel::{ConvKernel, DstConsts, Estimate, ROUND_MAGIC, reduce_lo_hi};
use crate::arith::avx512::{Lanes512, mul_hi_u64};
use crate::arith::dispatch::Avx512Lanes;
use crate::arith::lanes::Lanes;
use core::arch::x86_64::{__m512d, __m512i};

/// The overflow estimate on 8 f64 lanes, for both 8-lane ISAs (the same instructions).
impl<L: Lanes512> Estimate for L {
    type F = __m512d;
    #[inline(always)]
    fn f_splat(self, x: f64) -> __m512d {
        self.avx512().avx512f._mm512_set1_pd(x)
    }
    #[inline(always)]
    fn f_mac(self, acc: __m512d, x: __m512i, sh: __m512i, c: __m512d) -> __m512d {
        let (l, f) = (self, self.avx512().avx512f);
        // x >> sh < 2^52 becomes the double 2^52 + (x >> sh) by OR-ing in the exponent; taking
        // 2^52 away again is exact. Then one multiply and one add, unfused (as scalar).
        let magic = l.splat(ROUND_MAGIC.to_bits());
        let xf = f._mm512_sub_pd(
            f._mm512_castsi512_pd(f._mm512_or_si512(f._mm512_srlv_epi64(x, sh), magic)),
            f._mm512_castsi512_pd(magic),
        );
        f._mm512_add_pd(acc, f._mm512_mul_pd(xf, c))
    }
    #[inline(always)]
    fn f_round(self, acc: __m512d) -> __m512i {
        let f = self.avx512().avx512f;
        let r = f._mm512_add_pd(acc, f._mm512_set1_pd(ROUND_MAGIC));
        self.sub(f._mm512_castpd_si512(r), self.splat(ROUND_MAGIC.to_bits()))
    }
    /// `vpermq`.
    #[inline(always)]
    fn lookup8(self, v: __m512i, table: &[u64; 8]) -> __m512i {
        self.avx512()
            .avx512f
            ._mm512_permutexvar_epi64(v, self.load(table))
    }
}

impl ConvKernel for Avx512Lanes {
    type Acc = (__m512i, __m512i);
    #[inline(always)]
    fn acc_zero(self) -> (__m512i, __m512i) {
        let z = self.splat(0);
        (z, z)
    }
    #[inline(always)]
    fn acc_mac(self, (lo, hi): (__m512i, __m512i), t: __m512i, m: __m512i) -> (__m512i, __m512i) {
        let (f, dq) = (self.0.avx512f, self.0.avx512dq);
        let plo = dq._mm512_mullo_epi64(t, m);
        let phi = mul_hi_u64(self.0, t, m);
        let lo2 = f._mm512_add_epi64(lo, plo);
        let carry = f._mm512_cmplt_epu64_mask(lo2, plo);
        let sum = f._mm512_add_epi64(hi, phi);
        (lo2, f._mm512_mask_add_epi64(sum, carry, sum, self.splat(1)))
    }
    #[inline(always)]
    fn acc_reduce(self, (lo, hi): (__m512i, __m512i), c: &DstConsts) -> __m512i {
        reduce_lo_hi(self, lo, hi, c)
    }
}
