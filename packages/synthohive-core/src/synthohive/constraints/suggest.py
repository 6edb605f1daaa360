"""Constraints detection *suggests* (never applies): ``Metadata.detect`` stores them in
``metadata.suggested_constraints`` and ``metadata.explain()`` lists them with their evidence;
``metadata.add_constraint(...)`` applies one.

* ``inequality``: two date columns (or two number columns named as a pair: start/end, min/max,
  from/to, low/high, begin/end, first/last) where one is >= the other on every row holding
  both, on at least :data:`MIN_ROWS` such rows and not always equal.
* ``fixed_combinations``: two categorical columns where each value of the first (repeated,
  more distinct values) goes with exactly one value of the second, such as city -> country.

Dependent pairs that share a column are merged into one combination (a column can take part
in one constraint only). At most :data:`MAX_PER_TABLE` suggestions per table, in an order
that does not depend on the order of the columns. A column whose values cannot be compared
(mixed types, dates out of range) is left out: suggesting never makes detection fail.
"""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from synthohive.errors import ConstraintError

if TYPE_CHECKING:
    from synthohive.metadata.schema import ConstraintSpec, Metadata, Table

MIN_ROWS = 20
MAX_PER_TABLE = 5
_PAIRS = [
    ("start", "end"),
    ("min", "max"),
    ("from", "to"),
    ("low", "high"),
    ("begin", "end"),
    ("first", "last"),
]


_SKIP = (TypeError, ValueError, OverflowError, pd.errors.OutOfBoundsDatetime)


def _as_number(series: pd.Series, sdtype: str, fmt: str | None) -> np.ndarray | None:
    try:
        return _convert(series, sdtype, fmt)
    except (*_SKIP, ConstraintError):
        return None


def _convert(series: pd.Series, sdtype: str, fmt: str | None) -> np.ndarray | None:
    from synthohive.constraints.columns import _numeric

    if sdtype == "datetime":
        if not pd.api.types.is_datetime64_any_dtype(series.dtype) and not all(
            isinstance(v, str) for v in series.dropna()
        ):
            return None
        return _numeric(series, "", fmt)[0]
    if sdtype == "numerical" and pd.api.types.is_numeric_dtype(series.dtype):
        if pd.api.types.is_bool_dtype(series.dtype):
            return None
        return series.to_numpy(dtype="float64", na_value=np.nan)
    return None


def _named_pair(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` read as the two ends of one range (``start_x``/``end_x``)."""
    for lo, hi in _PAIRS:
        for x, y in ((a, b), (b, a)):
            left = re.sub(rf"(^|_){lo}($|_)", r"\1#\2", x.lower())
            right = re.sub(rf"(^|_){hi}($|_)", r"\1#\2", y.lower())
            if "#" in left and left == right:
                return True
    return False


def _inequalities(table: Table, frame: pd.DataFrame) -> list[tuple[str, str, str]]:
    values: dict[str, np.ndarray] = {}
    for name, col in sorted(table.columns.items()):
        if name in (table.primary_key or []) or name not in frame.columns:
            continue
        arr = _as_number(frame[name], col.sdtype, col.format)
        if arr is not None:
            values[name] = arr
    out = []
    for a, b in itertools.combinations(values, 2):
        dates = table.columns[a].sdtype == table.columns[b].sdtype == "datetime"
        if not dates and not _named_pair(a, b):
            continue
        x, y = values[a], values[b]
        both = ~np.isnan(x) & ~np.isnan(y)
        if both.sum() < MIN_ROWS or (x[both] == y[both]).all():
            continue
        for low, high, lo_v, hi_v in ((a, b, x, y), (b, a, y, x)):
            if (hi_v[both] >= lo_v[both]).all():
                out.append((low, high, f"{high} >= {low} on all {int(both.sum())} rows with both"))
                break
    return out


def _combinations(table: Table, frame: pd.DataFrame) -> list[tuple[str, str, str]]:
    cats = sorted(
        n
        for n, c in table.columns.items()
        if c.sdtype == "categorical" and n in frame.columns and n not in (table.primary_key or [])
    )
    out = []
    for a, b in itertools.permutations(cats, 2):
        try:
            pair = frame[[a, b]].dropna().astype(str)
            n_a, n_b = pair[a].nunique(), pair[b].nunique()
            if len(pair) < MIN_ROWS or not (n_a > n_b >= 2) or len(pair) < 2 * n_a:
                continue
            if int(pair.groupby(a)[b].nunique().max()) == 1:
                out.append((a, b, f"each of the {n_a} {a} values goes with one {b} value"))
        except _SKIP:
            continue
    return out


def _groups(pairs: list[tuple[str, str, str]], frame: pd.DataFrame) -> list[tuple[list[str], str]]:
    """Dependent column pairs merged into groups (city -> state -> country becomes one
    combination of the three), since a column can take part in one constraint only; columns
    in each group by falling number of distinct values."""
    group_of: dict[str, set[str]] = {}
    for a, b, _ in pairs:
        merged = group_of.get(a, {a}) | group_of.get(b, {b})
        for col in merged:
            group_of[col] = merged
    out, seen = [], set()
    for cols in group_of.values():
        key = frozenset(cols)
        if key in seen:
            continue
        seen.add(key)
        ordered = sorted(cols, key=lambda c: (-frame[c].astype(str).nunique(), c))
        why = "; ".join(w for a, b, w in pairs if a in cols and b in cols)
        out.append((ordered, why))
    return sorted(out)


def suggest_constraints(meta: Metadata, frames: dict[str, pd.DataFrame]) -> list[ConstraintSpec]:
    """Constraints the data follows on every row (see the module), with their evidence."""
    from synthohive.metadata.schema import ConstraintSpec

    out: list[ConstraintSpec] = []
    for name, table in sorted(meta.tables.items()):
        frame = frames.get(name)
        if frame is None or len(frame) < MIN_ROWS:
            continue
        found: list[ConstraintSpec] = []
        for low, high, why in _inequalities(table, frame):
            params = {"low": low, "high": high}
            found.append(ConstraintSpec(table=name, kind="inequality", params=params, reason=why))
        for columns, why in _groups(_combinations(table, frame), frame):
            found.append(
                ConstraintSpec(
                    table=name, kind="fixed_combinations", params={"columns": columns}, reason=why
                )
            )
        out.extend(found[:MAX_PER_TABLE])
    return out
