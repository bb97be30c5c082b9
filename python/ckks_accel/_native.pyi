"""Type stubs for the compiled module ckks_accel._native (re-exported by ckks_accel).

Integer arguments: any Python int (or object with ``__index__``) is accepted and range-checked;
an out-of-range value (e.g. ``level=-1``, ``threads=2**64``, ``rotate(ct, 2**70)``) raises
:class:`ckks_accel.ParameterError` (a ``ValueError``) naming the argument and the allowed range,
never ``OverflowError``. A non-integer (a float, a str) raises ``TypeError``. Ranges: levels
0..=``max_level``; ``dim`` / ``span`` 1..=``slots``; ``threads`` 1..=1024; rotation steps any
64-bit signed int; seeds 0..=2**64-1; ``ring_degree`` 1..=2**17, ``q_bits`` / ``p_bits`` entries
1..=64, ``dnum`` 1..=64, ``log_scale`` 1..=63 (the parameter checks then refine these).
"""

from __future__ import annotations

import os

from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

FORMAT_VERSION: int
ISA: str

Values = npt.NDArray[np.float64]
SumSpec = str | int

class Params:
    """Validated CKKS parameters."""

    def __init__(
        self,
        *,
        ring_degree: int,
        q_bits: Sequence[int],
        p_bits: Sequence[int],
        dnum: int,
        log_scale: int,
        hamming_weight: int | None = None,
        allow_insecure: bool = False,
    ) -> None: ...
    @staticmethod
    def preset(name: Literal["S", "L", "S-ifma", "L-ifma"]) -> Params:
        """A reference preset, matched exactly (no case folding or trimming: "s" and "S "
        raise ParameterError)."""
    @property
    def n(self) -> int: ...
    @property
    def slots(self) -> int: ...
    @property
    def q(self) -> list[int]: ...
    @property
    def p(self) -> list[int]: ...
    @property
    def dnum(self) -> int: ...
    @property
    def max_level(self) -> int: ...
    @property
    def log_scale(self) -> int: ...
    @property
    def default_scale(self) -> float: ...
    @property
    def id(self) -> int: ...
    @property
    def is_insecure(self) -> bool: ...
    @property
    def log_qp(self) -> float: ...
    def to_bytes(self) -> bytes: ...
    @staticmethod
    def from_bytes(data: bytes) -> Params: ...
    def __reduce__(self) -> tuple[Any, ...]: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Context:
    """Tables for one parameter set; shared per process."""

    def __init__(
        self,
        params: Params,
        isa: Literal["scalar", "avx2", "avx512", "avx512ifma"] | None = None,
    ) -> None:
        """``isa`` caps the kernels; matched exactly ("AVX2 " raises ParameterError)."""
    @property
    def params(self) -> Params: ...
    @property
    def slots(self) -> int: ...
    def encode(
        self, values: Values, scale: float | None = None, level: int | None = None
    ) -> Plaintext: ...
    def decode(self, plaintext: Plaintext) -> Values: ...
    def check(self, ciphertext: Ciphertext) -> None: ...

class _Serializable:
    def to_bytes(self) -> bytes: ...
    def __reduce__(self) -> tuple[Any, ...]: ...
    @property
    def params(self) -> Params: ...
    @property
    def context(self) -> Context: ...

class Plaintext(_Serializable):
    @staticmethod
    def from_bytes(context: Context, data: bytes) -> Plaintext: ...
    @property
    def level(self) -> int: ...
    @property
    def scale(self) -> float: ...

class Ciphertext(_Serializable):
    @staticmethod
    def from_bytes(context: Context, data: bytes) -> Ciphertext: ...
    @property
    def level(self) -> int: ...
    @property
    def scale(self) -> float: ...
    @property
    def degree(self) -> int: ...
    @property
    def size_bytes(self) -> int: ...
    @property
    def compressed(self) -> bool:
        """Whether ``to_bytes`` writes the compressed (seeded) form: half the bytes."""
    def to_bytes_full(self) -> bytes:
        """Serialized in full, even when ``compressed``."""
    def __eq__(self, other: object) -> bool: ...

class PublicKey(_Serializable):
    @staticmethod
    def from_bytes(context: Context, data: bytes) -> PublicKey: ...

class SecretKey:
    """Zeroized when freed; not picklable."""

    @property
    def params(self) -> Params: ...

class RelinKey(_Serializable):
    @staticmethod
    def from_bytes(context: Context, data: bytes) -> RelinKey: ...
    @property
    def size_bytes(self) -> int: ...

class GaloisKeys(_Serializable):
    @staticmethod
    def from_bytes(context: Context, data: bytes) -> GaloisKeys: ...
    @property
    def elements(self) -> list[int]: ...
    def has_rotation(self, steps: int) -> bool: ...
    @property
    def size_bytes(self) -> int: ...
    def __len__(self) -> int: ...

class EvaluationKeys:
    """Relinearization + rotation keys and the sum (dim, plan) they were made for. Serialized
    as a key bundle of the crate's format (kind 9; also read by Rust ``KeyBundle`` and C
    ``ckks_key_bundle_deserialize``): every byte checksummed, and on load ``dim`` and the plan
    are checked against the keys (DeserializeError if a rotation key the sum needs is absent)."""

    def __init__(self, relin: RelinKey | None = None, galois: GaloisKeys | None = None) -> None: ...
    def to_bytes(self, compressed: bool | None = None) -> bytes: ...
    @property
    def seeded(self) -> bool: ...
    @staticmethod
    def from_bytes(context: Context, data: bytes) -> EvaluationKeys: ...
    def __reduce__(self) -> tuple[Any, ...]: ...
    @property
    def params(self) -> Params: ...
    @property
    def context(self) -> Context: ...
    @property
    def sum(self) -> SumSpec: ...
    @property
    def dim(self) -> int | None: ...
    @property
    def rotation_keys(self) -> int: ...
    @property
    def size_bytes(self) -> int: ...

class KeyGenerator:
    def __init__(
        self, context: Context, seed: int | None = None, seeded_keys: bool = True
    ) -> None: ...
    def secret_key(self) -> SecretKey: ...
    def public_key(self, secret_key: SecretKey) -> PublicKey: ...
    def relin_key(self, secret_key: SecretKey) -> RelinKey: ...
    def galois_keys(
        self, secret_key: SecretKey, steps: Sequence[int], conjugation: bool = False
    ) -> GaloisKeys: ...
    def evaluation_keys(
        self,
        secret_key: SecretKey,
        dim: int,
        sum: SumSpec | None = None,
        output_level: int | None = None,
        steps: Sequence[int] | None = None,
        conjugation: bool = False,
    ) -> EvaluationKeys:
        """``sum``: "tree", "auto" or an int radix, a power of two in 2..=dim (a larger radix
        raises ParameterError; it is never clamped)."""
    def batch_keys(
        self,
        secret_key: SecretKey,
        k: int,
        dim: int,
        threads: int | None = None,
        block: int | None = None,
        sum: SumSpec | None = None,
        output_level: int | None = None,
        value_bound: float = 1.0,
        plaintext_side: bool = False,
    ) -> tuple[BatchPlan, EvaluationKeys]:
        """Plans k inner products of length ``dim`` (calibrating this machine's costs) and
        generates exactly the plan's keys. ``k`` 1..=2**24, ``dim`` 1..=slots², ``block`` a power
        of two ≤ slots, ``sum`` "auto" / "tree" / a radix 2..=16 (power of two)."""

class BatchPlan:
    """A planned batch layout: block size b, m products per ciphertext, T tiles per group,
    the sum over each block, the output and tensor levels, the prediction and the reason."""

    @property
    def count(self) -> int: ...
    @property
    def dim(self) -> int: ...
    @property
    def block(self) -> int: ...
    @property
    def per_ciphertext(self) -> int: ...
    @property
    def tiles(self) -> int: ...
    @property
    def groups(self) -> int: ...
    @property
    def layout(self) -> Literal["per-pair", "packed", "tiled"]: ...
    @property
    def sum(self) -> SumSpec: ...
    @property
    def output_level(self) -> int: ...
    @property
    def tensor_level(self) -> int: ...
    @property
    def value_bound(self) -> float: ...
    @property
    def key_switches_per_product(self) -> float: ...
    @property
    def predicted_s(self) -> float: ...
    @property
    def reason(self) -> str: ...
    @property
    def rotation_steps(self) -> list[int]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def for_count(self, k: int) -> BatchPlan:
        """The same layout, sum and levels for ``k`` products (e.g. a shorter last shard)."""
    def to_bytes(self, params: Params) -> bytes:
        """The plan alone, serialized (format kind 12)."""
    @staticmethod
    def from_bytes(context: Context, data: bytes) -> BatchPlan: ...

class EncryptedBatch:
    """Encrypted tile pairs laid out for a BatchPlan (``InnerProductEngine.encrypt_batch``).
    Serializes (the crate's format, kind 10) and pickles."""

    @property
    def plan(self) -> BatchPlan: ...
    @property
    def input_bytes(self) -> int: ...
    @property
    def params(self) -> Params: ...
    def __len__(self) -> int: ...
    def decrypt(self, results: Sequence[Ciphertext], decryptor: Decryptor) -> Values:
        """The k products, in input order (a float64 array)."""
    def to_bytes(self) -> bytes: ...
    @staticmethod
    def from_bytes(context: Context, data: bytes) -> EncryptedBatch: ...
    @staticmethod
    def from_file(context: Context, path: str | os.PathLike[str], expected_len: int | None = None,
                  expected_checksum: str | None = None) -> EncryptedBatch:
        """Loads a batch from a local file through a per-thread reusable buffer; the size and
        trailer are compared with ``expected_len`` / ``expected_checksum`` first when given."""

class Encryptor:
    def __init__(
        self,
        context: Context,
        key: PublicKey | SecretKey,
        seed: int | None = None,
        compressed: bool = False,
    ) -> None:
        """``compressed=True`` (secret key only): seeded ciphertexts, half the bytes."""
    def encrypt(
        self, values: Values | Plaintext, scale: float | None = None, level: int | None = None
    ) -> Ciphertext: ...
    def encrypt_rows(
        self, rows: npt.NDArray[np.float64], scale: float | None = None, level: int | None = None
    ) -> list[Ciphertext]: ...

class Decryptor:
    def __init__(self, context: Context, secret_key: SecretKey) -> None: ...
    def decrypt(self, ciphertext: Ciphertext) -> Values: ...
    def decrypt_plaintext(self, ciphertext: Ciphertext) -> Plaintext: ...

class Evaluator:
    def __init__(self, keys: EvaluationKeys) -> None: ...
    @property
    def context(self) -> Context: ...
    def add(self, a: Ciphertext, b: Ciphertext) -> Ciphertext: ...
    def sub(self, a: Ciphertext, b: Ciphertext) -> Ciphertext: ...
    def negate(self, a: Ciphertext) -> Ciphertext: ...
    def add_plain(self, a: Ciphertext, plaintext: Plaintext) -> Ciphertext: ...
    def mul_plain(self, a: Ciphertext, plaintext: Plaintext) -> Ciphertext: ...
    def add_const(self, a: Ciphertext, c: float) -> Ciphertext: ...
    def mul_const(self, a: Ciphertext, c: float) -> Ciphertext: ...
    def mul(self, a: Ciphertext, b: Ciphertext) -> Ciphertext: ...
    def relinearize(self, a: Ciphertext) -> Ciphertext: ...
    def rescale(self, a: Ciphertext) -> Ciphertext: ...
    def multiply(self, a: Ciphertext, b: Ciphertext) -> Ciphertext: ...
    def rotate(self, a: Ciphertext, steps: int) -> Ciphertext: ...
    def rotate_hoisted(self, a: Ciphertext, steps: Sequence[int]) -> list[Ciphertext]: ...
    def conjugate(self, a: Ciphertext) -> Ciphertext: ...
    def drop_to_level(self, a: Ciphertext, level: int) -> Ciphertext:
        """ParameterError outside 0..=max_level; MismatchError above the ciphertext's level."""
    def inner_sum(self, a: Ciphertext, span: int, sum: SumSpec | None = None) -> Ciphertext: ...
    def inner_product(
        self,
        a: Ciphertext,
        b: Ciphertext,
        dim: int | None = None,
        sum: SumSpec | None = None,
        output_level: int | None = None,
    ) -> Ciphertext: ...

class InnerProductEngine:
    """Batches of inner products on a Rust thread pool. One engine may be shared by many Python
    threads (``run`` releases the GIL) and ``run`` may be called from its own progress
    callback; statistics belong to the run that returns them."""

    def __init__(
        self,
        keys: EvaluationKeys,
        threads: int | None = None,
        mode: str = "auto",
        schedule: str = "stealing",
        sum: SumSpec | None = None,
        output_level: int | None = None,
    ) -> None: ...
    @property
    def threads(self) -> int: ...
    @property
    def sum(self) -> SumSpec: ...
    def run(
        self,
        pairs: Sequence[tuple[Ciphertext, Ciphertext]] | EncryptedBatch,
        dim: int | None = None,
        progress: Callable[[int, int], Any] | None = None,
    ) -> list[Ciphertext]:
        """Per-pair products, or a planned batch's group outputs (then ``dim`` must be None)."""
    def encrypt_batch(
        self,
        plan: BatchPlan,
        x: npt.NDArray[np.float64],
        y: npt.NDArray[np.float64],
        encryptor: Encryptor,
        level: int | None = None,
    ) -> EncryptedBatch:
        """Lays out and encrypts the rows of two k × dim float64 arrays for ``plan``."""
    def load_batch(self, source: bytes | str | os.PathLike[str], expected_len: int | None = None,
                   expected_checksum: str | None = None) -> EncryptedBatch:
        """Loads a serialized batch (bytes or a local file path) on the engine's threads; the
        size and trailer are compared with ``expected_len`` / ``expected_checksum`` first."""
    def run_batch(
        self,
        batch: EncryptedBatch,
        progress: Callable[[int, int], Any] | None = None,
    ) -> tuple[list[Ciphertext], dict[str, Any]]:
        """One output per group, and statistics (with the plan)."""
    def run_with_stats(
        self,
        pairs: Sequence[tuple[Ciphertext, Ciphertext]],
        dim: int | None = None,
        progress: Callable[[int, int], Any] | None = None,
    ) -> tuple[list[Ciphertext], dict[str, Any]]: ...
