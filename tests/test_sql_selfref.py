"""Issue 17 item 2: self-referencing foreign keys written through the SQL write session, on live
PostgreSQL, MariaDB and SQLite. ``employee.reports_to -> employee.employee_id`` arrives in
several chunks with references backwards and forwards across chunks (and within a chunk);
``customer.support_rep_id -> employee.employee_id`` is a role-named child. After commit the
PK and both FKs exist with clean names and are enforced; a failed write leaves nothing behind."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from synthohive.errors import ConnectorError
from synthohive.metadata.schema import Metadata
from synthohive_sql._engine import OLD_PREFIX, STAGE_PREFIX
from synthohive_sql.connector import SQLConnector
from synthohive_sql.testing import backend_url

BACKENDS = [
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mariadb", marks=pytest.mark.mariadb),
    "sqlite",
]
CHUNK = 300
N_EMP = 3 * CHUNK
N_CUST = 400
MISSING = 10**9


@pytest.fixture(params=BACKENDS)
def conn(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[SQLConnector]:
    with backend_url(request.param, str(tmp_path)) as url:
        c = SQLConnector(url)
        yield c
        c.close()


def _meta() -> Metadata:
    return Metadata.model_validate(
        {
            "tables": {
                "employee": {
                    "name": "employee",
                    "primary_key": "employee_id",
                    "columns": {
                        "employee_id": {"sdtype": "id"},
                        "reports_to": {"sdtype": "id"},
                        "salary": {"sdtype": "numerical"},
                    },
                },
                "customer": {
                    "name": "customer",
                    "primary_key": "customer_id",
                    "columns": {
                        "customer_id": {"sdtype": "id"},
                        "support_rep_id": {"sdtype": "id"},
                        "spend": {"sdtype": "numerical"},
                    },
                },
            },
            "relations": [
                {
                    "child": "employee",
                    "child_columns": "reports_to",
                    "parent": "employee",
                    "parent_columns": "employee_id",
                },
                {
                    "child": "customer",
                    "child_columns": "support_rep_id",
                    "parent": "employee",
                    "parent_columns": "employee_id",
                },
            ],
        }
    )


def _employees(offset: int = 0) -> pd.DataFrame:
    """Roots, references to the next/previous chunk and to the next/previous row in a chunk."""
    i = np.arange(N_EMP)
    ids = i + 1000 + offset
    kind = i % 10
    target = np.where(kind <= 3, (i + CHUNK) % N_EMP, (i - CHUNK) % N_EMP)  # across chunks
    in_chunk = (kind >= 6) & ((i + 1) % CHUNK != 0)
    target = np.where(in_chunk & (kind <= 7), i + 1, target)  # forward within the chunk
    target = np.where(in_chunk & (kind >= 8), i - 1, target)  # backward within the chunk
    reports = pd.array(ids[target], dtype="Int64")
    reports[kind == 0] = pd.NA
    return pd.DataFrame({"employee_id": ids, "reports_to": reports, "salary": i * 10.5})


def _customers(employees: pd.DataFrame, offset: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    reps = pd.array(rng.choice(employees["employee_id"].to_numpy(), N_CUST), dtype="Int64")
    reps[::9] = pd.NA
    ids = np.arange(N_CUST) + offset
    return pd.DataFrame({"customer_id": ids, "support_rep_id": reps, "spend": ids * 0.5})


def _chunks(frame: pd.DataFrame, size: int) -> list[pd.DataFrame]:
    return [frame.iloc[s : s + size] for s in range(0, len(frame), size)]


def _write(conn: SQLConnector, emp: pd.DataFrame, cust: pd.DataFrame, mode: Any = "error") -> None:
    with conn.begin_write(_meta(), mode) as s:
        for part in _chunks(emp, CHUNK):
            s.append("employee", part)
        for part in _chunks(cust, N_CUST // 2):
            s.append("customer", part)


def _all_tables(conn: SQLConnector) -> list[str]:
    """Every table in the schema, staging leftovers included."""
    return sorted(sa.inspect(conn.engine).get_table_names(schema=conn.schema))


def _canon(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """Rows as tuples of plain Python values (``None`` for nulls), sorted by primary key."""
    cells = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
    rows = [tuple(v.item() if isinstance(v, np.generic) else v for v in r) for r in cells]
    return sorted(rows, key=lambda r: r[0])


def _rows(conn: SQLConnector, table: str) -> list[tuple[Any, ...]]:
    conn.forget(table)
    return _canon(conn.read(table))


def _assert_constraints(conn: SQLConnector) -> None:
    """PK and both FKs in the catalog, no staging prefixes in any name; all enforced."""
    insp = sa.inspect(conn.engine)
    names: list[str] = []
    for table, fk_col in (("employee", "reports_to"), ("customer", "support_rep_id")):
        pk = insp.get_pk_constraint(table, schema=conn.schema)
        assert pk["constrained_columns"] == [f"{table}_id"]
        fks = insp.get_foreign_keys(table, schema=conn.schema)
        got = [(f["constrained_columns"], f["referred_table"], f["referred_columns"]) for f in fks]
        assert got == [([fk_col], "employee", ["employee_id"])]
        names += [pk["name"], *(f["name"] for f in fks)]
        names += [ix["name"] for ix in insp.get_indexes(table, schema=conn.schema)]
        names += [u["name"] for u in insp.get_unique_constraints(table, schema=conn.schema)]
    assert all(STAGE_PREFIX not in str(n) and OLD_PREFIX not in str(n) for n in names), names
    if conn.backend == "postgresql":
        assert set(names) >= {
            "employee_pkey",
            "employee_reports_to_fkey",
            "customer_pkey",
            "customer_support_rep_id_fkey",
        }
    md = sa.MetaData()
    with conn.engine.connect() as db:
        emp = sa.Table("employee", md, schema=conn.schema, autoload_with=db)
        cust = sa.Table("customer", md, schema=conn.schema, autoload_with=db)
        some = db.execute(sa.select(emp.c.employee_id).limit(1)).scalar_one()
    for stmt in (
        emp.insert().values(employee_id=-1, reports_to=MISSING, salary=0.0),  # self-FK
        emp.insert().values(employee_id=some, reports_to=None, salary=0.0),  # PK
        cust.insert().values(customer_id=-1, support_rep_id=MISSING, spend=0.0),  # child FK
    ):
        with pytest.raises(sa.exc.IntegrityError), conn.engine.begin() as db:
            db.execute(stmt)
    with conn.engine.begin() as db:  # a valid row is still accepted
        db.execute(emp.insert().values(employee_id=-2, reports_to=some, salary=1.0))
        db.execute(emp.delete().where(emp.c.employee_id == -2))


def test_self_reference_in_chunks_keeps_every_constraint(conn: SQLConnector) -> None:
    emp = _employees()
    cust = _customers(emp)
    _write(conn, emp, cust)
    assert _all_tables(conn) == ["customer", "employee"]
    assert _rows(conn, "employee") == _canon(emp)
    assert _rows(conn, "customer") == _canon(cust)
    _assert_constraints(conn)


@pytest.mark.parametrize("mode", ["error", "overwrite"])
def test_dangling_self_reference_leaves_nothing(conn: SQLConnector, mode: Any) -> None:
    if mode == "overwrite":
        _write(conn, _employees(offset=50_000), _customers(_employees(offset=50_000)))
    before = {t: _rows(conn, t) for t in conn.list_tables()}
    emp = _employees()
    emp.loc[N_EMP - 5, "reports_to"] = MISSING  # in the last chunk
    with pytest.raises(ConnectorError) as err:
        _write(conn, emp, _customers(emp), mode)
    assert (err.value.table, err.value.column) == ("employee", "reports_to")
    assert STAGE_PREFIX not in str(err.value)
    assert _all_tables(conn) == sorted(before)  # no staging tables, old tables untouched
    assert {t: _rows(conn, t) for t in conn.list_tables()} == before
    if mode == "overwrite":
        _assert_constraints(conn)


def test_dangling_child_reference_leaves_nothing(conn: SQLConnector) -> None:
    emp = _employees()
    cust = _customers(emp)
    cust.loc[N_CUST - 1, "support_rep_id"] = MISSING
    with pytest.raises(ConnectorError) as err:
        _write(conn, emp, cust)
    assert err.value.table == "customer"
    assert "support_rep_id" in str(err.value)
    assert STAGE_PREFIX not in str(err.value)
    assert _all_tables(conn) == []


@pytest.mark.parametrize("mode", ["error", "overwrite"])
def test_exception_between_appends_leaves_nothing(conn: SQLConnector, mode: Any) -> None:
    if mode == "overwrite":
        _write(conn, _employees(offset=50_000), _customers(_employees(offset=50_000)))
    before = {t: _rows(conn, t) for t in conn.list_tables()}
    parts = _chunks(_employees(), CHUNK)
    with pytest.raises(RuntimeError, match="injected"), conn.begin_write(_meta(), mode) as s:
        s.append("employee", parts[0])
        s.append("employee", parts[1])
        raise RuntimeError("injected")
    assert _all_tables(conn) == sorted(before)
    assert {t: _rows(conn, t) for t in conn.list_tables()} == before


def test_overwrite_keeps_constraints(conn: SQLConnector) -> None:
    old = _employees(offset=50_000)
    _write(conn, old, _customers(old))
    new = _employees()
    cust = _customers(new, offset=7)
    _write(conn, new, cust, "overwrite")
    assert _all_tables(conn) == ["customer", "employee"]
    assert _rows(conn, "employee") == _canon(new)
    assert _rows(conn, "customer") == _canon(cust)
    _assert_constraints(conn)
    _write(conn, new, cust, "overwrite")  # and again, over tables written by this writer
    _assert_constraints(conn)


def test_append_to_existing_self_referencing_table(conn: SQLConnector) -> None:
    """Rows referencing a later row of the same chunk (and existing rows) are accepted by the
    live constraint; a reference into a later chunk is accepted where FK checks can wait for
    COMMIT (SQLite), elsewhere refused with nothing appended."""
    emp = _employees()
    _write(conn, emp, _customers(emp))
    ids = np.arange(5_000, 5_200)
    more = pd.DataFrame(
        {
            "employee_id": ids,
            "reports_to": pd.array(np.where(ids % 2 == 0, ids + 1, 1000), dtype="Int64"),
            "salary": 1.0,
        }
    )
    with conn.begin_write(_meta(), "append") as s:
        s.append("employee", more)
    assert _rows(conn, "employee") == _canon(pd.concat([emp, more], ignore_index=True))
    before = _rows(conn, "employee")
    later = pd.DataFrame(
        {
            "employee_id": [6_000, 6_001],
            "reports_to": pd.array([6_001, None], dtype="Int64"),
            "salary": 1.0,
        }
    )
    if conn.backend == "sqlite":
        conn.write("employee", [later.iloc[:1], later.iloc[1:]], mode="append")
        assert len(_rows(conn, "employee")) == len(before) + 2
    else:
        with pytest.raises(ConnectorError) as err:
            conn.write("employee", [later.iloc[:1], later.iloc[1:]], mode="append")
        assert err.value.table == "employee" and "reports_to" in str(err.value)
        assert _rows(conn, "employee") == before
    assert _all_tables(conn) == ["customer", "employee"]
    _assert_constraints(conn)


def test_generated_self_reference_streams_into_database(conn: SQLConnector) -> None:
    """A fitted synthesizer streams a self-referencing schema in chunks into the database."""
    from synthohive import Synthesizer

    emp = _employees()
    real = {"employee": emp, "customer": _customers(emp)}
    syn = Synthesizer(_meta(), seed=0)
    syn.fit(real)
    summary = syn.sample(scale=1.0, sink=conn, chunk_rows=250)
    assert summary["tables"]["employee"] > 250  # several chunks
    back = {t: conn.read(t) for t in ("employee", "customer")}
    keys = set(back["employee"]["employee_id"])
    assert set(back["employee"]["reports_to"].dropna()) <= keys
    assert set(back["customer"]["support_rep_id"].dropna()) <= keys
    _assert_constraints(conn)
