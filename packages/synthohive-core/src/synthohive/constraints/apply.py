"""How the synthesizer applies a table's constraints: forward before its model learns the
rows, backward on every generated chunk. Fitted constraints live in the table's plan as JSON
(``{"kind", "params", "state"}``), so a loaded model file maps rows back the same way."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from synthohive.errors import ConstraintError
from synthohive.log import get_logger

if TYPE_CHECKING:
    from synthohive.constraints.base import Constraint
    from synthohive.metadata.schema import Column, Metadata, Table

log = get_logger(__name__)


def fit_constraints(
    metadata: Metadata, table: Table, data: pd.DataFrame, columns: dict[str, Column]
) -> tuple[pd.DataFrame, dict[str, Column], list[dict[str, Any]]]:
    """Fit ``table``'s constraints on its modelled rows ``data`` and apply them in turn.

    Returns the frame and column metadata the model learns, and the fitted constraints as
    JSON for the plan. A constraint on a column the model does not learn (a key, a PII column
    filled with fake values) raises :class:`ConstraintError`.
    """
    from synthohive.metadata.schema import build_constraint

    fitted: list[dict[str, Any]] = []
    taken: dict[str, str] = {}  # column -> the constraint that already uses it
    for spec in metadata.constraints or []:
        if spec.table != table.name:
            continue
        constraint = build_constraint(metadata, spec)
        shared = {c: taken[c] for c in constraint.columns() if c in taken}
        if shared:
            raise ConstraintError(
                f"constraint {constraint.describe()} uses column(s) {sorted(shared)} that "
                f"{sorted(set(shared.values()))} already rewrites",
                table=table.name,
                fix="give each column one constraint (e.g. one fixed_combinations over all the "
                "columns that go together)",
            )
        taken.update(dict.fromkeys(constraint.columns(), constraint.describe()))
        outside = [c for c in constraint.columns() if c not in data.columns]
        if outside:
            raise ConstraintError(
                f"constraint {constraint.describe()} names column(s) {outside} that are not "
                "modelled (keys and PII columns are generated, not learned)",
                table=table.name,
                fix="constrain modelled columns only",
            )
        constraint.bind_columns(table.columns)
        constraint.fit(data)
        data = constraint.transform(data)
        columns = constraint.model_columns(columns)
        fitted.append({"kind": spec.kind, "params": dict(spec.params), "state": constraint.state()})
        log.info("synthesizer.constraint", table=table.name, constraint=constraint.describe())
    return data, columns, fitted


def restore_constraints(table: str, fitted: list[dict[str, Any]]) -> list[Constraint]:
    """The fitted constraints of a plan, rebuilt from their JSON."""
    from synthohive.registry import get_registry

    out = []
    for entry in fitted:
        constraint = get_registry().get_constraint(str(entry["kind"]))(table, entry["params"])
        constraint.load_state(entry.get("state") or {})
        out.append(constraint)
    return out


def reverse_constraints(constraints: list[Constraint], frame: pd.DataFrame) -> pd.DataFrame:
    """Generated rows in the model's columns -> rows in the table's columns that satisfy every
    constraint (the constraints undone last-applied first)."""
    for constraint in reversed(constraints):
        frame = constraint.reverse(frame)
    return frame


def check_conditions(table: str, fitted: list[dict[str, Any]], columns: list[str]) -> None:
    """Refuse conditions on columns that a constraint rewrites (the model never saw them)."""
    ruled = {c for k in restore_constraints(table, fitted) for c in k.columns()}
    clash = sorted(ruled & set(columns))
    if clash:
        raise ConstraintError(
            f"conditions on column(s) {clash} that a constraint rewrites are not supported",
            table=table,
            fix="condition on other columns, or filter the sampled rows",
        )
