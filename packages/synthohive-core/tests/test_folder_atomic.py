"""Folder sinks (CSV/Parquet), issue #18: one commit point for all tables, recovery of what a
killed write left, and the writers' lock. The SIGKILL-at-every-step matrix and races between two
real processes run in the top-level ``tests/test_fault_injection.py``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from synthohive.connectors import connect
from synthohive.connectors.files import CSVConnector, ParquetConnector
from synthohive.connectors.folder_atomic import COMMIT_PREFIX, LOCK_FILE, STAGE_PREFIX, FolderLock
from synthohive.errors import ConnectorError


@pytest.fixture(params=["csv", "parquet"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make(kind: str, folder: Path, **options: object) -> CSVConnector | ParquetConnector:
    conn = connect(f"{kind}://{folder}", **options)
    assert isinstance(conn, CSVConnector | ParquetConnector)
    return conn


def tables(version: int) -> dict[str, pd.DataFrame]:
    """Two related tables; ``version`` changes every row."""
    n = 3 + version
    parents = pd.DataFrame({"id": range(n), "v": [version] * n})
    children = pd.DataFrame({"id": range(2 * n), "parent_id": [i % n for i in range(2 * n)]})
    return {"parents": parents, "children": children}


def write(conn: CSVConnector | ParquetConnector, version: int, mode: str = "overwrite") -> None:
    with conn.begin_write(mode=mode) as session:  # type: ignore[arg-type]
        for name, frame in tables(version).items():
            session.append(name, frame)


def version_of(conn: CSVConnector | ParquetConnector) -> set[int]:
    """The versions the tables hold (one element when consistent)."""
    found = set()
    for name in conn.list_tables():
        frame = conn.read(name)
        found.add(len(frame) - 3 if name == "parents" else len(frame) // 2 - 3)
    return found


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# --- the commit -----------------------------------------------------------------------------------
def test_session_stages_in_one_hidden_folder(tmp_path: Path, kind: str) -> None:
    conn = make(kind, tmp_path)
    write(conn, 1, "error")
    old = {n: conn.path_of(n).read_bytes() for n in ("parents", "children")}
    with conn.begin_write(mode="overwrite") as session:
        for name, frame in tables(2).items():
            session.append(name, frame)
        names = hidden(tmp_path)
        assert names[0] == LOCK_FILE and names[1].startswith(STAGE_PREFIX) and len(names) == 2
        staged = sorted(p.name for p in (tmp_path / names[1]).iterdir())
        assert staged == sorted(conn.path_of(n).name for n in ("parents", "children"))
        assert {n: conn.path_of(n).read_bytes() for n in old} == old  # nothing visible yet
        assert version_of(conn) == {1}  # readers leave a live writer's files alone
        assert len(hidden(tmp_path)) == 2
    assert version_of(conn) == {2}
    assert hidden(tmp_path) == []


def test_failure_at_the_commit_point_changes_nothing(
    tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = make(kind, tmp_path)
    write(conn, 1, "error")

    def refuse(self: Path, target: Path) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "rename", refuse)
    with pytest.raises(ConnectorError, match=r"cannot commit .* No space left") as info:
        write(conn, 2)
    assert "nothing was changed" in str(info.value)
    monkeypatch.undo()
    assert version_of(conn) == {1}
    assert hidden(tmp_path) == []


def test_failure_after_the_commit_point_is_finished_by_the_next_read(
    tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = make(kind, tmp_path)
    write(conn, 1, "error")
    real_replace = Path.replace
    calls: list[str] = []

    def flaky(self: Path, target: Path) -> Path:
        calls.append(self.name)
        if len(calls) == 2:
            raise OSError(13, "Permission denied")
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", flaky)
    with pytest.raises(ConnectorError, match="is committed but") as info:
        write(conn, 2)
    assert "next read or write" in str(info.value)
    monkeypatch.undo()
    assert any(n.startswith(COMMIT_PREFIX) for n in hidden(tmp_path))
    fresh = make(kind, tmp_path)  # the next open
    assert version_of(fresh) == {2}
    assert hidden(tmp_path) == []


# --- recovery -------------------------------------------------------------------------------------
def _dead_lock(folder: Path) -> None:
    """A lock file left by a killed writer (nobody holds the flock)."""
    owner = {"pid": 2**22 + 7, "host": "gone", "since": "2020-01-01T00:00:00+00:00"}
    (folder / LOCK_FILE).write_text(json.dumps(owner))


def test_uncommitted_leftovers_are_discarded(tmp_path: Path, kind: str) -> None:
    conn = make(kind, tmp_path)
    write(conn, 1, "error")
    stage = tmp_path / f"{STAGE_PREFIX}deadbeef"
    stage.mkdir()
    (stage / conn.path_of("parents").name).write_bytes(b"half-written")
    _dead_lock(tmp_path)
    assert make(kind, tmp_path).list_tables() == ["children", "parents"]
    assert hidden(tmp_path) == []
    assert version_of(conn) == {1}


def test_committed_leftovers_are_rolled_forward(tmp_path: Path, kind: str) -> None:
    conn = make(kind, tmp_path)
    write(conn, 1, "error")
    other = make(kind, tmp_path / "v2")
    write(other, 2, "error")
    committed = tmp_path / f"{COMMIT_PREFIX}deadbeef"
    committed.mkdir()
    # killed after moving "parents" into place, before "children"
    other.path_of("parents").replace(conn.path_of("parents"))
    other.path_of("children").replace(committed / conn.path_of("children").name)
    _dead_lock(tmp_path)
    plain = pd.read_csv if kind == "csv" else pd.read_parquet
    # another tool sees new parents with old children; our connector finishes on open
    assert len(plain(conn.path_of("parents"))) == 5 and len(plain(conn.path_of("children"))) == 8
    assert version_of(make(kind, tmp_path)) == {2}
    assert hidden(tmp_path) == []


def test_reader_follows_a_live_writers_commit(tmp_path: Path, kind: str) -> None:
    conn = make(kind, tmp_path)
    write(conn, 1, "error")
    other = make(kind, tmp_path / "v2")
    write(other, 2, "error")
    lock = FolderLock(tmp_path)
    assert lock.acquire()  # a live writer, half-way through publishing
    committed = tmp_path / f"{COMMIT_PREFIX}cafe"
    committed.mkdir()
    other.path_of("parents").replace(conn.path_of("parents"))
    other.path_of("children").replace(committed / conn.path_of("children").name)
    assert version_of(conn) == {2}  # children read from the commit folder
    assert committed.exists()  # a live writer's files are left alone
    lock.release()
    assert version_of(make(kind, tmp_path)) == {2}
    assert hidden(tmp_path) == []


def test_plain_folders_and_foreign_hidden_files(tmp_path: Path) -> None:
    frames = tables(1)
    for name, frame in frames.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
        frame.to_parquet(tmp_path / f"{name}.parquet")
    (tmp_path / ".DS_Store").write_bytes(b"x")
    (tmp_path / ".parents.csv.swp").write_bytes(b"editor")
    for kind in ("csv", "parquet"):
        conn = make(kind, tmp_path)
        assert conn.list_tables() == ["children", "parents"]
        pd.testing.assert_frame_equal(conn.read("parents"), frames["parents"])
        write(conn, 2)
        assert version_of(conn) == {2}
    assert hidden(tmp_path) == [".DS_Store", ".parents.csv.swp"]


# --- the lock -------------------------------------------------------------------------------------
def test_second_session_gets_a_typed_error(tmp_path: Path, kind: str) -> None:
    first, second = make(kind, tmp_path), make(kind, tmp_path)
    with first.begin_write(mode="error") as session:
        session.append("parents", tables(1)["parents"])
        with pytest.raises(ConnectorError) as info:
            write(second, 2, "error")
        message = str(info.value)
        assert "table 'parents'" in message and str(tmp_path) in message
        assert f"being written by another session (pid {os.getpid()}" in message
        assert "Fix: wait for that write to finish" in message
    with pytest.raises(ConnectorError, match="already exists"):
        write(second, 2, "error")
    assert version_of(first) == {1} and hidden(tmp_path) == []


def test_stale_lock_file_is_taken_over(tmp_path: Path, kind: str) -> None:
    _dead_lock(tmp_path)
    conn = make(kind, tmp_path)
    write(conn, 1, "error")
    assert version_of(conn) == {1} and hidden(tmp_path) == []


HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, ('{"pid": %d, "host": "h", "since": "s"}' % os.getpid()).encode())
print("locked", flush=True)
time.sleep(60)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="flock holder script is POSIX-only")
def test_lock_of_another_process_and_its_death(tmp_path: Path) -> None:
    conn = make("csv", tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / LOCK_FILE)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(ConnectorError, match=f"pid {holder.pid} on host h"):
            write(conn, 1, "error")
        assert hidden(tmp_path) == [LOCK_FILE]  # the live holder's file is left alone
    finally:
        holder.kill()
        holder.wait()
    write(conn, 1, "error")  # the kernel dropped the dead holder's lock
    assert version_of(conn) == {1} and hidden(tmp_path) == []


def test_lock_timeout_waits_for_the_other_session(tmp_path: Path, kind: str) -> None:
    first = make(kind, tmp_path)
    second = make(kind, tmp_path, lock_timeout=10)
    session = first.begin_write(mode="error")
    session.append("parents", tables(1)["parents"])
    timer = threading.Timer(0.3, session.commit)
    timer.start()
    started = time.monotonic()
    write(second, 2)
    timer.join()
    assert time.monotonic() - started >= 0.25
    assert version_of(second) == {2} and hidden(tmp_path) == []
    with pytest.raises(ConnectorError, match="lock_timeout must be a number of seconds"):
        make(kind, tmp_path, lock_timeout=-1)
