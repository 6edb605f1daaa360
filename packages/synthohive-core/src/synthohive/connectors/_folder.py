"""Shared machinery of folder connectors (one file per table): paths, names, atomic sessions.

A write stages each table in a hidden temporary file beside its target (same folder, so the
final ``os.replace`` is atomic). Nothing is visible until ``commit``, which first finishes and
fsyncs every staged file, then renames them over their targets; ``abort`` (or an exception in
the ``with`` block) deletes the staged files and leaves every target untouched.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from abc import abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from synthohive._io import default_file_mode
from synthohive.connectors.base import Connector, WriteMode, WriteSession, check_mode
from synthohive.errors import ConnectorError, InvalidIdentifierError, TableNotFoundError
from synthohive.log import get_logger

if TYPE_CHECKING:
    from synthohive.metadata.schema import Metadata

log = get_logger(__name__)

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


class FolderConnector(Connector):
    """Base of connectors storing one file per table in a folder."""

    suffix: ClassVar[str]

    def __init__(self, url: str, **options: Any) -> None:
        super().__init__(url, **options)
        self.folder = folder_from_url(url, self.schemes[0])
        self._metadata: Metadata | None = options.get("metadata")

    # --- reading ----------------------------------------------------------------------------
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
        return sorted(
            p.name[: -len(self.suffix)]
            for p in self.folder.iterdir()
            if p.name.endswith(self.suffix) and not p.name.startswith(".") and p.is_file()
        )

    def path_of(self, table: str) -> Path:
        """The file that holds ``table``."""
        return self.folder / f"{check_table_name(table)}{self.suffix}"

    def _existing(self, table: str) -> Path:
        path = self.path_of(table)
        if not path.is_file():
            raise not_found(table, self.list_tables(), repr(str(self.folder)))
        return path

    def _table_meta(self, table: str, metadata: Metadata | None) -> Any:
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
    def _stage_open(self, table: str, tmp: Path, target: Path, mode: WriteMode) -> Any:
        """Open a staging writer at ``tmp`` (copying ``target``'s rows first for append)."""

    @abstractmethod
    def _stage_append(self, state: Any, frame: pd.DataFrame) -> None:
        """Write ``frame``'s rows to the staging writer."""

    @abstractmethod
    def _stage_close(self, state: Any) -> None:
        """Finish the staged file (flush, footer)."""


def _backup(target: Path) -> Path | None:
    """Hard-link ``target`` to a hidden backup name (None when absent or links unsupported)."""
    if not target.exists():
        return None
    backup = target.with_name(f".{target.name}.{os.getpid()}.{id(target):x}.bak")
    try:
        backup.unlink(missing_ok=True)
        os.link(target, backup)
    except OSError:
        return None
    return backup


class _Staged:
    def __init__(self, target: Path, tmp: Path, state: Any) -> None:
        self.target = target
        self.tmp = tmp
        self.state = state
        self.rows = 0


class FolderWriteSession(WriteSession):
    """All-or-nothing write of one or more tables into a folder connector."""

    def __init__(self, connector: FolderConnector, mode: WriteMode) -> None:
        self.connector = connector
        self.mode = mode
        self._staged: dict[str, _Staged] = {}
        self._done = False

    def append(self, table: str, frame: pd.DataFrame) -> None:
        if self._done:
            raise ConnectorError("this write session is already committed or aborted")
        if not isinstance(frame, pd.DataFrame):
            raise ConnectorError(
                f"expected a pandas DataFrame for table {table!r}, got {type(frame).__name__}",
                table=table,
            )
        staged = self._staged.get(table)
        if staged is None:
            staged = self._open(table)
            self._staged[table] = staged
        self.connector._stage_append(staged.state, frame)
        staged.rows += len(frame)

    def _open(self, table: str) -> _Staged:
        conn = self.connector
        target = conn.path_of(table)
        if self.mode == "error" and target.exists():
            raise ConnectorError(
                f"table {table!r} already exists at {str(target)!r}",
                table=table,
                fix="pass mode='overwrite' to replace it or mode='append' to add rows",
            )
        try:
            conn.folder.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=conn.folder)
            os.close(fd)
        except OSError as exc:
            raise ConnectorError(
                f"cannot write to {str(conn.folder)!r}: {exc.strerror or exc}",
                table=table,
                fix="choose a writable folder (check it exists, permissions and free space)",
            ) from None
        tmp = Path(name)
        try:
            tmp.chmod(default_file_mode())
            state = conn._stage_open(table, tmp, target, self.mode)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return _Staged(target, tmp, state)

    def commit(self) -> None:
        if self._done:
            return
        try:
            for staged in self._staged.values():
                self.connector._stage_close(staged.state)
                with open(staged.tmp, "rb+") as fh:
                    os.fsync(fh.fileno())
        except BaseException:
            self.abort()
            raise
        backups: dict[str, Path | None] = {}
        replaced: list[str] = []
        try:
            for table, staged in self._staged.items():
                backups[table] = _backup(staged.target)
                staged.tmp.replace(staged.target)
                replaced.append(table)
        except OSError as exc:
            self._rollback(replaced, backups)
            self.abort()
            raise ConnectorError(
                f"cannot publish {str(staged.target)!r}: {exc.strerror or exc}",
                table=table,
                fix="check permissions of the folder and that the file is not locked",
            ) from None
        for table, staged in self._staged.items():
            backup = backups.get(table)
            if backup is not None:
                backup.unlink(missing_ok=True)
            log.info("table_written", path=str(staged.target), rows=staged.rows, mode=self.mode)
        self._staged.clear()
        self._done = True

    def _rollback(self, replaced: list[str], backups: dict[str, Path | None]) -> None:
        """Put back the tables already published by a commit that failed half-way."""
        for table in replaced:
            target = self._staged[table].target
            backup = backups.get(table)
            try:
                if backup is not None:
                    backup.replace(target)
                else:
                    target.unlink(missing_ok=True)
            except OSError:
                log.error("rollback_failed", path=str(target), backup=str(backup))
        for table, backup in backups.items():
            if table not in replaced and backup is not None:
                backup.unlink(missing_ok=True)

    def abort(self) -> None:
        if self._done:
            return
        self._done = True
        for staged in self._staged.values():
            try:
                self.connector._stage_close(staged.state)
            except Exception:  # best-effort close of a half-written file
                log.debug("staging_close_failed", path=str(staged.tmp))
            staged.tmp.unlink(missing_ok=True)
        self._staged.clear()
