"""The rows of a table copied as reference data, as they are kept in a model file.

A table whose strategy is ``copy`` keeps its rows (keys and modelled columns, never PII/text,
which are filled at sample time) in ``tables/<k>/copy.json``: per column the positions of its
nulls and its other values as strict JSON (:func:`copied_rows_to_json`). Reading them back
(:func:`copied_rows_from_json`) checks every column against the table's plan.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from synthohive.artifacts.checks import field_path, schema_error
from synthohive.errors import ArtifactIntegrityError
from synthohive.synthesizer.file_schema import CORRUPT_FIX, MAX_COPY_ROWS
from synthohive.synthesizer.plan import TablePlan
from synthohive.synthesizer.plan_doc import Name


def copied_rows_to_json(table: str, frame: pd.DataFrame) -> dict[str, Any]:
    """The rows of a copied table as strict JSON: per column its null positions and values."""
    from synthohive.models.codecs import values_to_json

    columns = {}
    for col in frame.columns:
        series = frame[col]
        null = series.isna().to_numpy()
        columns[str(col)] = {
            "nulls": [int(i) for i in null.nonzero()[0]],
            "values": values_to_json(series[~null].tolist(), table=table, column=str(col)),
        }
    return {"rows": len(frame), "columns": columns}


class CopyValuesDoc(BaseModel):
    """One copied column's non-null values (see ``models.codecs.values_to_json``)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    type: Literal["str", "bool", "int", "float", "datetime", "timedelta"]
    values: list[Any] = Field(max_length=MAX_COPY_ROWS)
    tz: Annotated[str, StringConstraints(max_length=64)] | None = None


class CopyColumnDoc(BaseModel):
    """One copied column: the row positions of its nulls and its other values in order."""

    model_config = ConfigDict(extra="forbid", strict=True)

    nulls: list[Annotated[int, Field(ge=0, lt=MAX_COPY_ROWS)]] = Field(max_length=MAX_COPY_ROWS)
    values: CopyValuesDoc


class CopyDoc(BaseModel):
    """Schema of ``tables/<k>/copy.json``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    rows: Annotated[int, Field(ge=0, le=MAX_COPY_ROWS)]
    columns: dict[Name, CopyColumnDoc] = Field(max_length=10_000)


_INT64 = (-(2**63), 2**63 - 1)
_VALUE_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "bool": (bool,),
    "int": (int,),
    "float": (float, int),
    "datetime": (int,),
    "timedelta": (int,),
}


def _copy_column_problem(doc: CopyColumnDoc, n: int) -> str | None:
    """Why one copied column cannot be rebuilt with ``n`` rows (None when it can)."""
    nulls, values = doc.nulls, doc.values
    if len(nulls) + len(values.values) != n:
        return f"holds {len(nulls)} nulls and {len(values.values)} values, not {n} rows"
    if any(b <= a for a, b in itertools.pairwise(nulls)) or (nulls and nulls[-1] >= n):
        return "null positions must be increasing row numbers below the row count"
    allowed = _VALUE_TYPES[values.type]
    for v in values.values:
        if not isinstance(v, allowed) or (isinstance(v, bool) and bool not in allowed):
            return f"holds a {type(v).__name__} among {values.type!r} values"
        wide = isinstance(v, int) and not _INT64[0] <= v <= _INT64[1]
        if wide and values.type != "float":
            return "holds an integer outside the 64-bit range"
    if values.tz is not None:
        if values.type != "datetime":
            return "only datetime values have a timezone"
        from synthohive.artifacts.checks import require_timezone

        try:
            require_timezone(values.tz, member="copy.json")
        except ArtifactIntegrityError:
            return f"timezone {values.tz!r} is not a known IANA timezone"
    return None


def copied_rows_from_json(plan: TablePlan, raw: Any) -> pd.DataFrame:
    """Inverse of :func:`copied_rows_to_json`, checked against the table's plan."""
    from synthohive.models.codecs import values_from_json

    member = f"copied rows of {plan.name!r}"
    try:
        doc = CopyDoc.model_validate(raw)
    except ValidationError as exc:
        err = schema_error(exc, member)
        raise ArtifactIntegrityError(err.bare_message, table=plan.name, fix=CORRUPT_FIX) from None
    expected = [c for c in plan.labels if c not in plan.filled]
    expected += list(plan.count_columns.values())
    expected += [c for cols in plan.sequence_columns.values() for c in cols]

    def bad(message: str, column: str | None = None) -> ArtifactIntegrityError:
        return ArtifactIntegrityError(
            f"{member} are malformed: {message}", table=plan.name, column=column, fix=CORRUPT_FIX
        )

    if sorted(doc.columns) != sorted(expected):
        raise bad(f"columns {sorted(doc.columns)[:5]} do not match the plan {sorted(expected)[:5]}")
    n = doc.rows
    if n != plan.n_rows:
        raise bad(f"{n} rows, the plan says {plan.n_rows}")
    out: dict[str, pd.Series] = {}
    for col in expected:
        column = doc.columns[col]
        problem = _copy_column_problem(column, n)
        if problem:
            raise bad(f"{field_path(['columns', col])} {problem}", column=col)
        values = values_from_json(
            column.values.model_dump(exclude_none=True) | {"tz": column.values.tz}
        )
        series = pd.Series([None] * n, dtype=object)
        present = pd.Series(True, index=range(n))
        present.iloc[column.nulls] = False
        series[present.to_numpy()] = pd.Series(values, dtype=object).to_numpy()
        out[col] = series
    frame = pd.DataFrame(out, columns=expected)
    return frame.infer_objects()
