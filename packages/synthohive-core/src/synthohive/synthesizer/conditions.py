"""Conditional sampling: fix the values of some columns of a root table, generate the rest.

``Synthesizer.sample(conditions=...)`` accepts, for a single table, ``{"column": value}``
(every row gets that value) or a DataFrame (one output row per condition row, like SDV's
``sample_remaining_columns``) and, for a schema, the same per root table:
``{"customers": {"segment": "vip"}}`` or ``{"customers": frame}``. The given columns are kept
exactly as given; the other modelled columns, the children-per-parent counts and therefore the
child tables are drawn from the model conditioned on them (the model's own
``sample(conditions=...)``: categorical, boolean and discrete values, no rejection). Rows of a
condition frame with the same values share one model call per chunk.

A value may also be a range, ``{"age": Between(30, 40)}`` (numbers, or dates as timestamps or
text): every row's value lies in it. A model with ``supports_range_conditions`` (the copula)
samples inside the range directly; for others the rows are drawn and those outside the range
drawn again, within a bounded budget (:data:`RANGE_ROUNDS`), then a typed error. A model
without ``supports_conditions`` (the autoregressive model) is conditioned the same way: rows
are drawn unconditioned and those without the asked values dropped; a value not drawn once in
:data:`NEVER_DRAWN` rows is refused as not occurring (or too rare to reach by drawing).

Only modelled columns of root tables can be conditioned: keys are generated, PII/text columns
are filled by providers, child rows follow their (conditioned) parents, and a copied lookup
table keeps its rows. Every such request fails before any row is generated, with a typed
error naming the table and column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from synthohive.errors import DataError, UnknownConditionValueError
from synthohive.models.base import Between
from synthohive.synthesizer import graph
from synthohive.synthesizer.rare import RARE_TOKEN

if TYPE_CHECKING:
    from synthohive.models.base import GenerativeModel
    from synthohive.synthesizer.fitted import FittedSchema
    from synthohive.synthesizer.plan import TablePlan

_FORM = (
    "pass {column: value} or a DataFrame for a single table, or {root_table: {column: value}} "
    "/ {root_table: DataFrame} for a schema"
)


@dataclass
class TableConditions:
    """Checked conditions of one root table (``str`` column labels, as the plan has them)."""

    table: str
    columns: list[str]
    values: dict[str, Any] | None = None
    """One value per column, for every row."""
    frame: pd.DataFrame | None = None
    """One row of values per output row."""

    @property
    def rows(self) -> int | None:
        """Rows the table must get (``None``: as many as asked by ``n``/``scale``/``rows``)."""
        return None if self.frame is None else len(self.frame)

    def distinct(self, column: str) -> list[Any]:
        """Distinct values asked for ``column`` (nulls as ``None``)."""
        if self.values is not None:
            return [self.values[column]]
        assert self.frame is not None
        return [_native(v) for v in self.frame[column].drop_duplicates()]

    @property
    def ranges(self) -> dict[str, Between]:
        """The range conditions, by column."""
        return {c: v for c, v in (self.values or {}).items() if isinstance(v, Between)}

    def apply(self, frame: pd.DataFrame, start: int) -> None:
        """Set the conditioned columns of ``frame`` (rows ``start...``) to the given values,
        in the dtype the model gave them where the values allow it (a range keeps the model's
        values, which lie in it)."""
        n = len(frame)
        ranges = self.ranges
        for col in self.columns:
            if col in ranges:  # the model's values; a number rounded past a bound comes back
                if col in frame.columns and pd.api.types.is_float_dtype(frame[col].dtype):
                    frame[col] = frame[col].clip(float(ranges[col].low), float(ranges[col].high))
                continue
            if self.values is not None:
                given = pd.Series([self.values[col]] * n, dtype=object)
            else:
                assert self.frame is not None
                given = self.frame[col].iloc[start : start + n].reset_index(drop=True)
            given.index = frame.index
            if col in frame.columns:
                try:
                    cast = given.astype(frame[col].dtype)
                except (TypeError, ValueError):
                    cast = given
                if int(cast.isna().sum()) == int(given.isna().sum()):  # nothing lost
                    given = cast
            frame[col] = given

    def sample(self, model: GenerativeModel, n: int, start: int, seed: int) -> pd.DataFrame:
        """``n`` model rows for condition rows ``start...``: one call per distinct combination."""
        return self.sample_at(model, np.arange(start, start + n, dtype=np.int64), seed)

    def sample_at(self, model: GenerativeModel, positions: np.ndarray, seed: int) -> pd.DataFrame:
        """Model rows for the condition rows at ``positions`` (e.g. rows to draw again)."""
        if self.values is not None:
            ranges = self.ranges
            if (ranges and not model.supports_range_conditions) or not model.supports_conditions:
                return self._filtered(model, len(positions), dict(self.values), seed)
            return model.sample(len(positions), conditions=dict(self.values), seed=seed)
        assert self.frame is not None
        part = self.frame.iloc[positions].reset_index(drop=True)
        codes = part.groupby(self.columns, sort=False, dropna=False, observed=True).ngroup()
        codes_arr = codes.to_numpy(dtype=np.int64)
        order = np.argsort(codes_arr, kind="stable")
        bounds = np.cumsum(np.bincount(codes_arr))
        pieces: list[pd.DataFrame] = []
        begin = 0
        for g, end in enumerate(bounds):
            rows = order[begin:end]
            begin = int(end)
            first = int(rows[0])
            wanted = {c: _native(part[c].iloc[first]) for c in self.columns}
            group_seed = int(
                np.random.SeedSequence([seed, g]).generate_state(1, dtype=np.uint64)[0] >> 2
            )
            if model.supports_conditions:
                piece = model.sample(len(rows), conditions=wanted, seed=group_seed)
            else:
                piece = self._filtered(model, len(rows), wanted, group_seed)
            pieces.append(piece.set_axis(pd.Index(rows)))
        return pd.concat(pieces).sort_index().reset_index(drop=True)

    def _filtered(
        self, model: GenerativeModel, n: int, wanted: dict[str, Any], seed: int
    ) -> pd.DataFrame:
        """``n`` rows holding ``wanted`` from a model that cannot take some of it (ranges, or
        any condition): drawn in growing batches, the other rows dropped; at most
        :data:`RANGE_ROUNDS` batches. Exact values go to a model that takes conditions."""
        native = model.supports_conditions
        exact = {c: v for c, v in wanted.items() if not isinstance(v, Between)}
        given = (exact or None) if native else None
        checks = {c: v for c, v in wanted.items() if isinstance(v, Between) or not native}
        kept: list[pd.DataFrame] = []
        have, drawn, rate = 0, 0, 1.0
        for round_ in range(RANGE_ROUNDS):
            want = n - have
            batch = min(max(int(want / max(rate, 1e-3) * 1.2) + 16, 64), 50 * n + 64)
            rows = model.sample(batch, conditions=given, seed=seed + round_)
            inside = np.ones(len(rows), dtype=bool)
            for col, value in checks.items():
                inside &= _holds(value, rows[col])
            drawn += len(rows)
            have += int(inside.sum())
            kept.append(rows[inside])
            rate = max(have / drawn, 1e-4)
            if have >= n:
                return pd.concat(kept, ignore_index=True).iloc[:n].reset_index(drop=True)
            if not native and have == 0 and drawn >= NEVER_DRAWN:
                break
        if native:
            shown = {c: (r.low, r.high) for c, r in checks.items()}
            raise DataError(
                f"only {have} of {drawn} rows model {model.name!r} drew fell in the range(s) "
                f"{shown}; {n} were needed",
                table=self.table,
                column=next(iter(checks)),
                fix="widen the range, or use a model that samples inside ranges (gaussian_copula)",
            )
        shown = {c: (v.low, v.high) if isinstance(v, Between) else v for c, v in checks.items()}
        raise DataError(
            f"only {have} of {drawn} rows model {model.name!r} drew (it takes no conditions: "
            f"rows are drawn and kept when they match) hold {shown}; {n} were needed",
            table=self.table,
            column=next(iter(checks)),
            fix="ask for values the table holds (this one is rarer than the rows drawn, or "
            "absent), or fit the table with a model that takes conditions (gaussian_copula)",
        )


RANGE_ROUNDS = 30
"""Batches drawn at most for range conditions on a model that cannot take them."""
NEVER_DRAWN = 20_000
"""Rows drawn without one match after which a model without conditions gives up on a value."""


def _holds(value: Any, column: pd.Series) -> np.ndarray:
    """Rows of ``column`` that satisfy one condition value (a range, a null or a value; exact
    values are categorical, boolean or discrete: others are refused before sampling)."""
    if isinstance(value, Between):
        return value.holds(column)
    if value is None:
        return column.isna().to_numpy(dtype=bool)
    return (column.astype(object) == value).to_numpy(dtype=bool)


def _native(value: Any) -> Any:
    """A plain Python value for a model (nulls as ``None``)."""
    if value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value))):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def resolve_conditions(
    fitted: FittedSchema, conditions: Any
) -> tuple[dict[str, TableConditions], bool]:
    """Checked conditions per root table, and whether they came in the single-table form.

    Raises ``DataError`` (table/column named) for a non-root or copied table, a key or
    PII/text column, an unknown column, or a model without conditions support. Values are
    checked by :func:`check_values`.
    """
    tables = fitted.order
    single = fitted.single or len(tables) == 1
    roots = graph.roots(fitted.metadata)
    if isinstance(conditions, pd.DataFrame):
        if not single:
            raise DataError(
                f"a conditions DataFrame needs a single-table synthesizer; tables: {tables}",
                fix=f"name the root table: conditions={{{roots[0]!r}: frame}}",
            )
        per_table: dict[str, Any] = {tables[0]: conditions}
        bare = True
    elif isinstance(conditions, Mapping):
        by_table = bool(conditions) and all(
            str(k) in tables and isinstance(v, Mapping | pd.DataFrame)
            for k, v in conditions.items()
        )
        if by_table:
            per_table, bare = {str(k): v for k, v in conditions.items()}, False
        elif single:
            per_table, bare = {tables[0]: conditions}, True
        else:
            raise DataError(
                f"conditions for a schema map root table names to conditions; got keys "
                f"{[str(k) for k in conditions][:10]}, tables are {tables}",
                fix='pass e.g. conditions={"customers": {"segment": "retail"}} (roots: '
                f"{roots})",
            )
    else:
        raise DataError(
            f"conditions must be a mapping or a DataFrame, got {type(conditions).__name__}",
            fix=_FORM,
        )
    out: dict[str, TableConditions] = {}
    for name, given in per_table.items():
        _check_table(fitted, name)
        checked = _table_conditions(fitted, name, given)
        _check_model(fitted, checked)
        out[name] = checked
    return out, bare


def check_values(fitted: FittedSchema, conditions: Mapping[str, TableConditions]) -> None:
    """Each asked value is one the table's model can be conditioned on (one 1-row draw per
    distinct value): the model's ``UnknownConditionValueError``/``DataError`` before sampling."""
    for name, cond in conditions.items():
        model = fitted.models[name]
        if model.context_table is not None:
            continue  # a root's model has no context; nothing to probe with otherwise
        for col in cond.columns:
            for value in cond.distinct(col):
                if not model.supports_conditions or (
                    isinstance(value, Between) and not model.supports_range_conditions
                ):
                    continue  # sampled and filtered: no value to probe
                try:
                    model.sample(1, conditions={col: value}, seed=0)
                except UnknownConditionValueError as exc:
                    note = ""
                    if fitted.rare_categories.get(name, {}).get(col):
                        threshold = fitted.options.rare_category_threshold
                        note = (
                            f"; categories seen in fewer than {threshold} "
                            f"rows were merged into {RARE_TOKEN!r} at fit"
                        )
                    raise UnknownConditionValueError(
                        f"{exc.bare_message}{note}",
                        table=name,
                        column=col,
                        fix=exc.fix or "use one of the listed values",
                    ) from None


def condition_rows(
    root_rows: dict[str, int],
    conditions: Mapping[str, TableConditions],
    *,
    n: int | None,
    rows: Mapping[str, int] | None,
) -> dict[str, int]:
    """``root_rows`` with a condition frame's row count for its table (conflicts refused)."""
    out = dict(root_rows)
    for name, cond in conditions.items():
        want = cond.rows
        if want is None:
            continue
        asked = (rows or {}).get(name)
        if asked is None and n is not None and len(root_rows) == 1:
            asked = n
        if asked is not None and int(asked) != want:
            raise DataError(
                f"{asked} rows asked but the conditions DataFrame has {want} rows (one output "
                "row per condition row)",
                table=name,
                fix="leave n/rows out for this table, or pass that many condition rows",
            )
        out[name] = want
    return out


def _check_table(fitted: FittedSchema, name: str) -> None:
    meta = fitted.metadata
    if name not in fitted.plans:
        raise DataError(
            f"conditions name an unknown table; tables: {fitted.order}", table=name, fix=_FORM
        )
    parents = sorted({fk.parent for fk in meta.parents(name) if fk.parent != name})
    if parents:
        roots = _roots_above(fitted, name)
        raise DataError(
            f"conditions apply to root tables only: rows of this child table follow their "
            f"parent rows {parents} (generated for, and conditioned on, each generated parent)",
            table=name,
            fix=f"condition the root table(s) {roots}; the children of the conditioned rows "
            "follow them",
        )
    plan = fitted.plans[name]
    if plan.strategy == "copy":
        raise DataError(
            "the table is copied as reference data (strategy 'copy'): its rows are kept as "
            "they are and cannot be conditioned",
            table=name,
            fix=f"fit with table_params={{{name!r}: {{'strategy': 'model'}}}} to learn it, "
            "or filter the copied rows after sampling",
        )


def _roots_above(fitted: FittedSchema, name: str) -> list[str]:
    """Root tables ``name`` descends from."""
    roots = set(graph.roots(fitted.metadata))
    seen, todo, found = {name}, [name], set()
    while todo:
        for fk in fitted.metadata.parents(todo.pop()):
            if fk.parent not in seen:
                seen.add(fk.parent)
                if fk.parent in roots:
                    found.add(fk.parent)
                else:
                    todo.append(fk.parent)
    return sorted(found)


def _table_conditions(fitted: FittedSchema, name: str, given: Any) -> TableConditions:
    plan = fitted.plans[name]
    labels = _label_map(plan)
    if isinstance(given, pd.DataFrame):
        if len(given.columns) == 0 or len(given) == 0:
            raise DataError(
                f"the conditions DataFrame has {len(given)} rows and {len(given.columns)} "
                "columns; it needs at least one of each",
                table=name,
                fix="pass one row per wanted output row, one column per fixed column",
            )
        columns = [_column(plan, name, labels, c) for c in given.columns]
        if len(set(columns)) != len(columns):
            raise DataError(
                f"the conditions DataFrame repeats a column: {list(given.columns)}", table=name
            )
        frame = given.set_axis(pd.Index(columns), axis=1).reset_index(drop=True)
        if any(isinstance(v, Between) for v in frame.to_numpy().ravel()):
            raise DataError(
                "a conditions DataFrame holds values, not ranges",
                table=name,
                fix="give ranges as {column: Between(low, high)} for every row",
            )
        return TableConditions(name, columns, frame=frame)
    if not isinstance(given, Mapping) or not given:
        raise DataError(
            f"conditions of a table must be a non-empty mapping or a DataFrame, got {given!r}",
            table=name,
            fix=_FORM,
        )
    values: dict[str, Any] = {}
    for label, value in given.items():
        col = _column(plan, name, labels, label)
        if col in values:
            raise DataError("the conditions name the column twice", table=name, column=col)
        if isinstance(value, Between):
            values[col] = value
            continue
        if not (value is None or pd.api.types.is_scalar(value)):
            raise DataError(
                f"a condition value must be a single value, got {type(value).__name__}",
                table=name,
                column=col,
                fix="use a DataFrame (one condition row per output row) for varying values",
            )
        values[col] = _native(value)
    return TableConditions(name, list(values), values=values)


def _label_map(plan: TablePlan) -> dict[Any, str]:
    out: dict[Any, str] = {label: label for label in plan.labels}
    out.update(zip(plan.original_labels(), plan.labels, strict=True))
    return out


def _column(plan: TablePlan, table: str, labels: dict[Any, str], label: Any) -> str:
    """The plan label of a conditioned column; typed errors for keys, PII and unknowns."""
    try:
        col = labels.get(label)
    except TypeError:  # an unhashable label
        col = None
    keep = set(plan.modelled)
    modelled = [o for c, o in zip(plan.labels, plan.original_labels(), strict=True) if c in keep]
    if col is None:
        raise DataError(
            f"conditions name an unknown column {label!r}; columns that can be conditioned: "
            f"{modelled}",
            table=table,
            column=str(label),
            fix="use one of the listed column names",
        )
    if col in plan.filled:
        raise DataError(
            "a PII/text column is never modelled (fake values are filled by providers), so it "
            "cannot be conditioned",
            table=table,
            column=col,
            fix=f"condition on modelled columns {modelled}, and set the column after sampling",
        )
    if col not in plan.modelled:
        raise DataError(
            "a key column is generated (unique primary keys, foreign keys pointing at "
            "generated parents), never modelled, so it cannot be conditioned",
            table=table,
            column=col,
            fix=f"condition on modelled columns {modelled}",
        )
    return col


def _check_model(fitted: FittedSchema, cond: TableConditions) -> None:
    """The table has a model (one without conditions is sampled and filtered), and its
    constraints allow the conditioned columns."""
    name = cond.table
    plan = fitted.plans[name]
    model = fitted.models.get(name)
    if model is None:
        raise DataError(
            f"the table has no model to condition (learned from {plan.n_rows} rows)",
            table=name,
            fix="fit on data with rows for this table",
        )
    if plan.constraints:
        from synthohive.constraints.apply import check_conditions

        check_conditions(name, plan.constraints, cond.columns)
