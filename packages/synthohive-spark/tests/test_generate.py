"""Distributed generation of the demo schema inside Spark executors (issue 10 item 4)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from synthohive.demo import demo_metadata, load_demo
from synthohive.errors import ConnectorError, DataError
from synthohive.synthesizer import Synthesizer
from synthohive_spark import generate


@pytest.fixture(scope="module")
def synth() -> Synthesizer:
    return Synthesizer(demo_metadata(), seed=0, progress=False).fit(load_demo())


def _collect(frames: dict[str, Any]) -> dict[str, pd.DataFrame]:
    return {t: sdf.toPandas() for t, sdf in frames.items()}


@pytest.mark.spark
def test_distributed_generation_keeps_keys_and_is_deterministic(
    spark: Any, synth: Synthesizer
) -> None:
    meta = demo_metadata()
    frames = generate(spark, synth, scale=0.3, partitions=3, seed=11)
    assert frames["orders"].rdd.getNumPartitions() == 3
    out = _collect(frames)
    assert len(out["customers"]) == round(2000 * 0.3)
    for name, table in meta.tables.items():
        pk = table.primary_key or []
        assert not out[name].duplicated(subset=pk).any(), f"duplicate keys in {name}"
    for fk in meta.relations:
        child = out[fk.child][fk.child_columns].dropna()
        parent = out[fk.parent][fk.parent_columns]
        merged = child.merge(
            parent.drop_duplicates(),
            how="left",
            left_on=fk.child_columns,
            right_on=fk.parent_columns,
            indicator=True,
        )
        assert (merged["_merge"] == "both").all(), f"orphans in {fk.child}"
    again = _collect(generate(spark, synth, scale=0.3, partitions=3, seed=11))
    for name in out:
        pk = meta.tables[name].primary_key or list(out[name].columns)
        a = out[name].sort_values(pk).reset_index(drop=True)
        b = again[name].sort_values(pk).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b)
    other = _collect(generate(spark, synth, scale=0.3, partitions=3, seed=12))
    assert not out["customers"]["credit_limit"].equals(other["customers"]["credit_limit"])


@pytest.mark.spark
def test_bad_partitions_and_rows(spark: Any, synth: Synthesizer) -> None:
    with pytest.raises(DataError, match="partitions"):
        generate(spark, synth, scale=0.1, partitions=0)
    with pytest.raises(DataError, match="not both"):
        generate(spark, synth, rows=10, scale=1.0, partitions=1)


def test_executor_without_the_model_plugin_names_the_package(
    synth: Synthesizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An executor whose environment lacks the model's plugin gets a ConnectorError that
    names the package to install on the cluster (not a bare lookup failure)."""
    import hashlib

    from synthohive.registry import Registry
    from synthohive_spark import distributed

    data = distributed._model_bytes(synth)
    digest = hashlib.sha256(data).hexdigest()

    def missing(self: Registry, name: str) -> Any:
        raise self._not_found("models", "ctgan")

    monkeypatch.setattr(Registry, "get_model", missing)
    monkeypatch.setattr(distributed, "_MODELS", {})
    with pytest.raises(ConnectorError, match="every executor") as info:
        distributed._load(data, digest)
    assert "pip install synthohive-ctgan" in str(info.value)


def _chunked_strings() -> pd.DataFrame:
    import pyarrow as pa

    chunks = pa.chunked_array([["S001", "S002"], ["S003", None]])
    return pd.DataFrame({"store": pd.Series(pd.arrays.ArrowStringArray(chunks)), "n": range(4)})


@pytest.mark.spark
def test_strings_in_several_arrow_chunks_reach_spark(spark: Any) -> None:
    """Found on a 20M-row table: pandas 3 strings held in several Arrow chunks failed in
    Spark's Arrow path ('Cannot convert ChunkedArray to Array') once slices grew large."""
    from synthohive_spark.connector import arrow_friendly

    frame = _chunked_strings()
    assert frame["store"].array._pa_array.num_chunks == 2  # type: ignore[attr-defined]

    def emit(batches: Any) -> Any:
        for _ in batches:
            yield arrow_friendly(_chunked_strings())

    got = spark.range(1).mapInPandas(emit, "store string, n long").toPandas()
    assert got["store"].tolist()[:3] == ["S001", "S002", "S003"] and got["store"].isna()[3]


@pytest.mark.spark
def test_a_frame_with_chunked_strings_is_written_by_the_connector(
    spark: Any, tmp_path: Any
) -> None:
    from synthohive_spark import SparkConnector

    conn = SparkConnector(f"spark+parquet://{tmp_path}", session=spark)
    conn.write("stores", _chunked_strings())
    back = conn.read("stores").sort_values("n")
    assert back["store"].tolist()[:3] == ["S001", "S002", "S003"] and back["store"].isna().iloc[3]
