//! Element-wise modular arithmetic over slices, written once over the lanes trait
//! (`kernels.rs`) and dispatched per call.
//!
//! [`Eltwise`] binds a prime q to an instruction set (chosen like [`crate::ntt::NttPlan`]:
//! best available, IFMA only for q < 2^50). Every operation works on equal-length slices.
//!
//! ## Ranges
//! Inputs of `add`, `sub`, `neg`, `mul`, `mul_add` are in [0, q); outputs are canonical
//! ([0, q)), so every ISA returns identical words. `mul_scalar` accepts inputs in [0, 4q) (any
//! u64 on the 64-bit paths) and [`Eltwise::reduce`] maps a lazy range ([0, 2q), [0, 4q) or any
//! u64) to [0, q).
//!
//! ## Kernels
//! `mul` / `mul_add` use the Barrett formula of [`crate::arith::Modulus`] (52-bit variant on
//! IFMA), `mul_scalar` the Shoup product with a companion computed once per call. Lengths that
//! are not a multiple of the vector width finish with a scalar tail using the same formulas;
//! for multiples of 8 (every power-of-two ring degree ≥ 8) no scalar code runs.
//!
//! # Panics
//! Every method panics if the slice lengths differ; debug builds also check the input ranges.

mod kernels;
mod map;

use crate::arith::Modulus;
use crate::arith::dispatch::Backend;
use crate::error::{Error, Result};
use crate::isa::Isa;
use kernels::{EltJob, Op};

/// The lazy range a value is known to lie in, for [`Eltwise::reduce`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LazyRange {
    /// [0, 2q).
    TwoQ,
    /// [0, 4q).
    FourQ,
    /// Any u64.
    Any,
}

/// Element-wise arithmetic mod one prime on one instruction set.
///
/// ```
/// use ckks_accel::eltwise::Eltwise;
/// let q = ckks_accel::arith::ntt_primes(50, 1024, 1).unwrap()[0];
/// let ops = Eltwise::new(q).unwrap();
/// let (a, b) = (vec![3u64; 16], vec![q - 1; 16]);
/// let mut out = vec![0; 16];
/// ops.mul(&a, &b, &mut out);
/// assert!(out.iter().all(|&x| x == q - 3));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Eltwise {
    modulus: Modulus,
    backend: Backend,
}

impl Eltwise {
    /// Operations mod prime `q` on the best ISA for q ([`Isa::detect`], IFMA only if q < 2^50).
    pub fn new(q: u64) -> Result<Eltwise> {
        Self::with_isa(q, Isa::detect().best_for_modulus(q))
    }

    /// Operations mod prime `q` forced onto `isa` (error if unavailable or unsuitable for q).
    pub fn with_isa(q: u64, isa: Isa) -> Result<Eltwise> {
        let modulus = Modulus::new(q)?;
        Self::from_modulus(modulus, isa)
    }

    /// Operations for an already validated modulus.
    pub fn from_modulus(modulus: Modulus, isa: Isa) -> Result<Eltwise> {
        if isa == Isa::Avx512Ifma && !modulus.ifma_friendly() {
            return Err(Error::ModulusTooLargeForIfma { q: modulus.value() });
        }
        Ok(Eltwise {
            modulus,
            backend: Backend::new(isa)?,
        })
    }

    /// The instruction set the operations run on.
    pub fn isa(&self) -> Isa {
        self.backend.isa()
    }

    /// The modulus.
    pub fn modulus(&self) -> &Modulus {
        &self.modulus
    }

    /// Runs one operation on the backend (one dispatch per call).
    fn run(&self, op: Op<'_>) {
        self.backend.dispatch(EltJob {
            m: &self.modulus,
            op,
        })
    }

    fn check(&self, what: &str, lens: &[usize], inputs: &[&[u64]], bound: u64) {
        assert!(
            lens.windows(2).all(|w| w[0] == w[1]),
            "Eltwise::{what}: slice lengths differ: {lens:?}"
        );
        debug_assert!(
            inputs.iter().all(|s| s.iter().all(|&x| x < bound)),
            "Eltwise::{what}: input out of range"
        );
    }

    /// out = a + b mod q.
    pub fn add(&self, a: &[u64], b: &[u64], out: &mut [u64]) {
        self.check(
            "add",
            &[a.len(), b.len(), out.len()],
            &[a, b],
            self.modulus.value(),
        );
        self.run(Op::Add(a, b, out))
    }

    /// a = a + b mod q.
    pub fn add_assign(&self, a: &mut [u64], b: &[u64]) {
        self.check(
            "add_assign",
            &[a.len(), b.len()],
            &[a, b],
            self.modulus.value(),
        );
        self.run(Op::AddAssign(a, b))
    }

    /// out = a − b mod q.
    pub fn sub(&self, a: &[u64], b: &[u64], out: &mut [u64]) {
        self.check(
            "sub",
            &[a.len(), b.len(), out.len()],
            &[a, b],
            self.modulus.value(),
        );
        self.run(Op::Sub(a, b, out))
    }

    /// a = a − b mod q.
    pub fn sub_assign(&self, a: &mut [u64], b: &[u64]) {
        self.check(
            "sub_assign",
            &[a.len(), b.len()],
            &[a, b],
            self.modulus.value(),
        );
        self.run(Op::SubAssign(a, b))
    }

    /// out = −a mod q.
    pub fn neg(&self, a: &[u64], out: &mut [u64]) {
        self.check("neg", &[a.len(), out.len()], &[a], self.modulus.value());
        out.copy_from_slice(a);
        self.neg_assign(out);
    }

    /// a = −a mod q.
    pub fn neg_assign(&self, a: &mut [u64]) {
        self.check("neg_assign", &[a.len()], &[a], self.modulus.value());
        self.run(Op::NegAssign(a))
    }

    /// out = a·b mod q.
    pub fn mul(&self, a: &[u64], b: &[u64], out: &mut [u64]) {
        self.check(
            "mul",
            &[a.len(), b.len(), out.len()],
            &[a, b],
            self.modulus.value(),
        );
        self.run(Op::Mul(a, b, out))
    }

    /// a = a·b mod q.
    pub fn mul_assign(&self, a: &mut [u64], b: &[u64]) {
        self.check(
            "mul_assign",
            &[a.len(), b.len()],
            &[a, b],
            self.modulus.value(),
        );
        self.run(Op::MulAssign(a, b))
    }

    /// out = a·b + c mod q (fused multiply-add).
    pub fn mul_add(&self, a: &[u64], b: &[u64], c: &[u64], out: &mut [u64]) {
        self.check(
            "mul_add",
            &[a.len(), b.len(), c.len(), out.len()],
            &[a, b, c],
            self.modulus.value(),
        );
        self.run(Op::MulAdd(a, b, c, out))
    }

    /// acc = acc + a·b mod q.
    pub fn mul_add_assign(&self, acc: &mut [u64], a: &[u64], b: &[u64]) {
        self.check(
            "mul_add_assign",
            &[acc.len(), a.len(), b.len()],
            &[acc, a, b],
            self.modulus.value(),
        );
        self.run(Op::MulAddAssign(acc, a, b))
    }

    /// One limb of a ciphertext tensor, accumulated: with `a = (a0, a1)`, `b = (b0, b1)` and
    /// `acc = (d0, d1, d2)`,
    /// `d0 += a0·b0`, `d1 += a0·b1 + a1·b0`, `d2 += a1·b1` mod q — or, with `first`,
    /// `d = (a0·b0, a0·b1 + a1·b0, a1·b1)` (the accumulators' old contents are ignored).
    ///
    /// Inputs and accumulators are in [0, q) and stay canonical (four fused multiply-adds per
    /// word on the kernels of [`Eltwise::mul_add_assign`], so every ISA returns the same
    /// words). The work runs in chunks of [`Eltwise::TENSOR_CHUNK`] words so that the seven
    /// streams of a chunk stay in L1 between the four products: each input and accumulator
    /// word is read from memory once per call.
    ///
    /// # Panics
    /// If the seven slices differ in length.
    pub fn tensor_mac(&self, acc: [&mut [u64]; 3], a: [&[u64]; 2], b: [&[u64]; 2], first: bool) {
        let [d0, d1, d2] = acc;
        let q = self.modulus.value();
        self.check(
            "tensor_mac",
            &[
                d0.len(),
                d1.len(),
                d2.len(),
                a[0].len(),
                a[1].len(),
                b[0].len(),
                b[1].len(),
            ],
            &[a[0], a[1], b[0], b[1]],
            q,
        );
        if !first {
            self.check("tensor_mac", &[d0.len()], &[d0, d1, d2], q);
        }
        // Four dispatched kernel calls per chunk (a loop inside one dispatch closure was not
        // inlined into the target-feature function: outlined intrinsics, 100× slower).
        let len = d0.len();
        let mut c = 0;
        while c < len {
            let r = c..(c + Self::TENSOR_CHUNK).min(len);
            let (a0, a1) = (&a[0][r.clone()], &a[1][r.clone()]);
            let (b0, b1) = (&b[0][r.clone()], &b[1][r.clone()]);
            let (e0, e1, e2) = (&mut d0[r.clone()], &mut d1[r.clone()], &mut d2[r]);
            if first {
                self.mul(a0, b0, e0);
                self.mul(a0, b1, e1);
                self.mul_add_assign(e1, a1, b0);
                self.mul(a1, b1, e2);
            } else {
                self.mul_add_assign(e0, a0, b0);
                self.mul_add_assign(e1, a0, b1);
                self.mul_add_assign(e1, a1, b0);
                self.mul_add_assign(e2, a1, b1);
            }
            c += Self::TENSOR_CHUNK;
        }
    }

    /// Words per chunk of [`Eltwise::tensor_mac`] (7 streams × 4 KiB = 28 KiB: within L1).
    pub const TENSOR_CHUNK: usize = 512;

    /// out = a·w mod q for a scalar w < q, by Shoup (companion computed once per call).
    /// Inputs may be lazy: [0, 4q).
    pub fn mul_scalar(&self, a: &[u64], w: u64, out: &mut [u64]) {
        self.check(
            "mul_scalar",
            &[a.len(), out.len()],
            &[a],
            4 * self.modulus.value(),
        );
        out.copy_from_slice(a);
        self.mul_scalar_assign(out, w);
    }

    /// a = a·w mod q for a scalar w < q; inputs in [0, 4q).
    ///
    /// # Panics
    /// If w ≥ q.
    pub fn mul_scalar_assign(&self, a: &mut [u64], w: u64) {
        self.check(
            "mul_scalar_assign",
            &[a.len()],
            &[a],
            4 * self.modulus.value(),
        );
        assert!(
            w < self.modulus.value(),
            "Eltwise::mul_scalar: scalar {w} ≥ q"
        );
        self.run(Op::MulScalarAssign(a, w))
    }

    /// Reduces a lazy slice to [0, q) in place.
    pub fn reduce(&self, a: &mut [u64], from: LazyRange) {
        let bound = match from {
            LazyRange::TwoQ => 2 * self.modulus.value(),
            LazyRange::FourQ => 4 * self.modulus.value(),
            LazyRange::Any => u64::MAX,
        };
        if from != LazyRange::Any {
            self.check("reduce", &[a.len()], &[a], bound);
        }
        self.run(Op::Reduce(a, from))
    }
}
