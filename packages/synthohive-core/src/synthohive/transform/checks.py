"""What the :class:`~synthohive.transform.DataTransformer` accepts in an object column: one plain
value type (labels and ±inf are :mod:`synthohive.frames`' checks, shared with the models)."""

from __future__ import annotations

import pandas as pd

from synthohive.errors import InvalidDataError

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


def check_object_column(series: pd.Series, table: str | None, column: str) -> None:
    """Raise :class:`InvalidDataError` when an object column holds containers or mixes value
    types; ±inf is :func:`synthohive.frames.without_infinities`' business."""
    if not pd.api.types.is_object_dtype(series.dtype):
        return
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if kind in _OK_OBJECT_KINDS:
        return
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
