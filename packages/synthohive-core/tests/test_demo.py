"""The shipped demo schema and ``synthohive demo``."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from synthohive.cli import build_cli
from synthohive.cli.demo import run_demo
from synthohive.demo import TABLES, demo_metadata, load_demo
from synthohive.errors import DataError
from synthohive.synthesizer import Synthesizer

CORE = Path(__file__).resolve().parents[1]
DATA_DIR = CORE / "src" / "synthohive" / "demo" / "data"


@pytest.fixture(scope="module")
def demo() -> dict[str, pd.DataFrame]:
    return load_demo()


def test_demo_files_are_small_package_data() -> None:
    files = sorted(DATA_DIR.glob("*.parquet"))
    assert [f.stem for f in files] == sorted(TABLES)
    assert sum(f.stat().st_size for f in files) < 2 * 1024 * 1024


def test_demo_shapes_and_dtypes(demo: dict[str, pd.DataFrame]) -> None:
    customers, products = demo["customers"], demo["products"]
    orders, items = demo["orders"], demo["order_items"]
    assert len(customers) == 2000 and len(products) == 200
    assert 5000 <= len(orders) <= 7000
    assert 12000 <= len(items) <= 18000
    assert customers["customer_id"].dtype == "int64"
    assert str(customers["age"].dtype) == "Int64"
    assert 0.04 < customers["age"].isna().mean() < 0.12
    assert str(orders["ordered_at"].dt.tz) == "UTC"
    assert orders["discount"].isna().any() and orders["discount"].notna().any()
    assert products["product_id"].str.fullmatch(r"P-\d{4}").all()
    assert orders["order_id"].str.fullmatch(r"INV-\d{6}").all()
    assert (products["price"] == products["price"].round(2)).all()


def test_demo_keys_and_relations(demo: dict[str, pd.DataFrame]) -> None:
    meta = demo_metadata()
    meta.validate(demo)  # PKs unique, FKs resolve, columns match
    for name, table in meta.tables.items():
        assert set(table.columns) == set(demo[name].columns)
        assert demo[name][table.primary_key].duplicated().sum() == 0
    assert {(r.child, r.parent) for r in meta.relations} == {
        ("orders", "customers"),
        ("order_items", "orders"),
        ("order_items", "products"),
    }
    assert {c for c, col in meta.tables["customers"].columns.items() if col.sdtype == "pii"} == {
        "name",
        "email",
        "phone",
    }
    orders = demo["orders"]
    assert orders["customer_id"].isin(demo["customers"]["customer_id"]).all()
    signup = orders["customer_id"].map(demo["customers"].set_index("customer_id")["signup_at"])
    assert (orders["ordered_at"].dt.tz_localize(None) >= signup).all()


def test_demo_correlations(demo: dict[str, pd.DataFrame]) -> None:
    customers, orders = demo["customers"], demo["orders"]
    counts = orders.groupby("customer_id").size().reindex(customers["customer_id"], fill_value=0)
    assert 0.1 < (counts == 0).mean() < 0.35  # some customers never ordered
    by_segment = customers.assign(n=counts.to_numpy()).groupby("segment")
    mean_orders = by_segment["n"].mean()
    assert mean_orders["consumer"] < mean_orders["small_business"] < mean_orders["enterprise"]
    limit = by_segment["credit_limit"].median()
    assert limit["consumer"] * 3 < limit["small_business"] < limit["enterprise"] / 3
    price = demo["products"].groupby("category")["price"].median()
    assert price["electronics"] > 5 * price["books"] > price["grocery"]


def test_load_demo_subset_and_unknown() -> None:
    assert list(load_demo(["products"])) == ["products"]
    with pytest.raises(DataError, match=r"unknown demo table\(s\) \['nope'\]"):
        load_demo(["nope"])


def test_run_demo_full_schema(tmp_path: Path, demo: dict[str, pd.DataFrame]) -> None:
    result = run_demo(tmp_path, seed=1, report=False)
    assert result["model"] == "gaussian_copula"
    out = {t: pd.read_parquet(tmp_path / "synthetic" / f"{t}.parquet") for t in TABLES}
    assert len(out["customers"]) == 2000 and len(out["products"]) == 200
    assert 0.7 * len(demo["orders"]) < len(out["orders"]) < 1.3 * len(demo["orders"])
    assert out["orders"]["customer_id"].isin(out["customers"]["customer_id"]).all()
    assert out["order_items"]["order_id"].isin(out["orders"]["order_id"]).all()
    assert out["order_items"]["product_id"].isin(out["products"]["product_id"]).all()
    assert not set(out["customers"]["email"]) & set(demo["customers"]["email"])
    # the model file reloads and samples the same schema
    again = Synthesizer.load(result["model_file"]).sample(scale=0.1, seed=5)
    assert set(again) == set(TABLES)
    assert any(line.startswith("orders per customer: real 3.") for line in result["summary"])


def test_demo_command_single_table_with_report(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        build_cli(), ["demo", "--out", str(tmp_path), "--table", "customers"]
    )
    assert result.exit_code == 0, result.output
    assert "customers          2000            2000" in result.output
    assert f"Model file:     {tmp_path / 'demo.shm'}" in result.output
    assert "quality score: " in result.output
    assert (tmp_path / "report.html").read_text(encoding="utf-8").lstrip().startswith("<")
    assert (tmp_path / "synthetic" / "customers.parquet").is_file()


@pytest.mark.slow
def test_wheel_ships_demo_data(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            str(CORE),
            "-w",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("synthohive_core-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"synthohive/demo/data/{t}.parquet" for t in TABLES} <= names
    assert "synthohive/cli/__init__.py" in names
