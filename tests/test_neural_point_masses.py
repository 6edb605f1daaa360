"""Point masses survive the neural models (#26): a float column with four values and a spend
column with a 41% spike at zero come back with exact values and shares, not smeared."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import synthohive as sh

PARAMS = {
    "ctgan": {"epochs": 3, "batch_size": 200, "pac": 10, "eval_every": 1},
    "tvae": {"epochs": 3, "batch_size": 200, "eval_every": 1},
}


def _frame(n: int = 2000) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    x = rng.normal(size=n)
    return pd.DataFrame(
        {
            "rate": rng.choice([0.0, 1.5, 2.0, 7.25], n, p=[0.41, 0.3, 0.2, 0.09]),
            "spend": np.where(rng.random(n) < 0.41, 0.0, np.round(rng.lognormal(3, 1, n), 2)),
            "x": x,
            "segment": np.where(x > 0, "high", "low"),
        }
    )


@pytest.mark.parametrize("model", ["ctgan", "tvae"])
def test_point_masses_come_back_exact(model: str) -> None:
    real = _frame()
    synth = sh.Synthesizer(model=model, seed=0, model_params=PARAMS[model], progress=False)
    fake = synth.fit(real).sample(4000)
    assert set(fake["rate"].unique()) <= {0.0, 1.5, 2.0, 7.25}
    for value, share in [(0.0, 0.41), (1.5, 0.3), (2.0, 0.2), (7.25, 0.09)]:
        assert abs((fake["rate"] == value).mean() - share) < 0.06, value
    assert abs((fake["spend"] == 0.0).mean() - (real["spend"] == 0.0).mean()) < 0.06
    smallest = real["spend"][real["spend"] > 0].min()
    assert ((fake["spend"] > 0) & (fake["spend"] < smallest)).mean() < 0.02
    assert fake["rate"].nunique() <= 4 and fake["spend"].round(2).eq(fake["spend"]).all()
