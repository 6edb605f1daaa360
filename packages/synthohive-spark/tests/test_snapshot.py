"""T-S10: multi-table reads under a concurrent writer see one snapshot with no orphans.

A writer thread appends batches of new customers, then their orders, then the orders' items,
while the connector reads. To make the race certain rather than lucky, a spy on the pinning
waits, after each table pinned, until a batch that started after that pin has been written.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from synthohive.errors import ConnectorError
from synthohive.metadata.schema import Column, Metadata, Table
from synthohive_spark import snapshot as snapshot_mod
from synthohive_spark.connector import SparkConnector
from synthohive_spark.snapshot import drop_orphans, pin_order

Append = Callable[[str, pd.DataFrame], None]
KEYS = {"customers": "cid", "orders": "oid", "items": "iid"}


def _meta() -> Metadata:
    def table(name: str, cols: list[str]) -> Table:
        return Table(
            name=name,
            primary_key=[KEYS[name]],
            columns={c: Column(sdtype="id" if c in KEYS.values() else "numerical") for c in cols},
        )

    meta = Metadata(
        tables={
            "customers": table("customers", ["cid", "score"]),
            "orders": table("orders", ["oid", "cid", "amount"]),
            "items": table("items", ["iid", "oid", "qty"]),
        }
    )
    meta.add_foreign_key("orders", "cid", "customers")
    meta.add_foreign_key("items", "oid", "orders")
    return meta


def _batch(b: int) -> dict[str, pd.DataFrame]:
    """Batch ``b``: 2 customers, 3 orders of theirs, 3 items of those orders (new keys only)."""
    base = b * 10
    return {
        "customers": pd.DataFrame({"cid": [base, base + 1], "score": [1.0 * b, 2.0]}),
        "orders": pd.DataFrame(
            {"oid": [base, base + 1, base + 2], "cid": [base, base + 1, base], "amount": 3.5}
        ),
        "items": pd.DataFrame(
            {"iid": [base, base + 1, base + 2], "oid": [base, base + 1, base], "qty": b}
        ),
    }


class Writer(threading.Thread):
    """Appends batch 1, 2, ... (parents, then children) until halted or ``limit`` batches."""

    def __init__(self, append: Append, limit: int = 60, pause: float = 0.3) -> None:
        super().__init__(daemon=True)
        self.append, self.limit, self.pause = append, limit, pause
        self.started = self.done = 0
        self.error: BaseException | None = None
        self.halt = threading.Event()
        self.cond = threading.Condition()

    def run(self) -> None:
        try:
            for b in range(1, self.limit + 1):
                if self.halt.is_set():
                    break
                with self.cond:
                    self.started = b
                for table, frame in _batch(b).items():
                    self.append(table, frame)
                with self.cond:
                    self.done = b
                    self.cond.notify_all()
                self.halt.wait(self.pause)
        except BaseException as exc:  # reported by wait_new_batch / stop
            self.error = exc
        finally:
            with self.cond:
                self.cond.notify_all()

    def wait_new_batch(self, timeout: float = 30) -> None:
        """Block until a batch that started after this call has been fully written."""
        with self.cond:
            target = self.started + 1
            self.cond.wait_for(
                lambda: self.done >= target or self.error is not None or not self.is_alive(),
                timeout,
            )
            assert self.error is None, self.error
            assert self.done >= target, f"writer stalled at batch {self.done}"

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=60)
        assert not self.is_alive() and self.error is None, self.error


def _file_appender(folder: Callable[[str], Path], fmt: str) -> Append:
    """An external writer: one new data file per append, made visible by an atomic rename."""

    def append(table: str, frame: pd.DataFrame) -> None:
        target = folder(table)
        name = f"part-{uuid.uuid4().hex}.{fmt}"
        tmp = target / f".{name}.tmp"
        if fmt == "csv":
            frame.to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)
        tmp.rename(target / name)

    return append


@pytest.fixture(params=["parquet", "csv", "catalog", "parquet-spark-writer"])
def source(request: pytest.FixtureRequest, spark: Any, folder: Path) -> Iterator[Any]:
    """A connector holding batch 0 of the schema, and the writer's append function."""
    kind: str = request.param
    first = _batch(0)
    if kind == "catalog":
        db = f"shv_snap_{uuid.uuid4().hex[:8]}"
        spark.sql(f"CREATE DATABASE `{db}`")
        for table, frame in first.items():
            spark.createDataFrame(frame).write.saveAsTable(f"`{db}`.`{table}`")
        conn = SparkConnector(f"spark://{db}", session=spark)
        where = {t: str(snapshot_mod.source(conn, t).location) for t in first}
        yield conn, _file_appender(lambda t: Path(where[t].removeprefix("file:")), "parquet")
        spark.sql(f"DROP DATABASE `{db}` CASCADE")
        return
    fmt = kind.split("-")[0]
    conn = SparkConnector(f"spark+{fmt}://{folder}", session=spark)
    with conn.begin_write(None, "error") as s:
        for table, frame in first.items():
            s.append(table, frame)
    if kind == "parquet-spark-writer":
        yield conn, lambda t, f: conn.write(t, f, mode="append")
    else:
        yield conn, _file_appender(lambda t: folder / t, fmt)


def _interleave(
    monkeypatch: pytest.MonkeyPatch, writer: Writer, rounds: int = snapshot_mod.PIN_ROUNDS
) -> None:
    """In the first ``rounds`` rounds of pins, let the writer land a new batch between pins."""
    real = snapshot_mod.pin
    calls = [0]

    def spy(connector: SparkConnector, src: Any) -> Any:
        pinned = real(connector, src)
        calls[0] += 1
        if calls[0] % len(KEYS) and calls[0] < rounds * len(KEYS):
            writer.wait_new_batch()
        return pinned

    monkeypatch.setattr(snapshot_mod, "pin", spy)


def _collect(frames: dict[str, Any]) -> dict[str, pd.DataFrame]:
    out = {}
    for t, f in frames.items():
        df = f.toPandas() if not isinstance(f, pd.DataFrame) else f
        out[t] = df.sort_values(KEYS[t]).reset_index(drop=True)
    return out


def _orphans(frames: dict[str, pd.DataFrame]) -> int:
    orders, items = frames["orders"], frames["items"]
    bad_orders = orders["cid"].notna() & ~orders["cid"].isin(frames["customers"]["cid"])
    bad_items = items["oid"].notna() & ~items["oid"].isin(orders["oid"])
    return int(bad_orders.sum() + bad_items.sum())


@pytest.mark.spark
@pytest.mark.timeout(120)
def test_snapshot_under_concurrent_writer_has_no_orphans(  # T-S10
    spark: Any, source: Any, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    conn, append = source
    meta = _meta()
    writer = Writer(append)
    # the Spark writer takes seconds a batch: force the race in the first round of pins only
    _interleave(monkeypatch, writer, rounds=1 if "spark" in request.node.callspec.id else 3)
    writer.start()
    try:
        snap = conn.snapshot(metadata=meta)
        assert snap.order == ["items", "orders", "customers"]
        during = writer.done
        assert during >= 2  # whole batches landed between the pins
        first = _collect(snap.frames)
        assert _orphans(first) == 0
        for t, sdf in snap.frames.items():  # the frames read exactly the pinned files
            assert set(sdf.inputFiles()) == set(snap.pins[t].files)
        writer.wait_new_batch()
        again = _collect(snap.frames)  # later rows never show: the snapshot is fixed
        for t in first:
            pd.testing.assert_frame_equal(again[t], first[t])
    finally:
        writer.stop()
    assert writer.done > during
    quiet = conn.snapshot(metadata=meta)  # refreshed: conn.read on a catalog table can be stale
    assert quiet.consistent
    final = _collect(quiet.frames)
    assert _orphans(final) == 0
    for t in KEYS:  # the writer kept adding rows that the snapshot does not have
        assert set(first[t][KEYS[t]]) < set(final[t][KEYS[t]])


@pytest.fixture
def parquet_source(spark: Any, folder: Path) -> tuple[SparkConnector, Append]:
    conn = SparkConnector(f"spark+parquet://{folder}", session=spark)
    first = _batch(0)
    first["orders"] = pd.concat(  # an order with no customer: a null key is no orphan
        [first["orders"], pd.DataFrame({"oid": [9], "cid": [None], "amount": [1.0]})]
    ).astype({"cid": "Int64"})
    with conn.begin_write(None, "error") as s:
        for table, frame in first.items():
            s.append(table, frame)
    return conn, _file_appender(lambda t: folder / t, "parquet")


@pytest.mark.spark
@pytest.mark.timeout(120)
def test_read_all_under_concurrent_writer_has_no_orphans(  # T-S10, the training read path
    spark: Any, parquet_source: tuple[SparkConnector, Append], monkeypatch: pytest.MonkeyPatch
) -> None:
    conn, append = parquet_source
    reader = SparkConnector(conn.url, session=spark, metadata=_meta())  # FKs from the connector
    writer = Writer(append)
    _interleave(monkeypatch, writer)
    writer.start()
    try:
        frames = reader.read_all(list(KEYS), orphans="error")  # as Synthesizer.fit calls it
        during = writer.done
    finally:
        writer.stop()
    assert during >= 2 * snapshot_mod.PIN_ROUNDS
    read = _collect(frames)
    assert _orphans(read) == 0
    assert 9 in set(read["orders"]["oid"])  # the order with a null customer key is kept
    assert len(read["customers"]) < len(conn.read("customers"))


@pytest.mark.spark
@pytest.mark.timeout(120)
def test_naive_parents_first_read_sees_orphans(
    spark: Any, parquet_source: tuple[SparkConnector, Append]
) -> None:
    """The same race breaks a plain read of parents, then children: the test can fail."""
    conn, append = parquet_source
    writer = Writer(append)
    writer.start()
    try:
        naive = {"customers": conn.read("customers")}
        for table in ["orders", "items"]:
            writer.wait_new_batch()
            naive[table] = conn.read(table)
    finally:
        writer.stop()
    assert _orphans(_collect(naive)) >= 2 * 3  # each batch between reads: 3 orphan children


@pytest.mark.spark
@pytest.mark.timeout(120)
def test_orphan_guard_drops_and_logs(
    spark: Any,
    parquet_source: tuple[SparkConnector, Append],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Pinned parents first (the wrong order), the guard still leaves no orphan."""
    conn, append = parquet_source
    meta = _meta()
    monkeypatch.setattr(snapshot_mod, "pin_order", lambda tables, metadata: list(KEYS))
    writer = Writer(append)
    _interleave(monkeypatch, writer)
    writer.start()
    try:
        snap = conn.snapshot(metadata=meta)
    finally:
        writer.stop()
    raw = _collect(snap.frames)
    assert _orphans(raw) >= 2 * 3
    with caplog.at_level(logging.WARNING):
        kept = _collect(drop_orphans(snap.frames, meta, "keep"))
        dropped = _collect(drop_orphans(snap.frames, meta, "drop"))
    events = [r.msg for r in caplog.records if isinstance(r.msg, dict)]
    assert {e["event"] for e in events} >= {"spark.snapshot.orphans_kept"}
    assert all(kept[t].equals(raw[t]) for t in KEYS)
    assert _orphans(dropped) == 0
    assert dropped["customers"].equals(raw["customers"])
    assert 9 in set(dropped["orders"]["oid"])  # the null-key order stays
    logged = {
        e["table"]: e["rows"] for e in events if e["event"] == "spark.snapshot.orphans_dropped"
    }
    assert logged == {t: len(raw[t]) - len(dropped[t]) for t in ["orders", "items"]}
    with pytest.raises(ConnectorError, match="not in the snapshot") as err:
        drop_orphans(snap.frames, meta, "error")
    assert err.value.table == "orders"


@pytest.mark.spark
def test_quiet_tables_give_a_consistent_snapshot(spark: Any, folder: Path) -> None:
    conn = SparkConnector(f"spark+parquet://{folder}", session=spark)
    names = ["q[1]*?{a,b}", "my table", "名前"]  # glob characters are read literally
    for i, name in enumerate(names):
        conn.write(name, pd.DataFrame({"id": range(i + 2)}))
    snap = conn.snapshot()
    assert snap.consistent and snap.rounds == 2
    assert {t: len(f.toPandas()) for t, f in snap.frames.items()} == {
        n: i + 2 for i, n in enumerate(names)
    }
    assert {t: len(f) for t, f in conn.read_all(names).items()} == {
        n: i + 2 for i, n in enumerate(names)
    }


def test_pin_order_puts_children_first() -> None:
    meta = _meta()
    assert pin_order(["customers", "other", "items", "orders"], meta) == [
        "items",
        "orders",
        "customers",
        "other",
    ]
    assert pin_order(["b", "a"], None) == ["b", "a"]
    with pytest.raises(ConnectorError, match="orphan policy"):
        drop_orphans({}, meta, "ignore")  # type: ignore[arg-type]
