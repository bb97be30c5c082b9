"""Shared fixtures: a small, explicitly insecure parameter set (fast) and its keys."""

from __future__ import annotations

import numpy as np
import pytest

import ckks_accel as ck

DIM = 64


def small_params() -> ck.Params:
    """n = 2^12, three 40–55-bit primes: **insecure**, opt-in, for fast tests only."""
    return ck.Params(
        ring_degree=1 << 12, q_bits=[55, 40, 40], p_bits=[56], dnum=3, log_scale=40,
        allow_insecure=True,
    )


class Setup:
    def __init__(self, dim: int = DIM) -> None:
        self.params = small_params()
        self.ctx = ck.Context(self.params)
        self.kg = ck.KeyGenerator(self.ctx, seed=7)
        self.sk = self.kg.secret_key()
        self.pk = self.kg.public_key(self.sk)
        self.keys = self.kg.evaluation_keys(self.sk, dim=dim, steps=[3], conjugation=True)
        self.enc = ck.Encryptor(self.ctx, self.pk, seed=11)
        self.dec = ck.Decryptor(self.ctx, self.sk)
        self.ev = ck.Evaluator(self.keys)
        self.dim = dim
        self.rng = np.random.default_rng(5)

    def vec(self) -> np.ndarray:
        return self.rng.uniform(-1.0, 1.0, self.dim)

    def pairs(self, k: int):
        xs = [(self.vec(), self.vec()) for _ in range(k)]
        return xs, [(self.enc.encrypt(a), self.enc.encrypt(b)) for a, b in xs]


@pytest.fixture(scope="session")
def setup() -> Setup:
    return Setup()
