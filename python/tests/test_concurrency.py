"""Concurrency stress (issue 18): many Python threads share one InnerProductEngine (the GIL is
released inside `run`), and a progress callback re-enters `run` on the engine that is calling
it. A watchdog turns a deadlock into a test failure instead of a hung CI job: the workers are
daemon threads joined with a timeout, and `faulthandler.dump_traceback_later(..., exit=True)`
kills the process (printing every thread's stack) if even that does not return.

CKKS_STRESS_TIMEOUT (seconds, default 120) sets the watchdog."""

from __future__ import annotations

import faulthandler
import os
import threading
import time

import numpy as np
import pytest

import ckks_accel as ck

TIMEOUT = float(os.environ.get("CKKS_STRESS_TIMEOUT", "120"))
THREADS = 16


@pytest.fixture
def watchdog():
    # Backstop: if joining with a timeout itself cannot return, dump every stack and exit.
    faulthandler.dump_traceback_later(TIMEOUT + 60, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def run_workers(targets, timeout=TIMEOUT):
    """Starts each target as a daemon thread, joins all within `timeout` seconds in total,
    and fails the test if any is still running (a hang) or raised."""
    errors: list[BaseException] = []

    def wrap(f):
        def run():
            try:
                f()
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)
        return run

    threads = [threading.Thread(target=wrap(f), daemon=True) for f in targets]
    for t in threads:
        t.start()
    end = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, end - time.monotonic()))
    alive = sum(t.is_alive() for t in threads)
    if alive:
        pytest.fail(f"WATCHDOG: {alive} of {len(threads)} threads still running after "
                    f"{timeout:.0f} s (deadlock?)")
    if errors:
        raise errors[0]


@pytest.mark.parametrize("mode", ["auto", "task"])
def test_sixteen_threads_share_one_engine(setup, watchdog, mode):
    # threads=2 with one pair per call: "auto" spreads each product's limbs over both workers
    # (nested parallel work inside a worker — what deadlocked in issue 18).
    engine = ck.InnerProductEngine(setup.keys, threads=2, mode=mode)
    xs, pairs = setup.pairs(2)
    want = [x @ y for x, y in xs]
    results: list[list[float]] = []
    lock = threading.Lock()

    def worker(i):
        def run():
            for r in range(3):
                k = 1 + (i + r) % 2
                out, stats = engine.run_with_stats(pairs[:k])
                # Statistics belong to this run (concurrent runs must not mix them).
                assert stats["products"] == k
                assert stats["rotations"] == k * 6
                got = [setup.dec.decrypt(ct)[0] for ct in out]
                with lock:
                    results.append(got)
        return run

    run_workers([worker(i) for i in range(THREADS)])
    assert len(results) == THREADS * 3
    for got in results:
        np.testing.assert_allclose(got, want[: len(got)], atol=1e-5)


def test_progress_callback_reenters_the_engine(setup, watchdog):
    for threads in (1, 2):
        engine = ck.InnerProductEngine(setup.keys, threads=threads)
        xs, pairs = setup.pairs(3)
        inner: list[object] = []

        def progress(done, total):
            if not inner:
                inner.append(None)
                try:
                    out = engine.run(pairs[:1])
                    inner[0] = setup.dec.decrypt(out[0])[0]
                except ck.CkksError as e:  # an "engine busy" refusal is allowed, a hang is not
                    inner[0] = e

        def outer():
            out = engine.run(pairs, progress=progress)
            for ct, (x, y) in zip(out, xs):
                assert abs(setup.dec.decrypt(ct)[0] - x @ y) < 1e-5

        run_workers([outer])
        assert inner, "the progress callback ran"
        if isinstance(inner[0], ck.CkksError):
            assert "busy" in str(inner[0]), inner[0]
        else:
            assert abs(inner[0] - xs[0][0] @ xs[0][1]) < 1e-5


def test_many_threads_with_reentrant_callbacks(setup, watchdog):
    engine = ck.InnerProductEngine(setup.keys, threads=2)
    _, pairs = setup.pairs(2)

    def worker(i):
        def progress(done, total):
            if done == 1 and i % 4 == 0:
                try:
                    engine.run(pairs[:1])
                except ck.CkksError as e:
                    assert "busy" in str(e), e

        def run():
            for _ in range(2):
                assert len(engine.run(pairs, progress=progress)) == 2
        return run

    run_workers([worker(i) for i in range(THREADS)])
