"""Relational synthesis on the retail schema and on a deeper schema (8 and 11 tables, 6 levels,
composite-key bridge, composite FK, self-reference, nullable FK, two-parent table): keys,
referential integrity, cardinalities, parent/child dependence, seeds and row control."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from synthohive.errors import DataError
from synthohive.synthesizer import Synthesizer
from synthohive.synthesizer.cardinality import children_per_parent
from synthohive.testing.schemas import (
    RecordingConnector,
    chunk_integrity_problems,
    deep_schema,
    integrity_problems,
    retail_schema,
)


def _cpp(tables: dict[str, pd.DataFrame], fk: object) -> np.ndarray:
    return children_per_parent(
        tables[fk.parent],  # type: ignore[attr-defined]
        fk.parent_columns,  # type: ignore[attr-defined]
        tables[fk.child],  # type: ignore[attr-defined]
        fk.child_columns,  # type: ignore[attr-defined]
    )


@pytest.fixture(scope="module")
def retail() -> tuple[object, dict[str, pd.DataFrame], Synthesizer, dict[str, pd.DataFrame]]:
    meta, data = retail_schema(seed=0)
    synth = Synthesizer(meta, seed=11, progress=False).fit(data)
    return meta, data, synth, synth.sample()


@pytest.fixture(scope="module")
def deep() -> tuple[object, dict[str, pd.DataFrame], Synthesizer, RecordingConnector]:
    meta, data = deep_schema(seed=0, size=4)
    synth = Synthesizer(meta, seed=5, progress=False).fit(data)
    sink = RecordingConnector()
    synth.sample(sink=sink, chunk_rows=150)
    return meta, data, synth, sink


def test_retail_keys_and_integrity(retail: tuple) -> None:
    meta, data, _, out = retail
    assert integrity_problems(meta, out) == []
    for name, frame in out.items():
        assert list(frame.columns) == list(data[name].columns)
        assert frame.dtypes.to_dict() == data[name].dtypes.to_dict(), name
    # keys in the source's style
    assert out["orders"]["order_id"].str.fullmatch(r"INV-\d{6}").all()
    assert out["customers"]["customer_id"].is_unique
    assert out["products"]["product_id"].str.fullmatch(r"P-\d{4}").all()
    assert out["order_items"]["item_id"].is_unique
    # PII never copied
    assert not set(out["customers"]["email"]) & set(data["customers"]["email"])
    assert not set(out["customers"]["name"]) & set(data["customers"]["name"])


def test_retail_children_per_parent_ks(retail: tuple) -> None:
    meta, data, _, out = retail
    for fk in meta.relations:
        stat = ks_2samp(_cpp(data, fk), _cpp(out, fk), method="asymp").statistic
        assert stat <= 0.1, (fk.child, fk.parent, stat)
    zero_real = (_cpp(data, meta.relations[0]) == 0).mean()
    zero_syn = (_cpp(out, meta.relations[0]) == 0).mean()
    assert zero_real > 0.02 and abs(zero_real - zero_syn) < 0.05  # zero-child parents kept


def test_retail_parent_attribute_drives_child_count(retail: tuple) -> None:
    meta, data, _, out = retail
    fk = meta.relations[0]  # orders -> customers
    real = np.corrcoef(np.log(data["customers"]["credit_limit"]), _cpp(data, fk))[0, 1]
    syn = np.corrcoef(np.log(out["customers"]["credit_limit"]), _cpp(out, fk))[0, 1]
    assert real > 0.3
    assert syn > 0 and abs(real - syn) < 0.2, (real, syn)


def test_retail_child_attribute_conditional_on_parent(retail: tuple) -> None:
    _, data, _, out = retail

    def by_segment(t: dict[str, pd.DataFrame], table: str, column: str) -> Any:
        j = t["orders"].merge(t["customers"][["customer_id", "segment"]], on="customer_id")
        if table == "order_items":
            j = t["order_items"].merge(j[["order_id", "segment"]], on="order_id")
        return j.groupby("segment")[column]

    def gap(t: dict[str, pd.DataFrame]) -> float:  # share of discounted orders
        discount = by_segment(t, "orders", "discount")
        share = discount.count() / discount.size()
        return float(share["enterprise"] - share["consumer"])

    real, syn = gap(data), gap(out)
    assert real > 0.3
    assert abs(syn - real) < 0.25 * real, (real, syn)
    # and down to the grandchild: an unconditioned table would have no gap at all
    quantity = by_segment(out, "order_items", "quantity").mean()
    assert quantity["enterprise"] > quantity["consumer"] + 0.3


def test_retail_deterministic_and_rows(retail: tuple) -> None:
    meta, data, synth, _ = retail
    a = synth.sample(seed=3, scale=0.3)
    b = synth.sample(seed=3, scale=0.3)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    c = synth.sample(seed=4, scale=0.3)
    assert not a["orders"].equals(c["orders"])
    out = synth.sample(rows={"customers": 500}, seed=1)
    assert len(out["customers"]) == 500
    assert len(out["products"]) == len(data["products"])
    ratio = len(out["orders"]) / 500
    assert ratio == pytest.approx(len(data["orders"]) / len(data["customers"]), rel=0.02)
    assert integrity_problems(meta, out) == []
    half = synth.sample(scale=0.5, seed=2)
    assert len(half["customers"]) == len(data["customers"]) // 2


def test_deep_schema_integrity_in_every_chunk(deep: tuple) -> None:
    meta, data, _, sink = deep
    assert sink.committed
    names = [t for t, _ in sink.appends]
    assert names.count("orders") > 1  # really streamed in several chunks
    assert chunk_integrity_problems(meta, sink.appends) == []
    out = {t: sink.read(t) for t in meta.tables}
    assert integrity_problems(meta, out) == []
    for name, frame in out.items():
        assert frame.dtypes.to_dict() == data[name].dtypes.to_dict(), name
    assert out["stores"]["store_id"].str.fullmatch(r"ST-\d{4}").all()
    assert out["customers"]["customer_id"].str.fullmatch(r"[0-9a-f-]{36}").all()
    assert out["shipments"]["shipment_id"].str.fullmatch(r"SH\d{7}").all()


def test_deep_schema_cardinalities(deep: tuple) -> None:
    meta, data, _, sink = deep
    out = {t: sink.read(t) for t in meta.tables}
    for fk in meta.relations:
        stat = ks_2samp(_cpp(data, fk), _cpp(out, fk), method="asymp").statistic
        assert stat <= 0.1, (fk.child, fk.child_columns, fk.parent, stat)


def test_deep_schema_self_reference_and_nullable_fk(deep: tuple) -> None:
    _meta, data, _, sink = deep
    emp = sink.read("employees")
    real_null = data["employees"]["manager_id"].isna().mean()
    assert abs(emp["manager_id"].isna().mean() - real_null) < 0.08
    assert not (emp["manager_id"] == emp["employee_id"]).any()
    # the hierarchy has no cycles: following managers always ends at a root
    boss = dict(zip(emp["employee_id"], emp["manager_id"], strict=True))
    current = emp["employee_id"].to_numpy()
    for _ in range(len(emp)):
        nxt = pd.Series([boss.get(e) for e in current])
        current = nxt.dropna().astype("int64").to_numpy()
        if len(current) == 0:
            break
    assert len(current) == 0
    orders = sink.read("orders")
    real_null = data["orders"]["salesperson_id"].isna().mean()
    assert abs(orders["salesperson_id"].isna().mean() - real_null) < 0.06


def test_deep_schema_composite_keys(deep: tuple) -> None:
    meta, _, synth, sink = deep
    items = sink.read("order_items")
    assert not items.duplicated(["order_id", "product_id"]).any()
    ship = sink.read("shipments")
    pairs = set(items[["order_id", "product_id"]].itertuples(index=False, name=None))
    assert set(ship[["order_id", "product_id"]].itertuples(index=False, name=None)) <= pairs
    # orders have two parents: customers drive the rows (context), stores are assigned
    ctx = synth.fitted_.plans["orders"].context_relation
    assert ctx is not None and meta.relations[ctx].parent == "customers"


def test_eleven_tables_depth_six_runs() -> None:
    meta, data = deep_schema(seed=2, extra=True)
    assert len(meta.tables) == 11
    synth = Synthesizer(meta, seed=0, progress=False).fit(data)
    out = synth.sample(scale=1.5)
    assert integrity_problems(meta, out) == []
    assert len(out["returns"]) > 0 and len(out["inventory"]) > 0
    assert not out["inventory"].duplicated(["store_id", "product_id"]).any()


def test_schema_save_load_and_evaluate(deep: tuple, tmp_path: object) -> None:
    meta, _, synth, _ = deep
    path = tmp_path / "deep.shm"  # type: ignore[operator]
    digest = synth.save(path)
    loaded = Synthesizer.load(path, expected_sha256=digest)
    a = synth.sample(seed=4, scale=0.5)
    b = loaded.sample(seed=4, scale=0.5)
    for name in meta.tables:
        pd.testing.assert_frame_equal(a[name], b[name])
    # the reference profile (aggregates only) travels with the model file
    assert loaded.profile_.cardinality == synth.profile_.cardinality
    assert set(loaded.profile_.tables) == set(meta.tables)


def test_partition_helpers_give_disjoint_keys(retail: tuple) -> None:
    meta, data, synth, _ = retail
    assert synth.roots == ["customers", "products"]
    assert synth.tables.index("customers") < synth.tables.index("orders")
    totals = synth.root_rows(scale=0.5)
    assert totals == {"customers": 200, "products": 75}
    expected = synth.expected_rows(totals)
    a = synth.sample(rows=totals, seed=1)
    b = synth.sample(rows=totals, seed=2, row_offset=1_000_000)
    for name in meta.tables:
        assert len(a[name]) == pytest.approx(expected[name], rel=0.1)
    assert b["customers"]["customer_id"].min() == 1_000_000 + data["customers"]["customer_id"].min()
    for name, key in [("customers", "customer_id"), ("orders", "order_id")]:
        assert not set(a[name][key]) & set(b[name][key])
    assert integrity_problems(meta, b) == []
    with pytest.raises(DataError, match="row_offset"):
        synth.sample(row_offset=-1)
