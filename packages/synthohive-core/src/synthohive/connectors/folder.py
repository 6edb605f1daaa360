"""Folder connectors (one file per table): the public base for ``csv://``, ``parquet://`` and
third-party formats. A subclass sets ``name``, ``schemes`` and ``suffix``, implements ``read``
(and ``iter_chunks`` to stream) and three staging hooks (``stage_open``, ``stage_append``,
``stage_close``); it inherits locking, all-or-nothing commits, the write modes and crash
recovery. See docs/plugins.md, "Folder connectors".

The folder protocol itself (lock, commit point, recovery) is in
:mod:`synthohive.connectors.folder_atomic`.
"""

from __future__ import annotations

import contextlib
import difflib
import secrets
import shutil
from abc import abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import pandas as pd

from synthohive.connectors.base import Connector, WriteMode, WriteSession, check_mode
from synthohive.connectors.folder_atomic import (
    COMMIT_PREFIX,
    OWN_PREFIX,
    STAGE_PREFIX,
    FolderLock,
    commit_dirs,
    fsync_dir,
    fsync_file,
    publish,
    recover,
    recover_when_free,
)
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
        return commit_dirs(self.folder)

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
                fsync_file(staged.tmp)
            fsync_dir(stage)
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
            fsync_dir(folder)
            publish(committed, folder, [s.target.name for s in self._staged.values()])
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
