"""Holding out whole entities for privacy metrics (T-M7).

``split_holdout`` picks a fraction of the rows of a root table (by default the root whose
context tree reaches the most tables) and moves them to the holdout together with every row
that depends on them, following all foreign keys downwards (not self-references). No child of
a held-out parent stays in training, so a privacy metric can compare "seen" and "unseen"
entities fairly. Tables the chosen root does not reach stay entirely in training.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthohive.errors import DataError, MetadataError
from synthohive.metadata.schema import Metadata
from synthohive.synthesizer import graph
from synthohive.synthesizer.orphans import orphan_mask


def _reach(metadata: Metadata, root: str) -> int:
    seen = {root}
    stack = [root]
    while stack:
        t = stack.pop()
        for fk in metadata.children(t):
            if fk.child not in seen:
                seen.add(fk.child)
                stack.append(fk.child)
    return len(seen)


def split_holdout(
    data: dict[str, pd.DataFrame] | pd.DataFrame,
    metadata: Metadata,
    frac: float = 0.2,
    seed: int | None = None,
    *,
    root: str | None = None,
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Split ``data`` into ``(train, holdout)``, keeping whole parent subtrees together."""
    if not 0.0 < float(frac) < 1.0:
        raise DataError(f"frac must be between 0 and 1, got {frac!r}", fix="use e.g. frac=0.2")
    if isinstance(data, pd.DataFrame):
        name = next(iter(metadata.tables)) if len(metadata.tables) == 1 else "table"
        data = {name: data}
    roots = graph.roots(metadata)
    if root is None:
        root = max(roots, key=lambda t: (_reach(metadata, t), len(data[t])))
    elif root not in roots:
        raise MetadataError(
            f"holdout root must be a table without parents; roots are {roots}",
            table=root,
            fix="pass one of the root tables",
        )
    rng = np.random.default_rng(seed)
    base = data[root]
    n_hold = round(len(base) * float(frac))
    held = np.zeros(len(base), dtype=bool)
    held[rng.choice(len(base), size=n_hold, replace=False)] = True
    hold_mask: dict[str, np.ndarray] = {root: held}
    for name in graph.topological_order(metadata):
        if name == root:
            continue
        mask = np.zeros(len(data[name]), dtype=bool)
        for fk in metadata.parents(name):
            if fk.parent == name or fk.parent not in hold_mask:
                continue
            parent = data[fk.parent].loc[hold_mask[fk.parent]]
            if len(parent) == 0:
                continue
            child = data[name]
            refs = child[fk.child_columns].notna().all(axis=1).to_numpy()
            hit = ~orphan_mask(child, fk.child_columns, parent, fk.parent_columns).to_numpy()
            mask |= refs & hit
        hold_mask[name] = mask
    train: dict[str, pd.DataFrame] = {}
    holdout: dict[str, pd.DataFrame] = {}
    for name, frame in data.items():
        mask = hold_mask.get(name, np.zeros(len(frame), dtype=bool))
        train[name] = frame.loc[~mask].reset_index(drop=True)
        holdout[name] = frame.loc[mask].reset_index(drop=True)
    return train, holdout
