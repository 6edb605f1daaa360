"""SQL types <-> SynthoHive columns <-> pandas dtypes (imports SQLAlchemy).

Three jobs: map a reflected SQL type to a :class:`~synthohive.metadata.schema.Column`
(``column_from_sql``), turn driver rows into typed pandas columns (``typed_frame``), and choose
a SQL type for a column to be written (``sql_type_for``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import mysql as my_types

from synthohive.errors import MetadataError
from synthohive.metadata.schema import Column

# read plans: how one result column becomes a pandas column
INT, FLOAT, DECIMAL, BOOL, STR, DATETIME, DATETIME_TZ, DATE, OBJECT = (
    "int",
    "float",
    "decimal",
    "bool",
    "str",
    "datetime",
    "datetime_tz",
    "date",
    "object",
)


def _is_mysql_bool(t: Any) -> bool:
    return isinstance(t, my_types.TINYINT) and getattr(t, "display_width", None) == 1


def read_kind(t: Any) -> tuple[str, int | None]:
    """The read plan (kind, decimal scale) for a SQLAlchemy type instance."""
    if isinstance(t, sa.Boolean) or _is_mysql_bool(t):
        return BOOL, None
    if isinstance(t, sa.Integer):
        return INT, None
    if isinstance(t, sa.Float):
        return FLOAT, None
    if isinstance(t, sa.Numeric):
        scale = getattr(t, "scale", None)
        if scale == 0:
            return INT, None
        return DECIMAL, scale
    if isinstance(t, sa.DateTime):
        return (DATETIME_TZ if getattr(t, "timezone", False) else DATETIME), None
    if isinstance(t, sa.Date):
        return DATE, None
    if isinstance(t, sa.String | sa.Enum | sa.Uuid):
        return STR, None
    return OBJECT, None


def column_from_sql(t: Any, nullable: bool, *, table: str, column: str) -> Column:
    """A Column (sdtype, dtype, rounding, timezone) from a reflected SQL type."""
    kind, scale = read_kind(t)
    type_name = str(t.__class__.__name__)
    reason = f"SQL type {type_name}"
    if kind == BOOL:
        return Column(
            sdtype="boolean",
            dtype="boolean" if nullable else "bool",
            nullable=nullable,
            reason=reason,
        )
    if kind == INT:
        return Column(
            sdtype="numerical",
            integer=True,
            rounding=0,
            nullable=nullable,
            dtype="Int64" if nullable else "int64",
            reason=reason,
        )
    if kind == FLOAT:
        return Column(
            sdtype="numerical", integer=False, dtype="float64", nullable=nullable, reason=reason
        )
    if kind == DECIMAL:
        return Column(
            sdtype="numerical",
            integer=False,
            dtype="float64",
            nullable=nullable,
            rounding=scale,
            reason=f"{reason}({getattr(t, 'precision', None)},{scale})",
        )
    if kind in (DATETIME, DATETIME_TZ, DATE):
        tz = "UTC" if kind == DATETIME_TZ else None
        return Column(
            sdtype="datetime",
            nullable=nullable,
            timezone=tz,
            dtype="datetime64[us, UTC]" if tz else "datetime64[us]",
            reason=reason,
        )
    if kind == STR:
        if isinstance(t, sa.Uuid):
            return Column(
                sdtype="id", generator="uuid", dtype="str", nullable=nullable, reason=reason
            )
        # TEXT/VARCHAR say nothing about the values: categorical until the data says
        # otherwise (free text, PII and ids are refined from a sample at reflection)
        return Column(sdtype="categorical", dtype="str", nullable=nullable, reason=reason)
    raise MetadataError(
        f"unsupported SQL type {t!s} ({type_name})",
        table=table,
        column=column,
        fix=f"read it through a view that casts it, e.g. CAST({column} AS VARCHAR), "
        "or exclude the table",
    )


def _arrow_datetimes(values: Any, kind: str, name: str) -> pd.Series | None:
    """Python date/datetime objects -> datetime64[us] (UTC for zoned) through pyarrow's C++
    conversion; ``None`` when pyarrow is missing or the values are not date/datetimes."""
    try:
        import pyarrow as pa
    except ImportError:
        return None
    try:
        if kind == DATE:
            arr = pa.array(values, type=pa.date32(), from_pandas=True).cast(pa.timestamp("us"))
        else:
            tz = "UTC" if kind == DATETIME_TZ else None
            arr = pa.array(values, type=pa.timestamp("us", tz=tz), from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    target: Any = "datetime64[us, UTC]" if kind == DATETIME_TZ else "datetime64[us]"
    return pd.Series(arr.to_pandas(), name=name).astype(target)


def typed_series(
    values: tuple[Any, ...] | list[Any], kind: str, scale: int | None, nullable: bool, name: str
) -> pd.Series:
    """One typed pandas column from driver values (schema-driven, stable across chunks)."""
    if kind == INT:
        arr: Any = pd.array(values, dtype="Int64")
        if not nullable and not arr.isna().any():
            return pd.Series(arr.to_numpy(dtype="int64"), name=name)
        return pd.Series(arr, name=name)
    if kind in (FLOAT, DECIMAL):
        nums = np.asarray(values, dtype="float64")
        if kind == DECIMAL and scale is not None:
            nums = np.round(nums, scale)
        return pd.Series(nums, name=name)
    if kind == BOOL:
        arr = pd.Series(values, dtype=object).astype("boolean").array
        if not nullable and not arr.isna().any():
            return pd.Series(arr.to_numpy(dtype=bool), name=name)
        return pd.Series(arr, name=name)
    if kind == STR:
        return pd.Series(values, dtype=object, name=name).astype("str")
    if kind in (DATETIME, DATETIME_TZ, DATE):
        fast = _arrow_datetimes(values, kind, name)
        if fast is not None:
            return fast
        raw = pd.Series(values, dtype=object, name=name)
        out: Any
        if kind == DATETIME_TZ:
            out = pd.to_datetime(raw, utc=True)
        else:
            out = pd.to_datetime(raw)
            if getattr(out.dt, "tz", None) is not None:
                out = out.dt.tz_convert("UTC").dt.tz_localize(None)
        return out.astype("datetime64[us, UTC]" if kind == DATETIME_TZ else "datetime64[us]")
    return pd.Series(values, dtype=object, name=name)


def typed_frame(rows: list[Any], plans: list[tuple[str, str, int | None, bool]]) -> pd.DataFrame:
    """A DataFrame from result rows; ``plans`` holds (name, kind, scale, nullable) per column."""
    cols: list[Any]
    if not rows:
        cols = [() for _ in plans]
    else:
        try:  # C-speed transpose; nested values (arrays, JSON lists) fall back to zip
            grid = np.empty((len(rows), len(plans)), dtype=object)
            grid[:] = rows
            cols = [grid[:, j] for j in range(len(plans))]
        except (ValueError, TypeError):
            cols = list(zip(*rows))
    data = {
        name: typed_series(vals, kind, scale, nullable, name)
        for (name, kind, scale, nullable), vals in zip(plans, cols)
    }
    return pd.DataFrame(data, columns=[p[0] for p in plans])


# --- write types ---------------------------------------------------------------------------------
def _dtype_kind(dtype: Any) -> str:
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "datetime_tz"
    if pd.api.types.is_datetime64_dtype(dtype):
        return "datetime"
    return "str"


def sql_type_for(column: Column | None, dtype: Any, *, key: bool) -> Any:
    """A SQLAlchemy type for a column to create (``key``: it is part of a PK/FK/unique key)."""
    kind = _dtype_kind(dtype) if dtype is not None else None
    if column is not None:
        sd = column.sdtype
        if sd == "boolean":
            return sa.Boolean()
        if sd == "numerical":
            if column.integer or kind == "int":
                return sa.BigInteger()
            return sa.Double()
        if sd == "datetime" and kind in (None, "datetime", "datetime_tz"):
            return sa.DateTime(timezone=bool(column.timezone) or kind == "datetime_tz")
        if sd == "id":
            if kind == "int" or (kind is None and column.generator == "sequence"):
                return sa.BigInteger()
            return sa.String(36 if column.generator == "uuid" else 255)
        if kind is None:
            return sa.String(255) if key else sa.Text()
    if kind == "bool":
        return sa.Boolean()
    if kind == "int":
        return sa.BigInteger()
    if kind == "float":
        return sa.Double()
    if kind in ("datetime", "datetime_tz"):
        return sa.DateTime(timezone=kind == "datetime_tz")
    return sa.String(255) if key else sa.Text()
