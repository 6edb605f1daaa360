"""The constraint contract: a business rule on one table, exact by construction.

A constraint rewrites some of a table's columns before the model sees them
(:meth:`Constraint.transform`) so that whatever row the model generates maps back
(:meth:`Constraint.reverse`) to a row that satisfies the rule - no rejection, no clipping of
rows. ``high >= low`` becomes a model of ``log(high - low)``; a fixed set of combinations
becomes one categorical column; a row total becomes the sum of its parts. Any model, built-in
or third-party, then generates valid rows without knowing about constraints.

A subclass sets ``name`` (its registry key), a pydantic ``Params`` model (the JSON parameters
stored in the metadata and the model file, never code) and implements ``columns``,
``fit``, ``transform``, ``reverse``, ``is_valid`` and, when it keeps learned state, ``state``
and ``load_state`` (JSON values). Register it with the ``register_constraints`` hook.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from synthohive.errors import ConstraintError

if TYPE_CHECKING:
    from synthohive.metadata.schema import Column


class ConstraintParams(BaseModel):
    """Base of a constraint's parameters (unknown keys are refused)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Constraint(ABC):
    """One rule on the rows of ``table``; see the module."""

    name: ClassVar[str]
    Params: ClassVar[type[ConstraintParams]] = ConstraintParams
    checks_against_real: ClassVar[bool] = False
    """Whether :meth:`is_valid` needs :meth:`fit` on real rows first (e.g. combinations)."""

    def __init__(self, table: str, params: dict[str, Any] | None = None) -> None:
        self.table = table
        try:
            self.params = self.Params.model_validate(params or {})
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'params'}: {e['msg']}"
                for e in exc.errors()
            )
            raise ConstraintError(
                f"invalid parameters for constraint {self.name!r}: {problems}",
                table=table,
                fix=f"valid parameters: {', '.join(self.Params.model_fields) or 'none'}",
            ) from None

    # --- what a constraint is made of ---------------------------------------------------------
    @abstractmethod
    def columns(self) -> list[str]:
        """The columns the rule reads (all must be modelled columns of the table)."""

    def rewrites(self) -> list[str]:
        """The columns :meth:`transform` replaces (default: all of :meth:`columns`). A rule
        that derives one column from others (``sum``, ``formula``) rewrites only that one,
        so its inputs may carry a rule of their own; it is applied before those rules."""
        return self.columns()

    # --- rejection: the last resort, for rules no transform can make exact ---------------------
    rejects: ClassVar[bool] = False
    """Whether generated rows can still break the rule after :meth:`reverse`; the synthesizer
    then redraws the rows :meth:`keep` refuses, within a bounded budget."""

    def keep(self, data: pd.DataFrame) -> pd.Series:
        """Which generated rows to keep, given the rows kept so far in this run (default: all)."""
        return pd.Series(True, index=data.index)

    def accept(self, data: pd.DataFrame) -> None:  # noqa: B027 - optional hook
        """Remember rows that were kept (e.g. the values a ``unique`` rule has used)."""

    def fit(self, data: pd.DataFrame) -> None:
        """Learn what :meth:`transform` needs; raise :class:`ConstraintError` when real rows
        break the rule (the share and an example), since a model cannot learn a rule the data
        does not follow."""
        bad = ~self.is_valid(data)
        if bad.any():
            first = data[self.columns()][bad].iloc[0].to_dict()
            raise ConstraintError(
                f"{int(bad.sum())} of {len(data)} real rows break constraint {self.describe()} "
                f"(e.g. {first})",
                table=self.table,
                fix="clean those rows, or drop the constraint",
            )

    @abstractmethod
    def transform(self, data: pd.DataFrame) -> pd.DataFrame:
        """Real rows -> the columns the model learns (a new frame)."""

    @abstractmethod
    def reverse(self, data: pd.DataFrame) -> pd.DataFrame:
        """Generated rows -> rows in the table's columns that satisfy the rule (a new frame)."""

    @abstractmethod
    def is_valid(self, data: pd.DataFrame) -> pd.Series:
        """Whether each row satisfies the rule (rows with nulls in its columns count as valid
        unless the rule says otherwise)."""

    def bind_columns(self, columns: dict[str, Column]) -> None:  # noqa: B027 - optional hook
        """See the table's column metadata before use (e.g. date formats); default: nothing."""

    def model_columns(self, columns: dict[str, Column]) -> dict[str, Column]:
        """Column metadata after :meth:`transform` (default: unchanged)."""
        return columns

    def state(self) -> dict[str, Any]:
        """JSON-safe learned state (default: none)."""
        return {}

    def load_state(self, state: dict[str, Any]) -> None:  # noqa: B027 - optional hook
        """Restore what :meth:`state` returned (default: nothing to restore)."""

    def describe(self) -> str:
        """One line for errors, logs and ``explain()``."""
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.model_dump().items())
        return f"{self.name}({args})"
