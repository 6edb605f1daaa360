"""Rare-category protection: categories seen fewer than ``k`` times never reach a model.

A category that occurs in only a handful of rows can identify the people in them, and a model
that learns it would write the real value into the model file and replay it. Before fitting,
such categories of modelled categorical string columns are replaced by ``RARE_TOKEN`` (as
mostlyai does), so neither the model file nor the synthetic data holds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from synthohive.log import get_logger
from synthohive.metadata.schema import Metadata

if TYPE_CHECKING:
    from synthohive.synthesizer.plan import TablePlan

log = get_logger(__name__)

RARE_TOKEN = "_RARE_"
DEFAULT_RARE_THRESHOLD = 5


def _stringy(series: pd.Series) -> bool:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return pd.api.types.is_string_dtype(series.cat.categories) or series.cat.categories.empty
    return pd.api.types.is_string_dtype(series) or series.dtype == object


def protect_rare_categories(
    meta: Metadata,
    frames: dict[str, pd.DataFrame],
    plans: Mapping[str, TablePlan],
    k: int,
) -> tuple[dict[str, pd.DataFrame], dict[str, dict[str, int]]]:
    """Frames with rare categories replaced, and the number of rows changed per column."""
    if k <= 1:
        return frames, {}
    out = dict(frames)
    changed: dict[str, dict[str, int]] = {}
    for name, plan in plans.items():
        table = meta.tables[name]
        df = frames[name]
        new = None
        for col in plan.modelled:
            column = table.columns.get(col)
            if column is None or column.sdtype != "categorical" or col not in df.columns:
                continue
            series = df[col]
            if not _stringy(series):
                continue
            counts = series.value_counts(dropna=True)
            rare = counts.index[counts < k]
            if len(rare) == 0:
                continue
            mask = series.isin(rare)
            if isinstance(series.dtype, pd.CategoricalDtype):
                fixed = (
                    series.cat.add_categories([RARE_TOKEN])
                    if (RARE_TOKEN not in series.cat.categories)
                    else series
                )
                fixed = fixed.mask(mask, RARE_TOKEN).cat.remove_categories(list(rare))
            else:
                fixed = series.mask(mask, RARE_TOKEN)
            if new is None:
                new = df.copy()
            new[col] = fixed
            changed.setdefault(name, {})[col] = int(mask.sum())
            log.info(
                "synthesizer.rare_categories",
                table=name,
                column=col,
                categories=len(rare),
                rows=int(mask.sum()),
                k=k,
            )
        if new is not None:
            out[name] = new
    return out, changed
