"""The data handed to a fit, read and checked (typed errors naming table and column).

:func:`read_input` turns what ``fit`` accepts (a DataFrame, a dict of DataFrames, a connector
or a URL) into ``str``-labelled frames and their metadata (given, from the connector's catalog,
or detected). Metadata problems (cycles, dangling keys, duplicate relations...) are found by
``synthohive.metadata.validate``; these checks cover what only the data shows: missing tables
or columns, tables without rows, non-unique primary keys and foreign keys whose type differs
from the key they reference. The sample checks bound requested row counts before any work.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from synthohive.errors import DataError, EmptyTableError, InvalidDataError, MetadataError
from synthohive.log import get_logger
from synthohive.metadata.schema import Metadata
from synthohive.synthesizer.plan import SOURCE_ROWS
from synthohive.synthesizer.source_stats import SOURCE_STATS

log = get_logger(__name__)

MAX_SAMPLE_ROWS = 10**12
"""Most rows one ``sample`` call may ask of a root table (keys stay far inside int64)."""


def validate_metadata(meta: Metadata) -> None:
    """Raise one ``MetadataError`` listing every problem of ``meta`` (cycles, dangling keys...)."""
    from synthohive.metadata.validate import validate_metadata as check

    check(meta)


def check_tables(meta: Metadata, frames: dict[str, pd.DataFrame]) -> None:
    """Every metadata table has data, and every frame matches its table's columns."""
    for name in meta.tables:
        if name not in frames:
            raise DataError(
                f"no data for this table; data has {sorted(frames)}",
                table=name,
                fix="pass a DataFrame for every table in the metadata",
            )
    for name, df in frames.items():
        if name not in meta.tables:
            raise MetadataError(
                f"data has a table the metadata does not describe; metadata has "
                f"{sorted(meta.tables)}",
                table=name,
                fix="add the table to the metadata or leave it out of the data",
            )
        table = meta.tables[name]
        missing = [c for c in table.columns if c not in df.columns]
        extra = [c for c in df.columns if c not in table.columns]
        if missing or extra:
            raise InvalidDataError(
                f"columns do not match the metadata (missing {missing}, undescribed {extra})",
                table=name,
                column=(missing or extra)[0],
                fix="update the metadata (update_column / detect) or the data",
            )


def check_keys(meta: Metadata, frames: dict[str, pd.DataFrame]) -> None:
    """Primary keys unique and non-null; FK and referenced key columns of one kind."""
    for name, table in meta.tables.items():
        pk = table.primary_key or []
        if pk:
            keys = frames[name][pk]
            bad = keys.isna().any(axis=1) | keys.duplicated(keep=False)
            if bad.any():
                raise InvalidDataError(
                    f"primary key has {int(bad.sum())} null or repeated values",
                    table=name,
                    column=pk[0],
                    fix="fix the key values or choose another primary key",
                )
    for fk in meta.relations:
        keys = frames[fk.parent][fk.parent_columns]
        if keys.duplicated().any() and set(fk.parent_columns) != set(
            meta.tables[fk.parent].primary_key or []
        ):
            raise MetadataError(
                f"foreign key of {fk.child!r} references columns {fk.parent_columns} that "
                "are not unique in the parent",
                table=fk.parent,
                column=fk.parent_columns[0],
                fix="reference the parent's primary key",
            )
        for ccol, pcol in zip(fk.child_columns, fk.parent_columns, strict=True):
            c_num = pd.api.types.is_numeric_dtype(frames[fk.child][ccol].dtype)
            p_num = pd.api.types.is_numeric_dtype(frames[fk.parent][pcol].dtype)
            if c_num != p_num and frames[fk.child][ccol].notna().any():
                raise MetadataError(
                    f"foreign key column has type {frames[fk.child][ccol].dtype} but the "
                    f"referenced {fk.parent}.{pcol} has {frames[fk.parent][pcol].dtype}",
                    table=fk.child,
                    column=ccol,
                    fix="give both key columns the same type",
                )


def check_rows(
    frames: Mapping[str, pd.DataFrame], *, orphans: Mapping[str, int] | None = None
) -> None:
    """Refuse data without any row: a lone empty table, or a schema whose every table is empty.

    A schema where only some tables are empty is fine: those tables generate no rows (the
    fit logs ``synthesizer.empty_table`` for each). ``orphans`` (rows dropped per table) turns
    the message into one about orphan removal when that is what emptied the schema.
    """
    if not frames or any(len(df) for df in frames.values()):
        return
    names = list(frames)
    dropped = sum((orphans or {}).values())
    if dropped:
        raise EmptyTableError(
            f"no rows are left after dropping {dropped} orphan row(s) (foreign keys without a "
            f"parent row) from {sorted(t for t, k in (orphans or {}).items() if k)}",
            table=names[0],
            fix="give the parent tables the rows their children reference, or fit with "
            "orphans='null'",
        )
    if len(names) == 1:
        raise EmptyTableError(
            "the table has no rows to learn from",
            table=names[0],
            fix="pass a table with at least one data row (a CSV needs rows below its header)",
        )
    raise EmptyTableError(
        f"every table of the schema has no rows ({names})",
        table=names[0],
        fix="pass data rows for at least one table (root tables drive the row counts)",
    )


# --- sample --------------------------------------------------------------------------------
def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _capped(count: int, what: str, table: str) -> int:
    if count > MAX_SAMPLE_ROWS:
        raise DataError(
            f"{what} asks for {count} rows, more than the {MAX_SAMPLE_ROWS} one sample call "
            "may generate per table",
            table=table,
            fix="ask for fewer rows, or generate in several calls with row_offset= "
            "(e.g. one per partition)",
        )
    return count


def root_row_counts(
    learned: Mapping[str, int],
    n: int | None,
    scale: float,
    rows: Mapping[str, int] | None,
) -> dict[str, int]:
    """Rows per root table for ``sample(n, scale=, rows=)``, checked before any work.

    ``learned`` maps each root table to the rows it was fitted on. Counts must be integers
    in ``0..MAX_SAMPLE_ROWS`` (``scale`` times the learned rows included); a root learned from
    no rows generates none, whatever is asked (logged as ``synthesizer.empty_table``).
    """
    if isinstance(scale, bool) or not isinstance(scale, int | float) or scale < 0:
        raise DataError(f"scale must be a non-negative number, got {scale!r}")
    try:
        factor = float(scale)
    except OverflowError:  # an int beyond float64: more rows than any cap
        factor = math.inf
    if isinstance(scale, float) and not math.isfinite(factor):
        raise DataError(f"scale must be a non-negative number, got {scale!r}")
    roots = list(learned)
    out: dict[str, int] = {}
    for t, n_rows in learned.items():
        want = n_rows * factor if n_rows else 0.0
        if want > MAX_SAMPLE_ROWS:
            raise DataError(
                f"scale={factor:.6g} asks for about {want:.3g} rows, more than the "
                f"{MAX_SAMPLE_ROWS} one sample call may generate per table",
                table=t,
                fix=f"use scale <= {MAX_SAMPLE_ROWS / max(n_rows, 1):.6g}, or generate in "
                "several calls with row_offset=",
            )
        out[t] = round(want)
    if n is not None:
        if not _is_int(n) or n <= 0:
            raise DataError(
                f"n must be a positive integer, got {n!r}", fix="ask for at least one row"
            )
        if len(roots) != 1:
            raise DataError(
                f"sample(n) needs a single root table; roots are {roots}",
                fix="use sample(scale=...) or sample(rows={table: n})",
            )
        out[roots[0]] = _capped(int(n), "n", roots[0])
    for table, count in (rows or {}).items():
        if table not in learned:
            raise DataError(
                f"rows= can only set root tables {roots}; child counts follow their parents",
                table=table,
                fix="set the row count of a root table, or use scale=",
            )
        if not _is_int(count) or count < 0:
            raise DataError(f"row count must be a non-negative integer, got {count!r}")
        out[table] = _capped(int(count), "rows=", table)
    for t, n_rows in learned.items():
        if n_rows == 0 and out[t]:
            log.warning(
                "synthesizer.empty_table", table=t, asked=out[t], action="generates no rows"
            )
            out[t] = 0
    return out


# --- reading the input ---------------------------------------------------------------------------
def open_source(data: Any, metadata: Metadata | None) -> tuple[Any, Metadata | None]:
    """A URL opened as a connector; without ``metadata``, a connector's catalog (or ``None``)."""
    from synthohive.connectors.base import Connector

    if isinstance(data, str | os.PathLike) and not isinstance(data, pd.DataFrame):
        from synthohive.connectors import connect

        data = connect(os.fspath(data))
    if isinstance(data, Connector) and metadata is None:
        metadata = data.metadata()
    return data, metadata


@dataclass
class InputData:
    """The frames a fit learns from, with their metadata."""

    frames: dict[str, pd.DataFrame]
    """Per table its rows, columns labelled by ``str`` and a fresh ``RangeIndex``."""
    label_types: dict[str, list[str]]
    """Per table and column whether the caller's label was an ``"int"`` or a ``"str"``."""
    metadata: Metadata
    single: bool = False
    """Whether the input was one DataFrame."""
    source_rows: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Per table read as a bounded sample: its full row count and the rows read."""
    source_stats: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    """Per table read as a bounded sample: exact per-column statistics of the full table."""


def read_input(data: Any, metadata: Metadata | None) -> InputData:
    """Frames per table and metadata (``metadata`` when given, else the connector's catalog,
    else detected from the frames), checked against each other."""
    from synthohive.connectors.base import Connector

    data, metadata = open_source(data, metadata)
    if isinstance(data, Connector):
        data = data.read_all(list(metadata.tables) if metadata is not None else None)
    single = False
    if isinstance(data, pd.DataFrame):
        known = metadata is not None and len(metadata.tables) == 1
        name = next(iter(metadata.tables)) if metadata is not None and known else "table"
        single = True
        data = {name: data}
    if isinstance(data, Mapping) and not data:
        raise InvalidDataError(
            "the input holds no tables",
            fix="pass at least one table (a non-empty dict of DataFrames, or a source with tables)",
        )
    if not isinstance(data, Mapping):
        raise InvalidDataError(
            f"cannot learn from a {type(data).__name__}",
            fix="pass a DataFrame, a dict of DataFrames, a connector or a URL",
        )
    frames: dict[str, pd.DataFrame] = {}
    label_types: dict[str, list[str]] = {}
    source_rows: dict[str, tuple[int, int]] = {}
    source_stats: dict[str, dict[str, dict[str, Any]]] = {}
    for name, df in data.items():
        if not isinstance(df, pd.DataFrame):
            raise InvalidDataError(
                f"expected a DataFrame, got {type(df).__name__}", table=str(name)
            )
        dup = df.columns[pd.Index([str(c) for c in df.columns]).duplicated()].tolist()
        if dup:
            raise InvalidDataError(
                f"duplicate column names {dup}",
                table=str(name),
                fix="rename the columns so each name is unique",
            )
        label_types[str(name)] = [
            "int" if isinstance(c, int | np.integer) else "str" for c in df.columns
        ]
        frames[str(name)] = df.rename(columns=str).reset_index(drop=True)
        total = df.attrs.get(SOURCE_ROWS)
        if isinstance(total, int | np.integer) and int(total) > len(df):
            source_rows[str(name)] = (int(total), len(df))
            stats = df.attrs.get(SOURCE_STATS)
            if isinstance(stats, Mapping):
                source_stats[str(name)] = {str(c): dict(v) for c, v in stats.items()}
    if metadata is None:
        from synthohive.metadata.detect import detect_metadata

        metadata = detect_metadata(
            frames if len(frames) > 1 or not single else next(iter(frames.values())),
            table_name=next(iter(frames)),
        )
    check_tables(metadata, frames)
    return InputData(frames, label_types, metadata, single, source_rows, source_stats)
