//! The one error classification: every `Error` variant's kind, pinned (the C status codes and
//! the Python exception classes are each one match on it; their own tests pin those matches).

use ckks_accel::{Error, ErrorKind as K, Isa};

fn s() -> String {
    "x".into()
}

#[test]
fn every_variant_has_its_kind() {
    let task = |e: Error| Error::Task {
        index: 3,
        source: Box::new(e),
    };
    let cases: Vec<(Error, K)> = vec![
        (
            Error::InvalidRingDegree {
                n: 3,
                min: 16,
                max: 1 << 20,
            },
            K::Parameter,
        ),
        (Error::NotPrime { q: 9 }, K::Parameter),
        (Error::ModulusOutOfRange { q: 1 }, K::Parameter),
        (Error::NotNttFriendly { q: 7, two_n: 32 }, K::Parameter),
        (
            Error::InvalidRoot {
                root: 2,
                q: 97,
                two_n: 32,
            },
            K::Parameter,
        ),
        (Error::ModulusTooLargeForIfma { q: 1 << 55 }, K::Parameter),
        (
            Error::IsaUnavailable {
                isa: Isa::Avx512Ifma,
            },
            K::Unavailable,
        ),
        (Error::UnknownIsa { name: s() }, K::Parameter),
        (
            Error::NotEnoughPrimes {
                bits: 20,
                two_n: 1 << 17,
                wanted: 9,
                found: 1,
            },
            K::Parameter,
        ),
        (
            Error::InvalidPrimeBits {
                bits: 70,
                min: 20,
                max: 61,
            },
            K::Parameter,
        ),
        (Error::DuplicatePrime { q: 97 }, K::Parameter),
        (
            Error::BasisMismatch {
                expected: 2,
                expected_first: 97,
                found: 1,
                found_first: 193,
            },
            K::Mismatch,
        ),
        (
            Error::WrongRepresentation {
                expected: "evaluation",
                found: "coefficient",
            },
            K::Mismatch,
        ),
        (
            Error::InvalidLevel {
                level: 9,
                min: 0,
                max: 3,
            },
            K::Mismatch,
        ),
        (Error::InvalidKeySwitchParams { reason: s() }, K::Parameter),
        (Error::KeyMismatch { reason: s() }, K::Mismatch),
        (Error::ScratchMismatch { reason: s() }, K::Mismatch),
        (
            Error::TooManySourceLimbs { count: 20, max: 15 },
            K::Parameter,
        ),
        (Error::InvalidParameters { reason: s() }, K::Parameter),
        (
            Error::InsecureParameters {
                log_qp: 900.0,
                max_log_qp: 438,
                n: 1 << 14,
            },
            K::Parameter,
        ),
        (
            Error::ParamsMismatch {
                expected: 1,
                found: 2,
            },
            K::Mismatch,
        ),
        (Error::LevelMismatch { left: 1, right: 2 }, K::Mismatch),
        (
            Error::ScaleMismatch {
                left: 1.0,
                right: 2.0,
            },
            K::Mismatch,
        ),
        (
            Error::ScaleOutOfRange {
                scale: 0.5,
                max_log2: 40.0,
            },
            K::Encoding,
        ),
        (
            Error::WrongDegree {
                expected: 3,
                found: 2,
            },
            K::Mismatch,
        ),
        (Error::MissingKey { what: s() }, K::MissingKey),
        (Error::Deserialize { reason: s() }, K::Deserialize),
        (task(Error::MissingKey { what: s() }), K::Task),
        (Error::EncodingError { reason: s() }, K::Encoding),
    ];
    for (e, kind) in &cases {
        assert_eq!(e.kind(), *kind, "{e:?}");
    }
    // `?` from the ISA parser lands on the same kind as the variant.
    let parsed: Error = "sse4".parse::<Isa>().unwrap_err().into();
    assert_eq!(parsed.kind(), K::Parameter);
}
