"""Key-safe subsets of a relational schema (imports SQLAlchemy).

1. Sample root rows: ``roots={"customers": 1000}`` (seeded choice among the primary keys) or
   ``fraction=0.1`` of every parentless table (PostgreSQL: ``TABLESAMPLE BERNOULLI ...
   REPEATABLE(seed)``).
2. Walk down in FK order: a child keeps every row whose parent was sampled ("parents keep
   their children").
3. Walk up in reverse FK order: every parent a kept child references is fetched ("every child's
   parents are in the sample"); parents fetched this way do not pull in further children.

Key look-ups are ``IN`` lists of bound values in batches below the bind-parameter cap.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from synthohive.errors import ConnectorError, MetadataError
from synthohive.log import get_logger
from synthohive_sql._bulk import bind_cap

if TYPE_CHECKING:
    from synthohive.metadata.schema import Metadata
    from synthohive_sql.connector import SQLConnector

log = get_logger(__name__)


def fk_order(meta: Metadata) -> list[str]:
    """Tables with every parent before its children (self-references ignored)."""
    deps = {t: {r.parent for r in meta.parents(t) if r.parent != t} for t in meta.tables}
    order: list[str] = []
    done: set[str] = set()
    while len(order) < len(deps):
        ready = [t for t in deps if t not in done and deps[t] <= done]
        if not ready:
            left = sorted(set(deps) - done)
            raise MetadataError(
                f"foreign keys form a cycle among {left}", fix="remove one relation of the cycle"
            )
        for t in ready:
            order.append(t)
            done.add(t)
    return order


def _key_tuples(frame: pd.DataFrame, cols: list[str]) -> set[tuple[Any, ...]]:
    sub = frame[cols].dropna().drop_duplicates()
    return set(sub.itertuples(index=False, name=None))


def fetch_by_keys(
    conn: SQLConnector, table: str, cols: list[str], keys: list[tuple[Any, ...]]
) -> pd.DataFrame:
    """Rows of ``table`` whose ``cols`` equal one of ``keys`` (bound, batched)."""
    tbl = conn.table(table)
    batch = max(1, min(10_000, bind_cap(conn.dialect) // (2 * len(cols))))
    parts: list[pd.DataFrame] = []
    for start in range(0, len(keys), batch):
        chunk = keys[start : start + batch]
        keys_param: Any
        if len(cols) == 1:
            keys_param = sa.bindparam("keys", [k[0] for k in chunk], expanding=True)
            cond = tbl.c[cols[0]].in_(keys_param)
        else:
            keys_param = sa.bindparam("keys", chunk, expanding=True)
            cond = sa.tuple_(*(tbl.c[c] for c in cols)).in_(keys_param)
        parts.extend(conn.query_frames(sa.select(tbl).where(cond)))
    if not parts:
        return conn.read(table, limit=0)
    return pd.concat(parts, ignore_index=True)


def _sample_root(
    conn: SQLConnector,
    meta: Metadata,
    table: str,
    n: int | None,
    fraction: float | None,
    rng: np.random.Generator,
    seed: int,
) -> pd.DataFrame:
    tbl = conn.table(table)
    if fraction is not None and conn.backend == "postgresql":
        sampled = sa.tablesample(
            tbl, sa.func.bernoulli(fraction * 100.0), seed=sa.literal(int(seed))
        )
        parts = list(conn.query_frames(sa.select(*sampled.c)))
        return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    pk = meta.table(table).primary_key
    if not pk:
        frame = conn.read(table)
        k = (
            len(frame)
            if n is None and fraction is None
            else (n if n is not None else math.ceil((fraction or 0) * len(frame)))
        )
        idx = np.sort(rng.choice(len(frame), size=min(int(k), len(frame)), replace=False))
        return frame.iloc[idx].reset_index(drop=True)
    keys = conn.read(table, columns=list(pk))
    k = n if n is not None else math.ceil((fraction or 0.0) * len(keys))
    idx = np.sort(rng.choice(len(keys), size=min(int(k), len(keys)), replace=False))
    chosen = list(keys.iloc[idx].itertuples(index=False, name=None))
    return fetch_by_keys(conn, table, list(pk), chosen)


def _dedupe(frame: pd.DataFrame, pk: list[str] | None) -> pd.DataFrame:
    if pk:
        return frame.drop_duplicates(subset=pk, ignore_index=True)
    return frame.drop_duplicates(ignore_index=True)


def read_subset(
    conn: SQLConnector,
    meta: Metadata,
    *,
    roots: dict[str, int] | None,
    fraction: float | None,
    seed: int,
) -> dict[str, pd.DataFrame]:
    """A referentially complete sample of ``meta``'s tables (see the module docstring)."""
    if (roots is None) == (fraction is None):
        raise ConnectorError(
            "pass exactly one of roots={table: rows} or fraction=",
            fix="e.g. read_subset(meta, roots={'customers': 1000})",
        )
    if fraction is not None and not 0.0 < fraction <= 1.0:
        raise ConnectorError(f"fraction must be in (0, 1], got {fraction}")
    order = fk_order(meta)
    if roots is not None:
        for t in roots:
            meta.table(t)
        targets: dict[str, int | None] = dict(roots)
    else:
        targets = {t: None for t in order if not [r for r in meta.parents(t) if r.parent != t]}
    rng = np.random.default_rng(seed)
    frames: dict[str, pd.DataFrame] = {}
    for t in order:
        if t in targets:
            frames[t] = _sample_root(conn, meta, t, targets[t], fraction, rng, seed)
    # down: children of sampled rows
    for t in order:
        if t in targets:
            continue
        rels = [r for r in meta.parents(t) if r.parent in frames and r.parent != t]
        parts = []
        for rel in rels:
            keys = _key_tuples(frames[rel.parent], rel.parent_columns)
            if keys:
                parts.append(fetch_by_keys(conn, t, rel.child_columns, sorted(keys, key=str)))
        if parts:
            frames[t] = _dedupe(pd.concat(parts, ignore_index=True), meta.table(t).primary_key)
    # up: parents of every kept row
    for t in reversed(order):
        if t not in frames:
            continue
        for rel in meta.parents(t):
            need = _key_tuples(frames[t], rel.child_columns)
            have = (
                _key_tuples(frames[rel.parent], rel.parent_columns)
                if rel.parent in frames
                else set()
            )
            missing = sorted(need - have, key=str)
            if not missing:
                continue
            extra = fetch_by_keys(conn, rel.parent, rel.parent_columns, missing)
            base = frames.get(rel.parent)
            merged = extra if base is None else pd.concat([base, extra], ignore_index=True)
            frames[rel.parent] = _dedupe(merged, meta.table(rel.parent).primary_key)
    out = {t: frames[t] if t in frames else conn.read(t, limit=0) for t in meta.tables}
    log.info("sql.subset", rows={t: len(f) for t, f in out.items()}, seed=seed)
    return out
