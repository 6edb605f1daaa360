"""Orphans: child rows whose foreign key points at no parent row.

Real data has them (deleted customers, partial extracts). They are found at fit time and counted
per relation; by default the rows are dropped from training (with a warning), or, with
``orphans="null"``, their foreign key is set to null so the rows are kept. Tables are cleaned
parents first, so a row dropped from a parent also orphans (and drops) its children.
"""

from __future__ import annotations

import pandas as pd

from synthohive.log import get_logger
from synthohive.metadata.schema import Metadata
from synthohive.synthesizer.cardinality import align_keys, canon_keys

log = get_logger(__name__)

_MAX_PASSES = 64


def orphan_mask(
    child: pd.DataFrame, child_columns: list[str], parent: pd.DataFrame, parent_columns: list[str]
) -> pd.Series:
    """True for child rows with a complete foreign key that matches no parent row."""
    keys = child[child_columns]
    complete = keys.notna().all(axis=1)
    left = align_keys(keys, parent, parent_columns).reset_index(drop=True)
    right = canon_keys(parent[parent_columns]).drop_duplicates().assign(__hit__=True)
    merged = left.merge(right, on=parent_columns, how="left")
    hit = merged["__hit__"].notna().to_numpy()  # no fillna: it warns about downcasting
    return pd.Series(complete.to_numpy() & ~hit, index=child.index)


def remove_orphans(
    metadata: Metadata,
    frames: dict[str, pd.DataFrame],
    order: list[str],
    policy: str,
) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """Frames without orphans, and orphan counts keyed ``"child[cols] -> parent"``."""
    out = dict(frames)
    counts: dict[str, int] = {}
    for name in order:
        for fk in metadata.relations:
            if fk.child != name:
                continue
            label = f"{fk.child}{fk.child_columns} -> {fk.parent}"
            counts[label] = 0
            for _ in range(_MAX_PASSES if fk.child == fk.parent else 1):
                n = _clean(out, fk.child, fk.child_columns, fk.parent, fk.parent_columns, policy)
                counts[label] += n
                if n == 0:
                    break
    return out, counts


def _clean(
    out: dict[str, pd.DataFrame],
    name: str,
    child_columns: list[str],
    parent: str,
    parent_columns: list[str],
    policy: str,
) -> int:
    frame = out[name]
    mask = orphan_mask(frame, child_columns, out[parent], parent_columns)
    n = int(mask.sum())
    if n:
        log.warning(
            "synthesizer.orphans",
            table=name,
            columns=child_columns,
            parent=parent,
            rows=n,
            action="dropped" if policy == "drop" else "set to null",
        )
        if policy == "drop":
            out[name] = frame.loc[~mask.to_numpy()].reset_index(drop=True)
        else:
            frame = frame.copy()
            for col in child_columns:
                if frame[col].dtype.kind in "biu":
                    kind = frame[col].dtype.kind
                    frame[col] = frame[col].astype("boolean" if kind == "b" else "Int64")
                frame.loc[mask.to_numpy(), col] = None
            out[name] = frame
    return n
