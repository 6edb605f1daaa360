"""Filling PII and free-text columns at sample time (they never reach a model).

Values come from ``synthohive.privacy.providers.fill_column`` (Faker-backed, never from real
values). A PII column that is a primary key gets unique values; a PII column used as a join
key needs nothing more, because foreign keys copy the generated parent values, so joins hold.

PII repeated across tables (an invoice's billing address that is its customer's address) is
found at fit by :func:`learn_shared_fill`: for a PII column of a child and a PII column of the
same kind in its context parent, the share of rows where the two are equal. At sample time
that share of the child's rows takes its generated parent's fake value, so the synthetic data
repeats the same fake address where the real data repeated the real one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from synthohive.log import get_logger

if TYPE_CHECKING:
    from synthohive.metadata.schema import Column, Table
    from synthohive.synthesizer.plan import TablePlan

log = get_logger(__name__)


SHARED_FILL_MIN = 0.2


def learn_shared_fill(
    metadata: Any, frames: dict[str, pd.DataFrame], plans: dict[str, TablePlan]
) -> None:
    """Set ``plan.shared_fill`` where a child's PII column repeats its context parent's."""
    for name, plan in plans.items():
        rel = plan.context_relation
        if rel is None:
            continue
        fk = metadata.relations[rel]
        parent_plan = plans[fk.parent]
        if fk.parent == name:
            continue
        child, parent = frames[name], frames[fk.parent]
        table, ptable = metadata.tables[name], metadata.tables[fk.parent]
        for col in plan.filled:
            kind = table.columns[col].kind
            if col in plan.dropped or col in plan.primary_key or kind is None:
                continue
            for pcol in parent_plan.filled:
                pmeta = ptable.columns[pcol]
                if pmeta.kind != kind or pcol in parent_plan.dropped:
                    continue
                if pcol in parent_plan.primary_key:
                    continue
                left = child[[*fk.child_columns, col]].rename(columns={col: "__v"})
                right = parent[[*fk.parent_columns, pcol]].rename(columns={pcol: "__p"})
                right.columns = [*fk.child_columns, "__p"]
                joined = left.merge(right, on=fk.child_columns, how="left")
                present = joined["__v"].notna().to_numpy()
                if not present.any():
                    continue
                equal = (joined["__v"].astype(str) == joined["__p"].astype(str)).to_numpy()
                share = float((equal & present).sum() / len(joined))
                if share >= SHARED_FILL_MIN:
                    plan.shared_fill[col] = (rel, pcol, round(share, 4))
                    log.info(
                        "synthesizer.shared_pii",
                        table=name,
                        column=col,
                        parent=fk.parent,
                        parent_column=pcol,
                        share=round(share, 4),
                    )
                    break


def share_parent_values(
    frame: pd.DataFrame,
    plan: TablePlan,
    parent_chunk: pd.DataFrame | None,
    parent_pos: np.ndarray | None,
    rng: np.random.Generator,
) -> None:
    """Give ``plan.shared_fill``'s share of rows their context parent's generated value."""
    if parent_chunk is None or parent_pos is None:
        return
    for col, (rel, pcol, share) in plan.shared_fill.items():
        if rel != plan.context_relation or pcol not in parent_chunk or col not in frame:
            continue
        take = (parent_pos >= 0) & (rng.random(len(parent_pos)) < share)
        if take.any():
            values = frame[col].astype(object).to_numpy(copy=True)
            values[take] = parent_chunk[pcol].astype(object).to_numpy()[parent_pos[take]]
            frame[col] = values


def fill_columns(
    table: Table,
    plan: TablePlan,
    rows: np.ndarray,
    rng: np.random.Generator,
    seen: dict[str, set[Any]] | None = None,
) -> dict[str, pd.Series]:
    """Fresh values for every filled column of ``plan`` (one per global row number).

    Primary-key columns get values unique within the chunk and against ``seen`` (the values
    earlier chunks used, updated in place).
    """
    out: dict[str, pd.Series] = {}
    for col in plan.filled:
        if col in plan.dropped:
            continue
        meta = table.columns[col]
        if meta.locale is None and plan.locale:
            meta = meta.model_copy(update={"locale": plan.locale})
        unique = col in plan.primary_key
        profile = None if unique else plan.fill_profiles.get(col)
        used = seen.setdefault(col, set()) if (unique and seen is not None) else None
        out[col] = _fill_one(meta, col, rows, rng, unique=unique, profile=profile, used=used)
    return out


def _fill_one(
    meta: Column,
    col: str,
    rows: np.ndarray,
    rng: np.random.Generator,
    *,
    unique: bool,
    profile: dict[str, Any] | None,
    used: set[Any] | None = None,
) -> pd.Series:
    from synthohive.privacy.providers import fill_column

    n = len(rows)
    values = pd.Series(fill_column(meta, n, rng, profile=profile, name=col)).reset_index(drop=True)
    if unique and n:
        dup = values.duplicated(keep="first").to_numpy() | values.isna().to_numpy()
        if used:
            dup |= values.isin(used).to_numpy()
        if dup.any():
            # make repeated values unique by tagging them with their global row number
            tagged = values.astype(str).to_numpy(dtype=object)
            tagged[dup] = np.char.add(
                np.char.add(tagged[dup].astype(str), "-"), rows[dup].astype(str)
            ).astype(object)
            values = pd.Series(tagged)
        if used is not None:
            used.update(values.tolist())
    return values
