"""What each table of a fitted schema got and why, in words: for ``explain`` and reports."""

from __future__ import annotations

from typing import Any

from synthohive.synthesizer.dp import describe_dp
from synthohive.synthesizer.fitted import FittedSchema


def explain(fitted: FittedSchema) -> str:
    """What each table gets (model, copy or independent columns) and why, one line each."""
    lines = [f"Synthesizer: {len(fitted.order)} table(s), generated parents first"]
    if fitted.dp is not None:
        lines.append(
            f"  differential privacy: epsilon {fitted.dp['epsilon_per_table']} per table, "
            f"{fitted.dp['epsilon_total']:.3g} for a person in every table "
            f"(unit: {fitted.dp['unit']})"
        )
    for name in fitted.order:
        plan = fitted.plans[name]
        reason = plan.strategy_reason or f"model {plan.model_name!r}"
        rows = f"{plan.n_rows} rows"
        if plan.source_rows:
            rows = f"{plan.source_rows} rows, learned from a sample of {plan.n_rows}"
        lines.append(f"  - {name} ({rows}): {plan.strategy} - {reason}")
        if plan.sequence is not None:
            seq = plan.sequence
            memory = (
                "each row given the previous one"
                if seq.get("memory", True)
                else "the model does not see the previous row (no context support)"
            )
            lines.append(f"      ordered by {seq['index']} per parent row; {memory}")
        if plan.constraints:
            rules = ", ".join(str(c["kind"]) for c in plan.constraints)
            lines.append(f"      constraints: {rules}")
        model = fitted.models.get(name)
        if model is not None and model.dp_ is not None:
            lines.append(f"      {describe_dp(model.dp_)}")
    return "\n".join(lines)


def label_report(report: Any, fitted: FittedSchema) -> None:
    """Name each table's model (and DP budget) in a validation ``report``; add the DP note."""
    for name, entry in report.context.get("tables", {}).items():
        plan = fitted.plans.get(name)
        if plan is not None:
            entry["model"] = (
                plan.strategy if plan.strategy != "model" else str(plan.model_name or "")
            )
        model = fitted.models.get(name)
        if model is not None and model.dp_ is not None:
            entry["model"] += f" (DP, epsilon {model.dp_.get('epsilon', 0.0):.3g})"
    if fitted.dp is not None:
        report.context["dp"] = fitted.dp
        report.notes.append(
            f"differential privacy: epsilon {fitted.dp['epsilon_per_table']} per table, "
            f"{fitted.dp['epsilon_total']:.3g} for a person present in every table, "
            f"delta {fitted.dp['delta_total']:.2e} (unit: {fitted.dp['unit']})"
        )
