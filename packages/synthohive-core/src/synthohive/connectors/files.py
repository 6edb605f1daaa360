"""CSV and Parquet folders: ``csv://path/to/folder`` and ``parquet://path/to/folder``.

One file per table (``<table>.csv`` / ``<table>.parquet``); any such folder reads, whoever
wrote it. Reads stream (``iter_chunks``: pandas ``chunksize`` for CSV, pyarrow record batches for
Parquet). A write session is all-or-nothing for all its tables, also when the process is killed,
and excludes other writers of the folder (see :mod:`synthohive.connectors.folder`, the public
base for third-party folder formats too), in the modes ``error`` (refuse an existing table),
``overwrite`` and ``append`` (the old rows are copied into the staged file first, so a failed
append leaves the old file intact).

CSV does not keep dtypes: pass ``metadata=`` (to the connector or to ``read``) to restore them
(``Column.dtype`` such as ``Int64``/``category``/``boolean``, datetimes with their timezone,
identifiers and codes kept as strings so leading zeros survive).
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from synthohive.connectors.base import WriteMode
from synthohive.connectors.folder import FolderConnector, restore_dtypes
from synthohive.errors import ConnectorError
from synthohive.log import get_logger

if TYPE_CHECKING:
    from synthohive.metadata.schema import Metadata, Table

log = get_logger(__name__)

_STRINGY = {"object", "str", "string", "string[python]", "string[pyarrow]"}


def _check_columns(table: str, frame: pd.DataFrame) -> list[str]:
    columns = [str(c) for c in frame.columns]
    if len(set(columns)) != len(columns):
        dups = sorted({c for c in columns if columns.count(c) > 1})
        raise ConnectorError(
            f"duplicate column names {dups}", table=table, fix="rename the columns to be unique"
        )
    return columns


def _mismatch(table: str, have: list[str], got: list[str]) -> ConnectorError:
    missing = [c for c in have if c not in got]
    extra = [c for c in got if c not in have]
    return ConnectorError(
        f"rows do not match the table's columns (missing {missing}, unexpected {extra})",
        table=table,
        fix="write frames with the same columns as the existing table, or use mode='overwrite'",
    )


def _csv_string_columns(table: Table | None) -> dict[str, str]:
    if table is None:
        return {}
    out = {}
    for name, col in table.columns.items():
        explicit = col.dtype is not None and col.dtype in _STRINGY
        implicit = col.dtype is None and col.sdtype in ("pii", "text")
        if (explicit and col.sdtype != "datetime") or implicit:
            out[name] = "str"
    return out


class CSVConnector(FolderConnector):
    """A folder of CSV files, one per table: ``csv://path/to/folder``.

    Options: ``metadata=`` (restore dtypes on read), ``read_options=`` (extra keyword
    arguments for ``pandas.read_csv``).
    """

    name = "csv"
    schemes: ClassVar[tuple[str, ...]] = ("csv",)
    suffix = ".csv"

    def _read_kwargs(self, table: str, meta: Table | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = dict(self.options.get("read_options") or {})
        strings = _csv_string_columns(meta)
        if strings:
            kwargs["dtype"] = {**strings, **(kwargs.get("dtype") or {})}
        return kwargs

    def read(
        self,
        table: str,
        columns: list[str] | None = None,
        limit: int | None = None,
        *,
        metadata: Metadata | None = None,
    ) -> pd.DataFrame:
        """Read ``table`` (optionally some columns / the first ``limit`` rows)."""
        meta = self.table_meta(table, metadata)
        kwargs = self._read_kwargs(table, meta)

        def load(path: Path) -> pd.DataFrame:
            try:
                return pd.read_csv(path, usecols=columns, nrows=limit, **kwargs)
            except pd.errors.EmptyDataError:
                return pd.DataFrame()

        try:
            frame = self.with_file(table, load)
        except (ValueError, pd.errors.ParserError, OSError) as exc:
            raise ConnectorError(
                f"cannot read {str(self.path_of(table))!r}: {exc}",
                table=table,
                fix="check the file is valid CSV",
            ) from None
        return restore_dtypes(frame, meta)

    def iter_chunks(
        self, table: str, chunksize: int = 50_000, *, metadata: Metadata | None = None
    ) -> Iterator[pd.DataFrame]:
        """Stream ``table`` in chunks of at most ``chunksize`` rows."""
        meta = self.table_meta(table, metadata)
        kwargs = self._read_kwargs(table, meta)
        try:
            reader = self.with_file(
                table, lambda path: pd.read_csv(path, chunksize=chunksize, **kwargs)
            )
        except pd.errors.EmptyDataError:
            return
        with reader:
            for chunk in reader:
                yield restore_dtypes(chunk, meta)

    # --- staging ------------------------------------------------------------------------------
    def stage_open(self, table: str, tmp: Path, target: Path, mode: WriteMode) -> Any:
        columns: list[str] | None = None
        fh = open(tmp, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed by stage_close
        try:
            if mode == "append" and target.exists():
                with open(target, encoding="utf-8", newline="") as old:
                    header = next(csv.reader(old), None)
                    if header is not None:
                        columns = header
                        old.seek(0)
                        shutil.copyfileobj(old, fh, 1 << 20)
                if columns is not None and fh.tell() > 0:
                    with open(target, "rb") as raw:
                        raw.seek(-1, 2)
                        if raw.read(1) not in (b"\n", b"\r"):
                            fh.write("\n")
        except BaseException:
            fh.close()
            raise
        return {"table": table, "fh": fh, "columns": columns}

    def stage_append(self, state: Any, frame: pd.DataFrame) -> None:
        table = state["table"]
        got = _check_columns(table, frame)
        if state["columns"] is None:
            state["columns"] = got
            header = True
        else:
            have = state["columns"]
            if set(have) != set(got):
                raise _mismatch(table, have, got)
            if got != have:
                frame = frame.set_axis(got, axis=1)[have]
            header = False
        frame.to_csv(state["fh"], header=header, index=False)

    def stage_close(self, state: Any) -> None:
        fh = state["fh"]
        if not fh.closed:
            fh.flush()
            fh.close()


class ParquetConnector(FolderConnector):
    """A folder of Parquet files, one per table: ``parquet://path/to/folder`` (pyarrow).

    Options: ``metadata=`` (dtypes to restore on read, on top of the pandas schema Parquet
    already keeps), ``compression=`` (default ``"snappy"``).
    """

    name = "parquet"
    schemes: ClassVar[tuple[str, ...]] = ("parquet",)
    suffix = ".parquet"

    def read(
        self,
        table: str,
        columns: list[str] | None = None,
        limit: int | None = None,
        *,
        metadata: Metadata | None = None,
    ) -> pd.DataFrame:
        """Read ``table`` (optionally some columns / the first ``limit`` rows)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        def load(path: Path) -> Any:
            if limit is None:
                return pq.read_table(path, columns=columns)
            with pq.ParquetFile(path) as pf:
                batches = []
                got = 0
                for batch in pf.iter_batches(
                    batch_size=max(1, min(limit, 65_536)), columns=columns
                ):
                    batches.append(batch.slice(0, limit - got))
                    got += batches[-1].num_rows
                    if got >= limit:
                        break
                schema = pf.schema_arrow
            if columns is not None:
                schema = pa.schema([schema.field(c) for c in columns], schema.metadata)
            return pa.Table.from_batches(batches, schema=schema)

        try:
            frame = self.with_file(table, load).to_pandas()
        except (pa.ArrowException, OSError, KeyError) as exc:
            raise ConnectorError(
                f"cannot read {str(self.path_of(table))!r}: {exc}",
                table=table,
                fix="check the file is valid Parquet and the column names exist",
            ) from None
        return restore_dtypes(frame, self.table_meta(table, metadata))

    def iter_chunks(
        self, table: str, chunksize: int = 50_000, *, metadata: Metadata | None = None
    ) -> Iterator[pd.DataFrame]:
        """Stream ``table`` as pyarrow record batches of at most ``chunksize`` rows."""
        import pyarrow.parquet as pq

        meta = self.table_meta(table, metadata)
        with self.with_file(table, pq.ParquetFile) as pf:
            for batch in pf.iter_batches(batch_size=chunksize):
                yield restore_dtypes(batch.to_pandas(), meta)

    # --- staging ------------------------------------------------------------------------------
    def stage_open(self, table: str, tmp: Path, target: Path, mode: WriteMode) -> Any:
        state: dict[str, Any] = {"table": table, "tmp": tmp, "writer": None, "closed": False}
        if mode == "append" and target.exists():
            import pyarrow.parquet as pq

            with pq.ParquetFile(target) as pf:
                writer = self._writer(tmp, pf.schema_arrow)
                state["writer"] = writer
                try:
                    for i in range(pf.num_row_groups):
                        writer.write_table(pf.read_row_group(i))
                except BaseException:
                    writer.close()
                    raise
        return state

    def _writer(self, tmp: Path, schema: Any) -> Any:
        import pyarrow.parquet as pq

        return pq.ParquetWriter(tmp, schema, compression=self.options.get("compression", "snappy"))

    def stage_append(self, state: Any, frame: pd.DataFrame) -> None:
        import pyarrow as pa

        table = state["table"]
        got = _check_columns(table, frame)
        try:
            data = pa.Table.from_pandas(frame, preserve_index=False)
        except (pa.ArrowException, TypeError, ValueError) as exc:
            raise ConnectorError(
                f"cannot convert the rows to Parquet: {exc}",
                table=table,
                fix="columns must hold one type each (no mixed objects)",
            ) from None
        writer = state["writer"]
        if writer is None:
            state["writer"] = self._writer(state["tmp"], data.schema)
            state["writer"].write_table(data)
            return
        schema = writer.schema
        have = list(schema.names)
        if set(have) != set(got):
            raise _mismatch(table, have, got)
        if not data.schema.remove_metadata().equals(schema.remove_metadata()):
            try:
                data = data.select(have).cast(schema)
            except (pa.ArrowException, ValueError) as exc:
                raise ConnectorError(
                    f"rows do not match the table's column types: {exc}",
                    table=table,
                    fix="write frames with the same dtypes, or use mode='overwrite'",
                ) from None
        else:
            data = data.select(have).replace_schema_metadata(schema.metadata)
        writer.write_table(data)

    def stage_close(self, state: Any) -> None:
        if state["closed"]:
            return
        state["closed"] = True
        if state["writer"] is not None:
            state["writer"].close()
