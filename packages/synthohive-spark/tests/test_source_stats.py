"""Exact full-table statistics and stratified samples of bounded reads (#22 item 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from synthohive.errors import ConnectorError
from synthohive.metadata.schema import Metadata
from synthohive.synthesizer import Synthesizer
from synthohive.synthesizer.source_stats import SOURCE_STATS, TAIL_GRID
from synthohive_spark.stats import stratum_fractions

N = 20_000
TIERS = {"basic": N - 640, "gold": 600, "vip": 40}  # vip: 0.2 %, above k=5


def _accounts() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    tier = rng.permutation(np.repeat(list(TIERS), list(TIERS.values())))
    amount = rng.lognormal(3.0, 0.8, N) + np.where(tier == "gold", 50.0, 0.0)
    return pd.DataFrame({"account_id": np.arange(N), "tier": tier, "amount": amount.round(2)})


def _connector(spark: Any, folder: Path, **kwargs: Any) -> Any:
    from synthohive_spark import SparkConnector

    conn = SparkConnector(f"spark+parquet://{folder}", session=spark, max_rows=500, **kwargs)
    if not conn.exists("accounts"):
        conn.write("accounts", _accounts())
    return conn


def _meta() -> Metadata:
    meta = Metadata.detect(_accounts(), table_name="accounts")
    assert meta.tables["accounts"].columns["tier"].sdtype == "categorical"
    return meta


@pytest.mark.spark
def test_a_uniform_sample_keeps_the_full_shares_and_range(spark: Any, folder: Path) -> None:
    full = _accounts()
    conn = _connector(spark, folder)
    read = conn.read("accounts")
    assert len(read) <= 500 and (read["tier"] == "vip").sum() < 5  # missed, or under k
    stats = read.attrs[SOURCE_STATS]
    assert stats["tier"] == {"counts": TIERS}  # exact, from the whole table
    amount = stats.pop("amount")
    assert amount.pop("min") == full["amount"].min() and amount.pop("max") == full["amount"].max()
    probs = [1 - p for p in reversed(TAIL_GRID)] + list(TAIL_GRID)
    exact = np.quantile(full["amount"], probs, method="inverted_cdf")
    got = np.array(amount["low"] + amount["high"])
    ordered, tol = np.sort(full["amount"]), 1 / 2_000_000 + 1 / N  # stats.TAIL_ACCURACY in a tail
    below = np.searchsorted(ordered, got, side="left") / N  # ties: a range of ranks
    assert (below - tol <= probs).all()
    assert (np.searchsorted(ordered, got, side="right") / N + tol >= probs).all()
    assert np.abs(got - exact).max() < 0.05 * (full["amount"].max() - exact[0])
    assert stats["account_id"]["min"] == 0 and stats["account_id"]["max"] == N - 1

    out = Synthesizer(_meta(), seed=0, progress=False).fit(conn).sample(scale=1.0, seed=1)
    fake = out["accounts"]
    assert len(fake) == N
    vip = int((fake["tier"] == "vip").sum())
    assert 15 <= vip <= 80  # true share 0.2 %: 40 of 20 000
    assert abs((fake["tier"] == "gold").mean() - 0.03) < 0.01
    span = full["amount"].max() - full["amount"].min()
    assert fake["amount"].min() - full["amount"].min() < 0.02 * span
    assert full["amount"].max() - fake["amount"].max() < 0.05 * span  # the full tail quantiles
    assert fake["amount"].between(full["amount"].min(), full["amount"].max()).all()

    plain = _connector(spark, folder, source_stats=False)
    assert SOURCE_STATS not in plain.read("accounts").attrs
    before = Synthesizer(_meta(), seed=0, progress=False).fit(plain).sample(scale=1.0, seed=1)
    assert "vip" not in set(before["accounts"]["tier"])  # what the stats fix


@pytest.mark.spark
def test_a_stratified_sample_holds_every_category_and_learns_the_true_shares(
    spark: Any, folder: Path
) -> None:
    conn = _connector(spark, folder, stratify={"accounts": "tier"}, stratum_rows=50)
    read = conn.read("accounts")
    assert len(read) <= 500
    assert (read["tier"] == "vip").sum() == 40  # the whole stratum: fewer than stratum_rows
    assert (read["tier"] == "gold").sum() >= 40
    assert conn.read("accounts")["account_id"].tolist() == read["account_id"].tolist()  # seeded
    fake = Synthesizer(_meta(), seed=0, progress=False).fit(conn).sample(scale=1.0, seed=1)
    shares = fake["accounts"]["tier"].value_counts(normalize=True)
    assert abs(shares["vip"] - 0.002) < 0.0015  # 8 % of the sample, 0.2 % of the data
    assert abs(shares["gold"] - 0.03) < 0.01

    wrong = _connector(spark, folder, stratify={"accounts": "nope"})
    with pytest.raises(ConnectorError, match="nope") as info:
        wrong.read("accounts")
    assert info.value.table == "accounts" and info.value.column == "nope"


def test_stratum_fractions_keep_every_stratum_within_the_budget() -> None:
    counts = {"a": 10_000, "b": 300, "c": 20}
    fractions = stratum_fractions(counts, 1000, 100)
    expected = {k: fractions[k] * n for k, n in counts.items()}
    assert expected["c"] == 20 and expected["b"] >= 100
    assert sum(expected.values()) == pytest.approx(1000)
    tight = stratum_fractions(counts, 100, 100)  # cannot give each stratum 100 rows
    assert sum(tight[k] * n for k, n in counts.items()) == pytest.approx(100)


@pytest.mark.spark
def test_tail_quantiles_hold_their_rank_when_the_edges_come_from_a_small_sample(
    spark: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The edges are sketched on a sample; the tails are counted exactly, so the quantiles keep
    their rank however rough the edges are, and an edge past the grid keeps no tails at all."""
    from synthohive_spark import stats

    rng = np.random.default_rng(3)
    heavy = np.round(rng.pareto(1.5, N) * 10, 3)  # heavy tail, ties from the rounding
    sdf = spark.createDataFrame(pd.DataFrame({"x": heavy, "k": rng.integers(0, 4, N)}))
    monkeypatch.setattr(stats, "EDGE_SAMPLE", 2_000)  # a 10 % sample sets the edges
    got = stats.full_stats(sdf)
    probs = [1 - p for p in reversed(TAIL_GRID)] + list(TAIL_GRID)
    values = np.array(got["x"]["low"] + got["x"]["high"])
    ordered = np.sort(heavy)
    tol = 1 / 2_000_000 + 1 / N
    assert (np.searchsorted(ordered, values, side="left") / N - tol <= probs).all()
    assert (np.searchsorted(ordered, values, side="right") / N + tol >= probs).all()
    assert got["k"]["min"] == 0 and got["k"]["max"] == 3  # 4 values: 25 % ties at each edge
    assert len(got["k"]["high"]) == len(TAIL_GRID)

    monkeypatch.setattr(stats, "EDGE", 0.999)  # the tail would miss the grid's 0.99 .. 0.998
    past = stats.full_stats(sdf)
    assert past["x"]["max"] == heavy.max() and "high" not in past["x"]
