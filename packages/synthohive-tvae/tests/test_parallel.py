"""The data-parallel hooks of synthohive.nn.parallel, without launching processes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthohive.errors import DataError, PrivacyError
from synthohive.metadata.detect import detect_table
from synthohive.nn.parallel import DataParallel
from synthohive.privacy import DPConfig
from synthohive_tvae.model import TVAEModel


def test_a_single_process_fit_is_not_data_parallel() -> None:
    assert DataParallel.current() is None


def test_ranks_split_the_rows_and_each_step_of_the_single_process_batch() -> None:
    shards = [DataParallel(r, 2).plan(1001, 500, table="t") for r in range(2)]
    rows = np.sort(np.concatenate([s[0] for s in shards]))
    assert np.array_equal(rows, np.arange(1001))  # every training row on exactly one rank
    assert {(local, steps) for _, local, steps in shards} == {(250, 3)}
    with pytest.raises(DataError, match="smaller than the 4 training processes"):
        DataParallel(0, 4).plan(100, 3, table="t")
    assert DataParallel(1, 3).pac_batch(500, 10, table="t") == 160  # CTGAN: whole packs
    with pytest.raises(DataError, match="fewer than pac=10"):
        DataParallel(0, 4).pac_batch(30, 10, table="t")


def test_dp_sgd_under_data_parallel_training_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DataParallel, "current", classmethod(lambda cls: cls(0, 2)))
    rng = np.random.default_rng(0)
    data = pd.DataFrame({"x": rng.normal(size=100), "c": rng.choice(["a", "b"], 100)})
    model = TVAEModel({"epochs": 1, "dp": DPConfig(epsilon=1.0)}, seed=0, device="cpu")
    with pytest.raises(PrivacyError, match="data-parallel") as info:
        model.fit(data, table=detect_table(data, name="t"), progress=False)
    assert info.value.table == "t"
