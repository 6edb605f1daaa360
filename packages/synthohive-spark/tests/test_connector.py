"""The Spark connector against a real local SparkSession (local[2], Hive catalog)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from synthohive.errors import ConnectorError, InvalidIdentifierError, TableNotFoundError
from synthohive.metadata.schema import Column, Metadata, Table
from synthohive_spark.connector import SparkConnector


def _frame(n: int = 50, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": np.arange(n, dtype="int64"),
            "amount": rng.normal(100, 10, n).round(2),
            "city": rng.choice(["ber", "par"], n),
        }
    )


@pytest.mark.spark
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_path_round_trip_and_modes(spark: Any, folder: Path, fmt: str) -> None:
    conn = SparkConnector(f"spark+{fmt}://{folder}", session=spark)
    df = _frame()
    assert conn.write("sales", df) == len(df)
    back = conn.read("sales").sort_values("id").reset_index(drop=True)
    pd.testing.assert_frame_equal(back[["id", "city"]], df[["id", "city"]], check_dtype=False)
    assert np.allclose(back["amount"], df["amount"])
    assert conn.list_tables() == ["sales"]
    with pytest.raises(ConnectorError, match="already exists"):
        conn.write("sales", df)
    conn.write("sales", df.head(10), mode="append")
    assert len(conn.read("sales")) == 60
    conn.write("sales", df.head(5), mode="overwrite")
    assert len(conn.read("sales")) == 5
    with pytest.raises(ConnectorError, match="do not match"):
        conn.write("sales", df[["city", "id"]], mode="append")
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]


@pytest.mark.spark
def test_failed_write_leaves_target_unchanged(spark: Any, folder: Path) -> None:
    conn = SparkConnector(f"spark+parquet://{folder}", session=spark)
    conn.write("t", _frame(20))
    with pytest.raises(RuntimeError, match="boom"), conn.begin_write(None, "overwrite") as s:
        s.append("t", _frame(999, seed=1))
        s.append("other", _frame(5))
        raise RuntimeError("boom")
    assert len(conn.read("t")) == 20
    assert conn.list_tables() == ["t"]
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]


@pytest.mark.spark
def test_missing_table_lists_close_matches(spark: Any, folder: Path) -> None:
    conn = SparkConnector(f"spark+parquet://{folder}", session=spark)
    conn.write("customers", _frame(5))
    with pytest.raises(TableNotFoundError, match="customers"):
        conn.read("customer")


@pytest.mark.spark
def test_bounded_read_samples_large_tables(spark: Any, folder: Path) -> None:
    conn = SparkConnector(f"spark+parquet://{folder}", session=spark, max_rows=100)
    conn.write("big", _frame(2000))
    part = conn.read("big")
    assert len(part) == 100
    assert part["id"].is_unique
    assert len(conn.read("big", limit=10)) == 10


@pytest.mark.spark
def test_catalog_tables_are_quoted_and_validated(spark: Any) -> None:  # T-S8
    db = f"shv_{uuid.uuid4().hex[:8]}"
    spark.sql(f"CREATE DATABASE `{db}`")
    conn = SparkConnector(f"spark+hive://{db}", session=spark)
    statements: list[str] = []
    real_sql = spark.sql

    def spy(text: str, *args: Any, **kwargs: Any) -> Any:
        statements.append(text)
        return real_sql(text, *args, **kwargs)

    spark.sql = spy
    try:
        for name in ["select", "from", "table_1"]:  # reserved words round-trip, quoted
            conn.write(name, _frame(7))
            assert len(conn.read(name)) == 7
        conn.write("select", _frame(3), mode="overwrite")
        assert len(conn.read("select")) == 3
        conn.write("select", _frame(2), mode="append")
        assert len(conn.read("select")) == 5
        for bad in ["a`b", "my table", "x; DROP TABLE canary; --", "a-b"]:
            with pytest.raises(InvalidIdentifierError, match="catalog"):
                conn.write(bad, _frame(1))
        assert conn.list_tables() == ["from", "select", "table_1"]  # no staging left
    finally:
        spark.sql = real_sql
        real_sql(f"DROP DATABASE `{db}` CASCADE")
    with pytest.raises(ConnectorError, match="database"):
        conn.list_tables()
    assert statements and all("`select`" in t or "select" not in t.split() for t in statements)
    assert not any("canary" in t for t in statements)
    strict = SparkConnector("spark://default", session=spark, strict_identifiers=True)
    with pytest.raises(InvalidIdentifierError, match="plain identifier"):
        strict.write("select", _frame(1))


@pytest.mark.spark
def test_folder_tables_with_hostile_names(spark: Any, folder: Path) -> None:
    conn = SparkConnector(f"spark+parquet://{folder}", session=spark)
    names = ["a`b", "my table", "x; DROP TABLE canary; --", "名前"]
    for name in names:
        conn.write(name, _frame(3))
        assert len(conn.read(name)) == 3
    assert sorted(conn.list_tables()) == sorted(names)


@pytest.mark.spark
def test_paths_never_reach_sql(spark: Any, tmp_path: Path) -> None:
    odd = tmp_path / "it's; DROP TABLE x"
    odd.mkdir()
    statements: list[str] = []
    real_sql = spark.sql
    spark.sql = lambda text, *a, **k: statements.append(text) or real_sql(text, *a, **k)
    try:
        conn = SparkConnector(f"spark+parquet://{odd}", session=spark)
        conn.write("t", _frame(4))
        conn.write("t", _frame(4), mode="overwrite")
        assert len(conn.read("t")) == 4
    finally:
        spark.sql = real_sql
    assert not any(str(odd) in s or "it's" in s for s in statements)


@pytest.mark.spark
def test_key_safe_subset(spark: Any, folder: Path) -> None:
    rng = np.random.default_rng(3)
    parents = pd.DataFrame({"pid": np.arange(200), "size": rng.integers(0, 5, 200)})
    child_parent = np.repeat(parents["pid"].to_numpy(), parents["size"].to_numpy())
    children = pd.DataFrame({"cid": np.arange(len(child_parent)), "pid": child_parent})
    links = pd.DataFrame({"lid": np.arange(100), "cid": rng.choice(children["cid"], 100)})
    conn = SparkConnector(f"spark+parquet://{folder}", session=spark, seed=1)
    with conn.begin_write(None, "error") as s:
        s.append("p", parents)
        s.append("c", children)
        s.append("l", links)
    meta = Metadata(
        tables={
            "p": Table(
                name="p",
                primary_key=["pid"],
                columns={"pid": Column(sdtype="id"), "size": Column(sdtype="numerical")},
            ),
            "c": Table(
                name="c",
                primary_key=["cid"],
                columns={"cid": Column(sdtype="id"), "pid": Column(sdtype="id")},
            ),
            "l": Table(
                name="l",
                primary_key=["lid"],
                columns={"lid": Column(sdtype="id"), "cid": Column(sdtype="id")},
            ),
        }
    )
    meta.add_foreign_key("c", "pid", "p")
    meta.add_foreign_key("l", "cid", "c")
    sub = conn.read_subset(meta, roots={"p": 40})
    assert set(sub["c"]["pid"]) <= set(sub["p"]["pid"])
    assert set(sub["l"]["cid"]) <= set(sub["c"]["cid"])
    kept = parents[parents["pid"].isin(sub["p"]["pid"])]
    # every kept parent keeps all its children (unless it was pulled in only as a parent)
    per_parent = sub["c"].groupby("pid").size().reindex(kept["pid"], fill_value=0)
    assert (per_parent.to_numpy() <= kept.set_index("pid")["size"].to_numpy()).all()
    assert len(sub["p"]) >= 40
    with pytest.raises(ConnectorError, match="exactly one"):
        conn.read_subset(meta)
