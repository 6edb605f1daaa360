"""The example plugin passes SynthoHive's conformance kit, plus checks of its own.

Run with the plugin installed (``pip install ./examples/synthohive-example-plugin``); the
repository's ``tests/test_example_plugin.py`` installs it into a temporary folder and runs this
file in a fresh process.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthohive.errors import ArtifactIntegrityError, ResourceLimitError
from synthohive.models.base import GenerativeModel
from synthohive.testing import ModelContract, Requirements
from synthohive.testing.data import table_for

plugin = pytest.importorskip(
    "synthohive_example_plugin.model",
    reason="install the example plugin first: pip install ./examples/synthohive-example-plugin",
)
IndependentModel = plugin.IndependentModel


class TestIndependentContract(ModelContract):
    model_class = IndependentModel
    requirements = Requirements(supports_context=False, supports_conditions=False)


def _fit(data: pd.DataFrame) -> GenerativeModel:
    model = IndependentModel(seed=0)
    model.fit(data, table=table_for(data), progress=False)
    return model


def test_marginals_are_kept() -> None:
    rng = np.random.default_rng(0)
    n = 5_000
    data = pd.DataFrame(
        {
            "amount": rng.gamma(2.0, 50.0, n).round(2),
            "tier": pd.Series(
                rng.choice(["gold", "silver", "bronze"], n, p=[0.1, 0.3, 0.6]), dtype="str"
            ),
        }
    )
    out = _fit(data).sample(n, seed=1)
    assert abs(out["amount"].mean() - data["amount"].mean()) < 0.05 * data["amount"].mean()
    assert abs(out["amount"].quantile(0.9) - data["amount"].quantile(0.9)) < 0.1 * data[
        "amount"
    ].quantile(0.9)
    share = out["tier"].value_counts(normalize=True)
    assert abs(share["bronze"] - 0.6) < 0.03 and abs(share["gold"] - 0.1) < 0.02
    assert out["amount"].between(data["amount"].min(), data["amount"].max()).all()


def test_unique_text_column_is_refused_not_replayed() -> None:
    data = pd.DataFrame(
        {"email": [f"user{i}@example.com" for i in range(100)], "x": np.arange(100.0)}
    )
    with pytest.raises(ResourceLimitError, match="would replay real values") as info:
        _fit(data)
    assert info.value.column == "email"


def test_tampered_state_is_rejected() -> None:
    from synthohive.artifacts.memory import MemoryStore

    data = pd.DataFrame({"x": np.random.default_rng(1).normal(size=200), "k": ["a", "b"] * 100})
    store = MemoryStore()
    _fit(data).save(store.writer())
    key = next(k for k in store.members if k.endswith("columns.json"))
    store.members[key] = store.members[key].replace(b'"null_rate": 0.0', b'"null_rate": 7.0', 1)
    with pytest.raises(ArtifactIntegrityError, match="null_rate"):
        IndependentModel.load(store.reader())
