"""Building a column back from decoded values: its exact dtype, and ``None`` or NaN nulls."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


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
