"""Multi-table inputs that reach the synthesizer (T-B19), orphans, configuration of context,
and the whole-entity holdout (T-M7)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthohive.errors import DataError, MetadataError
from synthohive.metadata.schema import Column, ForeignKey, Metadata, Table
from synthohive.synthesizer import Synthesizer, split_holdout
from synthohive.testing.schemas import deep_schema, integrity_problems, retail_schema


def _pair(n: int = 40) -> tuple[Metadata, dict[str, pd.DataFrame]]:
    rng = np.random.default_rng(0)
    a = pd.DataFrame({"a_id": np.arange(n), "v": rng.normal(size=n), "b_ref": np.arange(n) % 5})
    b = pd.DataFrame({"b_id": np.arange(n), "a_ref": np.arange(n) % 7, "w": rng.normal(size=n)})
    meta = Metadata(
        tables={
            "a": Table(
                name="a",
                primary_key=["a_id"],
                columns={
                    "a_id": Column(sdtype="id"),
                    "v": Column(sdtype="numerical"),
                    "b_ref": Column(sdtype="id"),
                },
            ),
            "b": Table(
                name="b",
                primary_key=["b_id"],
                columns={
                    "b_id": Column(sdtype="id"),
                    "a_ref": Column(sdtype="id"),
                    "w": Column(sdtype="numerical"),
                },
            ),
        },
    )
    return meta, {"a": a, "b": b}


def _fk(child: str, cc: list[str], parent: str, pc: list[str]) -> ForeignKey:
    return ForeignKey(child=child, child_columns=cc, parent=parent, parent_columns=pc)


def test_metadata_errors_name_tables_and_columns() -> None:
    meta, data = _pair()
    cyc = meta.model_copy(deep=True)
    cyc.relations = [_fk("b", ["a_ref"], "a", ["a_id"]), _fk("a", ["b_ref"], "b", ["b_id"])]
    with pytest.raises(MetadataError, match="cycle") as err:
        Synthesizer(cyc, progress=False).fit(data)
    assert "'a'" in str(err.value) and "'b'" in str(err.value)
    dangling = meta.model_copy(deep=True)
    dangling.relations = [_fk("b", ["nope"], "a", ["a_id"])]
    with pytest.raises(MetadataError, match="does not exist") as err2:
        Synthesizer(dangling, progress=False).fit(data)
    assert err2.value.column == "nope"
    dup = meta.model_copy(deep=True)
    dup.relations = [_fk("b", ["a_ref"], "a", ["a_id"])] * 2
    with pytest.raises(MetadataError, match="duplicate"):
        Synthesizer(dup, progress=False).fit(data)
    reused = meta.model_copy(deep=True)
    reused.relations = [_fk("a", ["b_ref"], "b", ["b_id"]), _fk("a", ["b_ref"], "a", ["a_id"])]
    with pytest.raises(MetadataError, match="two relations"):
        Synthesizer(reused, progress=False).fit(data)
    selfpk = meta.model_copy(deep=True)
    selfpk.relations = [_fk("a", ["a_id"], "a", ["a_id"])]
    with pytest.raises(MetadataError, match="own parent"):
        Synthesizer(selfpk, progress=False).fit(data)
    typed = meta.model_copy(deep=True)
    typed.relations = [_fk("b", ["a_ref"], "a", ["a_id"])]
    bad = {"a": data["a"], "b": data["b"].assign(a_ref=data["b"]["a_ref"].astype(str))}
    with pytest.raises(MetadataError, match="type") as err3:
        Synthesizer(typed, progress=False).fit(bad)
    assert err3.value.table == "b" and err3.value.column == "a_ref"
    with pytest.raises(MetadataError, match="context_parent"):
        Synthesizer(typed, context_parent={"b": "zzz"}, progress=False).fit(data)


def test_one_to_one_primary_key_that_is_a_foreign_key() -> None:
    rng = np.random.default_rng(1)
    n = 120
    people = pd.DataFrame({"pid": np.arange(n), "age": rng.integers(18, 90, n)})
    has = rng.random(n) < 0.6
    details = pd.DataFrame(
        {"pid": people["pid"][has].to_numpy(), "score": rng.normal(size=has.sum())}
    )
    meta = Metadata(
        tables={
            "people": Table(
                name="people",
                primary_key=["pid"],
                columns={"pid": Column(sdtype="id"), "age": Column(sdtype="numerical")},
            ),
            "details": Table(
                name="details",
                primary_key=["pid"],
                columns={"pid": Column(sdtype="id"), "score": Column(sdtype="numerical")},
            ),
        },
        relations=[_fk("details", ["pid"], "people", ["pid"])],
    )
    out = Synthesizer(meta, seed=0, progress=False).fit({"people": people, "details": details})
    res = out.sample(scale=2)
    assert integrity_problems(meta, res) == []
    assert res["details"]["pid"].is_unique
    assert 0.45 < len(res["details"]) / len(res["people"]) < 0.75


def test_orphans_dropped_by_default_or_kept_as_nulls() -> None:
    meta, data = retail_schema(seed=3, n_customers=200, n_products=60)
    orders = data["orders"].copy()
    orphan_rows = orders.index[:25]
    orders.loc[orphan_rows, "customer_id"] = 99_999  # no such customer
    data = {**data, "orders": orders}
    dropped_items = int(
        data["order_items"]["order_id"].isin(orders.loc[orphan_rows, "order_id"]).sum()
    )
    synth = Synthesizer(meta, seed=0, progress=False).fit(data)
    assert synth.orphans_["orders['customer_id'] -> customers"] == 25
    # rows of dropped orders become orphans in turn and are dropped too
    assert synth.orphans_["order_items['order_id'] -> orders"] == dropped_items
    out = synth.sample(seed=1)
    assert integrity_problems(meta, out) == []
    assert out["orders"]["customer_id"].notna().all()

    kept = Synthesizer(meta, seed=0, orphans="null", progress=False).fit(data)
    assert kept.fitted_.plans["orders"].null_share[0] == pytest.approx(25 / len(orders))
    res = kept.sample(seed=1)
    assert integrity_problems(meta, res) == []
    share = res["orders"]["customer_id"].isna().mean()
    assert 0.005 < share < 0.06
    with pytest.raises(DataError, match="orphans"):
        Synthesizer(meta, orphans="keep")  # type: ignore[arg-type]


def test_context_configuration() -> None:
    meta, data = deep_schema(seed=1)
    synth = Synthesizer(
        meta,
        seed=0,
        progress=False,
        context_parent={"orders": "stores"},
        context_columns={"employees": [], "stores": ["population"]},
    ).fit(data)
    plan = synth.fitted_.plans["orders"]
    assert plan.context_relation is not None
    assert meta.relations[plan.context_relation].parent == "stores"
    assert synth.fitted_.models["employees"].context_table is None
    assert list(synth.fitted_.models["stores"].context_table.columns) == ["population"]
    out = synth.sample(seed=0)
    assert integrity_problems(meta, out) == []
    with pytest.raises(DataError, match="single root"):
        synth.sample(10)
    with pytest.raises(DataError, match="root tables"):
        synth.sample(rows={"orders": 10})
    with pytest.raises(MetadataError, match="context_columns"):
        Synthesizer(meta, context_columns={"stores": ["nope"]}, progress=False).fit(data)


def test_holdout_keeps_whole_parent_subtrees() -> None:
    meta, data = retail_schema(seed=4, n_customers=200, n_products=60)
    train, hold = split_holdout(data, meta, frac=0.25, seed=0)
    assert len(hold["customers"]) == 50
    for name in data:
        assert len(train[name]) + len(hold[name]) == len(data[name])
    held_c = set(hold["customers"]["customer_id"])
    assert not set(train["orders"]["customer_id"]) & held_c
    assert set(hold["orders"]["customer_id"]) <= held_c
    held_o = set(hold["orders"]["order_id"])
    assert not set(train["order_items"]["order_id"]) & held_o
    assert set(hold["order_items"]["order_id"]) <= held_o
    assert len(hold["products"]) == 0  # the product catalogue is shared, not held out
    assert integrity_problems(meta, train) == []
    again, _ = split_holdout(data, meta, frac=0.25, seed=0)
    pd.testing.assert_frame_equal(again["orders"], train["orders"])
    # training on the split works and the holdout is untouched by it
    Synthesizer(meta, seed=0, progress=False).fit(train)
    with pytest.raises(DataError, match="frac"):
        split_holdout(data, meta, frac=1.5)
    with pytest.raises(MetadataError, match="root"):
        split_holdout(data, meta, frac=0.2, root="orders")


def test_pii_primary_key_used_as_join_key() -> None:
    from synthohive.testing.schemas import RecordingConnector, chunk_integrity_problems

    rng = np.random.default_rng(2)
    n = 150
    users = pd.DataFrame(
        {
            "email": [f"real.user{i}@private-example.com" for i in range(n)],
            "age": rng.integers(18, 70, n),
        }
    )
    k = rng.poisson(2, n)
    events = pd.DataFrame(
        {
            "event_id": np.arange(k.sum()),
            "user_email": np.repeat(users["email"].to_numpy(), k),
            "value": rng.normal(size=k.sum()),
        }
    )
    meta = Metadata(
        tables={
            "users": Table(
                name="users",
                primary_key=["email"],
                columns={
                    "email": Column(sdtype="pii", kind="email"),
                    "age": Column(sdtype="numerical", integer=True),
                },
            ),
            "events": Table(
                name="events",
                primary_key=["event_id"],
                columns={
                    "event_id": Column(sdtype="id"),
                    "user_email": Column(sdtype="pii", kind="email"),
                    "value": Column(sdtype="numerical"),
                },
            ),
        },
        relations=[_fk("events", ["user_email"], "users", ["email"])],
    )
    synth = Synthesizer(meta, seed=0, progress=False).fit({"users": users, "events": events})
    sink = RecordingConnector()
    synth.sample(sink=sink, chunk_rows=20, seed=3)
    assert chunk_integrity_problems(meta, sink.appends) == []
    out = {t: sink.read(t) for t in meta.tables}
    assert integrity_problems(meta, out) == []  # unique across all chunks, joins intact
    assert out["users"]["email"].str.contains("@").all()
    assert not set(out["users"]["email"]) & set(users["email"])


def test_empty_child_table_generates_no_rows() -> None:
    meta, data = retail_schema(seed=6, n_customers=80, n_products=30)
    data = {**data, "order_items": data["order_items"].head(0)}
    out = Synthesizer(meta, seed=0, progress=False).fit(data).sample(seed=0)
    assert len(out["order_items"]) == 0
    assert list(out["order_items"].columns) == list(data["order_items"].columns)
    assert out["order_items"].dtypes.to_dict() == data["order_items"].dtypes.to_dict()
    assert len(out["orders"]) > 0 and integrity_problems(meta, out) == []
