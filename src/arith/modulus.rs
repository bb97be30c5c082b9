//! [`Modulus`]: a prime with its precomputed reduction constants.
//!
//! ## Shoup multiplication by a fixed operand w < q
//! `w' = floor(w·2^64/q)`; for any x < 2^64, `q̂ = hi64(x·w')` and `r = x·w − q̂·q (mod 2^64)`
//! lies in [0, 2q). The IFMA variant uses `w'52 = floor(w·2^52/q)`, `q̂ = floor(x·w'52/2^52)`,
//! valid for x < 2^52, with the same [0, 2q) result.
//!
//! ## Barrett multiplication of two varying operands a, b < q
//! With N the bit length of q, `c = floor(a·b / 2^(N−2))` and `μ = floor(2^(N+62)/q)`,
//! `q̂ = hi64(c·μ)` underestimates floor(a·b/q) by at most 2, so `a·b − q̂·q` is in [0, 3q).
//! The SIMD paths use exactly this formula (52-bit variant: `μ52 = floor(2^(N+50)/q)`,
//! `q̂ = floor(c·μ52 / 2^52)`), so every path reduces to the same canonical value.

use super::{IFMA_MODULUS_LIMIT, MODULUS_LIMIT};
use crate::error::{Error, Result};

/// A prime modulus q in [2, 2^62) with precomputed Barrett and Shoup constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Modulus {
    q: u64,
    bits: u32,
    barrett_mu: u64,
    barrett_mu52: u64,
}

impl Modulus {
    /// Wraps a prime `q < 2^62`. Errors if q is out of range or not prime.
    pub fn new(q: u64) -> Result<Modulus> {
        if !(2..MODULUS_LIMIT).contains(&q) {
            return Err(Error::ModulusOutOfRange { q });
        }
        if !super::is_prime(q) {
            return Err(Error::NotPrime { q });
        }
        let bits = 64 - q.leading_zeros();
        let barrett_mu = ((1u128 << (bits + 62)) / q as u128) as u64;
        let barrett_mu52 = if q < IFMA_MODULUS_LIMIT {
            ((1u128 << (bits + 50)) / q as u128) as u64
        } else {
            0
        };
        Ok(Modulus {
            q,
            bits,
            barrett_mu,
            barrett_mu52,
        })
    }

    /// The modulus q.
    #[inline(always)]
    pub fn value(&self) -> u64 {
        self.q
    }

    /// Bit length N of q (2^(N−1) ≤ q < 2^N).
    #[inline(always)]
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// Barrett constant `floor(2^(N+62)/q)` (fits in 63 bits).
    #[inline(always)]
    pub fn barrett_mu(&self) -> u64 {
        self.barrett_mu
    }

    /// IFMA Barrett constant `floor(2^(N+50)/q)` (fits in 51 bits); 0 when q ≥ 2^50.
    #[inline(always)]
    pub fn barrett_mu52(&self) -> u64 {
        self.barrett_mu52
    }

    /// Whether the 52-bit IFMA kernels can use this modulus (q < 2^50).
    #[inline(always)]
    pub fn ifma_friendly(&self) -> bool {
        self.q < IFMA_MODULUS_LIMIT
    }

    /// Shoup companion `floor(w·2^64/q)` of a fixed operand `w < q`.
    #[inline]
    pub fn shoup(&self, w: u64) -> u64 {
        debug_assert!(w < self.q);
        (((w as u128) << 64) / self.q as u128) as u64
    }

    /// IFMA Shoup companion `floor(w·2^52/q)` of a fixed operand `w < q` (q < 2^50).
    #[inline]
    pub fn shoup52(&self, w: u64) -> u64 {
        debug_assert!(w < self.q && self.ifma_friendly());
        (((w as u128) << 52) / self.q as u128) as u64
    }

    /// Lazy Shoup product: `x·w mod q` in [0, 2q), for any x < 2^64, w < q, `w_shoup = shoup(w)`.
    #[inline(always)]
    pub fn mul_shoup_lazy(&self, x: u64, w: u64, w_shoup: u64) -> u64 {
        let qhat = ((x as u128 * w_shoup as u128) >> 64) as u64;
        x.wrapping_mul(w).wrapping_sub(qhat.wrapping_mul(self.q))
    }

    /// Lazy 52-bit Shoup product (the scalar model of the IFMA kernel): `x·w mod q` in [0, 2q),
    /// for x < 2^52, w < q < 2^50, `w_shoup52 = shoup52(w)`.
    #[inline(always)]
    pub fn mul_shoup52_lazy(&self, x: u64, w: u64, w_shoup52: u64) -> u64 {
        debug_assert!(x < 1 << 52);
        let qhat = ((x as u128 * w_shoup52 as u128) >> 52) as u64;
        x.wrapping_mul(w).wrapping_sub(qhat.wrapping_mul(self.q))
    }

    /// Shoup product reduced to [0, q).
    #[inline(always)]
    pub fn mul_shoup(&self, x: u64, w: u64, w_shoup: u64) -> u64 {
        self.reduce_2q(self.mul_shoup_lazy(x, w, w_shoup))
    }

    /// `a·b mod q` in [0, q) for a, b < q, by the Barrett formula in the module docs.
    #[inline(always)]
    pub fn mul_mod(&self, a: u64, b: u64) -> u64 {
        debug_assert!(a < self.q && b < self.q);
        let p = a as u128 * b as u128;
        let c = (p >> (self.bits - 2)) as u64;
        let qhat = ((c as u128 * self.barrett_mu as u128) >> 64) as u64;
        let r = (p as u64).wrapping_sub(qhat.wrapping_mul(self.q));
        self.reduce_2q(self.reduce_4q(r))
    }

    /// `(a + b) mod q` for a, b < q.
    #[inline(always)]
    pub fn add_mod(&self, a: u64, b: u64) -> u64 {
        self.reduce_2q(a + b)
    }

    /// `(a − b) mod q` for a, b < q.
    #[inline(always)]
    pub fn sub_mod(&self, a: u64, b: u64) -> u64 {
        self.reduce_2q(a + self.q - b)
    }

    /// `−a mod q` for a < q.
    #[inline(always)]
    pub fn neg_mod(&self, a: u64) -> u64 {
        if a == 0 { 0 } else { self.q - a }
    }

    /// Reduces x in [0, 2q) to [0, q).
    #[inline(always)]
    pub fn reduce_2q(&self, x: u64) -> u64 {
        x.min(x.wrapping_sub(self.q))
    }

    /// Reduces x in [0, 4q) to [0, 2q).
    #[inline(always)]
    pub fn reduce_4q(&self, x: u64) -> u64 {
        x.min(x.wrapping_sub(2 * self.q))
    }

    /// Reduces any u64 to [0, q).
    #[inline(always)]
    pub fn reduce(&self, x: u64) -> u64 {
        x % self.q
    }

    /// `base^exp mod q`.
    pub fn pow_mod(&self, base: u64, mut exp: u64) -> u64 {
        let mut b = base % self.q;
        let mut acc = 1 % self.q;
        while exp > 0 {
            if exp & 1 == 1 {
                acc = self.mul_mod(acc, b);
            }
            b = self.mul_mod(b, b);
            exp >>= 1;
        }
        acc
    }

    /// `Π values mod q` (each value may exceed q; the empty product is 1 mod q).
    pub fn product_mod(&self, values: impl IntoIterator<Item = u64>) -> u64 {
        values
            .into_iter()
            .fold(1 % self.q, |acc, v| self.mul_mod(acc, v % self.q))
    }

    /// Multiplicative inverse of `a mod q`, or `None` if a ≡ 0.
    pub fn inv_mod(&self, a: u64) -> Option<u64> {
        let (mut r0, mut r1) = (self.q as i128, (a % self.q) as i128);
        let (mut t0, mut t1) = (0i128, 1i128);
        while r1 != 0 {
            let k = r0 / r1;
            (r0, r1) = (r1, r0 - k * r1);
            (t0, t1) = (t1, t0 - k * t1);
        }
        if r0 != 1 {
            return None;
        }
        Some(t0.rem_euclid(self.q as i128) as u64)
    }
}

impl crate::Isa {
    /// The best of `self` and below that can run a kernel for modulus `q` (IFMA needs
    /// q < 2^50, [`super::IFMA_MODULUS_LIMIT`]).
    pub fn best_for_modulus(self, q: u64) -> crate::Isa {
        if self == crate::Isa::Avx512Ifma && q >= super::IFMA_MODULUS_LIMIT {
            crate::Isa::Avx512
        } else {
            self
        }
    }
}
