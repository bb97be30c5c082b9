"""Encrypted inner products on a Dask cluster.

The evaluation keys go to each worker **once**: :class:`KeysPlugin` is a Dask ``WorkerPlugin``
registered with the scheduler, which hands it to every current worker and to every worker that
joins later (including a replacement the nanny starts after a crash); on each worker it
deserializes the keys into one :class:`~ckks_accel.InnerProductEngine` (one evaluator, the Rust
thread pool, per-thread scratch). Tasks carry only ciphertexts.

:class:`DaskInnerProduct` maps a batch of ciphertext pairs over the workers in chunks; each chunk
runs on the worker's engine (GIL released, so the worker keeps heart-beating), results come back
in input order. A chunk whose worker dies is rescheduled by the scheduler on another worker
(Dask's ``distributed.scheduler.allowed-failures``, default 3, bounds how often); each chunk's
result is stored once under its index and the batch is checked complete, so nothing is lost or
duplicated. Usage::

    from dask.distributed import Client
    from ckks_accel.dask import DaskInnerProduct
    client = Client("tcp://scheduler:8786")               # or LocalCluster(), SLURMCluster(), ...
    with DaskInnerProduct(client, keys, threads=None) as dip:   # ships the keys once per worker
        results = dip.map(pairs, progress=lambda done, total: print(done, total))

Workers: one Dask worker process per machine with ``--nthreads 1`` and the engine on all cores
(``threads=None``), or several single-threaded workers with ``threads=1``.

**Data-local runs** (:meth:`DaskInnerProduct.run_shards`): the batch lives as shards under a
storage URL (:mod:`ckks_accel.shards`: a local or shared path, ``s3://``, ``gs://``, …). One task
per shard reads it on its worker, runs the engine's planned batch (``run_batch``: the same
planner, layouts and threads as the local engine), writes the results beside it atomically and
returns a receipt of a few hundred bytes; the client plans, submits and counts, and never holds
a ciphertext. A shard whose result already exists and verifies is skipped, so a re-run after an
interruption (client, worker or whole cluster) resumes without computing anything twice. A shard
that fails (truncated, tampered, other parameters) raises an error naming it, after the other
shards completed. Usage::

    plan, keys = kg.batch_keys(sk, 64, dim, threads=1)         # one shard's plan and its keys
    write_shards("s3://bucket/run1", ck.InnerProductEngine(keys, threads=1), plan, x, y,
                 ck.Encryptor(ctx, sk, compressed=True))       # or encrypt_npy_shards(...)
    with DaskInnerProduct(client, keys, threads=1) as dip:
        report = dip.run_shards("s3://bucket/run1")           # results: <shard>.result
"""

from __future__ import annotations

import hashlib
import math
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from distributed import Client, WorkerPlugin, as_completed, get_worker

from . import BatchPlan, Ciphertext, Context, Encryptor, EvaluationKeys, InnerProductEngine, Params
from . import PublicKey
from .errors import CkksError, MismatchError, ShardError, ShardsFailed, StorageError
from .shards import (
    Manifest,
    tune_malloc,
    ShardReport,
    check_unique,
    npy_shape,
    open_storage,
    read_manifest,
    read_npy_rows,
    run_shard,
    shard_name,
    store_shard,
    write_manifest,
)

__all__ = ["DaskInnerProduct", "KeysPlugin", "WorkerKeysMissing", "plugin_name"]


class WorkerKeysMissing(CkksError, LookupError):
    """A task ran on a worker that has no evaluation keys of this name (plugin not registered,
    already removed, or its setup failed there)."""


def plugin_name(keys_bytes: bytes) -> str:
    """The plugin name for serialized keys: content-addressed, so registering the same keys
    twice is a no-op and different keys never collide."""
    return "ckks-accel-keys-" + hashlib.sha256(keys_bytes).hexdigest()[:24]


class KeysPlugin(WorkerPlugin):
    """Holds serialized evaluation keys; on each worker builds one engine from them.

    The plugin is pickled once on the client and stored by the scheduler, which sends it to every
    worker (current and future) exactly once. After ``setup`` the worker drops the serialized
    copy and keeps only the engine.
    """

    def __init__(
        self,
        params_bytes: bytes,
        keys_bytes: bytes,
        *,
        threads: int | None = None,
        mode: str = "task",
        sum: str | int | None = None,
        output_level: int | None = None,
        tune_malloc: bool = True,
    ) -> None:
        self.name = plugin_name(keys_bytes)
        self.tune_malloc = tune_malloc
        self.params_bytes = params_bytes
        self.keys_bytes: bytes | None = keys_bytes
        self.threads = threads
        self.mode = mode
        self.sum = sum
        self.output_level = output_level
        self.engine: InnerProductEngine | None = None
        self.context: Context | None = None
        self.params_id: int | None = None
        self.setup_seconds: float | None = None
        self.chunks_run = 0
        self.busy_seconds = 0.0  # time inside the engine (the rest of a task is transport)

    def setup(self, worker: Any) -> None:
        t = time.perf_counter()
        if self.keys_bytes is None:
            raise WorkerKeysMissing(f"{self.name}: the serialized keys were already consumed")
        # The client chose these parameters (insecure ones only with an explicit opt-in).
        params = Params.from_bytes(self.params_bytes, allow_insecure=True)
        self.context = Context(params)
        keys = EvaluationKeys.from_bytes(self.context, self.keys_bytes)
        self.engine = InnerProductEngine(
            keys,
            threads=self.threads,
            mode=self.mode,
            sum=self.sum,
            output_level=self.output_level,
        )
        self.params_id = params.id
        self.keys_bytes = None  # the engine holds the keys; don't keep a second copy
        try:  # storage runs import fsspec (~1 s): here, not in a worker's first shard task
            import fsspec.core  # noqa: F401
        except ImportError:
            pass
        if self.tune_malloc:
            tune_malloc()
        self.setup_seconds = time.perf_counter() - t

    def teardown(self, worker: Any) -> None:
        self.engine = None
        self.context = None


def _run_chunk(name: str, params_id: int, chunk: list[tuple[bytes, bytes]], dim: int) -> list[bytes]:
    """Task body: the inner products of one chunk on this worker's engine.

    Ciphertexts travel as their serialized bytes (opaque to the scheduler, which otherwise
    unpickles and re-pickles every task argument — and would need ckks_accel itself); they are
    loaded with the worker's context, which checks their parameters."""
    worker = get_worker()
    plugin = worker.plugins.get(name)
    if not isinstance(plugin, KeysPlugin) or plugin.engine is None:
        raise WorkerKeysMissing(
            f"worker {worker.address} has no evaluation keys {name!r}: register them with "
            "DaskInnerProduct (or client.register_plugin(KeysPlugin(...))) first"
        )
    if plugin.params_id != params_id:
        raise MismatchError(
            f"worker keys are for parameters {plugin.params_id:#018x}, the batch for {params_id:#018x}"
        )
    ctx = plugin.context

    def load(x: bytes | Ciphertext) -> Ciphertext:
        return x if isinstance(x, Ciphertext) else Ciphertext.from_bytes(ctx, x)

    pairs = [(load(a), load(b)) for a, b in chunk]
    t = time.perf_counter()
    out = plugin.engine.run(pairs, dim)
    plugin.busy_seconds += time.perf_counter() - t
    plugin.chunks_run += 1
    return [c.to_bytes() for c in out]


class DaskInnerProduct:
    """Batches of encrypted inner products on a Dask cluster, keys shipped once per worker.

    ``threads``: engine threads per worker (None: every core of the worker's machine). ``mode``,
    ``sum``, ``output_level``: as for :class:`~ckks_accel.InnerProductEngine`.
    ``tune_malloc`` (default True): each worker lets glibc keep large freed buffers
    (:func:`ckks_accel.shards.tune_malloc`; Dask's default makes every shard page-fault its
    buffers afresh). Use as a context manager (or call :meth:`close`) to remove the keys from
    the workers afterwards.
    """

    def __init__(
        self,
        client: Client,
        keys: EvaluationKeys,
        *,
        threads: int | None = None,
        mode: str = "task",
        sum: str | int | None = None,
        output_level: int | None = None,
        tune_malloc: bool = True,
    ) -> None:
        self.client = client
        self.params = keys.params
        self.context = keys.context
        self.dim = keys.dim
        keys_bytes = keys.to_bytes()  # compressed (seeded) whenever the keys allow: half the bytes
        self.key_bytes = len(keys_bytes)
        self.plugin = KeysPlugin(
            self.params.to_bytes(),
            keys_bytes,
            threads=threads,
            mode=mode,
            sum=sum,
            output_level=output_level,
            tune_malloc=tune_malloc,
        )
        self.name = self.plugin.name
        t = time.perf_counter()
        # Returns once every current worker has run setup (it raises if one failed).
        client.register_plugin(self.plugin, name=self.name)
        self.ship_seconds = time.perf_counter() - t
        del keys_bytes
        self.plugin.keys_bytes = None  # the scheduler keeps the pickled copy for new workers
        self._closed = False

    def workers_with_keys(self) -> dict[str, bool]:
        """Which workers currently hold an engine for these keys (a worker that just died and
        is not yet unregistered is left out rather than raising)."""
        name = self.name

        def has(dask_worker: Any) -> bool:
            p = dask_worker.plugins.get(name)
            return isinstance(p, KeysPlugin) and p.engine is not None

        return self.client.run(has, on_error="ignore")

    def busy_seconds(self) -> dict[str, float]:
        """Seconds each worker has spent inside its engine for these keys (the rest of a
        worker's time is transport, (de)serialization and waiting)."""
        name = self.name

        def busy(dask_worker: Any) -> float:
            p = dask_worker.plugins.get(name)
            return p.busy_seconds if isinstance(p, KeysPlugin) else 0.0

        return self.client.run(busy, on_error="ignore")

    def map(
        self,
        pairs: Sequence[tuple[Ciphertext, Ciphertext]],
        dim: int | None = None,
        *,
        chunk_size: int | None = None,
        progress: Callable[[int, int], Any] | None = None,
    ) -> list[Ciphertext]:
        """⟨a_i, b_i⟩ for every pair, in input order (each result equals the single-process
        engine's bit for bit). ``chunk_size`` defaults to about 4 chunks per worker.
        ``progress(done, total)`` is called on the client as chunks finish."""
        if self._closed:
            raise WorkerKeysMissing("this DaskInnerProduct was closed; its keys left the workers")
        dim = dim if dim is not None else self.dim
        if dim is None:
            raise ValueError("give dim (the keys were not made for a dim)")
        pairs = list(pairs)
        pid = self.params.id
        for i, pair in enumerate(pairs):
            if len(pair) != 2 or not all(isinstance(c, Ciphertext) for c in pair):
                raise TypeError(f"pair {i} is not a (Ciphertext, Ciphertext) tuple")
            for c in pair:
                if c.params.id != pid:
                    raise MismatchError(
                        f"pair {i}: ciphertext of parameters {c.params.id:#018x}, keys are for {pid:#018x}"
                    )
        total = len(pairs)
        if total == 0:
            return []
        if chunk_size is None:
            workers = max(1, len(self.client.scheduler_info(n_workers=-1)["workers"]))
            chunk_size = max(1, math.ceil(total / (4 * workers)))
        batch = uuid.uuid4().hex[:12]
        starts = list(range(0, total, chunk_size))
        futures = []
        info = {}
        for c, s in enumerate(starts):
            payload = [(a.to_bytes(), b.to_bytes()) for a, b in pairs[s : s + chunk_size]]
            f = self.client.submit(
                _run_chunk,
                self.name,
                pid,
                payload,
                dim,
                key=f"ckks-ip-{batch}-{c}",
                pure=False,
            )
            futures.append(f)
            info[f.key] = (c, s, min(chunk_size, total - s))
        results: list[Ciphertext | None] = [None] * total
        seen: set[int] = set()
        done = 0
        try:
            for f in as_completed(futures):
                c, s, n = info[f.key]
                out = f.result()
                if c in seen:  # cannot happen with unique keys; guard the invariant anyway
                    raise CkksError(f"chunk {c} returned twice")
                if len(out) != n:
                    raise CkksError(f"chunk {c} returned {len(out)} results for {n} pairs")
                seen.add(c)
                results[s : s + n] = [Ciphertext.from_bytes(self.context, b) for b in out]
                done += n
                if progress is not None:
                    progress(done, total)
        except BaseException:
            self.client.cancel(futures)
            raise
        missing = [i for i, r in enumerate(results) if r is None]
        if missing:
            raise CkksError(f"{len(missing)} results missing (first: {missing[0]})")
        return results  # type: ignore[return-value]

    def run_shards(
        self,
        url: str,
        shards: Sequence[str] | None = None,
        *,
        storage_options: dict | None = None,
        progress: Callable[[int, int], Any] | None = None,
    ) -> ShardReport:
        """Runs the batch stored under ``url`` (see :mod:`ckks_accel.shards`), one task per shard
        (``shards``: a subset of the manifest's names, default all), each on the worker's engine
        with its results written beside the shard. Shards whose results exist and verify are
        skipped. ``progress(done, total)`` counts shards. Returns the receipts; raises
        :class:`StorageError` (URL missing or not writable), :class:`MismatchError` (shards of
        other parameters than the keys), :class:`ShardError` (a shard listed twice or not in the
        manifest) before submitting anything, and :class:`ShardsFailed` naming every shard that
        failed once all the others completed."""
        if self._closed:
            raise WorkerKeysMissing("this DaskInnerProduct was closed; its keys left the workers")
        m = read_manifest(url, storage_options)
        if m.params_id != self.params.id:
            raise MismatchError(f"the shards under {url!r} are for parameters {m.params_id:#018x}, "
                                f"the keys for {self.params.id:#018x}")
        names = [e["name"] for e in m.shards] if shards is None else list(shards)
        check_unique(names, "the shard list")
        entries = [m.entry(n) for n in names]
        check_writable(url, storage_options)
        run = uuid.uuid4().hex[:12]
        # One graph update for the whole run (client.map), not one message per shard.
        futures = self.client.map(_shard_task, entries, key=[f"ckks-shard-{run}-{n}" for n in names],
                                  pure=False, name=self.name, params_id=self.params.id, url=url,
                                  storage_options=storage_options)
        shard_of = {f.key: e["name"] for f, e in zip(futures, entries)}
        report, failures = ShardReport(), {}
        t = time.perf_counter()
        try:
            # Completion notices only while the run goes on; the receipts of the shards that
            # succeeded come back in one gather at the end (one round trip, not one per shard:
            # the client's CPU per shard halves).
            for done, f in enumerate(as_completed(futures), 1):
                if f.status != "finished":
                    try:
                        f.result()
                    except Exception as e:  # noqa: BLE001 - collected, raised below
                        failures[shard_of[f.key]] = e
                if progress is not None:
                    progress(done, len(entries))
            finished = [f for f in futures if shard_of[f.key] not in failures]
            report.receipts.extend(self.client.gather(finished, errors="raise"))
        except BaseException:
            self.client.cancel(futures)
            raise
        report.wall_s = time.perf_counter() - t
        order = {n: i for i, n in enumerate(names)}
        report.receipts.sort(key=lambda r: order[r["shard"]])
        if failures:
            detail = "; ".join(f"{n}: {e}" for n, e in sorted(failures.items()))
            raise ShardsFailed(f"{len(failures)} of {len(entries)} shards failed ({detail}); "
                               f"the other {len(report.receipts)} completed", failures, report)
        return report

    def encrypt_npy_shards(
        self,
        url: str,
        x_url: str,
        y_url: str,
        plan: BatchPlan,
        public_key: PublicKey,
        *,
        storage_options: dict | None = None,
        level: int | None = None,
    ) -> Manifest:
        """Writes a batch as shards under ``url``, encrypting on the workers: the plaintext
        rows are ``.npy`` k × dim float64 matrices in storage (``x_url``, ``y_url``); each task
        reads its rows (ranged reads), encrypts them for ``plan`` (``plan.count`` products per
        shard, the last shorter) with ``public_key`` and stores the shard; the client writes the
        manifest. Public-key ciphertexts are full size: compressed (seeded) shards need the
        secret key, which this path never ships — encrypt those where the key lives
        (:func:`ckks_accel.shards.write_shards`)."""
        k, dim = npy_shape(x_url, storage_options)
        if npy_shape(y_url, storage_options) != (k, dim):
            raise ValueError(f"{x_url} is {k}×{dim}, {y_url} is "
                             f"{'×'.join(map(str, npy_shape(y_url, storage_options)))}")
        fs, root = open_storage(url, storage_options)
        try:
            fs.makedirs(root, exist_ok=True)
        except OSError as e:
            raise StorageError(f"cannot create {url!r}: {e}") from e
        check_writable(url, storage_options)
        [pk] = self.client.scatter([public_key.to_bytes()], broadcast=True, hash=False)
        plan_bytes = plan.to_bytes(self.params)
        run = uuid.uuid4().hex[:12]
        futures = [
            self.client.submit(_encrypt_task, self.name, self.params.id, pk, plan_bytes, x_url,
                               y_url, lo, min(lo + plan.count, k), url, shard_name(i),
                               storage_options, level, key=f"ckks-enc-{run}-{i}", pure=False)
            for i, lo in enumerate(range(0, k, plan.count))
        ]
        try:
            entries = self.client.gather(futures)
        except BaseException:
            self.client.cancel(futures)
            raise
        m = Manifest(self.params.id, dim, list(entries), url)
        write_manifest(fs, root, m)
        return m

    def close(self) -> None:
        """Removes the keys from every worker (and from the scheduler)."""
        if not self._closed:
            self._closed = True
            try:
                self.client.unregister_worker_plugin(self.name)
            except Exception:  # noqa: BLE001 - already gone (e.g. the cluster shut down)
                pass

    def __enter__(self) -> DaskInnerProduct:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_writable(url: str, storage_options: dict | None = None) -> None:
    """Writes and removes a probe object under ``url``; :class:`StorageError` if it cannot."""
    from .shards import open_storage, write_atomic

    fs, root = open_storage(url, storage_options)
    probe = f"{root.rstrip('/')}/.ckks-accel-probe-{uuid.uuid4().hex}"
    try:
        write_atomic(fs, probe, b"")
        fs.rm_file(probe)
    except Exception as e:  # noqa: BLE001 - any backend's refusal (read-only, permissions, …)
        raise StorageError(f"storage URL {url!r} cannot be written: {type(e).__name__}: {e}") from e


def _worker_plugin(name: str, params_id: int, shard: str) -> KeysPlugin:
    worker = get_worker()
    plugin = worker.plugins.get(name)
    if not isinstance(plugin, KeysPlugin) or plugin.engine is None:
        raise WorkerKeysMissing(
            f"shard {shard!r}: worker {worker.address} has no evaluation keys {name!r} (register "
            "them with DaskInnerProduct first)"
        )
    if plugin.params_id != params_id:
        raise ShardError(f"shard {shard!r}: worker keys are for parameters "
                         f"{plugin.params_id:#018x}, the run for {params_id:#018x}", shard)
    return plugin


def _shard_task(entry: dict, *, name: str, params_id: int, url: str,
                storage_options: dict | None) -> dict:
    """Task body of :meth:`DaskInnerProduct.run_shards`: one shard on this worker's engine."""
    plugin = _worker_plugin(name, params_id, entry["name"])
    receipt = run_shard(plugin.engine, plugin.context, url, entry, storage_options)
    plugin.busy_seconds += receipt["compute_s"]
    plugin.chunks_run += 0 if receipt["skipped"] else 1
    receipt["worker"] = get_worker().address
    return receipt


def _encrypt_task(name: str, params_id: int, pk_bytes: bytes, plan_bytes: bytes, x_url: str,
                  y_url: str, lo: int, hi: int, url: str, shard: str,
                  storage_options: dict | None, level: int | None) -> dict:
    """Task body of :meth:`DaskInnerProduct.encrypt_npy_shards`: rows lo..hi → one shard."""
    plugin = _worker_plugin(name, params_id, shard)
    ctx = plugin.context
    enc = Encryptor(ctx, PublicKey.from_bytes(ctx, pk_bytes))
    plan = BatchPlan.from_bytes(ctx, plan_bytes)
    if hi - lo != plan.count:
        plan = plan.for_count(hi - lo)
    x = read_npy_rows(x_url, lo, hi, storage_options)
    y = read_npy_rows(y_url, lo, hi, storage_options)
    data = plugin.engine.encrypt_batch(plan, x, y, enc, level=level).to_bytes()
    fs, root = open_storage(url, storage_options)
    return store_shard(fs, root, shard, data, hi - lo, url)
