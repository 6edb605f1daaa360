"""Filling PII and free-text columns at sample time (they never reach a model).

Values come from ``synthohive.privacy.providers.fill_column`` (Faker-backed, never from real
values). A PII column that is a primary key gets unique values; a PII column used as a join
key needs nothing more, because foreign keys copy the generated parent values, so joins hold.
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
