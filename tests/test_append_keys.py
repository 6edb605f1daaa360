"""``sample(sink=..., mode="append")`` continues generated keys after what the target holds
(issue #18 item 4): appending twice into Parquet/CSV folders, SQLite, PostgreSQL and MariaDB
leaves 0 repeated primary keys and 0 dangling foreign keys, for sequence, pattern (INV-000123),
UUID and composite keys, copied reference tables and self-references."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from synthohive import Synthesizer
from synthohive.connectors import connect
from synthohive.connectors.memory import MemoryConnector
from synthohive.errors import DataError
from synthohive.metadata.schema import Metadata
from synthohive.synthesizer.append import AppendPlan, _pattern_max, append_offsets
from synthohive.testing.schemas import Schema, deep_schema, integrity_problems, retail_schema
from synthohive_sql.testing import backend_url

SINKS = [
    "parquet",
    "csv",
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mariadb", marks=pytest.mark.mariadb),
]
SCHEMAS: dict[str, Callable[[], Schema]] = {
    "retail": lambda: retail_schema(seed=0, n_customers=200, n_products=60),
    "deep": lambda: deep_schema(seed=0),
}


@pytest.fixture(scope="module", params=list(SCHEMAS))
def fitted(request: pytest.FixtureRequest) -> tuple[Metadata, dict[str, pd.DataFrame], Synthesizer]:
    meta, data = SCHEMAS[request.param]()
    synth = Synthesizer(meta, seed=7, progress=False).fit(data)
    return meta, data, synth


@pytest.fixture(params=SINKS)
def sink_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    kind = request.param
    if kind in ("parquet", "csv"):
        yield f"{kind}://{tmp_path / 'out'}"
        return
    with backend_url(kind, str(tmp_path)) as url:
        yield url


def _whole_floats_as_int(frame: pd.DataFrame) -> pd.DataFrame:
    """CSV reads a nullable integer key as float (12.0); compare it as the integer it is."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            values = out[col].dropna()
            if len(values) and (values == np.floor(values)).all():
                out[col] = out[col].astype("Int64")
    return out


def _read(url: str, meta: Metadata) -> dict[str, pd.DataFrame]:
    conn = connect(url)
    try:
        return {t: _whole_floats_as_int(conn.read(t)) for t in meta.tables}
    finally:
        conn.close()


def test_append_twice_keeps_keys_unique_and_references_valid(
    fitted: tuple[Metadata, dict[str, pd.DataFrame], Synthesizer], sink_url: str
) -> None:
    meta, _, synth = fitted
    runs = [synth.sample(scale=0.5, sink=sink_url, mode="append", chunk_rows=150, seed=3)]
    first = _read(sink_url, meta)
    for _ in range(2):  # the same seed each time: keys must still not repeat
        runs.append(synth.sample(scale=0.5, sink=sink_url, mode="append", chunk_rows=150, seed=3))
    out = _read(sink_url, meta)
    assert integrity_problems(meta, out) == []
    for name, table in meta.tables.items():
        written = sum(r["tables"][name] for r in runs)
        copied = synth.fitted_.plans[name].strategy == "copy"
        # reference data is written once; every later run reuses its keys
        assert len(out[name]) == (len(first[name]) if copied else written), name
        pk = table.primary_key or []
        assert pk and not out[name].duplicated(subset=pk).any(), name
    for name in meta.tables:  # sequence keys continue after the first run's largest key
        plan = synth.fitted_.plans[name]
        for col, spec in plan.key_specs.items():
            if spec.kind == "int" and col not in plan.grouped_keys and plan.strategy != "copy":
                old = first[name][col]
                new = out[name][col][~out[name][col].isin(old)]
                assert len(new) and new.min() > old.max(), (name, col)


def test_append_after_the_real_data(tmp_path: Path) -> None:
    """A target holding the training data itself (keys from 1 or INV-000000): new keys
    continue after them."""
    meta, data = retail_schema(seed=1, n_customers=150, n_products=40)
    synth = Synthesizer(meta, seed=2, progress=False).fit(data)
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    conn = connect(url)
    with conn.begin_write(meta, "error") as session:
        for name in ("customers", "products", "orders", "order_items"):
            session.append(name, data[name])
    conn.close()
    synth.sample(scale=1.0, sink=url, mode="append")
    out = _read(url, meta)
    assert integrity_problems(meta, out) == []
    for name in meta.tables:
        copied = synth.fitted_.plans[name].strategy == "copy"  # already there: reused, not repeated
        assert len(out[name]) == len(data[name]) if copied else len(out[name]) > len(data[name])


def test_offsets_follow_sequence_and_pattern_keys() -> None:
    meta, data = retail_schema(seed=0, n_customers=100, n_products=30)
    synth = Synthesizer(meta, seed=0, progress=False).fit(data)
    target = MemoryConnector(tables={t: data[t] for t in ("customers", "orders")})
    plan = append_offsets(synth.fitted_, target)
    offsets = plan.offsets
    cust_spec = synth.fitted_.plans["customers"].key_specs["customer_id"]
    assert offsets["customers"] == int(data["customers"]["customer_id"].max()) - cust_spec.start + 1
    order_spec = synth.fitted_.plans["orders"].key_specs["order_id"]
    assert order_spec.kind == "pattern"
    top = int(data["orders"]["order_id"].str.extract(r"(\d+)")[0].astype(int).max())
    assert offsets["orders"] == top - order_spec.start + 1
    assert offsets["products"] == 0  # not in the target yet
    assert AppendPlan(offsets={"a": 0}, held=[0]).seed(5) == 5
    assert plan.seed(5) != 5


def test_pattern_max_ignores_other_styles() -> None:
    values = pd.Series(["INV-000007", "INV-12", "X-999", "INV-00a1", None, "INV-000100-B"])
    assert _pattern_max(values, "INV-", "") == 12
    assert _pattern_max(pd.Series(["INV-000"]), "INV-", "") == 0
    assert _pattern_max(pd.Series([], dtype=object), "INV-", "") is None


def test_copied_reference_table_that_differs_is_refused(tmp_path: Path) -> None:
    meta, data = deep_schema(seed=0)
    synth = Synthesizer(meta, seed=1, progress=False).fit(data)
    assert synth.fitted_.plans["regions"].strategy == "copy"
    url = f"parquet://{tmp_path / 'out'}"
    other = data["regions"].assign(region_id=data["regions"]["region_id"] + 1000)
    connect(url).write("regions", other)
    with pytest.raises(DataError, match="regions"):
        synth.sample(scale=0.2, sink=url, mode="append")
    assert connect(url).list_tables() == ["regions"]  # nothing else written


def _uuid_frame(n: int) -> pd.DataFrame:
    import uuid

    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {"id": [str(uuid.UUID(int=int(x))) for x in rng.integers(0, 2**62, n)], "v": rng.random(n)}
    )


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_single_table_uuid_and_int_keys_append(fmt: str, tmp_path: Path) -> None:
    frames: dict[str, Any] = {
        "u": _uuid_frame(80),
        "s": pd.DataFrame({"id": np.arange(10, 90), "v": np.linspace(0, 1, 80)}),
    }
    for name, frame in frames.items():
        meta = Metadata.detect(frame, table_name=name)
        meta.set_primary_key(name, "id")
        synth = Synthesizer(meta, seed=4, progress=False).fit(frame)
        url = f"{fmt}://{tmp_path / name}"
        for _ in range(3):
            synth.sample(50, sink=url, mode="append", seed=9)
        out = connect(url).read(name)
        assert len(out) == 150 and out["id"].is_unique, name
