"""Metadata detection: sdtypes, primary keys, foreign keys and PII, each with a reason.

Detection looks at a bounded sample of rows chosen by row hash (so the sample, like every
decision, does not depend on row order), and at distinct values in sorted order. Key checks
(uniqueness, nulls, containment) use the full columns. Only ``SynthoHiveError`` subclasses
escape: anything unexpected inside a column's analysis is logged and the column falls back
to ``categorical`` with the reason recorded.

The parts: :mod:`~synthohive.metadata.analysis` (the sample, database dtypes read as file
dtypes), :mod:`~synthohive.metadata.columns` (one column), :mod:`~synthohive.metadata.pii`
(PII, also across tables), :mod:`~synthohive.metadata.relations` (foreign keys); this module
chooses primary keys and runs the rest for a table or a schema.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from synthohive.errors import EmptyTableError, InvalidDataError, MetadataError, SynthoHiveError
from synthohive.log import get_logger
from synthohive.metadata.analysis import analysis_frame, analysis_series, sample_rows
from synthohive.metadata.columns import detect_column
from synthohive.metadata.pii import shared_pii
from synthohive.metadata.schema import Column, Metadata, Table
from synthohive.values.names import is_key_name, singular

log = get_logger(__name__)

__all__ = [
    "analysis_frame",
    "analysis_series",
    "detect_metadata",
    "detect_table",
    "explain_metadata",
    "is_key_name",
]


def explain_metadata(meta: Metadata) -> str:
    """A readable account of every table, column, key and relation and why it was chosen."""
    from synthohive.metadata.explain import explain

    return explain(meta)


# --- a table -------------------------------------------------------------------------------
def _primary_key(df: pd.DataFrame, table: Table, labels: dict[str, Any]) -> None:
    """Choose a primary key: a unique non-null key column, else a unique pair of id columns."""
    single = singular(table.name)
    candidates: list[tuple[int, str]] = []
    for name, col in table.columns.items():
        if col.sdtype not in {"id", "pii", "numerical", "categorical"}:
            continue
        if col.sdtype == "numerical" and not col.integer:
            continue
        low = name.lower()
        if low in {"id", f"{single}_id", f"{table.name.lower()}_id", f"{single}id"}:
            score = 0
        elif col.sdtype == "id" and is_key_name(name):
            score = 1
        elif col.sdtype == "pii" and col.kind in {"email", "ssn"}:
            score = 2
        elif col.sdtype == "id":
            score = 3
        else:
            continue
        s = df[labels[name]]
        if s.isna().any() or not s.is_unique:
            continue
        candidates.append((score, name))
    if candidates:
        score, best = min(candidates, key=lambda t: (t[0], list(table.columns).index(t[1])))
        table.primary_key = [best]
        table.reason = f"primary key {best!r}: unique, non-null" + (
            ", named like the table's key" if score == 0 else ""
        )
        return
    if not composite_key(df, table):
        table.reason = "no primary key: no unique, non-null key-like column"


def composite_key(df: pd.DataFrame, table: Table, fk_columns: frozenset[str] = frozenset()) -> bool:
    """Set a two-column primary key from key columns whose pairs are unique and non-null."""
    ids = [
        n
        for n, c in table.columns.items()
        if c.sdtype in {"id", "pii"}
        and (is_key_name(n) or n in fk_columns)
        and not df[n].isna().any()
    ]
    for i, a in enumerate(ids[:8]):
        for b in ids[i + 1 : 8]:
            if not df.duplicated(subset=[a, b]).any():
                table.primary_key = [a, b]
                table.reason = f"composite primary key ({a!r}, {b!r}): the pair is unique"
                return True
    return False


def detect_table(df: pd.DataFrame, *, name: str = "table") -> Table:
    """Infer one table's columns (sdtype, dtype, nullability, bounds...) and primary key."""
    try:
        return _detect_table(df, name)
    except SynthoHiveError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, ArithmeticError, AttributeError) as exc:
        raise InvalidDataError(
            f"metadata detection failed: {type(exc).__name__}: {exc}",
            table=name,
            fix="check the column's values, or describe the table with Metadata(...)",
        ) from exc


def _detect_table(df: pd.DataFrame, name: str) -> Table:
    if not isinstance(df, pd.DataFrame):
        raise InvalidDataError(f"expected a pandas DataFrame, got {type(df).__name__}", table=name)
    if df.shape[1] == 0:
        raise EmptyTableError("table has no columns", table=name, fix="pass a non-empty frame")
    labels: dict[str, Any] = {}
    for label in df.columns:
        key = str(label)
        if key in labels:
            raise InvalidDataError(
                f"duplicate column label {key!r}",
                table=name,
                column=key,
                fix="rename the columns so each label is unique",
            )
        labels[key] = label
    frame, notes = analysis_frame(df)
    sample = sample_rows(frame)
    table = Table(name=name)
    for i, key in enumerate(labels):
        col = sample.iloc[:, i]
        full = frame.iloc[:, i]
        original = str(df.dtypes.iloc[i])
        try:
            column = detect_column(col, key, name)
        except SynthoHiveError:
            raise
        except (ValueError, TypeError, KeyError, IndexError, ArithmeticError) as exc:
            log.warning("detect_column_failed", table=name, column=key, error=str(exc))
            column = Column(
                sdtype="categorical",
                dtype=original,
                reason=f"analysis failed ({type(exc).__name__}); treated as categories",
            )
        if column.nullable is False and full.isna().any():
            column = column.model_copy(update={"nullable": True})
        if i in notes:  # analysed in converted form; restored with the caller's dtype
            why = f"{column.reason} ({notes[i]})" if column.reason else notes[i]
            column = column.model_copy(update={"dtype": original, "reason": why})
        table.columns[key] = column
    _primary_key(_full_by_key(frame, labels), table, {k: k for k in labels})
    return table


def _full_by_key(df: pd.DataFrame, labels: dict[str, Any]) -> pd.DataFrame:
    out = df.copy(deep=False)
    out.columns = list(labels)
    return out


# --- a schema ------------------------------------------------------------------------------
def detect_metadata(
    data: pd.DataFrame | dict[str, pd.DataFrame], *, table_name: str = "table"
) -> Metadata:
    """Detect metadata for one frame or a dict of frames (then foreign keys as well)."""
    from synthohive.constraints.suggest import suggest_constraints

    if isinstance(data, pd.DataFrame):
        table = detect_table(data, name=table_name)
        single = Metadata(tables={table_name: table})
        single.suggested_constraints = suggest_constraints(single, {table_name: data}) or None
        return single
    if not isinstance(data, dict) or not data:
        raise MetadataError(
            f"expected a DataFrame or a non-empty dict of DataFrames, got {type(data).__name__}",
            fix="pass df or {'table': df, ...}",
        )
    tables: dict[str, Table] = {}
    for tname in sorted(data, key=str):
        tables[str(tname)] = detect_table(data[tname], name=str(tname))
    meta = Metadata(tables=tables)
    from synthohive.metadata.relations import detect_relations

    frames = {
        str(k): _full_by_key(analysis_frame(v)[0], {str(c): c for c in v.columns})
        for k, v in data.items()
    }
    shared_pii(meta, frames)
    detect_relations(meta, frames)
    for tname, table in meta.tables.items():
        fks = frozenset(c for r in meta.parents(tname) for c in r.child_columns)
        if not table.primary_key and composite_key(frames[tname], table, fks):
            table.reason = (table.reason or "") + " (columns found to be foreign keys)"
    raw = {str(k): v.set_axis([str(c) for c in v.columns], axis=1) for k, v in data.items()}
    meta.suggested_constraints = suggest_constraints(meta, raw) or None
    from synthohive.synthesizer.sequences import suggest_sequences

    meta.suggested_sequences = suggest_sequences(meta, raw) or None
    return meta
