"""Checks of metadata against itself and against data; the schema's generation order.

``validate_metadata`` collects every problem and raises them together as one
``MetadataError`` (each line names the table, column and fix). ``check_metadata`` returns the
same problems without raising. ``validate_data`` checks frames against metadata; orphan
foreign-key values are reported (``DataReport.orphans``) and only raise with ``strict=True``.
``topological_order`` gives parents before children (self-references ignored).
"""

from __future__ import annotations

import graphlib
from dataclasses import dataclass, field

import pandas as pd

from synthohive.errors import MetadataError, end_sentence
from synthohive.log import get_logger
from synthohive.metadata.schema import ForeignKey, Metadata
from synthohive.values.dtypes import dtype_family

log = get_logger(__name__)

__all__ = [
    "DataReport",
    "Problem",
    "check_data",
    "check_metadata",
    "topological_order",
    "validate_data",
    "validate_metadata",
]


@dataclass(frozen=True)
class Problem:
    """One problem: where (table, column), what, and how to fix it."""

    message: str
    table: str | None = None
    column: str | None = None
    fix: str | None = None

    def __str__(self) -> str:
        where = []
        if self.table is not None:
            where.append(f"table {self.table!r}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = f"{', '.join(where)}: {self.message}" if where else self.message
        return f"{end_sentence(text)} Fix: {self.fix}" if self.fix else text


@dataclass
class DataReport:
    """Warning-level findings of ``validate_data``: orphan FK rows per relation."""

    orphans: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _raise(problems: list[Problem], what: str) -> None:
    if not problems:
        return
    if len(problems) == 1:
        p = problems[0]
        raise MetadataError(p.message, table=p.table, column=p.column, fix=p.fix)
    lines = "\n".join(f"  - {p}" for p in problems)
    raise MetadataError(f"{len(problems)} problems in {what}:\n{lines}")


def _rel(r: ForeignKey) -> str:
    return f"{r.child}({', '.join(r.child_columns)}) -> {r.parent}({', '.join(r.parent_columns)})"


# --- metadata ------------------------------------------------------------------------------
def _check_tables(meta: Metadata, out: list[Problem]) -> None:
    for key, table in meta.tables.items():
        if table.name != key:
            out.append(
                Problem(
                    f"table is stored under key {key!r} but named {table.name!r}",
                    table=key,
                    fix="use the same name for the key and Table.name",
                )
            )
        pk = table.primary_key or []
        if len(set(pk)) != len(pk):
            out.append(
                Problem(
                    f"primary key {pk} repeats a column", table=key, fix="list each column once"
                )
            )
        for c in pk:
            if c not in table.columns:
                out.append(
                    Problem(
                        "primary key column does not exist; known columns: "
                        f"{sorted(table.columns)}",
                        table=key,
                        column=c,
                        fix="set_primary_key with an existing column",
                    )
                )


def _check_relation(meta: Metadata, r: ForeignKey, out: list[Problem]) -> bool:
    """Structural checks of one relation; False when it cannot be checked further."""
    ok = True
    for t in (r.child, r.parent):
        if t not in meta.tables:
            out.append(
                Problem(
                    f"relation {_rel(r)} names a table that does not exist; "
                    f"known tables: {sorted(meta.tables)}",
                    table=t,
                    fix="add the table or remove the relation",
                )
            )
            ok = False
    if not ok:
        return False
    if len(r.child_columns) != len(r.parent_columns) or not r.child_columns:
        out.append(
            Problem(
                f"relation {_rel(r)} has {len(r.child_columns)} child and "
                f"{len(r.parent_columns)} parent columns",
                table=r.child,
                fix="give one child column per parent key column",
            )
        )
        return False
    for t, cols in ((r.child, r.child_columns), (r.parent, r.parent_columns)):
        for c in cols:
            if c not in meta.tables[t].columns:
                out.append(
                    Problem(
                        f"relation {_rel(r)} names a column that does not exist",
                        table=t,
                        column=c,
                        fix="fix the column name or remove the relation",
                    )
                )
                ok = False
    if not ok:
        return False
    parent = meta.tables[r.parent]
    if not parent.primary_key or list(r.parent_columns) != list(parent.primary_key):
        pk = parent.primary_key or "none"
        out.append(
            Problem(
                f"relation {_rel(r)} references {r.parent_columns}, which is not the parent's "
                f"primary key ({pk})",
                table=r.parent,
                column=r.parent_columns[0],
                fix=f"set_primary_key({r.parent!r}, {r.parent_columns!r}) or reference the key",
            )
        )
        ok = False
    for cc, pc in zip(r.child_columns, r.parent_columns):
        ccol, pcol = meta.tables[r.child].columns[cc], parent.columns[pc]
        fc, fp = dtype_family(ccol.dtype), dtype_family(pcol.dtype)
        if ccol.dtype and pcol.dtype and fc != fp and {fc, fp} != {"int", "float"}:
            out.append(
                Problem(
                    f"foreign key type {ccol.dtype} does not match {r.parent}.{pc} type "
                    f"{pcol.dtype}",
                    table=r.child,
                    column=cc,
                    fix=f"cast {r.child}.{cc} to {pcol.dtype} or fix the relation",
                )
            )
            ok = False
    if r.child == r.parent and list(r.child_columns) == list(parent.primary_key or []):
        out.append(
            Problem(
                f"self-reference {_rel(r)} uses the primary key itself: every row would be its "
                "own parent",
                table=r.child,
                column=r.child_columns[0],
                fix="reference the key from a separate column such as parent_id",
            )
        )
        ok = False
    return ok


def _sccs(nodes: list[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one table (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(edges.get(nxt, ())))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def _check_cycles(meta: Metadata, rels: list[ForeignKey], out: list[Problem]) -> None:
    edges: dict[str, set[str]] = {}
    for r in rels:
        if r.child != r.parent:
            edges.setdefault(r.child, set()).add(r.parent)
    for comp in _sccs(sorted(meta.tables), edges):
        inside = [r for r in rels if r.child in comp and r.parent in comp and r.child != r.parent]
        nullable = [
            r
            for r in inside
            if all(meta.tables[r.child].columns[c].nullable for c in r.child_columns)
        ]
        pick = (nullable or inside)[0]
        hint = "it is nullable, so " if nullable else ""
        out.append(
            Problem(
                f"relations form a cycle between tables {comp}: "
                + "; ".join(_rel(r) for r in inside),
                table=comp[0],
                fix=f"break the cycle by removing one relation, e.g. {hint}"
                f"metadata.remove_foreign_key({pick.child!r}, {pick.child_columns!r}) "
                "and restore it after generation",
            )
        )


def check_metadata(meta: Metadata) -> list[Problem]:
    """Every problem in ``meta`` (empty list when valid)."""
    out: list[Problem] = []
    _check_tables(meta, out)
    seen: dict[tuple[str, tuple[str, ...], str, tuple[str, ...]], int] = {}
    usable: list[ForeignKey] = []
    distinct: list[ForeignKey] = []
    for r in meta.relations:
        key = (r.child, tuple(r.child_columns), r.parent, tuple(r.parent_columns))
        if key in seen:
            out.append(
                Problem(
                    f"duplicate relation {_rel(r)}",
                    table=r.child,
                    column=r.child_columns[0] if r.child_columns else None,
                    fix="remove the second copy",
                )
            )
            continue
        seen[key] = 1
        distinct.append(r)
        if _check_relation(meta, r, out):
            usable.append(r)
    owner: dict[tuple[str, str], ForeignKey] = {}
    for r in distinct:
        for c in r.child_columns:
            first = owner.get((r.child, c))
            if first is not None:
                out.append(
                    Problem(
                        f"column is used by two relations ({_rel(first)} and {_rel(r)}); "
                        "a column can reference one parent",
                        table=r.child,
                        column=c,
                        fix="remove one of the relations",
                    )
                )
            else:
                owner[(r.child, c)] = r
    _check_cycles(meta, usable, out)
    return out


def validate_metadata(meta: Metadata) -> None:
    """Raise one ``MetadataError`` listing every problem in ``meta``; return if valid.

    Supported: self-references, composite keys and FKs, one-to-one (PK that is also FK).
    """
    _raise(check_metadata(meta), "metadata")


def topological_order(meta: Metadata) -> list[str]:
    """Tables with parents before children (self-references ignored), deterministic."""
    ts: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for name in sorted(meta.tables):
        ts.add(name)
    for r in sorted(meta.relations, key=lambda r: (r.child, r.parent, r.child_columns)):
        if r.child != r.parent:
            ts.add(r.child, r.parent)
    try:
        ts.prepare()
    except graphlib.CycleError as exc:
        cycle = list(dict.fromkeys(exc.args[1])) if len(exc.args) > 1 else []
        raise MetadataError(
            f"relations form a cycle between tables {cycle}",
            fix="remove one relation in the cycle with metadata.remove_foreign_key(...)",
        ) from None
    order: list[str] = []
    while ts.is_active():
        ready = sorted(ts.get_ready())
        order.extend(ready)
        ts.done(*ready)
    return order


# --- data ----------------------------------------------------------------------------------
def _as_dict(
    meta: Metadata, data: pd.DataFrame | dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    if isinstance(data, pd.DataFrame):
        return {meta.single_table.name: data}
    if isinstance(data, dict):
        return {str(k): v for k, v in data.items()}
    raise MetadataError(f"expected a DataFrame or a dict of DataFrames, got {type(data).__name__}")


def _orphans(meta: Metadata, frames: dict[str, pd.DataFrame], r: ForeignKey) -> int:
    child = _by_str(frames[r.child])
    parent = _by_str(frames[r.parent])
    if not all(c in child.columns for c in r.child_columns) or not all(
        c in parent.columns for c in r.parent_columns
    ):
        return 0
    fk = child[r.child_columns].dropna()
    if len(fk) == 0:
        return 0
    keys = parent[r.parent_columns].dropna().drop_duplicates()
    lidx = _key_index(fk)
    ridx = _key_index(keys)
    return int((~lidx.isin(ridx)).sum())


def _norm_key(s: pd.Series) -> pd.Series:
    """Comparable key values: numbers as float64 (1 == 1.0), everything else as text."""
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("float64")
    return s.astype(str)


def _key_index(df: pd.DataFrame) -> pd.Index:
    cols = [_norm_key(df[c]) for c in df.columns]
    if len(cols) == 1:
        return pd.Index(cols[0])
    return pd.MultiIndex.from_arrays(cols)


def _by_str(df: pd.DataFrame) -> pd.DataFrame:
    if all(isinstance(c, str) for c in df.columns):
        return df
    out = df.copy(deep=False)
    out.columns = [str(c) for c in df.columns]
    return out


def check_data(
    meta: Metadata, data: pd.DataFrame | dict[str, pd.DataFrame]
) -> tuple[list[Problem], DataReport]:
    """Problems of ``data`` against ``meta`` and the orphan report (does not raise)."""
    frames = _as_dict(meta, data)
    out: list[Problem] = []
    report = DataReport()
    for name in sorted(set(meta.tables) - set(frames)):
        out.append(
            Problem(
                "table is described by the metadata but missing from the data",
                table=name,
                fix="pass the table or remove it from the metadata",
            )
        )
    for name in sorted(set(frames) - set(meta.tables)):
        out.append(
            Problem(
                "table is in the data but not in the metadata",
                table=name,
                fix="detect the metadata again or drop the table",
            )
        )
    for name in sorted(set(frames) & set(meta.tables)):
        df, table = frames[name], meta.tables[name]
        labels = [str(c) for c in df.columns]
        dup = sorted({c for c in labels if labels.count(c) > 1})
        if dup:
            out.append(
                Problem(
                    f"duplicate column labels {dup}",
                    table=name,
                    fix="rename the columns so each label is unique",
                )
            )
            continue
        for c in [c for c in table.columns if c not in labels]:
            out.append(
                Problem(
                    "column is in the metadata but missing from the data",
                    table=name,
                    column=c,
                    fix="add the column or remove it from the metadata",
                )
            )
        for c in [c for c in labels if c not in table.columns]:
            out.append(
                Problem(
                    "column is in the data but not in the metadata",
                    table=name,
                    column=c,
                    fix="drop the column or detect the metadata again",
                )
            )
        pk = [c for c in table.primary_key or [] if c in labels]
        if pk and len(pk) == len(table.primary_key or []):
            sdf = _by_str(df)
            nulls = int(sdf[pk].isna().any(axis=1).sum())
            if nulls:
                out.append(
                    Problem(
                        f"primary key has {nulls} null value(s)",
                        table=name,
                        column=pk[0],
                        fix="fill or drop those rows",
                    )
                )
            dups = int(sdf.duplicated(subset=pk).sum())
            if dups:
                out.append(
                    Problem(
                        f"primary key {pk} is not unique ({dups} duplicate row(s))",
                        table=name,
                        column=pk[0],
                        fix="deduplicate the rows or choose another key with set_primary_key",
                    )
                )
    for r in meta.relations:
        if r.child in frames and r.parent in frames:
            n = _orphans(meta, frames, r)
            if n:
                report.orphans[_rel(r)] = n
                report.warnings.append(
                    f"{n} row(s) of {r.child} reference missing {r.parent} keys via "
                    f"{r.child_columns}"
                )
    return out, report


def validate_data(
    meta: Metadata, data: pd.DataFrame | dict[str, pd.DataFrame], *, strict: bool = False
) -> DataReport:
    """Check ``data`` against ``meta``: tables and columns present, primary keys unique and
    non-null (``MetadataError`` listing every problem). Orphan FK values are counted per
    relation in the returned report and logged; with ``strict=True`` they raise too."""
    problems, report = check_data(meta, data)
    for rel, n in report.orphans.items():
        log.warning("orphan_foreign_keys", relation=rel, rows=n)
        if strict:
            child = rel.split("(", 1)[0]
            problems.append(
                Problem(
                    f"{n} orphan row(s) in relation {rel}",
                    table=child,
                    fix="drop the orphan rows, set them to null, or call without strict=True",
                )
            )
    _raise(problems, "the data")
    return report
