"""Hypothesis strategies: DataFrames with matching :class:`~synthohive.metadata.schema.Table`.

Needs ``hypothesis`` (a test dependency); import this module only from tests::

    from synthohive.testing.strategies import tables

    @given(tables())
    def test_round_trip(case): df, table = case

Every column kind in :data:`COLUMN_KINDS` can appear (numpy and pandas-nullable ints/floats,
bool/boolean, ``str``/``string``/``string[pyarrow]``/``category``/object strings, naive and
tz-aware datetimes incl. Europe/Berlin DST transitions, timedeltas, datetime strings with a
``format``, int64 near 2**62, constant and all-null columns), with nulls where the dtype can hold
them. Numbers come from a few clusters so the values look like real measurements.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from synthohive.metadata.schema import Column, Table

COLUMN_KINDS: tuple[str, ...] = (
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint64",
    "Int8",
    "Int16",
    "Int32",
    "Int64",
    "UInt8",
    "UInt16",
    "UInt32",
    "UInt64",
    "float32",
    "float64",
    "Float32",
    "Float64",
    "money",
    "bool",
    "boolean",
    "str",
    "string",
    "string[pyarrow]",
    "string[python]",
    "category",
    "object",
    "datetime64[ns]",
    "datetime64[s]",
    "datetime_utc",
    "datetime_berlin",
    "timedelta64[ns]",
    "datetime_str",
    "int64_near_2_62",
    "constant",
    "all_null",
)

_NULLABLE = {
    "Int8",
    "Int16",
    "Int32",
    "Int64",
    "UInt8",
    "UInt16",
    "UInt32",
    "UInt64",
    "float32",
    "float64",
    "Float32",
    "Float64",
    "money",
    "boolean",
    "str",
    "string",
    "string[pyarrow]",
    "string[python]",
    "category",
    "object",
    "datetime64[ns]",
    "datetime64[s]",
    "datetime_utc",
    "datetime_berlin",
    "timedelta64[ns]",
    "datetime_str",
}
_INT_RANGES = {
    "int8": (-128, 127),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**40), 2**40),
    "uint8": (0, 255),
    "uint64": (0, 2**40),
    "Int8": (-128, 127),
    "Int16": (-(2**15), 2**15 - 1),
    "Int32": (-(2**31), 2**31 - 1),
    "Int64": (-(2**40), 2**40),
    "UInt8": (0, 255),
    "UInt16": (0, 2**16 - 1),
    "UInt32": (0, 2**32 - 1),
    "UInt64": (0, 2**40),
}
# instants (UTC seconds) around the 2021 Europe/Berlin DST gap and overlap, and a plain day
_DT_BASES = (1_616_893_200, 1_635_641_600, 1_600_000_000)
_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M")
_NAMES = st.one_of(
    st.text(alphabet="abcxyz_", min_size=1, max_size=6),
    st.sampled_from(["a.b", "it's", "x`y", "new\nline", "[br]", "emoji🙂", "名前"]),
)


def _clustered_floats(draw: Any, n: int, lo: float, hi: float) -> np.ndarray:
    centers = draw(st.lists(st.floats(lo, hi), min_size=1, max_size=3))
    spread = draw(st.floats(1e-3, max(1e-3, (hi - lo) / 20)))
    picks = draw(st.lists(st.integers(0, len(centers) - 1), min_size=n, max_size=n))
    noise = draw(st.lists(st.floats(-3, 3), min_size=n, max_size=n))
    return np.clip(np.array(centers)[picks] + spread * np.array(noise), lo, hi)


def _null_mask(draw: Any, n: int, kind: str, nulls: bool) -> np.ndarray:
    if not nulls or kind not in _NULLABLE or not draw(st.booleans()):
        return np.zeros(n, dtype=bool)
    return np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)


@st.composite
def columns(draw: Any, kind: str, n: int, nulls: bool = True) -> tuple[pd.Series, Column]:
    """One column of ``kind`` (see :data:`COLUMN_KINDS`) with ``n`` rows and its metadata."""
    mask = _null_mask(draw, n, kind, nulls)
    as_dtype: Any = kind  # the kind names double as pandas dtype strings
    if kind in _INT_RANGES:
        lo, hi = _INT_RANGES[kind]
        vals = np.rint(_clustered_floats(draw, n, lo, hi)).astype(np.float64)
        vals = np.clip(vals, lo, hi)
        if kind[0].isupper():
            arr: Any = pd.array(vals.astype(np.int64 if lo < 0 else np.uint64), dtype=as_dtype)
            s = pd.Series(arr).mask(mask)
        else:
            s = pd.Series(vals.astype(np.dtype(kind)))
        return s, Column(sdtype="numerical", integer=True)
    if kind == "int64_near_2_62":
        offs = draw(st.lists(st.integers(-1000, 1000), min_size=n, max_size=n))
        return pd.Series(np.int64(2**62) + np.array(offs, dtype=np.int64)), Column(
            sdtype="numerical", integer=True
        )
    if kind in ("float32", "float64", "Float32", "Float64", "money"):
        vals = _clustered_floats(draw, n, -1e4, 1e4)
        dtype: Any = as_dtype
        if kind == "money":
            vals = np.round(vals, 2)
            dtype = "float64"
        s = pd.Series(vals).astype(dtype).mask(mask)
        return s, Column(sdtype="numerical")
    if kind in ("bool", "boolean"):
        vals = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
        s = pd.Series(vals).astype(as_dtype)
        return s.mask(mask) if kind == "boolean" else s, Column(sdtype="boolean")
    if kind in ("str", "string", "string[pyarrow]", "string[python]", "category", "object"):
        pool = draw(
            st.lists(st.text(alphabet="abcdé 1-", max_size=5), min_size=1, max_size=8, unique=True)
        )
        picks = draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))
        values: list[Any] = [None if m else v for v, m in zip(picks, mask, strict=True)]
        return pd.Series(values, dtype=object if kind == "object" else as_dtype), Column(
            sdtype="categorical"
        )
    if kind.startswith(("datetime", "timedelta")):
        base = draw(st.sampled_from(_DT_BASES))
        step = draw(st.sampled_from([1, 60, 3600, 86_400]))
        offs = draw(st.lists(st.integers(-48, 48), min_size=n, max_size=n))
        secs = base + step * np.array(offs, dtype=np.int64)
        if kind == "timedelta64[ns]":
            s = pd.Series(pd.to_timedelta(secs - base, unit="s")).astype(as_dtype)
            return s.mask(mask), Column(sdtype="numerical")
        ts = pd.Series(pd.to_datetime(secs, unit="s"))
        if kind == "datetime_str":
            fmt = draw(st.sampled_from(_FORMATS))
            text: list[Any] = [
                None if m else v for v, m in zip(ts.dt.strftime(fmt), mask, strict=True)
            ]
            return pd.Series(text, dtype="str"), Column(sdtype="datetime", format=fmt)
        if kind in ("datetime_utc", "datetime_berlin"):
            tz = "UTC" if kind == "datetime_utc" else "Europe/Berlin"
            ts = ts.dt.tz_localize("UTC").dt.tz_convert(tz)
            return ts.mask(mask), Column(sdtype="datetime", timezone=tz)
        return ts.astype(as_dtype).mask(mask), Column(sdtype="datetime")
    if kind == "constant":
        value = draw(st.sampled_from([7, 2.5, "k", True]))
        s = pd.Series([value] * n)
        sdtype = "numerical" if isinstance(value, int | float) else "categorical"
        return s, Column(sdtype="boolean" if isinstance(value, bool) else sdtype)
    if kind == "all_null":
        name = draw(st.sampled_from(["float64", "object", "datetime64[ns]", "Int64", "str"]))
        sdtype = "datetime" if name.startswith("datetime") else "numerical"
        empty_dtype: Any = name
        return pd.Series([None] * n, dtype=empty_dtype), Column(sdtype=sdtype)
    raise ValueError(f"unknown column kind {kind!r}")


@st.composite
def tables(
    draw: Any,
    *,
    min_rows: int = 1,
    max_rows: int = 40,
    min_columns: int = 1,
    max_columns: int = 6,
    kinds: tuple[str, ...] = COLUMN_KINDS,
    nulls: bool = True,
    name: str = "t",
) -> tuple[pd.DataFrame, Table]:
    """A ``(DataFrame, Table)`` pair; column labels are unique strings (and sometimes ints)."""
    n = draw(st.integers(min_rows, max_rows))
    k = draw(st.integers(min_columns, max_columns))
    labels: list[Any] = draw(st.lists(_NAMES, min_size=k, max_size=k, unique=True))
    if draw(st.booleans()):
        labels[0] = 0  # an integer column label
    data: dict[Any, pd.Series] = {}
    cols: dict[str, Column] = {}
    for label in labels:
        kind = draw(st.sampled_from(kinds))
        series, column = draw(columns(kind, n, nulls))
        data[label] = series
        cols[str(label)] = column
    df = pd.DataFrame(data, index=pd.RangeIndex(n))
    return df, Table(name=name, columns=cols)
