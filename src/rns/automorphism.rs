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
use crate::error::{Error, Result};
use crate::isa::{Backend, Isa};

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
        crate::ntt::check_ring_degree(n)?;
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
        // The gather kernels use 64-bit lanes only: IFMA adds nothing here.
        let isa = match Isa::detect() {
            Isa::Avx512Ifma => Isa::Avx512,
            other => other,
        };
        Ok(Automorphism {
            backend: Backend::new(isa)?,
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
        gather::run(self.backend, &self.eval_index, input, out, None);
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
        gather::run(self.backend, &self.eval_index, input, acc, Some(q));
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

/// The evaluation-form permutation kernels: scalar, and vector gathers (indices are a
/// permutation of 0..n, so every gathered address is inside the input limb).
mod gather {
    use crate::arith::Modulus;
    use crate::isa::Backend;

    #[inline(always)]
    fn scalar(idx: &[u32], input: &[u64], out: &mut [u64], add: Option<&Modulus>) {
        match add {
            None => out
                .iter_mut()
                .zip(idx)
                .for_each(|(o, &k)| *o = input[k as usize]),
            Some(q) => out
                .iter_mut()
                .zip(idx)
                .for_each(|(o, &k)| *o = q.add_mod(*o, input[k as usize])),
        }
    }

    /// `out[k] = input[idx[k]]` (or `+=` mod q). The caller guarantees `idx.len() == out.len()`
    /// and every index `< input.len()`.
    pub(super) fn run(
        backend: Backend,
        idx: &[u32],
        input: &[u64],
        out: &mut [u64],
        add: Option<&Modulus>,
    ) {
        debug_assert!(idx.len() == out.len() && idx.iter().all(|&k| (k as usize) < input.len()));
        match backend {
            #[cfg(simd)]
            Backend::Avx512(s) => s.vectorize(
                #[inline(always)]
                || {
                    use core::arch::x86_64::{__m256i, __m512i};
                    let f = s.avx512f;
                    let q = add.map_or(0, |m| m.value());
                    let qv = f._mm512_set1_epi64(q as i64);
                    for (ix, o) in idx.chunks_exact(8).zip(out.chunks_exact_mut(8)) {
                        let vi: __m256i =
                            pulp::cast::<[u32; 8], __m256i>(ix.try_into().expect("8 indices"));
                        // SAFETY: AVX-512F is enabled (token), and every index is below
                        // input.len() (a permutation of 0..n, checked by the callers' length
                        // assertions), so all eight 8-byte reads are inside `input`.
                        let g = unsafe {
                            f._mm512_i32gather_epi64::<8>(vi, input.as_ptr() as *const i64)
                        };
                        let r = if add.is_some() {
                            let acc: __m512i =
                                pulp::cast::<[u64; 8], __m512i>((&*o).try_into().expect("8 lanes"));
                            let sum = f._mm512_add_epi64(acc, g);
                            f._mm512_min_epu64(sum, f._mm512_sub_epi64(sum, qv))
                        } else {
                            g
                        };
                        o.copy_from_slice(&pulp::cast::<__m512i, [u64; 8]>(r));
                    }
                },
            ),
            #[cfg(simd)]
            Backend::Avx2(s) => s.vectorize(
                #[inline(always)]
                || {
                    use core::arch::x86_64::{__m128i, __m256i};
                    let v = s.avx2;
                    let q = add.map_or(0, |m| m.value());
                    let qv = s.avx._mm256_set1_epi64x(q as i64);
                    for (ix, o) in idx.chunks_exact(4).zip(out.chunks_exact_mut(4)) {
                        let vi: __m128i =
                            pulp::cast::<[u32; 4], __m128i>(ix.try_into().expect("4 indices"));
                        // SAFETY: AVX2 is enabled (token), and every index is below input.len()
                        // (see the AVX-512 arm), so all four reads are inside `input`.
                        let g = unsafe {
                            v._mm256_i32gather_epi64::<8>(input.as_ptr() as *const i64, vi)
                        };
                        let r = if add.is_some() {
                            let acc: __m256i =
                                pulp::cast::<[u64; 4], __m256i>((&*o).try_into().expect("4 lanes"));
                            crate::arith::avx2::csub(s, v._mm256_add_epi64(acc, g), qv)
                        } else {
                            g
                        };
                        o.copy_from_slice(&pulp::cast::<__m256i, [u64; 4]>(r));
                    }
                },
            ),
            _ => scalar(idx, input, out, add),
        }
    }
}
