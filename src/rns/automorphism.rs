//! Galois automorphisms σ_g: a(X) ↦ a(X^g) for odd g mod 2n.
//!
//! - Coefficient form: a_i X^i ↦ a_i X^{i·g mod 2n}, with X^n = −1 flipping the sign of the
//!   terms that wrap past n.
//! - Evaluation form (bit-reversed order of [`crate::ntt::NttPlan::forward`], slot k holds the
//!   value at ψ^{e_k}, e_k = 2·brv(k) + 1): σ_g(a)(ψ^{e_k}) = a(ψ^{g·e_k}), so slot k takes slot
//!   k′ with e_{k′} = g·e_k mod 2n — a fixed permutation, precomputed once per g.
//!
//! CKKS rotation by r slots is g = 5^r mod 2n; conjugation is g = 2n − 1.

use super::{Representation, RnsBasis, RnsPoly};
use crate::arith::Modulus;
use crate::arith::dispatch::{Backend, Job};
use crate::arith::lanes::{Lanes, add_mod};
use crate::error::{Error, Result};
use crate::isa::Isa;

impl PartialEq for Automorphism {
    fn eq(&self, other: &Automorphism) -> bool {
        self.n == other.n && self.g == other.g
    }
}

impl Eq for Automorphism {}

/// A precomputed automorphism X ↦ X^g of Z\[X\]/(X^n + 1). The evaluation-form permutation runs
/// as a vector gather (`vpgatherdq`) on AVX2 / AVX-512, chosen once at construction.
#[derive(Debug, Clone)]
pub struct Automorphism {
    backend: Backend,
    n: usize,
    g: usize,
    /// Evaluation form: out[k] = in[eval_index[k]].
    eval_index: Vec<u32>,
    /// Coefficient form: in[i] goes to out[coeff_index[i] & (n−1)], negated if bit log2(n) set.
    coeff_index: Vec<u32>,
}

impl Automorphism {
    /// σ_g for an odd `g` in (0, 2n). Errors on an invalid n or an even / out-of-range g.
    pub fn new(n: usize, g: usize) -> Result<Automorphism> {
        crate::arith::check_ring_degree(n)?;
        let two_n = 2 * n;
        if g.is_multiple_of(2) || g >= two_n {
            return Err(Error::InvalidKeySwitchParams {
                reason: format!("Galois element {g} must be odd and below 2n = {two_n}"),
            });
        }
        let log_n = n.trailing_zeros();
        let brv = |k: usize| k.reverse_bits() >> (usize::BITS - log_n);
        let eval_index = (0..n)
            .map(|k| {
                let e = 2 * brv(k) + 1;
                let e2 = e * g % two_n;
                brv((e2 - 1) / 2) as u32
            })
            .collect();
        let coeff_index = (0..n).map(|i| (i * g % two_n) as u32).collect();
        Ok(Automorphism {
            backend: Backend::new(Isa::detect())?,
            n,
            g,
            eval_index,
            coeff_index,
        })
    }

    /// The automorphism that rotates CKKS slots left by `steps` (negative: right):
    /// g = 5^steps mod 2n.
    pub fn rotation(n: usize, steps: i64) -> Result<Automorphism> {
        Self::new(n, galois_element_for_rotation(n, steps))
    }

    /// Complex conjugation of the slots: g = 2n − 1.
    pub fn conjugation(n: usize) -> Result<Automorphism> {
        Self::new(n, 2 * n - 1)
    }

    /// σ_g^{−1} = σ_{g^{−1} mod 2n}.
    pub fn inverse(&self) -> Result<Automorphism> {
        let two_n = 2 * self.n;
        // The odd residues mod 2n form a group of order n: g^{−1} = g^{n−1}.
        let mut inv = 1usize;
        for _ in 0..self.n - 1 {
            inv = inv * self.g % two_n;
        }
        Automorphism::new(self.n, inv)
    }

    /// The Galois element g.
    pub fn galois_element(&self) -> usize {
        self.g
    }

    /// Ring degree.
    pub fn n(&self) -> usize {
        self.n
    }

    /// One limb in evaluation form: `out[k] = input[k′]`.
    ///
    /// # Panics
    /// If the slices are not n words long.
    pub fn apply_eval_limb(&self, input: &[u64], out: &mut [u64]) {
        assert!(
            input.len() == self.n && out.len() == self.n,
            "automorphism: limb length != n"
        );
        self.permute(input, out, None);
    }

    /// One limb in evaluation form, accumulated: `acc[k] = (acc[k] + input[k′]) mod q`
    /// (canonical inputs and output).
    ///
    /// # Panics
    /// If the slices are not n words long.
    pub fn add_eval_limb(&self, q: &Modulus, input: &[u64], acc: &mut [u64]) {
        assert!(
            input.len() == self.n && acc.len() == self.n,
            "automorphism: limb length != n"
        );
        self.permute(input, acc, Some(q));
    }

    /// `out[k] = input[eval_index[k]]` (or `+=` mod q) on the backend. The callers checked that
    /// both slices are n words; the index table is a permutation of 0..n (built in `new`).
    fn permute(&self, input: &[u64], out: &mut [u64], add: Option<&Modulus>) {
        self.backend.dispatch(Permute {
            idx: &self.eval_index,
            input,
            out,
            add,
        })
    }

    /// One limb in coefficient form mod q (canonical input).
    ///
    /// # Panics
    /// If the slices are not n words long.
    pub fn apply_coeff_limb(&self, q: u64, input: &[u64], out: &mut [u64]) {
        assert!(
            input.len() == self.n && out.len() == self.n,
            "automorphism: limb length != n"
        );
        let mask = self.n - 1;
        for (&x, &j) in input.iter().zip(&self.coeff_index) {
            let j = j as usize;
            out[j & mask] = if j > mask && x != 0 { q - x } else { x };
        }
    }

    /// `out = σ_g(input)` limb by limb, in the input's representation.
    pub fn apply(&self, input: &RnsPoly, out: &mut RnsPoly, basis: &RnsBasis) -> Result<()> {
        basis.check(input.primes())?;
        basis.check(out.primes())?;
        if input.n() != self.n {
            return Err(Error::InvalidRingDegree {
                n: input.n(),
                min: self.n,
                max: self.n,
            });
        }
        let repr = input.representation();
        for i in 0..basis.len() {
            let src = input.limb(i);
            let dst = out.limb_mut(i);
            match repr {
                Representation::Evaluation => self.apply_eval_limb(src, dst),
                Representation::Coefficient => self.apply_coeff_limb(basis.primes()[i], src, dst),
            }
        }
        out.set_representation(repr);
        Ok(())
    }
}

/// g = 5^steps mod 2n (steps taken mod n/2, the order of 5).
pub fn galois_element_for_rotation(n: usize, steps: i64) -> usize {
    let two_n = 2 * n as u64;
    let slots = (n / 2) as i64;
    let e = steps.rem_euclid(slots) as u64;
    let mut g = 1u64;
    let mut b = 5u64;
    let mut k = e;
    while k > 0 {
        if k & 1 == 1 {
            g = g * b % two_n;
        }
        b = b * b % two_n;
        k >>= 1;
    }
    g as usize
}

/// The evaluation-form permutation: `out[k] = input[idx[k]]`, or `(out[k] + input[idx[k]]) mod q`
/// with `add`, by vector gathers (`vpgatherdq`; one word per lane on scalar). The job
/// [`Backend::dispatch`] runs.
struct Permute<'a> {
    /// A permutation of 0..n: every index is inside `input`.
    idx: &'a [u32],
    input: &'a [u64],
    out: &'a mut [u64],
    add: Option<&'a Modulus>,
}

impl<L: Lanes> Job<L> for Permute<'_> {
    type Output = ();
    #[inline(always)]
    fn run(self, l: L) {
        let Permute {
            idx,
            input,
            out,
            add,
        } = self;
        assert!(idx.len() == out.len() && input.len() == out.len());
        let q = l.splat(add.map_or(0, |m| m.value()));
        for (ix, o) in idx
            .chunks_exact(L::LANES)
            .zip(out.chunks_exact_mut(L::LANES))
        {
            // Bounds-checked gather (the table is a permutation of 0..n, so it never fails).
            let g = l.gather(input, ix);
            let r = if add.is_some() {
                add_mod(l, l.load(o), g, q)
            } else {
                g
            };
            l.store(o, r);
        }
    }
}
