"""``Synthesizer.sample(conditions=...)``: fixed values kept exactly, children following the
conditioned parents, one row per condition row, streaming and seeds, typed errors, CTGAN."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from synthohive.demo import demo_metadata, load_demo
from synthohive.errors import DataError, UnknownConditionValueError
from synthohive.metadata.schema import Column, ForeignKey, Metadata, Table
from synthohive.synthesizer import Synthesizer
from synthohive.testing.schemas import (
    RecordingConnector,
    chunk_integrity_problems,
    integrity_problems,
    retail_schema,
)


@pytest.fixture(scope="module")
def demo() -> tuple[Metadata, dict[str, pd.DataFrame], Synthesizer]:
    meta, data = demo_metadata(), load_demo()
    return meta, data, Synthesizer(meta, seed=3, progress=False).fit(data)


@pytest.fixture(scope="module")
def retail() -> tuple[Metadata, dict[str, pd.DataFrame], Synthesizer]:
    meta, data = retail_schema(seed=0)
    return meta, data, Synthesizer(meta, seed=11, progress=False).fit(data)


def _orders_per_customer(out: dict[str, pd.DataFrame]) -> pd.Series:
    per = out["orders"].groupby("customer_id").size()
    return per.reindex(out["customers"]["customer_id"], fill_value=0)


def test_root_condition_fixes_values_and_children_follow(demo: tuple) -> None:
    meta, data, synth = demo
    real = data["customers"].set_index("customer_id")["segment"]
    real_orders = data["orders"].groupby("customer_id").size().reindex(real.index, fill_value=0)
    assert real_orders[real == "enterprise"].mean() > 2 * real_orders[real == "consumer"].mean()
    runs = {
        seg: synth.sample(scale=0.5, conditions={"customers": {"segment": seg}}, seed=1)
        for seg in ("enterprise", "consumer")
    }
    base = synth.sample(scale=0.5, seed=1)
    for seg, out in runs.items():
        assert (out["customers"]["segment"] == seg).all()
        assert len(out["customers"]) == len(base["customers"]) == 1000
        assert integrity_problems(meta, out) == []
        for name, frame in out.items():
            assert list(frame.columns) == list(data[name].columns), name
            assert frame.dtypes.equals(base[name].dtypes), name
        assert out["customers"]["email"].notna().all()  # PII still filled
    ent, con = (_orders_per_customer(runs[s]).mean() for s in ("enterprise", "consumer"))
    assert ent > 1.5 * con  # enterprise customers place more orders, as in the real data
    assert runs["enterprise"]["orders"]["discount"].mean() > (
        runs["consumer"]["orders"]["discount"].mean() + 0.03
    )


def test_dataframe_conditions_one_row_each_and_dependence(retail: tuple) -> None:
    meta, _, synth = retail
    cond = pd.DataFrame(
        {"age": [30, 60] * 150, "segment": ["enterprise", "consumer", "small_business"] * 100}
    )
    out = synth.sample(conditions={"customers": cond}, seed=4)
    customers = out["customers"]
    assert len(customers) == len(cond)
    assert customers["age"].tolist() == cond["age"].tolist()
    assert customers["segment"].tolist() == cond["segment"].tolist()
    assert customers["customer_id"].is_unique
    assert integrity_problems(meta, out) == []
    per = _orders_per_customer(out).to_numpy()
    segment = customers["segment"].to_numpy()
    ent, con = per[segment == "enterprise"], per[segment == "consumer"]
    assert ent.mean() > 2 * con.mean()  # real data: about 6.9 vs 2.3 orders
    orders = out["orders"].merge(customers[["customer_id", "segment"]], on="customer_id")
    discounted = orders["discount"].notna().groupby(orders["segment"]).mean()
    assert discounted["enterprise"] > discounted["consumer"] + 0.2  # real data: 0.62 vs 0.21
    # a second root is unconditioned and keeps its learned size
    assert len(out["products"]) == 150


def test_single_table_forms(demo: tuple) -> None:
    _, data, _ = demo
    frame = data["customers"].drop(columns=["customer_id", "name", "email", "phone"])
    synth = Synthesizer(seed=1, progress=False).fit(frame)
    fixed = synth.sample(50, conditions={"segment": "enterprise", "country": "DE"})
    assert isinstance(fixed, pd.DataFrame) and len(fixed) == 50
    assert (fixed["segment"] == "enterprise").all() and (fixed["country"] == "DE").all()
    assert fixed.dtypes.equals(frame.dtypes)
    cond = pd.DataFrame(
        {"segment": ["enterprise", "consumer", "enterprise"], "age": [30, None, 61]}
    )
    rows = synth.sample(conditions=cond, seed=2)
    assert isinstance(rows, pd.DataFrame) and len(rows) == 3
    assert rows["segment"].tolist() == cond["segment"].tolist()
    assert rows["age"].isna().tolist() == [False, True, False]
    assert rows["age"].dropna().tolist() == [30, 61]
    assert rows.dtypes.equals(frame.dtypes)
    pd.testing.assert_frame_equal(rows, synth.sample(conditions=cond, seed=2))
    with pytest.raises(DataError, match="one output row per condition row"):
        synth.sample(5, conditions=cond)
    # integer column labels are matched as the caller had them
    numbered = frame[["segment", "country", "credit_limit"]].set_axis([0, 1, 2], axis=1)
    out = Synthesizer(seed=1, progress=False).fit(numbered).sample(10, conditions={1: "US"})
    assert list(out.columns) == [0, 1, 2] and (out[1] == "US").all()


def test_streamed_conditions_match_in_memory_and_every_chunk_is_intact(retail: tuple) -> None:
    meta, _, synth = retail
    cond = {"customers": pd.DataFrame({"segment": ["enterprise", "consumer"] * 130})}
    sink = RecordingConnector()
    summary = synth.sample(sink=sink, conditions=cond, seed=9, chunk_rows=100)
    assert summary["tables"]["customers"] == 260
    assert chunk_integrity_problems(meta, sink.appends) == []
    streamed = {
        name: pd.concat([f for t, f in sink.appends if t == name], ignore_index=True)
        for name in meta.tables
    }
    in_memory = synth.sample(conditions=cond, seed=9, chunk_rows=100)
    for name in meta.tables:
        pd.testing.assert_frame_equal(streamed[name], in_memory[name])
    assert streamed["customers"]["segment"].tolist() == cond["customers"]["segment"].tolist()
    other = synth.sample(conditions=cond, seed=10, chunk_rows=100)
    assert not other["customers"]["age"].equals(in_memory["customers"]["age"])


@pytest.mark.parametrize(
    ("conditions", "error", "pattern"),
    [
        ({"orders": {"status": "shipped"}}, DataError, r"root tables only.*condition the root.*"),
        ({"customers": {"email": "a@b.c"}}, DataError, "PII/text.*filled by providers"),
        ({"customers": {"customer_id": 3}}, DataError, "key column is generated"),
        ({"customers": {"agee": 30}}, DataError, r"unknown column 'agee'.*'segment', 'age'"),
        ({"customers": {"segment": "martian"}}, UnknownConditionValueError, "'enterprise'"),
        ({"customers": {"segment": ["vip"]}}, DataError, "single value"),
        ({"segment": "vip"}, DataError, "map root table names"),
        ({"customers": pd.DataFrame({"segment": []})}, DataError, "at least one"),
        (pd.DataFrame({"segment": ["vip"]}), DataError, "single-table synthesizer"),
        ("segment=vip", DataError, "mapping or a DataFrame"),
    ],
)
def test_errors_are_typed_and_named(
    retail: tuple, conditions: Any, error: type[Exception], pattern: str
) -> None:
    _, _, synth = retail
    with pytest.raises(error, match=pattern) as info:
        synth.sample(conditions=conditions)
    assert isinstance(info.value, DataError)


def test_model_without_conditions_and_row_conflicts(
    retail: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, synth = retail
    with pytest.raises(DataError, match=r"rows.*3 rows"):
        synth.sample(
            rows={"customers": 5}, conditions={"customers": pd.DataFrame({"age": [1] * 3})}
        )
    with pytest.raises(DataError, match="categorical, boolean and discrete"):
        synth.sample(conditions={"customers": {"signup_at": pd.Timestamp("2020-01-05")}})
    # a model that takes no conditions is sampled and filtered: every row holds the value,
    # in the frame form too; a value it never draws is refused by name
    monkeypatch.setattr(synth.fitted_.models["customers"], "supports_conditions", False)
    out = synth.sample(conditions={"customers": {"segment": "enterprise"}}, seed=3)
    assert (out["customers"]["segment"] == "enterprise").all() and len(out["customers"]) > 0
    frame = pd.DataFrame({"segment": ["enterprise", "consumer", "enterprise"]})
    out = synth.sample(conditions={"customers": frame}, seed=3)
    assert out["customers"]["segment"].tolist() == frame["segment"].tolist()
    with pytest.raises(DataError, match=r"takes no conditions.*'segment': 'nonprofit'") as info:
        synth.sample(conditions={"customers": {"segment": "nonprofit"}})
    assert info.value.table == "customers" and "gaussian_copula" in str(info.value.fix)


def _small_schema() -> tuple[Metadata, dict[str, pd.DataFrame]]:
    """status (5-row lookup: copied), rep (8 rows with PII: independent), orders (300)."""
    rng = np.random.default_rng(0)
    status = pd.DataFrame({"status_id": [1, 2, 3, 4, 5], "label": list("abcde")})
    rep = pd.DataFrame(
        {
            "rep_id": np.arange(1, 9),
            "first_name": ["Ann", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal"],
            "title": ["GM", "Sales", "Sales", "Sales", "IT", "IT", "IT", "Sales"],
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": np.arange(1, 301),
            "status_id": rng.choice(status["status_id"], 300),
            "rep_id": rng.choice(rep["rep_id"], 300),
            "amount": rng.gamma(2.0, 40.0, 300).round(2),
        }
    )
    ident = Column(sdtype="id")
    meta = Metadata(
        tables={
            "status": Table(
                name="status",
                primary_key=["status_id"],
                columns={"status_id": ident, "label": Column(sdtype="categorical")},
            ),
            "rep": Table(
                name="rep",
                primary_key=["rep_id"],
                columns={
                    "rep_id": ident,
                    "first_name": Column(sdtype="pii", kind="first_name"),
                    "title": Column(sdtype="categorical"),
                },
            ),
            "orders": Table(
                name="orders",
                primary_key=["order_id"],
                columns={
                    "order_id": ident,
                    "status_id": ident,
                    "rep_id": ident,
                    "amount": Column(sdtype="numerical"),
                },
            ),
        },
        relations=[
            ForeignKey(
                child="orders",
                child_columns=["status_id"],
                parent="status",
                parent_columns=["status_id"],
            ),
            ForeignKey(
                child="orders", child_columns=["rep_id"], parent="rep", parent_columns=["rep_id"]
            ),
        ],
    )
    return meta, {"status": status, "rep": rep, "orders": orders}


def test_copied_table_refused_independent_table_conditioned() -> None:
    meta, data = _small_schema()
    synth = Synthesizer(meta, seed=2, progress=False, rare_category_threshold=0).fit(data)
    assert synth.fitted_.plans["status"].strategy == "copy"
    assert synth.fitted_.plans["rep"].strategy == "independent"
    with pytest.raises(DataError, match="strategy 'copy'") as info:
        synth.sample(conditions={"status": {"label": "a"}})
    assert info.value.table == "status"
    out = synth.sample(conditions={"rep": {"title": "Sales"}}, seed=1)
    assert (out["rep"]["title"] == "Sales").all()
    assert integrity_problems(meta, out) == []
    assert out["status"].equals(data["status"])


def test_rare_category_hint() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"city": ["rome"] * 60 + ["oslo"] * 58 + ["nuuk"] * 2, "x": rng.normal(size=120)}
    )
    synth = Synthesizer(seed=0, progress=False).fit(frame)
    with pytest.raises(UnknownConditionValueError, match="merged into '_RARE_'"):
        synth.sample(10, conditions={"city": "nuuk"})
    assert (synth.sample(10, conditions={"city": "oslo"})["city"] == "oslo").all()


def test_ctgan_conditions(demo: tuple) -> None:
    pytest.importorskip("synthohive_ctgan")
    meta, data, _ = demo
    synth = Synthesizer(
        meta,
        model={"customers": "ctgan", "*": "gaussian_copula"},
        model_params={
            "customers": {
                "epochs": 1,
                "generator_dim": [32],
                "discriminator_dim": [32],
                "embedding_dim": 16,
                "calibrate": False,
            }
        },
        seed=5,
        progress=False,
    ).fit(data)
    cond = pd.DataFrame({"segment": ["enterprise", "consumer"] * 100, "country": ["DE"] * 200})
    out = synth.sample(conditions={"customers": cond}, seed=3)
    assert out["customers"]["segment"].tolist() == cond["segment"].tolist()
    assert (out["customers"]["country"] == "DE").all()
    assert integrity_problems(meta, out) == []
    again = synth.sample(conditions={"customers": cond}, seed=3)
    for name in out:
        pd.testing.assert_frame_equal(out[name], again[name])
    with pytest.raises(UnknownConditionValueError, match="consumer"):
        synth.sample(conditions={"customers": {"segment": "government"}})
