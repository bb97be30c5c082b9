"""ckks_accel.dask on a real local cluster: a scheduler and two worker processes over TCP on
127.0.0.1, one thread each. Small insecure parameters (conftest) keep it fast."""

from __future__ import annotations

import os
import pickle
import signal
import threading
import time

import pytest

pytest.importorskip("distributed")

from dask.distributed import Client, LocalCluster  # noqa: E402

import ckks_accel as ck  # noqa: E402
from ckks_accel.dask import DaskInnerProduct, KeysPlugin, WorkerKeysMissing, _run_chunk  # noqa: E402
from conftest import Setup  # noqa: E402

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def data():
    s = Setup(dim=1024)
    xs, pairs = s.pairs(48)
    reference = ck.InnerProductEngine(s.keys, threads=1, mode="task").run(pairs)
    return s, xs, pairs, reference


@pytest.fixture(scope="module")
def client():
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster, Client(cluster) as c:
        yield c


def test_keys_shipped_once_per_worker_and_results_in_order(client, data):
    s, xs, pairs, reference = data
    with DaskInnerProduct(client, s.keys, threads=1) as dip:
        assert dip.ship_seconds > 0 and dip.key_bytes > 0
        assert all(dip.workers_with_keys().values()) and len(dip.workers_with_keys()) == 2
        # The task payload carries ciphertexts only: far smaller than the keys.
        task_payload = len(pickle.dumps(pairs[:4]))
        assert task_payload < dip.key_bytes / 2
        seen = []
        out = dip.map(pairs, chunk_size=5, progress=lambda d, t: seen.append((d, t)))
        assert [a.to_bytes() for a in out] == [b.to_bytes() for b in reference]
        assert seen[-1] == (48, 48) and [d for d, _ in seen] == sorted(d for d, _ in seen)
        for ct, (x, y) in zip(out, xs):
            assert abs(s.dec.decrypt(ct)[0] - x @ y) < 1e-5
        # One engine per worker, set up once: chunks ran on it, setups did not repeat.
        name = dip.name

        def stats(dask_worker):
            p = dask_worker.plugins[name]
            return (p.setup_seconds is not None, p.chunks_run, p.keys_bytes is None)

        per_worker = client.run(stats)
        assert sum(c for _, c, _ in per_worker.values()) == 10  # ceil(48 / 5) chunks
        assert all(ok and dropped for ok, _, dropped in per_worker.values())
    assert not any(client.run(lambda dask_worker: name in dask_worker.plugins).values())


def test_killed_worker_mid_run_loses_and_duplicates_nothing(client, data):
    s, _, pairs, reference = data
    with DaskInnerProduct(client, s.keys, threads=1) as dip:
        pids = client.run(os.getpid)
        victim_addr, victim = sorted(pids.items())[0]
        killed = threading.Event()

        def progress(done, total):
            if not killed.is_set():
                os.kill(victim, signal.SIGKILL)  # the worker process, mid-batch
                killed.set()

        out = dip.map(pairs, chunk_size=2, progress=progress)
        assert killed.is_set()
        assert len(out) == len(reference)
        assert [a.to_bytes() for a in out] == [b.to_bytes() for b in reference]
        # The nanny replaces the worker; the scheduler re-installs the keys on it.
        deadline = time.time() + 30
        while time.time() < deadline:
            have = dip.workers_with_keys()
            if len(have) == 2 and all(have.values()) and victim_addr not in have:
                break
            time.sleep(0.2)
        have = dip.workers_with_keys()
        assert len(have) == 2 and all(have.values()) and victim_addr not in have
        assert victim not in client.run(os.getpid).values()
        # And the replacement computes correctly too.
        again = dip.map(pairs[:8], chunk_size=1)
        assert [a.to_bytes() for a in again] == [b.to_bytes() for b in reference[:8]]


def test_worker_without_keys_and_foreign_objects(client, data):
    s, _, pairs, _ = data
    chunk = [(pairs[0][0].to_bytes(), pairs[0][1].to_bytes())]
    fut = client.submit(_run_chunk, "ckks-accel-keys-none", s.params.id, chunk, 1024, pure=False)
    with pytest.raises(WorkerKeysMissing, match="no evaluation keys"):
        fut.result()
    other = ck.Params(ring_degree=1 << 12, q_bits=[55, 40, 40], p_bits=[56], dnum=3,
                      log_scale=38, allow_insecure=True)
    octx = ck.Context(other)
    foreign = ck.Encryptor(octx, ck.KeyGenerator(octx, seed=2).secret_key()).encrypt(s.vec())
    with DaskInnerProduct(client, s.keys, threads=1) as dip:
        with pytest.raises(ck.MismatchError):
            dip.map([(foreign, foreign)])
        # Bypassing the client-side check: the worker refuses too (as bytes or as objects).
        raw = foreign.to_bytes()
        fut = client.submit(_run_chunk, dip.name, other.id, [(raw, raw)], 1024, pure=False)
        with pytest.raises(ck.MismatchError):
            fut.result()
        fut = client.submit(_run_chunk, dip.name, s.params.id, [(raw, raw)], 1024, pure=False)
        with pytest.raises(ck.MismatchError):
            fut.result()
        fut = client.submit(_run_chunk, dip.name, s.params.id, [(foreign, foreign)], 1024, pure=False)
        with pytest.raises(ck.MismatchError):
            fut.result()
    with pytest.raises(WorkerKeysMissing, match="closed"):
        dip.map(pairs[:1])
    assert isinstance(KeysPlugin(b"", b"x").name, str)
