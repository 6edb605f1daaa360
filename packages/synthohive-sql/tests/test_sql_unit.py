"""Unit tests of the SQL connector that need no database server (SQLite at most)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from synthohive.errors import ConnectorError, DriverNotInstalledError, InvalidIdentifierError
from synthohive_sql._bulk import copy_payload, rows_per_statement
from synthohive_sql._engine import check_identifier, mask_url_text, split_url
from synthohive_sql._types import column_from_sql, typed_frame
from synthohive_sql.connector import SQLConnector


def test_module_imports_without_sqlalchemy() -> None:
    code = (
        "import sys; import synthohive_sql.plugin, synthohive_sql.connector as c; "
        "assert 'sqlalchemy' not in sys.modules, 'sqlalchemy imported'; "
        "print(c.SQLConnector.schemes)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "postgresql" in out.stdout and "bigquery" in out.stdout


def test_plugin_registers_connector() -> None:
    from synthohive_sql import plugin

    assert plugin.register_connectors() == [SQLConnector]


def test_password_is_masked_everywhere() -> None:
    url = "postgresql+psycopg://alice:s3cr3t-pw@127.0.0.1:1/db?schema=src"
    conn = SQLConnector(url)
    assert "s3cr3t-pw" not in repr(conn)
    assert "s3cr3t-pw" not in conn.safe_url and "***" in conn.safe_url
    with pytest.raises(ConnectorError) as err:
        conn.list_tables()  # port 1: nothing listens
    assert "s3cr3t-pw" not in str(err.value)
    assert "cannot connect" in str(err.value)
    assert "s3cr3t-pw" not in mask_url_text("weird://u:s3cr3t-pw@h/x%")


def test_schema_from_query_and_kwarg() -> None:
    url, schema = split_url("postgresql+psycopg://u@h/db?schema=src&sslmode=disable", None)
    assert schema == "src" and "schema" not in url.query and url.query["sslmode"] == "disable"
    _, schema = split_url("postgresql+psycopg://u@h/db?schema=src", "other")
    assert schema == "other"
    assert SQLConnector("sqlite:///x.db", schema="main").schema == "main"


@pytest.mark.parametrize(
    ("url", "extra"),
    [
        ("postgresql+pg8000://u@127.0.0.1/db", "postgres"),
        ("mysql+mysqldb://u@127.0.0.1/db", "mysql"),
    ],
)
def test_missing_driver_names_the_extra(url: str, extra: str) -> None:
    with pytest.raises(DriverNotInstalledError) as err:
        SQLConnector(url).list_tables()
    assert f"pip install 'synthohive-sql[{extra}]'" in str(err.value)


def test_bad_url_is_connector_error() -> None:
    with pytest.raises(ConnectorError, match="not a database URL"):
        SQLConnector("::not a url::").list_tables()


def test_identifier_length_is_checked_per_dialect() -> None:
    from sqlalchemy.dialects import mysql, postgresql

    check_identifier("a" * 63, postgresql.dialect())
    with pytest.raises(InvalidIdentifierError, match="at most 63"):
        check_identifier("a" * 64, postgresql.dialect())
    check_identifier("a" * 64, mysql.dialect())
    with pytest.raises(InvalidIdentifierError):
        check_identifier("名" * 22, postgresql.dialect())  # 66 bytes


def test_copy_payload_escapes_and_nulls() -> None:
    frame = pd.DataFrame(
        {
            "s": pd.array(["a\tb", "c\nd", None, "back\\slash", ""], dtype="str"),
            "i": pd.array([1, None, 3, 4, 5], dtype="Int64"),
            "b": pd.array([True, False, None, True, False], dtype="boolean"),
            "f": [1.5, np.nan, 0.1, 1e-7, -2.0],
        }
    )
    lines = copy_payload(frame).decode().split("\n")
    assert lines[0] == "a\\tb\t1\tt\t1.5"
    assert lines[1] == "c\\nd\t\\N\tf\t\\N"
    assert lines[2] == "\\N\t3\t\\N\t0.1"
    assert lines[3] == "back\\\\slash\t4\tt\t1e-07"
    assert lines[4] == "\t5\tf\t-2.0"


def test_rows_per_statement_respects_bind_cap() -> None:
    from sqlalchemy.dialects import mysql, sqlite

    assert rows_per_statement(sqlite.dialect(), 2000, 10_000) == 32766 // 2000
    assert rows_per_statement(mysql.dialect(), 2000, 10_000) == 65535 // 2000
    assert rows_per_statement(sqlite.dialect(), 70_000, 10_000) == 1


def test_column_mapping_from_sql_types() -> None:
    c = column_from_sql(sa.Numeric(10, 2), True, table="t", column="price")
    assert (c.sdtype, c.rounding, c.integer, c.dtype) == ("numerical", 2, False, "float64")
    c = column_from_sql(sa.Integer(), False, table="t", column="n")
    assert (c.sdtype, c.integer, c.dtype) == ("numerical", True, "int64")
    c = column_from_sql(sa.DateTime(timezone=True), True, table="t", column="ts")
    assert (c.sdtype, c.timezone, c.dtype) == ("datetime", "UTC", "datetime64[us, UTC]")
    assert column_from_sql(sa.Boolean(), True, table="t", column="b").dtype == "boolean"
    assert column_from_sql(sa.String(20), True, table="t", column="s").sdtype == "categorical"
    assert column_from_sql(sa.Text(), True, table="t", column="s").sdtype == "categorical"
    from sqlalchemy.dialects.postgresql import JSONB

    from synthohive.errors import MetadataError

    with pytest.raises(MetadataError, match=r"unsupported SQL type.*CAST\(doc AS VARCHAR\)"):
        column_from_sql(JSONB(), True, table="t", column="doc")


def test_typed_frame_types() -> None:
    from datetime import UTC, date, datetime
    from decimal import Decimal

    rows = [
        (1, Decimal("12.346"), True, "x", datetime(2020, 1, 1, tzinfo=UTC), date(2020, 1, 2)),
        (None, None, None, None, None, None),
    ]
    plans = [
        ("i", "int", None, True),
        ("d", "decimal", 2, True),
        ("b", "bool", None, True),
        ("s", "str", None, True),
        ("ts", "datetime_tz", None, True),
        ("dt", "date", None, True),
    ]
    frame = typed_frame(rows, plans)
    assert str(frame["i"].dtype) == "Int64" and frame["i"].isna().tolist() == [False, True]
    assert frame["d"].dtype == np.float64 and frame["d"].iloc[0] == 12.35
    assert str(frame["b"].dtype) == "boolean"
    assert str(frame["s"].dtype) == "str"
    assert str(frame["ts"].dtype) == "datetime64[us, UTC]"
    assert str(frame["dt"].dtype) == "datetime64[us]"
    empty = typed_frame([], plans)
    assert list(empty.columns) == [p[0] for p in plans] and len(empty) == 0
    assert str(empty["i"].dtype) == "Int64"


def test_parents_first_orders_rows_after_their_parents() -> None:
    from synthohive_sql._write import parents_first

    frame = pd.DataFrame(
        {"id": [1, 2, 3, 4, 5], "boss": pd.array([2, 3, None, 99, 4], dtype="Int64")}
    )
    out = parents_first(frame, [(["boss"], ["id"])])
    # 3 (no boss) and 4 (boss 99 outside the chunk) first, then 2 and 5, then 1
    assert out["id"].tolist() == [3, 4, 2, 5, 1]
    ordered = frame.iloc[[2, 1, 0, 3, 4]]
    assert parents_first(ordered, [(["boss"], ["id"])]) is ordered  # already fine: untouched
    cycle = pd.DataFrame({"id": [1, 2], "boss": [2, 1]})
    assert parents_first(cycle, [(["boss"], ["id"])]) is cycle
    composite = pd.DataFrame({"a": [1, 1], "b": [1, 2], "pa": [1, None], "pb": [2, None]})
    assert parents_first(composite, [(["pa", "pb"], ["a", "b"])])["b"].tolist() == [2, 1]


def test_constraint_names_fit_the_dialect_limit() -> None:
    from sqlalchemy.dialects import postgresql

    from synthohive_sql._write import RenameConstraint, constraint_name

    pg = postgresql.dialect()
    assert constraint_name("employee", "fkey", pg, ["reports_to"]) == "employee_reports_to_fkey"
    long = constraint_name("名前" * 30, "pkey", pg)
    assert len(long.encode("utf-8")) <= 63 and long.endswith("_pkey")
    assert long != constraint_name("名前" * 30 + "x", "pkey", pg)
    hostile = 'a"b; DROP TABLE t'
    sql = str(RenameConstraint(sa.Table(hostile, sa.MetaData()), hostile, "x").compile(dialect=pg))
    assert sql == 'ALTER TABLE "a""b; DROP TABLE t" RENAME CONSTRAINT "a""b; DROP TABLE t" TO x'


def test_self_reference_is_left_out_of_the_stage_ddl() -> None:
    from sqlalchemy.dialects import mysql, postgresql, sqlite

    from synthohive.metadata.schema import Metadata
    from synthohive_sql._write import build_table, self_references

    meta = Metadata.model_validate(
        {
            "tables": {
                "emp": {
                    "name": "emp",
                    "primary_key": "id",
                    "columns": {"id": {"sdtype": "id"}, "boss": {"sdtype": "id"}},
                }
            },
            "relations": [
                {"child": "emp", "child_columns": "boss", "parent": "emp", "parent_columns": "id"}
            ],
        }
    )
    frame = pd.DataFrame({"id": [1, 2], "boss": [2, None]})
    for dialect, name in (
        (postgresql.dialect(), "emp_boss_fkey"),
        (sqlite.dialect(), "emp_boss_fkey"),
        (mysql.dialect(), None),
    ):
        stage = build_table(
            "emp",
            frame,
            meta,
            "__shv_stage_x_0",
            sa.MetaData(),
            schema=None,
            dialect=dialect,
            constraints=True,
            parent=lambda p: pytest.fail(f"looked up {p}"),
        )
        (fk,) = self_references(stage)
        assert fk.name == name and fk.referred_table is stage
        ddl = str(
            sa.schema.CreateTable(stage, include_foreign_key_constraints=[]).compile(
                dialect=dialect
            )
        )
        assert "FOREIGN KEY" not in ddl and "PRIMARY KEY" in ddl
        alter = str(sa.schema.AddConstraint(fk).compile(dialect=dialect))
        assert alter.startswith("ALTER TABLE") and "REFERENCES" in alter
