"""Streaming generation into sinks: chunks written parents-first with 100% referential
integrity in each, flat peak memory as the output grows, atomic sink semantics."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pandas as pd
import pytest

from synthohive.connectors import connect
from synthohive.errors import ConnectorError, DataError
from synthohive.synthesizer import Synthesizer
from synthohive.testing.schemas import (
    RecordingConnector,
    chunk_integrity_problems,
    integrity_problems,
    retail_schema,
)


@pytest.fixture(scope="module")
def fitted() -> tuple[object, Synthesizer]:
    meta, data = retail_schema(seed=1, n_customers=300, n_products=100)
    return meta, Synthesizer(meta, seed=2, progress=False).fit(data)


def test_stream_matches_in_memory_and_every_chunk_is_intact(fitted: tuple) -> None:
    meta, synth = fitted
    sink = RecordingConnector()
    summary = synth.sample(sink=sink, seed=9, chunk_rows=70)
    assert sink.committed and not sink.aborted
    assert summary["chunks"]["customers"] == 5  # 300 rows in chunks of 70
    assert summary["sink"] == "recording://"
    order = [t for t, _ in sink.appends]
    # parents' chunks come before any chunk of their children
    assert max(i for i, t in enumerate(order) if t == "customers") < order.index("orders")
    assert max(i for i, t in enumerate(order) if t == "orders") < order.index("order_items")
    assert chunk_integrity_problems(meta, sink.appends) == []
    streamed = {t: sink.read(t) for t in meta.tables}
    direct = synth.sample(seed=9, chunk_rows=70)
    for name in meta.tables:
        pd.testing.assert_frame_equal(streamed[name], direct[name])
        assert summary["tables"][name] == len(direct[name])


def test_parquet_sink_flat_memory(fitted: tuple, tmp_path: Path) -> None:
    meta, synth = fitted
    synth.sample(scale=0.2, chunk_rows=300)  # warm caches (PII word pools)
    peaks = {}
    for scale in (1, 5):
        url = f"parquet://{tmp_path / f's{scale}'}"
        tracemalloc.start()
        summary = synth.sample(scale=scale, sink=url, chunk_rows=300, seed=scale)
        peaks[scale] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        back = {t: connect(url).read(t) for t in meta.tables}
        assert integrity_problems(meta, back) == []
        assert {t: len(f) for t, f in back.items()} == summary["tables"]
    assert summary["tables"]["customers"] == 1500
    # five times the rows, (nearly) the same peak: only chunks and key columns are held
    assert peaks[5] < 1.6 * peaks[1] + 1_000_000, peaks


def test_sink_modes_and_failures(fitted: tuple, tmp_path: Path) -> None:
    _meta, synth = fitted
    url = f"parquet://{tmp_path / 'out'}"
    synth.sample(scale=0.2, sink=url, seed=1)
    first = connect(url).read("orders")
    with pytest.raises(ConnectorError):
        synth.sample(scale=0.2, sink=url, seed=2)  # mode="error": target exists
    pd.testing.assert_frame_equal(connect(url).read("orders"), first)
    synth.sample(scale=0.3, sink=url, seed=2, mode="overwrite")
    assert len(connect(url).read("customers")) == 90

    class Failing(RecordingConnector):
        def begin_write(self, metadata: object = None, mode: str = "error") -> object:  # type: ignore[override]
            session = super().begin_write()
            original = session.append

            def append(table: str, frame: pd.DataFrame) -> None:
                if table == "order_items":
                    raise ConnectorError("disk full", table=table)
                original(table, frame)

            session.append = append  # type: ignore[method-assign]
            return session

    failing = Failing()
    with pytest.raises(ConnectorError, match="disk full"):
        synth.sample(scale=0.2, sink=failing)
    assert failing.aborted and not failing.committed
    with pytest.raises(DataError, match="chunk_rows"):
        synth.sample(chunk_rows=0)
    with pytest.raises(DataError, match="sink"):
        synth.sample(sink=42)


def test_fit_from_url_and_connector(tmp_path: Path) -> None:
    meta, data = retail_schema(seed=5, n_customers=120, n_products=40)
    url = f"parquet://{tmp_path / 'real'}"
    conn = connect(url)
    with conn.begin_write(meta, "error") as session:
        for name, frame in data.items():
            session.append(name, frame)
    from_url = Synthesizer(meta, seed=0, progress=False).fit(url).sample(seed=1)
    from_conn = Synthesizer(meta, seed=0, progress=False).fit(connect(url)).sample(seed=1)
    from_dict = Synthesizer(meta, seed=0, progress=False).fit(data).sample(seed=1)
    for name in meta.tables:
        pd.testing.assert_frame_equal(from_url[name], from_conn[name])
        pd.testing.assert_frame_equal(from_url[name], from_dict[name])
    assert integrity_problems(meta, from_url) == []
