//! Fast RNS base conversion (base extension), and ModUp / ModDown built from it.
//!
//! ## Math
//! For x given by residues x_i mod q_i (source basis, product Q), the target residues are
//!
//! `y_j = Σ_i [x_i · (Q/q_i)^{−1}]_{q_i} · [Q/q_i]_{p_j}  (mod p_j)`.
//!
//! The sum, taken over the integers, equals x + u·Q for some 0 ≤ u < #source limbs: the
//! conversion is exact up to a small multiple of Q (the "approximate" fast base conversion of
//! Halevi–Polyakov–Shoup / Bajard et al.). Key switching absorbs u·Q: ModUp's extra u·D_j is
//! multiplied by the key's small error and divided by P; ModDown's extra u·P becomes an error of
//! at most u < |P| after the division by P.
//!
//! ## Exact conversion (ModDown, ModUp)
//! [`BasisConverter::exact`] removes u: with t_i = [x_i·(Q/q_i)^{−1}]_{q_i} ∈ [0, q_i),
//! `Σ_i t_i·(Q/q_i) = x + u·Q` and `Σ_i t_i/q_i = x/Q + u`, so for the centered representative
//! x_c ∈ [−Q/2, Q/2] the overflow is `v = ⌊Σ_i t_i/q_i⌉` and `x_c = Σ_i t_i·(Q/q_i) − v·Q`
//! (Halevi–Polyakov–Shoup, eprint 2018/117; the idea of Lattigo's exact ModUp). v is estimated
//! in f64 per coefficient: `Σ_i f64(t_i >> sh_i) · (2^{sh_i}/q_i)` with sh_i = max(0,
//! bits(q_i) − 52), so every conversion to f64 is exact; the products and the sum (in order
//! i = 0, 1, …, unfused) have relative error < 2^−50, total < s·2^−49; `+ 2^52` rounds to the
//! nearest integer. Every ISA does the same IEEE operations in the same order, so v — and the
//! output — are bit-identical to scalar. The estimate can be off only when x_c is within
//! ≈ s·2^−49·Q of ±Q/2 (a rounding tie), where it yields x_c ∓ Q instead: for ModDown the result
//! is then ⌊x/P⌉ rounded the other way at a tie, |error| ≤ 1/2 + 2^−40 either way. Range:
//! 0 ≤ v ≤ s ≤ [`MAX_EXACT_SOURCE_LIMBS`] = 7; the correction `[−v·Q]_{p_j}` comes from an
//! 8-entry table per output prime (`vpermq` on AVX-512, two 32-bit permutes on AVX2) and is added
//! mod p_j to the reduced output. Cost: s f64 multiply-adds per coefficient plus one lookup
//! and one modular add per output word — small next to the s 64×64 products per output word.
//!
//! ModDown = `(x_Q − Conv^exact_{P→Q}(x_P))·P^{−1}` = (x − x_c)/P = ⌊x/P⌉: **round to nearest**,
//! zero-mean error in [−1/2, 1/2] (the fast conversion gave ⌊x/P⌋ − u: mean ≈ −(|P| + 1)/2,
//! the same sign for every coefficient). ModUp can use it for digits of ≤ 7 limbs, giving
//! centered digits (zero mean; see [`crate::keyswitch`]'s noise section, which says when).
//!
//! ## Kernel
//! Step 1 multiplies each source limb by its constant `(Q/q_i)^{−1}` (Shoup, canonical result).
//! Step 2 accumulates the products per output coefficient **without reducing**: exactly in
//! 128 bits (scalar `u128`; AVX2 / AVX-512 as lo/hi lanes with a carry), or on IFMA as separate
//! sums of the low and high 52-bit halves. One reduction per output: hi·2^w + lo ↦
//! `[hi]_p·[2^w]_p + [lo]_p`, three Shoup products. Exactness holds for up to
//! [`MAX_SOURCE_LIMBS`] source limbs. Every ISA returns the same canonical words.
//! Coefficients are processed in tiles of [`TILE`] so the source tile stays in L1 while every
//! output limb is produced from it.

mod kernel;
mod scalar;

#[cfg(simd)]
mod avx2;
#[cfg(simd)]
mod avx512;
#[cfg(simd)]
mod ifma;
#[cfg(simd)]
mod ifma_wide;

pub(crate) use kernel::{ConvKernel, DstConsts, dst_consts};

use crate::arith::Modulus;
use crate::arith::dispatch::Backend;
use crate::error::{Error, Result};
use crate::isa::Isa;
use crate::rns::{RnsBasis, RnsPoly};
use kernel::{ConvertJob, Part};

/// Most source limbs one conversion accumulates exactly (15 · 2^124 < 2^128).
pub const MAX_SOURCE_LIMBS: usize = 15;
/// Most source limbs of an exact conversion (the overflow v ≤ #limbs indexes an 8-entry table).
pub const MAX_EXACT_SOURCE_LIMBS: usize = 7;
/// Coefficients per tile of the accumulation loop.
pub const TILE: usize = 512;

/// Precomputed fast base conversion from one basis to another, writing each output limb at a
/// chosen limb position of an output polynomial.
#[derive(Debug, Clone)]
pub struct BasisConverter {
    n: usize,
    src: Vec<Modulus>,
    dst: Vec<Modulus>,
    /// Output limb j goes to limb `dst_pos[j]` of the output buffer.
    dst_pos: Vec<usize>,
    /// (Q/q_i)^{−1} mod q_i and its companion (width of the backend).
    q_hat_inv: Vec<u64>,
    q_hat_inv_shoup: Vec<u64>,
    /// `matrix[j·src + i] = (Q/q_i) mod p_j`.
    matrix: Vec<u64>,
    dst_consts: Vec<DstConsts>,
    /// Tables of the exact conversion (None: the fast, approximate one).
    exact: Option<ExactTables>,
    /// Tables of the split-52 IFMA kernel (IFMA CPU, some prime ≥ 2^50).
    #[cfg(simd)]
    wide: Option<ifma_wide::WideTables>,
    backend: Backend,
}

/// Constants of the exact conversion's overflow estimate and correction.
#[derive(Debug, Clone)]
struct ExactTables {
    /// Per source prime: shift sh_i = max(0, bits(q_i) − 52), so that t_i >> sh_i < 2^52.
    shift: Vec<u64>,
    /// Per source prime: 2^{sh_i} / q_i as f64.
    inv: Vec<f64>,
    /// Per output prime p_j: `corr[j][v] = [−v·Q]_{p_j}` for v < 8.
    corr: Vec<[u64; 8]>,
}

impl BasisConverter {
    /// A converter from `src` to `dst` (disjoint primes, same n), output limb j written at limb
    /// `dst_pos[j]`. Uses the best ISA of this CPU; on IFMA, bases with a prime ≥ 2^50 use
    /// the split-52 kernel (products from 52-bit halves, see `ifma_wide.rs`).
    pub fn new(src: &RnsBasis, dst: &RnsBasis, dst_pos: &[usize]) -> Result<BasisConverter> {
        Self::with_isa(src, dst, dst_pos, Isa::detect())
    }

    /// As [`BasisConverter::new`] with the ISA capped at `isa`.
    pub fn with_isa(
        src: &RnsBasis,
        dst: &RnsBasis,
        dst_pos: &[usize],
        isa: Isa,
    ) -> Result<BasisConverter> {
        Self::build(src, dst, dst_pos, isa, false)
    }

    /// The **exact** conversion (see the module docs): output j is `[x_c]_{p_j}` for the
    /// centered representative x_c ∈ [−Q/2, Q/2] of x, with no multiple of Q added (up to the
    /// rounding tie at |x_c| ≈ Q/2). At most [`MAX_EXACT_SOURCE_LIMBS`] source limbs. Best ISA
    /// of this CPU.
    pub fn exact(src: &RnsBasis, dst: &RnsBasis, dst_pos: &[usize]) -> Result<BasisConverter> {
        Self::build(src, dst, dst_pos, Isa::detect(), true)
    }

    /// As [`BasisConverter::exact`] with the ISA capped at `isa`.
    pub fn exact_with_isa(
        src: &RnsBasis,
        dst: &RnsBasis,
        dst_pos: &[usize],
        isa: Isa,
    ) -> Result<BasisConverter> {
        Self::build(src, dst, dst_pos, isa, true)
    }

    /// Whether this is the exact conversion.
    pub fn is_exact(&self) -> bool {
        self.exact.is_some()
    }

    fn build(
        src: &RnsBasis,
        dst: &RnsBasis,
        dst_pos: &[usize],
        isa: Isa,
        exact: bool,
    ) -> Result<BasisConverter> {
        let max = if exact {
            MAX_EXACT_SOURCE_LIMBS
        } else {
            MAX_SOURCE_LIMBS
        };
        if src.is_empty() || src.len() > max {
            return Err(Error::TooManySourceLimbs {
                count: src.len(),
                max,
            });
        }
        if dst_pos.len() != dst.len() {
            return Err(Error::InvalidKeySwitchParams {
                reason: format!(
                    "{} output positions for {} output limbs",
                    dst_pos.len(),
                    dst.len()
                ),
            });
        }
        if src.n() != dst.n() {
            return Err(Error::InvalidRingDegree {
                n: dst.n(),
                min: src.n(),
                max: src.n(),
            });
        }
        if let Some(&q) = dst.primes().iter().find(|q| src.primes().contains(q)) {
            return Err(Error::DuplicatePrime { q });
        }
        let all_ifma = src
            .primes()
            .iter()
            .chain(dst.primes())
            .all(|&q| q < crate::arith::IFMA_MODULUS_LIMIT);
        let backend = Backend::new(isa)?;
        // IFMA with a prime ≥ 2^50: the split-52 kernel, with the 64-bit (w = 64) constants of
        // the AVX-512 kernel plus its own tables.
        let w52 = isa == Isa::Avx512Ifma && all_ifma;
        let src_m: Vec<Modulus> = (0..src.len()).map(|i| *src.modulus(i)).collect();
        let dst_m: Vec<Modulus> = (0..dst.len()).map(|j| *dst.modulus(j)).collect();
        let mut q_hat_inv = Vec::with_capacity(src_m.len());
        let mut q_hat_inv_shoup = Vec::with_capacity(src_m.len());
        // Q / q_i as the list of the other source primes.
        let others = |i: usize| {
            src_m
                .iter()
                .enumerate()
                .filter(move |&(k, _)| k != i)
                .map(|(_, m)| m.value())
        };
        for (i, mi) in src_m.iter().enumerate() {
            let prod = mi.product_mod(others(i));
            let inv = mi.inv_mod(prod).expect("distinct primes are coprime");
            q_hat_inv.push(inv);
            q_hat_inv_shoup.push(if w52 { mi.shoup52(inv) } else { mi.shoup(inv) });
        }
        let mut matrix = Vec::with_capacity(src_m.len() * dst_m.len());
        for mj in &dst_m {
            for i in 0..src_m.len() {
                matrix.push(mj.product_mod(others(i)));
            }
        }
        let dst_consts = dst_m.iter().map(|m| dst_consts(m, w52)).collect();
        let exact = exact.then(|| {
            let shift: Vec<u64> = src_m
                .iter()
                .map(|m| (64 - m.value().leading_zeros()).saturating_sub(52) as u64)
                .collect();
            let inv = src_m
                .iter()
                .zip(&shift)
                .map(|(m, &sh)| (1u64 << sh) as f64 / m.value() as f64)
                .collect();
            let corr = dst_m
                .iter()
                .map(|mj| {
                    let neg_q = mj.neg_mod(mj.product_mod(src_m.iter().map(|m| m.value())));
                    let mut t = [0u64; 8];
                    for v in 1..8 {
                        t[v] = mj.add_mod(t[v - 1], neg_q);
                    }
                    t
                })
                .collect();
            ExactTables { shift, inv, corr }
        });
        #[cfg(simd)]
        let wide = (isa == Isa::Avx512Ifma && !all_ifma)
            .then(|| ifma_wide::WideTables::new(&src_m, &dst_m, &q_hat_inv, &matrix));
        Ok(BasisConverter {
            #[cfg(simd)]
            wide,
            n: src.n(),
            src: src_m,
            dst: dst_m,
            dst_pos: dst_pos.to_vec(),
            q_hat_inv,
            q_hat_inv_shoup,
            matrix,
            dst_consts,
            exact,
            backend,
        })
    }

    /// The ISA the conversion runs on.
    pub fn isa(&self) -> Isa {
        self.backend.isa()
    }

    /// Number of source limbs.
    pub fn source_len(&self) -> usize {
        self.src.len()
    }

    /// Number of output limbs.
    pub fn target_len(&self) -> usize {
        self.dst.len()
    }

    /// Words of scratch [`BasisConverter::convert`] needs: one per source coefficient (plus
    /// one tile of overflow estimates for the exact conversion).
    pub fn scratch_len(&self) -> usize {
        self.src.len() * self.n + if self.exact.is_some() { TILE } else { 0 } + self.extra_len()
    }

    /// Words of kernel-specific per-tile scratch (t ≫ 52 of the split-52 kernel).
    fn extra_len(&self) -> usize {
        #[cfg(simd)]
        if let Some(w) = &self.wide {
            return w.wide_src.len() * TILE;
        }
        0
    }

    /// Converts `input` (the source limbs, coefficient form, canonical, one after another) and
    /// writes output limb j at limb `dst_pos[j]` of `out` (canonical). `scratch` holds at least
    /// [`BasisConverter::scratch_len`] words. Allocates nothing.
    ///
    /// # Panics
    /// If a slice is too short for the limbs it must hold.
    pub fn convert(&self, input: &[u64], out: &mut [u64], scratch: &mut [u64]) {
        let max_pos = self.dst_pos.iter().copied().max().unwrap_or(0);
        self.check_lengths(Some(input), (max_pos + 1) * self.n, out, scratch);
        self.backend.dispatch(ConvertJob {
            conv: self,
            input,
            out,
            scratch,
            part: Part::Full,
        })
    }

    /// Panics unless the slices hold what a call needs: the source limbs, `out_words` of output,
    /// [`BasisConverter::scratch_len`] words of scratch.
    fn check_lengths(&self, input: Option<&[u64]>, out_words: usize, out: &[u64], scratch: &[u64]) {
        if let Some(input) = input {
            assert!(
                input.len() >= self.src.len() * self.n,
                "BasisConverter: input too short"
            );
        }
        assert!(out.len() >= out_words, "BasisConverter: output too short");
        assert!(
            scratch.len() >= self.scratch_len(),
            "BasisConverter: scratch too short"
        );
    }

    /// Step 1 of a conversion done once for several [`BasisConverter::convert_rows`] calls:
    /// `scratch` (at least [`BasisConverter::scratch_len`] words) receives the source limbs
    /// times their constants. Allocates nothing.
    ///
    /// # Panics
    /// If a slice is too short for the limbs it must hold.
    pub fn prepare(&self, input: &[u64], scratch: &mut [u64]) {
        self.check_lengths(Some(input), 0, &[], scratch);
        self.backend.dispatch(ConvertJob {
            conv: self,
            input,
            out: &mut [],
            scratch,
            part: Part::Prepare,
        })
    }

    /// Output limbs `rows` (indices into the target basis) of the conversion prepared in
    /// `scratch` by [`BasisConverter::prepare`], written one after another into `out` (limb
    /// `j − rows.start`; `dst_pos` is not used). Together with `prepare`, the same words as
    /// [`BasisConverter::convert`] — so a consumer can take one output limb at a time while
    /// it is in cache (the fused key switch). Allocates nothing.
    ///
    /// # Panics
    /// If `rows` is out of range or a slice is too short.
    pub fn convert_rows(&self, rows: std::ops::Range<usize>, out: &mut [u64], scratch: &mut [u64]) {
        assert!(
            rows.end <= self.dst.len(),
            "BasisConverter: rows out of range"
        );
        assert!(
            out.len() >= rows.len() * self.n,
            "BasisConverter: output too short"
        );
        assert!(
            scratch.len() >= self.scratch_len(),
            "BasisConverter: scratch too short"
        );
        self.backend.dispatch(ConvertJob {
            conv: self,
            input: &[],
            out,
            scratch,
            part: Part::Rows {
                first: rows.start,
                count: rows.len(),
            },
        })
    }
}

/// Convenience: fast base conversion of a whole coefficient-form polynomial into a new one
/// (allocates; for tests and one-off use).
pub fn convert_poly(conv: &BasisConverter, input: &RnsPoly, dst: &RnsBasis) -> Result<RnsPoly> {
    if input.num_limbs() != conv.source_len() {
        return Err(Error::BasisMismatch {
            expected: conv.source_len(),
            expected_first: conv.src[0].value(),
            found: input.num_limbs(),
            found_first: input.primes().first().copied().unwrap_or(0),
        });
    }
    let mut out = RnsPoly::zero(dst, input.representation());
    let mut scratch = vec![0u64; conv.scratch_len()];
    conv.convert(input.as_words(), out.as_words_mut(), &mut scratch);
    Ok(out)
}
