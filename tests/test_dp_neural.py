"""DP-SGD for CTGAN and TVAE through opacus (issue #21): the budget opacus accounts matches
what the model file records, rare categories never come back, and a model file keeps its
record and samples identically after a cold load."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np
import pandas as pd
import pytest

from synthohive.artifacts.memory import MemoryStore
from synthohive.errors import PluginNotFoundError
from synthohive.metadata.detect import detect_table
from synthohive.registry import get_registry


def table(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, n)
    plan = np.where(age > 50, "gold", rng.choice(["basic", "plus"], n)).astype(object)
    plan[3] = "platinum-lifetime"  # one row
    return pd.DataFrame(
        {
            "age": age,
            "spend": np.round(10 * age + rng.normal(0, 80, n), 2),
            "plan": plan,
        }
    )


def fit(model: str, eps: float, df: pd.DataFrame, **params: Any) -> Any:
    cls = get_registry().get_model(model)
    m = cls({"epochs": 3, "batch_size": 250, "dp": {"epsilon": eps}, **params}, seed=0)
    return m.fit(df, table=detect_table(df, name="members"), progress=False)


@pytest.mark.parametrize("model", ["ctgan", "tvae"])
def test_dp_sgd_budget_matches_opacus_and_rare_categories_stay_out(model: str) -> None:
    from opacus.accountants import RDPAccountant

    df = table()
    m = fit(model, 3.0, df)
    rec = m.dp_
    assert rec is not None
    sgd = rec["sgd"]
    # recompute the DP-SGD part with opacus' own accountant from the recorded steps
    check = RDPAccountant()
    check.history = [(sgd["noise_multiplier"], sgd["sample_rate"], sgd["steps"])]
    assert check.get_epsilon(delta=sgd["delta"]) == pytest.approx(sgd["epsilon"], rel=1e-6)
    assert sgd["steps"] == 3 * int(np.ceil(len(df) / 250))
    assert rec["epsilon"] == pytest.approx(rec["statistics"]["epsilon"] + sgd["epsilon"])
    assert rec["epsilon"] <= 3.0 + 1e-6
    assert rec["statistics"]["epsilon"] == pytest.approx(0.6, rel=1e-3)  # the 20% share
    assert rec["delta"] < 1 / len(df)
    out = m.sample(5000, seed=1)
    assert "platinum-lifetime" not in set(out["plan"])
    assert set(out["plan"]) <= {"gold", "basic", "plus"}
    assert out["age"].between(0, 200).all()
    assert m.history[-1]["epsilon"] == pytest.approx(sgd["epsilon"])


@pytest.mark.parametrize("model", ["ctgan", "tvae"])
def test_dp_model_file_keeps_its_record_and_samples_the_same(model: str) -> None:
    df = table(800)
    m = fit(model, 5.0, df)
    store = MemoryStore()
    m.save(store.writer())
    loaded = type(m).load(store.reader())
    assert loaded.dp_ == m.dp_
    pd.testing.assert_frame_equal(loaded.sample(300, seed=4), m.sample(300, seed=4))


def test_stronger_privacy_costs_more_noise() -> None:
    df = table()
    loose, tight = fit("tvae", 10.0, df), fit("tvae", 1.0, df)
    assert tight.dp_["sgd"]["noise_multiplier"] > loose.dp_["sgd"]["noise_multiplier"]


def test_missing_opacus_is_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_opacus(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "opacus" or name.startswith("opacus."):
            raise ImportError("No module named 'opacus'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_opacus)
    with pytest.raises(PluginNotFoundError, match="needs opacus") as err:
        fit("ctgan", 1.0, table(200))
    assert err.value.fix == "pip install 'synthohive-ctgan[dp]'"
