"""Delta Lake tables without a JVM: ``delta://path/to/folder`` (``pip install
synthohive-core[delta]``, which brings ``deltalake``, the delta-rs bindings).

The folder holds one Delta table per table name (``<folder>/<table>/_delta_log``), readable by
Spark, Databricks, DuckDB or anything else that speaks Delta. Reads take the latest version,
or travel in time: ``delta://path?version=3`` (every table at its version 3) or
``delta://path?timestamp=2026-12-01T08:00:00Z`` (every table as it was then); the same as
``version=``/``timestamp=`` options.

Writes: a session stages each table's chunks as one Parquet file (the Parquet connector's
staging: one schema per table, later chunks cast to it) under ``.shv-stage-<token>/`` and
holds the folder's writers' lock (:class:`~synthohive.connectors.folder_atomic.FolderLock`). Commit
writes each table as one new Delta version (``append`` adds one, ``overwrite`` replaces the
data and schema, ``error`` refuses a table that exists). One Delta commit is atomic per table;
across tables, the session first records every table's version in
``.shv-delta-commit.json``, and a failure - an exception, or the process killed - between the
first and the last table is rolled back: by the session itself, or by whoever next opens the
folder (tables written as new are removed, the others restored to their recorded version by
a Delta ``RESTORE``). The record is marked done once every table is written; a done record is
simply removed. Readers that find a live writer's record read the recorded versions.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pandas as pd

from synthohive._io import atomic_write_text
from synthohive.connectors.base import Connector, WriteMode, WriteSession, check_mode
from synthohive.connectors.folder import check_table_name, not_found, restore_dtypes
from synthohive.connectors.folder_atomic import FolderLock, recover_when_free
from synthohive.errors import ConnectorError
from synthohive.log import get_logger

if TYPE_CHECKING:
    from synthohive.metadata.schema import Metadata

log = get_logger(__name__)

RECORD = ".shv-delta-commit.json"
STAGE_PREFIX = ".shv-stage-"
_INSTALL = "pip install 'synthohive-core[delta]' (the deltalake package)"


def _deltalake() -> Any:
    try:
        import deltalake
    except ImportError:
        raise ConnectorError(
            "delta:// needs the deltalake package, which is not installed", fix=_INSTALL
        ) from None
    return deltalake


def _arrow_for_delta(schema: Any) -> Any:
    """``schema`` with the types Delta stores: timestamps in microseconds, dictionaries
    decoded, unsigned integers widened, all-null columns as strings."""
    import pyarrow as pa

    fields = []
    for f in schema:
        t = f.type
        if pa.types.is_dictionary(t):
            t = t.value_type
        if pa.types.is_timestamp(t) and t.unit == "ns":
            t = pa.timestamp("us", tz=t.tz)
        elif pa.types.is_unsigned_integer(t):
            t = pa.int64() if t.bit_width >= 32 else pa.int32()
        elif pa.types.is_null(t) or pa.types.is_large_string(t):
            t = pa.string()
        fields.append(pa.field(f.name, t, nullable=True))
    return pa.schema(fields)


def _to_pandas(data: Any) -> pd.DataFrame:
    """Arrow -> pandas, integer and boolean columns with nulls as ``Int64``/``boolean`` (Delta
    keeps no pandas dtypes; plain arrow would give floats and objects)."""
    import pyarrow as pa

    frame = data.to_pandas()
    for field in data.schema:
        if data.column(field.name).null_count == 0:
            continue
        if pa.types.is_integer(field.type):
            frame[field.name] = frame[field.name].astype(f"Int{field.type.bit_width}")
        elif pa.types.is_boolean(field.type):
            frame[field.name] = frame[field.name].astype("boolean")
    return frame


class DeltaConnector(Connector):
    """A folder of Delta tables: ``delta://path/to/folder[?version=N|?timestamp=ISO]``.

    Options: ``version=`` / ``timestamp=`` (time travel on reads), ``metadata=`` (restore
    dtypes on read), ``lock_timeout=`` (seconds a write waits for another writer; default 0).
    """

    name = "delta"
    schemes: ClassVar[tuple[str, ...]] = ("delta",)

    def __init__(self, url: str, **options: Any) -> None:
        super().__init__(url, **options)
        parts = urlsplit(url)
        if parts.scheme.split("+", 1)[0].lower() != "delta":
            raise ConnectorError(f"{url!r} is not a delta:// URL", fix="use delta://FOLDER")
        path = (parts.netloc + parts.path) if parts.netloc else parts.path
        if not path:
            raise ConnectorError(
                f"{url!r} names no folder", fix="write it as delta://path/to/folder"
            )
        self.folder = Path(path).expanduser()
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = sorted(set(query) - {"version", "timestamp"})
        if unknown:
            raise ConnectorError(
                f"unknown delta:// URL parameter(s) {unknown}",
                fix="use ?version=N or ?timestamp=ISO",
            )
        self.version = options.get("version", query.get("version"))
        self.timestamp = options.get("timestamp", query.get("timestamp"))
        if self.version is not None and self.timestamp is not None:
            raise ConnectorError("give version or timestamp, not both", fix="drop one of them")
        if self.version is not None:
            try:
                self.version = int(self.version)
            except (TypeError, ValueError):
                raise ConnectorError(
                    f"version must be a whole number, got {self.version!r}", fix="?version=3"
                ) from None
        self._metadata: Metadata | None = options.get("metadata")
        self.lock_timeout = float(options.get("lock_timeout", 0.0))

    # --- reading ----------------------------------------------------------------------------
    def path_of(self, table: str) -> Path:
        """The folder of ``table``'s Delta table."""
        return self.folder / check_table_name(table)

    def _pinned(self) -> dict[str, int | None]:
        """Settle what an interrupted write left (roll back when no writer is live); with a
        live writer, the versions its record pins (``None``: the table is new)."""
        record = self.folder / RECORD
        if not record.exists():
            return {}
        if recover_when_free(self.folder, recover):
            return {}
        with contextlib.suppress(OSError, ValueError):
            doc = json.loads(record.read_text(encoding="utf-8"))
            if not doc.get("done"):
                return {str(k): v for k, v in doc.get("tables", {}).items()}
        return {}

    def list_tables(self) -> list[str]:
        dl = _deltalake()
        if not self.folder.is_dir():
            raise ConnectorError(
                f"folder {str(self.folder)!r} does not exist",
                fix=f"check the path in {self.url!r}, or write tables to it first",
            )
        pinned = self._pinned()
        names = [
            p.name
            for p in self.folder.iterdir()
            if p.is_dir() and not p.name.startswith(".") and dl.DeltaTable.is_deltatable(str(p))
        ]
        return sorted(n for n in names if not (n in pinned and pinned[n] is None))

    def _table(self, table: str) -> Any:
        dl = _deltalake()
        path = self.path_of(table)
        pinned = self._pinned()
        if not dl.DeltaTable.is_deltatable(str(path)) or (
            table in pinned and pinned[table] is None
        ):
            raise not_found(table, self.list_tables(), repr(str(self.folder)))
        try:
            if table in pinned and self.version is None and self.timestamp is None:
                return dl.DeltaTable(str(path), version=pinned[table])
            dt = dl.DeltaTable(str(path), version=self.version)
            if self.timestamp is not None:
                dt.load_as_version(pd.Timestamp(self.timestamp).to_pydatetime())
            return dt
        except (OSError, ValueError, RuntimeError, dl.exceptions.DeltaError) as exc:
            raise ConnectorError(
                f"cannot open Delta table {str(path)!r} "
                f"(version={self.version}, timestamp={self.timestamp}): {exc}",
                table=table,
                fix="check the version or timestamp against the table's history",
            ) from None

    def read(
        self,
        table: str,
        columns: list[str] | None = None,
        limit: int | None = None,
        *,
        metadata: Metadata | None = None,
    ) -> pd.DataFrame:
        dataset = self._table(table).to_pyarrow_dataset()
        try:
            data = (
                dataset.head(limit, columns=columns)
                if limit is not None
                else dataset.to_table(columns=columns)
            )
        except (KeyError, ValueError) as exc:
            raise ConnectorError(
                f"cannot read: {exc}", table=table, fix="check the column names"
            ) from None
        return restore_dtypes(_to_pandas(data), self._meta(table, metadata))

    def iter_chunks(
        self, table: str, chunksize: int = 50_000, *, metadata: Metadata | None = None
    ) -> Iterator[pd.DataFrame]:
        """Stream ``table`` in record batches of at most ``chunksize`` rows."""
        import pyarrow as pa

        dataset = self._table(table).to_pyarrow_dataset()
        meta = self._meta(table, metadata)
        for batch in dataset.to_batches(batch_size=chunksize):
            if batch.num_rows:
                yield restore_dtypes(_to_pandas(pa.Table.from_batches([batch])), meta)

    def history(self, table: str) -> list[dict[str, Any]]:
        """The table's Delta history, newest first (version, timestamp, operation, ...)."""
        return list(self._table(table).history())

    def _meta(self, table: str, metadata: Metadata | None) -> Any:
        meta = metadata if metadata is not None else self._metadata
        return None if meta is None else meta.tables.get(table)

    # --- writing ----------------------------------------------------------------------------
    def begin_write(
        self, metadata: Metadata | None = None, mode: WriteMode = "error"
    ) -> WriteSession:
        check_mode(mode)
        _deltalake()
        if self.version is not None or self.timestamp is not None:
            raise ConnectorError(
                "a delta:// URL with a version or timestamp is read-only",
                fix="write to the plain delta://FOLDER URL",
            )
        return DeltaWriteSession(self, mode)


def recover(folder: Path) -> None:
    """Finish what an interrupted write left in ``folder`` (hold the folder's lock): roll an
    unfinished commit back, remove a finished one's record, delete staging folders."""
    record = folder / RECORD
    if record.exists():
        try:
            doc = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            doc = {"done": True}  # unreadable: nothing we can trust to undo
        if not doc.get("done"):
            _roll_back(folder, {str(k): v for k, v in doc.get("tables", {}).items()})
        record.unlink(missing_ok=True)
    for stage in folder.glob(f"{STAGE_PREFIX}*"):
        shutil.rmtree(stage, ignore_errors=True)


def _roll_back(folder: Path, versions: dict[str, int | None]) -> None:
    """Each table back to its recorded version (``None``: it did not exist, remove it)."""
    dl = _deltalake()
    for table, version in versions.items():
        path = folder / check_table_name(table)
        if not dl.DeltaTable.is_deltatable(str(path)):
            continue
        if version is None:
            shutil.rmtree(path, ignore_errors=True)
            continue
        dt = dl.DeltaTable(str(path))
        if dt.version() != version:
            dt.restore(version)
            log.warning("delta_rolled_back", table=table, to_version=version)


class DeltaWriteSession(WriteSession):
    """All-or-nothing write of several Delta tables (see the module)."""

    def __init__(self, connector: DeltaConnector, mode: WriteMode) -> None:
        from synthohive.connectors.files import ParquetConnector

        self.connector = connector
        self.mode = mode
        self.done = False
        self.lock: FolderLock | None = None
        self.stage: Path | None = None
        self.staged: dict[str, Any] = {}
        self._parquet = ParquetConnector(f"parquet://{connector.folder}")

    def _start(self) -> Path:
        if self.stage is not None:
            return self.stage
        folder = self.connector.folder
        folder.mkdir(parents=True, exist_ok=True)
        lock = FolderLock(folder)
        if not lock.acquire(self.connector.lock_timeout):
            raise ConnectorError(
                f"another session is writing {str(folder)!r} ({lock.holder()})",
                fix="wait for it to finish, or pass lock_timeout=SECONDS to wait",
            )
        self.lock = lock
        recover(folder)
        self.stage = folder / f"{STAGE_PREFIX}{secrets.token_hex(8)}"
        self.stage.mkdir()
        return self.stage

    def append(self, table: str, frame: pd.DataFrame) -> None:
        self.check_append(table, frame, self.done)
        stage = self._start()
        if table not in self.staged:
            dl = _deltalake()
            target = self.connector.path_of(table)
            if self.mode == "error" and dl.DeltaTable.is_deltatable(str(target)):
                raise ConnectorError(
                    f"Delta table {str(target)!r} already exists",
                    table=table,
                    fix="pass mode='append' or mode='overwrite' to replace it",
                )
            tmp = stage / f"{table}.parquet"
            self.staged[table] = self._parquet.stage_open(table, tmp, tmp, "overwrite")
        self._parquet.stage_append(self.staged[table], frame)

    def commit(self) -> None:
        if self.done:
            return
        self.done = True
        try:
            if self.staged:
                self._publish()
        except BaseException:
            self._cleanup()
            raise
        self._cleanup()

    def _publish(self) -> None:
        import pyarrow.parquet as pq

        dl = _deltalake()
        folder = self.connector.folder
        before: dict[str, int | None] = {}
        for table in self.staged:
            path = self.connector.path_of(table)
            before[table] = (
                dl.DeltaTable(str(path)).version()
                if dl.DeltaTable.is_deltatable(str(path))
                else None
            )
        record = folder / RECORD
        atomic_write_text(record, json.dumps({"tables": before, "done": False}))
        try:
            for table, state in self.staged.items():
                self._parquet.stage_close(state)
                path = self.connector.path_of(table)
                with pq.ParquetFile(state["tmp"]) as pf:
                    schema = _arrow_for_delta(pf.schema_arrow)
                    reader = (b.cast(schema) for b in pf.iter_batches())
                    import pyarrow as pa

                    data = pa.RecordBatchReader.from_batches(schema, reader)
                    mode = "overwrite" if self.mode == "overwrite" else "append"
                    dl.write_deltalake(
                        str(path),
                        data,
                        mode=mode,
                        schema_mode="overwrite" if mode == "overwrite" else None,
                    )
        except BaseException as exc:
            _roll_back(folder, before)
            record.unlink(missing_ok=True)
            if isinstance(exc, Exception) and not isinstance(exc, ConnectorError):
                raise ConnectorError(
                    f"writing Delta tables failed and was rolled back: {exc}",
                    fix="check the rows match the existing table's columns and types, or "
                    "use mode='overwrite'",
                ) from None
            raise
        atomic_write_text(record, json.dumps({"tables": before, "done": True}))
        record.unlink(missing_ok=True)
        log.info("delta.committed", folder=str(folder), tables=sorted(self.staged))

    def abort(self) -> None:
        if self.done:
            return
        self.done = True
        self._cleanup()

    def _cleanup(self) -> None:
        for state in self.staged.values():
            with contextlib.suppress(Exception):
                self._parquet.stage_close(state)
        if self.stage is not None:
            shutil.rmtree(self.stage, ignore_errors=True)
        if self.lock is not None:
            self.lock.release()
            self.lock = None
