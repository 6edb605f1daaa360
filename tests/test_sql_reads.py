"""Reflection, typed reads, streaming and key-safe subsets against live PostgreSQL, MariaDB and
SQLite (RELIABILITY T-S4). A service that is down fails the test (CI starts them)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from synthohive.errors import ConnectorError
from synthohive_sql.connector import SQLConnector
from synthohive_sql.testing import backend_url

BACKENDS = [
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mariadb", marks=pytest.mark.mariadb),
    "sqlite",
]


@pytest.fixture(params=BACKENDS)
def conn(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[SQLConnector]:
    with backend_url(request.param, str(tmp_path)) as url:
        c = SQLConnector(url)
        yield c
        c.close()


def _retail(conn: SQLConnector) -> None:
    """stores(id) <- customers(store_id); orders(cust, store) -> composite FK into customers;
    items(order_id) -> orders."""
    md = sa.MetaData(schema=conn.schema)
    sa.Table(
        "stores",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("city", sa.String(40), nullable=False),
        sa.Column("code", sa.String(10), unique=True),
    )
    sa.Table(
        "customers",
        md,
        sa.Column(
            "store_id",
            sa.Integer,
            sa.ForeignKey("stores.id"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("num", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("vip", sa.Boolean, nullable=False),
        sa.Column("born", sa.Date),
        sa.Column("balance", sa.Numeric(10, 2)),
        sa.Column("visits", sa.Integer),
    )
    sa.Table(
        "orders",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("store_id", sa.Integer, nullable=False),
        sa.Column("cust_num", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True)),
        sa.ForeignKeyConstraint(["store_id", "cust_num"], ["customers.store_id", "customers.num"]),
    )
    sa.Table(
        "items",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("price", sa.Float),
    )
    md.create_all(conn.engine)
    rng = np.random.default_rng(0)
    stores = [{"id": i, "city": f"c{i % 3}", "code": f"S{i}"} for i in range(5)]
    customers = [
        {
            "store_id": i % 5,
            "num": i,
            "vip": bool(i % 2),
            "born": date(1980, 1, 1 + i % 28) if i % 4 else None,
            "balance": Decimal(f"{i}.25") if i % 3 else None,
            "visits": int(i) if i % 5 else None,
        }
        for i in range(60)
    ]
    orders = [
        {
            "id": i,
            "store_id": (i % 60) % 5,
            "cust_num": i % 60,
            "at": datetime(2024, 1, 1, i % 24, tzinfo=UTC),
        }
        for i in range(300)
    ]
    items = [
        {"id": i, "order_id": int(rng.integers(0, 300)), "price": float(i) / 4} for i in range(900)
    ]
    with conn.engine.begin() as db:
        for name, rows in (
            ("stores", stores),
            ("customers", customers),
            ("orders", orders),
            ("items", items),
        ):
            db.execute(md.tables[f"{conn.schema}.{name}" if conn.schema else name].insert(), rows)


def test_reflect_keys_types_and_typed_reads(conn: SQLConnector) -> None:
    _retail(conn)
    meta = conn.metadata()
    assert set(meta.tables) == {"stores", "customers", "orders", "items"}
    cust = meta.table("customers")
    assert cust.primary_key == ["store_id", "num"]
    rels = {
        (r.child, tuple(r.child_columns), r.parent, tuple(r.parent_columns)) for r in meta.relations
    }
    assert rels == {
        ("customers", ("store_id",), "stores", ("id",)),
        ("orders", ("store_id", "cust_num"), "customers", ("store_id", "num")),
        ("items", ("order_id",), "orders", ("id",)),
    }
    assert cust.columns["vip"].sdtype == "boolean" and not cust.columns["vip"].nullable
    assert cust.columns["balance"].sdtype == "numerical"
    assert cust.columns["balance"].rounding == 2
    assert cust.columns["visits"].integer and cust.columns["visits"].dtype == "Int64"
    assert cust.columns["born"].sdtype == "datetime"
    assert meta.table("orders").columns["cust_num"].sdtype == "id"
    assert meta.table("stores").columns["code"].sdtype == "id"  # unique constraint
    if conn.backend == "postgresql":
        assert meta.table("orders").columns["at"].timezone == "UTC"

    frame = conn.read("customers")
    assert len(frame) == 60
    assert str(frame["visits"].dtype) == "Int64" and frame["visits"].isna().sum() == 12
    assert str(frame["num"].dtype) == "int64"
    assert frame["vip"].dtype == bool
    assert frame["balance"].dtype == np.float64
    assert frame.loc[frame["num"] == 7, "balance"].item() == 7.25
    assert str(frame["born"].dtype) == "datetime64[us]"
    assert not any(frame[c].dtype == object for c in frame.columns)
    at = conn.read("orders")["at"]
    if conn.backend == "postgresql":
        assert str(at.dtype) == "datetime64[us, UTC]"
        assert at.iloc[5] == pd.Timestamp("2024-01-01 05:00", tz="UTC")
    else:  # no zoned type: naive datetimes
        assert str(at.dtype) == "datetime64[us]"
    assert list(conn.read("items", columns=["price", "id"], limit=3).columns) == ["price", "id"]
    with pytest.raises(ConnectorError, match="no such column"):
        conn.read("items", columns=["nope"])


def test_key_safe_subset(conn: SQLConnector) -> None:
    _retail(conn)
    meta = conn.metadata()
    full = {t: conn.read(t) for t in meta.tables}
    options: list[dict[str, Any]] = [{"roots": {"stores": 2}}, {"fraction": 0.5}]
    for kwargs in options:
        sub = conn.read_subset(meta, seed=3, **kwargs)
        # every child's parents are present
        for rel in meta.relations:
            child = sub[rel.child][rel.child_columns].drop_duplicates()
            parent = sub[rel.parent][rel.parent_columns]
            joined = child.merge(
                parent,
                left_on=rel.child_columns,
                right_on=rel.parent_columns,
                how="left",
                indicator=True,
            )
            assert (joined["_merge"] == "both").all(), rel
        # sampled roots keep all their children
        kept = set(sub["stores"]["id"])
        expected = full["customers"][full["customers"]["store_id"].isin(kept)]
        assert len(sub["customers"]) == len(expected)
        assert 0 < len(sub["items"]) < len(full["items"])
    again = conn.read_subset(meta, roots={"stores": 2}, seed=3)
    first = conn.read_subset(meta, roots={"stores": 2}, seed=3)
    assert sorted(again["stores"]["id"]) == sorted(first["stores"]["id"])


@pytest.mark.postgres
def test_streaming_read_uses_server_side_cursor_and_flat_memory() -> None:
    """T-S4 (scaled to 300k rows for time): chunks come through a server-side cursor that is
    still open while the first chunk is in hand (pg_cursors), all rows arrive, and the memory
    taken to get the first chunk grows with the chunk size, not with the table (a buffering
    driver would hold all 300k rows before the first chunk)."""
    with backend_url("postgres") as url:
        conn = SQLConnector(url)
        n = 300_000
        ids = np.arange(n)
        conn.write("big", pd.DataFrame({"id": ids, "x": ids * 0.5, "s": (ids % 97).astype(str)}))
        seen: list[Any] = []

        def _on(db: Any, _cur: Any, stmt: str, *_: Any) -> None:
            if "FROM" in stmt and "big" in stmt and not seen:
                seen.append(db)

        sa.event.listen(conn.engine, "after_cursor_execute", _on)
        chunks = conn.iter_chunks("big", chunksize=50_000)
        first = next(chunks)
        cursors = seen[0].exec_driver_sql("SELECT statement FROM pg_cursors").all()
        assert any("big" in row[0] for row in cursors), cursors
        rows = len(first) + sum(len(c) for c in chunks)
        sa.event.remove(conn.engine, "after_cursor_execute", _on)
        assert rows == n and len(first) == 50_000

        def first_chunk_peak(chunksize: int) -> int:
            tracemalloc.start()
            it = conn.iter_chunks("big", chunksize=chunksize)
            chunk = next(it)
            _, top = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            it.close()  # type: ignore[attr-defined]
            assert len(chunk) == chunksize
            return top

        small = first_chunk_peak(5_000)
        large = first_chunk_peak(30_000)
        assert large > 3 * small, (small, large)  # proportional to the chunk, not the table
        conn.close()


def test_chunk_boundaries_lose_no_rows(conn: SQLConnector) -> None:
    for n in (0, 1, 9, 10, 11):
        conn.write(f"t{n}", pd.DataFrame({"a": np.arange(n)}))
        sizes = [len(c) for c in conn.iter_chunks(f"t{n}", chunksize=5)]
        assert sum(sizes) == n and all(s <= 5 for s in sizes)
        assert sorted(conn.read(f"t{n}")["a"].tolist()) == list(range(n))


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ],
)
def test_read_all_is_one_snapshot(kind: str) -> None:
    """T-S10: a writer adds a parent and its child between our reads of the two tables; the
    snapshot read still has no orphans."""
    from synthohive_sql._engine import split_url

    with backend_url(kind) as url:
        conn = SQLConnector(url)
        md = sa.MetaData(schema=conn.schema)
        parent = sa.Table(
            "parent", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False)
        )
        child = sa.Table(
            "child",
            md,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("pid", sa.ForeignKey(parent.c.id)),
        )
        md.create_all(conn.engine)
        with conn.engine.begin() as db:
            db.execute(parent.insert(), [{"id": 1}])
            db.execute(child.insert(), [{"id": 1, "pid": 1}])
        other = sa.create_engine(split_url(url, None)[0])
        fired: list[bool] = []

        def _writer(_c: Any, _cur: Any, stmt: str, *_: Any) -> None:
            if "SELECT" in stmt and "child" in stmt and not fired:  # parent already read
                fired.append(True)
                with other.begin() as db:
                    db.execute(parent.insert(), [{"id": 2}])
                    db.execute(child.insert(), [{"id": 2, "pid": 2}])

        sa.event.listen(conn.engine, "before_cursor_execute", _writer)
        frames = conn.read_all(["parent", "child"])
        sa.event.remove(conn.engine, "before_cursor_execute", _writer)
        assert fired
        assert frames["child"]["pid"].isin(frames["parent"]["id"]).all()
        assert frames["parent"]["id"].tolist() == [1] and frames["child"]["id"].tolist() == [1]
        assert len(conn.read("child")) == 2  # the writer did commit
        other.dispose()
        conn.close()
