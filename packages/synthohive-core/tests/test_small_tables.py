"""Small tables of real schemas: lookup tables copied, tiny tables with PII drawn column by
column, per-table overrides, explain(), model files, and offsets (synthesizer/strategy.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthohive.errors import DataError, TooFewRowsError
from synthohive.metadata.schema import Column, ForeignKey, Metadata, Table
from synthohive.models.copula import GaussianCopulaModel
from synthohive.models.independent import IndependentModel
from synthohive.synthesizer import Synthesizer
from synthohive.testing.schemas import integrity_problems

STATUS = ["open", "paid", "shipped", "returned", "cancelled"]
FIRST = ["Andrew", "Nancy", "Jane", "Margaret", "Steve", "Michael", "Robert", "Laura"]


def _schema(seed: int = 0) -> tuple[Metadata, dict[str, pd.DataFrame]]:
    """status (5 rows, lookup), rep (8 rows with PII and a self-reference), orders (600)."""
    rng = np.random.default_rng(seed)
    status = pd.DataFrame({"status_id": [10, 20, 30, 40, 50], "label": STATUS})
    rep = pd.DataFrame(
        {
            "rep_id": np.arange(1, 9),
            "first_name": FIRST,
            "title": ["GM", "Sales", "Sales", "Sales", "IT", "IT", "IT", "Sales"],
            "manager_id": pd.array([None, 1, 2, 2, 1, 5, 5, 2], dtype="Int64"),
            "hired": pd.date_range("2002-01-01", periods=8, freq="97D").strftime("%Y-%m-%d"),
        }
    )
    n = 600
    orders = pd.DataFrame(
        {
            "order_id": np.arange(1, n + 1),
            "status_id": rng.choice(status["status_id"], n, p=[0.5, 0.2, 0.15, 0.1, 0.05]),
            "rep_id": rng.choice(rep["rep_id"], n),
            "amount": np.round(rng.gamma(2.0, 40.0, n), 2),
        }
    )
    meta = Metadata(
        tables={
            "status": Table(
                name="status",
                primary_key=["status_id"],
                columns={
                    "status_id": Column(sdtype="id"),
                    "label": Column(sdtype="categorical"),
                },
            ),
            "rep": Table(
                name="rep",
                primary_key=["rep_id"],
                columns={
                    "rep_id": Column(sdtype="id"),
                    "first_name": Column(sdtype="pii", kind="first_name"),
                    "title": Column(sdtype="categorical"),
                    "manager_id": Column(sdtype="id"),
                    "hired": Column(sdtype="datetime", format="%Y-%m-%d"),
                },
            ),
            "orders": Table(
                name="orders",
                primary_key=["order_id"],
                columns={
                    "order_id": Column(sdtype="id"),
                    "status_id": Column(sdtype="id"),
                    "rep_id": Column(sdtype="id"),
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
            ForeignKey(
                child="rep", child_columns=["manager_id"], parent="rep", parent_columns=["rep_id"]
            ),
        ],
    )
    return meta, {"status": status, "rep": rep, "orders": orders}


@pytest.fixture(scope="module")
def fitted() -> tuple[Metadata, dict[str, pd.DataFrame], Synthesizer]:
    meta, data = _schema()
    return meta, data, Synthesizer(meta, seed=3, progress=False).fit(data)


def test_strategies_chosen_and_explained(fitted: tuple) -> None:
    _, _, synth = fitted
    plans = synth.fitted_.plans
    assert plans["status"].strategy == "copy"
    assert plans["rep"].strategy == "independent"
    assert plans["orders"].strategy == "model"
    text = synth.explain()
    assert "status (5 rows): copy - lookup table" in text
    assert "rep (8 rows): independent - 8 rows, fewer than the 10" in text
    assert "PII" in text.split("rep (8 rows)")[1].split("\n")[0]


def test_lookup_copied_exactly_and_referenced(fitted: tuple) -> None:
    meta, data, synth = fitted
    fake = synth.sample(seed=1)
    pd.testing.assert_frame_equal(fake["status"], data["status"])
    assert integrity_problems(meta, fake) == []
    # the children's mix over the lookup follows the real one
    real = data["orders"]["status_id"].value_counts(normalize=True)
    got = fake["orders"]["status_id"].value_counts(normalize=True)
    assert (got.reindex(real.index).fillna(0) - real).abs().max() < 0.08


def test_tiny_pii_table_generated_not_copied(fitted: tuple) -> None:
    meta, data, synth = fitted
    fake = synth.sample(seed=2)
    rep = fake["rep"]
    assert len(rep) == 8
    assert not set(rep["first_name"]) & set(data["rep"]["first_name"])
    assert rep["rep_id"].is_unique
    assert set(rep["title"].dropna()) <= {"GM", "Sales", "IT", "_RARE_"}
    hired = pd.to_datetime(rep["hired"], format="%Y-%m-%d")
    assert hired.between("2002-01-01", "2004-01-01").all()
    assert integrity_problems(meta, fake) == []


def test_scale_keeps_lookup_and_scales_children(fitted: tuple) -> None:
    _, data, synth = fitted
    fake = synth.sample(scale=2.0, seed=4)
    assert len(fake["status"]) == 5
    assert len(fake["rep"]) == 16
    assert 1000 <= len(fake["orders"]) <= 1400
    assert set(fake["orders"]["status_id"]) <= set(data["status"]["status_id"])


def test_overrides(fitted: tuple) -> None:
    meta, data, _ = fitted
    with pytest.raises(TooFewRowsError, match="status"):
        Synthesizer(meta, table_params={"status": {"strategy": "model"}}).fit(data)
    with pytest.raises(DataError, match="parent") as err:
        Synthesizer(meta, table_params={"orders": {"strategy": "copy"}}).fit(data)
    assert err.value.table == "orders"
    with pytest.raises(DataError, match="unknown strategy"):
        Synthesizer(meta, table_params={"status": {"strategy": "clone"}})
    with pytest.raises(DataError, match="unknown table parameter"):
        Synthesizer(meta, table_params={"status": {"epochs": 3}})
    with pytest.raises(DataError, match="unknown table"):
        Synthesizer(meta, table_params={"statuses": {"strategy": "copy"}}).fit(data)
    synth = Synthesizer(meta, seed=0, table_params={"status": {"strategy": "independent"}})
    fake = synth.fit(data).sample(seed=0)
    assert synth.fitted_.plans["status"].strategy == "independent"
    assert integrity_problems(meta, fake) == []
    copied = Synthesizer(meta, seed=0, lookup_rows=0).fit(data)
    assert copied.fitted_.plans["status"].strategy == "independent"


def test_model_level_minimum_stays() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "c": ["a", "b", "a"]})
    table = Table(
        name="t", columns={"x": Column(sdtype="numerical"), "c": Column(sdtype="categorical")}
    )
    with pytest.raises(TooFewRowsError, match="at least 10"):
        GaussianCopulaModel(seed=0).fit(frame, table=table)
    out = IndependentModel(seed=0).fit(frame, table=table).sample(200)
    assert out["x"].between(1.0, 3.0).all()
    assert set(out["c"]) == {"a", "b"}
    assert 0.45 < (out["c"] == "a").mean() < 0.85


def test_model_file_round_trip_cold(fitted: tuple, tmp_path: Path) -> None:
    _, data, synth = fitted
    path = tmp_path / "small.shm"
    synth.save(path)
    raw = path.read_bytes()
    for name in FIRST:
        assert name.encode() not in raw, "a PII value reached the model file"
    script = (
        "import sys, json; from synthohive import Synthesizer; "
        "s = Synthesizer.load(sys.argv[1]); f = s.sample(seed=1); "
        "print(json.dumps({'status': f['status'].astype(str).values.tolist(), "
        "'orders': len(f['orders'])}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    )
    import json

    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["status"] == data["status"].astype(str).values.tolist()
    assert got["orders"] == len(synth.sample(seed=1)["orders"])


def test_offset_runs_write_a_copied_table_once(fitted: tuple) -> None:
    _, data, synth = fitted
    first = synth.sample(seed=5)
    later = synth.sample(seed=5, row_offset=10_000)
    assert len(first["status"]) == 5
    assert len(later["status"]) == 0
    assert len(later["orders"]) > 0
    assert set(later["orders"]["status_id"]) <= set(data["status"]["status_id"])


def test_stratified_independent_draws_repeat_discrete_counts() -> None:
    counts = pd.DataFrame({"n": [0, 0, 0, 0, 0, 21, 20, 18], "x": np.linspace(0, 7, 8)})
    table = Table(name="t", columns={c: Column(sdtype="numerical") for c in counts})
    model = IndependentModel(seed=0).fit(counts, table=table)
    for seed in range(5):
        out = model.sample(8, seed=seed)
        assert sorted(out["n"]) == sorted(counts["n"])  # a permutation, every time


def test_bridge_pairs_distinct_and_both_sides_keep_counts() -> None:
    from synthohive.synthesizer.cardinality import distinct_within_groups

    rng = np.random.default_rng(0)
    demand = rng.integers(1, 5, size=400)  # rows per context parent (e.g. playlists per track)
    groups = np.repeat(np.arange(400), demand)
    # other-parent slots: two parents hold most of them, as Chinook's two 'Music' playlists
    caps = np.array([360, 340, 120, 80, 60, 40, 20, 15, 7, 5])
    caps[2] += len(groups) - caps.sum()  # feasible: no parent needs more than 400 groups
    slots = rng.permutation(np.repeat(np.arange(len(caps)), caps))
    before = pd.DataFrame({"g": groups, "p": slots}).duplicated().sum()
    out = distinct_within_groups(groups, slots, rng)
    pairs = pd.DataFrame({"g": groups, "p": out})
    assert before > 50  # the naive draw repeats pairs
    assert pairs.duplicated().sum() <= 0.01 * len(pairs)
    assert np.array_equal(np.bincount(out, minlength=len(caps)), caps)  # other side exact


def test_pii_repeated_in_a_child_shares_a_learned_share_of_fake_values() -> None:
    rng = np.random.default_rng(0)
    n = 300
    cust = pd.DataFrame(
        {
            "customer_id": np.arange(n),
            "email": [f"user{i}@example.org" for i in range(n)],
            "age": rng.integers(18, 80, n),
        }
    )
    m = 1200
    owner = rng.integers(0, n, m)
    same = rng.random(m) < 0.7  # 70% of orders send the receipt to the customer's email
    orders = pd.DataFrame(
        {
            "order_id": np.arange(m),
            "customer_id": owner,
            "receipt_email": np.where(
                same, cust["email"].to_numpy()[owner], [f"other{i}@mail.net" for i in range(m)]
            ),
            "amount": rng.gamma(2.0, 30.0, m).round(2),
        }
    )
    data = {"customer": cust, "orders": orders}
    meta = Metadata.detect(data)
    assert meta.tables["orders"].columns["receipt_email"].sdtype == "pii"
    synth = Synthesizer(meta, seed=0, progress=False).fit(data)
    _, pcol, share = synth.fitted_.plans["orders"].shared_fill["receipt_email"]
    assert pcol == "email" and abs(share - same.mean()) < 1e-6
    fake = synth.sample(seed=1)
    joined = fake["orders"].merge(fake["customer"], on="customer_id")
    got = (joined["receipt_email"] == joined["email"]).mean()
    assert 0.62 < got < 0.78
    assert not set(fake["customer"]["email"]) & set(cust["email"])


def test_misspelled_model_and_parameters_fail_at_construction_with_a_hint() -> None:
    from synthohive.errors import PluginNotFoundError

    with pytest.raises(PluginNotFoundError, match="Did you mean 'gaussian_copula'"):
        Synthesizer(model="gausian_copula")
    with pytest.raises(PluginNotFoundError, match="Did you mean 'independent'"):
        Synthesizer(model={"t": "independant"})
    with pytest.raises(DataError, match=r"unknown parameter 'shrinkag' \(did you mean") as err:
        Synthesizer(model_params={"shrinkag": 0.1})
    assert "https://" not in str(err.value) and "\n" not in str(err.value)
    assert "valid parameters: discrete_threshold" in str(err.value)


def test_grouped_line_numbers_continue_across_chunks() -> None:
    """(order_id, line): a parent's children split over two chunks keep distinct numbers."""
    rng = np.random.default_rng(0)
    orders = pd.DataFrame({"order_id": np.arange(1, 201), "total": rng.gamma(2, 10, 200)})
    lines = orders.loc[orders.index.repeat(rng.integers(1, 9, 200)), ["order_id"]]
    lines["line"] = lines.groupby("order_id").cumcount() + 1
    lines["qty"] = rng.integers(1, 5, len(lines))
    meta = Metadata(
        tables={
            "orders": Table(
                name="orders",
                primary_key=["order_id"],
                columns={"order_id": Column(sdtype="id"), "total": Column(sdtype="numerical")},
            ),
            "lines": Table(
                name="lines",
                primary_key=["order_id", "line"],
                columns={
                    "order_id": Column(sdtype="id"),
                    "line": Column(sdtype="id"),
                    "qty": Column(sdtype="numerical"),
                },
            ),
        },
        relations=[
            ForeignKey(
                child="lines",
                child_columns=["order_id"],
                parent="orders",
                parent_columns=["order_id"],
            )
        ],
    )
    synth = Synthesizer(meta, seed=0, progress=False).fit({"orders": orders, "lines": lines})
    assert synth.fitted_.plans["lines"].grouped_keys == ["line"]
    out = synth.sample(seed=1, chunk_rows=5)  # many parents straddle a chunk boundary
    assert integrity_problems(meta, out) == []
    firsts = out["lines"].groupby("order_id")["line"].min()
    assert (firsts == 1).all()
