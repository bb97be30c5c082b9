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
    "StorageError",
    "ShardError",
    "ShardsFailed",
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


class StorageError(CkksError, OSError):
    """A storage URL (``ckks_accel.shards`` / ``ckks_accel.dask``) that does not exist, has no
    shard manifest, or cannot be written."""


class ShardError(CkksError):
    """One shard of a stored batch is bad or failed: truncated or tampered bytes, another
    parameter set, listed twice, missing, or keys missing on the worker that ran it.
    ``shard`` names it; ``__cause__`` is the underlying error when there is one."""

    def __init__(self, message: str, shard: str | None = None) -> None:
        super().__init__(message)
        self.shard = shard

    def __reduce__(self):  # keeps ``shard`` when Dask ships the exception to the client
        return (type(self), (str(self), self.shard))


class ShardsFailed(CkksError):
    """Some shards of a run failed while the others completed (their results are stored).
    ``failures`` maps each failed shard's name to its exception; ``report`` is the
    ``ShardReport`` of the shards that completed."""

    def __init__(self, message: str, failures: dict | None = None, report: object = None) -> None:
        super().__init__(message)
        self.failures = failures or {}
        self.report = report
