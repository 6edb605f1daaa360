"""JSON codecs for pandas dtypes and category values, so a model file can restore exact dtypes.

Only plain JSON goes in: a dtype becomes a small dict (``{"kind": "plain", "name": "Int64"}``,
``{"kind": "string", ...}``, ``{"kind": "category", ...}``) and a list of category values keeps
its value type (``{"type": "int", "values": [...]}``). Nothing read back is imported or executed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from synthohive.errors import ArtifactIntegrityError, InvalidDataError

_VALUE_TYPES = ("str", "bool", "int", "float", "datetime", "timedelta")


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
            raise InvalidDataError(
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
    raise InvalidDataError(
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
        raise ArtifactIntegrityError(f"malformed category values: {exc}") from None


def dtype_to_json(dtype: Any, *, table: str | None = None, column: str | None = None) -> dict:
    """Describe ``dtype`` so :func:`dtype_from_json` rebuilds an equal dtype."""
    if isinstance(dtype, pd.CategoricalDtype):
        cats = dtype.categories
        return {
            "kind": "category",
            "ordered": bool(dtype.ordered),
            "categories": values_to_json(cats, table=table, column=column),
            "categories_dtype": dtype_to_json(cats.dtype, table=table, column=column),
        }
    if isinstance(dtype, pd.StringDtype):
        na = dtype.na_value
        return {
            "kind": "string",
            "storage": str(dtype.storage),
            "na": "NA" if na is pd.NA else "nan",
        }
    name = str(dtype)
    try:
        same = pd.api.types.pandas_dtype(name) == dtype
    except TypeError:
        same = False
    if not same:
        raise InvalidDataError(
            f"dtype {name!r} cannot be restored", table=table, column=column, fix="cast it"
        )
    return {"kind": "plain", "name": name}


def dtype_from_json(obj: Any) -> Any:
    """Rebuild a dtype written by :func:`dtype_to_json`."""
    try:
        kind = obj["kind"]
        if kind == "category":
            cats_dtype = dtype_from_json(obj["categories_dtype"])
            cats = pd.Index(values_from_json(obj["categories"]), dtype=cats_dtype)
            return pd.CategoricalDtype(cats, ordered=bool(obj["ordered"]))
        if kind == "string":
            if obj["storage"] not in ("python", "pyarrow") or obj["na"] not in ("NA", "nan"):
                raise ValueError("bad string dtype")
            return pd.StringDtype(obj["storage"], na_value=pd.NA if obj["na"] == "NA" else np.nan)
        if kind == "plain" and isinstance(obj["name"], str) and len(obj["name"]) < 80:
            return pd.api.types.pandas_dtype(obj["name"])
        raise ValueError(f"unknown dtype kind {kind!r}")
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactIntegrityError(f"malformed dtype description: {exc}") from None
