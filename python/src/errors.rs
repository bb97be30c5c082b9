//! Mapping from [`ckks_accel::Error`] to the Python exception hierarchy.
//!
//! The classes live in `ckks_accel/errors.py` (pure Python, so they can also derive from the
//! matching built-in: `ValueError`, `LookupError`):
//!
//! ```text
//! CkksError (Exception)
//! ├── ParameterError (+ ValueError)   invalid / insecure parameters, unavailable ISA
//! ├── EncodingError (+ ValueError)    bad values: dtype, shape, NaN/inf, beyond the scale budget
//! ├── MismatchError (+ ValueError)    objects of other parameters, levels, scales, degrees
//! ├── MissingKeyError (+ LookupError) an evaluation key the operation needs is absent
//! ├── DeserializeError (+ ValueError) corrupted, truncated, foreign or tampered bytes
//! └── TaskError                       one product of a batch failed (`.index`, `__cause__`)
//! ```

use ckks_accel::Error;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// The Python class name for a Rust error.
fn class_of(e: &Error) -> &'static str {
    match e {
        Error::Task { .. } => "TaskError",
        Error::EncodingError { .. } | Error::ScaleOutOfRange { .. } => "EncodingError",
        Error::ParamsMismatch { .. }
        | Error::KeyMismatch { .. }
        | Error::BasisMismatch { .. }
        | Error::LevelMismatch { .. }
        | Error::ScaleMismatch { .. }
        | Error::WrongDegree { .. }
        | Error::WrongRepresentation { .. }
        | Error::InvalidLevel { .. }
        | Error::ScratchMismatch { .. } => "MismatchError",
        Error::MissingKey { .. } => "MissingKeyError",
        Error::Deserialize { .. } => "DeserializeError",
        Error::InvalidRingDegree { .. }
        | Error::NotPrime { .. }
        | Error::ModulusOutOfRange { .. }
        | Error::NotNttFriendly { .. }
        | Error::ModulusTooLargeForIfma { .. }
        | Error::IsaUnavailable { .. }
        | Error::UnknownIsa { .. }
        | Error::NotEnoughPrimes { .. }
        | Error::InvalidPrimeBits { .. }
        | Error::DuplicatePrime { .. }
        | Error::InvalidKeySwitchParams { .. }
        | Error::TooManySourceLimbs { .. }
        | Error::InvalidParameters { .. }
        | Error::InsecureParameters { .. } => "ParameterError",
        // The enum is #[non_exhaustive]: variants added later still surface as CkksError.
        _ => "CkksError",
    }
}

/// A Python exception of class `name` (from `ckks_accel.errors`) with message `msg`.
pub fn new_err(py: Python<'_>, name: &str, msg: String) -> PyErr {
    let made = (|| -> PyResult<PyErr> {
        let cls = py.import("ckks_accel.errors")?.getattr(name)?;
        Ok(PyErr::from_value(cls.call1((msg.clone(),))?))
    })();
    made.unwrap_or_else(|e| PyRuntimeError::new_err(format!("{msg} (and ckks_accel.errors: {e})")))
}

/// Converts a Rust error into the matching Python exception.
pub fn to_py(py: Python<'_>, e: Error) -> PyErr {
    let msg = e.to_string();
    let name = class_of(&e);
    let err = new_err(py, name, msg);
    if let Error::Task { index, source } = e {
        let _ = err.value(py).setattr("index", index);
        err.set_cause(py, Some(to_py(py, *source)));
    }
    err
}

/// `Result<T, ckks_accel::Error>` → `PyResult<T>`.
pub trait IntoPyResult<T> {
    /// Maps the error with [`to_py`].
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, Error> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(|e| Python::attach(|py| to_py(py, e)))
    }
}

/// Shorthand for an [`EncodingError`](new_err) raised from argument checks.
pub fn encoding(py: Python<'_>, msg: impl Into<String>) -> PyErr {
    new_err(py, "EncodingError", msg.into())
}

/// Shorthand for a `MismatchError`.
pub fn mismatch(py: Python<'_>, msg: impl Into<String>) -> PyErr {
    new_err(py, "MismatchError", msg.into())
}

/// Shorthand for a `ParameterError`.
pub fn parameter(py: Python<'_>, msg: impl Into<String>) -> PyErr {
    new_err(py, "ParameterError", msg.into())
}
