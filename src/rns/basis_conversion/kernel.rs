//! The conversion kernel, written once over the lanes trait and [`ConvKernel`]: step 1 (one
//! Shoup product per source word), the per-tile overflow estimate of exact conversions, and
//! the unreduced row dot products (see the module docs of [`super`] for the math and ranges).

use super::{BasisConverter, TILE};
use crate::arith::Modulus;
use crate::arith::dispatch::Job;
use crate::arith::lanes::{Lanes, add_mod};

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

/// The exact conversion's overflow estimate: f64 lanes of the same width and an 8-entry table
/// lookup. One `impl` for scalar, one for AVX2, one for both 8-lane ISAs (`avx512.rs`).
pub(crate) trait Estimate: Lanes {
    /// Vector of f64 lanes for the overflow estimate of exact conversions.
    type F: Copy;
    /// `x` in every f64 lane.
    fn f_splat(self, x: f64) -> Self::F;
    /// `acc + f64(x >> sh) · c` with `x >> sh < 2^52` (converted exactly), one IEEE multiply
    /// and one add, **not fused** — every ISA must produce the same bits as scalar.
    fn f_mac(self, acc: Self::F, x: Self::V, sh: Self::V, c: Self::F) -> Self::F;
    /// `acc` rounded to the nearest integer (ties to even), for 0 ≤ acc < 2^51.
    fn f_round(self, acc: Self::F) -> Self::V;
    /// `table[v]` per lane, v < 8.
    fn lookup8(self, v: Self::V, table: &[u64; 8]) -> Self::V;
}

/// What the conversion loops need beyond the lanes trait: a lazy 128-bit (or split 52-bit)
/// accumulator, the exact conversion's overflow estimate ([`Estimate`]), and per-ISA overrides of the loop bodies (the split-52 IFMA kernel). One `impl` per lanes
/// type (`scalar.rs`, `avx2.rs`, `avx512.rs`, `ifma.rs`).
pub(crate) trait ConvKernel: Estimate {
    /// An exact, unreduced sum of products (lo/hi words, or IFMA's 52-bit halves).
    type Acc: Copy;
    /// The empty sum.
    fn acc_zero(self) -> Self::Acc;
    /// acc + t·m, exactly (t, m below their primes).
    fn acc_mac(self, acc: Self::Acc, t: Self::V, m: Self::V) -> Self::Acc;
    /// The accumulated value mod p, in [0, p).
    fn acc_reduce(self, acc: Self::Acc, c: &DstConsts) -> Self::V;

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
        k.store(d, k.csub(k.mul_shoup(k.load(x), w, ws, q), q));
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

/// `(hi·2^64 + lo) mod p` in [0, p) for the 64-bit accumulators: `[hi]_p·[2^64]_p + [lo]_p`
/// by three 64-bit Shoup products (each in [0, 2p); their sum < 4p < 2^64).
#[inline(always)]
pub(super) fn reduce_lo_hi<L: Lanes>(l: L, lo: L::V, hi: L::V, c: &DstConsts) -> L::V {
    let (p, one) = (l.splat(c.p), l.splat(1));
    let (one_s, r, r_s) = (l.splat(c.one_shoup), l.splat(c.r), l.splat(c.r_shoup));
    let h = l.csub(l.mul_shoup64(hi, one, one_s, p), p);
    let t1 = l.mul_shoup64(h, r, r_s, p);
    let t2 = l.mul_shoup64(lo, one, one_s, p);
    l.csub(l.csub(l.add(t1, t2), l.splat(2 * c.p)), p)
}

/// 2^52 as f64: adding it to 0 ≤ x < 2^51 rounds x to an integer held in the mantissa bits.
pub(crate) const ROUND_MAGIC: f64 = 4_503_599_627_370_496.0;

/// Which part of a conversion a [`ConvertJob`] runs.
#[derive(Clone, Copy)]
pub(super) enum Part {
    /// Step 1 and every output row, row j written at limb `dst_pos[j]`.
    Full,
    /// Step 1 only: the scratch's first s·n words get t_i (for [`Part::Rows`] calls).
    Prepare,
    /// Step 2 of rows `first..first + count` from a prepared scratch, row j written at limb
    /// `j − first` of the output (contiguous, `dst_pos` ignored).
    Rows { first: usize, count: usize },
}

/// One conversion (or part of one): the job [`crate::arith::dispatch::Backend::dispatch`] runs.
pub(super) struct ConvertJob<'a> {
    pub conv: &'a BasisConverter,
    pub input: &'a [u64],
    pub out: &'a mut [u64],
    pub scratch: &'a mut [u64],
    pub part: Part,
}

impl<K: ConvKernel> Job<K> for ConvertJob<'_> {
    type Output = ();
    #[inline(always)]
    fn run(self, k: K) {
        let (conv, scratch) = (self.conv, self.scratch);
        if matches!(self.part, Part::Full | Part::Prepare) {
            step1_all(k, conv, self.input, scratch);
        }
        let (rows, first, placed) = match self.part {
            Part::Full => (0..conv.dst.len(), 0, true),
            Part::Prepare => return,
            Part::Rows { first, count } => (first..first + count, first, false),
        };
        step2_driver(k, conv, rows, first, placed, self.out, scratch)
    }
}

/// Step 1: t_i = x_i · (Q/q_i)^{−1} mod q_i for every source limb, into `scratch[..s·n]`.
#[inline(always)]
fn step1_all<K: ConvKernel>(k: K, conv: &BasisConverter, input: &[u64], scratch: &mut [u64]) {
    let n = conv.n;
    for i in 0..conv.src.len() {
        k.step1(
            conv,
            i,
            &input[i * n..(i + 1) * n],
            &mut scratch[i * n..(i + 1) * n],
        );
    }
}

/// Step 2 for output rows `rows`: row j goes to limb `dst_pos[j]` (`placed`) or `j − first`.
#[inline(always)]
fn step2_driver<K: ConvKernel>(
    k: K,
    conv: &BasisConverter,
    rows: std::ops::Range<usize>,
    first: usize,
    placed: bool,
    out: &mut [u64],
    scratch: &mut [u64],
) {
    let n = conv.n;
    let s = conv.src.len();
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
        for j in rows.clone() {
            let c = &conv.dst_consts[j];
            let pos = if placed { conv.dst_pos[j] } else { j - first };
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
                            k.store(d, add_mod(k, y, corr, p));
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
                        k.store(d, add_mod(k, y, corr, p));
                    }
                }
            }
        }
    }
}

/// The constants of the final reduction mod `m`, for 64-bit or (IFMA) 52-bit products.
pub(crate) fn dst_consts(m: &Modulus, w52: bool) -> DstConsts {
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
