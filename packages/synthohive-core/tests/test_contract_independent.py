"""The built-in ``independent`` model (small-table strategy) passes the conformance kit."""

from __future__ import annotations

import pandas as pd

from synthohive.metadata.schema import Column, Table
from synthohive.models.independent import IndependentModel
from synthohive.testing import ModelContract, Requirements


class TestIndependentContract(ModelContract):
    model_class = IndependentModel
    requirements = Requirements(null_rows=2000)


def test_columns_are_independent() -> None:
    """Two perfectly dependent columns come back unrelated (it is the model's definition)."""
    x = pd.Series(range(400), dtype="float64")
    frame = pd.DataFrame({"x": x, "y": 2.0 * x})
    table = Table(name="t", columns={c: Column(sdtype="numerical") for c in frame})
    out = IndependentModel(seed=0).fit(frame, table=table).sample(4000, seed=1)
    assert abs(out["x"].corr(out["y"])) < 0.1
    assert out["y"].between(0, 798).all()
