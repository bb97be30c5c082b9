//! The C front end's one error mapping: every error kind to its status (the kinds of every
//! variant are pinned in the library's `tests/error_kinds.rs`).

use super::*;
use accel::{Error, ErrorKind, Isa};

#[test]
fn every_error_kind_has_its_status() {
    let s = || "x".to_string();
    let cases: Vec<(Error, ErrorKind, CkksStatus)> = vec![
        (
            Error::NotPrime { q: 9 },
            ErrorKind::Parameter,
            CkksStatus::InvalidArgument,
        ),
        (
            Error::EncodingError { reason: s() },
            ErrorKind::Encoding,
            CkksStatus::InvalidArgument,
        ),
        (
            Error::ScaleOutOfRange {
                scale: 0.5,
                max_log2: 40.0,
            },
            ErrorKind::Encoding,
            CkksStatus::InvalidArgument,
        ),
        (
            Error::IsaUnavailable {
                isa: Isa::Avx512Ifma,
            },
            ErrorKind::Unavailable,
            CkksStatus::Unavailable,
        ),
        (
            Error::InvalidLevel {
                level: 9,
                min: 0,
                max: 3,
            },
            ErrorKind::Mismatch,
            CkksStatus::Mismatch,
        ),
        (
            Error::WrongDegree {
                expected: 3,
                found: 2,
            },
            ErrorKind::Mismatch,
            CkksStatus::Mismatch,
        ),
        (
            Error::MissingKey { what: s() },
            ErrorKind::MissingKey,
            CkksStatus::MissingKey,
        ),
        (
            Error::Deserialize { reason: s() },
            ErrorKind::Deserialize,
            CkksStatus::Deserialize,
        ),
        (
            Error::Task {
                index: 1,
                source: Box::new(Error::MissingKey { what: s() }),
            },
            ErrorKind::Task,
            CkksStatus::MissingKey,
        ),
    ];
    for (e, kind, status) in cases {
        assert_eq!(e.kind(), kind, "{e:?}");
        let fail = Fail::from(e.clone());
        assert_eq!(fail.status, status, "{e:?}");
        assert_eq!(fail.msg, e.to_string());
    }
}
