//! The crate's one error type.

use crate::Isa;
use crate::isa::ParseIsaError;

/// Everything that can go wrong when building plans or validating inputs.
///
/// Kernel-level slice misuse (a slice of the wrong length handed to a plan) is a
/// programming error and panics instead, like slice indexing does.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The ring degree is not a power of two inside the supported range.
    #[error("ring degree {n} is not a power of two in [{min}, {max}]")]
    InvalidRingDegree {
        /// The degree that was asked for.
        n: usize,
        /// Smallest supported degree.
        min: usize,
        /// Largest supported degree.
        max: usize,
    },
    /// The modulus is not prime.
    #[error("modulus {q} is not prime")]
    NotPrime {
        /// The offending modulus.
        q: u64,
    },
    /// The modulus is too large (or too small) for the 64-bit kernels.
    #[error("modulus {q} is outside the supported range [2, 2^62)")]
    ModulusOutOfRange {
        /// The offending modulus.
        q: u64,
    },
    /// The prime does not support a negacyclic NTT of this size: q ≢ 1 (mod 2n).
    #[error("prime {q} is not 1 mod 2n = {two_n}: no negacyclic NTT of this size exists")]
    NotNttFriendly {
        /// The prime.
        q: u64,
        /// Twice the ring degree.
        two_n: u64,
    },
    /// A root given for a plan is not a primitive 2n-th root of unity mod q (ψ^n ≢ −1).
    #[error("{root} is not a primitive {two_n}-th root of unity mod {q} (need root^n = -1 mod q)")]
    InvalidRoot {
        /// The root that was given.
        root: u64,
        /// The prime.
        q: u64,
        /// Twice the ring degree.
        two_n: u64,
    },
    /// The IFMA kernels work on 52-bit lanes and need q < 2^50.
    #[error("the AVX-512 IFMA kernels need q < 2^50, got {q}")]
    ModulusTooLargeForIfma {
        /// The offending modulus.
        q: u64,
    },
    /// An instruction set was requested that this CPU (or this build) does not have.
    #[error("instruction set {isa} is not available on this CPU or in this build")]
    IsaUnavailable {
        /// The requested instruction set.
        isa: Isa,
    },
    /// A string did not name an instruction set.
    #[error("unknown instruction set {name:?} (expected scalar, avx2, avx512 or avx512ifma)")]
    UnknownIsa {
        /// The string that was given.
        name: String,
    },
    /// Not enough primes of the requested shape exist.
    #[error(
        "only {found} primes of {bits} bits with q = 1 mod {two_n} exist, {wanted} were asked for"
    )]
    NotEnoughPrimes {
        /// Requested bit size.
        bits: u32,
        /// Twice the ring degree.
        two_n: u64,
        /// Number requested.
        wanted: usize,
        /// Number found.
        found: usize,
    },
    /// A prime bit size outside what the kernels support.
    #[error("prime size of {bits} bits is outside the supported range [{min}, {max}]")]
    InvalidPrimeBits {
        /// Requested bit size.
        bits: u32,
        /// Smallest supported.
        min: u32,
        /// Largest supported.
        max: u32,
    },
    /// The same prime appears twice in a basis.
    #[error("prime {q} appears more than once in the basis")]
    DuplicatePrime {
        /// The repeated prime.
        q: u64,
    },
    /// A polynomial (or key) is defined over another RNS basis than the one it is used with.
    #[error(
        "RNS basis mismatch: expected {expected} limbs starting {expected_first}, found {found} limbs starting {found_first}"
    )]
    BasisMismatch {
        /// Number of limbs expected.
        expected: usize,
        /// First prime expected (0 if none).
        expected_first: u64,
        /// Number of limbs found.
        found: usize,
        /// First prime found (0 if none).
        found_first: u64,
    },
    /// A polynomial is in coefficient form where evaluation form is needed, or vice versa.
    #[error("polynomial is in {found} form, {expected} form is required")]
    WrongRepresentation {
        /// Required form.
        expected: &'static str,
        /// Actual form.
        found: &'static str,
    },
    /// An operation needs more limbs (a higher level) than the input has, or a valid level.
    #[error("level {level} is invalid here (allowed: {min}..={max})")]
    InvalidLevel {
        /// The level given.
        level: usize,
        /// Smallest allowed.
        min: usize,
        /// Largest allowed.
        max: usize,
    },
    /// Invalid key-switching parameters (digits, special primes, basis sizes).
    #[error("invalid key-switching parameters: {reason}")]
    InvalidKeySwitchParams {
        /// What is wrong.
        reason: String,
    },
    /// A key was generated for other parameters than the ones it is used with.
    #[error("key does not match these parameters: {reason}")]
    KeyMismatch {
        /// What differs.
        reason: String,
    },
    /// A scratch arena is too small or shaped for other parameters.
    #[error("scratch arena mismatch: {reason}")]
    ScratchMismatch {
        /// What differs.
        reason: String,
    },
    /// Fast basis conversion accumulates at most this many source limbs exactly.
    #[error("basis conversion from {count} source limbs exceeds the supported {max}")]
    TooManySourceLimbs {
        /// Source limbs asked for.
        count: usize,
        /// Supported maximum.
        max: usize,
    },
    /// A CKKS parameter combination is invalid.
    #[error("invalid CKKS parameters: {reason}")]
    InvalidParameters {
        /// What is wrong.
        reason: String,
    },
    /// The parameters are below 128-bit security (HomomorphicEncryption.org table) and the
    /// caller did not opt in.
    #[error(
        "parameters are not 128-bit secure: log2(QP) = {log_qp:.1} exceeds {max_log_qp} for n = {n} (opt in with allow_insecure)"
    )]
    InsecureParameters {
        /// log2 of the full modulus QP.
        log_qp: f64,
        /// Largest log2(QP) the standard allows at this n (0 if none).
        max_log_qp: u32,
        /// Ring degree.
        n: usize,
    },
    /// An object made for other parameters was passed.
    #[error("parameter mismatch: expected parameter id {expected:#018x}, found {found:#018x}")]
    ParamsMismatch {
        /// Id of the parameters in use.
        expected: u64,
        /// Id carried by the object.
        found: u64,
    },
    /// Operands are at different levels.
    #[error("level mismatch: {left} vs {right}")]
    LevelMismatch {
        /// Level of the left operand.
        left: usize,
        /// Level of the right operand.
        right: usize,
    },
    /// Operands have different scales.
    #[error("scale mismatch: 2^{:.4} vs 2^{:.4}", left.log2(), right.log2())]
    ScaleMismatch {
        /// Scale of the left operand.
        left: f64,
        /// Scale of the right operand.
        right: f64,
    },
    /// A scale that is not finite, below 1 or above the modulus of the object's level.
    #[error(
        "scale {scale:e} is invalid: it must be finite and in [1, 2^{max_log2:.1}] (the modulus at this level)"
    )]
    ScaleOutOfRange {
        /// The scale.
        scale: f64,
        /// log2 of the modulus Q_ℓ at the object's level.
        max_log2: f64,
    },
    /// A ciphertext of the wrong degree (number of parts) was passed.
    #[error("ciphertext has {found} parts, {expected} expected")]
    WrongDegree {
        /// Expected number of parts.
        expected: usize,
        /// Actual number of parts.
        found: usize,
    },
    /// An evaluation key needed by the operation is missing.
    #[error("missing key: {what}")]
    MissingKey {
        /// Which key.
        what: String,
    },
    /// Serialized data is corrupted, truncated, of another version or kind.
    #[error("cannot deserialize: {reason}")]
    Deserialize {
        /// What is wrong.
        reason: String,
    },
    /// One task of a batch failed; the batch was stopped.
    #[error("task {index} of the batch failed: {source}")]
    Task {
        /// Position of the failing input in the batch.
        index: usize,
        /// Its error.
        source: Box<Error>,
    },
    /// Values cannot be encoded into a plaintext polynomial (too many, not finite, too large).
    #[error("encoding error: {reason}")]
    EncodingError {
        /// What is wrong.
        reason: String,
    },
}

/// The class of an [`Error`]: what the caller did wrong (or what is missing), independent of
/// the details. The C status codes and the Python exception classes are each one match on it,
/// so every front end classifies every error the same way.
///
/// | kind | C status | Python exception |
/// |---|---|---|
/// | [`ErrorKind::Parameter`] | `CKKS_STATUS_INVALID_ARGUMENT` | `ParameterError` |
/// | [`ErrorKind::Unavailable`] | `CKKS_STATUS_UNAVAILABLE` | `ParameterError` |
/// | [`ErrorKind::Encoding`] | `CKKS_STATUS_INVALID_ARGUMENT` | `EncodingError` |
/// | [`ErrorKind::Mismatch`] | `CKKS_STATUS_MISMATCH` | `MismatchError` |
/// | [`ErrorKind::MissingKey`] | `CKKS_STATUS_MISSING_KEY` | `MissingKeyError` |
/// | [`ErrorKind::Deserialize`] | `CKKS_STATUS_DESERIALIZE` | `DeserializeError` |
/// | [`ErrorKind::Task`] | the failed task's own status | `TaskError` (cause: the task's error) |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Invalid or insecure parameters: ring degree, primes, roots, digits.
    Parameter,
    /// An instruction set this CPU or build lacks.
    Unavailable,
    /// A value that cannot be encoded: NaN, ∞, beyond the declared bound or the scale budget.
    Encoding,
    /// Objects that must belong together do not, or an object does not fit the operation:
    /// parameters, basis, key, levels (including a level that is not valid for the object or
    /// the call, `InvalidLevel`), scale, degree, representation, scratch.
    Mismatch,
    /// An evaluation key the operation needs is absent.
    MissingKey,
    /// Bytes that do not decode: corrupt, truncated, foreign, tampered.
    Deserialize,
    /// One task of a parallel batch failed (see [`Error::Task`]'s source).
    Task,
}

impl Error {
    /// The class of this error (see [`ErrorKind`] for how each front end maps it).
    pub fn kind(&self) -> ErrorKind {
        use ErrorKind as K;
        match self {
            Error::InvalidRingDegree { .. }
            | Error::NotPrime { .. }
            | Error::ModulusOutOfRange { .. }
            | Error::NotNttFriendly { .. }
            | Error::InvalidRoot { .. }
            | Error::ModulusTooLargeForIfma { .. }
            | Error::UnknownIsa { .. }
            | Error::NotEnoughPrimes { .. }
            | Error::InvalidPrimeBits { .. }
            | Error::DuplicatePrime { .. }
            | Error::InvalidKeySwitchParams { .. }
            | Error::TooManySourceLimbs { .. }
            | Error::InvalidParameters { .. }
            | Error::InsecureParameters { .. } => K::Parameter,
            Error::IsaUnavailable { .. } => K::Unavailable,
            Error::EncodingError { .. } | Error::ScaleOutOfRange { .. } => K::Encoding,
            Error::BasisMismatch { .. }
            | Error::WrongRepresentation { .. }
            | Error::InvalidLevel { .. }
            | Error::KeyMismatch { .. }
            | Error::ScratchMismatch { .. }
            | Error::ParamsMismatch { .. }
            | Error::LevelMismatch { .. }
            | Error::ScaleMismatch { .. }
            | Error::WrongDegree { .. } => K::Mismatch,
            Error::MissingKey { .. } => K::MissingKey,
            Error::Deserialize { .. } => K::Deserialize,
            Error::Task { .. } => K::Task,
        }
    }
}

/// Shorthand for results with this crate's [`Error`].
pub type Result<T> = core::result::Result<T, Error>;

impl From<ParseIsaError> for Error {
    fn from(e: ParseIsaError) -> Error {
        Error::UnknownIsa { name: e.name }
    }
}
