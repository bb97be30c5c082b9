"""Encrypted batches stored as shards under a storage URL, for data-local cluster runs.

Any `fsspec <https://filesystem-spec.readthedocs.io>`_ URL works: a local or shared path
(``/scratch/run1``, ``file:///…``), ``s3://bucket/run1``, ``gs://…``, ``abfs://…`` (with the
matching fsspec backend installed; ``storage_options`` go to it). Layout under the URL::

    manifest.json          shard names, product counts, size and frame checksum of every shard
    <name>.batch           one EncryptedBatch (format kind 10; tiles seeded when encrypted with
                           a compressed secret-key Encryptor: half the bytes)
    <name>.result          its results, written by the worker that ran it (format below)

Result file: ``b"CKRS"``, version byte 1, three zero bytes; a u32 length and a UTF-8 JSON header
(shard name, the checksum of the input shard it was computed from, products, groups, parameter
id);
a u32 count, then per result ciphertext a u64 length and its bytes (format kind 6); last the
SHA-256 of everything before. A result *verifies* when its digest, header (same shard, same
input checksum as the manifest, count) and every ciphertext (parameters, residues) check out.

An input shard's *checksum* is its frame's own trailer (XXH3-64 of the whole shard, the last 8
bytes, hex): the manifest records it with the size, a worker compares both before loading, and
loading verifies the trailer against the bytes — one pass over the shard, no second digest.
Like the format's checksum it catches accidents (truncation, corruption, a shard swapped for
another), not an adversary who can write the storage: use authenticated storage, or
``serialize::seal``, for that.

Writes are atomic: a local or shared filesystem gets a temporary name in the same directory,
fsync, then ``os.replace``; an object store gets one PUT, which stores the object whole or not
at all. A reader therefore never sees half a file, and as results are deterministic (bit for
bit), two workers that happen to write the same shard write the same bytes.

This module is the storage side; :mod:`ckks_accel.dask` runs it on a cluster.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import struct
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import BatchPlan, Ciphertext, Context, EncryptedBatch, Encryptor, InnerProductEngine
from .errors import CkksError, DeserializeError, MismatchError, ShardError, StorageError

__all__ = [
    "MANIFEST",
    "Manifest",
    "ShardReport",
    "check_unique",
    "decrypt_shard",
    "encode_result",
    "frame_checksum",
    "npy_shape",
    "open_storage",
    "read_manifest",
    "read_npy_rows",
    "read_results",
    "remove_temporaries",
    "run_shard",
    "shard_name",
    "store_shard",
    "tune_malloc",
    "verify_result",
    "write_atomic",
    "write_manifest",
    "write_shards",
]

MANIFEST = "manifest.json"
FORMAT = "ckks-accel-shards/1"
RESULT_MAGIC = b"CKRS\x01\x00\x00\x00"
_DIGEST = 32


def open_storage(url: str, storage_options: dict | None = None) -> tuple[Any, str]:
    """(fsspec filesystem, root path) for ``url``."""
    from fsspec.core import url_to_fs

    try:
        return url_to_fs(url, **(storage_options or {}))
    except (ValueError, ImportError, OSError) as e:
        raise StorageError(f"storage URL {url!r}: {e}") from e


def tune_malloc(mmap_threshold: int = 64 << 20, trim_threshold: int = 256 << 20) -> bool:
    """Lets glibc's allocator keep and reuse the large buffers a shard needs (tens to hundreds
    of MiB per task): ``mallopt(M_MMAP_THRESHOLD)`` and ``mallopt(M_TRIM_THRESHOLD)``. Dask's
    nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which also freezes the mmap
    threshold at 128 KiB, so every shard's polynomials are mapped and page-faulted afresh:
    measured 0.30 s → 0.16 s to read and load a 256-product shard at set S. Returns whether it
    applied (glibc only; elsewhere nothing happens). Process-wide: the worker then keeps up to
    ``trim_threshold`` bytes of freed memory instead of returning it to the OS at once."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3  # <malloc.h>
        return bool(libc.mallopt(m_mmap_threshold, int(mmap_threshold))) and bool(
            libc.mallopt(m_trim_threshold, int(trim_threshold)))
    except (OSError, AttributeError):
        return False


def _is_local(fs: Any) -> bool:
    proto = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    return "file" in proto or "local" in proto


def write_atomic(fs: Any, path: str, data: bytes) -> None:
    """Writes ``data`` to ``path`` so that readers see either nothing (or the old file) or
    all of it: temporary name + fsync + rename on a filesystem, one PUT on an object store."""
    if _is_local(fs):
        tmp = f"{path}.tmp-{uuid.uuid4().hex}"
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
            try:  # the rename itself survives a crash once the directory is synced
                fd = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            except OSError:
                pass  # some filesystems cannot fsync a directory; the rename is still atomic
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    else:
        fs.pipe_file(path, data)


@dataclass
class Manifest:
    """The shard list of a stored batch (``manifest.json``)."""

    params_id: int
    dim: int
    shards: list[dict[str, Any]]  # name, count, checksum, bytes
    url: str = ""

    @property
    def products(self) -> int:
        return sum(s["count"] for s in self.shards)

    def entry(self, name: str) -> dict[str, Any]:
        for s in self.shards:
            if s["name"] == name:
                return s
        raise ShardError(f"shard {name!r} is not in the manifest of {self.url}", name)


def frame_checksum(data: bytes) -> str:
    """The checksum trailer of a serialized object (its last 8 bytes), hex: what the manifest
    records for a shard. Loading the object verifies it against the bytes."""
    return data[-8:].hex()


def write_manifest(fs: Any, root: str, manifest: Manifest) -> None:
    """Writes ``manifest.json`` (atomically; after the shards it lists)."""
    doc = {"format": FORMAT, "params_id": f"{manifest.params_id:#018x}", "dim": manifest.dim,
           "shards": manifest.shards}
    write_atomic(fs, posixpath.join(root, MANIFEST), json.dumps(doc, indent=1).encode())


def read_manifest(url: str, storage_options: dict | None = None) -> Manifest:
    """The manifest under ``url``. Raises :class:`StorageError` if the URL or its manifest does
    not exist or is malformed, :class:`ShardError` if a shard is listed twice."""
    fs, root = open_storage(url, storage_options)
    try:
        if not fs.isdir(root):
            raise StorageError(f"storage URL {url!r} does not exist (or is not a directory)")
        raw = fs.cat_file(posixpath.join(root, MANIFEST))
    except FileNotFoundError as e:
        raise StorageError(f"no {MANIFEST} under {url!r}: write the shards first") from e
    except OSError as e:
        raise StorageError(f"storage URL {url!r}: {e}") from e
    try:
        doc = json.loads(raw)
        if doc.get("format") != FORMAT:
            raise ValueError(f"format {doc.get('format')!r}, expected {FORMAT!r}")
        shards = [dict(name=str(s["name"]), count=int(s["count"]), checksum=str(s["checksum"]),
                       bytes=int(s["bytes"])) for s in doc["shards"]]
        m = Manifest(int(doc["params_id"], 16), int(doc["dim"]), shards, url)
    except (ValueError, KeyError, TypeError) as e:
        raise StorageError(f"{MANIFEST} under {url!r} is malformed: {e}") from e
    check_unique([s["name"] for s in m.shards], f"the manifest of {url!r}")
    return m


def check_unique(names: Sequence[str], where: str) -> None:
    """Raises :class:`ShardError` naming the first shard listed twice."""
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise ShardError(f"shard {n!r} is listed twice in {where}", n)
        seen.add(n)


def encode_result(shard: str, input_checksum: str, count: int, params_id: int,
                  results: Sequence[Ciphertext]) -> bytes:
    """A result file's bytes (format in the module docs)."""
    header = json.dumps({"shard": shard, "input_checksum": input_checksum, "count": count,
                         "groups": len(results), "params_id": f"{params_id:#018x}"}).encode()
    parts = [RESULT_MAGIC, struct.pack("<I", len(header)), header,
             struct.pack("<I", len(results))]
    for c in results:
        b = c.to_bytes()
        parts += [struct.pack("<Q", len(b)), b]
    body = b"".join(parts)
    return body + hashlib.sha256(body).digest()


def verify_result(data: bytes, context: Context, shard: str, input_checksum: str,
                  count: int) -> list[Ciphertext]:
    """The result ciphertexts of a result file, after checking everything (module docs).
    Raises :class:`ShardError` naming the shard if anything is off."""

    def bad(why: str) -> ShardError:
        return ShardError(f"result of shard {shard!r} does not verify: {why}", shard)

    if len(data) < len(RESULT_MAGIC) + 8 + _DIGEST or not data.startswith(RESULT_MAGIC):
        raise bad("not a result file (magic) or truncated")
    body, digest = data[:-_DIGEST], data[-_DIGEST:]
    if hashlib.sha256(body).digest() != digest:
        raise bad("SHA-256 mismatch (corrupted or truncated)")
    pos = len(RESULT_MAGIC)
    (hlen,) = struct.unpack_from("<I", body, pos)
    pos += 4
    try:
        header = json.loads(body[pos : pos + hlen])
    except ValueError as e:
        raise bad(f"header: {e}") from e
    pos += hlen
    if header.get("shard") != shard:
        raise bad(f"it belongs to shard {header.get('shard')!r}")
    if header.get("input_checksum") != input_checksum:
        raise bad("it was computed from other input bytes than the manifest lists")
    if header.get("count") != count:
        raise bad(f"{header.get('count')} products, the manifest lists {count}")
    (n,) = struct.unpack_from("<I", body, pos)
    pos += 4
    out = []
    try:
        for _ in range(n):
            (clen,) = struct.unpack_from("<Q", body, pos)
            pos += 8
            if pos + clen > len(body):
                raise bad("a ciphertext runs past the end")
            out.append(Ciphertext.from_bytes(context, body[pos : pos + clen]))
            pos += clen
    except (struct.error, DeserializeError, MismatchError) as e:
        raise bad(str(e)) from e
    if pos != len(body) or n != header.get("groups"):
        raise bad("length or group count does not match its header")
    return out


class _SizeOrChecksum(Exception):
    """An input shard whose size or trailer differs from its manifest entry."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


def _load_shard(fs: Any, path: str, entry: dict[str, Any],
                engine: InnerProductEngine) -> EncryptedBatch:
    """Reads and loads one input shard on the engine's threads after the extension compared its
    size and trailer with the manifest. A local file is read by the extension into a per-thread
    buffer it reuses from shard to shard; other stores through fsspec's ``cat_file``."""
    local = _is_local(fs)
    source = path if local else fs.cat_file(path)
    try:
        return engine.load_batch(source, expected_len=entry["bytes"],
                                 expected_checksum=entry["checksum"])
    except DeserializeError as e:
        if "size or checksum differs" not in str(e):
            raise
        raise _SizeOrChecksum(os.path.getsize(path) if local else len(source)) from None


def run_shard(engine: InnerProductEngine, context: Context, url: str, entry: dict[str, Any],
              storage_options: dict | None = None) -> dict[str, Any]:
    """Runs one stored shard where this code runs (a Dask task body, or a plain loop): reuses
    its result if one exists and verifies, else reads the input, checks its digest, runs the
    engine and writes the result atomically. Returns the receipt: ``shard, count, groups,
    skipped, result_sha256, bytes_read, bytes_written, read_s, compute_s, write_s, cpu_s``
    (this thread's CPU seconds), ``start`` and ``end`` (UNIX times).
    Raises :class:`ShardError` naming the shard for a missing, tampered, truncated or foreign
    input."""
    name, checksum, count = entry["name"], entry["checksum"], entry["count"]
    t0, cpu0 = time.perf_counter(), time.thread_time()
    fs, root = open_storage(url, storage_options)
    inp, out = posixpath.join(root, name + ".batch"), posixpath.join(root, name + ".result")
    receipt: dict[str, Any] = {"shard": name, "count": count, "skipped": False,
                               "bytes_read": 0, "bytes_written": 0, "start": time.time()}
    try:
        old = fs.cat_file(out)
    except FileNotFoundError:
        old = None
    if old is not None:
        receipt["bytes_read"] += len(old)
        try:
            res = verify_result(old, context, name, checksum, count)
            receipt.update(skipped=True, groups=len(res),
                           result_sha256=hashlib.sha256(old).hexdigest(), read_s=0.0,
                           compute_s=0.0, write_s=0.0, cpu_s=time.thread_time() - cpu0,
                           end=time.time())
            return receipt
        except ShardError:
            pass  # not a result of this input: computed again and replaced atomically
    try:
        batch = _load_shard(fs, inp, entry, engine)
    except FileNotFoundError as e:
        raise ShardError(f"shard {name!r}: input {inp} does not exist", name) from e
    except _SizeOrChecksum as e:
        raise ShardError(f"shard {name!r}: {e.size} bytes whose size or checksum differs from "
                         f"the manifest's ({entry['bytes']} bytes): truncated or replaced",
                         name) from None
    except MismatchError as e:
        raise ShardError(f"shard {name!r} is for other parameters: {e}", name) from e
    except DeserializeError as e:
        raise ShardError(f"shard {name!r} is corrupted or truncated: {e}", name) from e
    receipt["bytes_read"] += entry["bytes"]
    if len(batch) != count:
        raise ShardError(f"shard {name!r} holds {len(batch)} products, the manifest {count}",
                         name)
    t1 = time.perf_counter()
    try:
        results, _ = engine.run_batch(batch)
    except CkksError as e:
        raise ShardError(f"shard {name!r}: {type(e).__name__}: {e}", name) from e
    t2 = time.perf_counter()
    blob = encode_result(name, checksum, count, context.params.id, results)
    write_atomic(fs, out, blob)
    receipt.update(groups=len(results), result_sha256=hashlib.sha256(blob).hexdigest(),
                   bytes_written=len(blob), read_s=t1 - t0, compute_s=t2 - t1,
                   write_s=time.perf_counter() - t2, cpu_s=time.thread_time() - cpu0,
                   end=time.time())
    return receipt


def remove_temporaries(url: str, storage_options: dict | None = None) -> int:
    """Removes the temporary files (``*.tmp-*``) a writer killed mid-write left under ``url``;
    returns how many. They are never read as results; call this only while no run writes
    there (a live writer's temporary file would go too, and its rename fail)."""
    fs, root = open_storage(url, storage_options)
    stale = [p for p in fs.ls(root, detail=False) if ".tmp-" in posixpath.basename(p)]
    for p in stale:
        fs.rm_file(p)
    return len(stale)


def shard_name(i: int) -> str:
    """The name of shard ``i`` as the writers number them."""
    return f"shard-{i:05d}"


def write_shards(url: str, engine: InnerProductEngine, plan: BatchPlan, x: np.ndarray,
                 y: np.ndarray, encryptor: Encryptor, *, storage_options: dict | None = None,
                 level: int | None = None) -> Manifest:
    """Encrypts the rows of ``x``, ``y`` (k × dim float64) here and stores them as shards of
    ``plan.count`` products each (the last one shorter, same layout: ``plan.for_count``), then the
    manifest. A compressed secret-key ``encryptor`` halves the bytes. Creates the directory;
    raises :class:`StorageError` if it cannot be written."""
    fs, root = open_storage(url, storage_options)
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 2 or x.shape != y.shape:
        raise ValueError(f"x {x.shape} and y {y.shape} must be equal k × dim arrays")
    try:
        fs.makedirs(root, exist_ok=True)
    except OSError as e:
        raise StorageError(f"cannot create {url!r}: {e}") from e
    entries, params_id = [], None
    for i, lo in enumerate(range(0, len(x), plan.count)):
        hi = min(lo + plan.count, len(x))
        p = plan if hi - lo == plan.count else plan.for_count(hi - lo)
        batch = engine.encrypt_batch(p, x[lo:hi], y[lo:hi], encryptor, level=level)
        params_id = batch.params.id
        entries.append(store_shard(fs, root, shard_name(i), batch.to_bytes(), hi - lo, url))
    if params_id is None:
        raise ValueError("no rows to write")
    m = Manifest(params_id, x.shape[1], entries, url)
    write_manifest(fs, root, m)
    return m


def store_shard(fs: Any, root: str, name: str, data: bytes, count: int, url: str) -> dict:
    """Writes one input shard atomically; its manifest entry."""
    try:
        write_atomic(fs, posixpath.join(root, name + ".batch"), data)
    except OSError as e:
        raise StorageError(f"cannot write shard {name!r} under {url!r}: {e}") from e
    return {"name": name, "count": count, "checksum": frame_checksum(data), "bytes": len(data)}


def read_results(url: str, name: str, context: Context,
                 storage_options: dict | None = None) -> list[Ciphertext]:
    """The verified result ciphertexts of shard ``name`` (one per group of its plan)."""
    m = read_manifest(url, storage_options)
    e = m.entry(name)
    fs, root = open_storage(url, storage_options)
    try:
        data = fs.cat_file(posixpath.join(root, name + ".result"))
    except FileNotFoundError as err:
        raise ShardError(f"shard {name!r} has no result yet", name) from err
    return verify_result(data, context, name, e["checksum"], e["count"])


def decrypt_shard(url: str, name: str, decryptor: Any, context: Context,
                  storage_options: dict | None = None) -> np.ndarray:
    """The shard's inner products as floats (loads its input for the plan's layout)."""
    fs, root = open_storage(url, storage_options)
    batch = EncryptedBatch.from_bytes(context, fs.cat_file(posixpath.join(root, name + ".batch")))
    return batch.decrypt(read_results(url, name, context, storage_options), decryptor)


def _npy_header(f: Any, url: str) -> tuple[int, int]:
    fmt = np.lib.format
    try:
        version = fmt.read_magic(f)
        read = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}[version]
        shape, fortran, dtype = read(f)
    except (ValueError, KeyError) as e:
        raise ValueError(f"{url}: not a .npy file ({e})") from e
    if dtype != np.dtype("<f8") or fortran or len(shape) != 2:
        raise ValueError(f"{url}: a C-ordered 2-D little-endian float64 array is needed, found "
                         f"{dtype} {shape}{' (Fortran order)' if fortran else ''}")
    return int(shape[0]), int(shape[1])


def npy_shape(url: str, storage_options: dict | None = None) -> tuple[int, int]:
    """(k, dim) of a stored ``.npy`` matrix (reads its header only)."""
    fs, path = open_storage(url, storage_options)
    try:
        with fs.open(path, "rb") as f:
            return _npy_header(f, url)
    except FileNotFoundError as e:
        raise StorageError(f"{url!r} does not exist") from e


def read_npy_rows(url: str, lo: int, hi: int, storage_options: dict | None = None) -> np.ndarray:
    """Rows ``lo..hi`` of a stored ``.npy`` matrix: one ranged read, not the whole file."""
    fs, path = open_storage(url, storage_options)
    with fs.open(path, "rb") as f:
        k, dim = _npy_header(f, url)
        if not 0 <= lo < hi <= k:
            raise ValueError(f"{url}: rows {lo}..{hi} of {k}")
        f.seek(f.tell() + lo * dim * 8)
        buf = f.read((hi - lo) * dim * 8)
    if len(buf) != (hi - lo) * dim * 8:
        raise ValueError(f"{url}: truncated (rows {lo}..{hi} of {k})")
    return np.frombuffer(buf, dtype="<f8").reshape(hi - lo, dim)


@dataclass
class ShardReport:
    """What a run did, from the receipts (the client never reads a ciphertext)."""

    receipts: list[dict[str, Any]] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def computed(self) -> list[str]:
        return [r["shard"] for r in self.receipts if not r["skipped"]]

    @property
    def skipped(self) -> list[str]:
        return [r["shard"] for r in self.receipts if r["skipped"]]

    @property
    def products(self) -> int:
        return sum(r["count"] for r in self.receipts)

    def total(self, key: str) -> float:
        return sum(r.get(key, 0) for r in self.receipts)

