"""All-or-nothing SQL writes against live PostgreSQL, MariaDB and SQLite (RELIABILITY T-S5..T-S7,
write modes, mismatched appends). A service that is down fails the test (CI starts them)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from synthohive.errors import ConnectorError
from synthohive.metadata.schema import Metadata
from synthohive_sql.connector import SQLConnector
from synthohive_sql.testing import backend_url

BACKENDS = [
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mariadb", marks=pytest.mark.mariadb),
    "sqlite",
]
N = 1_000


@pytest.fixture(params=BACKENDS)
def conn(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[SQLConnector]:
    with backend_url(request.param, str(tmp_path)) as url:
        c = SQLConnector(url)
        yield c
        c.close()


def _all_tables(conn: SQLConnector) -> list[str]:
    """Every table in the schema, staging leftovers included."""
    return sorted(sa.inspect(conn.engine).get_table_names(schema=conn.schema))


def _meta() -> Metadata:
    return Metadata.model_validate(
        {
            "tables": {
                "a": {
                    "name": "a",
                    "primary_key": "id",
                    "columns": {"id": {"sdtype": "id"}, "v": {"sdtype": "numerical"}},
                },
                "b": {
                    "name": "b",
                    "primary_key": "id",
                    "columns": {
                        "id": {"sdtype": "id"},
                        "a_id": {"sdtype": "id"},
                        "v": {"sdtype": "numerical"},
                    },
                },
                "c": {
                    "name": "c",
                    "primary_key": "id",
                    "columns": {
                        "id": {"sdtype": "id"},
                        "b_id": {"sdtype": "id"},
                        "v": {"sdtype": "numerical"},
                    },
                },
            },
            "relations": [
                {"child": "b", "child_columns": "a_id", "parent": "a", "parent_columns": "id"},
                {"child": "c", "child_columns": "b_id", "parent": "b", "parent_columns": "id"},
            ],
        }
    )


def _frames(offset: int = 0, n: int = N) -> dict[str, pd.DataFrame]:
    ids = np.arange(n, dtype="int64") + offset
    return {
        "a": pd.DataFrame({"id": ids, "v": ids * 1.5}),
        "b": pd.DataFrame({"id": ids, "a_id": ids, "v": ids * 2.0}),
        "c": pd.DataFrame({"id": ids, "b_id": ids, "v": ids * 3.0}),
    }


def _chunks(frame: pd.DataFrame, bad: bool) -> list[pd.DataFrame]:
    """Ten chunks; with ``bad`` the 8th repeats a primary key (the failure at ~70% of rows)."""
    parts = [frame.iloc[i * len(frame) // 10 : (i + 1) * len(frame) // 10] for i in range(10)]
    if bad:
        broken = parts[7].copy()
        ids = broken["id"].to_numpy().copy()
        ids[len(ids) // 2] = ids[0]
        broken["id"] = ids
        parts[7] = broken
    return parts


def _state(conn: SQLConnector) -> dict[str, list[Any]]:
    out = {}
    for t in conn.list_tables():
        conn.forget(t)
        out[t] = sorted(conn.read(t).itertuples(index=False, name=None))
    return out


@pytest.mark.parametrize("mode", ["error", "overwrite"])
def test_failed_create_or_replace_leaves_target_unchanged(conn: SQLConnector, mode: Any) -> None:
    """T-S5 create/replace: duplicate key at ~70% of rows -> target absent / old rows."""
    meta = _meta()
    if mode == "overwrite":
        conn.write("a", _frames(offset=10_000)["a"], metadata=meta)
    before = _state(conn)
    with pytest.raises(ConnectorError) as err:
        conn.write("a", _chunks(_frames()["a"], bad=True), mode=mode, metadata=meta)
    assert err.value.table == "a"
    assert _state(conn) == before
    assert _all_tables(conn) == sorted(before)  # no staging tables left


def test_failed_append_rolls_back_check_violation(conn: SQLConnector) -> None:
    """T-S5 append: a CHECK violation at ~70% of rows -> only the old rows remain."""
    md = sa.MetaData(schema=conn.schema)
    sa.Table(
        "t",
        md,
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("v", sa.Float),
        sa.CheckConstraint("v >= 0", name="v_positive"),
    )
    md.create_all(conn.engine)
    conn.forget()
    conn.write("t", pd.DataFrame({"id": [-1, -2], "v": [1.0, 2.0]}), mode="append")
    before = _state(conn)
    frame = pd.DataFrame({"id": np.arange(N), "v": np.linspace(0, 1, N)})
    frame.loc[int(N * 0.7), "v"] = -5.0
    with pytest.raises(ConnectorError):
        conn.write("t", _chunks(frame, bad=False), mode="append")
    assert _state(conn) == before
    assert _all_tables(conn) == ["t"]


def test_multi_table_publish_is_all_or_nothing(conn: SQLConnector) -> None:
    """T-S6: replace 3 related tables, fail on the 3rd -> all three unchanged; then succeed."""
    meta = _meta()
    with conn.begin_write(meta, "error") as s:
        for t, f in _frames(offset=100, n=50).items():
            s.append(t, f)
    before = _state(conn)
    new = _frames()
    with pytest.raises(ConnectorError), conn.begin_write(meta, "overwrite") as s:
        s.append("a", new["a"])
        s.append("b", new["b"])
        for part in _chunks(new["c"], bad=True):
            s.append("c", part)
    assert _state(conn) == before
    assert _all_tables(conn) == ["a", "b", "c"]
    with conn.begin_write(meta, "overwrite") as s:
        for t in ("a", "b", "c"):
            s.append(t, new[t])
    assert {t: len(v) for t, v in _state(conn).items()} == {"a": N, "b": N, "c": N}
    assert _all_tables(conn) == ["a", "b", "c"]
    reflected = conn.metadata()
    assert sorted((r.child, r.parent) for r in reflected.relations) == [("b", "a"), ("c", "b")]
    with conn.engine.begin() as db:  # the published FK is enforced by the database
        tbl = sa.Table("c", sa.MetaData(), schema=conn.schema, autoload_with=db)
    with pytest.raises(sa.exc.IntegrityError), conn.engine.begin() as db:
        db.execute(tbl.insert().values(id=10**9, b_id=-77, v=0.0))


def test_mode_error_and_mismatched_append(conn: SQLConnector) -> None:
    conn.write("t", pd.DataFrame({"x": [1, 2], "y": ["a", "b"]}))
    with pytest.raises(ConnectorError, match="already exists"):
        conn.write("t", pd.DataFrame({"x": [3]}))
    with pytest.raises(ConnectorError, match=r"extra \['z'\], missing \['y'\]"):
        conn.write("t", pd.DataFrame({"x": [3], "z": [1]}), mode="append")
    conn.write("t", pd.DataFrame({"y": ["c"], "x": [3]}), mode="append")
    assert conn.read("t")["x"].tolist() == [1, 2, 3]
    assert _all_tables(conn) == ["t"]


def test_replace_refuses_when_an_outside_table_references_it(conn: SQLConnector) -> None:
    meta = _meta()
    with conn.begin_write(meta, "error") as s:
        s.append("a", _frames(n=5)["a"])
        s.append("b", _frames(n=5)["b"])
    before = _state(conn)
    with pytest.raises(ConnectorError, match=r"'b'.*foreign key"):
        conn.write("a", _frames(n=3)["a"], mode="overwrite", metadata=meta)
    assert _state(conn) == before
    assert _all_tables(conn) == ["a", "b"]


def test_bind_parameter_cap_with_2000_columns(tmp_path: Any) -> None:
    """T-S7: 2 000 columns with multi-row VALUES -> rows per statement reduced under the cap."""
    from synthohive_sql._bulk import bind_cap

    conn = SQLConnector(f"sqlite:///{tmp_path / 'wide.db'}", insert_method="multi")
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        rng.integers(0, 1000, size=(40, 2000)), columns=[f"c{i}" for i in range(2000)]
    )
    counts: list[int] = []

    def _on(_c: Any, _cur: Any, stmt: str, params: Any, _ctx: Any, _many: Any) -> None:
        if stmt.startswith("INSERT"):
            counts.append(len(params))

    sa.event.listen(conn.engine, "before_cursor_execute", _on)
    conn.write("wide", frame)
    sa.event.remove(conn.engine, "before_cursor_execute", _on)
    cap = bind_cap(conn.dialect)
    assert counts and max(counts) <= cap
    assert len(counts) == -(-40 // (cap // 2000))
    pd.testing.assert_frame_equal(conn.read("wide"), frame, check_dtype=False)
    conn.close()


def test_gc_drops_leftover_staging_tables(conn: SQLConnector) -> None:
    conn.write("keep", pd.DataFrame({"a": [1]}))
    md = sa.MetaData(schema=conn.schema)
    sa.Table("__shv_stage_dead_0", md, sa.Column("a", sa.Integer))
    md.create_all(conn.engine)
    assert conn.list_tables() == ["keep"]  # leftovers are never listed as user tables
    assert conn.gc() == ["__shv_stage_dead_0"]
    assert _all_tables(conn) == ["keep"]
