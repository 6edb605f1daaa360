"""Folder connectors (one file per table): the public base for ``csv://``, ``parquet://`` and
third-party formats. A subclass sets ``name``, ``schemes`` and ``suffix``, implements ``read``
(and ``iter_chunks`` to stream) and three staging hooks (``stage_open``, ``stage_append``,
``stage_close``); it inherits locking, all-or-nothing commits, the write modes and crash
recovery. See docs/plugins.md, "Folder connectors".

A folder holds one ``<table><suffix>`` file per table and, once a write is over, nothing else of
ours: folders written by other tools read the same way. While a write session runs, the folder
also holds hidden entries of that session:

* ``.shv-lock`` - the writers' lock: an ``flock`` on this file, so one session writes a folder at
  a time (the kernel drops it when its holder dies: a stale lock never blocks). It records the
  holder's pid and host for error messages and is deleted on release.
* ``.shv-stage-<token>/`` - the new table files, written while the session appends.
* ``.shv-commit-<token>/`` - the same folder after the commit point.

``commit`` closes and fsyncs every staged file and the stage folder, renames
``.shv-stage-<token>`` to ``.shv-commit-<token>`` (one rename: the commit point for every table
of the session), moves each file over its target with ``os.replace``, removes the empty folder
and releases the lock. ``abort`` (or an exception in the ``with`` block) deletes the stage folder.

Recovery, by whoever next takes the lock (a writer before it stages; a reader that finds
``.shv-`` entries and a free lock): a ``.shv-commit-*`` folder is rolled forward (its remaining
files moved into place) and ``.shv-stage-*`` folders are deleted. A write killed at any point
thus reads as all-old (before the commit point) or all-new (after). A reader that finds the lock
held by a live writer leaves its files alone and reads committed tables from its commit folder.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import secrets
import shutil
import socket
import sys
import time
from abc import abstractmethod
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import pandas as pd

from synthohive._io import default_file_mode
from synthohive.connectors.base import Connector, WriteMode, WriteSession, check_mode
from synthohive.errors import ConnectorError, InvalidIdentifierError, TableNotFoundError
from synthohive.log import get_logger

if TYPE_CHECKING:
    from synthohive.metadata.schema import Metadata, Table

log = get_logger(__name__)

__all__ = [
    "FolderConnector",
    "FolderLock",
    "FolderWriteSession",
    "check_table_name",
    "folder_from_url",
    "not_found",
    "recover",
    "recover_when_free",
    "restore_dtypes",
]

T = TypeVar("T")

_BAD_NAME_CHARS = set('/\\\0:*?"<>|')
OWN_PREFIX = ".shv-"
LOCK_FILE = ".shv-lock"
STAGE_PREFIX = ".shv-stage-"
COMMIT_PREFIX = ".shv-commit-"


def folder_from_url(url: str, scheme: str) -> Path:
    """``csv://data/shop`` -> ``data/shop``; ``csv:///abs/path`` -> ``/abs/path``; ``~`` expands."""
    head, sep, rest = url.partition("://")
    if not sep:
        rest = url
    elif head.split("+", 1)[0].lower() != scheme:
        raise ConnectorError(f"{url!r} is not a {scheme}:// URL", fix=f"use {scheme}://FOLDER")
    if not rest:
        raise ConnectorError(
            f"{url!r} names no folder", fix=f"write it as {scheme}://path/to/folder"
        )
    return Path(rest).expanduser()


def check_table_name(table: str) -> str:
    """A table name usable as a file name: not empty, no path separators, not hidden."""
    if (
        not isinstance(table, str)
        or not table
        or table.startswith(".")
        or any(ch in _BAD_NAME_CHARS for ch in table)
        or not table.isprintable()
    ):
        raise InvalidIdentifierError(
            f"table name {table!r} cannot be used as a file name",
            table=str(table),
            fix="use a name without '/', '\\\\', ':' or a leading '.'",
        )
    return table


def not_found(table: str, available: list[str], where: str) -> TableNotFoundError:
    """``TableNotFoundError`` listing close matches (case-insensitive) and what exists."""
    lowered: dict[str, str] = {}
    for name in available:
        lowered.setdefault(name.lower(), name)
    close = [
        lowered[c] for c in difflib.get_close_matches(table.lower(), list(lowered), n=3, cutoff=0.6)
    ]
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    listed = ", ".join(available[:20]) + (", ..." if len(available) > 20 else "")
    return TableNotFoundError(
        f"no such table in {where}.{hint} Available tables: {listed or 'none'}.",
        table=table,
        fix="check the table name (names are case-sensitive)",
    )


# --- the writers' lock -----------------------------------------------------------------------
if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    _UNLINK_ON_RELEASE = False  # an open file cannot be deleted there
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    _UNLINK_ON_RELEASE = True


class FolderLock:
    """The exclusive lock of a folder's writers: an ``flock`` on ``<folder>/.shv-lock``.

    Held from a session's first ``append`` to its ``commit``/``abort``. The kernel releases it
    when the holder dies, so a lock left by a killed process is simply taken over; the file
    names the holder (pid, host, start) for the message a second writer gets.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_FILE
        self._fd: int | None = None

    def acquire(self, timeout: float = 0.0, purpose: str = "write") -> bool:
        """Take the lock, waiting up to ``timeout`` seconds; False when another holds it."""
        deadline = time.monotonic() + timeout
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, default_file_mode())
            try:
                locked = _try_lock(fd)
                # the previous holder may have deleted the file before we locked it
                if locked and _same_file(fd, self.path):
                    owner = {
                        "pid": os.getpid(),
                        "host": socket.gethostname(),
                        "since": datetime.now(UTC).isoformat(timespec="seconds"),
                        "purpose": purpose,
                    }
                    os.ftruncate(fd, 0)
                    os.write(fd, json.dumps(owner).encode())
                    self._fd = fd
                    return True
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)
            if not locked:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.05)

    def release(self) -> None:
        """Delete the lock file (while still holding it) and drop the lock."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if _UNLINK_ON_RELEASE:
                with contextlib.suppress(OSError):
                    self.path.unlink()
        finally:
            os.close(fd)

    def holder(self) -> str:
        """Who holds the lock, as recorded in the lock file (for messages)."""
        try:
            owner = json.loads(self.path.read_text(encoding="utf-8"))
            return f"pid {owner['pid']} on host {owner['host']}, since {owner['since']}"
        except (OSError, ValueError, KeyError, TypeError):
            return "another process"


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), path.stat())
    except FileNotFoundError:
        return False


# --- commit and recovery ---------------------------------------------------------------------
def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    """Persist a folder's entries (renames); a no-op where folders cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _publish(committed: Path, folder: Path, order: Sequence[str] = ()) -> None:
    """Move every file of a commit folder over its target, then remove the folder."""
    names = {p.name for p in committed.iterdir()}
    for name in [*(n for n in order if n in names), *sorted(names.difference(order))]:
        (committed / name).replace(folder / name)
    _fsync_dir(folder)
    committed.rmdir()


def _commit_dirs(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.name.startswith(COMMIT_PREFIX))
    except OSError:
        return []


def recover(folder: Path) -> None:
    """Finish or discard what killed writers left in ``folder`` (the caller holds its lock):
    commit folders are rolled forward, stage folders deleted."""
    for path in sorted(folder.iterdir()):
        name = path.name
        if not path.is_dir() or path.is_symlink():
            continue
        if name.startswith(COMMIT_PREFIX):
            _publish(path, folder)
            log.warning("folder_write_rolled_forward", folder=str(folder), leftover=name)
        elif name.startswith(STAGE_PREFIX):
            shutil.rmtree(path)
            log.warning("folder_write_discarded", folder=str(folder), leftover=name)


def recover_when_free(folder: Path, settle: Callable[[Path], None]) -> bool:
    """Run ``settle(folder)`` (crash recovery) when no writer holds the folder's lock; True
    when it ran. A folder we cannot lock or write is logged and left as it is."""
    lock = FolderLock(folder)
    try:
        if lock.acquire(0.0, purpose="recover"):
            try:
                settle(folder)
            finally:
                lock.release()
            return True
    except OSError as exc:
        log.warning("folder_recovery_failed", folder=str(folder), error=str(exc))
    return False


def _unwritable(folder: Path, table: str, exc: OSError) -> ConnectorError:
    return ConnectorError(
        f"cannot write to {str(folder)!r}: {exc.strerror or exc}",
        table=table,
        fix="choose a writable folder (check it exists, permissions and free space)",
    )


def _lock_timeout(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ConnectorError(
            f"lock_timeout must be a number of seconds >= 0, got {value!r}",
            fix="pass lock_timeout=0 (fail at once, the default) or a number of seconds to wait",
        )
    return float(value)


def restore_dtypes(frame: pd.DataFrame, table: Table | None) -> pd.DataFrame:
    """Cast ``frame``'s columns to the dtypes ``table`` (metadata) records, where known."""
    if table is None:
        return frame
    out = {}
    for name, col in table.columns.items():
        if name not in frame.columns:
            continue
        series: Any = frame[name]
        target = col.dtype
        try:
            if col.sdtype == "datetime" and (target is None or target.startswith("datetime64")):
                tz = col.timezone or (
                    target.split(",", 1)[1].strip(" ]") if target and "," in target else None
                )
                if series.dtype.kind != "M" and not (target is None and col.format):
                    series = pd.to_datetime(series, utc=tz is not None, format="ISO8601")
                    if tz is not None:
                        series = series.dt.tz_convert(tz)
                if target is not None and str(series.dtype) != target:
                    series = series.astype(target)
            elif target is not None and str(series.dtype) != target:
                series = series.astype(target)
        except (ValueError, TypeError) as exc:
            log.warning("dtype_not_restored", table=table.name, column=name, error=str(exc))
            continue
        out[name] = series
    if not out:
        return frame
    frame = frame.copy()
    for name, series in out.items():
        frame[name] = series
    return frame


class FolderConnector(Connector):
    """Base of connectors storing one file per table in a folder.

    Option ``lock_timeout=`` (seconds, default 0): how long a write waits for another session
    writing the same folder before it fails with ``ConnectorError``.
    """

    suffix: ClassVar[str]

    def __init__(self, url: str, **options: Any) -> None:
        super().__init__(url, **options)
        self.folder = folder_from_url(url, self.schemes[0])
        self._metadata: Metadata | None = options.get("metadata")
        self.lock_timeout = _lock_timeout(options.get("lock_timeout", 0.0))

    # --- reading ----------------------------------------------------------------------------
    def _pending(self) -> list[Path]:
        """Settle what an earlier write left: recover it when no writer is live; otherwise the
        live writer's commit folders (their files are the committed tables)."""
        try:
            own = [p for p in self.folder.iterdir() if p.name.startswith(OWN_PREFIX)]
        except OSError:
            return []
        if not own:
            return []
        # e.g. a read-only folder cannot be recovered: read through the commit folder
        recover_when_free(self.folder, recover)
        return _commit_dirs(self.folder)

    def list_tables(self) -> list[str]:
        if not self.folder.exists():
            raise ConnectorError(
                f"folder {str(self.folder)!r} does not exist",
                fix=f"check the path in {self.url!r}, or write tables to it first",
            )
        if not self.folder.is_dir():
            raise ConnectorError(
                f"{str(self.folder)!r} is not a folder",
                fix=f"{self.schemes[0]}:// URLs name a folder holding one file per table",
            )
        files: list[Path] = []
        for committed in self._pending():  # before the folder: a file may move meanwhile
            with contextlib.suppress(FileNotFoundError):
                files.extend(committed.iterdir())
        files.extend(self.folder.iterdir())
        return sorted(
            {
                p.name[: -len(self.suffix)]
                for p in files
                if p.name.endswith(self.suffix) and not p.name.startswith(".") and p.is_file()
            }
        )

    def path_of(self, table: str) -> Path:
        """The file that holds ``table``."""
        return self.folder / f"{check_table_name(table)}{self.suffix}"

    def _existing(self, table: str) -> Path:
        path = self.path_of(table)
        for committed in self._pending():
            if (committed / path.name).is_file():
                return committed / path.name
        if not path.is_file():
            raise not_found(table, self.list_tables(), repr(str(self.folder)))
        return path

    def with_file(self, table: str, use: Callable[[Path], T]) -> T:
        """``use(the file of table)``, once more if a live commit moved it meanwhile."""
        path = self._existing(table)
        try:
            return use(path)
        except FileNotFoundError:
            if path.parent == self.folder:
                raise
            return use(self._existing(table))

    def table_meta(self, table: str, metadata: Metadata | None) -> Any:
        meta = metadata if metadata is not None else self._metadata
        if meta is None:
            return None
        return meta.tables.get(table)

    def begin_write(
        self, metadata: Metadata | None = None, mode: WriteMode = "error"
    ) -> WriteSession:
        check_mode(mode)
        return FolderWriteSession(self, mode)

    # --- per-format staging -----------------------------------------------------------------
    @abstractmethod
    def stage_open(self, table: str, tmp: Path, target: Path, mode: WriteMode) -> Any:
        """Open a staging writer at ``tmp`` (copying ``target``'s rows first for append)."""

    @abstractmethod
    def stage_append(self, state: Any, frame: pd.DataFrame) -> None:
        """Write ``frame``'s rows to the staging writer."""

    @abstractmethod
    def stage_close(self, state: Any) -> None:
        """Finish the staged file (flush, footer)."""


class _Staged:
    def __init__(self, target: Path, tmp: Path, state: Any) -> None:
        self.target = target
        self.tmp = tmp
        self.state = state
        self.rows = 0


class FolderWriteSession(WriteSession):
    """All-or-nothing write of one or more tables into a folder connector (see the module)."""

    def __init__(self, connector: FolderConnector, mode: WriteMode) -> None:
        self.connector = connector
        self.mode = mode
        self._staged: dict[str, _Staged] = {}
        self._lock: FolderLock | None = None
        self._stage: Path | None = None
        self._done = False

    def append(self, table: str, frame: pd.DataFrame) -> None:
        self.check_append(table, frame, self._done)
        staged = self._staged.get(table)
        if staged is None:
            staged = self._open(table)
            self._staged[table] = staged
        self.connector.stage_append(staged.state, frame)
        staged.rows += len(frame)

    def _start(self, table: str) -> Path:
        """Take the folder's lock, finish what a killed writer left, create the stage folder."""
        if self._stage is not None:
            return self._stage
        folder = self.connector.folder
        lock = FolderLock(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            locked = lock.acquire(self.connector.lock_timeout)
        except OSError as exc:
            raise _unwritable(folder, table, exc) from None
        if not locked:
            raise ConnectorError(
                f"folder {str(folder)!r} is being written by another session "
                f"({lock.holder()}); nothing was written",
                table=table,
                fix="wait for that write to finish and retry (mode='error' then refuses tables "
                "it wrote), pass lock_timeout=SECONDS to the connector to wait, or write to "
                "another folder",
            )
        try:
            recover(folder)
            stage = folder / f"{STAGE_PREFIX}{secrets.token_hex(8)}"
            stage.mkdir()
        except BaseException as exc:
            lock.release()
            if isinstance(exc, OSError):
                raise _unwritable(folder, table, exc) from None
            raise
        self._lock, self._stage = lock, stage
        return stage

    def _open(self, table: str) -> _Staged:
        conn = self.connector
        target = conn.path_of(table)
        stage = self._start(table)
        if target.exists() or target.is_symlink():
            if self.mode == "error":
                raise ConnectorError(
                    f"table {table!r} already exists at {str(target)!r}",
                    table=table,
                    fix="pass mode='overwrite' to replace it or mode='append' to add rows",
                )
            if not target.is_file():
                raise ConnectorError(
                    f"{str(target)!r} is not a regular file",
                    table=table,
                    fix="remove or rename it, or write to another folder",
                )
        tmp = stage / target.name
        try:
            state = conn.stage_open(table, tmp, target, self.mode)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return _Staged(target, tmp, state)

    def commit(self) -> None:
        if self._done:
            return
        stage, folder = self._stage, self.connector.folder
        if stage is None:  # nothing was appended
            self._done = True
            return
        committed = folder / f"{COMMIT_PREFIX}{stage.name[len(STAGE_PREFIX) :]}"
        try:
            for staged in self._staged.values():
                self.connector.stage_close(staged.state)
                _fsync_file(staged.tmp)
            _fsync_dir(stage)
            stage.rename(committed)  # the commit point, for every table at once
        except BaseException as exc:
            self.abort()
            if isinstance(exc, OSError):
                raise ConnectorError(
                    f"cannot commit the write to {str(folder)!r}: {exc.strerror or exc}",
                    fix="check free space and permissions of the folder; nothing was changed",
                ) from None
            raise
        self._stage, self._done = None, True
        try:
            _fsync_dir(folder)
            _publish(committed, folder, [s.target.name for s in self._staged.values()])
        except OSError as exc:
            raise ConnectorError(
                f"the write to {str(folder)!r} is committed but its files could not all be "
                f"moved into place: {exc.strerror or exc}",
                fix="fix the folder's permissions: the next read or write of it finishes the move",
            ) from None
        finally:
            self._release()
        for staged in self._staged.values():
            log.info("table_written", path=str(staged.target), rows=staged.rows, mode=self.mode)
        self._staged.clear()

    def abort(self) -> None:
        if self._done:
            return
        self._done = True
        for staged in self._staged.values():
            try:
                self.connector.stage_close(staged.state)
            except Exception:  # best-effort close of a half-written file
                log.debug("staging_close_failed", path=str(staged.tmp))
        if self._stage is not None:
            shutil.rmtree(self._stage, ignore_errors=True)
            self._stage = None
        self._staged.clear()
        self._release()

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None
