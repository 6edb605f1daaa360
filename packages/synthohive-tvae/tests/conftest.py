"""Shared fixtures for the TVAE tests: small mixed tables and tiny networks."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
import torch

from synthohive.metadata.schema import Table
from synthohive.testing.data import mixed_table, segment_child

TINY: dict[str, object] = {
    "epochs": 2,
    "batch_size": 100,
    "embedding_dim": 8,
    "compress_dims": (32, 32),
    "decompress_dims": (32, 32),
    "eval_every": 1,
    "eval_budget": None,  # score every epoch, however slow scoring is next to a tiny net
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
    return mixed_table()


@pytest.fixture
def parent_child() -> tuple[pd.DataFrame, Table, pd.DataFrame, Table]:
    """Child rows whose ``value`` and ``kind`` depend strongly on the parent's ``segment``."""
    return segment_child()
