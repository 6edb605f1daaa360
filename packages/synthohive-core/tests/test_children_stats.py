"""Exact children-per-parent histograms of a sampled source (#22 item 3)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from synthohive.metadata.schema import Metadata
from synthohive.synthesizer import Synthesizer
from synthohive.synthesizer.plan import SOURCE_ROWS
from synthohive.synthesizer.source_stats import CHILDREN, SOURCE_STATS, match_histogram

FULL = [[0, 600], [1, 900], [2, 300], [40, 200]]  # 2,000 parents, 9,500 children


def _sample(stats: bool) -> dict[str, pd.DataFrame]:
    """200 parents of which only 2 have 40 children (the full tables: 10 %)."""
    n = np.array([0] * 80 + [1] * 90 + [2] * 28 + [40] * 2)
    parents = pd.DataFrame({"pid": np.arange(200), "size": np.where(n >= 40, "big", "small")})
    children = pd.DataFrame({"cid": np.arange(n.sum()), "pid": np.repeat(np.arange(200), n)})
    parents.attrs[SOURCE_ROWS] = 2000
    children.attrs[SOURCE_ROWS] = 9500
    if stats:
        children.attrs[SOURCE_STATS] = {
            "pid": {
                CHILDREN: {
                    "parent": "p",
                    "parent_columns": ["pid"],
                    "child_columns": ["pid"],
                    "histogram": FULL,
                }
            }
        }
    return {"p": parents, "c": children}


def _meta() -> Metadata:
    meta = Metadata.detect(_sample(False))
    assert [(fk.child, fk.parent) for fk in meta.relations] == [("c", "p")]
    return meta


def _shares(out: dict[str, pd.DataFrame]) -> pd.Series:
    per = out["c"].groupby("pid").size().reindex(out["p"]["pid"], fill_value=0)
    return per.value_counts(normalize=True)


def test_generated_children_per_parent_follow_the_full_histogram(tmp_path: Path) -> None:
    truth = pd.Series({k: n / 2000 for k, n in FULL})
    synth = Synthesizer(_meta(), seed=0, progress=False).fit(_sample(True))
    path = tmp_path / "m.shm"
    synth.save(path)
    loaded = Synthesizer.load(path)
    assert loaded.fitted_ is not None and loaded.fitted_.plans["p"].count_hist == {0: FULL}
    out = loaded.sample(scale=1.0, seed=1)
    tvd = 0.5 * _shares(out).sub(truth, fill_value=0).abs().sum()
    assert tvd <= 0.03
    assert abs(len(out["c"]) / 9500 - 1) < 0.02

    base = Synthesizer(_meta(), seed=0, progress=False).fit(_sample(False))
    assert base.fitted_ is not None and not base.fitted_.plans["p"].count_hist
    out = base.sample(scale=1.0, seed=1)
    assert 0.5 * _shares(out).sub(truth, fill_value=0).abs().sum() > 0.05


def test_match_histogram_keeps_the_order_of_the_sampled_counts() -> None:
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 50, 1000)
    out = match_histogram(counts, FULL, rng)
    assert np.bincount(out).tolist()[:3] == [300, 450, 150] and (out == 40).sum() == 100
    by = pd.Series(out).groupby(counts)
    assert (by.max().to_numpy()[:-1] <= by.min().to_numpy()[1:]).all()  # more stays more
