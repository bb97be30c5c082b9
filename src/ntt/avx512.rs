//! AVX-512 NTT primitives, 8 × u64 lanes, generic over the Shoup product ([`ShoupMul`]):
//! the 64-bit one here (`vpmullq` + a `vpmuludq`-built high product), the 52-bit IFMA one in
//! `ifma.rs`. Strides t ≥ 8 run in the generic loops of `stages.rs`; t = 4, 2, 1 load 16
//! words, split them into X/Y registers with `vpermt2q`, and merge them back the same way —
//! no scalar tail for any n ≥ 16.

use super::NttKernel;
use super::stages::{fwd_bfly, inv_bfly};
use crate::arith::avx512::mul_hi_u64;
use crate::isa::Avx512Token;
use core::arch::x86_64::{__m128i, __m256i, __m512i};
use pulp::cast;

/// A lane-wise Shoup product on 8 × u64.
pub(super) trait ShoupMul: Copy {
    /// Whether the kernel runs two stages per pass (see `NttKernel::RADIX4`).
    const RADIX4: bool;
    /// The AVX-512 token (for the non-multiply instructions).
    fn simd(self) -> Avx512Token;
    /// `x·w mod q` in [0, 2q) for x < 4q, `ws` the matching Shoup companion of `w`.
    fn mul_shoup(self, x: __m512i, w: __m512i, ws: __m512i, q: __m512i) -> __m512i;
    /// See `NttKernel::derived_w`.
    #[inline(always)]
    fn derived_w(self, _ws: __m512i, _q: __m512i) -> Option<__m512i> {
        None
    }
}

/// The 64-bit Shoup product: `q̂ = hi64(x·w')`, `r = lo64(x·w) − lo64(q̂·q)`.
#[derive(Clone, Copy)]
pub(super) struct Shoup64(pub Avx512Token);

impl ShoupMul for Shoup64 {
    const RADIX4: bool = false;
    #[inline(always)]
    fn simd(self) -> Avx512Token {
        self.0
    }
    #[inline(always)]
    fn mul_shoup(self, x: __m512i, w: __m512i, ws: __m512i, q: __m512i) -> __m512i {
        let (f, dq) = (self.0.avx512f, self.0.avx512dq);
        let qhat = mul_hi_u64(self.0, x, ws);
        f._mm512_sub_epi64(dq._mm512_mullo_epi64(x, w), dq._mm512_mullo_epi64(qhat, q))
    }
}

/// The NTT primitives for any [`ShoupMul`].
#[derive(Clone, Copy)]
pub(super) struct Kernel512<M>(pub M);

/// Permutation indices splitting 16 words into X (stride bit t clear) and Y (set) lanes,
/// and merging them back: (idx_x, idx_y, idx_lo, idx_hi).
#[inline(always)]
fn split_indices(s: Avx512Token, t: usize) -> [__m512i; 4] {
    let mut x = [0i64; 8];
    let mut y = [0i64; 8];
    let mut merge = [0i64; 16];
    let (mut nx, mut ny) = (0, 0);
    for (e, slot) in merge.iter_mut().enumerate() {
        if e & t == 0 {
            x[nx] = e as i64;
            *slot = nx as i64;
            nx += 1;
        } else {
            y[ny] = e as i64;
            *slot = 8 + ny as i64;
            ny += 1;
        }
    }
    let v = |a: &[i64]| {
        s.avx512f
            ._mm512_setr_epi64(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7])
    };
    [v(&x), v(&y), v(&merge[..8]), v(&merge[8..])]
}

impl<M: ShoupMul> Kernel512<M> {
    /// Twiddles of one 16-word block for stride t < 8, expanded to the X lanes: lane l holds
    /// word idx_x[l], whose group within the block is idx_x[l] / 2t.
    #[inline(always)]
    fn small_twiddles(self, w: &[u64], t: usize) -> __m512i {
        let f = self.0.simd().avx512f;
        match t {
            4 => f._mm512_permutexvar_epi64(
                f._mm512_setr_epi64(0, 0, 0, 0, 1, 1, 1, 1),
                f._mm512_castsi128_si512(cast::<[u64; 2], __m128i>([w[0], w[1]])),
            ),
            2 => f._mm512_permutexvar_epi64(
                f._mm512_setr_epi64(0, 0, 1, 1, 2, 2, 3, 3),
                f._mm512_castsi256_si512(cast::<[u64; 4], __m256i>([w[0], w[1], w[2], w[3]])),
            ),
            _ => self.load(&w[..8]),
        }
    }

    /// Runs `bfly` on every 16-word block of `data` for stride t < 8.
    #[inline(always)]
    fn small_stage(
        self,
        data: &mut [u64],
        (w, ws): (&[u64], &[u64]),
        t: usize,
        q: __m512i,
        bfly: impl Fn(__m512i, __m512i, (__m512i, __m512i)) -> (__m512i, __m512i),
    ) {
        let f = self.0.simd().avx512f;
        let [ix, iy, ilo, ihi] = split_indices(self.0.simd(), t);
        let groups = 8 / t;
        let blocks = data
            .chunks_exact_mut(16)
            .zip(w.chunks_exact(groups))
            .zip(ws.chunks_exact(groups));
        for ((blk, w), ws) in blocks {
            let (lo, hi) = blk.split_at_mut(8);
            let (v0, v1) = (self.load(lo), self.load(hi));
            let x = f._mm512_permutex2var_epi64(v0, ix, v1);
            let y = f._mm512_permutex2var_epi64(v0, iy, v1);
            let tws = self.small_twiddles(ws, t);
            let tw = match self.0.derived_w(tws, q) {
                Some(tw) => tw,
                None => self.small_twiddles(w, t),
            };
            let (nx, ny) = bfly(x, y, (tw, tws));
            self.store(lo, f._mm512_permutex2var_epi64(nx, ilo, ny));
            self.store(hi, f._mm512_permutex2var_epi64(nx, ihi, ny));
        }
    }
}

impl<M: ShoupMul> NttKernel for Kernel512<M> {
    type V = __m512i;
    const RADIX4: bool = M::RADIX4;
    const LANES: usize = 8;

    #[inline(always)]
    fn splat(self, x: u64) -> __m512i {
        self.0.simd().avx512f._mm512_set1_epi64(x as i64)
    }
    #[inline(always)]
    fn load(self, s: &[u64]) -> __m512i {
        crate::arith::avx512::load(s)
    }
    #[inline(always)]
    fn store(self, d: &mut [u64], v: __m512i) {
        crate::arith::avx512::store(d, v)
    }
    #[inline(always)]
    fn csub(self, x: __m512i, m: __m512i) -> __m512i {
        let f = self.0.simd().avx512f;
        f._mm512_min_epu64(x, f._mm512_sub_epi64(x, m))
    }
    #[inline(always)]
    fn mul_shoup(self, x: __m512i, w: __m512i, ws: __m512i, q: __m512i) -> __m512i {
        self.0.mul_shoup(x, w, ws, q)
    }
    #[inline(always)]
    fn derived_w(self, ws: __m512i, q: __m512i) -> Option<__m512i> {
        self.0.derived_w(ws, q)
    }
    #[inline(always)]
    fn add(self, x: __m512i, y: __m512i) -> __m512i {
        self.0.simd().avx512f._mm512_add_epi64(x, y)
    }
    #[inline(always)]
    fn sub(self, x: __m512i, y: __m512i) -> __m512i {
        self.0.simd().avx512f._mm512_sub_epi64(x, y)
    }
    #[inline(always)]
    fn fwd_small(self, q: u64, data: &mut [u64], w: &[u64], ws: &[u64], t: usize, reduce: bool) {
        let (qv, two_q) = (self.splat(q), self.splat(2 * q));
        self.small_stage(
            data,
            (w, ws),
            t,
            qv,
            #[inline(always)]
            |x, y, tw| {
                let (a, b) = fwd_bfly(self, x, y, tw, qv, two_q);
                if reduce {
                    (
                        self.csub(self.csub(a, two_q), qv),
                        self.csub(self.csub(b, two_q), qv),
                    )
                } else {
                    (a, b)
                }
            },
        );
    }
    #[inline(always)]
    fn inv_small(self, q: u64, data: &mut [u64], w: &[u64], ws: &[u64], t: usize) {
        let (qv, two_q) = (self.splat(q), self.splat(2 * q));
        self.small_stage(
            data,
            (w, ws),
            t,
            qv,
            #[inline(always)]
            |x, y, tw| inv_bfly(self, x, y, tw, qv, two_q),
        );
    }
}
