//! Mapping from [`ckks_accel::Error`] to the Python exception hierarchy.
//!
//! The classes live in `ckks_accel/errors.py` (pure Python, so they can also derive from the
//! matching built-in: `ValueError`, `LookupError`):
//!
//! ```text
//! CkksError (Exception)
//! ├── ParameterError (+ ValueError)   invalid / insecure parameters, unavailable ISA
//! ├── EncodingError (+ ValueError)    bad values: dtype, shape, NaN/inf, beyond the scale budget
//! ├── MismatchError (+ ValueError)    objects of other parameters, levels, scales, degrees, forms
//! ├── MissingKeyError (+ LookupError) an evaluation key the operation needs is absent
//! ├── DeserializeError (+ ValueError) corrupted, truncated, foreign or tampered bytes
//! └── TaskError                       one product of a batch failed (`.index`, `__cause__`)
//! ```

use ckks_accel::{Error, ErrorKind};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

/// The exception classes of `ckks_accel.errors`, in [`Class`] order.
static CLASSES: PyOnceLock<[Py<PyAny>; 7]> = PyOnceLock::new();

/// One exception class of `ckks_accel.errors`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Ckks,
    Parameter,
    Encoding,
    Mismatch,
    MissingKey,
    Deserialize,
    Task,
}

impl Class {
    const NAMES: [&'static str; 7] = [
        "CkksError",
        "ParameterError",
        "EncodingError",
        "MismatchError",
        "MissingKeyError",
        "DeserializeError",
        "TaskError",
    ];

    /// The class for an error kind: the one mapping of the Python front end (see
    /// [`ErrorKind`] for the table shared with the C ABI).
    pub fn of(kind: ErrorKind) -> Class {
        match kind {
            ErrorKind::Parameter | ErrorKind::Unavailable => Class::Parameter,
            ErrorKind::Encoding => Class::Encoding,
            ErrorKind::Mismatch => Class::Mismatch,
            ErrorKind::MissingKey => Class::MissingKey,
            ErrorKind::Deserialize => Class::Deserialize,
            ErrorKind::Task => Class::Task,
            // ErrorKind is #[non_exhaustive]: kinds added later surface as CkksError.
            _ => Class::Ckks,
        }
    }
}

/// Loads the classes once (at module import): a missing class fails the import, not a later
/// error path.
pub fn init(py: Python<'_>) -> PyResult<()> {
    let module = py.import("ckks_accel.errors")?;
    let mut loaded = Vec::with_capacity(Class::NAMES.len());
    for name in Class::NAMES {
        loaded.push(module.getattr(name)?.unbind());
    }
    let classes: [Py<PyAny>; 7] = loaded.try_into().expect("seven classes");
    let _ = CLASSES.set(py, classes);
    Ok(())
}

/// A Python exception of class `class` with message `msg`.
pub fn new_err(py: Python<'_>, class: Class, msg: String) -> PyErr {
    let made = (|| -> PyResult<PyErr> {
        if CLASSES.get(py).is_none() {
            init(py)?;
        }
        let cls = CLASSES.get(py).expect("initialised")[class as usize].bind(py);
        Ok(PyErr::from_value(cls.call1((msg.clone(),))?))
    })();
    made.unwrap_or_else(|e| PyRuntimeError::new_err(format!("{msg} (and ckks_accel.errors: {e})")))
}

/// Converts a Rust error into the matching Python exception.
pub fn to_py(py: Python<'_>, e: Error) -> PyErr {
    let msg = e.to_string();
    let err = new_err(py, Class::of(e.kind()), msg);
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
    new_err(py, Class::Encoding, msg.into())
}

/// Shorthand for a `MismatchError`.
pub fn mismatch(py: Python<'_>, msg: impl Into<String>) -> PyErr {
    new_err(py, Class::Mismatch, msg.into())
}

/// Shorthand for a `ParameterError`.
pub fn parameter(py: Python<'_>, msg: impl Into<String>) -> PyErr {
    new_err(py, Class::Parameter, msg.into())
}
