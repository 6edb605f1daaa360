"""Full-data statistics of a sampled source (#22 item 3): generation keeps the full marginals.

A connector that reads a bounded sample sets ``attrs["synthohive.source_stats"]`` next to
``attrs["synthohive.source_rows"]``: exact category counts and min/max of the full table.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthohive.metadata.schema import Metadata
from synthohive.privacy import DPConfig, PrivacyConfig
from synthohive.synthesizer import Synthesizer
from synthohive.synthesizer.plan import SOURCE_ROWS
from synthohive.synthesizer.plan_doc import SourceStatDoc
from synthohive.synthesizer.source_stats import SOURCE_STATS
from synthohive.testing.data import frame_digest

SHARES = {"basic": 0.88, "gold": 0.0995, "vip": 0.02, "solo": 0.0005}  # solo: 3 rows < k


def _full(n: int = 6000) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    tier = rng.choice(list(SHARES), size=n, p=list(SHARES.values()))
    amount = rng.gamma(2.0, 50.0, size=n) + np.where(tier == "gold", 100.0, 0.0)
    day = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), unit="D")
    return pd.DataFrame({"tier": tier, "amount": amount.round(2), "day": day})


def _sample(full: pd.DataFrame, *, stats: bool = True) -> pd.DataFrame:
    """What a bounded read hands over: 500 rows missing ``vip`` and the extremes."""
    keep = full[(full["tier"] != "vip") & full["amount"].between(5, 300)]
    out = keep.sample(500, random_state=1).reset_index(drop=True)
    out.attrs[SOURCE_ROWS] = len(full)
    if stats:
        out.attrs[SOURCE_STATS] = {
            "tier": {"counts": full["tier"].value_counts().to_dict()},
            "amount": {"min": full["amount"].min(), "max": full["amount"].max()},
            "day": {"min": full["day"].min(), "max": full["day"].max()},
        }
    return out


def _meta(frame: pd.DataFrame) -> Metadata:
    meta = Metadata.detect(frame, table_name="t")
    assert meta.tables["t"].columns["tier"].sdtype == "categorical"
    return meta


def test_generation_follows_the_full_category_shares_and_range(tmp_path: Path) -> None:
    full = _full()
    sample = _sample(full)
    synth = Synthesizer(_meta(full), seed=0, progress=False).fit(sample)
    out = synth.sample(scale=1.0, seed=1)["t"]
    assert len(out) == len(full)
    shares = out["tier"].value_counts(normalize=True)
    assert abs(shares.get("vip", 0.0) - 0.02) < 0.008  # absent from the sample
    assert abs(shares["gold"] - SHARES["gold"]) < 0.02
    assert "solo" not in shares  # 3 rows in the full data: under k, never added back
    span = full["amount"].max() - full["amount"].min()
    assert out["amount"].min() - full["amount"].min() < 0.05 * span
    assert full["amount"].max() - out["amount"].max() < 0.15 * span
    assert (
        out["amount"].min() >= full["amount"].min() and out["amount"].max() <= full["amount"].max()
    )
    assert out["day"].min() >= full["day"].min() and out["day"].max() <= full["day"].max()
    synth.save(tmp_path / "m.shm")
    cold = Synthesizer.load(tmp_path / "m.shm")
    assert cold.fitted_.plans["t"].source_stats == synth.fitted_.plans["t"].source_stats
    assert frame_digest(cold.sample(scale=1.0, seed=1)["t"]) == frame_digest(out)


def test_without_stats_the_model_file_has_no_source_stats(tmp_path: Path) -> None:
    full = _full(2000)
    plain = Synthesizer(_meta(full), seed=0, progress=False).fit(_sample(full, stats=False))
    plain.save(tmp_path / "m.shm")
    with zipfile.ZipFile(tmp_path / "m.shm") as z:
        assert "source_stats" not in z.read("synthesizer.json").decode()
    assert "vip" not in set(plain.sample(scale=1.0, seed=1)["t"]["tier"])


def test_dp_ignores_the_exact_statistics() -> None:
    full = _full(3000)
    dp = PrivacyConfig(dp=DPConfig(epsilon=3.0))
    private = Synthesizer(_meta(full), seed=0, progress=False, privacy=dp).fit(_sample(full))
    assert private.fitted_.plans["t"].source_stats == {}


def test_a_stored_statistic_is_checked() -> None:
    with pytest.raises(ValueError, match="increasing"):
        SourceStatDoc.model_validate({"kind": "numerical", "bounds": [3.0, 1, 2, 4, 5, 6]})
    with pytest.raises(ValueError, match="low and high"):
        SourceStatDoc.model_validate({"kind": "numerical", "bounds": [1.0] * 6, "low": [1.0]})
    with pytest.raises(ValueError, match="one per grid point"):
        SourceStatDoc.model_validate(
            {"kind": "numerical", "bounds": [1.0] * 6, "low": [1.0], "high": [1.0]}
        )
    with pytest.raises(ValueError, match="shares"):
        SourceStatDoc.model_validate(json.loads('{"kind": "category", "bounds": [1,2,3,4,5,6]}'))


def test_the_correction_keeps_dtypes_nulls_and_the_rows_it_need_not_move() -> None:
    from synthohive.synthesizer.plan import TablePlan
    from synthohive.synthesizer.source_stats import apply_source_stats

    plan = TablePlan("t", ["c", "n"], ["str", "str"], {"c": "category", "n": "Int64"})
    plan.source_stats = {
        "c": {"kind": "category", "shares": {"a": 0.5, "b": 0.25, "new": 0.25}},
        "n": {"kind": "numerical", "bounds": [-100.0, 0.0, 1.0, 9.0, 10.0, 10.0]},
    }
    frame = pd.DataFrame(
        {
            "c": pd.Categorical(["a"] * 600 + ["b"] * 390 + [None] * 10),
            "n": pd.array([0, 1, 5, 10, None] * 200, dtype="Int64"),
        }
    )
    apply_source_stats(plan, frame, np.random.default_rng(0))
    assert isinstance(frame["c"].dtype, pd.CategoricalDtype) and frame["c"].isna().sum() == 10
    assert abs((frame["c"] == "new").sum() - 248) < 50
    assert str(frame["n"].dtype) == "Int64" and frame["n"].isna().sum() == 200
    assert set(frame["n"].dropna()) == {-100, 1, 5, 10}  # the low tail stretched, the top kept


def test_tail_quantiles_bring_the_generated_extremes_to_the_full_min_and_max() -> None:
    """With the full tail quantiles, scale 1 reaches the full data's extremes; KS stays low."""
    from synthohive.synthesizer.source_stats import TAIL_GRID
    from synthohive.validation.stats import ks_statistic

    n = 100_000
    rng = np.random.default_rng(5)
    full = pd.DataFrame(
        {"amount": rng.lognormal(3.0, 0.9, n).round(2), "k": rng.integers(0, 5, n).astype(str)}
    )
    meta = Metadata.detect(full, table_name="t")
    probs = [1 - p for p in reversed(TAIL_GRID)] + list(TAIL_GRID)
    quantiles = np.quantile(full["amount"], probs).tolist()
    tops = np.sort(full["amount"].to_numpy())
    result = {}
    for tails in (True, False):
        sample = full.sample(10_000, random_state=2).reset_index(drop=True)
        sample.attrs[SOURCE_ROWS] = n
        stats = {"min": tops[0], "max": tops[-1]}
        if tails:
            stats |= {"low": quantiles[: len(TAIL_GRID)], "high": quantiles[len(TAIL_GRID) :]}
        sample.attrs[SOURCE_STATS] = {"amount": stats}
        synth = Synthesizer(meta, seed=0, progress=False).fit(sample)
        out = synth.sample(scale=1.0, seed=1)["t"]["amount"]
        result[tails] = (out.max(), out.min(), ks_statistic(full["amount"], out))
    high, low, ks = result[True]
    assert high >= tops[-10] and low <= tops[9]  # among the 10 most extreme full values
    assert ks <= 0.02
    assert tops[-1] - result[False][0] > 3 * (tops[-1] - high)  # the linear stretch: short
