"""Column values ↔ raw numbers for the copula marginals, and dtype-exact restoration.

Raw numbers are int64 (integers, nanoseconds of datetimes/timedeltas) or float64; restoring
rebuilds the column's original dtype (numpy, pandas nullable, tz-aware, string, object).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from synthohive.values.formats import best_format

_SAFE = 2.0**400
NS_STEPS = (86_400 * 10**9, 3_600 * 10**9, 60 * 10**9, 10**9, 10**6, 10**3, 1)


def datetime_ns(s: pd.Series) -> np.ndarray:
    """int64 nanoseconds since the epoch (UTC for tz-aware); NaT becomes int64 min."""
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    return s.to_numpy(dtype="datetime64[ns]").view("int64")


def power_scale(x: np.ndarray) -> float:
    """A power of two ``s`` with ``|x / s| <= 2**400`` (1 when already so).

    Dividing by ``s`` is exact, and differences such as ``max - min`` of ``x / s`` stay finite
    even for values near ±1.8e308, where they would overflow to ``inf``.
    """
    top = float(np.max(np.abs(x))) if len(x) else 0.0
    if not np.isfinite(top) or top <= _SAFE:
        return 1.0
    return float(2.0 ** (math.frexp(top)[1] - 400))


def round_decimals(x: np.ndarray, decimals: int) -> np.ndarray:
    """``np.round(x, decimals)`` without overflow: values of 2**52 and more are whole already."""
    if decimals == 0:
        return np.round(x)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(np.abs(x) < 2.0**52, np.round(x, decimals), x)


def learn_decimals(x: np.ndarray) -> int | None:
    """Fewest decimals (0..6) that every value already has, or ``None``."""
    sample = x[:20_000]
    sample = sample[np.abs(sample) < 2.0**52]  # larger floats are whole numbers
    for d in range(7):
        scaled = sample * 10.0**d
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-7 + 1e-11 * np.abs(scaled)):
            return d
    return None


def domain_of(s: pd.Series, sdtype: str | None) -> str:
    """How a column is modelled: number, datetime, timedelta, datestr or category."""
    dtype = s.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        return "datetime"
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "timedelta"
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return "category"
    if pd.api.types.is_numeric_dtype(dtype):
        return "category" if sdtype in ("categorical", "boolean", "id") else "number"
    if sdtype == "datetime":
        return "datestr"
    if pd.api.types.is_object_dtype(dtype) and sdtype == "numerical":
        kind = pd.api.types.infer_dtype(s, skipna=True)
        if kind in ("integer", "floating", "mixed-integer-float", "decimal"):
            return "number"
    return "category"


def raw_values(present: pd.Series, domain: str, dtype: Any, spec: dict | None) -> np.ndarray:
    """Non-null values as int64 (integers, ns) or float64."""
    if domain in ("datetime", "datestr"):
        return datetime_ns(present)
    if domain == "timedelta":
        return present.to_numpy(dtype="timedelta64[ns]").view("int64")
    if pd.api.types.is_integer_dtype(dtype):
        try:
            return present.to_numpy(dtype="int64")
        except (OverflowError, ValueError, TypeError):
            return present.to_numpy(dtype="float64")
    if pd.api.types.is_object_dtype(dtype):
        num = pd.to_numeric(present.astype(object), errors="coerce")
        if pd.api.types.infer_dtype(present, skipna=True) == "integer":
            try:
                return num.to_numpy(dtype="int64")
            except (OverflowError, ValueError, TypeError):
                pass
        return num.to_numpy(dtype="float64")
    return present.to_numpy(dtype="float64")


def guess_format(values: pd.Series) -> str | None:
    """The known strftime format parsing most of ``values`` (at least half), or ``None``."""
    best = best_format(values.astype(str).iloc[:1000])
    return best[0] if best is not None and best[1] >= 0.5 else None


def restore_empty(dtype: Any, n: int) -> pd.Series:
    """``n`` missing values of ``dtype``."""
    if isinstance(dtype, np.dtype):
        if dtype.kind in "mM":
            return pd.Series(np.full(n, np.datetime64("NaT", "ns")), dtype=dtype)
        if dtype.kind == "f":
            return pd.Series(np.full(n, np.nan), dtype=dtype)
        return pd.Series(np.full(n, None, dtype=object), dtype=object)
    if isinstance(dtype, pd.DatetimeTZDtype):
        return pd.Series(pd.NaT, index=range(n), dtype=dtype)
    return pd.Series(pd.array(np.full(n, None, dtype=object), dtype=dtype))


def restore_numeric(x: np.ndarray, null: np.ndarray, spec: dict[str, Any], dtype: Any) -> pd.Series:
    """Raw numbers (nulls where ``null``) back in the column's exact ``dtype``."""
    domain = spec["domain"]
    if domain in ("datetime", "timedelta", "datestr"):
        step = int(spec.get("step") or 1)
        ns = x if x.dtype.kind == "i" else (np.round(x / step) * step)
        ns = np.where(null, np.iinfo("int64").min, ns.astype("int64"))
        if domain == "timedelta":
            return pd.Series(ns.view("timedelta64[ns]")).astype(dtype)
        dti = pd.DatetimeIndex(ns.view("datetime64[ns]"))
        if domain == "datestr":
            text = np.asarray(dti.strftime(spec["fmt"]), dtype=object)
            text[null] = None
            if isinstance(dtype, np.dtype):
                return pd.Series(text, dtype=object)
            return pd.Series(pd.array(text, dtype=dtype))
        if isinstance(dtype, pd.DatetimeTZDtype):
            dti = dti.tz_localize("UTC").tz_convert(dtype.tz)
        return pd.Series(dti).astype(dtype)
    integer = bool(spec.get("integer"))
    if isinstance(dtype, np.dtype):
        if dtype.kind in "iu":
            info = np.iinfo(dtype)
            if x.dtype.kind == "f":
                x = np.clip(x, max(info.min, -(2.0**63)), min(info.max, 2.0**63 - 1024))
            return pd.Series(x.astype(dtype))
        if dtype.kind == "f":
            out = x.astype(dtype)
            out[null] = np.nan
            return pd.Series(out)
        obj = (x.astype("int64") if integer else x).astype(object)
        obj[null] = None
        return pd.Series(obj, dtype=object)
    if integer and x.dtype.kind == "f":
        x = x.astype("int64")
    arr = pd.array(x, dtype=dtype)
    if null.any():
        arr[null] = pd.NA
    return pd.Series(arr)
