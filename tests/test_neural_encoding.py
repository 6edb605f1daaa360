"""Quantile (normal-score) encoding in the neural models (#24): after training, each
quantile-encoded scalar is mapped through the generator's own output distribution onto the
real one, so column shapes match even after a short training; the map is saved and checked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from synthohive.artifacts.memory import MemoryStore, decode_array, encode_array
from synthohive.errors import IncompatibleArtifactError
from synthohive.metadata.schema import Column, Table
from synthohive_tvae.model import TVAEModel

TINY = {"epochs": 3, "batch_size": 200, "compress_dims": (32,), "decompress_dims": (32,)}


def _frame(n: int = 2000) -> tuple[pd.DataFrame, Table]:
    rng = np.random.default_rng(4)
    x = rng.normal(size=n)
    df = pd.DataFrame(
        {
            "income": np.round(np.exp(10 + x + 0.3 * rng.normal(size=n)), 2),
            "age": np.clip(40 + 12 * x + 5 * rng.normal(size=n), 18, 90).round(),
            "tier": np.where(x > 0.5, "gold", "basic"),
        }
    )
    cols = {"income": Column(sdtype="numerical"), "age": Column(sdtype="numerical"),
            "tier": Column(sdtype="categorical")}  # fmt: skip
    return df, Table(name="people", columns=cols)


def test_quantile_columns_keep_their_marginals_after_a_short_training() -> None:
    df, table = _frame()
    fitted = TVAEModel(TINY, device="cpu", seed=0).fit(df, table=table, progress=False)
    raw = TVAEModel({**TINY, "calibrate": False}, device="cpu", seed=0)
    raw.fit(df, table=table, progress=False)
    out, out_raw = fitted.sample(4000, seed=1), raw.sample(4000, seed=1)
    for col in ("income", "age"):
        assert ks_2samp(out[col], df[col]).statistic < 0.05, col
    # without the map the same three epochs leave the shapes off
    assert ks_2samp(out_raw["income"], df["income"]).statistic > 0.05
    assert out["income"].between(df["income"].min(), df["income"].max()).all()


def test_scalar_maps_are_saved_and_checked() -> None:
    df, table = _frame(600)
    model = TVAEModel(TINY, device="cpu", seed=0).fit(df, table=table, progress=False)
    store = MemoryStore()
    model.save(store.writer())
    again = TVAEModel.load(store.reader())
    pd.testing.assert_frame_equal(again.sample(300, seed=5), model.sample(300, seed=5))
    [key] = [k for k in store.members if k.endswith("scalar_maps.npy")]
    maps = decode_array(store.members[key], key)
    store.members[key] = encode_array(maps[:, ::-1].copy(), key)
    with pytest.raises(IncompatibleArtifactError, match="scalar_maps"):
        TVAEModel.load(store.reader())


def test_auto_tries_every_installed_model_and_keeps_the_best() -> None:
    import re

    import synthohive as sh

    df, _ = _frame(500)
    synth = sh.Synthesizer(model="auto", seed=0, progress=False).fit(df)
    text = synth.explain()
    scores = {m: float(v) for m, v in re.findall(r"(\w+) (0\.\d{3})", text)}
    assert set(scores) == {"gaussian_copula", "autoregressive", "tvae", "ctgan"}
    chosen = re.search(r"auto chose '(\w+)'", text)
    assert chosen is not None and scores[chosen.group(1)] == max(scores.values())
    assert len(synth.sample(100)) == 100
