"""How the synthesizer applies a table's constraints: forward before its model learns the
rows, backward on every generated chunk. Fitted constraints live in the table's plan as JSON
(``{"kind", "params", "state"}``), so a loaded model file maps rows back the same way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd

from synthohive.errors import ConstraintError
from synthohive.log import get_logger

if TYPE_CHECKING:
    from synthohive.constraints.base import Constraint
    from synthohive.metadata.schema import Column, Metadata, Table
    from synthohive.synthesizer.plan import TablePlan

log = get_logger(__name__)
T = TypeVar("T")


def fit_constraints(
    metadata: Metadata,
    table: Table,
    data: pd.DataFrame,
    columns: dict[str, Column],
    *,
    plans: Mapping[str, TablePlan] | None = None,
    frames: Mapping[str, pd.DataFrame] | None = None,
) -> tuple[pd.DataFrame, dict[str, Column], list[dict[str, Any]]]:
    """Fit ``table``'s constraints on its modelled rows ``data`` and apply them in turn.

    Returns the frame and column metadata the model learns, and the fitted constraints as
    JSON for the plan. A constraint on a column the model does not learn (a key, a PII column
    filled with fake values) raises :class:`ConstraintError`. Rules between tables
    (:mod:`synthohive.constraints.crosstable`) also see every table's ``plans`` and real
    ``frames`` (``data`` must then be ``frames[table.name]``'s rows, in order).
    """
    from synthohive.constraints.crosstable import RelatedConstraint, parent_lookup
    from synthohive.metadata.schema import build_constraint

    built = [
        (spec, build_constraint(metadata, spec))
        for spec in metadata.constraints or []
        if spec.table == table.name
    ]
    fitted: list[dict[str, Any]] = []
    for spec, constraint in order_constraints(table.name, built):
        outside = [c for c in constraint.columns() if c not in data.columns]
        if outside:
            raise ConstraintError(
                f"constraint {constraint.describe()} names column(s) {outside} that are not "
                "modelled (keys and PII columns are generated, not learned)",
                table=table.name,
                fix="constrain modelled columns only",
            )
        constraint.bind_columns(table.columns)
        if isinstance(constraint, RelatedConstraint):
            if plans is not None:
                constraint.bind_plans(metadata, plans)
            if frames is not None:
                constraint.check_real(metadata, frames)
                fk = metadata.relations[constraint.relation]
                for alias, column in constraint.parent_values().items():
                    values = parent_lookup(
                        frames[table.name][fk.child_columns],
                        frames[fk.parent],
                        fk.parent_columns,
                        column,
                    )
                    data = data.assign(**{alias: values.set_axis(data.index)})
        constraint.fit(data)
        data = constraint.transform(data)
        columns = constraint.model_columns(columns)
        fitted.append({"kind": spec.kind, "params": dict(spec.params), "state": constraint.state()})
        log.info("synthesizer.constraint", table=table.name, constraint=constraint.describe())
    return data, columns, fitted


def order_constraints(table: str, built: list[tuple[T, Constraint]]) -> list[tuple[T, Constraint]]:
    """``built`` in the order to apply them: a rule that only reads a column another rule
    rewrites goes first, so it sees the real values (``sum`` over a ``positive`` part); two
    rules rewriting one column are refused. Otherwise the declared order is kept."""
    owner: dict[str, Constraint] = {}
    for _, constraint in built:
        for col in constraint.rewrites():
            if col in owner:
                raise ConstraintError(
                    f"constraint {constraint.describe()} rewrites column {col!r}, which "
                    f"{owner[col].describe()} already rewrites",
                    table=table,
                    column=col,
                    fix="give each column one rule that rewrites it (e.g. one "
                    "fixed_combinations over all the columns that go together)",
                )
            owner[col] = constraint
    after: dict[int, set[int]] = {}  # rule -> the rules that must be applied before it
    for j, (_, constraint) in enumerate(built):
        reads = set(constraint.columns()) - set(constraint.rewrites())
        for i, (_, other) in enumerate(built):
            if i != j and reads & set(other.rewrites()):
                after.setdefault(i, set()).add(j)
    out: list[int] = []
    while len(out) < len(built):
        ready = [i for i in range(len(built)) if i not in out and after.get(i, set()) <= set(out)]
        if not ready:
            names = [built[i][1].describe() for i in range(len(built)) if i not in out]
            raise ConstraintError(
                f"constraints {names} each read a column another one rewrites (a cycle)",
                table=table,
                fix="drop one of them",
            )
        out.append(ready[0])
    return [built[i] for i in out]


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
    ruled = {c for k in restore_constraints(table, fitted) for c in k.rewrites()}
    clash = sorted(ruled & set(columns))
    if clash:
        raise ConstraintError(
            f"conditions on column(s) {clash} that a constraint rewrites are not supported",
            table=table,
            fix="condition on other columns, or filter the sampled rows",
        )
