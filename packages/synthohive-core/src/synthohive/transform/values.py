"""JSON-safe descriptions of dtypes and cell values, and rebuilding series from them.

Values are stored as ``[tag, text]`` pairs so ints (of any size), bools, floats (exact ``repr``),
strings, timestamps and timedeltas round-trip with their Python type; dtypes as small dicts.
Nothing here can build an arbitrary object from a file.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np
import pandas as pd

from synthohive.errors import ArtifactIntegrityError, InvalidDataError

TaggedValue = list[str]


def encode_value(value: Any) -> TaggedValue:
    """``[tag, text]`` for one cell value; raises ``TypeError`` for unsupported types."""
    if isinstance(value, np.generic):
        if isinstance(value, np.datetime64):
            value = pd.Timestamp(value)
        elif isinstance(value, np.timedelta64):
            value = pd.Timedelta(value)
        else:
            value = value.item()
    if isinstance(value, bool):
        return ["bool", "1" if value else "0"]
    if isinstance(value, int):
        return ["int", str(value)]
    if isinstance(value, float):
        return ["float", repr(value)]
    if isinstance(value, str):
        return ["str", value]
    if isinstance(value, pd.Timestamp | _dt.datetime):
        return ["timestamp", pd.Timestamp(value).isoformat()]
    if isinstance(value, pd.Timedelta | _dt.timedelta):
        return ["timedelta", str(pd.Timedelta(value).value)]
    if isinstance(value, _dt.date):
        return ["date", value.isoformat()]
    raise TypeError(f"cannot store a value of type {type(value).__name__}")


def decode_value(item: Any) -> Any:
    """Inverse of :func:`encode_value`."""
    if not (isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) for x in item)):
        raise ArtifactIntegrityError(f"malformed stored value {item!r}")
    tag, text = item
    try:
        if tag == "bool":
            return text == "1"
        if tag == "int":
            return int(text)
        if tag == "float":
            return float(text)
        if tag == "str":
            return text
        if tag == "timestamp":
            return pd.Timestamp(text)
        if tag == "timedelta":
            return pd.Timedelta(int(text), unit="ns")
        if tag == "date":
            return _dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ArtifactIntegrityError(f"malformed stored value {item!r}: {exc}") from None
    raise ArtifactIntegrityError(f"unknown value tag {tag!r}")


def encode_values(values: Any, *, table: str | None = None, column: str | None = None) -> list:
    """Encode a sequence of values; unsupported types raise ``InvalidDataError``."""
    try:
        return [encode_value(v) for v in values]
    except TypeError as exc:
        raise InvalidDataError(
            f"{exc}; supported cell types are str, int, float, bool, dates and timestamps",
            table=table,
            column=column,
            fix="convert the column to a plain dtype (str, number, bool or datetime)",
        ) from None


def decode_values(items: Any) -> list[Any]:
    """Decode a stored list of values."""
    if not isinstance(items, list):
        raise ArtifactIntegrityError("stored values must be a list")
    return [decode_value(x) for x in items]


def object_array(values: list[Any]) -> np.ndarray:
    """A 1-d object array holding exactly ``values`` (no nested-sequence surprises)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


# --- dtypes ------------------------------------------------------------------------------------
def describe_dtype(dtype: Any) -> dict[str, Any]:
    """A JSON description of a pandas/numpy dtype that :func:`restore_dtype` rebuilds exactly."""
    if isinstance(dtype, pd.CategoricalDtype):
        cats = dtype.categories
        return {
            "kind": "category",
            "ordered": bool(dtype.ordered),
            "categories": encode_values(cats.astype(object) if len(cats) else []),
            "categories_dtype": describe_dtype(cats.dtype),
        }
    if isinstance(dtype, pd.StringDtype):
        na = "nan" if dtype.na_value is np.nan else "NA"
        return {"kind": "string", "storage": dtype.storage, "na": na}
    if isinstance(dtype, pd.DatetimeTZDtype):
        tz = dtype.tz
        if isinstance(tz, _dt.timezone):
            offset = tz.utcoffset(None)
            return {"kind": "datetime", "unit": dtype.unit, "offset_s": offset.total_seconds()}
        return {"kind": "datetime", "unit": dtype.unit, "tz": str(tz)}
    if isinstance(dtype, np.dtype):
        if dtype.kind == "M":
            return {"kind": "datetime", "unit": np.datetime_data(dtype)[0]}
        if dtype.kind == "m":
            return {"kind": "timedelta", "unit": np.datetime_data(dtype)[0]}
        if dtype.kind == "O":
            return {"kind": "object"}
        return {"kind": "numpy", "name": dtype.name}
    return {"kind": "pandas", "name": str(dtype)}


def restore_dtype(desc: dict[str, Any]) -> Any:
    """Rebuild the dtype described by :func:`describe_dtype`."""
    kind = desc.get("kind")
    try:
        if kind == "category":
            cats_dtype = restore_dtype(desc["categories_dtype"])
            cats = pd.Index(object_array(decode_values(desc["categories"])))
            if len(cats):
                cats = cats.astype(cats_dtype)
            else:
                cats = pd.Index([], dtype=cats_dtype)
            return pd.CategoricalDtype(cats, ordered=bool(desc["ordered"]))
        if kind == "string":
            na = np.nan if desc["na"] == "nan" else pd.NA
            return pd.StringDtype(storage=desc["storage"], na_value=na)
        if kind == "datetime":
            unit = desc["unit"]
            if "tz" in desc:
                return pd.DatetimeTZDtype(unit=unit, tz=desc["tz"])
            if "offset_s" in desc:
                tz = _dt.timezone(_dt.timedelta(seconds=float(desc["offset_s"])))
                return pd.DatetimeTZDtype(unit=unit, tz=tz)
            return np.dtype(f"datetime64[{unit}]")
        if kind == "timedelta":
            return np.dtype(f"timedelta64[{desc['unit']}]")
        if kind == "object":
            return np.dtype(object)
        if kind == "numpy":
            return np.dtype(desc["name"])
        if kind == "pandas":
            return pd.api.types.pandas_dtype(desc["name"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactIntegrityError(f"malformed dtype description {desc!r}: {exc}") from None
    raise ArtifactIntegrityError(f"unknown dtype kind {kind!r}")


def null_sentinel(series: pd.Series) -> str:
    """For object columns: whether the first null is ``None`` or NaN (restored as such)."""
    if series.dtype != object:
        return "default"
    nulls = series[series.isna()]
    if len(nulls) and nulls.iloc[0] is None:
        return "none"
    return "default"


def build_series(
    values: np.ndarray, nulls: np.ndarray | None, dtype: Any, sentinel: str = "default"
) -> pd.Series:
    """A series of ``dtype`` from ``values`` (placeholders where ``nulls``), nulls set missing."""
    s = pd.Series(values, copy=False)
    if isinstance(dtype, pd.CategoricalDtype):
        cats = dtype.categories
        codes = cats.get_indexer(pd.Index(values))
        if nulls is not None:
            codes = np.where(nulls, -1, codes)
        return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype))
    if s.dtype != dtype:
        s = s.astype(dtype)
    if nulls is not None and nulls.any():
        if sentinel == "none":
            s = s.astype(object).where(~nulls, None)
        else:
            s = s.mask(nulls)
        if s.dtype != dtype:
            s = s.astype(dtype)
    return s


def empty_series(n: int, dtype: Any, sentinel: str = "default") -> pd.Series:
    """``n`` missing values of ``dtype``."""
    s = pd.Series(index=pd.RangeIndex(n), dtype=dtype)
    if sentinel == "none":
        s = s.astype(object).where(np.zeros(n, dtype=bool), None)
    return s
