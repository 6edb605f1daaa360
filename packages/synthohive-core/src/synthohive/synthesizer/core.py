"""``Synthesizer``: learn one table or a whole relational schema, then generate look-alikes.

A thin facade over the modules that do the work, following one row from fit to sample:

1. ``fit`` runs :func:`~synthohive.synthesizer.fit.fit_schema`, which reads the input, plans
   each table (:mod:`~synthohive.synthesizer.plan`), prepares and fits each table's model
   (:mod:`~synthohive.synthesizer.prepare`, :mod:`~synthohive.synthesizer.tasks`) and returns
   a :class:`~synthohive.synthesizer.fitted.FittedSchema`, kept as ``fitted_``.
2. ``sample`` runs :func:`~synthohive.synthesizer.streaming.generate` on it: chunks, parents
   first (:mod:`~synthohive.synthesizer.chunks`), keys generated, PII filled, labels/order/
   dtypes restored, written to a sink or collected; ``conditions``
   (:mod:`~synthohive.synthesizer.conditions`) fix columns of root tables and their children
   follow the conditioned rows.
3. ``save``/``load`` write and read it as one model file
   (:mod:`~synthohive.synthesizer.persistence`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Self

import numpy as np
import pandas as pd

from synthohive.errors import DataError, NotFittedError
from synthohive.log import get_logger
from synthohive.metadata.schema import Metadata
from synthohive.synthesizer import graph
from synthohive.synthesizer.conditions import (
    TableConditions,
    check_values,
    condition_rows,
    resolve_conditions,
)
from synthohive.synthesizer.explain import explain, label_report
from synthohive.synthesizer.fit import fit_schema
from synthohive.synthesizer.fitted import FittedSchema
from synthohive.synthesizer.inputs import open_source
from synthohive.synthesizer.profile import str_labels
from synthohive.synthesizer.rare import DEFAULT_RARE_THRESHOLD
from synthohive.synthesizer.settings import (
    DEFAULT_MODEL,
    FitOptions,
    OrphanPolicy,
    check_options,
    show_progress,
)
from synthohive.synthesizer.strategy import DEFAULT_LOOKUP_ROWS
from synthohive.synthesizer.streaming import DEFAULT_CHUNK_ROWS, MemorySink, empty_frames, generate

if TYPE_CHECKING:
    from synthohive.connectors.base import Connector, WriteMode
    from synthohive.synthesizer.tasks import Runner

log = get_logger(__name__)

_NOT_FITTED = ("the synthesizer is not fitted", "call fit(data) first")


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
        options = FitOptions(
            model=model,
            model_params=model_params,
            privacy=privacy,
            seed=seed,
            device=device,
            progress=progress,
            context_parent=context_parent or {},
            context_columns=context_columns or {},
            orphans=orphans,
            inf_policy=inf_policy,
            rare_category_threshold=rare_category_threshold,
            table_params=table_params or {},
            lookup_rows=lookup_rows,
        )
        options = check_options(metadata, options)
        self.metadata: Metadata = metadata.model_copy(deep=True) if metadata else Metadata()
        self._metadata_given = metadata is not None
        self.model = options.model
        self.model_params = options.model_params
        self.privacy = privacy
        self.seed = seed
        self.device = device
        self.progress = progress
        self.context_parent = options.context_parent
        self.context_columns = options.context_columns
        self.orphan_policy: OrphanPolicy = orphans
        self.quality_gate = quality_gate
        self.inf_policy = inf_policy
        self.rare_category_threshold = options.rare_category_threshold
        self.table_params = options.table_params
        self.lookup_rows = lookup_rows
        self.fitted_: FittedSchema | None = None
        """What ``fit`` learned (or ``load`` read): plans, models, profile; ``None`` before."""

    def __repr__(self) -> str:
        state = "fitted" if self.fitted else "not fitted"
        return f"Synthesizer(tables={list(self.metadata.tables)}, model={self.model!r}, {state})"

    # --- the fitted state ----------------------------------------------------------------------
    @property
    def fitted(self) -> bool:
        """Whether the synthesizer was fitted (or loaded)."""
        return self.fitted_ is not None

    @property
    def orphans_(self) -> dict[str, int]:
        """Rows whose foreign key had no parent at fit, per ``child.columns``."""
        return self.fitted_.orphans if self.fitted_ is not None else {}

    @property
    def rare_categories_(self) -> dict[str, dict[str, int]]:
        """Per table and column, how many rare categories were merged into ``"_RARE_"``."""
        return self.fitted_.rare_categories if self.fitted_ is not None else {}

    @property
    def profile_(self) -> Any:
        """Aggregate statistics of the training data (no rows) for ``evaluate`` after a load."""
        return self.fitted_.profile if self.fitted_ is not None else None

    @property
    def dp_(self) -> dict[str, Any] | None:
        """The differential-privacy record of a DP fit (per table and total), else ``None``."""
        return self.fitted_.dp if self.fitted_ is not None else None

    def _require_fitted(self) -> FittedSchema:
        if self.fitted_ is None:
            raise NotFittedError(_NOT_FITTED[0], fix=_NOT_FITTED[1])
        return self.fitted_

    def _options(self) -> FitOptions:
        """The settings as they are now (attributes may be changed before ``fit``)."""
        return FitOptions(
            model=self.model,
            model_params=self.model_params,
            privacy=self.privacy,
            seed=self.seed,
            device=self.device,
            progress=self.progress,
            context_parent=self.context_parent,
            context_columns=self.context_columns,
            orphans=self.orphan_policy,
            inf_policy=self.inf_policy,
            rare_category_threshold=self.rare_category_threshold,
            table_params=self.table_params,
            lookup_rows=self.lookup_rows,
        )

    # --- fit -----------------------------------------------------------------------------------
    def fit(self, data: Any, *, runner: Runner | None = None) -> Self:
        """Learn ``data``: a DataFrame, a ``dict`` of DataFrames, a connector or a URL.

        Runs :func:`~synthohive.synthesizer.fit.fit_schema` and keeps its result as
        ``fitted_``. ``runner`` fits the prepared tables' models (default: one after another,
        in this process; ``synthohive_spark.fit`` passes one that fits them side by side on
        Spark executors). The same tasks give the same models either way.
        """
        metadata = self.metadata if self._metadata_given else None
        data, metadata = open_source(data, metadata)
        if metadata is not None and not self._metadata_given:  # the connector's catalog
            self.metadata, self._metadata_given = metadata, True
        self.fitted_ = fit_schema(metadata, data, self._options(), runner=runner)
        self.metadata = self.fitted_.metadata
        return self

    # --- sample --------------------------------------------------------------------------------
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
        fitted = self._require_fitted()
        root_rows = fitted.root_rows(n, scale, rows)
        conds, one_table = self._conditions(fitted, conditions)
        if conds:
            root_rows = condition_rows(root_rows, conds, n=n, rows=rows)
            check_values(fitted, conds)
        if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int) or chunk_rows <= 0:
            raise DataError(f"chunk_rows must be a positive integer, got {chunk_rows!r}")
        if isinstance(row_offset, bool) or not isinstance(row_offset, int) or row_offset < 0:
            raise DataError(f"row_offset must be a non-negative integer, got {row_offset!r}")
        base = seed if seed is not None else self.seed
        if base is None:
            base = int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0] >> 2)
        elif isinstance(base, bool) or not isinstance(base, int) or base < 0:
            raise DataError(f"seed must be a non-negative integer, got {base!r}")
        progress = show_progress(self.progress)
        if sink is None:
            collected = MemorySink()
            generate(
                fitted,
                root_rows=root_rows,
                sink=collected,
                seed=base,
                chunk_rows=chunk_rows,
                progress=progress,
                row_offset=row_offset,
                conditions=conds,
            )
            out = collected.result(empty_frames(fitted.plans, fitted.order))
            gate = quality_gate if quality_gate is not None else self.quality_gate
            if gate is not None and conds and quality_gate is None:
                log.info("synthesizer.sample.gate_skipped", reason="conditions")
                gate = None
            if gate is not None:
                self.evaluate(synthetic=out, gate=gate)
            if (n is not None or one_table) and (fitted.single or len(fitted.order) == 1):
                return out[fitted.order[0]]
            return out
        from synthohive.connectors.base import check_mode

        check_mode(mode)
        connector = self._connector(sink)
        offsets: int | dict[str, int] = row_offset
        if mode == "append":
            from synthohive.synthesizer.append import append_offsets

            plan = append_offsets(fitted, connector, row_offset)
            offsets, base = plan.offsets, plan.seed(base)
        with connector.begin_write(fitted.metadata, mode) as session:
            summary = generate(
                fitted,
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

    @staticmethod
    def _conditions(
        fitted: FittedSchema, conditions: Any
    ) -> tuple[dict[str, TableConditions], bool]:
        """Checked conditions per root table and whether they came in the one-table form."""
        if conditions is None or (isinstance(conditions, Mapping) and not conditions):
            return {}, False
        conds, one_table = resolve_conditions(fitted, conditions)
        log.info(
            "synthesizer.sample.conditions",
            tables={t: c.columns for t, c in conds.items()},
            rows={t: c.rows for t, c in conds.items()},
        )
        return conds, one_table

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

    # --- what was learned ----------------------------------------------------------------------
    def explain(self) -> str:
        """What each table gets (model, copy or independent columns) and why, one line each."""
        return explain(self._require_fitted())

    @property
    def tables(self) -> list[str]:
        """Table names in generation order (parents first)."""
        return list(self.fitted_.order) if self.fitted_ is not None else list(self.metadata.tables)

    @property
    def roots(self) -> list[str]:
        """Tables without a parent: their row counts drive every other table."""
        return graph.roots(self.metadata)

    def root_rows(
        self, rows: Mapping[str, int] | None = None, scale: float = 1.0
    ) -> dict[str, int]:
        """Rows each root table gets for ``sample(rows=..., scale=...)``."""
        return self._require_fitted().root_rows(None, scale, rows)

    def expected_rows(self, root_rows: Mapping[str, int]) -> dict[str, float]:
        """Expected rows per table when the roots get ``root_rows`` (cardinalities learned)."""
        return self._require_fitted().expected_rows(root_rows)

    # --- persistence and evaluation ------------------------------------------------------------
    def save(self, path: str | os.PathLike[str], *, signing_key: bytes | str | None = None) -> str:
        """Write the fitted synthesizer to one model file; returns its SHA-256."""
        from synthohive.synthesizer.persistence import save

        if self.fitted_ is None:
            raise NotFittedError(
                "the synthesizer is not fitted; nothing to save", fix="call fit first"
            )
        return save(self.fitted_, path, signing_key=signing_key)

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
        from synthohive.synthesizer.persistence import load

        fitted = load(path, expected_sha256=expected_sha256, signing_key=signing_key, device=device)
        synth = cls(fitted.metadata, device=device, **fitted.options.saved())
        synth.fitted_ = fitted
        synth.metadata = fitted.metadata
        return synth

    def evaluate(self, real: Any = None, synthetic: Any = None, **options: Any) -> Any:
        """Quality and privacy report of ``synthetic`` (sampled now if omitted) against ``real``
        (default: the reference profile learned at fit, so it works after a cold load)."""
        from synthohive import validation

        fitted = self._require_fitted()
        if real is None:
            real = fitted.profile
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
        label_report(report, fitted)
        return report
