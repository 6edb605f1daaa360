"""Parent context: the parent attributes a child's model is conditioned on.

By default a child sees its context parent's modelled columns (keys, PII and count columns
excluded), at most :data:`MAX_CONTEXT_COLUMNS` of them in table order;
``context_columns={"child": [...]}`` picks them explicitly (``[]`` turns context off).
At fit time each child row gets its real parent's values; rows whose context key is null get
the values of a random parent row, so the model still sees a complete context.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from synthohive.errors import MetadataError
from synthohive.metadata.schema import Column, Table
from synthohive.synthesizer.cardinality import align_keys, canon_keys

MAX_CONTEXT_COLUMNS = 10


def choose_context_columns(
    child: str,
    parent: str,
    parent_modelled: Sequence[str],
    overrides: Mapping[str, Sequence[str]] | None,
) -> list[str]:
    """The parent columns conditioning ``child`` (validated against the modelled columns)."""
    if overrides and child in overrides:
        wanted = [str(c) for c in overrides[child]]
        bad = [c for c in wanted if c not in parent_modelled]
        if bad:
            raise MetadataError(
                f"context_columns {bad} are not modelled columns of parent {parent!r}; "
                f"choose from {list(parent_modelled)}",
                table=child,
                fix="name modelled (non-key, non-PII) columns of the context parent",
            )
        return wanted
    return list(parent_modelled)[:MAX_CONTEXT_COLUMNS]


def context_table(child: str, parent_table: Table, columns: Sequence[str]) -> Table:
    """Metadata of the context frame handed to the child's model."""
    cols: dict[str, Column] = {c: parent_table.columns[c] for c in columns}
    return Table(name=f"{child}.context", columns=cols)


def gather_context(
    child_keys: pd.DataFrame,
    parent: pd.DataFrame,
    parent_columns: list[str],
    columns: list[str],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Row-aligned parent attributes for each child row (random parent where the key is null)."""
    left = align_keys(child_keys.reset_index(drop=True), parent, parent_columns)
    keys = canon_keys(parent[parent_columns].reset_index(drop=True))
    keys = keys.assign(__pos__=np.arange(len(keys))).drop_duplicates(subset=parent_columns)
    merged = left.merge(keys, on=parent_columns, how="left")
    pos = merged["__pos__"].to_numpy(dtype=float, na_value=np.nan).copy()
    missing = np.isnan(pos)
    if missing.any() and len(parent):
        pos[missing] = rng.integers(0, len(parent), size=int(missing.sum()))
    idx = pos.astype(np.int64)
    return parent[columns].iloc[idx].reset_index(drop=True)
