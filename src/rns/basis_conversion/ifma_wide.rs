//! IFMA conversion kernel for bases with primes **above** 2^50 (the 60-bit q_0 and the 61-bit
//! special primes of the reference sets): the 64-bit products are built from 52-bit halves.
//!
//! ## Math
//! A term is `t·m` with `t < q_i < 2^62` (step-1 output) and `m < p_j < 2^62` (matrix constant).
//! Split `t = t0 + t1·2^52` and `m = m0 + m1·2^52` (`t0, m0 < 2^52`, `t1, m1 < 2^10`); then
//!
//! `t·m = t0·m0 + 2^52·(t0·m1 + t1·m0) + 2^104·t1·m1`,
//!
//! and every partial product is below 2^104, so `vpmadd52luq` / `vpmadd52huq` give its exact
//! low / high 52-bit halves. Three accumulators collect the weights 2^0, 2^52 and 2^104:
//!
//! - A0 += lo(t0·m0)
//! - A1 += hi(t0·m0) + lo(t0·m1) + lo(t1·m0)
//! - A2 += hi(t0·m1) + hi(t1·m0) + lo(t1·m1)      (hi(t1·m1) = 0: t1·m1 < 2^20)
//!
//! The m1 terms are skipped at compile time for output primes below 2^50 (const generics, per
//! output row), and the t1 terms are added only for the source primes ≥ 2^52 (listed in
//! `wide_src`; their t ≫ 52 is computed once per tile): 2 `vpmadd52` per term (narrow row) or 4
//! (wide row), plus 2 or 3 per wide source, instead of ~19 uops for the emulated 64×64 product.
//!
//! ## Ranges
//! Each half is < 2^52 and a term adds at most 3 halves to one accumulator, so after
//! `s ≤ MAX_SOURCE_LIMBS = 15` terms every accumulator is < 45·2^52 < 2^58: no overflow.
//! The value V = A0 + 2^52·A1 + 2^104·A2 is the exact integer sum (< 15·2^124 < 2^128).
//! Normalising (carry A0 ≫ 52 into A1, A1 ≫ 52 into A2) leaves A0, A1 < 2^52, A2 < 2^25.
//!
//! - Output prime p < 2^50: `V mod p = [A0]_p + [A1·2^52]_p + [A2·2^104]_p`, three 52-bit Shoup
//!   products each in [0, 2p) (inputs < 2^52), sum < 6p < 2^53, three conditional subtractions
//!   (4p, 2p, p) give [0, p).
//! - Output prime p ≥ 2^50: `[A1·2^52]_p` and `[A2·2^104]_p` by a 52-bit Shoup product whose
//!   64-bit result is assembled from IFMA halves (`shoup52_wide`), plus A0, three conditional
//!   subtractions (see `row_wide` for the ranges).
//!
//! Either way the output is the canonical residue of the exact sum, so it is bit-identical to
//! the scalar `u128` kernel. Step 1 uses the 52-bit Shoup product for source primes < 2^50 and
//! the 64-bit AVX-512 one otherwise; the overflow estimate of exact conversions, the table
//! lookup and the modular add are the AVX-512 kernel's (the same instructions as on IFMA).

use super::BasisConverter;
use crate::arith::MASK52;
use crate::arith::avx512::{load, store};
use crate::arith::dispatch::IfmaLanes;
use crate::arith::ifma::mul_shoup52;
use crate::arith::lanes::Lanes;
use core::arch::x86_64::__m512i;

/// Constants of the split-52 path, built with the converter.
#[derive(Debug, Clone)]
pub(crate) struct WideTables {
    /// Some source prime is ≥ 2^52, so t1 = t ≫ 52 can be non-zero.
    pub t_wide: bool,
    /// The indices of those source primes (t1 terms are added for these only).
    pub wide_src: Vec<usize>,
    /// Every source prime is < 2^50 (narrow rows need no 2^104 part).
    pub src_narrow: bool,
    /// Per source prime: the 52-bit Shoup companion of (Q/q_i)^{−1} if q_i < 2^50, else 0.
    pub q_hat_inv_shoup52: Vec<u64>,
    /// `matrix` split: m0 = m & (2^52 − 1), m1 = m ≫ 52 (same layout as `matrix`).
    pub m_lo: Vec<u64>,
    pub m_hi: Vec<u64>,
    /// Per output prime: the narrow-row reduction constants (None: p ≥ 2^50, wide row).
    pub rows: Vec<Option<Row52>>,
    /// Per output prime: the wide-row reduction constants (used where `rows[j]` is None).
    pub wide_rows: Vec<RowWide>,
}

/// Reduction constants of an output prime 2^50 ≤ p < 2^62: r1 = 2^52 mod p, r2 = 2^104 mod p
/// split at bit 52, with their 52-bit Shoup companions floor(r·2^52/p) (< 2^52 as r < p).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RowWide {
    pub p: u64,
    pub r1_lo: u64,
    pub r1_hi: u64,
    pub r1_s: u64,
    pub r2_lo: u64,
    pub r2_hi: u64,
    pub r2_s: u64,
}

/// Reduction constants of an output prime p < 2^50 (52-bit Shoup companions).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row52 {
    pub one_s: u64,
    /// 2^52 mod p and 2^104 mod p with companions.
    pub r1: u64,
    pub r1_s: u64,
    pub r2: u64,
    pub r2_s: u64,
}

impl WideTables {
    pub(crate) fn new(
        conv_src: &[crate::arith::Modulus],
        dst: &[crate::arith::Modulus],
        q_hat_inv: &[u64],
        matrix: &[u64],
    ) -> WideTables {
        let limit = crate::arith::IFMA_MODULUS_LIMIT;
        let rows = dst
            .iter()
            .map(|m| {
                (m.value() < limit).then(|| {
                    let p = m.value() as u128;
                    let r1 = ((1u128 << 52) % p) as u64;
                    let r2 = ((1u128 << 104) % p) as u64;
                    Row52 {
                        one_s: m.shoup52(1),
                        r1,
                        r1_s: m.shoup52(r1),
                        r2,
                        r2_s: m.shoup52(r2),
                    }
                })
            })
            .collect();
        let wide_rows = dst
            .iter()
            .map(|m| {
                let p = m.value() as u128;
                if p < limit as u128 {
                    return RowWide::default();
                }
                let r1 = (1u128 << 52) % p;
                let r2 = (1u128 << 104) % p;
                RowWide {
                    p: p as u64,
                    r1_lo: r1 as u64 & MASK52,
                    r1_hi: (r1 >> 52) as u64,
                    r1_s: ((r1 << 52) / p) as u64,
                    r2_lo: r2 as u64 & MASK52,
                    r2_hi: (r2 >> 52) as u64,
                    r2_s: ((r2 << 52) / p) as u64,
                }
            })
            .collect();
        WideTables {
            wide_rows,
            t_wide: conv_src.iter().any(|m| m.value() >= 1 << 52),
            wide_src: (0..conv_src.len())
                .filter(|&i| conv_src[i].value() >= 1 << 52)
                .collect(),
            src_narrow: conv_src.iter().all(|m| m.value() < limit),
            q_hat_inv_shoup52: conv_src
                .iter()
                .zip(q_hat_inv)
                .map(|(m, &w)| if m.value() < limit { m.shoup52(w) } else { 0 })
                .collect(),
            m_lo: matrix.iter().map(|&m| m & MASK52).collect(),
            m_hi: matrix.iter().map(|&m| m >> 52).collect(),
            rows,
        }
    }
}

/// The split-52 loop bodies, called by the IFMA `ConvKernel` when the converter has
/// [`WideTables`].
impl IfmaLanes {
    /// A0, A1, A2 of `U` consecutive output vectors (coefficients off.., off + 8.., …; see the
    /// module docs). `U` independent accumulator chains hide the `vpmadd52` latency, and each
    /// matrix constant is broadcast once for all of them. `TW`: some t1 may be non-zero (those
    /// of the sources in `wide_src`, whose t ≫ 52 is in `th`, one TILE-strided row each);
    /// `MW`: m1 may be non-zero.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn accumulate<const TW: bool, const MW: bool, const U: usize>(
        self,
        scratch: &[u64],
        th: &[u64],
        wide_src: &[usize],
        n: usize,
        off: usize,
        toff: usize,
        m_lo: &[u64],
        m_hi: &[u64],
    ) -> [Acc3; U] {
        let (f, ifma) = (self.0.avx512f, self.0.avx512ifma);
        let z = f._mm512_setzero_si512();
        let mut acc = [(z, z, z); U];
        let terms = scratch.chunks_exact(n).zip(m_lo).zip(m_hi);
        for ((src, &m0), &m1) in terms {
            let src = &src[off..off + 8 * U];
            let m0 = self.splat(m0);
            let m1 = self.splat(m1);
            for (u, (a0, a1, a2)) in acc.iter_mut().enumerate() {
                // IFMA reads the low 52 bits of t: t itself stands for t0.
                let t = load(&src[8 * u..8 * u + 8]);
                *a0 = ifma._mm512_madd52lo_epu64(*a0, t, m0);
                *a1 = ifma._mm512_madd52hi_epu64(*a1, t, m0);
                if MW {
                    *a1 = ifma._mm512_madd52lo_epu64(*a1, t, m1);
                    *a2 = ifma._mm512_madd52hi_epu64(*a2, t, m1);
                }
            }
        }
        if TW {
            for (th_i, &i) in th.chunks_exact(super::TILE).zip(wide_src) {
                let th_i = &th_i[toff..toff + 8 * U];
                let (m0, m1) = (self.splat(m_lo[i]), self.splat(m_hi[i]));
                for (u, (_, a1, a2)) in acc.iter_mut().enumerate() {
                    let t1 = load(&th_i[8 * u..8 * u + 8]);
                    *a1 = ifma._mm512_madd52lo_epu64(*a1, t1, m0);
                    *a2 = ifma._mm512_madd52hi_epu64(*a2, t1, m0);
                    if MW {
                        *a2 = ifma._mm512_madd52lo_epu64(*a2, t1, m1);
                    }
                }
            }
        }
        acc
    }

    /// Carries A0 ≫ 52 into A1 and (if `FULL`) A1 ≫ 52 into A2, leaving A0 (and A1) < 2^52.
    #[inline(always)]
    fn normalise<const FULL: bool>(self, (a0, a1, a2): Acc3, mask: __m512i) -> Acc3 {
        let f = self.0.avx512f;
        let a1 = f._mm512_add_epi64(a1, f._mm512_srli_epi64::<52>(a0));
        let a0 = f._mm512_and_si512(a0, mask);
        if FULL {
            let a2 = f._mm512_add_epi64(a2, f._mm512_srli_epi64::<52>(a1));
            (a0, f._mm512_and_si512(a1, mask), a2)
        } else {
            (a0, a1, a2)
        }
    }

    /// Reduction for an output prime p < 2^50, per vector. `A2`: the weight-2^104 part can be
    /// non-zero (false only when every source prime is < 2^50 and no t1 term exists: then each
    /// hi half is < 2^48 and A1 < 15·2^48 + 15 < 2^52 without a carry out).
    #[inline(always)]
    fn row_narrow<const A2: bool, const U: usize>(
        self,
        acc: [Acc3; U],
        c: &Row52,
        p: u64,
    ) -> [__m512i; U] {
        let f = self.0.avx512f;
        let mask = self.splat(MASK52);
        let (pv, p2, p4) = (self.splat(p), self.splat(2 * p), self.splat(4 * p));
        let (one, one_s) = (self.splat(1), self.splat(c.one_s));
        let (r1, r1_s) = (self.splat(c.r1), self.splat(c.r1_s));
        let (r2, r2_s) = (self.splat(c.r2), self.splat(c.r2_s));
        // Loops, not `array::map`: a closure would not inherit the target features.
        let mut out = [f._mm512_setzero_si512(); U];
        for (o, a) in out.iter_mut().zip(acc) {
            let (a0, a1, a2) = self.normalise::<A2>(a, mask);
            let t0 = mul_shoup52(self.0, a0, one, one_s, pv);
            let t1 = mul_shoup52(self.0, a1, r1, r1_s, pv);
            let mut s = f._mm512_add_epi64(t0, t1);
            if A2 {
                let t2 = mul_shoup52(self.0, a2, r2, r2_s, pv);
                s = self.csub(f._mm512_add_epi64(s, t2), p4);
            }
            *o = self.csub(self.csub(s, p2), pv);
        }
        out
    }
    /// `x·r mod p` in [0, 2p) for x < 2^52, r < p, 2^50 ≤ p < 2^62: Shoup with the 52-bit
    /// companion `rs = floor(r·2^52/p)`, q̂ = hi52(x·rs) (x·r/p − q̂ < 2, so x·r − q̂·p ∈ [0, 2p)),
    /// and x·r − q̂·p evaluated mod 2^64 from 52-bit halves of r = r0 + r1·2^52 and
    /// p = p0 + p1·2^52: `lo(x·r0) + (hi(x·r0) + lo(x·r1))·2^52` (the 2^104 part vanishes).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn shoup52_wide(
        self,
        x: __m512i,
        r0: __m512i,
        r1: __m512i,
        rs: __m512i,
        p0: __m512i,
        p1: __m512i,
    ) -> __m512i {
        let (f, ifma) = (self.0.avx512f, self.0.avx512ifma);
        let z = f._mm512_setzero_si512();
        let qhat = ifma._mm512_madd52hi_epu64(z, x, rs);
        let lx = ifma._mm512_madd52lo_epu64(z, x, r0);
        let ux = ifma._mm512_madd52lo_epu64(ifma._mm512_madd52hi_epu64(z, x, r0), x, r1);
        let lq = ifma._mm512_madd52lo_epu64(z, qhat, p0);
        let uq = ifma._mm512_madd52lo_epu64(ifma._mm512_madd52hi_epu64(z, qhat, p0), qhat, p1);
        f._mm512_add_epi64(
            f._mm512_sub_epi64(lx, lq),
            f._mm512_slli_epi64::<52>(f._mm512_sub_epi64(ux, uq)),
        )
    }

    /// Reduction for an output prime 2^50 ≤ p < 2^62, per vector. After normalising, A0, A1 <
    /// 2^52 and A2 = V ≫ 104 < 2^24 (V < 15·2^124). T1 = [A1·2^52], T2 = [A2·2^104] each in
    /// [0, 2p): T1 + T2 < 4p < 2^64 → [0, 2p) → + A0 (< 2^52, i.e. < p if p ≥ 2^52, else < 4p)
    /// gives s < 6p < 2^55 (small p) or s < 3p (p ≥ 2^52, 3p < 2^64); subtractions of 4p, 2p, p
    /// (4p < 2^64) give [0, p).
    #[inline(always)]
    fn row_wide<const U: usize>(self, acc: [Acc3; U], c: &RowWide) -> [__m512i; U] {
        let f = self.0.avx512f;
        let mask = self.splat(MASK52);
        let (p0, p1) = (self.splat(c.p & MASK52), self.splat(c.p >> 52));
        let (pv, p2, p4) = (self.splat(c.p), self.splat(2 * c.p), self.splat(4 * c.p));
        let (r1_lo, r1_hi, r1_s) = (self.splat(c.r1_lo), self.splat(c.r1_hi), self.splat(c.r1_s));
        let (r2_lo, r2_hi, r2_s) = (self.splat(c.r2_lo), self.splat(c.r2_hi), self.splat(c.r2_s));
        let mut out = [f._mm512_setzero_si512(); U];
        for (o, a) in out.iter_mut().zip(acc) {
            let (a0, a1, a2) = self.normalise::<true>(a, mask);
            let t1 = self.shoup52_wide(a1, r1_lo, r1_hi, r1_s, p0, p1);
            let t2 = self.shoup52_wide(a2, r2_lo, r2_hi, r2_s, p0, p1);
            let s = self.csub(f._mm512_add_epi64(t1, t2), p2);
            let s = f._mm512_add_epi64(s, a0);
            let s = self.csub(s, p4);
            *o = self.csub(self.csub(s, p2), pv);
        }
        out
    }

    /// `U` consecutive output vectors of row j (see `ConvKernel::row_dot`).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub(super) fn row_dot_u<const U: usize>(
        self,
        conv: &BasisConverter,
        w: &WideTables,
        j: usize,
        scratch: &[u64],
        extra: &[u64],
        off: usize,
        toff: usize,
    ) -> [__m512i; U] {
        let s = conv.src.len();
        let n = conv.n;
        let (m_lo, m_hi) = (&w.m_lo[j * s..(j + 1) * s], &w.m_hi[j * s..(j + 1) * s]);
        let p = conv.dst[j].value();
        let ws = &w.wide_src[..];
        let scratch = &scratch[..s * n];
        match (w.t_wide, &w.rows[j]) {
            (false, Some(r)) => {
                let a = self
                    .accumulate::<false, false, U>(scratch, extra, ws, n, off, toff, m_lo, m_hi);
                if w.src_narrow {
                    self.row_narrow::<false, U>(a, r, p)
                } else {
                    self.row_narrow::<true, U>(a, r, p)
                }
            }
            (true, Some(r)) => {
                let a =
                    self.accumulate::<true, false, U>(scratch, extra, ws, n, off, toff, m_lo, m_hi);
                self.row_narrow::<true, U>(a, r, p)
            }
            (false, None) => {
                let a =
                    self.accumulate::<false, true, U>(scratch, extra, ws, n, off, toff, m_lo, m_hi);
                self.row_wide::<U>(a, &w.wide_rows[j])
            }
            (true, None) => {
                let a =
                    self.accumulate::<true, true, U>(scratch, extra, ws, n, off, toff, m_lo, m_hi);
                self.row_wide::<U>(a, &w.wide_rows[j])
            }
        }
    }
}

/// The three accumulators (weights 2^0, 2^52, 2^104) of one output vector.
type Acc3 = (__m512i, __m512i, __m512i);

/// Step 1 and the tile preparation of the split-52 path.
impl IfmaLanes {
    /// Step 1 for source limb i: the 52-bit Shoup product for primes < 2^50, the 64-bit one
    /// (with the converter's 64-bit companions) otherwise; canonical output.
    #[inline(always)]
    pub(super) fn wide_step1(
        self,
        conv: &BasisConverter,
        w: &WideTables,
        i: usize,
        src: &[u64],
        dst: &mut [u64],
    ) {
        let ws52 = w.q_hat_inv_shoup52[i];
        let q = conv.src[i].value();
        let (wv, qv) = (self.splat(conv.q_hat_inv[i]), self.splat(q));
        if q < crate::arith::IFMA_MODULUS_LIMIT && ws52 != 0 {
            let ws = self.splat(ws52);
            for (d, x) in dst.chunks_exact_mut(8).zip(src.chunks_exact(8)) {
                let r = mul_shoup52(self.0, load(x), wv, ws, qv);
                store(d, self.csub(r, qv));
            }
        } else {
            let ws = self.splat(conv.q_hat_inv_shoup[i]);
            for (d, x) in dst.chunks_exact_mut(8).zip(src.chunks_exact(8)) {
                let r = self.mul_shoup64(load(x), wv, ws, qv);
                store(d, self.csub(r, qv));
            }
        }
    }

    /// t ≫ 52 of the tile's words of every source prime ≥ 2^52, into `extra`.
    #[inline(always)]
    pub(super) fn wide_tile_prep(
        self,
        conv: &BasisConverter,
        w: &WideTables,
        scratch: &[u64],
        t0: usize,
        tile: usize,
        extra: &mut [u64],
    ) {
        if !w.t_wide {
            return;
        }
        let f = self.0.avx512f;
        let n = conv.n;
        for (k, &i) in w.wide_src.iter().enumerate() {
            let src = &scratch[i * n + t0..i * n + t0 + tile];
            let dst = &mut extra[k * super::TILE..k * super::TILE + tile];
            for (d, x) in dst.chunks_exact_mut(8).zip(src.chunks_exact(8)) {
                store(d, f._mm512_srli_epi64::<52>(load(x)));
            }
        }
    }
}
