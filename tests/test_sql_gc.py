"""Leftover staging tables of crashed writes (issue #18 item 5), on live PostgreSQL, MariaDB
and SQLite: ``SQLConnector.gc()``, the next write and ``synthohive gc URL`` drop stale
``__shv_stage_*``/``__shv_old_*`` tables (kills simulated by creating them directly), and
never a live writer's stage, a newer one, or a table without the prefix."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from synthohive.cli import build_cli
from synthohive_sql._engine import internal_token, new_token, token_time
from synthohive_sql.connector import SQLConnector
from synthohive_sql.testing import backend_url

BACKENDS = [
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mariadb", marks=pytest.mark.mariadb),
    "sqlite",
]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    with backend_url(request.param, str(tmp_path)) as u:
        yield u


def _tables(conn: SQLConnector) -> set[str]:
    return set(sa.inspect(conn.engine).get_table_names(schema=conn.schema))


def _leftovers(conn: SQLConnector, old: str, new: str) -> None:
    """What killed writers leave: a stage pair with a foreign key between them, a swapped-out
    old table, an earlier version's name; plus a newer stage and two tables to keep."""
    md = sa.MetaData(schema=conn.schema)
    parent = sa.Table(f"__shv_stage_{old}_0", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        f"__shv_stage_{old}_1",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("p", sa.Integer, sa.ForeignKey(parent.c.id)),
    )
    for name in (f"__shv_old_{old}_0", "__shv_stage_dead_0", f"__shv_stage_{new}_0", "__shv_x"):
        sa.Table(name, md, sa.Column("a", sa.Integer))
    md.create_all(conn.engine)


def test_token_holds_its_start_time() -> None:
    now = time.time()
    token = new_token(now)
    assert token_time(token) == int(now) and len(token) == 14
    assert internal_token(f"__shv_stage_{token}_12") == token
    assert internal_token("__shv_stage_dead_0") == "dead"
    assert internal_token("orders") is None
    assert token_time("dead") is None


def test_gc_drops_only_stale_leftovers(url: str) -> None:
    conn = SQLConnector(url)
    conn.write("keep", pd.DataFrame({"a": [1, 2]}))
    old, new = new_token(time.time() - 3600), new_token(time.time() + 3600)
    _leftovers(conn, old, new)
    stale = {f"__shv_stage_{old}_0", f"__shv_stage_{old}_1", f"__shv_old_{old}_0"}
    stale.add("__shv_stage_dead_0")
    assert set(conn.gc(dry_run=True)) == stale
    assert stale <= _tables(conn)  # a dry run drops nothing
    dropped = conn.gc()
    assert set(dropped) == stale
    assert dropped.index(f"__shv_stage_{old}_1") < dropped.index(f"__shv_stage_{old}_0")
    assert _tables(conn) == {"keep", "__shv_x", f"__shv_stage_{new}_0"}
    assert conn.gc() == []
    conn.close()


def test_next_write_cleans_leftovers(url: str) -> None:
    conn = SQLConnector(url)
    old, new = new_token(time.time() - 60), new_token(time.time() + 3600)
    _leftovers(conn, old, new)
    conn.write("t", pd.DataFrame({"a": [1]}))
    assert _tables(conn) == {"t", "__shv_x", f"__shv_stage_{new}_0"}
    conn.close()


@pytest.mark.mariadb
def test_mariadb_stage_of_a_live_writer_is_kept() -> None:
    with backend_url("mariadb") as url:
        conn = SQLConnector(url)
        other = SQLConnector(url)
        # a writer that started an hour ago and still holds its lock
        old = new_token(time.time() - 3600)
        md = sa.MetaData(schema=conn.schema)
        sa.Table(f"__shv_stage_{old}_0", md, sa.Column("a", sa.Integer))
        md.create_all(conn.engine)
        with conn.engine.connect() as holder:
            holder.execute(sa.select(sa.func.get_lock(f"synthohive:{old}", 0)))
            assert other.gc() == []
            other.write("t", pd.DataFrame({"a": [1]}))  # a write does not drop it either
            assert f"__shv_stage_{old}_0" in _tables(conn)
            holder.execute(sa.select(sa.func.release_lock(f"synthohive:{old}")))
        assert other.gc() == [f"__shv_stage_{old}_0"]
        # a real session: its stages survive a gc from another process until it commits
        session: Any = conn.begin_write(None, "error")
        session.append("u", pd.DataFrame({"a": [1, 2]}))
        (stage,) = [n for n in _tables(conn) if n.startswith("__shv_stage_")]
        time.sleep(1.1)  # older than the gc below: only the session's lock keeps it
        assert other.gc() == [] and stage in _tables(conn)
        session.commit()
        assert conn.read("u")["a"].tolist() == [1, 2]
        assert not [n for n in _tables(conn) if n.startswith("__shv_")]
        conn.close()
        other.close()


def test_gc_command(url: str) -> None:
    conn = SQLConnector(url)
    old, new = new_token(time.time() - 3600), new_token(time.time() + 3600)
    _leftovers(conn, old, new)
    runner = CliRunner()
    dry = runner.invoke(build_cli(), ["gc", url, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.startswith("Would drop 4 leftover staging table(s)")
    assert "__shv_stage_dead_0" in _tables(conn)
    res = runner.invoke(build_cli(), ["gc", url])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("Dropped 4 leftover staging table(s)")
    assert f"__shv_stage_{old}_1" in res.output
    again = runner.invoke(build_cli(), ["gc", url])
    assert again.output.startswith("No leftover staging tables")
    assert _tables(conn) == {"__shv_x", f"__shv_stage_{new}_0"}
    conn.close()


def test_gc_command_refuses_folders(tmp_path: Any) -> None:
    res = CliRunner().invoke(build_cli(), ["gc", f"parquet://{tmp_path}"])
    assert res.exit_code == 1
    assert res.output.startswith("Error: the parquet connector keeps no staging tables")
