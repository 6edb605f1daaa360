"""The schema graph: which table comes before which, and which parent drives each child.

Tables are ordered by the foreign-key graph (parents first) with the standard library's
``graphlib``; self-references (employee -> manager) are edges of a table to itself and do not
constrain the order. Other cycles are refused with a :class:`MetadataError` that names the
tables forming the cycle and how to break it.

Each child table has at most one *context* relation: the parent whose rows drive how many
children are made and whose attributes condition the child's model. The default is the
non-self parent with the most columns (first foreign key on ties, preferring non-nullable
keys); ``context_parent={"child": "parent"}`` overrides it.
"""

from __future__ import annotations

import graphlib
from collections.abc import Mapping, Sequence

from synthohive.errors import MetadataError
from synthohive.metadata.schema import ForeignKey, Metadata


def check_relations(metadata: Metadata) -> None:
    """Refuse dangling tables/columns, mismatched key widths and duplicate relations."""
    problems: list[str] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for fk in metadata.relations:
        for tname, cols in ((fk.child, fk.child_columns), (fk.parent, fk.parent_columns)):
            if tname not in metadata.tables:
                problems.append(f"relation {_fmt(fk)} names unknown table {tname!r}")
                continue
            missing = [c for c in cols if c not in metadata.tables[tname].columns]
            if missing:
                problems.append(f"relation {_fmt(fk)} names unknown columns {missing} of {tname!r}")
        if len(fk.child_columns) != len(fk.parent_columns) or not fk.child_columns:
            problems.append(f"relation {_fmt(fk)} has mismatched key widths")
        key = (fk.child, tuple(fk.child_columns))
        if key in seen:
            problems.append(f"columns {list(key[1])} of {fk.child!r} are a foreign key twice")
        seen.add(key)
    if problems:
        raise MetadataError(
            "invalid relations: " + "; ".join(problems),
            table=next(iter(metadata.relations)).child if metadata.relations else None,
            fix="correct the relations with Metadata.add_foreign_key/remove_foreign_key",
        )


def topological_order(metadata: Metadata, extra: Sequence[tuple[str, str]] = ()) -> list[str]:
    """Tables with every parent before its children (self-references ignored); ``extra``
    holds more ``(before, after)`` pairs (e.g. from cross-table constraints)."""
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for name in metadata.tables:
        sorter.add(name)
    for fk in metadata.relations:
        if fk.child != fk.parent:
            sorter.add(fk.child, fk.parent)
    for before, after in extra:
        sorter.add(after, before)
    try:
        return list(sorter.static_order())
    except graphlib.CycleError as exc:
        cycle = list(exc.args[1]) if len(exc.args) > 1 else []
        raise MetadataError(
            f"the foreign keys form a cycle through tables {' -> '.join(map(str, cycle))}",
            table=str(cycle[0]) if cycle else None,
            fix="remove one foreign key of the cycle from the metadata (keep it as a plain "
            "column) or turn it into a self-reference",
        ) from None


def context_relations(
    metadata: Metadata,
    overrides: Mapping[str, str] | None = None,
    null_share: Mapping[int, float] | None = None,
) -> dict[str, int]:
    """Map each child table to the index (in ``metadata.relations``) of its context relation.

    Default: the parent whose key is never null in the data (``null_share``, by relation
    index), then the one with the most columns, then the first relation.
    """
    shares = dict(null_share or {})
    overrides = dict(overrides or {})
    out: dict[str, int] = {}
    for child in metadata.tables:
        cands = [
            (i, fk)
            for i, fk in enumerate(metadata.relations)
            if fk.child == child and fk.parent != child
        ]
        if not cands:
            if child in overrides:
                raise MetadataError(
                    f"context_parent names {overrides[child]!r} but the table has no parent",
                    table=child,
                    fix="remove the entry from context_parent",
                )
            continue
        wanted = overrides.get(child)
        if wanted is not None:
            chosen = [i for i, fk in cands if fk.parent == wanted]
            if not chosen:
                raise MetadataError(
                    f"context_parent {wanted!r} is not a parent; parents: "
                    f"{sorted({fk.parent for _, fk in cands})}",
                    table=child,
                    fix="name one of the table's parents",
                )
            out[child] = chosen[0]
            continue
        out[child] = max(cands, key=lambda item: _score(metadata, item, shares))[0]
    return out


def _score(
    metadata: Metadata, item: tuple[int, ForeignKey], shares: Mapping[int, float]
) -> tuple[int, int, int, int]:
    """Prefer keys without nulls, then non-nullable keys, then wider parents, then first."""
    i, fk = item
    table = metadata.tables[fk.child]
    nullable = any(table.columns[c].nullable for c in fk.child_columns)
    complete = shares.get(i, 0.0) == 0.0
    return (int(complete), int(not nullable), len(metadata.tables[fk.parent].columns), -i)


def roots(metadata: Metadata) -> list[str]:
    """Tables without a (non-self) parent, in metadata order."""
    children = {fk.child for fk in metadata.relations if fk.child != fk.parent}
    return [t for t in metadata.tables if t not in children]


def _fmt(fk: ForeignKey) -> str:
    return f"{fk.child}{fk.child_columns} -> {fk.parent}{fk.parent_columns}"
