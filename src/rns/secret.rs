//! [`SecretPoly`]: an [`RnsPoly`] that holds a secret or anything derived from one (s, s², σ(s),
//! a·s, c1·s, ...) and is zeroized when dropped.
//!
//! Every secret-dependent temporary in the crate lives in one, so zeroization cannot be
//! forgotten on an early return (`?`) or a panic. The whole allocation is wiped, including words
//! past the current level after [`RnsPoly::truncate`]. `Debug` prints no data.
//!
//! Limits: the wiping is a volatile write ([`zeroize`]), so the compiler cannot elide it, but
//! copies the CPU or OS makes (registers, swap, core dumps) are outside its reach; moving the
//! inner polynomial out (`std::mem::swap` through `DerefMut`, or assigning a new value through
//! it) drops the old buffer without wiping — code in this crate does neither.

use super::{Representation, RnsBasis, RnsPoly};
use std::ops::{Deref, DerefMut};
use zeroize::Zeroize;

/// A secret-dependent RNS polynomial, zeroized on drop. Derefs to [`RnsPoly`].
pub struct SecretPoly(RnsPoly);

impl SecretPoly {
    /// Takes ownership of `p` (which is wiped when this value is dropped).
    pub fn new(p: RnsPoly) -> SecretPoly {
        SecretPoly(p)
    }

    /// The zero polynomial over `basis`.
    pub fn zero(basis: &RnsBasis, repr: Representation) -> SecretPoly {
        SecretPoly(RnsPoly::zero(basis, repr))
    }

    /// The polynomial, once it no longer depends on a secret in a way that matters (e.g. the
    /// public key's `b = e − a·s` once complete): returns a copy and wipes this buffer.
    pub fn declassify(self) -> RnsPoly {
        self.0.clone()
    }

    /// A copy of `p` (e.g. of a secret key's polynomial) that is wiped on drop.
    pub fn copy_of(p: &RnsPoly) -> SecretPoly {
        SecretPoly(p.clone())
    }
}

impl Clone for SecretPoly {
    fn clone(&self) -> SecretPoly {
        SecretPoly(self.0.clone())
    }
}

impl Deref for SecretPoly {
    type Target = RnsPoly;
    fn deref(&self) -> &RnsPoly {
        &self.0
    }
}

impl DerefMut for SecretPoly {
    fn deref_mut(&mut self) -> &mut RnsPoly {
        &mut self.0
    }
}

impl Drop for SecretPoly {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for SecretPoly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SecretPoly {{ n: {}, limbs: {}, .. (redacted) }}",
            self.0.n(),
            self.0.num_limbs()
        )
    }
}
