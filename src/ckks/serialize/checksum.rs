//! The frame checksum (the 8-byte trailer of every object), per format version.
//!
//! | version | checksum of bytes `0..24 + len` | speed (one core) |
//! |---|---|---|
//! | 2 | FNV-1a-64 | ≈ 0.8 GB/s: one serial multiply chain per byte |
//! | 3 (written) | XXH3-64, seed 0 ([`xxhash_rust`]) | ≈ 15–30 GB/s: vectorized |
//!
//! Both only detect accidents (truncation, flipped bits, a shard cut short); neither is a MAC —
//! anyone can recompute them (see [`super::seal`] for integrity against an adversary). Version 3
//! exists because a data-local worker verifies every byte it reads: at FNV's speed the checksum
//! alone cost about a quarter of loading a batch shard (`docs/cluster.md`).

use std::ops::Range;

/// The oldest format version this build still reads (its frames carry an FNV-1a-64 trailer).
pub const OLDEST_READ_VERSION: u16 = 2;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a-64 (format version 2).
fn fnv(bytes: &[u8]) -> u64 {
    let mut h = FNV_OFFSET;
    for &b in bytes {
        h = (h ^ b as u64).wrapping_mul(FNV_PRIME);
    }
    h
}

/// The checksum of `data` (a frame without its trailer) under format `version` (2 or 3; any
/// other version is rejected by the frame parser before a checksum is asked for).
pub(crate) fn frame_sum(version: u16, data: &[u8]) -> u64 {
    if version == 2 {
        fnv(data)
    } else {
        xxhash_rust::xxh3::xxh3_64(data)
    }
}

/// The version field of a frame (bytes 4..6), if `bytes` is long enough to hold it.
fn version_of(bytes: &[u8]) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(4..6)?.try_into().ok()?))
}

/// The checksum of `bytes` (an outer frame without its trailer) and of each `inner` range (the
/// checksummed part of each frame nested in it, e.g. the tiles of a batch; sorted, disjoint,
/// within `bytes`), each under its own frame's version. When every frame is version 2 the sums
/// share one pass (FNV's chains are independent, so the nested sums cost about one serial
/// pass); otherwise each is a separate XXH3 pass, which is faster than that one FNV pass. `None`
/// if the ranges are not sorted, disjoint and within `bytes`.
pub(crate) fn nested_sums(bytes: &[u8], inner: &[Range<usize>]) -> Option<(u64, Vec<u64>)> {
    let mut pos = 0;
    for r in inner {
        if r.start < pos || r.end < r.start || r.end > bytes.len() {
            return None;
        }
        pos = r.end;
    }
    let outer_version = version_of(bytes)?;
    let versions: Vec<u16> = inner
        .iter()
        .map(|r| version_of(&bytes[r.clone()]).unwrap_or(outer_version))
        .collect();
    if outer_version == 2 && versions.iter().all(|&v| v == 2) {
        return Some(fnv_nested(bytes, inner));
    }
    let sums = inner
        .iter()
        .zip(&versions)
        .map(|(r, &v)| frame_sum(v, &bytes[r.clone()]))
        .collect();
    Some((frame_sum(outer_version, bytes), sums))
}

/// FNV-1a-64 of `bytes` and, in the same pass, of each (checked) `inner` range.
fn fnv_nested(bytes: &[u8], inner: &[Range<usize>]) -> (u64, Vec<u64>) {
    let mut outer = FNV_OFFSET;
    let mut sums = Vec::with_capacity(inner.len());
    let mut pos = 0;
    for r in inner {
        for &b in &bytes[pos..r.start] {
            outer = (outer ^ b as u64).wrapping_mul(FNV_PRIME);
        }
        let mut h = FNV_OFFSET;
        for &b in &bytes[r.clone()] {
            outer = (outer ^ b as u64).wrapping_mul(FNV_PRIME);
            h = (h ^ b as u64).wrapping_mul(FNV_PRIME);
        }
        sums.push(h);
        pos = r.end;
    }
    for &b in &bytes[pos..] {
        outer = (outer ^ b as u64).wrapping_mul(FNV_PRIME);
    }
    (outer, sums)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(version: u16, len: usize) -> Vec<u8> {
        let mut b: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
        b[4..6].copy_from_slice(&version.to_le_bytes());
        b
    }

    #[test]
    fn fnv_matches_its_published_vectors() {
        // FNV-1a-64 test vectors (draft-eastlake-fnv): "" and "a".
        assert_eq!(fnv(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn xxh3_matches_its_published_vector() {
        // XXH3_64bits("", seed 0) from the xxHash reference.
        assert_eq!(frame_sum(3, b""), 0x2d06_8005_38d3_94c2);
    }

    #[test]
    fn nested_sums_equal_separate_sums_for_every_version_mix() {
        for (outer_v, inner_v) in [(2u16, 2u16), (3, 3), (3, 2), (2, 3)] {
            let mut outer = frame(outer_v, 3000);
            let ranges = [40..900, 900..1500, 2000..2999];
            for r in &ranges {
                outer[r.start + 4..r.start + 6].copy_from_slice(&inner_v.to_le_bytes());
            }
            let (o, sums) = nested_sums(&outer, &ranges).unwrap();
            assert_eq!(o, frame_sum(outer_v, &outer));
            for (r, s) in ranges.iter().zip(sums) {
                assert_eq!(s, frame_sum(inner_v, &outer[r.clone()]));
            }
        }
    }

    #[test]
    #[allow(clippy::single_range_in_vec_init)] // one range is the case tested
    fn nested_sums_refuse_unsorted_or_outside_ranges() {
        let b = frame(3, 100);
        assert!(nested_sums(&b, &[10..20, 15..30]).is_none());
        let outside = [10..200];
        #[allow(clippy::reversed_empty_ranges)] // a forged range is the case tested
        let reversed = [30..20];
        assert!(nested_sums(&b, &outside).is_none());
        assert!(nested_sums(&b, &reversed).is_none());
    }
}
