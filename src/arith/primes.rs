//! NTT-friendly primes: deterministic Miller–Rabin for u64 and primitive 2n-th roots of unity.

use super::{MODULUS_LIMIT, Modulus};
use crate::error::{Error, Result};

fn mul_mod_u128(a: u64, b: u64, m: u64) -> u64 {
    (a as u128 * b as u128 % m as u128) as u64
}

fn pow_mod_u128(mut b: u64, mut e: u64, m: u64) -> u64 {
    let mut acc = 1 % m;
    b %= m;
    while e > 0 {
        if e & 1 == 1 {
            acc = mul_mod_u128(acc, b, m);
        }
        b = mul_mod_u128(b, b, m);
        e >>= 1;
    }
    acc
}

/// Deterministic primality test for any u64 (Miller–Rabin with the first twelve prime bases,
/// which is exact below 3.3·10^24).
pub fn is_prime(n: u64) -> bool {
    const BASES: [u64; 12] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];
    if n < 2 {
        return false;
    }
    for &p in &BASES {
        if n.is_multiple_of(p) {
            return n == p;
        }
    }
    let s = (n - 1).trailing_zeros();
    let d = (n - 1) >> s;
    'witness: for &a in &BASES {
        let mut x = pow_mod_u128(a, d, n);
        if x == 1 || x == n - 1 {
            continue;
        }
        for _ in 1..s {
            x = mul_mod_u128(x, x, n);
            if x == n - 1 {
                continue 'witness;
            }
        }
        return false;
    }
    true
}

/// The `count` largest primes of exactly `bits` bits (2^(bits−1) < q < 2^bits) with
/// q ≡ 1 (mod 2n), in decreasing order. `n` must be a supported ring degree and `bits` in
/// [log2(2n) + 1, 62].
///
/// ```
/// let qs = ckks_accel::arith::ntt_primes(50, 1 << 16, 3).unwrap();
/// assert!(qs.iter().all(|&q| q < 1 << 50 && q % (1 << 17) == 1));
/// ```
pub fn ntt_primes(bits: u32, n: usize, count: usize) -> Result<Vec<u64>> {
    super::check_ring_degree(n)?;
    let two_n = 2 * n as u64;
    let min_bits = two_n.trailing_zeros() + 1;
    if bits < min_bits || bits > 62 {
        return Err(Error::InvalidPrimeBits {
            bits,
            min: min_bits,
            max: 62,
        });
    }
    let upper = if bits == 62 {
        MODULUS_LIMIT
    } else {
        1u64 << bits
    };
    let lower = 1u64 << (bits - 1);
    // At most this many candidates k·2n + 1 lie in [lower, upper): refuse a larger count before
    // allocating anything (a huge count used to abort on capacity overflow).
    let candidates = ((upper - lower) / two_n + 1) as usize;
    if count > candidates {
        return Err(Error::NotEnoughPrimes {
            bits,
            two_n,
            wanted: count,
            found: candidates,
        });
    }
    let mut out = Vec::with_capacity(count);
    // Largest q = k·2n + 1 below `upper`.
    let mut q = (upper - 2) / two_n * two_n + 1;
    while out.len() < count && q > lower {
        if is_prime(q) {
            out.push(q);
        }
        if q < two_n {
            break;
        }
        q -= two_n;
    }
    if out.len() < count {
        return Err(Error::NotEnoughPrimes {
            bits,
            two_n,
            wanted: count,
            found: out.len(),
        });
    }
    Ok(out)
}

/// The smallest-generator primitive 2n-th root of unity ψ mod q (ψ^n ≡ −1), found by
/// trying x = 2, 3, … and taking ψ = x^((q−1)/2n). Errors unless q is a prime ≡ 1 mod 2n.
pub fn primitive_root_2n(q: &Modulus, n: usize) -> Result<u64> {
    let qv = q.value();
    let two_n = 2 * n as u64;
    if !(qv - 1).is_multiple_of(two_n) {
        return Err(Error::NotNttFriendly { q: qv, two_n });
    }
    let e = (qv - 1) / two_n;
    for x in 2..qv {
        let psi = q.pow_mod(x, e);
        // With 2n a power of two, ψ has order exactly 2n iff ψ^n = −1.
        if q.pow_mod(psi, n as u64) == qv - 1 {
            return Ok(psi);
        }
    }
    Err(Error::NotNttFriendly { q: qv, two_n })
}
