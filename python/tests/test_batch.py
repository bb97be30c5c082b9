"""Planned batches from Python: plan + exact keys, encrypt_batch from 2-D arrays, run(batch),
decrypt to a NumPy array, serialization and pickling, typed errors."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import ckks_accel as ck
from conftest import small_params


@pytest.fixture(scope="module")
def env():
    ctx = ck.Context(small_params())
    kg = ck.KeyGenerator(ctx, seed=3)
    sk = kg.secret_key()
    return ctx, kg, sk, ck.Encryptor(ctx, kg.public_key(sk), seed=5), ck.Decryptor(ctx, sk)


@pytest.mark.parametrize("block", [None, 1, 8, 64])
def test_batch_matches_numpy(env, block):
    ctx, kg, sk, enc, dec = env
    k, dim = 40, 64
    plan, keys = kg.batch_keys(sk, k, dim, threads=2, block=block)
    if block is not None:
        assert plan.block == block
    assert plan.key_switches_per_product < 1.0
    assert keys.rotation_keys == len(plan.rotation_steps)  # exactly the plan's keys
    engine = ck.InnerProductEngine(keys, threads=2)
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-1, 1, (k, dim)), rng.uniform(-1, 1, (k, dim))
    batch = engine.encrypt_batch(plan, x, y, enc)
    assert len(batch) == k
    results, stats = engine.run_batch(batch)
    assert len(results) == plan.groups
    assert stats["relinearizations"] == plan.groups
    assert stats["plan"]["block"] == plan.block
    got = batch.decrypt(results, dec)
    assert isinstance(got, np.ndarray) and got.shape == (k,)
    np.testing.assert_allclose(got, np.einsum("ij,ij->i", x, y), atol=1e-4)
    # run(batch) is the same as run_batch(batch)[0].
    again = engine.run(batch)
    np.testing.assert_array_equal(batch.decrypt(again, dec), got)


def test_batch_serializes_and_pickles(env):
    ctx, kg, sk, enc, dec = env
    plan, keys = kg.batch_keys(sk, 5, 16, threads=1, block=4, sum="tree")
    engine = ck.InnerProductEngine(keys, threads=1)
    x = np.linspace(-1, 1, 80).reshape(5, 16)
    batch = engine.encrypt_batch(plan, x, x, enc)
    data = batch.to_bytes()
    back = ck.EncryptedBatch.from_bytes(ctx, data)
    assert back.to_bytes() == data
    pickled = pickle.loads(pickle.dumps(batch))
    assert pickled.to_bytes() == data
    results = engine.run(pickled)
    np.testing.assert_allclose(pickled.decrypt(results, dec), (x * x).sum(axis=1), atol=1e-4)
    # Results pickle too (they are Ciphertexts).
    res2 = pickle.loads(pickle.dumps(results))
    np.testing.assert_allclose(batch.decrypt(res2, dec), (x * x).sum(axis=1), atol=1e-4)
    bad = bytearray(data)
    bad[40] ^= 1
    with pytest.raises(ck.DeserializeError):
        ck.EncryptedBatch.from_bytes(ctx, bytes(bad))


def test_bad_batches_raise_the_documented_errors(env):
    ctx, kg, sk, enc, dec = env
    plan, keys = kg.batch_keys(sk, 4, 8, threads=1)
    engine = ck.InnerProductEngine(keys, threads=1)
    x = np.zeros((4, 8))
    with pytest.raises(ck.ParameterError):
        kg.batch_keys(sk, 0, 8)
    with pytest.raises(ck.ParameterError):
        kg.batch_keys(sk, -1, 8)
    with pytest.raises(ck.ParameterError):
        kg.batch_keys(sk, 4, 8, value_bound=float("nan"))
    with pytest.raises(ck.ParameterError):
        kg.batch_keys(sk, 4, 8, sum=3)
    with pytest.raises(ck.ParameterError):
        engine.encrypt_batch(plan, x, np.zeros((4, 7)), enc)  # shapes differ
    with pytest.raises(ck.ParameterError):
        engine.encrypt_batch(plan, np.zeros((3, 8)), np.zeros((3, 8)), enc)  # not the plan's k
    with pytest.raises(ck.EncodingError):
        engine.encrypt_batch(plan, x.astype(np.float32), x, enc)
    with pytest.raises(ck.EncodingError):
        engine.encrypt_batch(plan, np.zeros(8), np.zeros(8), enc)
    nan = x.copy()
    nan[1, 2] = np.nan
    with pytest.raises(ck.EncodingError):
        engine.encrypt_batch(plan, nan, x, enc)
    with pytest.raises(ck.EncodingError):
        engine.encrypt_batch(plan, x + 2.0, x, enc)  # beyond value_bound = 1
    with pytest.raises(ck.ParameterError):
        engine.encrypt_batch(plan, x, x, enc, level=-1)
    batch = engine.encrypt_batch(plan, x, x, enc)
    results = engine.run(batch)
    with pytest.raises(ck.CkksError):
        batch.decrypt(results + results, dec)  # another batch's shape
    with pytest.raises(ck.ParameterError):
        engine.run(batch, dim=8)
