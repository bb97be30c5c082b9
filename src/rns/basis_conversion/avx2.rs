//! AVX2 conversion kernel: 64×64 products from `vpmuludq` (both halves share the four partial
//! products), accumulated in lo/hi lanes with a sign-flipped compare for the carry.

use super::kernel::{ConvKernel, DstConsts, Estimate, ROUND_MAGIC, reduce_lo_hi};
use crate::arith::dispatch::Avx2Lanes;
use crate::arith::lanes::Lanes;
use core::arch::x86_64::{__m256d, __m256i};

impl ConvKernel for Avx2Lanes {
    type Acc = (__m256i, __m256i);
    #[inline(always)]
    fn acc_zero(self) -> (__m256i, __m256i) {
        let z = self.splat(0);
        (z, z)
    }
    #[inline(always)]
    fn acc_mac(self, (lo, hi): (__m256i, __m256i), t: __m256i, m: __m256i) -> (__m256i, __m256i) {
        let v = self.0.avx2;
        let (plo, phi) = self.mul_wide(t, m);
        let lo2 = v._mm256_add_epi64(lo, plo);
        // carry iff lo2 < plo (unsigned): compare with the sign bits flipped; −1 where true.
        let sign = self.splat(1 << 63);
        let carry =
            v._mm256_cmpgt_epi64(v._mm256_xor_si256(plo, sign), v._mm256_xor_si256(lo2, sign));
        (lo2, v._mm256_sub_epi64(v._mm256_add_epi64(hi, phi), carry))
    }
    #[inline(always)]
    fn acc_reduce(self, (lo, hi): (__m256i, __m256i), c: &DstConsts) -> __m256i {
        reduce_lo_hi(self, lo, hi, c)
    }
}

impl Estimate for Avx2Lanes {
    type F = __m256d;
    #[inline(always)]
    fn f_splat(self, x: f64) -> __m256d {
        self.0.avx._mm256_set1_pd(x)
    }
    #[inline(always)]
    fn f_mac(self, acc: __m256d, x: __m256i, sh: __m256i, c: __m256d) -> __m256d {
        let (a, v) = (self.0.avx, self.0.avx2);
        // x >> sh < 2^52 becomes the double 2^52 + (x >> sh) by OR-ing in the exponent; taking
        // 2^52 away again is exact. Then one multiply and one add, unfused (as scalar).
        let magic = self.splat(ROUND_MAGIC.to_bits());
        let xf = a._mm256_sub_pd(
            a._mm256_castsi256_pd(v._mm256_or_si256(v._mm256_srlv_epi64(x, sh), magic)),
            a._mm256_castsi256_pd(magic),
        );
        a._mm256_add_pd(acc, a._mm256_mul_pd(xf, c))
    }
    #[inline(always)]
    fn f_round(self, acc: __m256d) -> __m256i {
        let a = self.0.avx;
        let r = a._mm256_add_pd(acc, a._mm256_set1_pd(ROUND_MAGIC));
        self.sub(a._mm256_castpd_si256(r), self.splat(ROUND_MAGIC.to_bits()))
    }
    #[inline(always)]
    fn lookup8(self, v: __m256i, table: &[u64; 8]) -> __m256i {
        let v2 = self.0.avx2;
        // 32-bit permutes: word indices 2w, 2w + 1 for w = v mod 4, from the low or high half.
        let w2 = v2._mm256_slli_epi64::<1>(v2._mm256_and_si256(v, self.splat(3)));
        let idx = v2._mm256_or_si256(
            w2,
            v2._mm256_slli_epi64::<32>(v2._mm256_add_epi64(w2, self.splat(1))),
        );
        let lo = v2._mm256_permutevar8x32_epi32(self.load(&table[..4]), idx);
        let hi = v2._mm256_permutevar8x32_epi32(self.load(&table[4..]), idx);
        v2._mm256_blendv_epi8(lo, hi, v2._mm256_cmpgt_epi64(v, self.splat(3)))
    }
}
