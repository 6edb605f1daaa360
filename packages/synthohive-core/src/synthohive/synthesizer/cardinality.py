"""Children per parent: learned jointly with the parent's attributes, honoured at sample time.

For every relation ``child -> parent`` the parent's model data gets one extra integer column,
``__n_<k>`` (``k`` = the relation's index), holding how many child rows reference each parent
row. The parent's model learns it together with the parent's attributes, so "big customers have
many orders" survives, and zero-child parents are kept.

At sample time the context relation expands each parent row into its sampled number of child
rows. Every other relation assigns its foreign key with :class:`SlotAssigner`: each parent row
offers as many *slots* as its sampled count, and child rows draw slots without replacement
(multivariate hypergeometric per chunk), so each parent's children-per-parent distribution is
preserved rather than flattened by uniform random choice.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

COUNT_PREFIX = "__n_"


def count_column(relation_index: int) -> str:
    """Name of the count column a parent carries for relation ``relation_index``."""
    return f"{COUNT_PREFIX}{relation_index}"


def children_per_parent(
    parent: pd.DataFrame,
    parent_columns: list[str],
    child: pd.DataFrame,
    child_columns: list[str],
) -> np.ndarray:
    """For each parent row, how many child rows reference it (nulls reference nothing)."""
    if len(parent) == 0:
        return np.zeros(0, dtype=np.int64)
    keys = align_keys(child[child_columns].dropna(), parent, parent_columns)
    if len(keys) == 0:
        return np.zeros(len(parent), dtype=np.int64)
    cnt = keys.groupby(parent_columns, sort=False).size().rename("__cnt__").reset_index()
    left = canon_keys(parent[parent_columns].reset_index(drop=True))
    merged = left.merge(cnt, on=parent_columns, how="left")
    return merged["__cnt__"].fillna(0).to_numpy(dtype=np.int64)


def align_keys(keys: pd.DataFrame, parent: pd.DataFrame, parent_columns: list[str]) -> pd.DataFrame:
    """Child key columns renamed to the parent's names, in the canonical join form."""
    out = keys.copy()
    out.columns = list(parent_columns)
    return canon_keys(out)


def canon_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Key columns in a form that joins across tables: numbers as ``Int64`` (``Float64`` when
    fractional), everything else as strings; nulls stay null."""
    out: dict[str, Any] = {}
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_bool_dtype(s.dtype) or not pd.api.types.is_numeric_dtype(s.dtype):
            out[col] = s.astype("string")
            continue
        num = s.astype("Float64")
        whole = bool(((num % 1) == 0).fillna(True).all())
        out[col] = num.astype("Int64") if whole else num
    return pd.DataFrame(out, index=frame.index)


def clean_counts(values: pd.Series | np.ndarray, cap: int | None = None) -> np.ndarray:
    """Sampled count values as non-negative integers (nulls count as zero)."""
    arr = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float, na_value=0.0)
    arr = np.nan_to_num(arr, nan=0.0, posinf=0.0, neginf=0.0)
    out = np.clip(np.rint(arr), 0, None).astype(np.int64)
    if cap is not None:
        out = np.minimum(out, cap)
    return out


def calibrate(
    counts: np.ndarray,
    mean: float,
    carry: float,
    rng: np.random.Generator,
    maximum: int | None = None,
) -> tuple[np.ndarray, float]:
    """Adjust sampled counts so their total is ``mean`` per row (plus the running ``carry``).

    Sampling every parent's count independently makes the child table's size drift (by
    several percent for small tables); this removes the drift while keeping the shape: missing
    children go to parents in proportion to ``count + 1``, surplus ones are removed in
    proportion to ``count`` (a hypergeometric thinning); no count goes above ``maximum`` (the
    largest count seen in the real data). Returns the counts and the new carry.
    """
    n = len(counts)
    if n == 0:
        return counts, carry
    want_f = mean * n + carry
    want = max(int(np.floor(want_f + 0.5)), 0)
    out = counts.astype(np.int64).copy()
    diff = want - int(out.sum())
    if diff > 0:
        room = np.full(n, diff, dtype=np.int64) if maximum is None else maximum - out
        room = np.clip(room, 0, None)
        if room.sum() > 0:
            w = (out + 1).astype(float) * (room > 0)
            draw = np.bincount(rng.choice(n, size=diff, p=w / w.sum()), minlength=n)
            out += np.minimum(draw, room)
    elif diff < 0:
        out -= rng.multivariate_hypergeometric(out, -diff, method="marginals")
    return out, want_f - want


class SlotAssigner:
    """Assign a non-context foreign key: parent rows offer slots, children draw them."""

    def __init__(self, targets: np.ndarray) -> None:
        self.targets = np.asarray(targets, dtype=np.int64)
        self.remaining = self.targets.copy()
        total = self.targets.sum()
        n = len(self.targets)
        self.weights = (
            self.targets / total if total > 0 else np.full(n, 1.0 / n) if n else np.zeros(0)
        )

    def draw(self, m: int, rng: np.random.Generator) -> np.ndarray:
        """Parent row positions for ``m`` child rows (shuffled)."""
        n = len(self.targets)
        if n == 0:
            return np.full(max(m, 0), -1, dtype=np.int64)  # no parent rows: null keys
        if m <= 0:
            return np.zeros(0, dtype=np.int64)
        avail = int(self.remaining.sum())
        take = min(m, avail)
        parts: list[np.ndarray] = []
        if take > 0:
            if take == avail:
                got = self.remaining.copy()
            else:
                got = rng.multivariate_hypergeometric(self.remaining, take, method="marginals")
            self.remaining -= got
            parts.append(np.repeat(np.arange(n, dtype=np.int64), got))
        if m > take:
            parts.append(rng.choice(n, size=m - take, p=self.weights).astype(np.int64))
        out = np.concatenate(parts)
        rng.shuffle(out)
        return out


def assign_self_reference(
    targets: np.ndarray, has_parent: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Parent positions (within the same rows) for a self-referencing key; -1 means null.

    Rows are ranked so that rows expected to have many children come first and rows without a
    parent (roots) come before the rest; a child is then matched with a slot of an earlier row,
    which keeps the hierarchy acyclic and free of self-loops while following ``targets``.
    """
    n = len(targets)
    out = np.full(n, -1, dtype=np.int64)
    if n == 0 or not has_parent.any():
        return out
    # rank: roots first, then by descending target in-degree, ties random
    jitter = rng.random(n)
    order = np.lexsort((jitter, -targets, has_parent.astype(np.int64)))
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    child_pos = np.sort(pos[has_parent])
    m = len(child_pos)
    slots = np.repeat(pos, np.maximum(targets, 0))
    slots = np.sort(slots)
    if len(slots) >= m:
        pick = np.sort(rng.choice(len(slots), size=m, replace=False))
        chosen = slots[pick]
    else:
        extra = rng.integers(0, max(n, 1), size=m - len(slots))
        chosen = np.sort(np.concatenate([slots, extra]))
    bad = chosen >= child_pos
    if bad.any():
        # fall back to a random earlier row for the few slots that would point forward
        chosen[bad] = np.floor(rng.random(int(bad.sum())) * child_pos[bad]).astype(np.int64)
    ok = chosen < child_pos
    parent_rows = order[chosen]
    child_rows = order[child_pos]
    out[child_rows[ok]] = parent_rows[ok]
    return out


MAX_DISTINCT_WORK = 20_000_000


def distinct_within_groups(
    groups: np.ndarray, slots: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Rearrange ``slots`` (a parent position per row) so rows of one group get distinct parents.

    For a bridge table whose key is (context parent, other parent), a row's other parent must
    differ from its group mates'. The drawn slots (each parent's share of this chunk) are dealt
    parent by parent, largest first, to distinct groups that still need rows, chosen with
    probability proportional to what they still need; so both sides keep their counts. Slots
    that cannot be placed fill the rows left over (the caller resolves those duplicates).
    Falls back to ``slots`` unchanged when the work would be too large.
    """
    n = len(slots)
    values, caps = np.unique(slots, return_counts=True)
    gids, ginv = np.unique(groups, return_inverse=True)
    if n == 0 or len(values) * len(gids) > MAX_DISTINCT_WORK:
        return slots
    demand = np.bincount(ginv, minlength=len(gids)).astype(np.int64)
    rows_sorted = np.argsort(ginv, kind="stable")
    starts = np.concatenate([[0], np.cumsum(demand)[:-1]])
    filled = np.zeros(len(gids), dtype=np.int64)
    out = np.full(n, -1, dtype=np.int64)
    leftover: list[np.ndarray] = []
    for k in np.argsort(-caps, kind="stable"):
        value, cap = values[k], int(caps[k])
        avail = np.flatnonzero(demand > 0)
        take = min(cap, len(avail))
        if take:
            weights = demand[avail] / demand[avail].sum()
            chosen = rng.choice(avail, size=take, replace=False, p=weights)
            out[rows_sorted[starts[chosen] + filled[chosen]]] = value
            filled[chosen] += 1
            demand[chosen] -= 1
        if cap > take:
            leftover.append(np.full(cap - take, value, dtype=np.int64))
    empty = np.flatnonzero(out < 0)
    if len(empty):
        out[empty] = rng.permutation(np.concatenate(leftover))
    return out
