"""Fitting a schema: :func:`fit_schema` turns data into a :class:`FittedSchema`.

Following one row from fit to sample:

1. :func:`~synthohive.synthesizer.inputs.read_input` turns the input (a DataFrame, a dict of
   DataFrames, a connector or a URL) into ``str``-labelled frames and metadata (given, from
   the connector's catalog, or detected).
2. Orphans (foreign keys without a parent) are dropped or nulled, parents first.
3. Per table, :func:`~synthohive.synthesizer.plan.build_plan` splits the columns into keys
   (generated), filled PII/text (never modelled) and modelled columns; each relation adds a
   children-per-parent count column to the parent's model data; a strategy (model, copy,
   independent) is chosen per table.
4. Tables are prepared in topological order (:mod:`~synthohive.synthesizer.prepare`) and
   their models fitted by a runner (:mod:`~synthohive.synthesizer.tasks`); a child's model
   gets its context parent's attributes as context.
5. :func:`~synthohive.synthesizer.streaming.generate` makes rows from the fitted schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synthohive.constraints.crosstable import implied_context, order_edges
from synthohive.errors import DataError
from synthohive.frames import check_frame
from synthohive.log import get_logger
from synthohive.metadata.schema import Metadata, check_sequence
from synthohive.synthesizer import graph
from synthohive.synthesizer.auto import AUTO
from synthohive.synthesizer.dp import check_dp_schema, dp_plan, schema_record, table_budgets
from synthohive.synthesizer.fill import learn_shared_fill
from synthohive.synthesizer.fitted import FittedSchema
from synthohive.synthesizer.inputs import (
    check_keys,
    check_rows,
    read_input,
    validate_metadata,
)
from synthohive.synthesizer.orphans import remove_orphans
from synthohive.synthesizer.plan import TablePlan, build_plan, dropped_columns, scale_to_source
from synthohive.synthesizer.prepare import (
    copied_rows,
    finish_table,
    learning_frame,
    prepare_task,
)
from synthohive.synthesizer.profile import reference_profile
from synthohive.synthesizer.rare import protect_rare_categories
from synthohive.synthesizer.sequences import sort_rows
from synthohive.synthesizer.settings import DEFAULT_MODEL, FitOptions, show_progress
from synthohive.synthesizer.source_stats import learn_children_stats, learn_source_stats
from synthohive.synthesizer.strategy import choose_strategy
from synthohive.synthesizer.tasks import FitTask, Runner, run_fit_task

if TYPE_CHECKING:
    from synthohive.models.base import GenerativeModel
    from synthohive.privacy.dp import DPConfig

log = get_logger(__name__)


def fit_schema(
    metadata: Metadata | None,
    data: Any,
    options: FitOptions | None = None,
    *,
    runner: Runner | None = None,
) -> FittedSchema:
    """Learn ``data`` (a DataFrame, a ``dict`` of DataFrames, a connector or a URL).

    ``metadata`` describes the tables (``None``: the connector's catalog, else detected);
    ``options`` are checked settings (see :func:`~synthohive.synthesizer.settings.
    check_options`). Each table is prepared in order as a :class:`~synthohive.synthesizer.
    tasks.FitTask`; ``runner`` fits the prepared tasks (default: each one right after it is
    prepared, in this process; ``synthohive_spark.fit`` passes one that fits them side by
    side on Spark executors). The same tasks give the same models either way.
    """
    from tqdm.auto import tqdm

    options = options if options is not None else FitOptions()
    read = read_input(data, metadata)
    frames = read.frames
    check_rows(frames)
    frames = {
        name: check_frame(df, name, inf_policy=options.inf_policy) for name, df in frames.items()
    }
    meta = read.metadata
    validate_metadata(meta)
    graph.check_relations(meta)
    dp = getattr(options.privacy, "dp", None)
    if dp is not None:
        check_dp_schema(meta, options.context_parent, options.context_columns)
    order = graph.topological_order(meta, order_edges(meta))
    check_keys(meta, frames)
    frames, orphans = remove_orphans(meta, frames, order, options.orphans)
    for spec in meta.sequences or []:  # one parent's rows together, in index order
        fk = meta.relations[check_sequence(meta, spec)]
        fmt = meta.tables[spec.table].columns[spec.index].format
        frames[spec.table] = sort_rows(frames[spec.table], fk.child_columns, spec.index, fmt)
    check_rows(frames, orphans=orphans)
    shares = {
        i: float(frames[fk.child][fk.child_columns].isna().any(axis=1).mean())
        for i, fk in enumerate(meta.relations)
        if len(frames[fk.child])
    }
    dp_models: dict[str, DPConfig] = {}
    if dp is not None:  # noisy row counts and key null shares; each model gets the rest
        dp_models, dp_rows, shares, dp_records = table_budgets(meta, frames, dp, options.seed)
    ctx_rel = graph.context_relations(meta, _context_parents(meta, options), shares)
    plans = {
        name: build_plan(
            meta,
            name,
            frames[name],
            read.label_types[name],
            ctx_rel.get(name),
            drop=dropped_columns(meta, name, options.privacy),
            locale=getattr(options.privacy, "locale", None),
        )
        for name in order
    }
    _choose_strategies(meta, options, plans)
    scale_to_source(plans, read.source_rows, dp=dp is not None)
    learn_shared_fill(meta, frames, plans)
    learned = {n: p for n, p in plans.items() if p.strategy != "copy"}
    rare: dict[str, dict[str, int]] = {}
    if dp is not None:  # the DP models release categories themselves, with noise
        for plan in plans.values():
            dp_plan(plan, dp_rows[plan.name], shares)
    else:
        frames, rare = protect_rare_categories(
            meta, frames, learned, options.rare_category_threshold
        )
    learn_source_stats(
        meta, plans, frames, read.source_stats, dp=dp is not None, k=options.rare_category_threshold
    )
    learn_children_stats(meta, plans, read.source_stats, dp=dp is not None)
    copies = {}
    models: dict[str, GenerativeModel] = {}
    progress = show_progress(options.progress)
    log.info("synthesizer.fit.start", tables=len(order), relations=len(meta.relations))
    tasks: list[FitTask] = []
    for k, name in enumerate(tqdm(order, desc="fit", unit="table", disable=not progress)):
        plan = plans[name]
        frame_cols = learning_frame(meta, plan, frames)
        if len(frame_cols[0]) == 0:
            log.warning("synthesizer.empty_table", table=name, action="generates no rows")
        if plan.strategy == "copy":
            copies[name] = copied_rows(plan, frames[name], frame_cols[0])
            continue
        dp_model = dp_models.get(name)
        task = prepare_task(
            k, plan, plans, frames, frame_cols, meta=meta, options=options, dp=dp_model
        )
        if task is None:
            continue
        if runner is None:
            models[name] = finish_table(task, plan, run_fit_task(task, progress), dp=dp_model)
        else:
            tasks.append(task)
    if runner is not None and tasks:
        fitted = runner(tasks)
        if len(fitted) != len(tasks):
            raise DataError(
                f"the fit runner returned {len(fitted)} models for {len(tasks)} tables",
                fix="a runner returns one fitted model per task, in the tasks' order",
            )
        for task, model in zip(tasks, fitted):
            models[task.table] = finish_table(
                task, plans[task.table], model, dp=dp_models.get(task.table)
            )
    record = None
    if dp is not None:
        model_records = {n: m.dp_ or {} for n, m in models.items()}
        record = schema_record(model_records, dp_records, dp)
    log.info("synthesizer.fit.end", tables=len(order), models=len(models))
    return FittedSchema(
        metadata=meta,
        order=order,
        plans=plans,
        models=models,
        options=options,
        copies=copies,
        single=read.single,
        orphans=orphans,
        rare_categories=rare,
        # under DP the reference profile (exact statistics of the rows) is not kept
        profile=None if dp is not None else reference_profile(meta, frames, plans),
        dp=record,
    )


def _context_parents(meta: Metadata, options: FitOptions) -> dict[str, str]:
    """The parent that drives each child: implied by rules and sequences, else asked for."""
    implied = implied_context(meta)
    for spec in meta.sequences or []:
        implied[spec.table] = meta.relations[check_sequence(meta, spec)].parent
        asked = options.context_parent.get(spec.table)
        if asked is not None and asked != implied[spec.table]:
            raise DataError(
                f"context_parent names {asked!r}, but the table is a sequence per "
                f"{implied[spec.table]!r} rows",
                table=spec.table,
                fix="drop the context_parent entry, or set the sequence's parent",
            )
    return {**implied, **options.context_parent}


def _choose_strategies(meta: Metadata, options: FitOptions, plans: dict[str, TablePlan]) -> None:
    """Each table's strategy (model, copy, independent) and the reason, into its plan."""
    from synthohive.registry import get_registry

    unknown = sorted(set(options.table_params) - {*meta.tables, "*"})
    if unknown:
        raise DataError(
            f"table_params names unknown table(s) {unknown}",
            fix=f"use table names from the metadata: {sorted(meta.tables)}",
        )
    default = options.table_params.get("*", {}).get("strategy", "auto")
    for name, plan in plans.items():
        requested = options.table_params.get(name, {}).get("strategy", default)
        model_name = options.model_for(name)
        if model_name == AUTO:  # too few rows for the copula: too few for any trial
            model_name = DEFAULT_MODEL
        min_rows = int(getattr(get_registry().get_model(model_name), "min_rows", 1))
        plan.strategy, plan.strategy_reason = choose_strategy(
            meta,
            name,
            n_rows=plan.n_rows,
            has_filled=bool(plan.filled),
            model_name=model_name,
            model_min_rows=min_rows,
            requested=requested,
            lookup_rows=options.lookup_rows,
        )
        log.info(
            "synthesizer.table_strategy",
            table=name,
            strategy=plan.strategy,
            reason=plan.strategy_reason,
        )
