"""What the :class:`~synthohive.transform.DataTransformer` accepts in a column: object columns
of one plain value type, and ±inf only as nulls when asked (``inf_policy``)."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from synthohive.errors import InvalidDataError

InfPolicy = Literal["error", "as_null"]

_OK_OBJECT_KINDS = {
    "string",
    "integer",
    "floating",
    "mixed-integer-float",
    "boolean",
    "empty",
    "datetime",
    "datetime64",
    "date",
    "timedelta",
    "timedelta64",
}
_CONTAINERS = (dict, list, set, tuple)


def clean_column(
    series: pd.Series, table: str | None, column: str, inf_policy: InfPolicy
) -> pd.Series:
    """Validate an object column's value types and apply ``inf_policy`` to ±inf (``"error"``
    raises, ``"as_null"`` masks them); returns the series, or a new one when masked."""
    dtype = series.dtype
    floats: pd.Series | None = None
    if pd.api.types.is_object_dtype(dtype):
        kind = pd.api.types.infer_dtype(series, skipna=True)
        if kind not in _OK_OBJECT_KINDS:
            head = series.dropna().iloc[:10_000]
            n_cont = int(head.map(lambda v: isinstance(v, _CONTAINERS)).sum())
            if n_cont:
                msg = f"object column holds dict/list values ({n_cont} found)"
            else:
                kinds = sorted({type(v).__name__ for v in head.iloc[:1000]})
                msg = (
                    f"object column mixes value types {kinds} (e.g. numbers and strings)"
                    if len(kinds) > 1
                    else f"object column holds values of unsupported type {kinds}"
                )
            raise InvalidDataError(
                msg,
                table=table,
                column=column,
                fix="cast the column to one type (e.g. .astype(str)) or drop it",
            )
        if kind in ("floating", "mixed-integer-float"):
            floats = pd.to_numeric(series)
    elif pd.api.types.is_float_dtype(dtype):
        floats = series
    if floats is None:
        return series
    arr = floats.to_numpy(dtype=np.float64, na_value=np.nan)
    inf = np.isinf(arr)
    n_inf = int(inf.sum())
    if not n_inf:
        return series
    if inf_policy == "error":
        raise InvalidDataError(
            f"{n_inf} infinite values (+inf/-inf)",
            table=table,
            column=column,
            fix="replace or drop them, or use inf_policy='as_null' to treat them as nulls",
        )
    return series.mask(inf)
