"""Bulk inserts: PostgreSQL ``COPY FROM STDIN`` and capped ``executemany``/multi-row batches."""

from __future__ import annotations

import sqlite3
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from synthohive.errors import ConnectorError

COPY_ROWS = 200_000
"""Rows encoded per COPY write (bounds the memory of the text payload)."""
BATCH_ROWS = 10_000
"""Default rows per executemany batch."""


def bind_cap(dialect: Any) -> int:
    """The most bind parameters one statement may carry on ``dialect``."""
    name = dialect.name
    if name == "sqlite":
        major, minor, *_ = (int(x) for x in sqlite3.sqlite_version.split("."))
        return 32766 if (major, minor) >= (3, 32) else 999
    if name == "mssql":
        return 2100
    if name in ("snowflake", "bigquery"):
        return 10_000
    return 65_535


def rows_per_statement(dialect: Any, ncols: int, wanted: int) -> int:
    """Rows per multi-row INSERT so that rows x columns stays under the bind-parameter cap."""
    return max(1, min(wanted, bind_cap(dialect) // max(1, ncols)))


def _conform(frame: pd.DataFrame, tbl: sa.Table, dialect_name: str) -> pd.DataFrame:
    """Coerce frame columns towards the target SQL types (ints, timezones)."""
    dtypes = frame.dtypes
    changes: dict[str, pd.Series] = {}
    for col in tbl.columns:
        t = col.type
        dt = dtypes[col.name]
        if isinstance(t, sa.Integer) and not isinstance(t, sa.Boolean):
            if pd.api.types.is_float_dtype(dt):
                changes[col.name] = frame[col.name].astype("Int64")  # raises if non-integral
        elif isinstance(t, sa.DateTime):
            s = frame[col.name]
            if not pd.api.types.is_datetime64_any_dtype(dt):
                s = pd.to_datetime(s, utc=bool(t.timezone))
            tz = getattr(s.dt, "tz", None)
            if tz is not None and (not t.timezone or dialect_name != "postgresql"):
                s = s.dt.tz_convert("UTC").dt.tz_localize(None)
            elif tz is None and t.timezone and dialect_name == "postgresql":
                s = s.dt.tz_localize("UTC")
            changes[col.name] = s
    frame = frame[[c.name for c in tbl.columns]]
    if changes:
        frame = frame.copy()
        for name, s in changes.items():
            frame[name] = s
    return frame


def _matrix(frame: pd.DataFrame) -> np.ndarray:
    """A 2-D object array of plain Python values (``None`` for missing values)."""
    obj = frame.astype(object)
    for name, dt in frame.dtypes.items():
        if pd.api.types.is_datetime64_any_dtype(dt):
            obj[name] = pd.Series(frame[name].dt.to_pydatetime(), index=frame.index, dtype=object)
    arr = obj.to_numpy(dtype=object)
    mask = frame.isna().to_numpy()
    if mask.any():
        arr[mask] = None
    return arr


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values keyed by column name."""
    keys = [str(c) for c in frame.columns]
    return [dict(zip(keys, row)) for row in _matrix(frame).tolist()]


def _multi_positional(conn: sa.Connection, target: sa.Table, frame: pd.DataFrame, per: int) -> None:
    """Multi-row VALUES for positional paramstyles: the one-row INSERT compiled by SQLAlchemy,
    its VALUES group repeated per row, values passed flat (nothing user-given in the text)."""
    compiled = target.insert().compile(dialect=conn.dialect)
    head, group = str(compiled).rsplit(" VALUES ", 1)
    keys = [str(c) for c in frame.columns]
    order = [keys.index(k) for k in (compiled.positiontup or [])]
    if sorted(order) != list(range(len(keys))):
        raise ConnectorError("internal error: parameter order mismatch", table=target.name)
    for start in range(0, len(frame), per):
        block = _matrix(frame.iloc[start : start + per])[:, order]
        sql = head + " VALUES " + ", ".join([group] * len(block))
        conn.exec_driver_sql(sql, tuple(block.ravel().tolist()))


_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))


def copy_payload(frame: pd.DataFrame) -> bytes:
    """Encode ``frame`` in PostgreSQL COPY text format (vectorised; NULL as ``\\N``)."""
    parts: list[Any] = []
    for name in frame.columns:
        s = frame[name]
        na = s.isna().to_numpy()
        if pd.api.types.is_bool_dtype(s.dtype):
            text = pd.Series(np.where(s.fillna(False).to_numpy(dtype=bool), "t", "f"), dtype="str")
        else:
            text = s.astype(str)
            if not (
                pd.api.types.is_numeric_dtype(s.dtype)
                or pd.api.types.is_datetime64_any_dtype(s.dtype)
            ):
                for raw, esc in _ESCAPES:
                    text = text.str.replace(raw, esc, regex=False)
        text = text.reset_index(drop=True)
        if na.any():
            text = text.where(~na, "\\N")
        parts.append(text)
    lines = parts[0].str.cat(parts[1:], sep="\t") if len(parts) > 1 else parts[0]
    return ("\n".join(lines.tolist()) + "\n").encode("utf-8")


def csv_payload(frame: pd.DataFrame) -> bytes | None:
    """Encode ``frame`` as CSV with pyarrow (NULL unquoted-empty, strings quoted), or ``None``
    when pyarrow is missing or cannot convert a column (the text format is used instead)."""
    try:
        import pyarrow as pa
        import pyarrow.csv as pa_csv
    except ImportError:
        return None
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    if any(pa.types.is_nested(f.type) or pa.types.is_binary(f.type) for f in table.schema):
        return None
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(table, sink, pa_csv.WriteOptions(include_header=False, quoting_style="needed"))
    return bytes(sink.getvalue())


def _copy(conn: sa.Connection, tbl: sa.Table, frame: pd.DataFrame) -> None:
    from psycopg import sql

    ident = sql.Identifier(tbl.schema, tbl.name) if tbl.schema else sql.Identifier(tbl.name)
    cols = sql.SQL(", ").join(sql.Identifier(c.name) for c in tbl.columns)
    raw = conn.connection.driver_connection
    if raw is None:
        raise ConnectorError("the connection has no DBAPI connection", table=tbl.name)
    for start in range(0, len(frame), COPY_ROWS):
        part = frame.iloc[start : start + COPY_ROWS]
        payload = csv_payload(part)
        if payload is not None:
            stmt = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(ident, cols)
        else:
            payload = copy_payload(part)
            stmt = sql.SQL("COPY {} ({}) FROM STDIN").format(ident, cols)
        with raw.cursor() as cur, cur.copy(stmt) as cp:
            cp.write(payload)


def insert_frame(
    conn: sa.Connection, tbl: sa.Table, frame: pd.DataFrame, options: dict[str, Any]
) -> None:
    """Insert ``frame`` (columns already in table order) into ``tbl`` on ``conn``."""
    if len(frame) == 0:
        return
    dialect = conn.dialect
    frame = _conform(frame, tbl, dialect.name)
    method = options.get("insert_method")
    if method not in (None, "copy", "executemany", "multi"):
        raise ConnectorError(
            f"unknown insert_method {method!r}", fix="use 'copy', 'executemany' or 'multi'"
        )
    if dialect.name == "postgresql" and dialect.driver == "psycopg" and method in (None, "copy"):
        _copy(conn, tbl, frame)
        return
    # bind parameters named p0..pN (never derived from user column names)
    target = sa.Table(
        tbl.name,
        sa.MetaData(),
        *(sa.Column(c.name, c.type, key=f"p{i}") for i, c in enumerate(tbl.columns)),
        schema=tbl.schema,
    )
    frame = frame.set_axis([f"p{i}" for i in range(len(frame.columns))], axis=1)
    wanted = int(options.get("chunksize") or BATCH_ROWS)
    if method == "multi":
        per = rows_per_statement(dialect, len(tbl.columns), wanted)
        if dialect.positional:
            _multi_positional(conn, target, frame, per)
            return
        for start in range(0, len(frame), per):
            recs = _records(frame.iloc[start : start + per])
            conn.execute(target.insert().values(recs))
        return
    for start in range(0, len(frame), wanted):
        conn.execute(target.insert(), _records(frame.iloc[start : start + wanted]))
