"""Data-local cluster runs (ckks_accel.shards + DaskInnerProduct.run_shards) on a real local
cluster: a scheduler and two worker processes over TCP on 127.0.0.1, one thread each; shards in
a temporary directory through fsspec's local filesystem. Small insecure parameters (conftest)."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import zipfile

import numpy as np
import pytest

pytest.importorskip("distributed")
pytest.importorskip("fsspec")

from dask.distributed import Client, LocalCluster  # noqa: E402

import ckks_accel as ck  # noqa: E402
from ckks_accel import shards as sh  # noqa: E402
from ckks_accel.dask import DaskInnerProduct, WorkerKeysMissing, _shard_task  # noqa: E402
from conftest import small_params  # noqa: E402

pytestmark = pytest.mark.cluster

K, DIM, SHARD = 40, 64, 8  # 5 shards of 8 products


@pytest.fixture(scope="module")
def env():
    ctx = ck.Context(small_params())
    kg = ck.KeyGenerator(ctx, seed=3)
    sk = kg.secret_key()
    plan, keys = kg.batch_keys(sk, SHARD, DIM, threads=1, block=16)
    engine = ck.InnerProductEngine(keys, threads=1)
    rng = np.random.default_rng(9)
    x, y = rng.uniform(-1, 1, (K, DIM)), rng.uniform(-1, 1, (K, DIM))
    return ctx, kg, sk, plan, keys, engine, x, y


def write(env, path, k=K):
    ctx, kg, sk, plan, keys, engine, x, y = env
    enc = ck.Encryptor(ctx, sk, seed=5, compressed=True)
    return sh.write_shards(str(path), engine, plan, x[:k], y[:k], enc)


def reference(env, url, name):
    """The single-process results of one stored shard, as bytes."""
    ctx, *_, engine, _, _ = env
    data = open(os.path.join(url, name + ".batch"), "rb").read()
    results, _ = engine.run_batch(ck.EncryptedBatch.from_bytes(ctx, data))
    return [c.to_bytes() for c in results]


def stored(env, url, name):
    return [c.to_bytes() for c in sh.read_results(url, name, env[0])]


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


@pytest.fixture(scope="module")
def dip(client, env):
    with DaskInnerProduct(client, env[4], threads=1) as d:
        yield d


def test_shards_are_compressed_and_results_equal_the_single_process(env, dip, tmp_path):
    ctx, kg, sk, plan, keys, engine, x, y = env
    m = write(env, tmp_path)
    assert [e["count"] for e in m.shards] == [8] * 5
    # Seeded tiles: the stored shard is about half a full-size one.
    full = engine.encrypt_batch(plan, x[:SHARD], y[:SHARD], ck.Encryptor(ctx, sk, seed=5))
    assert m.shards[0]["bytes"] < 0.52 * len(full.to_bytes())
    seen = []
    report = dip.run_shards(str(tmp_path), progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (5, 5)
    assert report.computed == [e["name"] for e in m.shards] and report.skipped == []
    assert report.products == K
    # Receipts are small and carry no ciphertext; every result equals the local engine's.
    assert all(len(json.dumps(r)) < 1000 for r in report.receipts)
    assert {r["worker"] for r in report.receipts} == set(dip.workers_with_keys())
    for e in m.shards:
        assert stored(env, str(tmp_path), e["name"]) == reference(env, str(tmp_path), e["name"])
    dec = ck.Decryptor(ctx, sk)
    got = np.concatenate([sh.decrypt_shard(str(tmp_path), e["name"], dec, ctx) for e in m.shards])
    np.testing.assert_allclose(got, np.einsum("ij,ij->i", x, y), atol=1e-4)
    # A second run finds every result and verifies it: nothing recomputed, nothing rewritten.
    stamps = {p: os.stat(tmp_path / p).st_mtime_ns for p in os.listdir(tmp_path)}
    again = dip.run_shards(str(tmp_path))
    assert again.computed == [] and len(again.skipped) == 5
    assert {p: os.stat(tmp_path / p).st_mtime_ns for p in os.listdir(tmp_path)} == stamps


def wait_idle(client, timeout=30):
    """Until no worker executes a task (a cancelled task still runs to its end there)."""

    def busy(dask_worker):
        return len(dask_worker.state.executing)

    deadline = time.time() + timeout
    while time.time() < deadline:
        # on_error="ignore": the killed worker may still be registered for a moment.
        busy_now = client.run(busy, on_error="ignore")
        if not any(client.processing().values()) and not any(busy_now.values()):
            return
        time.sleep(0.1)
    raise AssertionError("workers still busy")


def test_killed_worker_and_interrupted_client_resume_without_recomputing(env, client, dip,
                                                                          tmp_path):
    m = write(env, tmp_path)
    names = [e["name"] for e in m.shards]
    pids = client.run(os.getpid)
    victim_addr, victim = sorted(pids.items())[0]
    killed = threading.Event()

    class Stop(Exception):
        pass

    def progress(done, total):
        if not killed.is_set():
            os.kill(victim, signal.SIGKILL)  # a worker process dies mid-run
            killed.set()
        elif done >= 3:
            raise Stop  # and then the client is interrupted

    with pytest.raises(Stop):
        dip.run_shards(str(tmp_path), progress=progress)
    assert killed.is_set()
    wait_idle(client)
    done_before = {n: os.stat(tmp_path / f"{n}.result").st_mtime_ns for n in names
                   if (tmp_path / f"{n}.result").exists()}
    assert 3 <= len(done_before) <= 5
    # A writer killed mid-write may leave a temporary file: never read as a result, removed
    # by remove_temporaries once no run is active.
    leftovers = [p for p in os.listdir(tmp_path) if ".tmp-" in p]
    assert sh.remove_temporaries(str(tmp_path)) == len(leftovers)
    assert not [p for p in os.listdir(tmp_path) if ".tmp-" in p]
    # The nanny replaced the worker and the scheduler re-installed the keys on it.
    deadline = time.time() + 30
    while time.time() < deadline:
        have = dip.workers_with_keys()
        if len(have) == 2 and all(have.values()) and victim_addr not in have:
            break
        time.sleep(0.2)
    report = dip.run_shards(str(tmp_path))
    assert sorted(report.skipped) == sorted(done_before)
    assert sorted(report.computed) == sorted(set(names) - set(done_before))
    for n, stamp in done_before.items():
        assert os.stat(tmp_path / f"{n}.result").st_mtime_ns == stamp, f"{n} rewritten"
    for n in names:
        assert stored(env, str(tmp_path), n) == reference(env, str(tmp_path), n)


def test_corrupted_and_truncated_shards_fail_by_name_while_the_others_complete(env, dip,
                                                                               tmp_path):
    ctx = env[0]
    write(env, tmp_path)
    url = str(tmp_path)
    flipped = tmp_path / "shard-00001.batch"
    raw = bytearray(flipped.read_bytes())
    raw[len(raw) // 2] ^= 0x40
    flipped.write_bytes(bytes(raw))
    cut = tmp_path / "shard-00003.batch"
    cut.write_bytes(cut.read_bytes()[:-100])
    with pytest.raises(ck.ShardsFailed) as info:
        dip.run_shards(url)
    err = info.value
    assert set(err.failures) == {"shard-00001", "shard-00003"}
    assert "shard-00001" in str(err) and "shard-00003" in str(err)
    for name, e in err.failures.items():
        assert isinstance(e, ck.ShardError) and e.shard == name and name in str(e)
    assert sorted(err.report.computed) == ["shard-00000", "shard-00002", "shard-00004"]
    assert not (tmp_path / "shard-00001.result").exists()
    # The flipped byte is caught by the format's checksum, the cut by the manifest's size: both
    # name the shard. A valid shard swapped for another is caught by the manifest's checksum.
    assert "corrupted or truncated" in str(err.failures["shard-00001"])
    assert isinstance(err.failures["shard-00001"].__cause__, ck.DeserializeError)
    assert "truncated or replaced" in str(err.failures["shard-00003"])
    swapped = tmp_path / "shard-00003.batch"
    swapped.write_bytes((tmp_path / "shard-00004.batch").read_bytes())
    with pytest.raises(ck.ShardsFailed) as info:
        dip.run_shards(url, ["shard-00003", "shard-00004"])
    e = info.value.failures["shard-00003"]
    assert "checksum differs" in str(e) and e.shard == "shard-00003"
    assert info.value.report.skipped == ["shard-00004"]
    # A result file that does not verify is never taken for a result: recomputed.
    res = tmp_path / "shard-00000.result"
    good = res.read_bytes()
    res.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    with pytest.raises(ck.ShardError, match="SHA-256"):
        sh.read_results(url, "shard-00000", ctx)
    report = dip.run_shards(url, ["shard-00000"])
    assert report.computed == ["shard-00000"] and res.read_bytes() == good


def test_bad_storage_and_shard_lists_raise_clear_errors(env, client, dip, tmp_path):
    ctx, kg, sk, plan, keys, engine, x, y = env
    with pytest.raises(ck.StorageError, match="does not exist"):
        dip.run_shards(str(tmp_path / "nowhere"))
    with pytest.raises(ck.StorageError, match="manifest.json"):
        dip.run_shards(str(tmp_path))
    write(env, tmp_path / "a", k=16)
    url = str(tmp_path / "a")
    with pytest.raises(ck.ShardError, match="'shard-00001' is listed twice") as info:
        dip.run_shards(url, ["shard-00001", "shard-00000", "shard-00001"])
    assert info.value.shard == "shard-00001"
    with pytest.raises(ck.ShardError, match="'shard-00007' is not in the manifest"):
        dip.run_shards(url, ["shard-00007"])
    doc = json.loads((tmp_path / "a" / sh.MANIFEST).read_text())
    doc["shards"].append(doc["shards"][0])
    (tmp_path / "a" / sh.MANIFEST).write_text(json.dumps(doc))
    with pytest.raises(ck.ShardError, match="'shard-00000' is listed twice in the manifest"):
        dip.run_shards(url)
    # Read-only storage (a zip archive through fsspec): refused before anything runs.
    z = tmp_path / "ro.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.write(tmp_path / "a" / "shard-00000.batch", "shard-00000.batch")
        f.writestr(sh.MANIFEST, json.dumps({**doc, "shards": doc["shards"][:1]}))
    with pytest.raises(ck.StorageError, match="cannot be written"):
        dip.run_shards(f"zip://::{z}")
    # A shard of other parameters: the keys' run refuses it by name.
    other = ck.Params(ring_degree=1 << 12, q_bits=[55, 40, 40], p_bits=[56], dnum=3,
                      log_scale=38, allow_insecure=True)
    octx = ck.Context(other)
    okg = ck.KeyGenerator(octx, seed=2)
    osk = okg.secret_key()
    oplan, okeys = okg.batch_keys(osk, SHARD, DIM, threads=1, block=16)
    om = sh.write_shards(str(tmp_path / "b"), ck.InnerProductEngine(okeys, threads=1), oplan,
                         x[:SHARD], y[:SHARD], ck.Encryptor(octx, osk, compressed=True))
    with pytest.raises(ck.MismatchError, match="other parameters|parameters"):
        dip.run_shards(str(tmp_path / "b"))
    # Bypassing the manifest check (a foreign shard listed under our parameters): by name.
    mixed = tmp_path / "a" / "shard-00001.batch"
    mixed.write_bytes((tmp_path / "b" / "shard-00000.batch").read_bytes())
    doc["shards"] = doc["shards"][:2]
    doc["shards"][1].update(checksum=om.shards[0]["checksum"], bytes=om.shards[0]["bytes"])
    (tmp_path / "a" / sh.MANIFEST).write_text(json.dumps(doc))
    with pytest.raises(ck.ShardsFailed) as info:
        dip.run_shards(url)
    e = info.value.failures["shard-00001"]
    assert "other parameters" in str(e) and e.shard == "shard-00001"
    assert info.value.report.computed == ["shard-00000"]
    # Keys missing on the worker: named by shard.
    fut = client.submit(_shard_task, doc["shards"][0], name="ckks-accel-keys-none",
                        params_id=ctx.params.id, url=url, storage_options=None, pure=False)
    with pytest.raises(WorkerKeysMissing, match="shard 'shard-00000'.*no evaluation keys"):
        fut.result()


def test_encrypt_on_the_workers_from_npy(env, dip, tmp_path):
    ctx, kg, sk, plan, keys, engine, x, y = env
    np.save(tmp_path / "x.npy", x[:20])
    np.save(tmp_path / "y.npy", y[:20])
    url = str(tmp_path / "run")
    m = dip.encrypt_npy_shards(url, str(tmp_path / "x.npy"), str(tmp_path / "y.npy"), plan,
                               kg.public_key(sk))
    assert [e["count"] for e in m.shards] == [8, 8, 4]
    report = dip.run_shards(url)
    assert len(report.computed) == 3
    dec = ck.Decryptor(ctx, sk)
    got = np.concatenate([sh.decrypt_shard(url, e["name"], dec, ctx) for e in m.shards])
    np.testing.assert_allclose(got, np.einsum("ij,ij->i", x[:20], y[:20]), atol=1e-4)
    for e in m.shards:
        assert stored(env, url, e["name"]) == reference(env, url, e["name"])
    np.save(tmp_path / "bad.npy", x[:20].astype(np.float32))
    with pytest.raises(ValueError, match="float64"):
        dip.encrypt_npy_shards(url, str(tmp_path / "bad.npy"), str(tmp_path / "y.npy"), plan,
                               kg.public_key(sk))


def test_batch_from_file_checks_size_and_trailer_before_loading(env, tmp_path):
    ctx = env[0]
    m = write(env, tmp_path / "b", k=SHARD)
    e = m.shards[0]
    path = tmp_path / "b" / (e["name"] + ".batch")
    data = path.read_bytes()
    want = ck.EncryptedBatch.from_bytes(ctx, data).to_bytes()
    for _ in range(2):  # the second read reuses the thread's buffer
        got = ck.EncryptedBatch.from_file(ctx, path, expected_len=e["bytes"],
                                          expected_checksum=e["checksum"])
        assert got.to_bytes() == want
    assert ck.EncryptedBatch.from_file(ctx, str(path)).to_bytes() == want
    # The engine's loader (its threads), from a path or from bytes: the same batch.
    engine = env[5]
    assert engine.load_batch(path, expected_len=e["bytes"],
                             expected_checksum=e["checksum"]).to_bytes() == want
    assert engine.load_batch(data, expected_checksum=e["checksum"]).to_bytes() == want
    with pytest.raises(ck.DeserializeError, match="size or checksum differs"):
        engine.load_batch(data, expected_len=len(data) - 1)
    with pytest.raises(ck.DeserializeError, match="size or checksum differs"):
        engine.load_batch(path, expected_checksum="ff" * 8)
    kg = ck.KeyGenerator(ck.Context(ck.Params.preset("S")), seed=1)
    other = ck.InnerProductEngine(kg.evaluation_keys(kg.secret_key(), dim=2), threads=1)
    with pytest.raises(ck.MismatchError):
        other.load_batch(data)
    with pytest.raises(ck.DeserializeError, match="size or checksum differs"):
        ck.EncryptedBatch.from_file(ctx, path, expected_checksum="00" * 8)
    with pytest.raises(ck.DeserializeError, match="size or checksum differs"):
        ck.EncryptedBatch.from_file(ctx, path, expected_len=e["bytes"] + 1)
    with pytest.raises(FileNotFoundError):
        ck.EncryptedBatch.from_file(ctx, tmp_path / "missing.batch")
    bad = bytearray(data)
    bad[len(bad) // 2] ^= 1
    path.write_bytes(bytes(bad))
    with pytest.raises(ck.DeserializeError, match="checksum"):
        ck.EncryptedBatch.from_file(ctx, path)


def test_tune_malloc_applies_on_linux():
    import sys

    assert sh.tune_malloc() == sys.platform.startswith("linux")
