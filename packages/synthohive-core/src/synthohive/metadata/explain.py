"""Readable account of metadata: every table, column, key and relation with its reason."""

from __future__ import annotations

from synthohive.metadata.schema import Column, Metadata

__all__ = ["explain"]


def _column_summary(col: Column) -> str:
    bits: list[str] = [col.sdtype]
    if col.sdtype == "numerical" and col.min is not None:
        bits.append(f"{'int' if col.integer else 'float'} {col.min:g}..{col.max:g}")
        if col.rounding is not None and not col.integer:
            bits.append(f"rounding {col.rounding}")
    if col.sdtype == "datetime":
        if col.format:
            bits.append(f"format {col.format!r}")
        if col.timezone:
            bits.append(f"tz {col.timezone}")
    if col.sdtype == "id":
        bits.append(f"generator {col.generator}")
        if col.pattern:
            bits.append(f"pattern {col.pattern}")
    if col.sdtype == "pii":
        bits.append(f"kind {col.kind}, strategy {col.strategy}")
    if col.dtype:
        bits.append(f"dtype {col.dtype}")
    if col.nullable:
        bits.append("nullable")
    return ", ".join(bits)


def explain(meta: Metadata) -> str:
    """A readable account of every table, column, key and relation and why it was chosen."""
    lines: list[str] = []
    for tname, table in meta.tables.items():
        pk = ", ".join(table.primary_key) if table.primary_key else "none"
        lines.append(f"Table {tname!r} — primary key: {pk}")
        if table.reason:
            lines.append(f"  why: {table.reason}")
        for cname, col in table.columns.items():
            lines.append(f"  - {cname}: {_column_summary(col)}")
            if col.reason:
                lines.append(f"      why: {col.reason}")
    if meta.relations:
        lines.append("Relations:")
        for r in meta.relations:
            lines.append(
                f"  - {r.child}({', '.join(r.child_columns)}) -> "
                f"{r.parent}({', '.join(r.parent_columns)})"
            )
            if r.reason:
                lines.append(f"      why: {r.reason}")
    applied = {(r.child, tuple(r.child_columns)) for r in meta.relations}
    open_ = [
        r
        for r in meta.suggested_relations or []
        if (r.child, tuple(r.child_columns)) not in applied
    ]
    if open_:
        lines.append("Suggested relations (not applied; add with meta.add_foreign_key):")
        for r in open_:
            lines.append(
                f"  ? {r.child}({', '.join(r.child_columns)}) -> "
                f"{r.parent}({', '.join(r.parent_columns)})"
            )
            if r.reason:
                lines.append(f"      why: {r.reason}")
    declared = {(c.table, c.kind, repr(c.params)) for c in meta.constraints or []}
    suggested = [
        c
        for c in meta.suggested_constraints or []
        if (c.table, c.kind, repr(c.params)) not in declared
    ]
    if meta.constraints:
        lines.append("Constraints:")
        for c in meta.constraints:
            lines.append(f"  - {c.table}: {c.kind}({_params(c.params)})")
    if suggested:
        lines.append("Suggested constraints (not applied; add with meta.add_constraint):")
        for c in suggested:
            lines.append(f"  ? {c.table}: {c.kind}({_params(c.params)})")
            if c.reason:
                lines.append(f"      why: {c.reason}")
    if meta.sequences:
        lines.append("Sequences (rows generated in order per parent, each given the previous):")
        for q in meta.sequences:
            owners = [fk.parent for fk in meta.parents(q.table) if fk.parent != q.table]
            parent = q.parent or (owners[0] if owners else "parent")
            anchor = f", not before {parent}.{q.anchor}" if q.anchor else ""
            lines.append(f"  - {q.table}: ordered by {q.index} per {parent} row{anchor}")
    open_seq = [q for q in meta.suggested_sequences or [] if meta.sequence_of(q.table) is None]
    if open_seq:
        lines.append("Suggested sequences (not applied; add with meta.set_sequence):")
        for q in open_seq:
            lines.append(f"  ? {q.table}: set_sequence({q.table!r}, index={q.index!r})")
            if q.reason:
                lines.append(f"      why: {q.reason}")
    return "\n".join(lines)


def _params(params: dict[str, object]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items())
