"""``evaluate(real, synthetic, metadata)``: run every registered validator and build a report."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from synthohive.errors import DataError, MetadataError
from synthohive.log import get_logger
from synthohive.metadata.schema import Metadata
from synthohive.validation import stats
from synthohive.validation.base import EvaluationContext, MetricResult, Validator
from synthohive.validation.gate import QualityGate
from synthohive.validation.profile import ReferenceProfile
from synthohive.validation.report import COMPAT_CHOICES, Compat, Report
from synthohive.validation.validators import (
    PairTrends,
    sdmetrics_intertable_trends,
    sdmetrics_pair_trends,
)

log = get_logger(__name__)

RARE_NOTE = "rare categories:"
"""Prefix of the report notes on columns that hold only ``_RARE_`` (the summary prints them)."""

Frames = pd.DataFrame | dict[str, pd.DataFrame]


def _as_dict(data: Frames | None, metadata: Metadata | None, what: str) -> dict[str, pd.DataFrame]:
    if data is None:
        return {}
    if isinstance(data, pd.DataFrame):
        name = next(iter(metadata.tables)) if metadata and len(metadata.tables) == 1 else "table"
        return {name: data}
    if isinstance(data, dict):
        for name, df in data.items():
            if not isinstance(df, pd.DataFrame):
                raise DataError(
                    f"{what} data for this table is a {type(df).__name__}, not a DataFrame",
                    table=str(name),
                )
        return dict(data)
    raise DataError(
        f"{what} data must be a DataFrame or a dict of DataFrames, got {type(data).__name__}"
    )


def _check(metadata: Metadata, frames: dict[str, pd.DataFrame], what: str) -> None:
    for table, df in frames.items():
        if table not in metadata.tables:
            raise MetadataError(
                f"{what} data has a table the metadata does not describe; "
                f"known tables: {sorted(metadata.tables)}",
                table=table,
                fix="pass matching metadata",
            )
        described = set(metadata.tables[table].columns)
        missing = sorted(described - {str(c) for c in df.columns})
        if missing:
            raise MetadataError(
                f"{what} data lacks columns {missing} described by the metadata",
                table=table,
                column=missing[0],
                fix="evaluate frames with the same columns as the metadata",
            )


def _validators(names: list[str] | None) -> list[Validator]:
    """Instances of the registered validators (built-ins register like any plugin)."""
    from synthohive.registry import get_registry

    registry = get_registry()
    installed = registry.list_validators()
    if names is not None:
        unknown = [n for n in names if n not in installed]
        if unknown:
            from synthohive.errors import PluginNotFoundError

            raise PluginNotFoundError(
                f"unknown validators {unknown}; installed: {sorted(installed)}",
                fix="install the plugin that provides them or correct the names",
            )
        installed = list(names)
    return [registry.get_validator(n)() for n in installed]


def evaluate(
    real: Frames | ReferenceProfile | None,
    synthetic: Frames,
    metadata: Metadata | None = None,
    *,
    holdout: Frames | None = None,
    target: str | None = None,
    validators: list[str] | None = None,
    gate: QualityGate | None = None,
    seed: int = 0,
    domias: bool = False,
    compat: Compat = "synthohive",
) -> Report:
    """Score ``synthetic`` against ``real`` rows (or a stored :class:`ReferenceProfile`).

    ``holdout`` (real rows not used for training) enables the privacy metrics' comparisons;
    ``target`` (``"table.column"`` or a column of a single table) adds ML efficacy; ``gate``
    raises :class:`~synthohive.errors.QualityGateError` / ``PrivacyGateError`` on failure;
    ``domias=True`` adds the DOMIAS membership-inference AUC (needs ``holdout``).

    ``compat`` picks the aggregate definitions (``report.compat`` records it):

    - ``"synthohive"`` (default): a property is the mean of all its rows; Column Pair Trends
      covers every pair of the first 20 modelled columns (rows capped at 50,000), numeric
      columns binned by the real column's 10 edges on both sides; ``overall`` is the mean of
      Column Shapes, Column Pair Trends and Cardinality.
    - ``"sdmetrics"``: sdmetrics' (0.32) QualityReport: all pairs, each side's numeric column
      binned by its own edges, and a pair averaged only if the real data has a trend
      (``|Pearson| > 0.5`` for two numeric columns, Cramér's V ``> 0.3`` otherwise); several
      tables add Intertable Trends (parent x child column pairs over joined rows, self-
      references skipped) to ``overall``, one table leaves Cardinality out. Needs real rows.
      Rows left out stay in the report with ``details["averaged"] = False``.
    """
    if compat not in COMPAT_CHOICES:
        raise DataError(
            f"unknown compat {compat!r}; choices: {list(COMPAT_CHOICES)}",
            fix="pass compat='synthohive' (default) or compat='sdmetrics'",
        )
    if compat == "sdmetrics" and isinstance(real, ReferenceProfile):
        raise DataError(
            "compat='sdmetrics' needs the real rows, not a reference profile",
            fix="pass the real data, or use the default compat='synthohive'",
        )
    profile = real if isinstance(real, ReferenceProfile) else None
    real_frames = None if profile is not None else real
    if metadata is None:
        if real_frames is None:
            raise MetadataError("metadata is required when evaluating against a profile")
        metadata = Metadata.detect(real_frames)  # type: ignore[arg-type]
    syn = _as_dict(synthetic, metadata, "synthetic")
    if not syn:
        raise DataError("no synthetic tables to evaluate", fix="pass the sampled data")
    for table, df in syn.items():
        if len(df) == 0:
            raise DataError(
                "synthetic table is empty",
                table=table,
                fix="sample at least one row before evaluating",
            )
    _check(metadata, syn, "synthetic")
    real_d = _as_dict(real_frames, metadata, "real") if real_frames is not None else None  # type: ignore[arg-type]
    if real_d is not None:
        _check(metadata, real_d, "real")
        real_d = stats.parse_datetimes(metadata, real_d)
    syn = stats.parse_datetimes(metadata, syn)
    hold_d = _as_dict(holdout, metadata, "holdout") if holdout is not None else None
    if hold_d is not None:
        hold_d = stats.parse_datetimes(metadata, hold_d)
    ctx = EvaluationContext(
        metadata=metadata,
        synthetic=syn,
        real=real_d,
        holdout=hold_d,
        profile=profile,
        target=target,
        seed=seed,
        domias=domias,
    )
    results: list[MetricResult] = []
    for v in _validators(validators):
        if v.needs_real and real_d is None:
            ctx.notes.append(f"{v.name}: skipped (needs the real rows; evaluated from profile)")
            continue
        if compat == "sdmetrics" and isinstance(v, PairTrends):
            results.extend(sdmetrics_pair_trends(ctx))
            results.extend(sdmetrics_intertable_trends(ctx))
            continue
        results.extend(v.compute(ctx))
    if compat == "sdmetrics" and len(metadata.tables) == 1:
        for r in results:  # sdmetrics' single-table report has no Cardinality
            if r.property == "Cardinality":
                r.details["averaged"] = False
    if target is not None:
        if real_d is None:
            raise DataError("ML efficacy needs real rows", fix="pass the real data")
        from synthohive.validation.efficacy import ml_efficacy

        results.append(ml_efficacy(real_d, syn, metadata, target, holdout=hold_d, seed=seed))
    _annotate_continuous(results, metadata, real_d)
    if real_d is not None:
        ctx.notes.extend(rare_notes(metadata, real_d, syn))
    for r in results:
        if r.score is None:
            ctx.notes.append(
                f"not scored: {r.metric} of {r.table}.{', '.join(r.columns)} (a side is empty "
                "or constant, so the metric is undefined; it is left out of the averages)"
            )
    report = Report(results=results, notes=ctx.notes, plots=_plot_data(ctx), compat=compat)
    report.context = _context(ctx)
    log.info("evaluate.done", overall=report.overall, metrics=len(results))
    if gate is not None:
        gate.check(report)
    return report


def rare_notes(
    metadata: Metadata, real: dict[str, pd.DataFrame], synthetic: dict[str, pd.DataFrame]
) -> list[str]:
    """One note per table whose synthetic categorical columns hold only ``_RARE_``.

    The synthesizer replaces categories seen fewer than ``k`` times by ``_RARE_`` before a
    model sees them (:mod:`synthohive.synthesizer.rare`); a column of (nearly) unique names or
    titles then scores 0 on Column Shapes by design, which reads as poor quality unless said.
    """
    from synthohive.synthesizer.rare import RARE_TOKEN

    notes = []
    for table, syn in synthetic.items():
        if table not in real or table not in metadata.tables:
            continue
        hit = []
        for col, spec in metadata.tables[table].columns.items():
            if spec.sdtype != "categorical" or col not in syn.columns:
                continue
            values = syn[col].dropna()
            only_rare = len(values) > 0 and bool((values.astype(str) == RARE_TOKEN).all())
            if only_rare and not (real[table][col].astype(str) == RARE_TOKEN).any():
                hit.append(col)
        if hit:
            notes.append(
                f"{RARE_NOTE} {table}.{', '.join(hit)}: every synthetic value is {RARE_TOKEN} "
                "(each real category occurs fewer than k times, so none is learned; these "
                "columns score 0 on Column Shapes by design) - mark them as pii (fake values) "
                "or lower rare_category_threshold if the values are not sensitive"
            )
    return notes


def _annotate_continuous(
    results: list[MetricResult], metadata: Metadata, real: dict[str, pd.DataFrame] | None
) -> None:
    for r in results:
        if r.metric != "ExactMatchRate" or real is None:
            continue
        t = metadata.tables[r.table]
        cont = False
        for col in r.columns:
            c = t.columns[col]
            if c.sdtype == "numerical" and not c.integer:
                x = stats.as_numeric(real[r.table][col]).dropna().to_numpy()
                cont = cont or bool(len(x) and np.any(x != np.round(x)))
        r.details["has_continuous"] = cont


def _context(ctx: EvaluationContext) -> dict[str, Any]:
    """Header facts of the report: when, and the rows of each table on both sides."""
    from datetime import UTC, datetime

    tables: dict[str, dict[str, Any]] = {}
    for table in ctx.metadata.tables:
        entry: dict[str, Any] = {}
        if ctx.real is not None and table in ctx.real:
            entry["real_rows"] = len(ctx.real[table])
        elif ctx.profile is not None and table in ctx.profile.tables:
            entry["real_rows"] = getattr(ctx.profile.tables[table], "n_rows", "n/a")
        if table in ctx.synthetic:
            entry["synthetic_rows"] = len(ctx.synthetic[table])
        tables[table] = entry
    return {"generated": datetime.now(tz=UTC).strftime("%Y-%m-%d %H:%M UTC"), "tables": tables}


def _plot_data(ctx: EvaluationContext) -> dict[str, Any]:
    """Aggregates for the HTML plots (per table: marginals, correlations)."""
    out: dict[str, Any] = {}
    for table, syn in ctx.synthetic.items():
        if table not in ctx.metadata.tables:
            continue
        cols = ctx.modelled_columns(table)
        real = ctx.real.get(table) if ctx.real else None
        tprof = ctx.profile.tables.get(table) if ctx.profile else None
        marg: dict[str, Any] = {}
        for col, sdtype in list(cols.items())[:40]:
            if sdtype in ("numerical", "datetime"):
                if real is not None:
                    edges = stats.bin_edges(real[col])
                elif tprof is not None and col in tprof.columns and tprof.columns[col].edges:
                    edges = np.asarray(tprof.columns[col].edges)
                else:
                    edges = None
                if edges is None:
                    continue
                s_bins = stats.discretize(syn[col], edges).dropna()
                s_share = np.bincount(s_bins.astype(int), minlength=len(edges) - 1)
                s_share = s_share / max(1, s_share.sum())
                if real is not None:
                    r_bins = stats.discretize(real[col], edges).dropna()
                    r_share = np.bincount(r_bins.astype(int), minlength=len(edges) - 1)
                    r_share = r_share / max(1, r_share.sum())
                else:
                    p = tprof.columns[col]  # type: ignore[union-attr]
                    cdf = np.interp(edges, p.points, p.cdf, left=0.0, right=1.0)
                    r_share = np.diff(cdf)
                    r_share = r_share / max(1e-12, r_share.sum())
                marg[col] = {
                    "kind": "numeric",
                    "datetime": sdtype == "datetime",
                    "edges": edges.tolist(),
                    "real": r_share.tolist(),
                    "synthetic": s_share.tolist(),
                }
            else:
                sf = stats.frequencies(syn[col])
                if real is not None:
                    rf = stats.frequencies(real[col])
                elif tprof is not None and col in tprof.columns:
                    rf = pd.Series(tprof.columns[col].frequencies, dtype="float64")
                else:
                    continue
                top = rf.sort_values(ascending=False).index[:12]
                marg[col] = {
                    "kind": "discrete",
                    "labels": [str(k) for k in top],
                    "real": [float(rf.get(k, 0.0)) for k in top],
                    "synthetic": [float(sf.get(k, 0.0)) for k in top],
                }
        num = [c for c, t in cols.items() if t in ("numerical", "datetime")][:15]
        corr: dict[str, Any] = {}
        if len(num) >= 2 and real is not None:
            corr = {
                "columns": num,
                "real": _corr(real[num]),
                "synthetic": _corr(syn[num]),
            }
        out[table] = {"marginals": marg, "correlation": corr}
    return out


def _corr(df: pd.DataFrame) -> list[list[float]]:
    m = pd.DataFrame({c: stats.as_numeric(df[c]) for c in df.columns}).corr().fillna(0.0)
    return m.to_numpy().round(4).tolist()
