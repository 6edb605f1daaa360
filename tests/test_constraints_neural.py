"""Constraints hold on every row CTGAN and TVAE generate (#20): the rule is kept by rewriting
the columns before the model learns them, so the networks need not learn it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import synthohive as sh

PARAMS = {
    "ctgan": {"epochs": 3, "batch_size": 200, "pac": 10},
    "tvae": {"epochs": 3, "batch_size": 200},
}


def _orders(n: int = 1500) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    ordered = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 8760, n), "h")
    shipped = pd.Series(ordered + pd.to_timedelta(rng.integers(1, 240, n), "h"))
    city = rng.choice(["Lyon", "Paris", "Berlin", "Hamburg", "Rome"], n)
    country = pd.Series(city).map(
        {"Lyon": "FR", "Paris": "FR", "Berlin": "DE", "Hamburg": "DE", "Rome": "IT"}
    )
    net = np.round(rng.lognormal(3, 0.8, n), 2)
    method = rng.choice(3, n, p=[0.5, 0.3, 0.2])
    due = shipped.fillna(pd.Series(ordered)) + pd.to_timedelta(rng.integers(0, 500, n), "h")
    return pd.DataFrame(
        {
            "ordered_at": pd.Series(ordered),
            "shipped_at": shipped.where(rng.random(n) > 0.1),
            "city": city,
            "country": country,
            "net": net,
            "shipping": np.round(rng.uniform(0, 15, n), 2),
            "items": rng.integers(1, 9, n),
            "rating": np.round(rng.uniform(1, 5, n), 1),
            "due_at": due,
            "cash": (method == 0).astype("int64"),
            "card": (method == 1).astype("int64"),
            "voucher": (method == 2).astype("int64"),
            "serial": rng.permutation(n).astype("float64") / 7.0,
            "returned_by": due + pd.to_timedelta(rng.integers(1, 700, n), "h"),
        }
    ).assign(
        gross=lambda d: np.round(d["net"] + d["shipping"], 2),
        per_item=lambda d: np.round(d["net"] / d["items"], 2),
    )


@pytest.mark.parametrize("model", ["ctgan", "tvae"])
def test_every_builtin_constraint_holds_for_the_neural_models(model: str) -> None:
    real = _orders()
    meta = sh.Metadata.detect({"orders": real})
    meta.add_constraint("orders", "inequality", low="due_at", high="returned_by", strict=True)
    meta.add_constraint("orders", "fixed_combinations", columns=["city", "country"])
    meta.add_constraint("orders", "sum", parts=["net", "shipping"], total="gross")
    meta.add_constraint("orders", "positive", column="items", strict=True)
    meta.add_constraint("orders", "scalar_range", column="rating", low=1, high=5)
    meta.add_constraint("orders", "range", low="ordered_at", value="shipped_at", high="due_at")
    meta.add_constraint("orders", "one_hot", columns=["cash", "card", "voucher"])
    meta.add_constraint("orders", "formula", column="per_item", expression="net / items")
    meta.add_constraint("orders", "unique", columns=["serial"])
    synth = sh.Synthesizer(meta, model=model, model_params=PARAMS[model], seed=0, progress=False)
    fake = synth.fit({"orders": real}).sample(scale=2)["orders"]
    assert len(fake) == 2 * len(real)
    shipped, due = fake["shipped_at"], fake["due_at"]
    assert (((fake["ordered_at"] <= shipped) & (shipped <= due)) | shipped.isna()).all()
    assert (fake["returned_by"] > fake["due_at"]).all()
    assert (fake[["cash", "card", "voucher"]].sum(axis=1) == 1).all()
    assert np.isclose(fake["per_item"], np.round(fake["net"] / fake["items"], 2)).all()
    assert not fake["serial"].duplicated().any()
    pairs = set(zip(real["city"], real["country"], strict=True))
    assert all(p in pairs for p in zip(fake["city"], fake["country"], strict=True))
    assert np.isclose(fake["gross"], fake["net"] + fake["shipping"], atol=1e-9).all()
    assert (fake["items"] >= 1).all() and fake["rating"].between(1, 5).all()
    assert fake["rating"].round(1).eq(fake["rating"]).all()  # the column's decimals kept
    assert (fake.dtypes == real.dtypes).all()
