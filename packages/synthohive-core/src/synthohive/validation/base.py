"""The validator protocol: a metric plugin computes scored results from an evaluation context.

A validator class has a ``name``, the report ``property`` its scores feed (e.g. "Column Shapes")
and a ``compute(ctx)`` returning :class:`MetricResult` rows. Built-ins register through the
``register_validators`` hook exactly like third-party ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

if TYPE_CHECKING:
    from synthohive.metadata.schema import Metadata
    from synthohive.validation.profile import ReferenceProfile

# Properties that make up the overall quality score (as in sdmetrics' QualityReport).
QUALITY_PROPERTIES = ("Column Shapes", "Column Pair Trends", "Cardinality")


@dataclass(frozen=True)
class MetricResult:
    """One score: which metric, for which table/columns, and its value in [0, 1] (or None)."""

    metric: str
    property: str
    table: str
    columns: tuple[str, ...]
    score: float | None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "metric": self.metric,
            "property": self.property,
            "table": self.table,
            "columns": list(self.columns),
            "score": None if self.score is None else float(self.score),
            "details": self.details,
        }


@dataclass
class EvaluationContext:
    """Everything a validator may look at.

    ``real`` is ``None`` when evaluating against a stored :class:`ReferenceProfile` (after a
    cold load); validators that need raw rows then skip themselves, profile-aware validators use
    ``profile``. ``holdout`` holds real rows not used for training (privacy metrics).
    """

    metadata: Metadata
    synthetic: dict[str, pd.DataFrame]
    real: dict[str, pd.DataFrame] | None = None
    holdout: dict[str, pd.DataFrame] | None = None
    profile: ReferenceProfile | None = None
    target: str | None = None
    max_pair_rows: int = 50_000
    max_privacy_rows: int = 10_000
    domias: bool = False
    """Also compute the (slower) DOMIAS membership-inference AUC."""
    seed: int = 0
    notes: list[str] = field(default_factory=list)

    def modelled_columns(self, table: str) -> dict[str, str]:
        """Column name -> sdtype for the columns a model learns (no keys, PII or text)."""
        t = self.metadata.tables[table]
        keys = set(t.primary_key or [])
        for fk in self.metadata.parents(table):
            keys.update(fk.child_columns)
        return {
            name: col.sdtype
            for name, col in t.columns.items()
            if name not in keys
            and col.sdtype in ("numerical", "categorical", "boolean", "datetime")
        }


class Validator:
    """Base class of metric plugins."""

    name: ClassVar[str]
    property: ClassVar[str]
    needs_real: ClassVar[bool] = True
    """Whether raw real rows are required (False: works from the reference profile too)."""

    def compute(self, ctx: EvaluationContext) -> list[MetricResult]:
        """Return the metric's results for every applicable table/column/pair."""
        raise NotImplementedError
