"""In-memory tables: ``memory://name`` or ``synthohive.connect({"table": df, ...})``.

Tables given as a dict are private to the connector. ``memory://name`` URLs share one
process-wide store per name, so a sink written by one ``connect("memory://x")`` can be read by
another. Reads return the stored frames (pandas Copy-on-Write keeps the stored data safe);
writes stage in a session and swap in on ``commit``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from synthohive.connectors.base import Connector, WriteMode, WriteSession, check_mode
from synthohive.connectors.folder import not_found
from synthohive.errors import ConnectorError

if TYPE_CHECKING:
    from synthohive.metadata.schema import Metadata

_SHARED: dict[str, dict[str, pd.DataFrame]] = {}
_LOCK = threading.Lock()


class MemoryConnector(Connector):
    """Tables held in a dict of DataFrames."""

    name = "memory"
    schemes: ClassVar[tuple[str, ...]] = ("memory",)

    def __init__(
        self,
        url: str = "memory://",
        tables: Mapping[str, pd.DataFrame] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(url, **options)
        self._metadata: Metadata | None = options.get("metadata")
        if tables is not None:
            for key, frame in tables.items():
                if not isinstance(frame, pd.DataFrame):
                    raise ConnectorError(
                        f"table {key!r} is a {type(frame).__name__}, not a pandas DataFrame",
                        table=str(key),
                        fix="pass a dict of table name -> DataFrame",
                    )
            self.tables: dict[str, pd.DataFrame] = {str(k): v for k, v in tables.items()}
        else:
            store = url.partition("://")[2]
            if store:
                with _LOCK:
                    self.tables = _SHARED.setdefault(store, {})
            else:
                self.tables = {}

    def list_tables(self) -> list[str]:
        return list(self.tables)

    def _get(self, table: str) -> pd.DataFrame:
        try:
            return self.tables[table]
        except KeyError:
            raise not_found(table, self.list_tables(), "the in-memory tables") from None

    def read(
        self, table: str, columns: list[str] | None = None, limit: int | None = None
    ) -> pd.DataFrame:
        frame = self._get(table)
        if columns is not None:
            missing = [c for c in columns if c not in frame.columns]
            if missing:
                raise ConnectorError(
                    f"no columns {missing}; the table has {list(frame.columns)}",
                    table=table,
                    fix="check the column names",
                )
            frame = frame[columns]
        if limit is not None:
            frame = frame.iloc[:limit]
        return frame.copy()

    def metadata(self) -> Metadata | None:
        return self._metadata

    def begin_write(
        self, metadata: Metadata | None = None, mode: WriteMode = "error"
    ) -> WriteSession:
        check_mode(mode)
        return MemoryWriteSession(self, mode)


class MemoryWriteSession(WriteSession):
    """Stage frames per table; publish them all at once on ``commit``."""

    def __init__(self, connector: MemoryConnector, mode: WriteMode) -> None:
        self.connector = connector
        self.mode = mode
        self._parts: dict[str, list[pd.DataFrame]] = {}
        self._done = False

    def append(self, table: str, frame: pd.DataFrame) -> None:
        self.check_append(table, frame, self._done)
        parts = self._parts.get(table)
        if parts is None:
            existing = self.connector.tables.get(table)
            if existing is not None and self.mode == "error":
                raise ConnectorError(
                    f"table {table!r} already exists in memory",
                    table=table,
                    fix="pass mode='overwrite' to replace it or mode='append' to add rows",
                )
            parts = [existing] if existing is not None and self.mode == "append" else []
            self._parts[table] = parts
        if parts and set(parts[0].columns) != set(frame.columns):
            raise ConnectorError(
                f"columns {list(frame.columns)} do not match {list(parts[0].columns)}",
                table=table,
                fix="write frames with the same columns, or use mode='overwrite'",
            )
        parts.append(frame.copy())

    def commit(self) -> None:
        if self._done:
            return
        staged = {}
        for table, parts in self._parts.items():
            staged[table] = (
                parts[0].reset_index(drop=True)
                if len(parts) == 1
                else pd.concat(parts, ignore_index=True)
            )
        self.connector.tables.update(staged)
        self._parts.clear()
        self._done = True

    def abort(self) -> None:
        self._parts.clear()
        self._done = True
