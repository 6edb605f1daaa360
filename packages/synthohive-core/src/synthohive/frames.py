"""The checks every input frame gets, in one place: unique column labels and no ±inf.

The synthesizer (once per table, as it reads its input), a model's ``fit`` and the
:class:`~synthohive.transform.DataTransformer` each call :func:`check_frame` on the frame they
are handed, since each can be used on its own. ``inf_policy="as_null"`` (an option of the
synthesizer and of the transformer) turns ±inf into nulls instead of raising. What an object
column may hold differs by consumer and stays with it (``models/base.py``,
``transform/checks.py``).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from synthohive.errors import InvalidDataError
from synthohive.log import get_logger

log = get_logger(__name__)

InfPolicy = Literal["error", "as_null"]


def check_labels(data: pd.DataFrame, table: str | None) -> None:
    """Raise :class:`InvalidDataError` when two columns share a label."""
    dup = data.columns[data.columns.duplicated()].unique().tolist()
    if dup:
        raise InvalidDataError(
            f"duplicate column names {dup}",
            table=table,
            fix="rename the columns so each name is unique",
        )


def infinite_mask(series: pd.Series) -> np.ndarray | None:
    """Where ``series`` holds ±inf (float columns, and object columns of floats), or ``None``
    when it holds none."""
    dtype = series.dtype
    if pd.api.types.is_float_dtype(dtype):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
    elif pd.api.types.is_object_dtype(dtype) and pd.api.types.infer_dtype(series, skipna=True) in (
        "floating",
        "mixed-integer-float",
    ):
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64")
    else:
        return None
    mask = np.isinf(values)
    return mask if mask.any() else None


def without_infinities(
    series: pd.Series, table: str | None, column: str, inf_policy: InfPolicy
) -> pd.Series:
    """``series`` itself when it holds no ±inf; else raise (``"error"``) or return a copy with
    them as nulls (``"as_null"``, counted in the log)."""
    mask = infinite_mask(series)
    if mask is None:
        return series
    count = int(mask.sum())
    if inf_policy == "error":
        raise InvalidDataError(
            f"{count} infinite values (+inf/-inf)",
            table=table,
            column=column,
            fix="replace them with nulls or finite values, or pass inf_policy='as_null' "
            "(Synthesizer, DataTransformer) to treat them as nulls",
        )
    log.info("data.inf_as_null", table=table, column=column, count=count)
    return series.mask(mask)


def check_frame(
    data: pd.DataFrame, table: str | None, *, inf_policy: InfPolicy = "error"
) -> pd.DataFrame:
    """Check ``data``'s labels and ±inf (see :func:`without_infinities`); returns ``data``, or a
    copy when infinities became nulls."""
    check_labels(data, table)
    out = data
    for i in range(data.shape[1]):
        series = data.iloc[:, i]
        cleaned = without_infinities(series, table, str(data.columns[i]), inf_policy)
        if cleaned is not series:
            if out is data:
                out = data.copy()
            out.isetitem(i, cleaned.array)
    return out
