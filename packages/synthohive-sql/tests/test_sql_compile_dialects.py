"""Snowflake and BigQuery cannot be reached from CI: compile the DDL and queries the connector
would send against their real SQLAlchemy dialects (snowflake-sqlalchemy, sqlalchemy-bigquery)
and check quoting, types and bound values.

The checks run in a child interpreter: importing sqlalchemy-bigquery registers a global
``func.unnest`` that would leak into other tests of the same process."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from synthohive.metadata.schema import Metadata
from synthohive_sql._write import RenameTable, build_table

HOSTILE = "Robert'); DROP TABLE students;--"


def test_compile_against_snowflake_and_bigquery_dialects() -> None:
    import importlib.util

    for mod in ("snowflake.sqlalchemy", "sqlalchemy_bigquery"):
        if importlib.util.find_spec(mod.split(".")[0]) is None:
            pytest.skip(f"{mod} is not installed (extras [snowflake]/[bigquery])")
    out = subprocess.run([sys.executable, __file__], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.split() == ["ok"] * 6


def _dialects() -> list[Any]:
    import sqlalchemy_bigquery as bq
    from snowflake.sqlalchemy import snowdialect

    return [snowdialect.SnowflakeDialect(), bq.BigQueryDialect()]


def _meta() -> Metadata:
    return Metadata.model_validate(
        {
            "tables": {
                "customers": {
                    "name": "customers",
                    "primary_key": ["id"],
                    "columns": {"id": {"sdtype": "id"}, HOSTILE: {"sdtype": "categorical"}},
                },
                "orders": {
                    "name": "orders",
                    "primary_key": ["oid"],
                    "columns": {
                        "oid": {"sdtype": "id"},
                        "cid": {"sdtype": "id"},
                        "amount": {"sdtype": "numerical"},
                        "at": {"sdtype": "datetime", "timezone": "UTC"},
                        "paid": {"sdtype": "boolean"},
                    },
                },
            },
            "relations": [
                {
                    "child": "orders",
                    "child_columns": "cid",
                    "parent": "customers",
                    "parent_columns": "id",
                }
            ],
        }
    )


def _tables(dialect: Any) -> tuple[sa.Table, sa.Table]:
    meta = _meta()
    sa_meta = sa.MetaData()
    cust = pd.DataFrame({"id": np.arange(3), HOSTILE: ["a", "b", "c"]})
    orders = pd.DataFrame(
        {
            "oid": np.arange(3),
            "cid": np.arange(3),
            "amount": [1.5, 2.0, 3.25],
            "at": pd.date_range("2024-01-01", periods=3, tz="UTC"),
            "paid": [True, False, True],
        }
    )
    staged: dict[str, sa.Table] = {}
    c = build_table(
        "customers",
        cust,
        meta,
        "__shv_stage_x_0",
        sa_meta,
        schema="src",
        dialect=dialect,
        constraints=True,
        parent=staged.__getitem__,
    )
    staged["customers"] = c
    o = build_table(
        "orders",
        orders,
        meta,
        "__shv_stage_x_1",
        sa_meta,
        schema="src",
        dialect=dialect,
        constraints=True,
        parent=staged.__getitem__,
    )
    return c, o


def check_create_table_ddl_quotes_and_types(dialect: Any) -> None:
    cust, orders = _tables(dialect)
    ddl = str(sa.schema.CreateTable(cust).compile(dialect=dialect))
    quoted = dialect.identifier_preparer.quote(HOSTILE)
    assert quoted != HOSTILE and quoted in ddl
    assert ddl.count(HOSTILE) == 1  # only inside its quoted identifier
    ddl_o = str(sa.schema.CreateTable(orders).compile(dialect=dialect))
    if dialect.name == "snowflake":
        assert "PRIMARY KEY (oid)" in ddl_o and "FOREIGN KEY(cid) REFERENCES" in ddl_o
        assert "BOOLEAN" in ddl_o and "TIMESTAMP_TZ" in ddl_o
    else:
        assert "`src`.`__shv_stage_x_1`" in ddl_o
        assert "INT64" in ddl_o and "FLOAT64" in ddl_o and "BOOL" in ddl_o
        assert "`at` TIMESTAMP" in ddl_o


def check_rename_and_drop_compile(dialect: Any) -> None:
    cust, _ = _tables(dialect)
    sql = str(RenameTable(cust, HOSTILE).compile(dialect=dialect))
    assert sql.startswith("ALTER TABLE ") and " RENAME TO " in sql
    assert dialect.identifier_preparer.quote(HOSTILE) in sql
    drop = str(sa.schema.DropTable(cust, if_exists=True).compile(dialect=dialect))
    assert drop.strip().startswith("DROP TABLE IF EXISTS")


def check_select_binds_values(dialect: Any) -> None:
    cust, _ = _tables(dialect)
    value = "x'; DROP TABLE t; --"
    stmt = sa.select(cust).where(cust.c[HOSTILE] == value).limit(10)
    compiled = stmt.compile(dialect=dialect)
    assert value not in str(compiled)
    assert value in compiled.params.values()
    keys = sa.select(cust).where(cust.c.id.in_([1, 2, 3])).compile(dialect=dialect)
    assert "1, 2, 3" not in str(keys)


if __name__ == "__main__":
    for check in (
        check_create_table_ddl_quotes_and_types,
        check_rename_and_drop_compile,
        check_select_binds_values,
    ):
        for d in _dialects():
            check(d)
            print("ok")
