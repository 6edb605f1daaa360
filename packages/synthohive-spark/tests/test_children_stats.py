"""Exact children-per-parent distributions of sampled related reads (#22 item 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from synthohive.metadata.schema import Metadata
from synthohive.synthesizer import Synthesizer
from synthohive.synthesizer.source_stats import CHILDREN, SOURCE_STATS

PARENTS = 4000
TVD_BOUND = 0.03


def _tables() -> dict[str, pd.DataFrame]:
    """Customers with a heavy-tailed number of orders: 45 % none, 5 % with 20-60."""
    rng = np.random.default_rng(3)
    kind = rng.choice(4, size=PARENTS, p=[0.45, 0.35, 0.15, 0.05])
    n = np.select(
        [kind == 0, kind == 1, kind == 2],
        [0, rng.integers(1, 4, PARENTS), rng.integers(5, 12, PARENTS)],
        rng.integers(20, 61, PARENTS),
    )
    region = np.where(kind >= 2, "north", rng.choice(["south", "east"], PARENTS))
    customers = pd.DataFrame({"customer_id": np.arange(PARENTS), "region": region})
    owner = np.repeat(np.arange(PARENTS), n)
    orders = pd.DataFrame(
        {
            "order_id": np.arange(len(owner)),
            "customer_id": owner,
            "amount": rng.lognormal(3.0, 0.5, len(owner)).round(2),
        }
    )
    return {"customers": customers, "orders": orders}


def _meta() -> Metadata:
    meta = Metadata.detect(_tables())
    assert [(fk.child, fk.parent) for fk in meta.relations] == [("orders", "customers")]
    return meta


def _histogram(parents: pd.DataFrame, children: pd.DataFrame) -> pd.Series:
    per = children.groupby("customer_id").size()
    per = per.reindex(parents["customer_id"], fill_value=0)
    return per.value_counts(normalize=True)


def _tvd(a: pd.Series, b: pd.Series) -> float:
    return 0.5 * float(a.sub(b, fill_value=0.0).abs().sum())


@pytest.mark.spark
def test_children_per_parent_follow_the_full_tables_not_the_sample(
    spark: Any, folder: Path
) -> None:
    from synthohive_spark import SparkConnector

    full = _tables()
    meta = _meta()
    truth = _histogram(full["customers"], full["orders"])
    conn = SparkConnector(f"spark+parquet://{folder}", session=spark, max_rows=1500, metadata=meta)
    for name, frame in full.items():
        conn.write(name, frame)
    read = conn.read_all()
    assert len(read["customers"]) < 0.2 * PARENTS  # parent subtrees: a small sample
    stats = read["orders"].attrs[SOURCE_STATS]["customer_id"][CHILDREN]
    assert stats["parent"] == "customers" and stats["child_columns"] == ["customer_id"]
    hist = pd.Series({k: n for k, n in stats["histogram"]})
    assert hist.sum() == PARENTS  # exact, zero-child parents included
    assert (hist / PARENTS).sub(truth, fill_value=0).abs().max() < 1e-12
    sample_tvd = _tvd(_histogram(read["customers"], read["orders"]), truth)

    synth = Synthesizer(meta, seed=0, progress=False).fit(conn)
    assert synth.fitted_ is not None
    assert synth.fitted_.plans["customers"].count_hist  # kept in the model file
    out = synth.sample(scale=1.0, seed=1)
    exact_tvd = _tvd(_histogram(out["customers"], out["orders"]), truth)
    assert len(out["customers"]) == PARENTS
    per = out["orders"].groupby("customer_id").size()
    per = per.reindex(out["customers"]["customer_id"], fill_value=0).to_numpy()
    north = out["customers"]["region"].to_numpy() == "north"
    assert per[north].mean() > 3 * per[~north].mean()  # ranks kept: the model's dependence
    assert abs(len(out["orders"]) / len(full["orders"]) - 1) < 0.02

    plain = SparkConnector(
        f"spark+parquet://{folder}",
        session=spark,
        max_rows=1500,
        metadata=meta,
        source_stats=False,
    )
    base = Synthesizer(meta, seed=0, progress=False).fit(plain).sample(scale=1.0, seed=1)
    base_tvd = _tvd(_histogram(base["customers"], base["orders"]), truth)
    print(f"TVD sample {sample_tvd:.4f} exact {exact_tvd:.4f} baseline {base_tvd:.4f}")
    assert exact_tvd <= TVD_BOUND
    assert base_tvd > 2 * exact_tvd and base_tvd > TVD_BOUND


@pytest.mark.spark
def test_a_stratified_root_keeps_its_subtrees(spark: Any, folder: Path) -> None:
    """``stratify`` on a root table of a subtree sample: every value keeps its rows, and every
    kept parent all its children; a table with a parent cannot be stratified."""
    from synthohive.errors import ConnectorError
    from synthohive_spark import SparkConnector

    full = _tables()
    vip = np.zeros(PARENTS, dtype=bool)
    vip[np.random.default_rng(4).choice(PARENTS, 30, replace=False)] = True
    full["customers"]["tier"] = np.where(vip, "vip", "basic")
    meta = Metadata.detect(full)
    url = f"spark+parquet://{folder}"
    conn = SparkConnector(
        url,
        session=spark,
        max_rows=1500,
        metadata=meta,
        stratify={"customers": "tier"},
        stratum_rows=20,
    )
    for name, frame in full.items():
        conn.write(name, frame)
    read = conn.read_all()
    kept = read["customers"]
    assert (kept["tier"] == "vip").sum() >= 20  # a uniform 8 % share would keep about 2
    assert len(kept) < 0.2 * PARENTS
    per_read = read["orders"].groupby("customer_id").size()
    per_full = full["orders"].groupby("customer_id").size()
    assert set(read["orders"]["customer_id"]) <= set(kept["customer_id"])
    assert (per_read == per_full.reindex(per_read.index)).all()  # every child of a kept parent
    assert set(per_full.index[per_full.index.isin(kept["customer_id"])]) == set(per_read.index)
    assert kept.attrs[SOURCE_STATS]["tier"] == {"counts": {"basic": PARENTS - 30, "vip": 30}}

    child = SparkConnector(
        url, session=spark, max_rows=1500, metadata=meta, stratify={"orders": "amount"}
    )
    with pytest.raises(ConnectorError, match="parent tables") as info:
        child.read_all()
    assert info.value.table == "orders"
