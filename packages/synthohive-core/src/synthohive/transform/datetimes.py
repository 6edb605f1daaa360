"""Datetimes, timedeltas and datetime strings as int64 counts (and back), vectorised."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from synthohive.errors import InvalidDataError
from synthohive.log import get_logger
from synthohive.values.formats import best_format, parse_with

log = get_logger(__name__)

_NS_PER = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
_STEPS_NS = [86_400 * 10**9, 3_600 * 10**9, 60 * 10**9, 10**9, 10**6, 10**3, 1]

#: Share of unparseable non-null strings above which ``fit`` refuses a datetime column.
GARBAGE_TOLERANCE = 0.05


def unit_of(dtype: Any) -> str:
    """Resolution unit (s/ms/us/ns) of a datetime64/timedelta64 dtype."""
    if isinstance(dtype, pd.DatetimeTZDtype):
        return str(dtype.unit)
    return str(np.datetime_data(dtype)[0])


def as_int64(series: pd.Series) -> np.ndarray:
    """int64 counts of the series' unit (UTC instants for tz-aware); nulls hold garbage."""
    return np.asarray(series.array.asi8, dtype=np.int64)


def coarsest_step(rel: np.ndarray, unit: str) -> int:
    """Largest calendar step (day ... ns), in units, dividing every relative count."""
    per = _NS_PER.get(unit, 1)
    for step_ns in _STEPS_NS:
        if step_ns % per:
            continue
        step = step_ns // per
        if step > 1 and len(rel) and np.all(rel % step == 0):
            return step
    return 1


def from_int64(values: np.ndarray, dtype: Any) -> pd.Series:
    """Series of ``dtype`` (datetime64 naive/tz-aware or timedelta64) from int64 counts."""
    unit = unit_of(dtype)
    if isinstance(dtype, pd.DatetimeTZDtype):
        naive = pd.Series(values.astype(np.int64).view(f"datetime64[{unit}]"))
        return naive.dt.tz_localize("UTC").dt.tz_convert(dtype.tz)
    kind = "timedelta64" if np.dtype(dtype).kind == "m" else "datetime64"
    return pd.Series(values.astype(np.int64).view(f"{kind}[{unit}]"))


def infer_format(series: pd.Series) -> str | None:
    """The known format that parses the most of a sample of non-null strings."""
    sample = series.dropna().astype(str)
    best = best_format(sample.iloc[: min(len(sample), 500)])
    return best[0] if best else None


def parse_strings(
    series: pd.Series, fmt: str | None, *, table: str, column: str, strict: bool
) -> tuple[pd.Series, str, int]:
    """Parse datetime strings; returns (datetime series, format used, number unparseable).

    With ``strict`` (fit), more than :data:`GARBAGE_TOLERANCE` unparseable values raise
    ``InvalidDataError``; fewer are logged and treated as nulls.
    """
    present = series.notna()
    text = series.where(present, None).astype(object)
    if fmt is None:
        fmt = infer_format(series)
        if fmt is None:
            raise InvalidDataError(
                "datetime column holds strings in no known format",
                table=table,
                column=column,
                fix="set the column's `format` (strftime) in the metadata",
            )
    parsed = parse_with(text, fmt)
    bad = int((present.to_numpy() & parsed.isna().to_numpy()).sum())
    n_present = int(present.sum())
    if bad:
        rate = bad / max(n_present, 1)
        examples = text[present & parsed.isna()].head(3).tolist()
        if strict and rate > GARBAGE_TOLERANCE:
            raise InvalidDataError(
                f"{bad} of {n_present} values ({rate:.1%}) do not match format {fmt!r}, "
                f"e.g. {examples}",
                table=table,
                column=column,
                fix="fix the values or the column's `format`, or set sdtype 'categorical'",
            )
        log.warning(
            "unparseable_datetimes",
            table=table,
            column=column,
            count=bad,
            format=fmt,
            examples=[str(e) for e in examples],
        )
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed.astype("datetime64[ns]"), fmt, bad


def format_strings(values: np.ndarray, fmt: str) -> np.ndarray:
    """Object array of ``fmt``-formatted strings from int64 nanoseconds (UTC for ``%z``)."""
    ts = pd.Series(values.astype(np.int64).view("datetime64[ns]"))
    if "%z" in fmt or "%Z" in fmt:
        ts = ts.dt.tz_localize("UTC")
    return np.asarray(ts.dt.strftime(fmt).to_numpy(dtype=object))
