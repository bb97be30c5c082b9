"""The Python API: parameters, keys, encoding, encryption, operations, engine, errors."""

from __future__ import annotations

import pickle
import threading
import time

import numpy as np
import pytest

import ckks_accel as ck
from conftest import small_params


def test_params_presets_and_explicit():
    s = ck.Params.preset("S")
    assert (s.n, s.slots, len(s.q), len(s.p), s.dnum) == (1 << 14, 1 << 13, 6, 2, 3)
    assert not s.is_insecure
    assert ck.Params.from_bytes(s.to_bytes()) == s
    assert pickle.loads(pickle.dumps(s)) == s
    with pytest.raises(ck.ParameterError, match="unknown"):
        ck.Params.preset("XL")
    with pytest.raises(ck.ParameterError, match="not 128-bit secure"):
        ck.Params(ring_degree=1 << 12, q_bits=[55, 40, 40], p_bits=[56], dnum=3, log_scale=40)
    with pytest.raises(ValueError):  # ParameterError is a ValueError too
        ck.Params(ring_degree=1000, q_bits=[50], p_bits=[50], dnum=1, log_scale=30,
                  allow_insecure=True)
    assert small_params().is_insecure


def test_encode_decode_and_encrypt_decrypt(setup):
    x = setup.vec()
    pt = setup.ctx.encode(x)
    assert pt.level == setup.params.max_level
    np.testing.assert_allclose(setup.ctx.decode(pt)[: len(x)], x, atol=1e-9)
    ct = setup.enc.encrypt(x)
    out = setup.dec.decrypt(ct)
    assert out.dtype == np.float64 and out.shape == (setup.params.slots,)
    np.testing.assert_allclose(out[: len(x)], x, atol=1e-6)
    np.testing.assert_allclose(out[len(x):], 0.0, atol=1e-6)
    # Symmetric encryption and encrypting a Plaintext.
    ct2 = ck.Encryptor(setup.ctx, setup.sk).encrypt(pt)
    np.testing.assert_allclose(setup.dec.decrypt(ct2)[: len(x)], x, atol=1e-6)
    rows = np.stack([x, -x])
    a, b = setup.enc.encrypt_rows(rows)
    np.testing.assert_allclose(setup.dec.decrypt(b)[: len(x)], -x, atol=1e-6)


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.arange(4, dtype=np.float32), "dtype float64"),
        (np.arange(4), "dtype float64"),
        (np.array([1.0, np.nan]), "not finite"),
        (np.array([np.inf]), "not finite"),
        (np.ones((2, 2)), "1-D"),
        ([1.0, 2.0], "numpy.ndarray"),
        (np.ones(1 << 12), "do not fit"),
        (np.array([1e30]), "scale budget"),
    ],
)
def test_bad_values_raise_encoding_error(setup, bad, match):
    with pytest.raises(ck.EncodingError, match=match):
        setup.enc.encrypt(bad)
    with pytest.raises(ValueError):
        setup.ctx.encode(bad)


def test_operations(setup):
    x, y = setup.vec(), setup.vec()
    a, b = setup.enc.encrypt(x), setup.enc.encrypt(y)
    ev, dec, n = setup.ev, setup.dec, setup.dim
    np.testing.assert_allclose(dec.decrypt(ev.add(a, b))[:n], x + y, atol=1e-6)
    np.testing.assert_allclose(dec.decrypt(ev.sub(a, b))[:n], x - y, atol=1e-6)
    np.testing.assert_allclose(dec.decrypt(ev.negate(a))[:n], -x, atol=1e-6)
    np.testing.assert_allclose(dec.decrypt(ev.add_const(a, 0.5))[:n], x + 0.5, atol=1e-6)
    m = ev.mul(a, b)
    assert m.degree == 3
    r = ev.rescale(ev.relinearize(m))
    assert r.degree == 2 and r.level == a.level - 1
    np.testing.assert_allclose(dec.decrypt(r)[:n], x * y, atol=1e-5)
    np.testing.assert_allclose(dec.decrypt(ev.multiply(a, b))[:n], x * y, atol=1e-5)
    np.testing.assert_allclose(dec.decrypt(ev.rotate(a, 3))[: n - 3], x[3:], atol=1e-6)
    hoisted = ev.rotate_hoisted(a, [1, 3])
    assert hoisted[1] == ev.rotate(a, 3)
    np.testing.assert_allclose(dec.decrypt(ev.conjugate(a))[:n], x, atol=1e-6)
    assert ev.drop_to_level(a, 1).level == 1
    s = ev.inner_sum(a, n)
    np.testing.assert_allclose(dec.decrypt(s)[0], x.sum(), atol=1e-5)
    ip = ev.inner_product(a, b)
    np.testing.assert_allclose(dec.decrypt(ip)[0], x @ y, atol=1e-5)


def test_engine_matches_evaluator_bit_for_bit(setup):
    xs, pairs = setup.pairs(6)
    calls = []
    for threads in (1, 2):
        engine = ck.InnerProductEngine(setup.keys, threads=threads, mode="task")
        out, stats = engine.run_with_stats(pairs, progress=lambda d, t: calls.append((d, t)))
        assert stats["products"] == 6 and stats["threads"] == threads
        assert stats["rotations"] == 6 * 6
        for (a, b), ct, (x, y) in zip(pairs, out, xs):
            assert ct.to_bytes() == setup.ev.inner_product(a, b).to_bytes()
            assert abs(setup.dec.decrypt(ct)[0] - x @ y) < 1e-5
    assert sorted(d for d, _ in calls) == sorted(list(range(1, 7)) * 2)
    assert engine.threads == 2


def test_engine_hoisted_sum_and_modes(setup):
    kg = setup.kg
    keys = kg.evaluation_keys(setup.sk, dim=setup.dim, sum=4)
    assert keys.sum == 4 and keys.dim == setup.dim
    xs, pairs = setup.pairs(3)
    for mode in ("auto", "task", "limb"):
        out = ck.InnerProductEngine(keys, threads=2, mode=mode, schedule="static").run(pairs)
        for ct, (x, y) in zip(out, xs):
            assert abs(setup.dec.decrypt(ct)[0] - x @ y) < 1e-5
    auto = kg.evaluation_keys(setup.sk, dim=setup.dim, sum="auto")
    assert auto.sum == "tree" or isinstance(auto.sum, int)
    with pytest.raises(ck.ParameterError, match="unknown schedule"):
        ck.InnerProductEngine(keys, schedule="random")
    # The schedule names are the library's (its FromStr): aliases and case as in Rust.
    for name in ("dynamic", "work-stealing", "STATIC"):
        ck.InnerProductEngine(keys, threads=1, schedule=name)
    with pytest.raises(ck.ParameterError, match="mode"):
        ck.InnerProductEngine(keys, mode="gpu")
    with pytest.raises(ck.ParameterError):
        kg.evaluation_keys(setup.sk, dim=48)


def test_progress_callback_error_is_raised(setup):
    _, pairs = setup.pairs(2)
    engine = ck.InnerProductEngine(setup.keys, threads=1)

    def boom(done, total):
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        engine.run(pairs, progress=boom)


def test_serialization_and_pickle_round_trips(setup):
    x = setup.vec()
    ct = setup.enc.encrypt(x)
    for obj, cls in [
        (ct, ck.Ciphertext),
        (setup.ctx.encode(x), ck.Plaintext),
        (setup.pk, ck.PublicKey),
        (setup.kg.relin_key(setup.sk), ck.RelinKey),
        (setup.kg.galois_keys(setup.sk, [1, 2]), ck.GaloisKeys),
        (setup.keys, ck.EvaluationKeys),
    ]:
        data = obj.to_bytes()
        assert isinstance(data, bytes)
        again = cls.from_bytes(setup.ctx, data)
        assert again.to_bytes() == data
        assert pickle.loads(pickle.dumps(obj)).to_bytes() == data
    keys = pickle.loads(pickle.dumps(setup.keys))
    assert (keys.dim, keys.sum, keys.rotation_keys) == (setup.dim, "tree", setup.keys.rotation_keys)
    with pytest.raises(ck.CkksError, match="cannot be pickled"):
        pickle.dumps(setup.sk)


def test_corrupted_and_foreign_bytes(setup):
    ct = setup.enc.encrypt(setup.vec())
    data = bytearray(ct.to_bytes())
    data[len(data) // 2] ^= 1
    with pytest.raises(ck.DeserializeError, match="checksum"):
        ck.Ciphertext.from_bytes(setup.ctx, bytes(data))
    with pytest.raises(ck.DeserializeError):
        ck.Ciphertext.from_bytes(setup.ctx, ct.to_bytes()[:100])
    with pytest.raises(ck.DeserializeError):
        ck.PublicKey.from_bytes(setup.ctx, ct.to_bytes())
    with pytest.raises(ck.DeserializeError):
        ck.EvaluationKeys.from_bytes(setup.ctx, b"CKEK\x01" + b"\0" * 40)
    other = ck.Context(ck.Params(ring_degree=1 << 12, q_bits=[55, 40, 40], p_bits=[56], dnum=3,
                                 log_scale=38, allow_insecure=True))
    with pytest.raises(ck.MismatchError, match="parameter"):
        ck.Ciphertext.from_bytes(other, ct.to_bytes())


def test_mismatched_parameters_and_missing_keys(setup):
    other_ctx = ck.Context(ck.Params(ring_degree=1 << 12, q_bits=[55, 40, 40], p_bits=[56],
                                     dnum=3, log_scale=38, allow_insecure=True))
    other = ck.Encryptor(other_ctx, ck.KeyGenerator(other_ctx, seed=1).secret_key())
    foreign = other.encrypt(setup.vec())
    mine = setup.enc.encrypt(setup.vec())
    with pytest.raises(ck.MismatchError):
        setup.ev.add(mine, foreign)
    with pytest.raises(ck.MismatchError):
        ck.InnerProductEngine(setup.keys, threads=1).run([(foreign, foreign)])
    with pytest.raises(ck.MismatchError):
        setup.dec.decrypt(foreign)
    with pytest.raises(ck.MissingKeyError, match="rotation key"):
        setup.ev.rotate(mine, 5)
    no_relin = ck.EvaluationKeys(galois=setup.kg.galois_keys(setup.sk, [1, 2, 4, 8, 16, 32]))
    with pytest.raises(ck.MissingKeyError, match="relinearization"):
        ck.InnerProductEngine(no_relin, threads=1).run([(mine, mine)], dim=64)
    with pytest.raises(LookupError):
        ck.Evaluator(no_relin).relinearize(setup.ev.mul(mine, mine))
    bottom = setup.ev.drop_to_level(mine, 0)
    with pytest.raises(ck.TaskError) as info:
        ck.InnerProductEngine(setup.keys, threads=1).run([(mine, mine), (bottom, bottom)])
    assert info.value.index == 1
    assert isinstance(info.value.__cause__, ck.MismatchError)


def test_gil_released_during_batch(setup):
    _, pairs = setup.pairs(24)
    engine = ck.InnerProductEngine(setup.keys, threads=1)
    ticks = 0
    stop = threading.Event()

    def spin():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    t = threading.Thread(target=spin)
    t.start()
    before = ticks
    start = time.perf_counter()
    # Repeat the batch until it has run ≥ 0.1 s (one batch takes ~50 ms here, less on a fast
    # machine): a fixed single run made this test flaky at the 0.05 s threshold.
    runs = 0
    while runs < 20 and (runs == 0 or time.perf_counter() - start < 0.1):
        engine.run(pairs)
        runs += 1
    elapsed = time.perf_counter() - start
    after = ticks
    stop.set()
    t.join()
    # With the GIL held for the whole batch the spinner could not tick at all.
    assert elapsed > 0.05
    assert after - before >= 5


@pytest.mark.set_s
@pytest.mark.slow
def test_set_s_inner_product():
    """Reference set S (128-bit secure, n = 2^14): one batch through the engine."""
    ctx = ck.Context(ck.Params.preset("S"))
    kg = ck.KeyGenerator(ctx, seed=3)
    sk = kg.secret_key()
    keys = kg.evaluation_keys(sk, dim=4096)
    assert keys.rotation_keys == 12
    enc = ck.Encryptor(ctx, kg.public_key(sk))
    rng = np.random.default_rng(1)
    xs = [(rng.uniform(-1, 1, 4096), rng.uniform(-1, 1, 4096)) for _ in range(2)]
    pairs = [(enc.encrypt(x), enc.encrypt(y)) for x, y in xs]
    out = ck.InnerProductEngine(keys, threads=2).run(pairs)
    dec = ck.Decryptor(ctx, sk)
    for ct, (x, y) in zip(out, xs):
        assert abs(dec.decrypt(ct)[0] - x @ y) < 1e-4


def test_error_classes_follow_the_library_kinds(setup):
    """One classification (ckks_accel::ErrorKind), shared with the C ABI: ciphertexts at two
    levels, or a level the ciphertext does not have, are a mismatch (CKKS_STATUS_MISMATCH)."""
    ct = setup.enc.encrypt(np.linspace(-1, 1, 8))
    ev = setup.ev
    low = ev.rescale(ev.relinearize(ev.mul(ct, ct)))
    with pytest.raises(ck.MismatchError):
        ev.add(ct, low)
    with pytest.raises(ck.MismatchError, match="invalid here"):
        ev.drop_to_level(low, low.level + 1)
