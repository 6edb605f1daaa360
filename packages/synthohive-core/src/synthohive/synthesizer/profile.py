"""The reference profile stored with a fitted synthesizer, and label handling for evaluation.

The profile (``synthohive.validation.profile``) holds aggregates of the modelled columns and
the children-per-parent histograms, never rows, so ``evaluate`` and quality gates work after a
cold load without the real data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from synthohive.metadata.schema import Metadata
from synthohive.synthesizer.cardinality import children_per_parent
from synthohive.synthesizer.plan import TablePlan

if TYPE_CHECKING:
    from synthohive.validation.profile import ReferenceProfile


def reference_profile(
    meta: Metadata, frames: dict[str, pd.DataFrame], plans: dict[str, TablePlan]
) -> ReferenceProfile:
    """The validation package's reference profile of the modelled columns."""
    from synthohive.validation import profile as module

    modelled = {
        name: {c: str(meta.tables[name].columns[c].sdtype) for c in plan.modelled}
        for name, plan in plans.items()
    }
    # columns through the validation package; children-per-parent histograms computed here
    # with the vectorised key join the synthesizer already uses
    from synthohive.validation.stats import parse_datetimes

    dated = parse_datetimes(meta, frames)
    profile = module.build_profile(dated, meta.model_copy(update={"relations": []}), modelled)
    for fk in meta.relations:
        counts = children_per_parent(
            frames[fk.parent], fk.parent_columns, frames[fk.child], fk.child_columns
        )
        if len(counts) == 0:
            continue
        values, freq = np.unique(counts, return_counts=True)
        key = module.relation_key(fk.child, fk.child_columns, fk.parent)
        profile.cardinality[key] = {
            str(int(v)): float(f) / len(counts) for v, f in zip(values, freq, strict=True)
        }
    return profile


def str_labels(frames: Any) -> Any:
    """Frames with ``str`` column labels, as the metadata names them (integers included)."""
    if isinstance(frames, pd.DataFrame):
        return frames.rename(columns=str)
    if isinstance(frames, Mapping):
        return {
            k: v.rename(columns=str) if isinstance(v, pd.DataFrame) else v
            for k, v in frames.items()
        }
    return frames
