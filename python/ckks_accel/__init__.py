"""ckks_accel — CKKS homomorphic encryption on hand-vectorized (AVX2 / AVX-512 / IFMA) kernels.

Typical use::

    import numpy as np, ckks_accel as ck
    ctx = ck.Context(ck.Params.preset("S"))
    kg = ck.KeyGenerator(ctx)
    sk = kg.secret_key()
    keys = kg.evaluation_keys(sk, dim=4096)          # relinearization + the sum's rotation keys
    enc = ck.Encryptor(ctx, kg.public_key(sk))
    a, b = enc.encrypt(np.random.rand(4096)), enc.encrypt(np.random.rand(4096))
    engine = ck.InnerProductEngine(keys, threads=2)
    [ip] = engine.run([(a, b)])
    print(ck.Decryptor(ctx, sk).decrypt(ip)[0])

Every object pickles (it carries its parameters; contexts are shared per process), heavy calls
release the GIL, and errors derive from :class:`CkksError`. ``ckks_accel.dask`` runs batches on a
Dask cluster.
"""

from __future__ import annotations

from . import errors
from ._native import (
    FORMAT_VERSION,
    ISA,
    BatchPlan,
    Ciphertext,
    EncryptedBatch,
    Context,
    Decryptor,
    Encryptor,
    EvaluationKeys,
    Evaluator,
    GaloisKeys,
    InnerProductEngine,
    KeyGenerator,
    Params,
    Plaintext,
    PublicKey,
    RelinKey,
    SecretKey,
)
from .errors import (
    CkksError,
    DeserializeError,
    EncodingError,
    MismatchError,
    MissingKeyError,
    ParameterError,
    ShardError,
    ShardsFailed,
    StorageError,
    TaskError,
)

__all__ = [
    "FORMAT_VERSION",
    "ISA",
    "BatchPlan",
    "Ciphertext",
    "EncryptedBatch",
    "Context",
    "Decryptor",
    "Encryptor",
    "EvaluationKeys",
    "Evaluator",
    "GaloisKeys",
    "InnerProductEngine",
    "KeyGenerator",
    "Params",
    "Plaintext",
    "PublicKey",
    "RelinKey",
    "SecretKey",
    "CkksError",
    "DeserializeError",
    "EncodingError",
    "MismatchError",
    "MissingKeyError",
    "ParameterError",
    "ShardError",
    "ShardsFailed",
    "StorageError",
    "TaskError",
    "errors",
]

__version__ = "0.1.0"

_KINDS = {
    "batch": EncryptedBatch,
    "plaintext": Plaintext,
    "ciphertext": Ciphertext,
    "public_key": PublicKey,
    "relin_key": RelinKey,
    "galois_keys": GaloisKeys,
    "evaluation_keys": EvaluationKeys,
}


def _restore(kind: str, params_bytes: bytes | None, data: bytes):
    """Unpickling hook: rebuilds an object from its parameters and serialized bytes.

    The context of equal parameters is built once per process and shared. Pickles restore
    parameters marked insecure too: unpickling is only for trusted data anyway (pickle runs
    code), and the insecure opt-in was made where the object was created. Untrusted bytes go
    through ``from_bytes``, which refuses insecure parameters unless told otherwise.
    """
    if kind == "params":
        return Params.from_bytes(data, allow_insecure=True)
    cls = _KINDS.get(kind)
    if cls is None or params_bytes is None:
        raise DeserializeError(f"unknown pickled object kind {kind!r}")
    return cls.from_bytes(Context(Params.from_bytes(params_bytes, allow_insecure=True)), data)
