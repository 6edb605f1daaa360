"""SQL connector safety against live PostgreSQL, MariaDB and SQLite (RELIABILITY T-S1..T-S3 and
bad input). Services are expected to run (CI starts them): a service that is down fails."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from synthohive.errors import (
    ConnectorError,
    InvalidIdentifierError,
    MetadataError,
    TableNotFoundError,
)
from synthohive_sql.connector import SQLConnector
from synthohive_sql.testing import MARIADB_URL, PG_URL, backend_url

BACKENDS = [
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mariadb", marks=pytest.mark.mariadb),
    "sqlite",
]
ROBERT = "Robert'); DROP TABLE students;--"
HOSTILE = [ROBERT, 'a"b', "a`b", "a.b"]  # must never appear outside a quoted identifier
ODD = ["select", "MixedCase", "UPPER", "名前", "with space"]


@pytest.fixture(params=BACKENDS)
def conn(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[SQLConnector]:
    with backend_url(request.param, str(tmp_path)) as url:
        c = SQLConnector(url)
        yield c
        c.close()


class StatementLog:
    """Every statement SQLAlchemy sends (text and parameters)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.items: list[tuple[str, Any]] = []
        sa.event.listen(engine, "before_cursor_execute", self._on)

    def _on(self, _c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: Any) -> None:
        self.items.append((statement, params))

    def close(self) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._on)


def _long_name(conn: SQLConnector) -> str:
    limit = conn.dialect.max_identifier_length
    return ("L" * 200)[: min(limit, 64)]


def test_hostile_identifiers_round_trip(conn: SQLConnector) -> None:
    """T-S1: hostile table/column names round-trip; the canary survives; names only ever appear
    quoted in statement text."""
    conn.write("students", pd.DataFrame({"id": [1, 2]}))
    log = StatementLog(conn.engine)
    try:
        columns = [*HOSTILE, *ODD, _long_name(conn)]
        rng = np.random.default_rng(0)
        frame = pd.DataFrame({c: rng.integers(0, 100, 20) for c in columns})
        texts = [f"v'{i};--" for i in range(16)] + ["", None, 'q"\t\n\\N', "\\"]
        frame[ROBERT] = pd.array(texts, dtype="str")
        frame["select"] = rng.normal(size=20) / 3.0  # floats must round-trip exactly
        tables = [ROBERT, "a.b", "MixedCase", "名前", _long_name(conn)]
        for t in tables:
            conn.write(t, frame)
        for t in tables:
            back = conn.read(t)
            assert list(back.columns) == columns
            pd.testing.assert_frame_equal(back, frame, check_dtype=False)
        assert set(tables) <= set(conn.list_tables())
        assert conn.read("students")["id"].tolist() == [1, 2]
        prep = conn.dialect.identifier_preparer
        for statement, _ in log.items:
            stripped = statement
            for name in HOSTILE:
                stripped = stripped.replace(prep.quote(name), "")
            for name in HOSTILE:
                assert name not in stripped, f"raw identifier {name!r} in: {statement}"
        assert log.items, "no statements were observed"
    finally:
        log.close()


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ],
)
def test_too_long_identifier_is_rejected(kind: str) -> None:
    with backend_url(kind) as url:
        conn = SQLConnector(url)
        _too_long(conn)
        conn.close()


def _too_long(conn: SQLConnector) -> None:
    limit = conn.dialect.max_identifier_length
    with pytest.raises(InvalidIdentifierError, match=f"at most {limit}"):
        conn.write("x" * (limit + 1), pd.DataFrame({"a": [1]}))
    assert conn.list_tables() == []


def test_missing_table_lists_close_matches_and_dotted_names_are_one_name(
    conn: SQLConnector,
) -> None:
    """T-S2."""
    conn.write("customers", pd.DataFrame({"id": [1]}))
    conn.write("a.b", pd.DataFrame({"x": [7]}))
    with pytest.raises(TableNotFoundError) as err:
        conn.read("customer")
    assert "customers" in str(err.value) and err.value.table == "customer"
    schema = conn.schema or "main"
    with pytest.raises(TableNotFoundError):
        conn.read(f"{schema}.customers")  # not split into schema + table
    assert conn.read("a.b")["x"].tolist() == [7]


def test_filter_values_are_bound(conn: SQLConnector) -> None:
    """T-S3: values with quotes and semicolons go through bound parameters only."""
    evil = "x'; DROP TABLE students; --"
    conn.write("students", pd.DataFrame({"name": ["ok", evil, 'say "hi"'], "n": [1, 2, 3]}))
    log = StatementLog(conn.engine)
    try:
        got = conn.read("students", where={"name": evil})
        many = conn.read("students", where={"name": [evil, 'say "hi"']})
    finally:
        log.close()
    assert got["n"].tolist() == [2]
    assert sorted(many["n"].tolist()) == [2, 3]
    for statement, _params in log.items:
        assert evil not in statement
    assert any(evil in str(params) for _, params in log.items)
    assert conn.read("students")["n"].tolist() == [1, 2, 3]


@pytest.mark.postgres
def test_unreachable_host_and_missing_schema() -> None:
    with pytest.raises(ConnectorError, match="cannot connect"):
        SQLConnector("postgresql+psycopg://postgres:pw-secret@127.0.0.1:1/test").list_tables()
    with pytest.raises(ConnectorError) as err:
        SQLConnector(PG_URL, schema="no_such_schema_xyz").list_tables()
    assert "does not exist" in str(err.value) and "public" in str(err.value)


@pytest.mark.mariadb
def test_wrong_password_is_typed_and_masked() -> None:
    url = MARIADB_URL.replace("root@", "root:Wr0ng-Secret@")
    conn = SQLConnector(url)
    with pytest.raises(ConnectorError) as err:
        conn.read("anything")
    assert "cannot connect" in str(err.value) and "Access denied" in str(err.value)
    assert "Wr0ng-Secret" not in str(err.value) and "Wr0ng-Secret" not in repr(conn)


@pytest.mark.postgres
def test_unsupported_type_and_fk_outside_selection() -> None:
    with backend_url("postgres") as url:
        conn = SQLConnector(url)
        md = sa.MetaData(schema=conn.schema)
        sa.Table("parent", md, sa.Column("id", sa.Integer, primary_key=True))
        sa.Table(
            "child",
            md,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("pid", sa.ForeignKey("parent.id")),
        )
        from sqlalchemy.dialects.postgresql import JSONB

        sa.Table(
            "docs", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("body", JSONB)
        )
        md.create_all(conn.engine)
        with pytest.raises(MetadataError) as err:
            conn.metadata(include=["child"])
        assert "'parent'" in str(err.value) and err.value.table == "child"
        with pytest.raises(MetadataError) as err2:
            conn.metadata(include=["docs"])
        assert err2.value.column == "body" and "CAST" in str(err2.value)
        meta = conn.metadata(include=["parent", "child"])
        assert [(r.child, r.parent) for r in meta.relations] == [("child", "parent")]
        with pytest.raises(TableNotFoundError, match="docs"):
            conn.metadata(exclude=["doc"])
        conn.close()


@pytest.mark.postgres
def test_password_never_in_logs_errors_or_repr(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    secret = "pw-S3CRET-xyz"  # trust auth accepts any password
    with backend_url("postgres") as url:
        conn = SQLConnector(url.replace("postgres@", f"postgres:{secret}@"))
        caplog.set_level(logging.DEBUG)
        conn.write("t", pd.DataFrame({"a": [1]}))
        conn.read("t")
        conn.metadata()
        with pytest.raises(TableNotFoundError) as err:
            conn.read("nope")
        with pytest.raises(ConnectorError) as err2:
            conn.write("t", pd.DataFrame({"a": [1]}))
        text = caplog.text + str(err.value) + str(err2.value) + repr(conn) + conn.safe_url
        assert "sql.written" in caplog.text and "***" in caplog.text  # events were logged
        assert secret not in text
        conn.close()
