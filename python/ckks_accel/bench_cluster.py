"""Data-local cluster benchmark: ``python -m ckks_accel.bench --cluster [--params S] [--k 512]
[--dim 4096] [--shard 32] [--workers 1,2] [--threads 1] [--dir PATH]``.

Plans one shard (``KeyGenerator.batch_keys`` for ``--shard`` products, one engine thread), writes
the batch as shards in a temporary directory through fsspec (secret-key *compressed*
ciphertexts at the plan's tensor level, encrypted in this process), then measures:

- ``local_engine_products_per_s``: the engine alone in this process, every shard already loaded
  (``run_batch``, one thread) — the reference results;
- ``local_storage_products_per_s``: the same shards read, run and written by this process
  (``shards.run_shard`` in a loop: the work a worker does, without Dask);
- per worker count (a scheduler process and single-threaded worker processes over TCP on
  127.0.0.1 — ``distributed``'s SubprocessCluster, so this process is the client alone; the
  engine on one thread): ``ship_s`` (keys to every worker), ``wall_s``, ``products_per_s``,
  ``efficiency`` (products/s ÷ (workers × the 1-worker figure)), ``per_worker_vs_local_engine``
  and ``per_worker_vs_local_storage``, ``worker_engine_vs_local_engine`` (products per second
  of engine time inside the workers ÷ the local engine's: the same plans and threads),
  ``worker_cpu_ms_per_product`` (CPU of the worker processes), ``client_cpu_ms_per_product``
  (this process), ``scheduler_cpu_ms_per_product``, ``client_over_worker_cpu``,
  ``bytes_read_per_product`` / ``bytes_written_per_product`` (from the receipts);
- ``machine_two_process_efficiency``: the control for ``efficiency`` — the local
  read-run-write loop in two independent processes at once (no Dask: each loads the keys, waits
  at a barrier after a warm-up shard, runs half the shards), products/s ÷ (2 × the one-process figure). What two
  single-core workers can reach on this machine at best (memory bandwidth, shared caches, the
  hypervisor); ``efficiency_vs_machine`` = ``efficiency`` ÷ this;
- ``fresh_ciphertext_bytes_ratio``: a compressed fresh ciphertext's bytes ÷ the full form's;
- ``bit_identical``: every stored result equals the local engine's, bit for bit.

Each cluster run starts from no results (a warm-up run on two other shards comes first).
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time

import numpy as np

import ckks_accel as ck
from ckks_accel import shards as sh


def _local_loop(params: str, key_bytes: bytes, url: str, entries: list, threads: int, barrier,
                out) -> None:
    """One process of the two-process control: the local read-run-write loop on ``entries``."""
    sh.tune_malloc()
    ctx = ck.Context(ck.Params.preset(params))
    engine = ck.InnerProductEngine(ck.EvaluationKeys.from_bytes(ctx, key_bytes), threads=threads)
    # Warm-up as the workers get one: a shard loaded and run, nothing written.
    first = os.path.join(url, entries[0]["name"] + ".batch")
    engine.run_batch(engine.load_batch(first))
    barrier.wait()
    t = time.perf_counter()
    for e in entries:
        sh.run_shard(engine, ctx, url, e)
    out.put(time.perf_counter() - t)


def _two_process_pps(params: str, key_bytes: bytes, url: str, entries: list,
                     threads: int) -> float:
    """Products/s of the local loop split over two processes started together."""
    import multiprocessing as mp

    spawn = mp.get_context("spawn")
    barrier, out = spawn.Barrier(2), spawn.Queue()
    halves = [entries[0::2], entries[1::2]]
    procs = [spawn.Process(target=_local_loop,
                           args=(params, key_bytes, url, h, threads, barrier, out))
             for h in halves]
    for p in procs:
        p.start()
    walls = [out.get() for _ in procs]
    for p in procs:
        p.join()
    _clear_results(url)
    return sum(e["count"] for e in entries) / max(walls)


def _clear_results(url: str) -> None:
    for f in os.listdir(url):
        if f.endswith(".result") or ".tmp-" in f:
            os.unlink(os.path.join(url, f))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ckks_accel.bench --cluster", description=__doc__)
    ap.add_argument("--params", default="S", help="preset (S, L, S-ifma, L-ifma)")
    ap.add_argument("--k", type=int, default=512, help="products in the batch")
    ap.add_argument("--dim", type=int, default=4096, help="inner-product length")
    ap.add_argument("--shard", type=int, default=32, help="products per shard")
    ap.add_argument("--workers", default="1,2", help="worker counts to run")
    ap.add_argument("--threads", type=int, default=1,
                    help="engine threads, in every worker and in the local references")
    ap.add_argument("--dir", default=None, help="storage directory (default: a temporary one)")
    args = ap.parse_args(argv)

    from dask.distributed import Client
    from distributed.deploy.subprocess import SubprocessCluster

    from .dask import DaskInnerProduct

    sh.tune_malloc()  # as the workers do (DaskInnerProduct's default): same allocator both sides
    ctx = ck.Context(ck.Params.preset(args.params))
    kg = ck.KeyGenerator(ctx, seed=1)
    sk = kg.secret_key()
    plan, keys = kg.batch_keys(sk, args.shard, args.dim, threads=args.threads)
    engine = ck.InnerProductEngine(keys, threads=args.threads)
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-1, 1, (args.k, args.dim)), rng.uniform(-1, 1, (args.k, args.dim))
    tmp = tempfile.mkdtemp(prefix="ckks-cluster-bench-", dir=args.dir)
    url, warm = os.path.join(tmp, "batch"), os.path.join(tmp, "warm")
    try:
        enc = ck.Encryptor(ctx, sk, seed=2, compressed=True)
        t = time.perf_counter()
        m = sh.write_shards(url, engine, plan, x, y, enc, level=plan.tensor_level)
        write_s = time.perf_counter() - t
        sh.write_shards(warm, engine, plan, x[: 2 * args.shard], y[: 2 * args.shard], enc,
                        level=plan.tensor_level)
        fresh = enc.encrypt(x[0], level=plan.tensor_level)
        ratio = len(fresh.to_bytes()) / len(fresh.to_bytes_full())

        names = [e["name"] for e in m.shards]
        batches = [ck.EncryptedBatch.from_bytes(ctx, open(os.path.join(url, n + ".batch"),
                                                          "rb").read()) for n in names]
        engine.run_batch(batches[0])  # warm-up
        t = time.perf_counter()
        reference = [[c.to_bytes() for c in engine.run_batch(b)[0]] for b in batches]
        local_engine_pps = args.k / (time.perf_counter() - t)
        del batches
        t = time.perf_counter()
        for e in m.shards:
            sh.run_shard(engine, ctx, url, e)
        local_storage_pps = args.k / (time.perf_counter() - t)
        identical = all(
            [c.to_bytes() for c in sh.read_results(url, n, ctx)] == ref
            for n, ref in zip(names, reference)
        )
        _clear_results(url)
        two_process_pps = _two_process_pps(args.params, keys.to_bytes(), url, m.shards,
                                           args.threads)

        runs = []
        for w in [int(v) for v in args.workers.split(",")]:
            _clear_results(url)
            _clear_results(warm)
            with SubprocessCluster(host="127.0.0.1", n_workers=w, threads_per_worker=1,
                                   dashboard_address=None) as cluster, \
                    Client(cluster) as client, \
                    DaskInnerProduct(client, keys, threads=args.threads) as dip:
                dip.run_shards(warm)
                cpu0 = sum(client.run(time.process_time).values())
                sched0 = client.run_on_scheduler(time.process_time)
                client_cpu0 = time.process_time()
                t = time.perf_counter()
                report = dip.run_shards(url)
                wall = time.perf_counter() - t
                client_cpu = time.process_time() - client_cpu0
                cpu = sum(client.run(time.process_time).values()) - cpu0
                sched = client.run_on_scheduler(time.process_time) - sched0
                assert len(report.computed) == len(names), "every shard computed once"
                identical &= all(
                    [c.to_bytes() for c in sh.read_results(url, n, ctx)] == ref
                    for n, ref in zip(names, reference)
                )
                pps = args.k / wall
                runs.append({
                    "workers": w, "ship_s": round(dip.ship_seconds, 3), "wall_s": round(wall, 3),
                    "products_per_s": round(pps, 1),
                    "per_worker_vs_local_engine": round(pps / w / local_engine_pps, 3),
                    "per_worker_vs_local_storage": round(pps / w / local_storage_pps, 3),
                    "worker_cpu_ms_per_product": round(1e3 * cpu / args.k, 3),
                    "client_cpu_ms_per_product": round(1e3 * client_cpu / args.k, 4),
                    "scheduler_cpu_ms_per_product": round(1e3 * sched / args.k, 4),
                    "client_over_worker_cpu": round(client_cpu / cpu, 4),
                    "worker_engine_vs_local_engine": round(
                        args.k / report.total("compute_s") / local_engine_pps, 3),
                    "bytes_read_per_product": round(report.total("bytes_read") / args.k),
                    "bytes_written_per_product": round(report.total("bytes_written") / args.k),
                    "engine_s_share": round(report.total("compute_s") / (w * wall), 3),
                })
        base = runs[0]["products_per_s"] / runs[0]["workers"]
        machine = two_process_pps / (2 * local_storage_pps)
        for r in runs:
            r["efficiency"] = round(r["products_per_s"] / (r["workers"] * base), 3)
            if r["workers"] == 2:
                r["efficiency_vs_machine"] = round(r["efficiency"] / machine, 3)
        print(json.dumps({
            "params": args.params, "isa": ck.ISA, "k": args.k, "dim": args.dim,
            "shard": args.shard, "shards": len(names), "threads": args.threads,
            "plan": repr(plan),
            "key_bytes": len(keys.to_bytes()), "input_level": plan.tensor_level,
            "shard_bytes": m.shards[0]["bytes"], "write_s": round(write_s, 3),
            "fresh_ciphertext_bytes_ratio": round(ratio, 4),
            "local_engine_products_per_s": round(local_engine_pps, 1),
            "local_storage_products_per_s": round(local_storage_pps, 1),
            "machine_two_process_efficiency": round(machine, 3),
            "runs": runs, "bit_identical": identical,
        }))
        return 0 if identical else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
