"""What the synthesizer does differently under differential privacy (``PrivacyConfig.dp``).

Every table with learned columns gets a DP model (the budget is per table; a person present
in several tables is protected by the sum of their epsilons, basic composition). Anything
else the synthesizer would learn from the rows is switched off: copying small lookup tables,
pooling rare categories (the DP models release categories themselves, with noise), the PII
fill profiles (defaults instead), the reference profile kept for reports, and the exact row
count (the model's noisy count replaces it). Relations, sequences and constraints learn
from rows in ways that are not accounted yet (children per parent, parent context, gaps,
learned combinations), so they are refused with a typed error rather than silently leaking.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from synthohive.errors import DataError
from synthohive.metadata.schema import Metadata
from synthohive.synthesizer.plan import TablePlan


def check_dp_schema(metadata: Metadata, model: str | Mapping[str, str]) -> None:
    """Raise :class:`DataError` for what DP fitting cannot account for yet."""
    if metadata.relations:
        raise DataError(
            "differential privacy is available for tables without relations: children per "
            "parent and parent context are not accounted yet",
            table=metadata.relations[0].child,
            fix="fit each table on its own (metadata without relations), or drop dp",
        )
    if metadata.sequences:
        raise DataError(
            "differential privacy is not available for ordered sequences",
            table=metadata.sequences[0].table,
            fix="remove the sequence from the metadata, or drop dp",
        )
    if metadata.constraints:
        raise DataError(
            "differential privacy is not available with constraints (some learn values "
            "from the rows)",
            table=metadata.constraints[0].table,
            fix="remove the constraints from the metadata, or drop dp",
        )


def dp_plan(plan: TablePlan) -> None:
    """Make ``plan`` learn nothing outside the DP model."""
    if plan.strategy != "model":
        plan.strategy = "model"
        plan.strategy_reason = "differential privacy: learned by a DP model, never copied"
    plan.fill_profiles = {c: {} for c in plan.fill_profiles}


def describe_dp(record: Mapping[str, Any]) -> str:
    """One line for ``explain()``: what the model's DP fit spent."""
    eps = float(record.get("epsilon", 0.0))
    target = record.get("epsilon_target")
    delta = float(record.get("delta", 0.0))
    rows = record.get("rows")
    extra = f", {rows} rows (noisy count)" if rows is not None else ""
    return (
        f"differential privacy: epsilon {eps:.3g} of {target} spent, delta {delta:.2e}, "
        f"{record.get('accountant', '?')}{extra}"
    )
