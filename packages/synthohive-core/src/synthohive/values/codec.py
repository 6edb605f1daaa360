"""The one JSON codec for cell values and pandas dtypes: plain JSON out, nothing executed in.

Two value forms exist in model files, and both stay as they are written:

- *tagged*: one ``[tag, text]`` pair per value (:func:`encode_value`), so ints of any size,
  bools, floats (exact ``repr``), strings, dates, timestamps and timedeltas keep their Python
  type; the neural transformer writes these.
- *typed lists*: ``{"type": "int", "values": [...]}`` (:func:`values_to_json`), one value type
  for a whole list of category values; the copula's marginals and copied tables write these.

Dtypes are small dicts. :func:`describe_dtype` names every dtype exactly (datetime units and
zones, numpy and pandas names); :func:`dtype_to_json` keeps a compact ``{"kind": "plain"}``
form for dtypes pandas rebuilds from their name. :func:`dtype_from_json` reads both.

Malformed stored JSON raises :class:`MalformedValueError`, a value that cannot be stored
:class:`UnstorableValueError`; ``synthohive.models.codecs`` gives the same functions with
SynthoHive's typed errors. This module imports nothing else of SynthoHive.
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

import numpy as np
import pandas as pd

TaggedValue = list[str]

_VALUE_TYPES = ("str", "bool", "int", "float", "datetime", "timedelta")


class MalformedValueError(ValueError):
    """Stored JSON that this codec did not write (a corrupt or tampered file)."""


class UnstorableValueError(TypeError):
    """A value or dtype the codec cannot describe; ``fix`` says what to do."""

    def __init__(
        self, message: str, *, fix: str, table: str | None = None, column: str | None = None
    ) -> None:
        super().__init__(message)
        self.fix, self.table, self.column = fix, table, column


# --- tagged values -----------------------------------------------------------------------------
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
        raise MalformedValueError(f"malformed stored value {item!r}")
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
        raise MalformedValueError(f"malformed stored value {item!r}: {exc}") from None
    raise MalformedValueError(f"unknown value tag {tag!r}")


def encode_values(values: Any, *, table: str | None = None, column: str | None = None) -> list:
    """Encode a sequence of values (tagged); unsupported types raise
    :class:`UnstorableValueError`."""
    try:
        return [encode_value(v) for v in values]
    except TypeError as exc:
        raise UnstorableValueError(
            f"{exc}; supported cell types are str, int, float, bool, dates and timestamps",
            table=table,
            column=column,
            fix="convert the column to a plain dtype (str, number, bool or datetime)",
        ) from None


def decode_values(items: Any) -> list[Any]:
    """Decode a stored list of tagged values."""
    if not isinstance(items, list):
        raise MalformedValueError("stored values must be a list")
    return [decode_value(x) for x in items]


def object_array(values: list[Any]) -> np.ndarray:
    """A 1-d object array holding exactly ``values`` (no nested-sequence surprises)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


# --- typed lists of category values ------------------------------------------------------------
def values_to_json(values: Any, *, table: str | None = None, column: str | None = None) -> dict:
    """Encode a 1-d collection of category values (str, bool, int, float, datetimes)."""
    idx = pd.Index(values)
    kind = pd.api.types.infer_dtype(idx, skipna=False)
    items = idx.tolist()
    if len(items) == 0:
        return {"type": "str", "values": []}
    if kind == "string":
        return {"type": "str", "values": [str(v) for v in items]}
    if kind == "boolean":
        return {"type": "bool", "values": [bool(v) for v in items]}
    if kind == "integer":
        return {"type": "int", "values": [int(v) for v in items]}
    if kind in ("floating", "mixed-integer-float", "decimal"):
        floats = [float(v) for v in items]
        if not all(math.isfinite(v) for v in floats):
            raise UnstorableValueError(
                "category values must be finite", table=table, column=column, fix="drop inf/NaN"
            )
        return {"type": "float", "values": floats}
    if kind in ("datetime64", "datetime"):
        ts = pd.DatetimeIndex(idx)
        tz = str(ts.tz) if ts.tz is not None else None
        naive = ts.tz_convert("UTC").tz_localize(None) if tz else ts
        ns = naive.as_unit("ns").asi8.tolist()
        return {"type": "datetime", "values": ns, "tz": tz}
    if kind in ("timedelta64", "timedelta"):
        return {"type": "timedelta", "values": pd.TimedeltaIndex(idx).as_unit("ns").asi8.tolist()}
    raise UnstorableValueError(
        f"values of type {kind!r} cannot be modelled as categories",
        table=table,
        column=column,
        fix="convert the column to strings, numbers or datetime64 first",
    )


def values_from_json(obj: Any) -> list[Any]:
    """Decode :func:`values_to_json` output into a Python list of values."""
    try:
        vtype = obj["type"]
        raw = obj["values"]
        if vtype not in _VALUE_TYPES or not isinstance(raw, list):
            raise ValueError(f"bad value type {vtype!r}")
        if vtype == "str":
            if not all(isinstance(v, str) for v in raw):
                raise ValueError("non-string value")
            return list(raw)
        if vtype == "bool":
            return [bool(v) for v in raw]
        if vtype == "int":
            return [int(v) for v in raw]
        if vtype == "float":
            return [float(v) for v in raw]
        if vtype == "datetime":
            dti = pd.to_datetime(
                np.asarray(raw, dtype="int64"), unit="ns", utc=obj["tz"] is not None
            )
            if obj["tz"] is not None:
                dti = dti.tz_convert(obj["tz"])
            return list(dti)
        return list(pd.to_timedelta(np.asarray(raw, dtype="int64"), unit="ns"))
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise MalformedValueError(f"malformed category values: {exc}") from None


# --- dtypes ------------------------------------------------------------------------------------
def _string_json(dtype: pd.StringDtype) -> dict[str, Any]:
    return {
        "kind": "string",
        "storage": str(dtype.storage),
        "na": "NA" if dtype.na_value is pd.NA else "nan",
    }


def describe_dtype(dtype: Any) -> dict[str, Any]:
    """A JSON description of a pandas/numpy dtype that :func:`dtype_from_json` rebuilds
    exactly (category values tagged)."""
    if isinstance(dtype, pd.CategoricalDtype):
        cats = dtype.categories
        return {
            "kind": "category",
            "ordered": bool(dtype.ordered),
            "categories": encode_values(cats.astype(object) if len(cats) else []),
            "categories_dtype": describe_dtype(cats.dtype),
        }
    if isinstance(dtype, pd.StringDtype):
        return _string_json(dtype)
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


def dtype_to_json(dtype: Any, *, table: str | None = None, column: str | None = None) -> dict:
    """Describe ``dtype`` compactly (category values as a typed list, other dtypes by a name
    pandas rebuilds) so :func:`dtype_from_json` rebuilds an equal dtype."""
    if isinstance(dtype, pd.CategoricalDtype):
        cats = dtype.categories
        return {
            "kind": "category",
            "ordered": bool(dtype.ordered),
            "categories": values_to_json(cats, table=table, column=column),
            "categories_dtype": dtype_to_json(cats.dtype, table=table, column=column),
        }
    if isinstance(dtype, pd.StringDtype):
        return _string_json(dtype)
    name = str(dtype)
    try:
        same = pd.api.types.pandas_dtype(name) == dtype
    except TypeError:
        same = False
    if not same:
        raise UnstorableValueError(
            f"dtype {name!r} cannot be restored", table=table, column=column, fix="cast it"
        )
    return {"kind": "plain", "name": name}


def _categories(desc: dict[str, Any]) -> pd.Index:
    """The categories of a stored category dtype, in either value form."""
    cats_dtype = dtype_from_json(desc["categories_dtype"])
    stored = desc["categories"]
    if isinstance(stored, dict):  # a typed list (dtype_to_json)
        return pd.Index(values_from_json(stored), dtype=cats_dtype)
    cats = pd.Index(object_array(decode_values(stored)))
    return cats.astype(cats_dtype) if len(cats) else pd.Index([], dtype=cats_dtype)


def dtype_from_json(desc: Any) -> Any:
    """Rebuild the dtype described by :func:`describe_dtype` or :func:`dtype_to_json`."""
    if not isinstance(desc, dict):
        raise MalformedValueError(f"malformed dtype description: {desc!r} is not a dict")
    kind = desc.get("kind")
    compact = kind == "plain" or isinstance(desc.get("categories"), dict)
    try:
        if kind == "category":
            return pd.CategoricalDtype(_categories(desc), ordered=bool(desc["ordered"]))
        if kind == "string":
            if desc["storage"] not in ("python", "pyarrow") or desc["na"] not in ("NA", "nan"):
                raise ValueError("bad string dtype")
            na = np.nan if desc["na"] == "nan" else pd.NA
            return pd.StringDtype(storage=desc["storage"], na_value=na)
        if kind == "plain" and isinstance(desc["name"], str) and len(desc["name"]) < 80:
            return pd.api.types.pandas_dtype(desc["name"])
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
        where = ":" if compact else f" {desc!r}:"  # each form keeps the message it had
        raise MalformedValueError(f"malformed dtype description{where} {exc}") from None
    if compact:
        raise MalformedValueError(f"malformed dtype description: unknown dtype kind {kind!r}")
    raise MalformedValueError(f"unknown dtype kind {kind!r}")
