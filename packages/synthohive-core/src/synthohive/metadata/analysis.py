"""The frames detection looks at: a bounded sample of rows and database dtypes read as file dtypes.

The sample is chosen by row hash, so it, like every decision made on it, does not depend on
row order. Frames from databases and from files differ in dtypes for the same data (nullable
integers as ``Int64``/objects or ``float64``; ``Decimal`` objects or floats; ``date``/
``datetime`` objects, ``datetime64`` or strings). :func:`analysis_frame` maps the database
forms onto the file forms first, so both give the same sdtypes, keys, relations and PII; each
column keeps its original ``dtype`` for restoring output.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal

import numpy as np
import pandas as pd

SAMPLE_ROWS = 20_000

__all__ = ["SAMPLE_ROWS", "analysis_frame", "analysis_series", "sample_rows"]


def sample_rows(df: pd.DataFrame, limit: int = SAMPLE_ROWS) -> pd.DataFrame:
    """At most ``limit`` rows, chosen by row hash so the choice ignores row order."""
    if len(df) <= limit:
        return df
    # every numeric/datetime column (cheap) and at most three text columns take part
    text = [
        i
        for i in range(df.shape[1])
        if pd.api.types.is_object_dtype(df.dtypes.iloc[i])
        or pd.api.types.is_string_dtype(df.dtypes.iloc[i])
    ]
    use = [i for i in range(df.shape[1]) if i not in text] + text[:3]
    part = df.iloc[:, use]
    try:
        h = pd.util.hash_pandas_object(part, index=False).to_numpy()
    except (TypeError, ValueError):
        h = np.zeros(len(df), dtype=np.uint64)
        for c in range(part.shape[1]):  # column-wise fallback for unhashable cells
            col = part.iloc[:, c].map(lambda v: repr(v) if not isinstance(v, str) else v)
            h ^= pd.util.hash_pandas_object(col.astype(str), index=False).to_numpy()
    order = np.lexsort((np.arange(len(h)), h))
    return df.iloc[np.sort(order[:limit])]


def analysis_series(s: pd.Series) -> tuple[pd.Series, str | None]:
    """``s`` as detection sees it, and a note when it was converted.

    Object columns as database drivers return them become what a CSV/Parquet read gives:
    ``Decimal`` values become ``float64`` (``Int64`` when all are whole), Python integers
    with nulls ``Int64``, ``date``/``datetime`` objects ``datetime64``. Anything else, or
    anything that does not convert cleanly, is returned unchanged.
    """
    if s.dtype != object:
        return s, None
    nonnull = s.dropna()
    if len(nonnull) == 0:
        return s, None
    types = set(nonnull.map(type).unique().tolist())
    numeric = types <= {Decimal, int, float} or all(
        issubclass(t, int | np.integer) and not issubclass(t, bool | np.bool_) for t in types
    )
    cells = (
        [None if v is None or v is pd.NA or v != v else v for v in s.tolist()] if numeric else []
    )
    try:
        if Decimal in types and types <= {Decimal, int, float}:
            floats = pd.Series(
                [None if v is None else float(v) for v in cells],
                index=s.index,
                name=s.name,
                dtype="float64",
            )
            finite = floats.dropna()
            whole = bool(np.isfinite(finite).all() and (finite == finite.round()).all())
            if whole and bool((finite.abs() < 2.0**53).all()):
                return floats.astype("Int64"), "Decimal values read as integers"
            return floats, "Decimal values read as float64"
        if all(
            issubclass(t, int | np.integer) and not issubclass(t, bool | np.bool_) for t in types
        ):
            ints = pd.Series(cells, index=s.index, name=s.name, dtype="Int64")
            return ints, "integer objects read as Int64"
        if all(issubclass(t, _dt.date) for t in types):
            naive = all(getattr(v, "tzinfo", None) is None for v in nonnull.iloc[:1000])
            conv = pd.to_datetime(s, utc=not naive)
            return conv, "date/time objects read as datetime64"
    except (TypeError, ValueError, OverflowError, ArithmeticError):
        return s, None
    return s, None


def analysis_frame(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, str]]:
    """``df`` with every column passed through :func:`analysis_series` (a shallow copy when
    nothing changes), and the conversion notes keyed by column position."""
    notes: dict[int, str] = {}
    cols: list[pd.Series] = []
    for i in range(df.shape[1]):
        conv, note = analysis_series(df.iloc[:, i])
        cols.append(conv)
        if note is not None:
            notes[i] = note
    if not notes:
        return df, notes
    out = df.copy(deep=False)
    for i in notes:
        out.isetitem(i, cols[i].to_numpy() if cols[i].dtype == object else cols[i].array)
    return out, notes
