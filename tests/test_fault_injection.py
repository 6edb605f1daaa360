"""Fault injection on multi-table writes (issue #18): SIGKILL at every commit step, two concurrent
``mode="error"`` writers, append twice - for the CSV/Parquet folder sinks and SQLite, PostgreSQL
and MariaDB through the SQL connector. A service that is down fails the test (CI starts them).

Each sink gets one driver process (a fresh interpreter, no sink opened before it forks) that:

* kill matrix: runs the write of the retail schema (4 tables, FK order) in a forked child that
  SIGKILLs itself before its k-th step, for every k; a step is every filesystem call that
  changes the folder (``os.open``/``mkdir``/``rename``/``replace``/``rmdir``/``unlink``/
  ``fsync``) for folders, every SQL statement and COMMIT issued by ``commit()`` (plus one kill
  half-way through staging) for SQL. After each kill a second forked process (which never
  wrote) opens the sink and checks: every table readable, 0 dangling foreign keys, the state
  all-old or all-new, no leftovers;
* race: two forked children released together by a pipe write the same empty target with
  ``mode="error"``; exactly one may succeed, the other must get ``ConnectorError``, and the
  output must be entirely the winner's.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from synthohive import Synthesizer
from synthohive.connectors import connect
from synthohive.testing.schemas import integrity_problems, retail_schema
from synthohive_sql.testing import backend_url

SINKS = [
    "csv",
    "parquet",
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mariadb", marks=pytest.mark.mariadb),
]

DRIVER = r'''
import json, os, signal, shutil, sys, time
args = json.loads(sys.argv[1])
SINK, BASE, WORK = args["sink"], args["base"], args["work"]
FOLDER = SINK in ("csv", "parquet")

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from synthohive.connectors import connect
from synthohive.errors import ConnectorError
from synthohive.testing.schemas import integrity_problems, retail_schema

ORDER = ["customers", "products", "orders", "order_items"]
META, OLD = retail_schema(seed=1, n_customers=25, n_products=10)
_, NEW = retail_schema(seed=2, n_customers=35, n_products=14)


def keys(frames):
    out = {}
    for name, frame in frames.items():
        pk = META.tables[name].primary_key
        out[name] = sorted(map(tuple, frame[pk].astype(str).to_numpy().tolist()))
    return out


OLD_KEYS, NEW_KEYS = keys(OLD), keys(NEW)
assert all(OLD_KEYS[t] != NEW_KEYS[t] for t in ORDER), "old and new must differ in every table"


def url_of(name):
    if FOLDER:
        return f"{SINK}://{BASE}/{name}"
    if SINK == "sqlite":
        return f"sqlite:///{BASE}/{name}.sqlite"
    return BASE  # one schema, reset before each run


def leftovers(url):
    if FOLDER:
        folder = url.split("://", 1)[1]
        if not os.path.isdir(folder):
            return []
        return sorted(n for n in os.listdir(folder) if n.startswith("."))
    conn = connect(url)
    try:
        names = sa.inspect(conn.engine).get_table_names(schema=conn.schema)
    finally:
        conn.close()
    return sorted(n for n in names if n.startswith("__shv"))


def in_child(fn, *a):
    """Run fn in a forked process; (how it ended, its JSON result or None when killed)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            data = json.dumps({"ok": fn(*a)}, default=str)
        except BaseException as exc:
            data = json.dumps({"error": type(exc).__name__, "message": str(exc)})
        with os.fdopen(w, "w") as fh:
            fh.write(data)
        os._exit(0)
    os.close(w)
    with os.fdopen(r) as fh:
        data = fh.read()
    _, status = os.waitpid(pid, 0)
    ended = "killed" if os.WIFSIGNALED(status) and os.WTERMSIG(status) == 9 else f"status {status}"
    return ended, (json.loads(data) if data else None)


def reset(url, frames):
    """Empty the target, then write frames (the old state) when given."""
    if frames is not None and SINK in ("postgres", "mariadb"):  # one overwrite replaces all
        conn = connect(url)
        with conn.begin_write(META, "overwrite") as s:
            for t in ORDER:
                s.append(t, frames[t])
        conn.close()
        return True
    if FOLDER:
        shutil.rmtree(url.split("://", 1)[1], ignore_errors=True)
    elif SINK == "postgres" or SINK == "mariadb":
        conn = connect(url)
        md = sa.MetaData()
        md.reflect(conn.engine, schema=conn.schema)
        md.drop_all(conn.engine)
        conn.close()
    else:
        path = url.split(":///", 1)[1]
        if os.path.exists(path):
            os.remove(path)
    if frames:
        conn = connect(url)
        with conn.begin_write(META, "error") as s:
            for t in ORDER:
                s.append(t, frames[t])
        conn.close()
    return True


def prepare(url, frames):
    """reset() (folders: in the driver, which keeps no state; SQL: in a child)."""
    return reset(url, frames) if FOLDER else in_child(reset, url, frames)[1] == {"ok": True}


class Killer:
    """Counts steps once armed and SIGKILLs the process before step ``at``."""

    def __init__(self, at):
        self.at, self.count, self.armed = at, 0, False

    def step(self, *a, **k):
        if not self.armed:
            return
        if self.count == self.at:
            os.kill(os.getpid(), signal.SIGKILL)
        self.count += 1

    def hook_os(self):
        for name in ("open", "mkdir", "rename", "replace", "rmdir", "unlink", "fsync"):
            orig = getattr(os, name)

            def hooked(*a, _orig=orig, **k):
                self.step()
                return _orig(*a, **k)

            setattr(os, name, hooked)

    def hook_sql(self):
        event.listen(Engine, "before_cursor_execute", self.step)
        event.listen(Engine, "commit", self.step)


def write(url, mode, frames, at, half_way=False):
    """Write frames; die at step ``at`` (None: never). Returns the number of steps."""
    killer = Killer(at)
    (killer.hook_os if FOLDER else killer.hook_sql)()
    if FOLDER:
        killer.armed = True
    conn = connect(url)
    s = conn.begin_write(META, mode)
    for i, t in enumerate(ORDER):
        if half_way and i == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        s.append(t, frames[t])
    killer.armed = True
    s.commit()
    conn.close()
    return killer.count


def verify(url, old_keys):
    """Open the sink afresh: readable tables, integrity, old/new/mixed, leftovers."""
    conn = connect(url)
    missing = FOLDER and not os.path.exists(url.split("://", 1)[1])
    names = [] if missing else conn.list_tables()
    tables = {t: conn.read(t) for t in names}
    got = keys(tables)
    state = "old" if got == old_keys else "new" if got == NEW_KEYS else "mixed"
    if set(names) == set(ORDER):
        problems = integrity_problems(META, tables)
    else:
        problems = [] if not names else [f"tables present: {names}"]
    conn.close()
    out = {"state": state, "problems": problems, "leftovers": leftovers(url), "tables": names}
    if out["leftovers"] and not FOLDER:
        # SQL drops crash leftovers when a write begins, if they are from an earlier second
        # (synthohive_sql._engine.stale_tables): start that write in the next second
        time.sleep(1.0 - time.time() % 1.0 + 0.01)
        conn = connect(url)
        conn.begin_write(META, "append").abort()
        conn.close()
        out["leftovers_after_next_write"] = leftovers(url)
    return out


def kill_matrix(name, mode, old):
    url = url_of(name)
    old_keys = OLD_KEYS if old else {}
    runs = []
    for at in [None, "half", *range(10_000)]:
        if isinstance(at, int) and at >= n_steps:
            break
        target = url_of(f"{name}-{at}")
        assert prepare(target, OLD if old else None)
        half = at == "half"
        ended, result = in_child(write, target, mode, NEW, None if half else at, half)
        if at is None:
            n_steps = result["ok"]
        _, check = in_child(verify, target, old_keys)
        runs.append({"at": at, "ended": ended, "write": result, "check": check})
    return {"steps": n_steps, "runs": runs}


def race(round_):
    url = url_of(f"race-{round_}")
    assert prepare(url, None)

    def writer(go, frames):
        os.read(go, 1)
        conn = connect(url)
        with conn.begin_write(META, "error") as s:
            for t in ORDER:
                half = len(frames[t]) // 2
                s.append(t, frames[t].iloc[:half])
                time.sleep(0.02)
                s.append(t, frames[t].iloc[half:])
        conn.close()
        return "written"

    pipes, pids = [], []
    for frames in (OLD, NEW):
        r, w = os.pipe()
        out_r, out_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(w)
            os.close(out_r)
            try:
                data = json.dumps({"ok": writer(r, frames)})
            except BaseException as exc:
                data = json.dumps({"error": type(exc).__name__, "message": str(exc)})
            with os.fdopen(out_w, "w") as fh:
                fh.write(data)
            os._exit(0)
        os.close(r)
        os.close(out_w)
        pipes.append((w, out_r))
        pids.append(pid)
    for w, _ in pipes:  # release both writers together
        os.write(w, b"x")
    results = []
    for (w, out_r), pid in zip(pipes, pids):
        with os.fdopen(out_r) as fh:
            results.append(json.loads(fh.read() or "null"))
        os.waitpid(pid, 0)
        os.close(w)
    _, check = in_child(verify, url, OLD_KEYS)
    return {"writers": results, "check": check}


# warm up lazy imports once, so forked children start warm (no connection stays open)
warm = url_of("warm") if SINK != "sqlite" else f"sqlite:///{WORK}/warm.sqlite"
conn = connect(warm)
conn.write("warm_t", OLD["customers"])
conn.read("warm_t")
if not FOLDER:
    sa.Table("warm_t", sa.MetaData(), schema=conn.schema).drop(conn.engine)
conn.close()

report = {}
if args.get("what", "all") in ("kill", "all"):
    if SINK == "csv":  # the protocol is the same for every folder format
        report["kill_new"] = kill_matrix("new", "error", False)
    report["kill_overwrite"] = kill_matrix("over", "overwrite", True)
if args.get("what", "all") in ("race", "all"):
    report["race"] = [race(i) for i in range(args["rounds"])]
print("REPORT " + json.dumps(report, default=str))
'''


class _Drivers:
    """The drivers of the selected sinks, started together (they mostly wait on I/O)."""

    def __init__(self, sinks: list[str], work: Path) -> None:
        self._stack = contextlib.ExitStack()
        self._procs: dict[str, subprocess.Popen[str] | Exception] = {}
        self._reports: dict[str, dict[str, Any]] = {}
        for sink in sinks:
            folder = work / sink
            folder.mkdir()
            try:
                base = (
                    self._stack.enter_context(backend_url(sink, str(folder)))
                    if sink in ("postgres", "mariadb")
                    else str(folder)
                )
            except Exception as exc:  # the service is down: that sink's tests fail
                self._procs[sink] = exc
                continue
            args = {"sink": sink, "base": base, "work": str(folder), "rounds": ROUNDS[sink]}
            self._procs[sink] = subprocess.Popen(
                [sys.executable, "-c", DRIVER, json.dumps(args)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )

    def report(self, sink: str) -> dict[str, Any]:
        if sink not in self._reports:
            proc = self._procs[sink]
            if isinstance(proc, Exception):
                raise proc
            out, err = proc.communicate(timeout=300)
            lines = [ln for ln in out.splitlines() if ln.startswith("REPORT ")]
            assert proc.returncode == 0 and lines, err[-4000:]
            self._reports[sink] = json.loads(lines[-1][len("REPORT ") :])
        return self._reports[sink]

    def close(self) -> None:
        for proc in self._procs.values():
            if isinstance(proc, subprocess.Popen) and proc.poll() is None:
                proc.kill()
                proc.communicate()
        self._stack.close()


ROUNDS = {"csv": 2, "parquet": 2, "sqlite": 2, "postgres": 2, "mariadb": 2}


@pytest.fixture(scope="module")
def drivers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[_Drivers]:
    """Drivers for every sink a selected test of this module needs."""
    sinks = sorted(
        {
            str(item.callspec.params["sink"])
            for item in request.session.items
            if isinstance(item, pytest.Function)
            and item.module is request.module
            and "drivers" in item.fixturenames
            and hasattr(item, "callspec")
        }
    )
    started = _Drivers(sinks, tmp_path_factory.mktemp("faults"))
    yield started
    started.close()


def _failures(runs: list[dict[str, Any]]) -> list[str]:
    bad = []
    for run in runs:
        check = run["check"] or {}
        ok = check.get("ok") or {}
        problems = []
        if "error" in check:
            problems.append(f"cannot read back: {check['error']}: {check['message']}")
        else:
            if ok["state"] not in ("old", "new"):
                problems.append(f"state {ok['state']} (tables {ok['tables']})")
            if ok["problems"]:
                problems.append(f"integrity {ok['problems']}")
            if ok["leftovers"] and "leftovers_after_next_write" not in ok:
                problems.append(f"leftovers after the next open {ok['leftovers']}")
            if ok.get("leftovers_after_next_write"):
                problems.append(
                    f"leftovers after the next write {ok['leftovers_after_next_write']}"
                )
        if problems:
            bad.append(f"kill before step {run['at']} ({run['ended']}): {'; '.join(problems)}")
    return bad


@pytest.mark.parametrize("sink", SINKS)
def test_sigkill_at_every_commit_step(drivers: _Drivers, sink: str) -> None:
    report = drivers.report(sink)
    for scenario in ("kill_new", "kill_overwrite"):
        if scenario not in report:
            continue
        matrix = report[scenario]
        runs = matrix["runs"]
        assert matrix["steps"] >= 3, matrix
        # every numbered step (and the half-way point) really killed the writer
        killed = [r for r in runs if r["at"] is not None]
        assert all(r["ended"] == "killed" for r in killed), [
            r for r in killed if r["ended"] != "killed"
        ]
        full = runs[0]
        assert full["write"] == {"ok": matrix["steps"]}, full
        assert full["check"]["ok"]["state"] == "new", full
        assert _failures(runs) == [], f"{sink} {scenario}"
        states = {r["check"]["ok"]["state"] for r in runs}
        assert states == {"old", "new"}, states  # both sides of the commit point were hit


@pytest.mark.parametrize("sink", SINKS)
def test_two_concurrent_error_mode_writers(drivers: _Drivers, sink: str) -> None:
    report = drivers.report(sink)
    for i, round_ in enumerate(report["race"]):
        writers = round_["writers"]
        won = [w for w in writers if w and w.get("ok") == "written"]
        lost = [w for w in writers if w and w.get("error")]
        assert len(won) == 1 and len(lost) == 1, f"{sink} round {i}: {writers}"
        assert lost[0]["error"] in ("ConnectorError", "TableNotFoundError"), lost[0]
        winner = "old" if writers[0] is won[0] else "new"  # writer 0 writes OLD, 1 writes NEW
        check = round_["check"]["ok"]
        assert check["state"] == winner, f"{sink} round {i}: output is {check['state']}"
        assert check["problems"] == [] and not check.get("leftovers_after_next_write"), check
        if sink in ("csv", "parquet"):
            assert check["leftovers"] == [], check


# --- append twice ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted() -> tuple[Any, Synthesizer]:
    meta, data = retail_schema(seed=3, n_customers=60, n_products=20)
    return meta, Synthesizer(meta, seed=0, progress=False).fit(data)


@pytest.mark.parametrize("sink", SINKS)
def test_append_twice_continues_keys(
    fitted: tuple[Any, Synthesizer], sink: str, tmp_path: Path
) -> None:
    """Two ``mode="append"`` samples into one sink: every row kept, keys unique, 0 dangling FKs.

    DEPENDS ON THE SYNTHESIZER'S APPEND FIX (issue #18, append-twice duplicate keys, owned by
    the synthesizer, not the sinks): keys must continue after what the target holds. Without
    it this fails on every sink (folders: repeated primary keys; SQL: the second write is
    refused with a duplicate-key ``ConnectorError``).
    """
    meta, synth = fitted
    with contextlib.ExitStack() as stack:
        if sink in ("postgres", "mariadb"):
            url = stack.enter_context(backend_url(sink, str(tmp_path)))
        elif sink == "sqlite":
            url = f"sqlite:///{tmp_path}/out.sqlite"
        else:
            url = f"{sink}://{tmp_path}/out"
        first = synth.sample(scale=0.5, sink=url, mode="append", seed=1)
        second = synth.sample(scale=0.5, sink=url, mode="append", seed=2)
        conn = connect(url)
        tables = {t: conn.read(t) for t in meta.tables}
        conn.close()
    expected = {t: first["tables"][t] + second["tables"][t] for t in meta.tables}
    assert {t: len(f) for t, f in tables.items()} == expected
    assert integrity_problems(meta, tables) == []
    assert isinstance(tables["customers"], pd.DataFrame)
