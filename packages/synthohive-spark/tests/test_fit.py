"""Distributed fitting (#22 item 2): every table's model fitted on a Spark executor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from synthohive.errors import ConnectorError, PrivacyBudgetError
from synthohive.privacy import DPConfig, PrivacyConfig
from synthohive.synthesizer import Synthesizer
from synthohive.synthesizer.tasks import FitTask
from synthohive.testing.data import frame_digest
from synthohive.testing.schemas import deep_schema, integrity_problems
from synthohive_spark import fit


def _members(path: Path) -> set[str]:
    import zipfile

    with zipfile.ZipFile(path) as z:
        return set(z.namelist())


@pytest.mark.spark
def test_an_eleven_table_schema_fitted_on_executors_equals_the_local_fit(
    spark: Any, tmp_path: Path
) -> None:
    meta, tables = deep_schema(0, extra=True)
    assert len(tables) == 11
    local = Synthesizer(meta, seed=5, progress=False).fit(tables)
    spread = fit(spark, meta, tables, path=str(tmp_path / "spark.shm"), seed=5, progress=False)
    local.save(tmp_path / "local.shm")
    assert _members(tmp_path / "spark.shm") == _members(tmp_path / "local.shm")
    assert {t: p.model_name for t, p in spread.fitted_.plans.items()} == {
        t: p.model_name for t, p in local.fitted_.plans.items()
    }
    a, b = local.sample(scale=1.0, seed=9), spread.sample(scale=1.0, seed=9)
    assert {t: frame_digest(f) for t, f in a.items()} == {t: frame_digest(f) for t, f in b.items()}
    assert integrity_problems(meta, b) == []
    cold = Synthesizer.load(tmp_path / "spark.shm").sample(scale=1.0, seed=9)
    assert {t: frame_digest(f) for t, f in cold.items()} == {
        t: frame_digest(f) for t, f in a.items()
    }


@pytest.mark.spark
def test_a_fit_failing_on_an_executor_raises_its_own_error_naming_the_table(spark: Any) -> None:
    meta, tables = deep_schema(0, extra=True)
    private = PrivacyConfig(dp=DPConfig(epsilon=0.01))
    with pytest.raises(PrivacyBudgetError, match="executor") as info:
        fit(spark, meta, tables, seed=0, progress=False, privacy=private)
    assert info.value.table in tables and info.value.column
    assert "raise epsilon" in (info.value.fix or "")


def test_an_executor_without_the_model_plugin_names_the_table_and_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from synthohive.registry import Registry
    from synthohive.testing.data import mixed_table
    from synthohive_spark.fitting import _fit_one, _land

    data, table = mixed_table(50)
    task = FitTask(0, "orders", "ctgan", None, 0, "cpu", data, table)

    def missing(self: Registry, name: str) -> Any:
        raise self._not_found("models", "ctgan")

    monkeypatch.setattr(Registry, "get_model", missing)
    index, result = _fit_one((0, task))
    assert index == 0 and result[0] == "error"
    with pytest.raises(ConnectorError, match="every executor") as info:
        _land(task, result)
    assert info.value.table == "orders" and "pip install synthohive-ctgan" in str(info.value)


@pytest.mark.spark
def test_a_source_larger_than_max_rows_is_sampled_by_subtrees_and_regenerated_whole(
    spark: Any, folder: Path
) -> None:
    """#22 item 3: tables larger than the driver's bound are read as whole parent subtrees
    (a child is never cut from its parent) and scale 1 gives back the full tables' sizes."""
    from synthohive.metadata.schema import Metadata
    from synthohive.testing.data import customers_orders
    from synthohive.validation.stats import ks_statistic
    from synthohive_spark import SparkConnector

    full = customers_orders(20_000)
    meta = Metadata.detect(full)
    conn = SparkConnector(f"spark+parquet://{folder}", session=spark, max_rows=8_000)
    for name, frame in full.items():
        conn.write(name, frame)
    read = conn.read_all(metadata=meta)
    assert len(read["orders"]) <= 8_000 and len(read["customers"]) < 8_000
    kept = set(read["customers"]["customer_id"])
    assert read["orders"]["customer_id"].isin(kept).all()  # no order without its customer
    per_read = read["orders"].groupby("customer_id").size()
    per_full = full["orders"].groupby("customer_id").size()
    assert (per_read == per_full.reindex(per_read.index)).all()  # every order of a kept one

    synth = fit(spark, meta, conn, seed=0, progress=False)
    out = synth.sample(scale=1.0, seed=3)
    assert len(out["customers"]) == 20_000
    assert abs(len(out["orders"]) / len(full["orders"]) - 1) < 0.05
    fake = out["orders"].groupby("customer_id").size()
    fake = fake.reindex(out["customers"]["customer_id"], fill_value=0).to_numpy(float)
    real = per_full.reindex(full["customers"]["customer_id"], fill_value=0).to_numpy(float)
    assert ks_statistic(real, fake) < 0.05


@pytest.mark.spark
def test_a_folder_of_table_files_is_refused_with_the_layout_spark_reads(
    spark: Any, tmp_path: Path
) -> None:
    """Found fitting the Chinook CSV folder through spark+csv://: Spark's folder layout is one
    sub-folder per table, so a folder of <table>.csv files held no tables and the fit failed
    with 'cannot learn from a dict'."""
    import pandas as pd

    from synthohive_spark import SparkConnector

    for name in ("artist", "album"):
        pd.DataFrame({f"{name}_id": [1, 2, 3]}).to_csv(tmp_path / f"{name}.csv", index=False)
    source = SparkConnector(f"spark+csv://{tmp_path}", session=spark, max_rows=100)
    with pytest.raises(ConnectorError, match="no tables in spark\\+csv://") as info:
        Synthesizer(seed=0, progress=False).fit(source)
    assert "file connector" in str(info.value)
