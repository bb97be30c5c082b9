//! AVX2 lanes: 4 × u64. No 64-bit multiply exists on AVX2: both halves of 64×64 products are
//! built from `vpmuludq`; conditional subtractions use the sign of `x − m` with `vblendvpd`.

use super::Modulus;
use super::lanes::{Lanes, Scalar64, check_gather_indices};
use crate::isa::Avx2Token;
use core::arch::x86_64::{__m128i, __m256i};
use pulp::cast;

/// AVX2 lanes (a zero-sized proof that AVX2 is available).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx2Lanes(pub Avx2Token);

/// Broadcast Barrett constants: q, 2q, μ and the shift counts of `c = a·b >> (bits − 2)`.
#[derive(Clone, Copy)]
pub(crate) struct Barrett256 {
    q: __m256i,
    two_q: __m256i,
    mu: __m256i,
    shr: __m128i,
    shl: __m128i,
}

impl Avx2Lanes {
    /// High 64 bits of the lane-wise 64×64 product.
    #[inline(always)]
    pub(crate) fn mul_hi_u64(self, a: __m256i, b: __m256i) -> __m256i {
        self.mul_wide(a, b).1
    }

    /// Low 64 bits of the lane-wise 64×64 product: `al·bl + ((al·bh + ah·bl) << 32)`.
    #[inline(always)]
    pub(crate) fn mul_lo_u64(self, a: __m256i, b: __m256i) -> __m256i {
        let v = self.0.avx2;
        let a_hi = v._mm256_shuffle_epi32::<0b1011_0001>(a);
        let b_hi = v._mm256_shuffle_epi32::<0b1011_0001>(b);
        let ll = v._mm256_mul_epu32(a, b);
        let cross = v._mm256_add_epi64(v._mm256_mul_epu32(a, b_hi), v._mm256_mul_epu32(a_hi, b));
        v._mm256_add_epi64(ll, v._mm256_slli_epi64::<32>(cross))
    }

    /// (lo, hi) of the lane-wise 64×64 product, from four shared `vpmuludq` partial products.
    #[inline(always)]
    pub(crate) fn mul_wide(self, a: __m256i, b: __m256i) -> (__m256i, __m256i) {
        let v = self.0.avx2;
        let lo32 = self.0.avx._mm256_set1_epi64x(0xffff_ffff);
        // Swap the 32-bit halves rather than shifting: `vpmuludq` reads only the low half, and a
        // shift lets LLVM recognise a 128-bit multiply and scalarise it into four `mul`s.
        let a_hi = v._mm256_shuffle_epi32::<0b1011_0001>(a);
        let b_hi = v._mm256_shuffle_epi32::<0b1011_0001>(b);
        let ll = v._mm256_mul_epu32(a, b);
        let lh = v._mm256_mul_epu32(a, b_hi);
        let hl = v._mm256_mul_epu32(a_hi, b);
        let hh = v._mm256_mul_epu32(a_hi, b_hi);
        let t = v._mm256_add_epi64(lh, v._mm256_srli_epi64::<32>(ll));
        let u = v._mm256_add_epi64(hl, v._mm256_and_si256(t, lo32));
        let hi = v._mm256_add_epi64(
            v._mm256_add_epi64(hh, v._mm256_srli_epi64::<32>(t)),
            v._mm256_srli_epi64::<32>(u),
        );
        let lo = v._mm256_or_si256(v._mm256_slli_epi64::<32>(u), v._mm256_and_si256(ll, lo32));
        (lo, hi)
    }
}

impl Lanes for Avx2Lanes {
    type V = __m256i;
    const LANES: usize = 4;
    const SHOUP_BITS: u32 = 64;
    type Tail = Scalar64;
    type Barrett = Barrett256;

    #[inline(always)]
    fn tail(self) -> Scalar64 {
        Scalar64 {}
    }
    #[inline(always)]
    fn splat(self, x: u64) -> __m256i {
        self.0.avx._mm256_set1_epi64x(x as i64)
    }
    #[inline(always)]
    fn load(self, s: &[u64]) -> __m256i {
        cast::<[u64; 4], __m256i>(s.try_into().expect("4 lanes"))
    }
    #[inline(always)]
    fn store(self, d: &mut [u64], v: __m256i) {
        d.copy_from_slice(&cast::<__m256i, [u64; 4]>(v));
    }
    #[inline(always)]
    fn add(self, x: __m256i, y: __m256i) -> __m256i {
        self.0.avx2._mm256_add_epi64(x, y)
    }
    #[inline(always)]
    fn sub(self, x: __m256i, y: __m256i) -> __m256i {
        self.0.avx2._mm256_sub_epi64(x, y)
    }
    /// The sign of `x − m` decides (valid for x < m + 2^63, m ≤ 2^63).
    #[inline(always)]
    fn csub(self, x: __m256i, m: __m256i) -> __m256i {
        let d = self.0.avx2._mm256_sub_epi64(x, m);
        let a = self.0.avx;
        a._mm256_castpd_si256(a._mm256_blendv_pd(
            a._mm256_castsi256_pd(d),
            a._mm256_castsi256_pd(x),
            a._mm256_castsi256_pd(d),
        ))
    }
    #[inline(always)]
    fn mul_shoup64(self, x: __m256i, w: __m256i, ws: __m256i, q: __m256i) -> __m256i {
        let qhat = self.mul_hi_u64(x, ws);
        self.sub(self.mul_lo_u64(x, w), self.mul_lo_u64(qhat, q))
    }
    #[inline(always)]
    fn barrett(self, m: &Modulus) -> Barrett256 {
        let count = |v: u32| cast::<[u64; 2], __m128i>([v as u64, 0]);
        Barrett256 {
            q: self.splat(m.value()),
            two_q: self.splat(2 * m.value()),
            mu: self.splat(m.barrett_mu()),
            shr: count(m.bits() - 2),
            shl: count(66 - m.bits()),
        }
    }
    #[inline(always)]
    fn mul_mod(self, a: __m256i, b: __m256i, c: &Barrett256) -> __m256i {
        let v = self.0.avx2;
        let (lo, hi) = self.mul_wide(a, b);
        let cc = v._mm256_or_si256(v._mm256_srl_epi64(lo, c.shr), v._mm256_sll_epi64(hi, c.shl));
        let qhat = self.mul_hi_u64(cc, c.mu);
        let r = v._mm256_sub_epi64(lo, self.mul_lo_u64(qhat, c.q));
        self.csub(self.csub(r, c.two_q), c.q)
    }
    #[inline(always)]
    fn gather(self, base: &[u64], idx: &[u32]) -> __m256i {
        let vi = cast::<[u32; 4], __m128i>(idx.try_into().expect("4 indices"));
        check_gather_indices(base, idx);
        // SAFETY: AVX2 is enabled (token); every index was just checked to be < base.len(), so
        // all four 8-byte reads are inside `base`.
        unsafe {
            self.0
                .avx2
                ._mm256_i32gather_epi64::<8>(base.as_ptr() as *const i64, vi)
        }
    }
}
