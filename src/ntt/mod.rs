//! Negacyclic number-theoretic transform over Z_q\[X\]/(X^n + 1), in four ISA variants.
//!
//! ## Math
//! With ψ a primitive 2n-th root of unity mod q, [`NttPlan::forward`] maps coefficients
//! a_0..a_{n−1} to the evaluations â_k = Σ_j a_j ψ^{(2·brv(k)+1)·j}, i.e. the values at the odd
//! powers of ψ **in bit-reversed order** (`brv` reverses log2(n) bits). [`NttPlan::inverse`] takes
//! exactly that order back to natural coefficient order with the factor 1/n folded in, so
//! `inverse(forward(a)) = a`. Point-wise products in the evaluation domain are negacyclic
//! convolutions of the coefficients.
//!
//! ## Algorithm
//! Forward: Cooley–Tukey (natural in → bit-reversed out) with Harvey's lazy butterflies and the
//! twist by ψ merged into the twiddles `ψ^brv(k)`, stored with their Shoup companions in the order
//! the stages read them (stage with m groups reads entries m..2m; entry 0 is unused). Inverse:
//! Gentleman–Sande with `ψ^−brv(k)`, n^−1 folded into the last stage. IFMA plans read only the
//! companions w' and recompute each twiddle as w = hi52(w'·q) + 1 (exact for every twiddle, a
//! nonzero power of ψ; one `vpmadd52huq`), which halves the twiddle bytes a transform reads. Stages whose butterfly span fits an L1-sized
//! block ([`BLOCK`] words) run depth-first block by block; the others run breadth-first.
//!
//! ## Ranges (q < 2^62; IFMA plans q < 2^50)
//! | call | input | output |
//! |---|---|---|
//! | [`NttPlan::forward`] | [0, 4q) | [0, q) |
//! | [`NttPlan::forward_lazy`] | [0, 4q) | [0, 4q) |
//! | [`NttPlan::inverse`] | [0, 2q) | [0, q) |
//! | [`NttPlan::inverse_lazy`] | [0, 2q) | [0, 2q) |
//!
//! Inside, the forward butterfly keeps values in [0, 4q) and the inverse one in [0, 2q).
//! The canonical outputs ([0, q)) are identical on every ISA. The lazy outputs are identical for
//! all ISAs that use the 64-bit Shoup product (scalar, AVX2, AVX-512); the IFMA path uses the
//! 52-bit Shoup product, whose lazy outputs equal those of [`NttPlan::reference`]'s scalar model.

mod scalar;
mod stages;
mod tables;

#[cfg(simd)]
mod avx2;
#[cfg(simd)]
mod avx512;
#[cfg(simd)]
mod ifma;

use crate::arith::dispatch::{Backend, Job};
use crate::arith::lanes::Lanes;
use crate::arith::{Modulus, primitive_root_2n};
use crate::error::{Error, Result};
use crate::isa::Isa;

pub use crate::arith::{MAX_RING_DEGREE, MIN_RING_DEGREE, check_ring_degree};
pub(crate) use tables::Tables;

/// Stages whose butterfly groups fit in this many words run depth-first per block (16 KiB).
pub const BLOCK: usize = 2048;

/// Which Shoup product the twiddle companions are built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ShoupWidth {
    /// `floor(w·2^64/q)`, used by scalar, AVX2 and AVX-512.
    W64,
    /// `floor(w·2^52/q)`, used by IFMA (and by its scalar model).
    W52,
}

/// What the NTT needs beyond the lanes trait: the ISA's in-register shuffles for strides
/// below its width, whether radix-4 passes pay off, and (IFMA) twiddles recomputed from their
/// companions. The stage loops in `stages.rs` are generic over it; one `impl` per lanes type
/// (`scalar.rs`, `avx2.rs`, `avx512.rs`, `ifma.rs`).
pub(crate) trait NttKernel: Lanes {
    /// Whether two stages per pass (radix 4) pay off: fewer loads and stores, but twice the
    /// live registers (the emulated 64-bit products of AVX2 and AVX-512 spill with it).
    const RADIX4: bool;
    /// The twiddle w recomputed from its companion `ws`, on ISAs where that is cheaper than
    /// reading it (IFMA: one `vpmadd52huq`); `None` elsewhere. Deriving w halves the twiddle
    /// bytes a transform reads — they come from L3 when consecutive transforms use different
    /// primes, as in key switching.
    #[inline(always)]
    fn derived_w(self, _ws: Self::V, _q: Self::V) -> Option<Self::V> {
        None
    }
    /// Forward stage with stride t < `LANES` (in-register shuffles), in/out [0, 4q);
    /// with `reduce` (t = 1 only) out [0, q).
    fn fwd_small(self, q: u64, data: &mut [u64], w: &[u64], ws: &[u64], t: usize, reduce: bool);
    /// Inverse stage with stride t < `LANES`, in/out [0, 2q).
    fn inv_small(self, q: u64, data: &mut [u64], w: &[u64], ws: &[u64], t: usize);
}

/// Runs forward stages over `data` from stride `t` down to `t_stop` (exclusive), pairing
/// stages into radix-4 passes while both strides are at least `LANES`.
/// `twiddles(t)` gives the stage's (twiddle, companion) slices for this `data`.
#[inline(always)]
fn forward_stages<'t, K: NttKernel>(
    k: K,
    q: u64,
    data: &mut [u64],
    (mut t, t_stop): (usize, usize),
    reduce: bool,
    twiddles: impl Fn(usize) -> (&'t [u64], &'t [u64]),
) {
    while t > t_stop {
        if K::RADIX4 && t / 2 > t_stop && t / 2 >= K::LANES.max(2) {
            let ((w1, w1s), (w2, w2s)) = (twiddles(t), twiddles(t / 2));
            stages::fwd_radix4(k, q, data, (w1, w1s), (w2, w2s), t);
            t /= 4;
        } else {
            let (w, ws) = twiddles(t);
            stages::fwd_radix2(k, q, data, (w, ws), t, reduce && t == 1);
            t /= 2;
        }
    }
}

#[inline(always)]
pub(crate) fn forward_driver<K: NttKernel>(
    k: K,
    q: u64,
    data: &mut [u64],
    tab: &Tables,
    reduce: bool,
) {
    let n = data.len();
    let block = BLOCK.min(n);
    // Breadth-first stages: groups larger than a block.
    let whole = |t: usize| {
        let m = n / (2 * t);
        (&tab.fwd[m..2 * m], &tab.fwd_shoup[m..2 * m])
    };
    forward_stages(k, q, data, (n / 2, block / 2), false, whole);
    // Depth-first: every block goes through all remaining stages while it sits in L1.
    for (c, blk) in data.chunks_exact_mut(block).enumerate() {
        let local = |t: usize| {
            let groups = block / (2 * t);
            let off = n / (2 * t) + c * groups;
            (
                &tab.fwd[off..off + groups],
                &tab.fwd_shoup[off..off + groups],
            )
        };
        forward_stages(k, q, blk, (block / 2, 0), reduce, local);
    }
}

/// Runs inverse stages over `data` from stride `t` up to `t_end` (exclusive), pairing
/// stages into radix-4 passes while both strides are at least `LANES`.
#[inline(always)]
fn inverse_stages<'t, K: NttKernel>(
    k: K,
    q: u64,
    data: &mut [u64],
    (mut t, t_end): (usize, usize),
    twiddles: impl Fn(usize) -> (&'t [u64], &'t [u64]),
) {
    while t < t_end {
        if K::RADIX4 && t >= K::LANES && 2 * t < t_end {
            let ((w1, w1s), (w2, w2s)) = (twiddles(t), twiddles(2 * t));
            stages::inv_radix4(k, q, data, (w1, w1s), (w2, w2s), t);
            t *= 4;
        } else {
            let (w, ws) = twiddles(t);
            stages::inv_radix2(k, q, data, (w, ws), t);
            t *= 2;
        }
    }
}

#[inline(always)]
pub(crate) fn inverse_driver<K: NttKernel>(
    k: K,
    q: u64,
    data: &mut [u64],
    tab: &Tables,
    reduce: bool,
) {
    let n = data.len();
    let block = BLOCK.min(n);
    let half = n / 2;
    // Depth-first: strides below min(block, n/2) within each block (never the last stage).
    let t_block = block.min(half);
    for (c, blk) in data.chunks_exact_mut(block).enumerate() {
        let local = |t: usize| {
            let groups = block / (2 * t);
            let off = n / (2 * t) + c * groups;
            (
                &tab.inv[off..off + groups],
                &tab.inv_shoup[off..off + groups],
            )
        };
        inverse_stages(k, q, blk, (1, t_block), local);
    }
    // Breadth-first stages up to the last, then the last with n^−1 folded in.
    let whole = |t: usize| {
        let m = n / (2 * t);
        (&tab.inv[m..2 * m], &tab.inv_shoup[m..2 * m])
    };
    inverse_stages(k, q, data, (t_block, half), whole);
    stages::inv_last(k, q, data, tab, reduce);
}

/// One whole transform, the job [`Backend::dispatch`] runs with the plan's lanes.
pub(crate) struct Transform<'a> {
    q: u64,
    data: &'a mut [u64],
    tab: &'a Tables,
    reduce: bool,
    inverse: bool,
}

impl<K: NttKernel> Job<K> for Transform<'_> {
    type Output = ();
    #[inline(always)]
    fn run(self, k: K) {
        if self.inverse {
            inverse_driver(k, self.q, self.data, self.tab, self.reduce)
        } else {
            forward_driver(k, self.q, self.data, self.tab, self.reduce)
        }
    }
}

/// A negacyclic NTT of one size over one prime, with precomputed twiddles and a fixed ISA.
///
/// ```
/// use ckks_accel::ntt::NttPlan;
/// let q = ckks_accel::arith::ntt_primes(50, 1024, 1).unwrap()[0];
/// let plan = NttPlan::new(1024, q).unwrap();
/// let mut a: Vec<u64> = (0..1024).map(|i| i * 7 % q).collect();
/// let orig = a.clone();
/// plan.forward(&mut a);
/// plan.inverse(&mut a);
/// assert_eq!(a, orig);
/// ```
#[derive(Clone)]
pub struct NttPlan {
    n: usize,
    modulus: Modulus,
    psi: u64,
    backend: Backend,
    width: ShoupWidth,
    tables: Tables,
}

impl std::fmt::Debug for NttPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NttPlan")
            .field("n", &self.n)
            .field("q", &self.modulus.value())
            .field("isa", &self.isa())
            .finish()
    }
}

impl NttPlan {
    /// A plan for degree `n` and prime `q` on the best ISA of this CPU for q
    /// ([`Isa::detect`], IFMA only when q < 2^50).
    pub fn new(n: usize, q: u64) -> Result<NttPlan> {
        Self::with_isa(n, q, Isa::detect().best_for_modulus(q))
    }

    /// A plan forced onto `isa`. Errors if the CPU lacks it or (IFMA) q ≥ 2^50.
    pub fn with_isa(n: usize, q: u64, isa: Isa) -> Result<NttPlan> {
        let width = match isa {
            Isa::Avx512Ifma => ShoupWidth::W52,
            _ => ShoupWidth::W64,
        };
        Self::build(n, q, isa, width)
    }

    /// A plan built on a given primitive 2n-th root of unity ψ (the one another library already
    /// uses, e.g. to exchange evaluation-form data with it), on the best ISA for q.
    ///
    /// The forward transform then evaluates at ψ^(2·brv(k)+1) in bit-reversed order, exactly as
    /// for [`NttPlan::new`] with its ψ; [`NttPlan::psi`] reports the root in use.
    /// Errors with [`Error::InvalidRoot`] unless `root` < q and root^n ≡ −1 (mod q) (for 2n a
    /// power of two this is equivalent to ψ having order exactly 2n), and with the errors of
    /// [`NttPlan::new`] for bad `n` or `q`.
    ///
    /// ```
    /// use ckks_accel::{arith::ntt_primes, ntt::NttPlan};
    /// let (n, q) = (1024, ntt_primes(50, 1024, 1)?[0]);
    /// let default = NttPlan::new(n, q)?;
    /// let psi = default.psi();
    /// let psi3 = default.modulus_ref().pow_mod(psi, 3);      // ψ^3 is another primitive root
    /// let plan = NttPlan::with_root(n, q, psi3)?;
    /// assert_eq!(plan.psi(), psi3);
    /// assert!(NttPlan::with_root(n, q, default.modulus_ref().pow_mod(psi, 2)).is_err());
    /// # Ok::<(), ckks_accel::Error>(())
    /// ```
    pub fn with_root(n: usize, q: u64, root: u64) -> Result<NttPlan> {
        Self::with_root_isa(n, q, root, Isa::detect().best_for_modulus(q))
    }

    /// [`NttPlan::with_root`] forced onto `isa`.
    pub fn with_root_isa(n: usize, q: u64, root: u64, isa: Isa) -> Result<NttPlan> {
        let width = match isa {
            Isa::Avx512Ifma => ShoupWidth::W52,
            _ => ShoupWidth::W64,
        };
        Self::build_with(n, q, isa, width, Some(root))
    }

    /// The scalar plan that computes bit for bit what `self` computes, lazy outputs included:
    /// the 64-bit scalar kernel, or for IFMA plans a scalar model of the 52-bit Shoup product.
    pub fn reference(&self) -> NttPlan {
        Self::build_with(
            self.n,
            self.modulus.value(),
            Isa::Scalar,
            self.width,
            Some(self.psi),
        )
        .expect("parameters were valid for self")
    }

    fn build(n: usize, q: u64, isa: Isa, width: ShoupWidth) -> Result<NttPlan> {
        Self::build_with(n, q, isa, width, None)
    }

    fn build_with(
        n: usize,
        q: u64,
        isa: Isa,
        width: ShoupWidth,
        root: Option<u64>,
    ) -> Result<NttPlan> {
        check_ring_degree(n)?;
        let modulus = Modulus::new(q)?;
        if width == ShoupWidth::W52 && !modulus.ifma_friendly() {
            return Err(Error::ModulusTooLargeForIfma { q });
        }
        let two_n = 2 * n as u64;
        let psi = match root {
            None => primitive_root_2n(&modulus, n)?,
            Some(root) => {
                if !(q - 1).is_multiple_of(two_n) {
                    return Err(Error::NotNttFriendly { q, two_n });
                }
                // For 2n a power of two, ψ has order exactly 2n iff ψ^n = −1.
                if root >= q || modulus.pow_mod(root, n as u64) != q - 1 {
                    return Err(Error::InvalidRoot { root, q, two_n });
                }
                root
            }
        };
        let backend = match (isa, width) {
            (Isa::Scalar, ShoupWidth::W52) => Backend::scalar_model_of(Isa::Avx512Ifma),
            _ => Backend::new(isa)?,
        };
        let tables = Tables::new(n, &modulus, psi, width);
        Ok(NttPlan {
            n,
            modulus,
            psi,
            backend,
            width,
            tables,
        })
    }

    /// Ring degree n.
    pub fn n(&self) -> usize {
        self.n
    }

    /// The prime q.
    pub fn modulus(&self) -> u64 {
        self.modulus.value()
    }

    /// The prime with its reduction constants.
    pub fn modulus_ref(&self) -> &Modulus {
        &self.modulus
    }

    /// The primitive 2n-th root of unity ψ the plan is built on.
    pub fn psi(&self) -> u64 {
        self.psi
    }

    /// The instruction set this plan runs on.
    pub fn isa(&self) -> Isa {
        self.backend.isa()
    }

    /// Forward NTT in place: input [0, 4q) in natural order, output [0, q) in bit-reversed order.
    ///
    /// # Panics
    /// If `a.len() != n`; in debug builds also if an input is ≥ 4q.
    pub fn forward(&self, a: &mut [u64]) {
        self.check(a, 4, "forward");
        self.run_forward(a, true);
    }

    /// Forward NTT in place without the final reduction: input [0, 4q), output [0, 4q).
    ///
    /// # Panics
    /// As [`NttPlan::forward`].
    pub fn forward_lazy(&self, a: &mut [u64]) {
        self.check(a, 4, "forward_lazy");
        self.run_forward(a, false);
    }

    /// Inverse NTT in place (with 1/n): input [0, 2q) in bit-reversed order, output [0, q) in
    /// natural order.
    ///
    /// # Panics
    /// If `a.len() != n`; in debug builds also if an input is ≥ 2q.
    pub fn inverse(&self, a: &mut [u64]) {
        self.check(a, 2, "inverse");
        self.run_inverse(a, true);
    }

    /// Inverse NTT in place without the final reduction: input [0, 2q), output [0, 2q).
    ///
    /// # Panics
    /// As [`NttPlan::inverse`].
    pub fn inverse_lazy(&self, a: &mut [u64]) {
        self.check(a, 2, "inverse_lazy");
        self.run_inverse(a, false);
    }

    /// Out-of-place [`NttPlan::forward`]: `out` = NTT(`input`), `input` untouched.
    ///
    /// # Panics
    /// If either slice's length is not n; in debug builds also if an input is ≥ 4q.
    pub fn forward_into(&self, input: &[u64], out: &mut [u64]) {
        self.copy_in(input, out, 4, "forward_into");
        self.run_forward(out, true);
    }

    /// Out-of-place [`NttPlan::forward_lazy`]: input [0, 4q), output [0, 4q).
    ///
    /// # Panics
    /// As [`NttPlan::forward_into`].
    pub fn forward_lazy_into(&self, input: &[u64], out: &mut [u64]) {
        self.copy_in(input, out, 4, "forward_lazy_into");
        self.run_forward(out, false);
    }

    /// Out-of-place [`NttPlan::inverse`]: input [0, 2q), output [0, q).
    ///
    /// # Panics
    /// If either slice's length is not n; in debug builds also if an input is ≥ 2q.
    pub fn inverse_into(&self, input: &[u64], out: &mut [u64]) {
        self.copy_in(input, out, 2, "inverse_into");
        self.run_inverse(out, true);
    }

    /// Out-of-place [`NttPlan::inverse_lazy`]: input [0, 2q), output [0, 2q).
    ///
    /// # Panics
    /// As [`NttPlan::inverse_into`].
    pub fn inverse_lazy_into(&self, input: &[u64], out: &mut [u64]) {
        self.copy_in(input, out, 2, "inverse_lazy_into");
        self.run_inverse(out, false);
    }

    /// Copies `input` to `out` (one pass, cache-warm for the transform that follows; the
    /// transform itself then runs in place on `out`).
    fn copy_in(&self, input: &[u64], out: &mut [u64], bound: u64, what: &str) {
        self.check(input, bound, what);
        assert_eq!(
            out.len(),
            self.n,
            "NttPlan::{what}: output length {} != n = {}",
            out.len(),
            self.n
        );
        out.copy_from_slice(input);
    }

    fn check(&self, a: &[u64], bound: u64, what: &str) {
        assert_eq!(
            a.len(),
            self.n,
            "NttPlan::{what}: slice length {} != n = {}",
            a.len(),
            self.n
        );
        debug_assert!(
            a.iter().all(|&x| x < bound * self.modulus.value()),
            "NttPlan::{what}: input out of range [0, {bound}q)"
        );
    }

    fn run_forward(&self, a: &mut [u64], reduce: bool) {
        self.run(a, reduce, false);
    }

    fn run_inverse(&self, a: &mut [u64], reduce: bool) {
        self.run(a, reduce, true);
    }

    /// Runs the whole transform on the plan's backend (one dispatch per call).
    fn run(&self, data: &mut [u64], reduce: bool, inverse: bool) {
        self.backend.dispatch(Transform {
            q: self.modulus.value(),
            data,
            tab: &self.tables,
            reduce,
            inverse,
        })
    }
}
