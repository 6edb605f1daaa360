"""Rules between a parent table and its children, exact by construction like the others.

==================== =========================================== ==============================
name                 parameters                                  how it holds
==================== =========================================== ==============================
``child_count``      on the parent: ``child``, ``column``,       the column is the number of
                     ``via``                                     children the synthesizer makes
                                                                 for the row (it already learns
                                                                 that number); the model never
                                                                 sees the column
``child_sum``        on the parent: ``child``, ``column`` (of    the children of each chunk of
                     the child), ``total``, ``via``              parents are made first and the
                                                                 total is their sum; the model
                                                                 never sees the total
``after_parent``     on the child: ``parent``, ``column``,       the model learns
                     ``parent_column``, ``strict``, ``via``      ``log(column - parent value)``
                                                                 (an ``inequality`` whose low
                                                                 side is the parent's value)
==================== =========================================== ==============================

``via`` names the child's foreign-key columns when the two tables are linked more than once.
``child_sum`` and ``after_parent`` need the relation to be the child's *context* relation (the
parent whose rows drive the child's rows): the synthesizer picks it so unless
``context_parent`` says otherwise, in which case fitting fails with a clear error. A child row
with a null foreign key has no parent and is not constrained.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import Field

from synthohive.constraints.base import Constraint, ConstraintParams
from synthohive.constraints.columns import _SEP, _as, _decimals, _dtype
from synthohive.constraints.inequality import Inequality
from synthohive.errors import ConstraintError

if TYPE_CHECKING:
    from synthohive.metadata.schema import Column, Metadata
    from synthohive.synthesizer.plan import TablePlan


def child_sums(
    parent: pd.DataFrame,
    parent_columns: list[str],
    child: pd.DataFrame,
    child_columns: list[str],
    column: str,
) -> np.ndarray:
    """For each parent row, the sum of ``column`` over the child rows that reference it
    (nulls count as 0; a parent without children sums to 0)."""
    from synthohive.synthesizer.cardinality import align_keys, canon_keys

    if len(parent) == 0:
        return np.zeros(0)
    keys = align_keys(child[child_columns].reset_index(drop=True), parent, parent_columns)
    values = pd.to_numeric(child[column], errors="coerce").reset_index(drop=True).fillna(0.0)
    keys["__sum__"] = values.astype("float64").to_numpy()
    sums = keys.dropna(subset=parent_columns).groupby(parent_columns, sort=False)["__sum__"].sum()
    left = canon_keys(parent[parent_columns].reset_index(drop=True))
    merged = left.merge(sums.reset_index(), on=parent_columns, how="left")
    return merged["__sum__"].fillna(0.0).to_numpy(dtype="float64")


def parent_lookup(
    child_keys: pd.DataFrame, parent: pd.DataFrame, parent_columns: list[str], column: str
) -> pd.Series:
    """``parent[column]`` for each child row (null where the key is null or unknown)."""
    from synthohive.synthesizer.cardinality import align_keys, canon_keys

    left = align_keys(child_keys.reset_index(drop=True), parent, parent_columns)
    keys = canon_keys(parent[parent_columns].reset_index(drop=True))
    keys = keys.assign(__pos__=np.arange(len(keys))).drop_duplicates(subset=parent_columns)
    pos = left.merge(keys, on=parent_columns, how="left")["__pos__"]
    pos_arr = pos.to_numpy(dtype="float64", na_value=np.nan)
    found = ~np.isnan(pos_arr)
    values = parent[column].reset_index(drop=True)
    if not len(values):
        return pd.Series([None] * len(left), dtype=object)
    out = values.iloc[np.where(found, pos_arr, 0).astype(np.int64)].reset_index(drop=True)
    return out.where(pd.Series(found), None) if not found.all() else out


class RelatedConstraint(Constraint):
    """A rule over one foreign-key relation. On top of :class:`Constraint`, the synthesizer
    calls :meth:`bind_metadata` (find the relation), :meth:`bind_plans` (check it can hold
    the rule when generating) and the generation hooks below; the report calls
    :meth:`is_valid_in` with every table."""

    relation: int = -1

    def related(self) -> dict[str, list[str]]:
        """Columns of the other table the rule reads, as ``{table: [columns]}``."""
        return {}

    def find_relation(
        self, metadata: Metadata, child: str, parent: str, via: list[str] | None
    ) -> int:
        """The index of the relation ``child -> parent`` (through ``via`` when given)."""
        found = [
            i
            for i, fk in enumerate(metadata.relations)
            if fk.child == child
            and fk.parent == parent
            and child != parent
            and (via is None or list(fk.child_columns) == list(via))
        ]
        if not found:
            raise ConstraintError(
                f"constraint {self.describe()} needs a foreign key from {child!r} to "
                f"{parent!r}{f' through {via}' if via else ''}; the metadata has none",
                table=self.table,
                fix="add the relation (Metadata.add_foreign_key) or name the right tables",
            )
        if len(found) > 1:
            options = [metadata.relations[i].child_columns for i in found]
            raise ConstraintError(
                f"constraint {self.describe()}: {child!r} references {parent!r} through "
                f"several keys {options}",
                table=self.table,
                fix="say which with via=[the child's foreign-key columns]",
            )
        return found[0]

    def bind_metadata(self, metadata: Metadata) -> None:
        """Find the relation; raise :class:`ConstraintError` when it is missing or ambiguous."""

    def bind_plans(self, metadata: Metadata, plans: Mapping[str, TablePlan]) -> None:
        """Check that the fitted plans let the rule hold (e.g. the context relation)."""

    def check_real(self, metadata: Metadata, frames: Mapping[str, pd.DataFrame]) -> None:
        """Raise :class:`ConstraintError` when the real tables break the rule."""
        bad = ~self.is_valid_in(frames, metadata)
        if bad.any():
            raise ConstraintError(
                f"{int(bad.sum())} of {len(bad)} real rows break constraint {self.describe()}",
                table=self.table,
                fix="clean those rows, or drop the constraint",
            )

    def is_valid_in(self, tables: Mapping[str, pd.DataFrame], metadata: Metadata) -> pd.Series:
        """Whether each row of ``tables[self.table]`` satisfies the rule."""
        return self.is_valid(tables[self.table])

    def parent_values(self) -> dict[str, str]:
        """Parent columns the rule reads on the child's rows: ``{name in the frame: parent
        column}``, joined over the context relation before fit and before :meth:`reverse`."""
        return {}

    def after_counts(self, frame: pd.DataFrame, counts: Mapping[int, np.ndarray]) -> None:
        """On a generated parent chunk, once the number of children per row is final."""

    def children_first(self) -> str | None:
        """A child table to generate with each chunk of this table, before it is written."""
        return None

    def from_children(self, frame: pd.DataFrame, children: list[pd.DataFrame]) -> None:
        """Fill this table's chunk from its children made by :meth:`children_first`."""

    def _fk(self, metadata: Metadata) -> Any:
        return metadata.relations[self.relation]

    def _needs_context(self, plans: Mapping[str, TablePlan], child: str, parent: str) -> None:
        if plans[child].context_relation != self.relation:
            raise ConstraintError(
                f"constraint {self.describe()} needs {parent!r} to drive {child!r}'s rows, "
                "but another parent does",
                table=self.table,
                fix=f"pass context_parent={{{child!r}: {parent!r}}} to the Synthesizer",
            )


# --- child_count ------------------------------------------------------------------------------
class ChildCountParams(ConstraintParams):
    child: str
    column: str = Field(description="the parent's column holding its number of children")
    via: list[str] | None = None


class ChildCount(RelatedConstraint):
    """A parent's ``column`` equals its number of rows in ``child`` (``customers.n_orders``)."""

    name = "child_count"
    Params = ChildCountParams
    params: ChildCountParams

    def columns(self) -> list[str]:
        return [self.params.column]

    def related(self) -> dict[str, list[str]]:
        return {self.params.child: list(self.params.via or [])}

    def bind_metadata(self, metadata: Metadata) -> None:
        self.relation = self.find_relation(metadata, self.params.child, self.table, self.params.via)

    def bind_plans(self, metadata: Metadata, plans: Mapping[str, TablePlan]) -> None:
        self.count_column = plans[self.table].count_columns[self.relation]

    def is_valid(self, data: pd.DataFrame) -> pd.Series:
        if getattr(self, "count_column", None) not in data:
            return pd.Series(True, index=data.index)  # one table alone cannot tell
        given = data[self.params.column].to_numpy(dtype="float64", na_value=np.nan)
        made = data[self.count_column].to_numpy(dtype="float64", na_value=np.nan)
        return pd.Series(given == made, index=data.index)

    def is_valid_in(self, tables: Mapping[str, pd.DataFrame], metadata: Metadata) -> pd.Series:
        from synthohive.synthesizer.cardinality import children_per_parent

        fk = metadata.relations[
            self.find_relation(metadata, self.params.child, self.table, self.params.via)
        ]
        parent = tables[self.table]
        counts = children_per_parent(parent, fk.parent_columns, tables[fk.child], fk.child_columns)
        given = parent[self.params.column].to_numpy(dtype="float64", na_value=np.nan)
        return pd.Series(given == counts, index=parent.index)

    def fit(self, data: pd.DataFrame) -> None:
        super().fit(data)
        self.dtype = str(data[self.params.column].dtype)

    def transform(self, data: pd.DataFrame) -> pd.DataFrame:
        return data.drop(columns=[self.params.column])

    def reverse(self, data: pd.DataFrame) -> pd.DataFrame:
        out = data.copy()
        made = np.clip(
            np.rint(data[self.count_column].to_numpy(dtype="float64", na_value=0)), 0, None
        )
        out[self.params.column] = made  # final value set by after_counts
        return out

    def after_counts(self, frame: pd.DataFrame, counts: Mapping[int, np.ndarray]) -> None:
        made = counts[self.relation].astype("float64")
        frame[self.params.column] = _as(made, _dtype(self.dtype), frame.index, "number").to_numpy()

    def model_columns(self, columns: dict[str, Column]) -> dict[str, Column]:
        return {k: v for k, v in columns.items() if k != self.params.column}

    def state(self) -> dict[str, Any]:
        return {"relation": self.relation, "count_column": self.count_column, "dtype": self.dtype}

    def load_state(self, state: dict[str, Any]) -> None:
        self.relation = int(state.get("relation", -1))
        self.count_column = str(state.get("count_column", ""))
        self.dtype = str(state.get("dtype", "int64"))


# --- child_sum --------------------------------------------------------------------------------
class ChildSumParams(ConstraintParams):
    child: str
    column: str = Field(description="the child's column summed")
    total: str = Field(description="the parent's column holding the sum")
    via: list[str] | None = None


class ChildSum(RelatedConstraint):
    """A parent's ``total`` equals the sum of its children's ``column`` (an invoice total and
    its lines). The children of each chunk of parents are generated before that chunk is
    written, and the total is computed from them: the children keep their learned values."""

    name = "child_sum"
    Params = ChildSumParams
    params: ChildSumParams

    def columns(self) -> list[str]:
        return [self.params.total]

    def related(self) -> dict[str, list[str]]:
        return {self.params.child: [self.params.column, *(self.params.via or [])]}

    def bind_metadata(self, metadata: Metadata) -> None:
        self.relation = self.find_relation(metadata, self.params.child, self.table, self.params.via)

    def bind_plans(self, metadata: Metadata, plans: Mapping[str, TablePlan]) -> None:
        child = self.params.child
        self._needs_context(plans, child, self.table)
        if self.params.column not in plans[child].output_labels:
            raise ConstraintError(
                f"constraint {self.describe()}: {self.params.column!r} is not an output column "
                f"of {child!r}",
                table=self.table,
                fix=f"sum a column of {child!r}",
            )
        self.labels = dict(
            zip(plans[child].output_labels, plans[child].original_output_labels(), strict=True)
        )
        self.fk_columns = list(self._fk(metadata).child_columns)
        self.parent_columns = list(self._fk(metadata).parent_columns)

    def is_valid(self, data: pd.DataFrame) -> pd.Series:
        return pd.Series(True, index=data.index)  # one table alone cannot tell

    def is_valid_in(self, tables: Mapping[str, pd.DataFrame], metadata: Metadata) -> pd.Series:
        fk = metadata.relations[
            self.find_relation(metadata, self.params.child, self.table, self.params.via)
        ]
        parent = tables[self.table]
        sums = child_sums(
            parent, fk.parent_columns, tables[fk.child], fk.child_columns, self.params.column
        )
        total = parent[self.params.total].to_numpy(dtype="float64", na_value=np.nan)
        ok = np.isclose(total, sums, rtol=1e-9, atol=1e-6) | np.isnan(total)
        return pd.Series(ok, index=parent.index)

    def fit(self, data: pd.DataFrame) -> None:
        self.dtype = str(data[self.params.total].dtype)
        self.decimals = _decimals(data[[self.params.total]])

    def transform(self, data: pd.DataFrame) -> pd.DataFrame:
        return data.drop(columns=[self.params.total])

    def reverse(self, data: pd.DataFrame) -> pd.DataFrame:
        out = data.copy()
        out[self.params.total] = 0  # set by from_children
        return out

    def children_first(self) -> str | None:
        return self.params.child

    def from_children(self, frame: pd.DataFrame, children: list[pd.DataFrame]) -> None:
        """``frame`` has the parent's labels (``str``); ``children`` the child's own."""
        column = self.labels[self.params.column]
        keys = [self.labels[c] for c in self.fk_columns]
        if children:
            kids = pd.concat(children, ignore_index=True)
            renamed = kids[keys].set_axis(self.fk_columns, axis=1)
            renamed[column] = kids[column].to_numpy()
            sums = child_sums(frame, self.parent_columns, renamed, self.fk_columns, column)
        else:
            sums = np.zeros(len(frame))
        if self.decimals is not None:
            sums = np.round(sums, self.decimals)
        frame[self.params.total] = _as(sums, _dtype(self.dtype), frame.index, "number").to_numpy()

    def model_columns(self, columns: dict[str, Column]) -> dict[str, Column]:
        return {k: v for k, v in columns.items() if k != self.params.total}

    def state(self) -> dict[str, Any]:
        return {
            "relation": self.relation,
            "dtype": self.dtype,
            "decimals": self.decimals,
            "labels": [[k, v] for k, v in self.labels.items()],
            "fk_columns": self.fk_columns,
            "parent_columns": self.parent_columns,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.relation = int(state.get("relation", -1))
        self.dtype = str(state.get("dtype", "float64"))
        raw = state.get("decimals")
        self.decimals = None if raw is None else int(raw)
        self.labels = {str(k): v for k, v in state.get("labels", [])}
        self.fk_columns = [str(c) for c in state.get("fk_columns", [])]
        self.parent_columns = [str(c) for c in state.get("parent_columns", [])]


# --- after_parent -----------------------------------------------------------------------------
class AfterParentParams(ConstraintParams):
    parent: str
    column: str = Field(description="the child's date or number")
    parent_column: str = Field(description="the parent's date or number it must not precede")
    strict: bool = False
    via: list[str] | None = None


class AfterParent(RelatedConstraint):
    """A child's ``column`` is not before its parent's ``parent_column`` (an order after its
    customer's sign-up; a payment after its invoice), for dates (also as text) or numbers."""

    name = "after_parent"
    Params = AfterParentParams
    params: AfterParentParams

    def __init__(self, table: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(table, params)
        self.inner = Inequality(
            table, {"low": self.alias, "high": self.params.column, "strict": self.params.strict}
        )

    @property
    def alias(self) -> str:
        """The parent's value as a column of the child's frame."""
        return f"{_SEP}parent{_SEP}{self.params.parent_column}"

    def columns(self) -> list[str]:
        return [self.params.column]

    def related(self) -> dict[str, list[str]]:
        return {self.params.parent: [self.params.parent_column]}

    def parent_values(self) -> dict[str, str]:
        return {self.alias: self.params.parent_column}

    def bind_metadata(self, metadata: Metadata) -> None:
        self.relation = self.find_relation(
            metadata, self.table, self.params.parent, self.params.via
        )

    def bind_columns(self, columns: dict[str, Column]) -> None:
        self.inner.bind_columns(columns)

    def bind_plans(self, metadata: Metadata, plans: Mapping[str, TablePlan]) -> None:
        self._needs_context(plans, self.table, self.params.parent)
        parent_col = metadata.tables[self.params.parent].columns[self.params.parent_column]
        self.inner.formats[self.alias] = getattr(parent_col, "format", None)

    def is_valid(self, data: pd.DataFrame) -> pd.Series:
        if self.alias not in data:
            return pd.Series(True, index=data.index)  # one table alone cannot tell
        return self.inner.is_valid(data)

    def is_valid_in(self, tables: Mapping[str, pd.DataFrame], metadata: Metadata) -> pd.Series:
        fk = metadata.relations[
            self.find_relation(metadata, self.table, self.params.parent, self.params.via)
        ]
        child = tables[self.table]
        frame = child[[self.params.column]].copy()
        frame[self.alias] = parent_lookup(
            child[fk.child_columns], tables[fk.parent], fk.parent_columns, self.params.parent_column
        ).to_numpy()
        self.bind_plans_formats(metadata)
        return self.inner.is_valid(frame).set_axis(child.index)

    def bind_plans_formats(self, metadata: Metadata) -> None:
        """Date formats of both columns, from the metadata (for the report)."""
        self.inner.bind_columns(metadata.tables[self.table].columns)
        parent_col = metadata.tables[self.params.parent].columns[self.params.parent_column]
        self.inner.formats[self.alias] = getattr(parent_col, "format", None)

    def fit(self, data: pd.DataFrame) -> None:
        Constraint.fit(self, data)  # real rows breaking the rule: an error naming this rule
        self.inner.fit(data)

    def transform(self, data: pd.DataFrame) -> pd.DataFrame:
        return self.inner.transform(data).drop(columns=[self.alias])

    def reverse(self, data: pd.DataFrame) -> pd.DataFrame:
        return self.inner.reverse(data).drop(columns=[self.alias])

    def model_columns(self, columns: dict[str, Column]) -> dict[str, Column]:
        return self.inner.model_columns(columns)

    def state(self) -> dict[str, Any]:
        return {"relation": self.relation, "inner": self.inner.state()}

    def load_state(self, state: dict[str, Any]) -> None:
        self.relation = int(state.get("relation", -1))
        self.inner.load_state(state.get("inner") or {})


def related_constraints(metadata: Metadata) -> list[RelatedConstraint]:
    """The metadata's rules between tables, built and bound to their relations."""
    from synthohive.metadata.schema import build_constraint

    built = [build_constraint(metadata, spec) for spec in metadata.constraints or []]
    return [c for c in built if isinstance(c, RelatedConstraint)]


def implied_context(metadata: Metadata) -> dict[str, str]:
    """``{child: parent}`` for children whose rules need that parent to drive their rows."""
    out: dict[str, str] = {}
    for rule in related_constraints(metadata):
        if isinstance(rule, ChildSum | AfterParent):
            fk = metadata.relations[rule.relation]
            out[fk.child] = fk.parent
    return out


def derived_from_children(metadata: Metadata, parent: str, child: str) -> set[str]:
    """Columns of ``parent`` computed from its ``child`` rows (``child_sum`` totals): unknown
    when the children are generated, so they cannot condition the child's model."""
    return {
        rule.params.total
        for rule in related_constraints(metadata)
        if isinstance(rule, ChildSum) and rule.table == parent and rule.params.child == child
    }


def order_edges(metadata: Metadata) -> list[tuple[str, str]]:
    """``(before, after)`` pairs the generation order must respect: a ``child_sum`` child is
    made with its parent's chunks, so the child's other parents come before that parent."""
    out: list[tuple[str, str]] = []
    for rule in related_constraints(metadata):
        if isinstance(rule, ChildSum):
            fk = metadata.relations[rule.relation]
            out.extend(
                (other.parent, fk.parent)
                for other in metadata.relations
                if other.child == fk.child and other.parent not in (fk.parent, fk.child)
            )
    return out


CROSS_TABLE_CONSTRAINTS: list[type[Constraint]] = [ChildCount, ChildSum, AfterParent]
