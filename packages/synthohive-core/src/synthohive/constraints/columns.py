"""Reading constraint columns as numbers and writing them back: dates count in seconds, each
column keeps its dtype, date format and grain (shared by the single- and cross-table rules)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from synthohive.errors import ArtifactIntegrityError, ConstraintError
from synthohive.models.values import learn_decimals
from synthohive.validation.stats import as_numeric

if TYPE_CHECKING:
    from synthohive.metadata.schema import Column

_SEP = "__"


def _numeric(series: pd.Series, table: str, fmt: str | None = None) -> tuple[np.ndarray, str]:
    """(float64 values, kind) of a number or date column; ``kind`` is ``number``, ``datetime``
    or ``text_datetime``. Dates count in seconds since the epoch."""
    if pd.api.types.is_bool_dtype(series.dtype):
        raise ConstraintError(f"column {series.name!r} is boolean", table=table)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.to_numpy(dtype="float64", na_value=np.nan), "number"
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        kind = "datetime"
        stamps = pd.to_datetime(series)
    else:
        kind = "text_datetime"
        stamps = pd.to_datetime(series, format=fmt or "ISO8601", errors="coerce")
        if stamps.isna().sum() > series.isna().sum():
            raise ConstraintError(
                f"column {series.name!r} holds values that are neither numbers nor dates",
                table=table,
                fix="constrain number or date columns (give the date format in the metadata)",
            )
    return as_numeric(stamps).to_numpy() / 1e9, kind


def _back(values: np.ndarray, like: pd.Series, kind: str, fmt: str | None = None) -> pd.Series:
    """Float values (seconds for dates) back into ``like``'s dtype, on ``like``'s index."""
    return _as(values, like.dtype, like.index, kind, fmt)


def _as(
    values: np.ndarray, dtype: Any, index: pd.Index, kind: str, fmt: str | None = None
) -> pd.Series:
    """Float values (seconds for dates) as a series of ``dtype`` on ``index``."""
    nulls = np.isnan(values)
    if kind == "number":
        if pd.api.types.is_integer_dtype(dtype):
            out = pd.Series(np.where(nulls, 0, np.rint(values)).astype("int64"), index=index)
            if nulls.any() or isinstance(dtype, pd.api.extensions.ExtensionDtype):
                return out.astype("Int64").mask(nulls).astype(dtype)
            return out.astype(dtype)
        return pd.Series(values, index=index).astype(dtype)
    stamps = pd.to_datetime(np.where(nulls, 0, values * 1e9).astype("int64"), unit="ns")
    series = pd.Series(stamps, index=index).mask(nulls)
    if kind == "text_datetime":
        text = series.dt.strftime(fmt or "%Y-%m-%dT%H:%M:%S")
        return text.where(~nulls, None).astype(dtype)
    tz = getattr(dtype, "tz", None)
    if tz is not None:
        series = series.dt.tz_localize("UTC").dt.tz_convert(tz)
    return series.astype(dtype)


def in_order(frame: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """``frame``'s columns in ``order`` (the table's order at fit), new ones last."""
    return frame[[c for c in order if c in frame.columns] + [c for c in frame if c not in order]]


def one_categorical(
    columns: dict[str, Column], replaced: list[str], name: str
) -> dict[str, Column]:
    """Column metadata with ``replaced`` swapped for one categorical column ``name``."""
    from synthohive.metadata.schema import Column

    out = {k: v for k, v in columns.items() if k not in replaced}
    out[name] = Column(sdtype="categorical")
    return out


def _grain(values: np.ndarray, kind: str) -> tuple[float, int | None]:
    """(step, decimals) every value is a whole multiple of: for dates the coarsest of a day,
    an hour, a minute or a second (else 0: any); for numbers ``10**-decimals`` (else 0)."""
    if not len(values):
        return 0.0, None
    if kind != "number":
        for step in (86400.0, 3600.0, 60.0, 1.0):
            if np.allclose(np.round(values / step) * step, values, rtol=0, atol=1e-6):
                return step, None
        return 0.0, None
    decimals = _decimals(pd.DataFrame({"v": values}))
    if decimals is None:
        return 0.0, None
    return 10.0**-decimals, decimals


def _dtype(text: str) -> Any:
    """A pandas dtype from its stored name, checked like the plan's dtypes (a model file
    cannot make us cast to a huge fixed-width dtype)."""
    from synthohive.synthesizer.plan_doc import check_dtype_name

    try:
        return pd.api.types.pandas_dtype(check_dtype_name(text))
    except (TypeError, ValueError) as exc:
        raise ArtifactIntegrityError(f"constraint state holds a bad dtype: {exc}") from None


def _decimals(values: pd.DataFrame) -> int | None:
    """Fewest decimals every present value has (the copula's rule), or ``None``."""
    flat = values.to_numpy(dtype="float64", na_value=np.nan).ravel()
    return learn_decimals(flat[~np.isnan(flat)])
