"""What the synthesizer does differently under differential privacy (``PrivacyConfig.dp``).

The budget ``DPConfig.epsilon`` is per table; the unit is one row of one table, a parent row
together with its number of children. A person present in several tables is protected by the
sum of the tables' epsilons (basic composition), which the model file states.

Per table, :data:`SYNTH_SHARE` of the budget pays for what the synthesizer itself reads: the
row count and, for a child table, the share of rows whose foreign key is null (Gaussian
mechanism, zCDP); the table's DP model gets the rest. Children per parent are a column of the
parent's model (so the parent's DP model learns them); the mean and maximum the generator
uses are read from that model's own samples (post-processing). Switched off: copying small
lookup tables, pooling rare categories (the DP models release categories with noise), parent
context columns (a child's attributes are learned without its parent's), PII fill profiles
and shared PII between tables, the reference profile kept for reports, and key styles' first
number (keys start at 1). Sequences and constraints learn from rows in ways that are not
accounted yet (gaps, learned combinations), so they are refused with a typed error rather
than silently leaking.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from synthohive.errors import DataError
from synthohive.metadata.schema import Metadata
from synthohive.privacy.dp import DPConfig, DPLedger
from synthohive.synthesizer.plan import TablePlan

DP_PROBE_ROWS = 20_000
"""Rows sampled from a parent's DP model to read its children-per-parent mean and maximum."""

SYNTH_SHARE = 0.05
"""Share of each table's epsilon (and delta) for the row count and foreign-key null shares."""


def check_dp_schema(
    metadata: Metadata,
    context_parent: Mapping[str, str],
    context_columns: Mapping[str, Any],
) -> None:
    """Raise :class:`DataError` for what DP fitting cannot account for yet."""
    asked = sorted({*context_parent, *(k for k, v in context_columns.items() if v)})
    if asked:
        raise DataError(
            "differential privacy learns child tables without parent context columns",
            table=asked[0],
            fix="drop context_parent/context_columns, or drop dp",
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


def table_budgets(
    metadata: Metadata,
    frames: Mapping[str, pd.DataFrame],
    dp: DPConfig,
    seed: int | None,
) -> tuple[dict[str, DPConfig], dict[str, float], dict[int, float], dict[str, dict[str, Any]]]:
    """Spend each table's synthesizer share: returns the DP config each table's model gets,
    the noisy row counts, the noisy null shares of every relation's foreign key, and each
    table's record of that share."""
    models: dict[str, DPConfig] = {}
    rows: dict[str, float] = {}
    shares: dict[int, float] = {}
    records: dict[str, dict[str, Any]] = {}
    for k, (name, frame) in enumerate(sorted(frames.items())):
        delta = dp.resolved_delta(len(frame))
        rng = np.random.default_rng(np.random.SeedSequence([seed or 0, k, 21]))
        ledger = DPLedger.for_budget(
            dp.epsilon * SYNTH_SHARE, delta * SYNTH_SHARE, rng, thresholds=0
        )
        relations = [i for i, fk in enumerate(metadata.relations) if fk.child == name]
        rho = ledger.rho / (1 + len(relations))
        sigma = ledger.sigma("row count", rho)
        rows[name] = max(0.0, len(frame) + float(rng.normal(0.0, sigma)))
        for i in relations:
            fk = metadata.relations[i]
            nulls = int(frame[fk.child_columns].isna().any(axis=1).sum())
            sigma = ledger.sigma(f"foreign key {i} null share", rho)
            noisy = ledger.noisy(np.array([nulls, len(frame) - nulls]), sigma)
            noisy = np.clip(noisy, 0.0, None)
            shares[i] = float(noisy[0] / noisy.sum()) if noisy.sum() > 0 else 0.0
            if noisy[0] <= 2.0 * sigma:
                shares[i] = 0.0  # below the noise: no stray null keys
        records[name] = {
            "epsilon": round(ledger.epsilon_spent(), 6),
            "delta": delta * SYNTH_SHARE,
            "queries": [w for w, _ in ledger.spent],
        }
        models[name] = dp.model_copy(
            update={"epsilon": dp.epsilon * (1 - SYNTH_SHARE), "delta": delta * (1 - SYNTH_SHARE)}
        )
    return models, rows, shares, records


def dp_plan(plan: TablePlan, rows: float, shares: Mapping[int, float]) -> None:
    """Make ``plan`` learn nothing outside the DP model and the noisy statistics."""
    if plan.strategy != "model":
        plan.strategy = "model"
        plan.strategy_reason = "differential privacy: learned by a DP model, never copied"
    plan.fill_profiles = {c: {} for c in plan.fill_profiles}
    plan.shared_fill = {}
    plan.key_specs = {c: replace(spec, start=1) for c, spec in plan.key_specs.items()}
    plan.null_share = {i: shares.get(i, 0.0) for i in plan.null_share}
    plan.n_rows = round(rows)


def schema_record(
    tables: Mapping[str, dict[str, Any]], synth: Mapping[str, dict[str, Any]], dp: DPConfig
) -> dict[str, Any]:
    """The synthesizer's DP record: per table (model + synthesizer share) and the total."""
    per_table: dict[str, dict[str, Any]] = {}
    for name, part in synth.items():
        model = tables.get(name) or {}
        per_table[name] = {
            "epsilon": round(float(part["epsilon"]) + float(model.get("epsilon", 0.0)), 6),
            "delta": float(part["delta"]) + float(model.get("delta", 0.0)),
            "synthesizer": part,
        }
    return {
        "epsilon_per_table": dp.epsilon,
        "unit": "one row of one table (a parent row with its number of children)",
        "composition": "basic: a person in several tables is covered by the sum",
        "tables": per_table,
        "epsilon_total": round(sum(t["epsilon"] for t in per_table.values()), 6),
        "delta_total": sum(t["delta"] for t in per_table.values()),
    }


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
