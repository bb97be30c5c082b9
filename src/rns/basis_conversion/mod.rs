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

mod scalar;

#[cfg(simd)]
mod avx2;
#[cfg(simd)]
mod avx512;
#[cfg(simd)]
mod ifma;
#[cfg(simd)]
mod ifma_wide;

use crate::arith::Modulus;
use crate::error::{Error, Result};
use crate::isa::{Backend, Isa};
use crate::profile::{Profile, Section};
use crate::rns::{RnsBasis, RnsPoly};

/// Most source limbs one conversion accumulates exactly (15 · 2^124 < 2^128).
pub const MAX_SOURCE_LIMBS: usize = 15;
/// Most source limbs of an exact conversion (the overflow v ≤ #limbs indexes an 8-entry table).
pub const MAX_EXACT_SOURCE_LIMBS: usize = 7;
/// Coefficients per tile of the accumulation loop.
pub const TILE: usize = 512;

/// Per-output-prime constants of the final reduction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DstConsts {
    /// The prime.
    pub p: u64,
    /// 2^w mod p (w = 64, or 52 on IFMA) and its Shoup companion.
    pub r: u64,
    pub r_shoup: u64,
    /// Shoup companion of 1 (floor(2^w / p)).
    pub one_shoup: u64,
}

/// The vector primitives one ISA provides for the conversion loops.
pub(crate) trait ConvKernel: Copy {
    type V: Copy;
    type Acc: Copy;
    const LANES: usize;
    fn load(self, s: &[u64]) -> Self::V;
    fn store(self, d: &mut [u64], v: Self::V);
    fn splat(self, x: u64) -> Self::V;
    /// `x·w mod q` in [0, q) for x < q.
    fn mul_const(self, x: Self::V, w: Self::V, ws: Self::V, q: Self::V) -> Self::V;
    fn acc_zero(self) -> Self::Acc;
    /// acc + t·m, exactly (t, m below their primes).
    fn acc_mac(self, acc: Self::Acc, t: Self::V, m: Self::V) -> Self::Acc;
    /// The accumulated value mod p, in [0, p).
    fn acc_reduce(self, acc: Self::Acc, c: &DstConsts) -> Self::V;
    /// Vector of f64 lanes for the overflow estimate of exact conversions.
    type F: Copy;
    fn f_splat(self, x: f64) -> Self::F;
    /// `acc + f64(x >> sh) · c` with `x >> sh < 2^52` (converted exactly), one IEEE multiply
    /// and one add, **not fused** — every ISA must produce the same bits as scalar.
    fn f_mac(self, acc: Self::F, x: Self::V, sh: Self::V, c: Self::F) -> Self::F;
    /// `acc` rounded to the nearest integer (ties to even), for 0 ≤ acc < 2^51.
    fn f_round(self, acc: Self::F) -> Self::V;
    /// Hints that `s[at]` will be read soon (`prefetcht0` on the AVX-512 and IFMA kernels; a
    /// no-op for scalar and AVX2, whose MAC is not memory-bound at their speed).
    #[inline(always)]
    fn prefetch(self, _s: &[u64], _at: usize) {}
    /// `table[v]` per lane, v < 8.
    fn lookup8(self, v: Self::V, table: &[u64; 8]) -> Self::V;
    /// `(a + b) mod q` for a, b < q < 2^62.
    fn add_mod(self, a: Self::V, b: Self::V, q: Self::V) -> Self::V;

    /// Step 1 for source limb i: `dst = src · (Q/q_i)^{−1} mod q_i`, canonical.
    #[inline(always)]
    fn step1(self, conv: &BasisConverter, i: usize, src: &[u64], dst: &mut [u64]) {
        default_step1(self, conv, i, src, dst)
    }
    /// Per-tile preparation of kernel-specific data in `extra` (coefficients t0..t0 + tile).
    #[inline(always)]
    fn tile_prep(
        self,
        _conv: &BasisConverter,
        _scratch: &[u64],
        _t0: usize,
        _tile: usize,
        _extra: &mut [u64],
    ) {
    }
    /// Output row j at coefficients off..off + LANES: `Σ_i t_i · matrix[j][i] mod p_j`,
    /// canonical (`toff` = off − tile start, an index into the tile data in `extra`).
    #[inline(always)]
    fn row_dot(
        self,
        conv: &BasisConverter,
        j: usize,
        scratch: &[u64],
        _extra: &[u64],
        off: usize,
        _toff: usize,
    ) -> Self::V {
        default_row_dot::<Self, 1>(self, conv, j, scratch, off)[0]
    }
    /// Four consecutive output vectors of row j (coefficients off.. off + 4·LANES), as
    /// [`ConvKernel::row_dot`]: four independent accumulator chains, each matrix constant
    /// broadcast once. The driver uses it whenever a tile holds a multiple of 4 vectors.
    #[inline(always)]
    fn row_dot4(
        self,
        conv: &BasisConverter,
        j: usize,
        scratch: &[u64],
        _extra: &[u64],
        off: usize,
        _toff: usize,
    ) -> [Self::V; 4] {
        default_row_dot::<Self, 4>(self, conv, j, scratch, off)
    }
}

/// The generic step 1 (see [`ConvKernel::step1`]).
#[inline(always)]
pub(crate) fn default_step1<K: ConvKernel>(
    k: K,
    conv: &BasisConverter,
    i: usize,
    src: &[u64],
    dst: &mut [u64],
) {
    let (w, ws, q) = (
        k.splat(conv.q_hat_inv[i]),
        k.splat(conv.q_hat_inv_shoup[i]),
        k.splat(conv.src[i].value()),
    );
    for (d, x) in dst
        .chunks_exact_mut(K::LANES)
        .zip(src.chunks_exact(K::LANES))
    {
        k.store(d, k.mul_const(k.load(x), w, ws, q));
    }
}

/// The generic row dot product of `U` consecutive output vectors (coefficients off..
/// off + U·LANES; see [`ConvKernel::row_dot`] and [`ConvKernel::row_dot4`]): `U` independent
/// accumulator chains, each matrix constant broadcast once.
#[inline(always)]
pub(crate) fn default_row_dot<K: ConvKernel, const U: usize>(
    k: K,
    conv: &BasisConverter,
    j: usize,
    scratch: &[u64],
    off: usize,
) -> [K::V; U] {
    let (n, s, l) = (conv.n, conv.src.len(), K::LANES);
    let row = &conv.matrix[j * s..(j + 1) * s];
    let mut acc = [k.acc_zero(); U];
    for (i, &mij) in row.iter().enumerate() {
        let (src, m) = (&scratch[i * n + off..i * n + off + U * l], k.splat(mij));
        for (u, a) in acc.iter_mut().enumerate() {
            *a = k.acc_mac(*a, k.load(&src[u * l..(u + 1) * l]), m);
        }
    }
    let c = &conv.dst_consts[j];
    let mut out = [k.splat(0); U];
    for (o, a) in out.iter_mut().zip(acc) {
        *o = k.acc_reduce(a, c);
    }
    out
}

/// 2^52 as f64: adding it to 0 ≤ x < 2^51 rounds x to an integer held in the mantissa bits.
pub(crate) const ROUND_MAGIC: f64 = 4_503_599_627_370_496.0;

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
        let n = self.n;
        assert!(
            input.len() >= self.src.len() * n,
            "BasisConverter: input too short"
        );
        let max_pos = self.dst_pos.iter().copied().max().unwrap_or(0);
        assert!(
            out.len() >= (max_pos + 1) * n,
            "BasisConverter: output too short"
        );
        assert!(
            scratch.len() >= self.scratch_len(),
            "BasisConverter: scratch too short"
        );
        match self.backend {
            Backend::Scalar => convert_driver(scalar::ScalarConv, self, input, out, scratch),
            #[cfg(simd)]
            Backend::Avx2(s) => s.vectorize(Job {
                k: avx2::Conv256(s),
                conv: self,
                input,
                out,
                scratch,
            }),
            #[cfg(simd)]
            Backend::Avx512(s) => s.vectorize(Job {
                k: avx512::Conv512(s),
                conv: self,
                input,
                out,
                scratch,
            }),
            #[cfg(simd)]
            Backend::Ifma(s) if self.wide.is_some() => s.vectorize(Job {
                k: ifma_wide::ConvIfmaWide(s),
                conv: self,
                input,
                out,
                scratch,
            }),
            #[cfg(simd)]
            Backend::Ifma(s) => s.vectorize(Job {
                k: ifma::ConvIfma(s),
                conv: self,
                input,
                out,
                scratch,
            }),
        }
    }
}

/// One conversion run inside an ISA's target-feature context.
#[cfg(simd)]
struct Job<'a, K> {
    k: K,
    conv: &'a BasisConverter,
    input: &'a [u64],
    out: &'a mut [u64],
    scratch: &'a mut [u64],
}

#[cfg(simd)]
impl<K: ConvKernel> pulp::NullaryFnOnce for Job<'_, K> {
    type Output = ();
    #[inline(always)]
    fn call(self) {
        convert_driver(self.k, self.conv, self.input, self.out, self.scratch)
    }
}

#[inline(always)]
fn convert_driver<K: ConvKernel>(
    k: K,
    conv: &BasisConverter,
    input: &[u64],
    out: &mut [u64],
    scratch: &mut [u64],
) {
    let n = conv.n;
    let s = conv.src.len();
    // Step 1: t_i = x_i · (Q/q_i)^{−1} mod q_i.
    for i in 0..s {
        k.step1(
            conv,
            i,
            &input[i * n..(i + 1) * n],
            &mut scratch[i * n..(i + 1) * n],
        );
    }
    let (scratch, rest) = scratch.split_at_mut(s * n);
    let (vs, extra) = rest.split_at_mut(if conv.exact.is_some() { TILE } else { 0 });
    let scratch = &*scratch;
    // Step 2: per tile, every output limb from the same source tile.
    let tile = TILE.min(n);
    for t0 in (0..n).step_by(tile) {
        // Exact conversion: v = round(Σ_i t_i / q_i) for the tile, in f64 (same bits on every
        // ISA: exact inputs, the same unfused operations in the same order).
        if let Some(ex) = &conv.exact {
            for (off, v) in (t0..t0 + tile)
                .step_by(K::LANES)
                .zip(vs[..tile].chunks_exact_mut(K::LANES))
            {
                let mut f = k.f_splat(0.0);
                for i in 0..s {
                    let t = k.load(&scratch[i * n + off..i * n + off + K::LANES]);
                    f = k.f_mac(f, t, k.splat(ex.shift[i]), k.f_splat(ex.inv[i]));
                }
                k.store(v, k.f_round(f));
            }
        }
        k.tile_prep(conv, scratch, t0, tile, extra);
        let extra = &*extra;
        for (j, c) in conv.dst_consts.iter().enumerate() {
            let pos = conv.dst_pos[j];
            let dst = &mut out[pos * n + t0..pos * n + t0 + tile];
            let chunks = (t0..t0 + tile)
                .step_by(K::LANES)
                .zip(dst.chunks_exact_mut(K::LANES));
            // No closures here: a closure is a separate function without the kernel's target
            // features, so the intrinsics inside it would not inline (measured: 20–50× slower).
            let step4 = 4 * K::LANES;
            match &conv.exact {
                None if tile.is_multiple_of(step4) => {
                    for (off, d) in (t0..t0 + tile)
                        .step_by(step4)
                        .zip(dst.chunks_exact_mut(step4))
                    {
                        let ys = k.row_dot4(conv, j, scratch, extra, off, off - t0);
                        for (d, y) in d.chunks_exact_mut(K::LANES).zip(ys) {
                            k.store(d, y);
                        }
                    }
                }
                None => {
                    for (off, d) in chunks {
                        k.store(d, k.row_dot(conv, j, scratch, extra, off, off - t0));
                    }
                }
                Some(ex) if tile.is_multiple_of(step4) => {
                    let (table, p) = (&ex.corr[j], k.splat(c.p));
                    for (off, d) in (t0..t0 + tile)
                        .step_by(step4)
                        .zip(dst.chunks_exact_mut(step4))
                    {
                        let ys = k.row_dot4(conv, j, scratch, extra, off, off - t0);
                        let vs = &vs[off - t0..off - t0 + step4];
                        for ((d, y), v) in d
                            .chunks_exact_mut(K::LANES)
                            .zip(ys)
                            .zip(vs.chunks_exact(K::LANES))
                        {
                            let corr = k.lookup8(k.load(v), table);
                            k.store(d, k.add_mod(y, corr, p));
                        }
                    }
                }
                Some(ex) => {
                    // y − v·Q mod p_j, from the table of [−v·Q]_{p_j}.
                    let (table, p) = (&ex.corr[j], k.splat(c.p));
                    for (off, d) in chunks {
                        let v = k.load(&vs[off - t0..off - t0 + K::LANES]);
                        let corr = k.lookup8(v, table);
                        let y = k.row_dot(conv, j, scratch, extra, off, off - t0);
                        k.store(d, k.add_mod(y, corr, p));
                    }
                }
            }
        }
    }
}

/// Exact lazy inner products over limbs of one prime: `out = Σ_j x_j ⊙ y_j mod p`, each output
/// coefficient accumulated without reduction (128-bit, or IFMA lo/hi halves) and reduced once.
/// Used for the key-switching multiply-accumulate across digits.
#[derive(Debug, Clone, Copy)]
pub struct LimbDot {
    consts: DstConsts,
    backend: Backend,
}

/// The operands of one [`LimbDot::dot2`] call, bundled for the target-feature job.
struct DotArgs<'a> {
    xs: &'a [&'a [u64]],
    ys0: &'a [&'a [u64]],
    ys1: &'a [&'a [u64]],
    out0: &'a mut [u64],
    out1: &'a mut [u64],
}

impl LimbDot {
    /// For prime `m`, on the best ISA up to `isa` (IFMA only if m < 2^50).
    pub fn new(m: &Modulus, isa: Isa) -> Result<LimbDot> {
        let isa = if isa == Isa::Avx512Ifma && !m.ifma_friendly() {
            Isa::Avx512
        } else {
            isa
        };
        let backend = Backend::new(isa)?;
        Ok(LimbDot {
            consts: dst_consts(m, isa == Isa::Avx512Ifma),
            backend,
        })
    }

    /// The ISA the kernel runs on.
    pub fn isa(&self) -> Isa {
        self.backend.isa()
    }

    /// `out0 = Σ_j xs[j] ⊙ ys0[j]`, `out1 = Σ_j xs[j] ⊙ ys1[j]` (mod p, canonical), for up to
    /// [`MAX_SOURCE_LIMBS`] terms of canonical inputs. Allocates nothing.
    ///
    /// # Panics
    /// If the term counts differ, exceed the maximum, or a slice is shorter than `out0`.
    pub fn dot2(
        &self,
        xs: &[&[u64]],
        ys0: &[&[u64]],
        ys1: &[&[u64]],
        out0: &mut [u64],
        out1: &mut [u64],
    ) {
        assert!(xs.len() == ys0.len() && xs.len() == ys1.len() && xs.len() <= MAX_SOURCE_LIMBS);
        let len = out0.len();
        assert!(out1.len() == len && xs.iter().chain(ys0).chain(ys1).all(|s| s.len() >= len));
        let args = DotArgs {
            xs,
            ys0,
            ys1,
            out0,
            out1,
        };
        match self.backend {
            Backend::Scalar => dot_driver(scalar::ScalarConv, &self.consts, args),
            #[cfg(simd)]
            Backend::Avx2(s) => s.vectorize(DotJob {
                k: avx2::Conv256(s),
                c: &self.consts,
                args,
            }),
            #[cfg(simd)]
            Backend::Avx512(s) => s.vectorize(DotJob {
                k: avx512::Conv512(s),
                c: &self.consts,
                args,
            }),
            #[cfg(simd)]
            Backend::Ifma(s) => s.vectorize(DotJob {
                k: ifma::ConvIfma(s),
                c: &self.consts,
                args,
            }),
        }
    }
}

#[cfg(simd)]
struct DotJob<'a, K> {
    k: K,
    c: &'a DstConsts,
    args: DotArgs<'a>,
}

#[cfg(simd)]
impl<K: ConvKernel> pulp::NullaryFnOnce for DotJob<'_, K> {
    type Output = ();
    #[inline(always)]
    fn call(self) {
        dot_driver(self.k, self.c, self.args)
    }
}

/// Prefetch distance of the digit MAC, in words per stream.
const DOT_PREFETCH: usize = 256;

#[inline(always)]
fn dot_driver<K: ConvKernel>(k: K, c: &DstConsts, a: DotArgs<'_>) {
    let len = a.out0.len();
    let chunks = a
        .out0
        .chunks_exact_mut(K::LANES)
        .zip(a.out1.chunks_exact_mut(K::LANES));
    for (off, (o0, o1)) in (0..len).step_by(K::LANES).zip(chunks) {
        let (mut acc0, mut acc1) = (k.acc_zero(), k.acc_zero());
        for ((x, y0), y1) in a.xs.iter().zip(a.ys0).zip(a.ys1) {
            // 3·digits streams, the key limbs from DRAM. The L2 streamer stops at every 4 KiB
            // page and ramps up again; a software prefetch DOT_PREFETCH words (2 KiB) ahead keeps
            // each stream in flight across pages (MAC at L: 17.6 → 16.0 ms, median of 3).
            k.prefetch(x, off + DOT_PREFETCH);
            k.prefetch(y0, off + DOT_PREFETCH);
            k.prefetch(y1, off + DOT_PREFETCH);
            let xv = k.load(&x[off..off + K::LANES]);
            acc0 = k.acc_mac(acc0, xv, k.load(&y0[off..off + K::LANES]));
            acc1 = k.acc_mac(acc1, xv, k.load(&y1[off..off + K::LANES]));
        }
        k.store(o0, k.acc_reduce(acc0, c));
        k.store(o1, k.acc_reduce(acc1, c));
    }
}

fn dst_consts(m: &Modulus, w52: bool) -> DstConsts {
    let p = m.value();
    if w52 {
        let r = ((1u128 << 52) % p as u128) as u64;
        DstConsts {
            p,
            r,
            r_shoup: m.shoup52(r),
            one_shoup: m.shoup52(1),
        }
    } else {
        let r = ((1u128 << 64) % p as u128) as u64;
        DstConsts {
            p,
            r,
            r_shoup: m.shoup(r),
            one_shoup: m.shoup(1),
        }
    }
}

/// ModUp of one digit: the digit's limbs (a contiguous run of a polynomial's limbs, coefficient
/// form) are extended to every other limb of the target layout.
#[derive(Debug, Clone)]
pub struct ModUp {
    /// Limb positions of the digit within the extended polynomial.
    pub digit: std::ops::Range<usize>,
    converter: BasisConverter,
}

impl ModUp {
    /// Extends digit `digit` (limb range of `extended`) to the other limbs of `extended`, with
    /// centered digits (the exact conversion) when the digit has at most
    /// [`MAX_EXACT_SOURCE_LIMBS`] limbs.
    pub fn new(extended: &RnsBasis, digit: std::ops::Range<usize>) -> Result<ModUp> {
        Self::with_options(extended, digit, true, Isa::detect())
    }

    /// As [`ModUp::new`] with the conversion's ISA capped at `isa`.
    pub fn with_isa(extended: &RnsBasis, digit: std::ops::Range<usize>, isa: Isa) -> Result<ModUp> {
        Self::with_options(extended, digit, true, isa)
    }

    /// As [`ModUp::new`], choosing the conversion and the ISA cap: `exact` (centered digits, if
    /// the digit has at most [`MAX_EXACT_SOURCE_LIMBS`] limbs) or the fast one
    /// (`[d]_D + u·D`, u ∈ [0, α)).
    pub fn with_options(
        extended: &RnsBasis,
        digit: std::ops::Range<usize>,
        exact: bool,
        isa: Isa,
    ) -> Result<ModUp> {
        let src = extended.sub_basis(digit.clone());
        let others: Vec<usize> = (0..extended.len()).filter(|i| !digit.contains(i)).collect();
        let dst = extended.select(&others);
        let converter = if exact && src.len() <= MAX_EXACT_SOURCE_LIMBS {
            BasisConverter::exact_with_isa(&src, &dst, &others, isa)?
        } else {
            BasisConverter::with_isa(&src, &dst, &others, isa)?
        };
        Ok(ModUp { digit, converter })
    }

    /// The converter doing the work.
    pub fn converter(&self) -> &BasisConverter {
        &self.converter
    }

    /// `out` (all limbs of the extended layout, coefficient form) gets the digit's residues
    /// converted into every limb outside the digit; the digit's own limbs are left untouched.
    pub fn apply(&self, digit_limbs: &[u64], out: &mut [u64], scratch: &mut [u64]) {
        self.converter.convert(digit_limbs, out, scratch);
    }
}

/// ModDown from Q_ℓ ∪ P to Q_ℓ: `(x_Q − Conv^exact_{P→Q}(x_P)) · P^{−1} mod q_i` = ⌊x / P⌉,
/// x divided by P and **rounded to nearest** (|error| ≤ 1/2 + 2^−40 per coefficient, zero
/// mean; see the module docs).
#[derive(Debug, Clone)]
pub struct ModDown {
    q_len: usize,
    converter: BasisConverter,
    /// P^{−1} mod q_i.
    p_inv: Vec<u64>,
}

impl ModDown {
    /// For the layout `q` limbs followed by `p` limbs.
    pub fn new(q: &RnsBasis, p: &RnsBasis) -> Result<ModDown> {
        Self::with_isa(q, p, Isa::detect())
    }

    /// As [`ModDown::new`] with the conversion's ISA capped at `isa`.
    pub fn with_isa(q: &RnsBasis, p: &RnsBasis, isa: Isa) -> Result<ModDown> {
        let converter =
            BasisConverter::exact_with_isa(p, q, &(0..q.len()).collect::<Vec<_>>(), isa)?;
        let p_inv = (0..q.len())
            .map(|i| {
                let m = q.modulus(i);
                let prod = m.product_mod(p.primes().iter().copied());
                m.inv_mod(prod).expect("coprime")
            })
            .collect();
        Ok(ModDown {
            q_len: q.len(),
            converter,
            p_inv,
        })
    }

    /// The P → Q converter.
    pub fn converter(&self) -> &BasisConverter {
        &self.converter
    }

    /// Words of scratch [`ModDown::apply`] needs.
    pub fn scratch_len(&self, n: usize) -> usize {
        self.converter.scratch_len()
            + self.converter.target_len() * n
            + self.converter.source_len() * n
    }

    /// `x` holds `q.len() + p.len()` limbs in evaluation form over Q_ℓ ∪ P; `out` receives the
    /// `q.len()` limbs of the result in evaluation form. `q_basis` / `p_basis` give the NTT plans
    /// and kernels. Allocates nothing.
    pub fn apply(
        &self,
        q_basis: &RnsBasis,
        p_basis: &RnsBasis,
        x: &[u64],
        out: &mut [u64],
        scratch: &mut [u64],
        prof: &mut Profile,
    ) {
        self.apply_many(q_basis, p_basis, [x], [out], [scratch], prof);
    }

    /// [`ModDown::apply`] on two inputs at once (the two halves of a key switch), each with its
    /// own scratch of at least [`ModDown::scratch_len`] words. The same words as two `apply`
    /// calls, but transforms of the same prime run back to back, so the second finds that
    /// prime's twiddles in cache. Allocates nothing.
    ///
    /// # Panics
    /// If a slice is shorter than its layout (as [`ModDown::apply`]).
    pub fn apply_pair(
        &self,
        q_basis: &RnsBasis,
        p_basis: &RnsBasis,
        (x0, x1): (&[u64], &[u64]),
        (out0, out1): (&mut [u64], &mut [u64]),
        (scratch0, scratch1): (&mut [u64], &mut [u64]),
        prof: &mut Profile,
    ) {
        self.apply_many(
            q_basis,
            p_basis,
            [x0, x1],
            [out0, out1],
            [scratch0, scratch1],
            prof,
        );
    }

    /// ModDown of `M` inputs, ordered by prime: each P limb of every input goes to coefficient
    /// form (copy + INTT, one limb at a time), then the conversions, then per Q limb the NTT of
    /// every input's converted limb followed at once by its `(x_q − y)·P^{−1}` while the limb
    /// is still in cache.
    fn apply_many<const M: usize>(
        &self,
        q_basis: &RnsBasis,
        p_basis: &RnsBasis,
        xs: [&[u64]; M],
        mut outs: [&mut [u64]; M],
        scratches: [&mut [u64]; M],
        prof: &mut Profile,
    ) {
        let n = q_basis.n();
        let (k, l) = (p_basis.len(), self.q_len);
        let mut parts = scratches.map(|s| {
            let (xp, rest) = s.split_at_mut(k * n);
            let (yq, conv) = rest.split_at_mut(l * n);
            (xp, yq, conv)
        });
        prof.mod_downs += M as u64;
        // x_P to coefficient form.
        prof.record(Section::Intt, (M * k) as u64, || {
            for i in 0..k {
                let plan = p_basis.plan(i);
                for (x, (xp, _, _)) in xs.iter().zip(parts.iter_mut()) {
                    let limb = (l + i) * n;
                    plan.inverse_into(&x[limb..limb + n], &mut xp[i * n..(i + 1) * n]);
                }
            }
        });
        prof.record(Section::BasisConversion, (M * l) as u64, || {
            for (xp, yq, conv) in parts.iter_mut() {
                self.converter.convert(xp, yq, conv);
            }
        });
        for i in 0..l {
            let (plan, ops) = (q_basis.plan(i), q_basis.ops(i));
            for ((x, out), (_, yq, _)) in xs.iter().zip(outs.iter_mut()).zip(parts.iter_mut()) {
                let y = &mut yq[i * n..(i + 1) * n];
                prof.record(Section::Ntt, 1, || plan.forward(y));
                prof.record(Section::Other, 1, || {
                    let o = &mut out[i * n..(i + 1) * n];
                    ops.sub(&x[i * n..(i + 1) * n], y, o);
                    ops.mul_scalar_assign(o, self.p_inv[i]);
                });
            }
        }
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
