"""What a fit produces, as one value: :class:`FittedSchema`.

:func:`~synthohive.synthesizer.fit.fit_schema` builds it (plans complete, models fitted);
:func:`~synthohive.synthesizer.streaming.generate` reads it to make rows;
:func:`~synthohive.synthesizer.persistence.save` writes it to a model file and
:func:`~synthohive.synthesizer.persistence.load` reads it back. Nothing changes it after the
fit: a :class:`~synthohive.synthesizer.Synthesizer` keeps it as ``fitted_``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from synthohive.metadata.schema import Metadata
from synthohive.synthesizer import graph
from synthohive.synthesizer.inputs import root_row_counts
from synthohive.synthesizer.plan import TablePlan
from synthohive.synthesizer.settings import FitOptions

if TYPE_CHECKING:
    from synthohive.models.base import GenerativeModel


@dataclass(frozen=True)
class FittedSchema:
    """A fitted schema: per table its plan and model (or copied rows), in generation order."""

    metadata: Metadata
    order: list[str]
    """Table names in generation order (parents first)."""
    plans: dict[str, TablePlan]
    """Per table how its columns are learned and regenerated (see :mod:`.plan`)."""
    models: dict[str, GenerativeModel]
    """Per table with a model: the fitted model (copied and empty tables have none)."""
    options: FitOptions
    """The settings the fit used (after a load: those the model file keeps)."""
    copies: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Per table copied as reference data (strategy ``copy``): its rows, PII/text left out."""
    single: bool = False
    """Whether the fit learned one DataFrame (``sample(n)`` then returns a DataFrame)."""
    orphans: dict[str, int] = field(default_factory=dict)
    """Rows whose foreign key had no parent at fit, per ``child.columns`` (dropped/nulled)."""
    rare_categories: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per table and column: how many rare categories were merged before fitting (not saved)."""
    profile: Any = None
    """Aggregate statistics of the training data (no rows) for reports; ``None`` under DP."""
    dp: dict[str, Any] | None = None
    """The differential-privacy record of a DP fit (per table and total), else ``None``."""

    def root_rows(
        self, n: int | None = None, scale: float = 1.0, rows: Mapping[str, int] | None = None
    ) -> dict[str, int]:
        """Rows each root table gets for ``sample(n)``, ``scale`` or ``rows`` (checked)."""
        learned = {
            t: self.plans[t].source_rows or self.plans[t].n_rows for t in graph.roots(self.metadata)
        }
        return root_row_counts(learned, n, scale, rows)

    def expected_rows(self, root_rows: Mapping[str, int]) -> dict[str, float]:
        """Expected rows per table when the roots get ``root_rows`` (cardinalities learned)."""
        out: dict[str, float] = {}
        for name in self.order:
            plan = self.plans[name]
            rel = plan.context_relation
            if rel is None:
                out[name] = float(root_rows.get(name, round(plan.source_rows or plan.n_rows)))
                continue
            parent = self.metadata.relations[rel].parent
            mean = self.plans[parent].count_means.get(rel, 0.0)
            share = min(plan.null_share.get(rel, 0.0), 0.99)
            out[name] = out[parent] * mean / (1.0 - share)
        return out
