"""Shared fixtures for the TVAE tests: small mixed tables and tiny networks."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
import torch

from synthohive.metadata.schema import Column, Table

TINY: dict[str, object] = {
    "epochs": 2,
    "batch_size": 100,
    "embedding_dim": 8,
    "compress_dims": (32, 32),
    "decompress_dims": (32, 32),
    "eval_every": 1,
}


@pytest.fixture
def tiny() -> dict[str, object]:
    """Hyper-parameters of a tiny, fast network (a copy per test)."""
    return dict(TINY)


@pytest.fixture(autouse=True, scope="session")
def _one_thread() -> Iterator[None]:
    """Tiny nets run fastest single-threaded (and do not fight other tests for cores)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def mixed() -> tuple[pd.DataFrame, Table]:
    """300 rows: a bimodal float, an int, a 3-level string and a bool."""
    rng = np.random.default_rng(0)
    n = 300
    df = pd.DataFrame(
        {
            "amount": np.where(rng.random(n) < 0.5, rng.normal(0, 1, n), rng.normal(8, 1, n)),
            "age": rng.integers(18, 80, n),
            "colour": rng.choice(["red", "green", "blue"], n, p=[0.6, 0.3, 0.1]),
            "flag": rng.random(n) < 0.3,
        }
    )
    table = Table(
        name="people",
        columns={
            "amount": Column(sdtype="numerical"),
            "age": Column(sdtype="numerical", integer=True),
            "colour": Column(sdtype="categorical"),
            "flag": Column(sdtype="boolean"),
        },
    )
    return df, table


@pytest.fixture
def parent_child() -> tuple[pd.DataFrame, Table, pd.DataFrame, Table]:
    """Child rows whose ``value`` and ``kind`` depend strongly on the parent's ``segment``."""
    rng = np.random.default_rng(1)
    n = 600
    seg = rng.choice(["A", "B"], n)
    is_a = seg == "A"
    child = pd.DataFrame(
        {
            "value": np.where(is_a, rng.normal(0, 1, n), rng.normal(10, 1, n)),
            "kind": np.where(
                is_a,
                rng.choice(["p", "q"], n, p=[0.9, 0.1]),
                rng.choice(["p", "q"], n, p=[0.1, 0.9]),
            ),
        }
    )
    context = pd.DataFrame({"segment": seg})
    child_table = Table(
        name="orders",
        columns={"value": Column(sdtype="numerical"), "kind": Column(sdtype="categorical")},
    )
    ctx_table = Table(name="orders.context", columns={"segment": Column(sdtype="categorical")})
    return child, child_table, context, ctx_table
