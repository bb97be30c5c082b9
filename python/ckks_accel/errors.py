"""The exceptions ckks_accel raises, mapped from the Rust error enum.

Every error derives from :class:`CkksError`; most also derive from the matching built-in
(``ValueError``, ``LookupError``) so generic handlers keep working.
"""

from __future__ import annotations

__all__ = [
    "CkksError",
    "ParameterError",
    "EncodingError",
    "MismatchError",
    "MissingKeyError",
    "DeserializeError",
    "TaskError",
]


class CkksError(Exception):
    """Base class of every error raised by ckks_accel."""


class ParameterError(CkksError, ValueError):
    """Invalid or insecure parameters, an unknown preset or sum plan, an unavailable ISA."""


class EncodingError(CkksError, ValueError):
    """Values that cannot be encoded: wrong dtype or shape, NaN/inf, more values than slots,
    or magnitudes beyond the scale budget (|x|·Δ must stay below Q_ℓ/2)."""


class MismatchError(CkksError, ValueError):
    """An object made for other parameters, or operands at different levels, scales or degrees."""


class MissingKeyError(CkksError, LookupError):
    """An evaluation key (relinearization or rotation) the operation needs is missing."""


class DeserializeError(CkksError, ValueError):
    """Bytes that are corrupted, truncated, of another kind or version, or tampered with."""


class TaskError(CkksError):
    """One product of a batch failed. ``index`` is its position; ``__cause__`` its error."""

    index: int | None = None
