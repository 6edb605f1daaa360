"""Drawing a chunk's modelled rows from a table's model.

The rows get their parents' context columns (when the model is conditioned on them), are
drawn step by step for an ordered sequence (:mod:`~synthohive.synthesizer.sequences`), keep
the values of conditions (:mod:`~synthohive.synthesizer.conditions`) and have the table's
constraints undone; rows a rejecting constraint (``unique``) refuses are drawn again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from synthohive.constraints.apply import reverse_constraints
from synthohive.constraints.columns import _numeric
from synthohive.constraints.crosstable import RelatedConstraint
from synthohive.errors import ConstraintError
from synthohive.synthesizer.sequences import (
    SequenceState,
    parent_start_span,
    sample_sequence,
    sequence_columns,
)

if TYPE_CHECKING:
    from synthohive.constraints.base import Constraint
    from synthohive.models.base import GenerativeModel
    from synthohive.synthesizer.conditions import TableConditions
    from synthohive.synthesizer.plan import TablePlan

_REJECT_ROUNDS = 20


class ModelDraws:
    """Draws the modelled columns of one table's chunks."""

    def __init__(
        self,
        plan: TablePlan,
        model: GenerativeModel | None,
        constraints: list[Constraint],
        conditions: TableConditions | None = None,
    ) -> None:
        self.name = plan.name
        self.plan = plan
        self.model = model
        self.constraints = constraints
        self.related = [c for c in constraints if isinstance(c, RelatedConstraint)]
        self.conditions = conditions

    def sample(
        self,
        n: int,
        parent_chunk: pd.DataFrame | None,
        parent_pos: np.ndarray | None,
        rng: np.random.Generator,
        start: int = 0,
    ) -> pd.DataFrame | None:
        """The modelled columns of ``n`` rows (``None`` when the table has no model): with
        their parents' context, step by step for an ordered sequence, conditions kept and
        constraints undone (rows a rejecting constraint refuses drawn again)."""
        model = self.model
        if model is None:
            return None
        context = None
        if model.context_table is not None and parent_chunk is not None and parent_pos is not None:
            pos = parent_pos.copy()
            null = pos < 0
            if null.any():
                pos[null] = rng.integers(0, len(parent_chunk), size=int(null.sum()))
            context = parent_chunk[self.plan.context_columns].iloc[pos].reset_index(drop=True)
        if self.plan.sequence is not None:
            return self._sample_sequence(model, n, context, parent_chunk, parent_pos, rng)
        positions = np.arange(start, start + n, dtype=np.int64)
        parents = self._parent_values(n, parent_chunk, parent_pos)
        out = self._draw(model, positions, context, rng, parents)
        rejecting = [c for c in self.constraints if c.rejects]
        if rejecting:
            out = self._redraw(model, out, positions, context, rng, rejecting, parents)
        return out

    def _sample_sequence(
        self,
        model: Any,
        n: int,
        context: pd.DataFrame | None,
        parent_chunk: pd.DataFrame | None,
        parent_pos: np.ndarray | None,
        rng: np.random.Generator,
    ) -> pd.DataFrame:
        """One chunk of an ordered sequence table: each parent's rows made step by step."""
        assert self.plan.sequence is not None
        state = SequenceState.from_dict(self.plan.sequence)
        pos = parent_pos if parent_pos is not None else np.full(n, -1, dtype=np.int64)
        ids = pos.astype(np.int64).copy()
        null = ids < 0  # rows without a parent: one-row sequences of their own
        ids[null] = (len(parent_chunk) if parent_chunk is not None else 0) + np.arange(null.sum())
        rel = self.plan.context_relation
        assert rel is not None
        start_col, span_col = sequence_columns(rel)
        if parent_chunk is not None and len(parent_chunk):
            # rows without a parent take a random parent's sequence frame
            take = np.where(null, rng.integers(0, len(parent_chunk), size=n), pos)
            start_raw = parent_chunk[start_col].to_numpy(dtype="float64", na_value=np.nan)[take]
            span_raw = parent_chunk[span_col].to_numpy(dtype="float64", na_value=np.nan)[take]
            anchor = None
            if state.anchor is not None:
                values, _ = _numeric(parent_chunk[state.anchor], self.name, state.anchor_fmt)
                anchor = values[take]
        else:
            start_raw = span_raw = np.full(n, np.nan)
            anchor = None if state.anchor is None else np.full(n, np.nan)
        start, span = parent_start_span(start_raw, span_raw, anchor, state)
        if model.context_table is None:
            context = None
        elif context is None:  # no parent rows to draw context from: the sequence's own only
            context = pd.DataFrame(index=pd.RangeIndex(n))
        out = sample_sequence(model, n, context, ids, start, span, state, rng)
        parents = self._parent_values(n, parent_chunk, parent_pos)
        if parents is not None:
            out = pd.concat([out, parents.reset_index(drop=True)], axis=1)
        return reverse_constraints(self.constraints, out) if self.constraints else out

    def _parent_values(
        self, n: int, parent_chunk: pd.DataFrame | None, parent_pos: np.ndarray | None
    ) -> pd.DataFrame | None:
        """The parent columns the table's rules read, per row (null for rows without parent)."""
        wanted = {a: c for rule in self.related for a, c in rule.parent_values().items()}
        if not wanted:
            return None
        out = pd.DataFrame(index=pd.RangeIndex(n))
        for alias, column in wanted.items():
            if parent_chunk is None or parent_pos is None or not len(parent_chunk):
                out[alias] = pd.Series([None] * n, dtype=object)
                continue
            has = parent_pos >= 0
            values = parent_chunk[column].iloc[np.where(has, parent_pos, 0)].reset_index(drop=True)
            out[alias] = values.where(pd.Series(has), None) if not has.all() else values
        return out

    def _draw(
        self,
        model: Any,
        positions: np.ndarray,
        context: pd.DataFrame | None,
        rng: np.random.Generator,
        parents: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Model rows (condition rows ``positions``, or with ``context``), constraints undone
        (``parents``: the parent values the rules read, row-aligned)."""
        seed = int(rng.integers(0, 2**62))
        if self.conditions is not None:  # a root table: no context
            out = self.conditions.sample_at(model, positions, seed).reset_index(drop=True)
        else:
            out = model.sample(len(positions), context=context, seed=seed).reset_index(drop=True)
        if parents is not None:
            out = pd.concat([out, parents.reset_index(drop=True)], axis=1)
        return reverse_constraints(self.constraints, out) if self.constraints else out

    def _redraw(
        self,
        model: Any,
        out: pd.DataFrame,
        positions: np.ndarray,
        context: pd.DataFrame | None,
        rng: np.random.Generator,
        rejecting: list[Any],
        parents: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Draw again the rows a rejecting constraint (``unique``) refuses, same context and
        conditions, at most ``_REJECT_ROUNDS`` times; then fail with a clear error."""
        for _ in range(_REJECT_ROUNDS):
            keep = np.ones(len(out), dtype=bool)
            for constraint in rejecting:
                keep &= constraint.keep(out).to_numpy()
            bad = np.flatnonzero(~keep)
            if not len(bad):
                break
            ctx = None if context is None else context.iloc[bad].reset_index(drop=True)
            pts = None if parents is None else parents.iloc[bad].reset_index(drop=True)
            again = self._draw(model, positions[bad], ctx, rng, pts)
            for col in out.columns:
                out.loc[bad, col] = again[col].to_numpy()
        else:
            keep = np.ones(len(out), dtype=bool)
            for constraint in rejecting:
                keep &= constraint.keep(out).to_numpy()
            if not keep.all():
                names = ", ".join(c.describe() for c in rejecting)
                raise ConstraintError(
                    f"{int((~keep).sum())} of {len(out)} generated rows still break {names} "
                    f"after {_REJECT_ROUNDS} redraws: the model makes too few distinct values",
                    table=self.name,
                    fix="drop the rule, or make the column a key or PII column (generated "
                    "unique by construction)",
                )
        for constraint in rejecting:
            constraint.accept(out)
        return out
