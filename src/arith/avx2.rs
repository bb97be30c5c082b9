//! AVX2 lane-wise 64-bit arithmetic shared by the kernels (no 64-bit multiply exists on AVX2:
//! products are built from `vpmuludq`).

use crate::isa::Avx2Token;
use core::arch::x86_64::__m256i;
use pulp::cast;

/// Loads 4 words (`s.len() == 4`).
#[inline(always)]
pub(crate) fn load(s: &[u64]) -> __m256i {
    cast::<[u64; 4], __m256i>(s.try_into().expect("4 lanes"))
}

/// Stores 4 words (`d.len() == 4`).
#[inline(always)]
pub(crate) fn store(d: &mut [u64], v: __m256i) {
    d.copy_from_slice(&cast::<__m256i, [u64; 4]>(v));
}

/// High 64 bits of the lane-wise 64×64 product.
#[inline(always)]
pub(crate) fn mul_hi_u64(s: Avx2Token, a: __m256i, b: __m256i) -> __m256i {
    let v = s.avx2;
    let lo32 = s.avx._mm256_set1_epi64x(0xffff_ffff);
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
    v._mm256_add_epi64(
        v._mm256_add_epi64(hh, v._mm256_srli_epi64::<32>(t)),
        v._mm256_srli_epi64::<32>(u),
    )
}

/// Low 64 bits of the lane-wise 64×64 product: `al·bl + ((al·bh + ah·bl) << 32)`.
#[inline(always)]
pub(crate) fn mul_lo_u64(s: Avx2Token, a: __m256i, b: __m256i) -> __m256i {
    let v = s.avx2;
    let a_hi = v._mm256_shuffle_epi32::<0b1011_0001>(a);
    let b_hi = v._mm256_shuffle_epi32::<0b1011_0001>(b);
    let ll = v._mm256_mul_epu32(a, b);
    let cross = v._mm256_add_epi64(v._mm256_mul_epu32(a, b_hi), v._mm256_mul_epu32(a_hi, b));
    v._mm256_add_epi64(ll, v._mm256_slli_epi64::<32>(cross))
}

/// `x − m` if `x ≥ m` else `x`, for x < m + 2^63 and m ≤ 2^63 (the sign of x − m decides).
#[inline(always)]
pub(crate) fn csub(s: Avx2Token, x: __m256i, m: __m256i) -> __m256i {
    let d = s.avx2._mm256_sub_epi64(x, m);
    let a = s.avx;
    a._mm256_castpd_si256(a._mm256_blendv_pd(
        a._mm256_castsi256_pd(d),
        a._mm256_castsi256_pd(x),
        a._mm256_castsi256_pd(d),
    ))
}

/// 64-bit Shoup product, [0, 2q) for any x.
#[inline(always)]
pub(crate) fn mul_shoup(s: Avx2Token, x: __m256i, w: __m256i, ws: __m256i, q: __m256i) -> __m256i {
    let qhat = mul_hi_u64(s, x, ws);
    s.avx2
        ._mm256_sub_epi64(mul_lo_u64(s, x, w), mul_lo_u64(s, qhat, q))
}
