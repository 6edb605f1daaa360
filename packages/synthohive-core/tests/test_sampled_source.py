"""Fitting on a sample of a larger source (#22 item 3): scale 1 generates the source's size.

A connector that reads a bounded sample sets ``attrs["synthohive.source_rows"]`` on each
frame (the full row count); the synthesizer learns from the sample and generates root tables
at the full count, children following their learned counts per parent.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from synthohive.metadata.schema import Metadata
from synthohive.privacy import DPConfig, PrivacyConfig
from synthohive.synthesizer import Synthesizer
from synthohive.synthesizer.plan import SOURCE_ROWS
from synthohive.testing.data import customers_orders
from synthohive.validation.stats import ks_statistic


def _meta(tables: dict[str, pd.DataFrame]) -> Metadata:
    meta = Metadata.detect(tables)
    assert [(r.parent, r.child) for r in meta.relations] == [("customers", "orders")]
    return meta


def _subtree_sample(full: dict[str, pd.DataFrame], share: float) -> dict[str, pd.DataFrame]:
    """What a bounded connector reads: a share of customers with all their orders."""
    kept = full["customers"].sample(frac=share, random_state=1)
    orders = full["orders"][full["orders"]["customer_id"].isin(kept["customer_id"])]
    out = {"customers": kept.reset_index(drop=True), "orders": orders.reset_index(drop=True)}
    for name, frame in out.items():
        frame.attrs[SOURCE_ROWS] = len(full[name])
    return out


def test_scale_one_generates_the_source_size_from_a_sample(tmp_path: Path) -> None:
    full = customers_orders()
    sample = _subtree_sample(full, 0.1)
    synth = Synthesizer(_meta(full), seed=0, progress=False).fit(sample)
    assert "6000 rows, learned from a sample of 600" in synth.explain()
    out = synth.sample(scale=1.0, seed=1)
    assert len(out["customers"]) == len(full["customers"])
    assert abs(len(out["orders"]) / len(full["orders"]) - 1) < 0.08
    per_real = (
        full["orders"]
        .groupby("customer_id")
        .size()
        .reindex(full["customers"]["customer_id"], fill_value=0)
    )
    per_fake = (
        out["orders"]
        .groupby("customer_id")
        .size()
        .reindex(out["customers"]["customer_id"], fill_value=0)
    )
    assert ks_statistic(per_real.to_numpy(float), per_fake.to_numpy(float)) < 0.06
    synth.save(tmp_path / "m.shm")
    cold = Synthesizer.load(tmp_path / "m.shm")
    assert len(cold.sample(scale=0.5, seed=2)["customers"]) == 3000


def test_a_whole_source_and_dp_keep_the_rows_learned() -> None:
    full = customers_orders(800)
    plain = dict(full)  # no attrs: the rows are the whole table
    synth = Synthesizer(_meta(full), seed=0, progress=False).fit(plain)
    assert len(synth.sample(scale=1.0, seed=0)["customers"]) == 800
    sample = _subtree_sample(full, 0.5)
    dp = PrivacyConfig(dp=DPConfig(epsilon=3.0))
    private = Synthesizer(_meta(full), seed=0, progress=False, privacy=dp).fit(sample)
    n = len(private.sample(scale=1.0, seed=0)["customers"])
    assert abs(n - 400) < 60  # the noisy size of the sample, not the exact size of the source
