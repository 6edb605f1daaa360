"""The keys of a table's generated chunks.

Primary keys are generated from row numbers (:mod:`~synthohive.synthesizer.keys`); here a
chunk gets its foreign keys (the context parent's rows it was made for, the other parents
drawn so each keeps its children-per-parent distribution), grouped key numbers, rows of the
same chunk for self-references, and a unique primary key where foreign keys make it up.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from synthohive.log import get_logger
from synthohive.metadata.schema import Metadata
from synthohive.synthesizer.cardinality import (
    SlotAssigner,
    assign_self_reference,
    clean_counts,
    distinct_within_groups,
)
from synthohive.synthesizer.keys import drop_duplicate_keys
from synthohive.synthesizer.plan import TablePlan
from synthohive.synthesizer.spill import SpillStore

log = get_logger(__name__)

_REDRAWS = 24


class ChunkKeys:
    """Assigns the keys of one table's chunks, in generation order."""

    def __init__(
        self, meta: Metadata, plans: dict[str, TablePlan], name: str, spill: SpillStore
    ) -> None:
        self.meta = meta
        self.plan = plan = plans[name]
        self.name = name
        self.group_seen: dict[tuple[Any, ...], int] = {}
        # other parents: their keys and slot targets, read once (keys only: compact)
        self.assigners: dict[int, tuple[SlotAssigner, pd.DataFrame]] = {}
        for i, fk in enumerate(meta.relations):
            if fk.child != plan.name or fk.parent == plan.name or i == plan.context_relation:
                continue
            cnt = plans[fk.parent].count_columns[i]
            keys = spill.read_all(fk.parent, [*fk.parent_columns, cnt])
            self.assigners[i] = (SlotAssigner(clean_counts(keys[cnt])), keys[fk.parent_columns])

    def assign_foreign_keys(
        self,
        frame: pd.DataFrame,
        n: int,
        parent_chunk: pd.DataFrame | None,
        parent_pos: np.ndarray | None,
        rng: np.random.Generator,
    ) -> None:
        """Foreign keys of a chunk: the context parent's at ``parent_pos``, the other
        parents' drawn from their slots (nulls at the learned share)."""
        for i, fk in enumerate(self.meta.relations):
            if fk.child != self.name or fk.parent == self.name:
                continue
            if i == self.plan.context_relation and parent_chunk is not None:
                assert parent_pos is not None
                put_keys(frame, fk.child_columns, parent_chunk[fk.parent_columns], parent_pos)
                continue
            assigner, keys = self.assigners[i]
            share = self.plan.null_share.get(i, 0.0)
            has = rng.random(n) >= share if share > 0 else np.ones(n, dtype=bool)
            pos = np.full(n, -1, dtype=np.int64)
            pos[has] = assigner.draw(int(has.sum()), rng)
            if parent_pos is not None and self._bridges(fk):
                pos[has] = distinct_within_groups(parent_pos[has], pos[has], rng)
            put_keys(frame, fk.child_columns, keys, pos)

    def _bridges(self, fk: Any) -> bool:
        """Whether the primary key is (context parent key, ``fk``): pairs must be distinct."""
        rel = self.plan.context_relation
        pk = set(self.plan.primary_key)
        if rel is None or not pk:
            return False
        ctx = self.meta.relations[rel]
        return pk == set(ctx.child_columns) | set(fk.child_columns)

    def number_grouped_keys(self, frame: pd.DataFrame) -> None:
        """Number grouped key columns (``line_no``) within their group, across chunks."""
        plan = self.plan
        if not plan.grouped_keys:
            return
        group = [c for c in plan.primary_key if c not in plan.grouped_keys]
        # numbers continue across chunks: one parent's children may span two chunks
        if group:
            keys = pd.MultiIndex.from_frame(frame[group].astype(object))
            within = frame.groupby(group, sort=False, dropna=False).cumcount().to_numpy()
            before = np.array([self.group_seen.get(k, 0) for k in keys], dtype=np.int64)
            sizes = pd.Series(1, index=keys).groupby(level=list(range(len(group)))).size()
            for k, size in sizes.items():
                key = k if isinstance(k, tuple) else (k,)
                self.group_seen[key] = self.group_seen.get(key, 0) + int(size)
            num = before + within
        else:
            num = self.group_seen.get((), 0) + np.arange(len(frame), dtype=np.int64)
            self.group_seen[()] = int(num[-1]) + 1 if len(num) else self.group_seen.get((), 0)
        for col in plan.grouped_keys:
            frame[col] = num.astype(np.int64) + plan.key_specs[col].start

    def assign_self_references(
        self, frame: pd.DataFrame, counts: dict[int, np.ndarray], rng: np.random.Generator
    ) -> None:
        """Self-references point at rows of the same chunk (``counts``: children per row)."""
        n = len(frame)
        for i, fk in enumerate(self.meta.relations):
            if fk.child != self.name or fk.parent != self.name:
                continue
            share = self.plan.null_share.get(i, 0.0)
            # exactly the learned share of roots (stochastically rounded), not a coin per row:
            # small tables (an 8-row employee list) would otherwise lose or gain a root
            n_null = int(np.floor(share * n + rng.random()))
            has = np.ones(n, dtype=bool)
            has[rng.choice(n, size=min(n_null, n), replace=False)] = False
            targets = counts.get(i, np.zeros(n, dtype=np.int64))
            pos = assign_self_reference(targets, has, rng)
            put_keys(frame, fk.child_columns, frame[fk.parent_columns].copy(), pos)

    def dedupe_primary_key(
        self, frame: pd.DataFrame, rng: np.random.Generator
    ) -> np.ndarray | None:
        """Rows to keep so the primary key is unique (``None``: all), after moving the keys
        of duplicates to other parents where a foreign key is part of it."""
        pk = self.plan.primary_key
        if not pk:
            return None
        if any(c in self.plan.key_specs and c not in self.plan.grouped_keys for c in pk):
            return None  # a generated sequence/UUID/pattern column is unique by construction
        null = frame[pk].isna().any(axis=1).to_numpy()  # e.g. a key part whose parent has no rows
        dup = drop_duplicate_keys(frame, pk) | null
        if not dup.any():
            return None
        movable = [
            (i, fk)
            for i, fk in enumerate(self.meta.relations)
            if i in self.assigners and set(fk.child_columns) & set(pk) and len(self.assigners[i][1])
        ]
        for _ in range(_REDRAWS if movable else 0):
            _, fk = movable[0]
            idx = np.flatnonzero(dup & ~null)
            free = np.flatnonzero(~dup & ~null)
            if len(idx) and len(free):
                # swap the movable key of each duplicate with a distinct clean row: both
                # parents keep their number of children (degree-preserving rewiring), which
                # keeps a bridge table's counts on both sides as learned
                k = min(len(idx), len(free))
                a = rng.permutation(idx)[:k]
                b = rng.choice(free, size=k, replace=False)
                cols = frame.columns.get_indexer(pd.Index(fk.child_columns))
                va = frame.iloc[a, cols].to_numpy()
                frame.iloc[a, cols] = frame.iloc[b, cols].to_numpy()
                frame.iloc[b, cols] = va
            for i, fk in movable:  # rows with a null key part get a parent drawn anew
                nulls = np.flatnonzero(null)
                if not len(nulls):
                    break
                assigner, keys = self.assigners[i]
                pos = rng.choice(len(keys), size=len(nulls), p=assigner.weights)
                sub = keys.iloc[pos].reset_index(drop=True)
                for ccol, pcol in zip(fk.child_columns, fk.parent_columns, strict=True):
                    frame.loc[nulls, ccol] = sub[pcol].to_numpy()
            null = frame[pk].isna().any(axis=1).to_numpy()
            dup = drop_duplicate_keys(frame, pk) | null
            if not dup.any():
                return None
        log.info("sample.duplicate_keys_dropped", table=self.name, rows=int(dup.sum()))
        return ~dup


def put_keys(
    frame: pd.DataFrame, child_cols: list[str], parent_keys: pd.DataFrame, pos: np.ndarray
) -> None:
    """Set ``child_cols`` to the parent key values at ``pos`` (null where ``pos < 0``)."""
    null = pos < 0
    safe = np.where(null, 0, pos)
    for ccol, pcol in zip(child_cols, parent_keys.columns, strict=True):
        src = parent_keys[pcol]
        if len(src) == 0:
            frame[ccol] = pd.Series([pd.NA] * len(pos), dtype=object)
            continue
        vals = src.iloc[safe].reset_index(drop=True)
        if null.any():
            vals = vals.astype(object) if vals.dtype.kind in "biu" else vals
            vals = vals.where(~pd.Series(null), other=None)
        frame[ccol] = vals.to_numpy()
