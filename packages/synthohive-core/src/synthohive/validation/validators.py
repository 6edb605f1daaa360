"""Built-in quality validators: column shapes, coverage, missing values, pair trends, relations.

Each works from the real rows when the context has them, and from the reference profile
otherwise (after a cold load), so the same report is produced either way.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from synthohive.errors import ConstraintError
from synthohive.validation import profile as prof
from synthohive.validation import stats
from synthohive.validation.base import EvaluationContext, MetricResult, Validator
from synthohive.validation.sequences import SequenceFidelity

if TYPE_CHECKING:
    from synthohive.metadata.schema import ForeignKey

NUMERIC = ("numerical", "datetime")


def _tables(ctx: EvaluationContext) -> list[str]:
    return [t for t in ctx.metadata.tables if t in ctx.synthetic]


def _bounded(df: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    return df if len(df) <= n else df.sample(n=n, random_state=seed)


HIST_BUCKETS = 16


def count_histogram(counts: np.ndarray, buckets: int = HIST_BUCKETS) -> list[float]:
    """Share of parents with 0, 1, ... children; the last bucket holds ``buckets - 1`` or more."""
    c = np.clip(np.asarray(counts, dtype=np.int64), 0, buckets - 1)
    if len(c) == 0:
        return []
    hist = np.bincount(c, minlength=buckets).astype("float64") / len(c)
    last = int(np.flatnonzero(hist)[-1]) + 1 if hist.any() else 1
    return [round(float(v), 6) for v in hist[: max(last, 2)]]


class ColumnShapes(Validator):
    """KS complement (numerical, datetime) and TV complement (categorical, boolean)."""

    name = "column_shapes"
    property = "Column Shapes"
    needs_real = False

    def compute(self, ctx: EvaluationContext) -> list[MetricResult]:
        out: list[MetricResult] = []
        for table in _tables(ctx):
            syn = ctx.synthetic[table]
            for col, sdtype in ctx.modelled_columns(table).items():
                metric = "KSComplement" if sdtype in NUMERIC else "TVComplement"
                if ctx.real is not None:
                    real = ctx.real[table][col]
                    fn = stats.ks_complement if sdtype in NUMERIC else stats.tv_complement
                    score = fn(real, syn[col])
                elif ctx.profile is not None and table in ctx.profile.tables:
                    p = ctx.profile.tables[table].columns.get(col)
                    if p is None:
                        continue
                    score = (
                        prof.ks_from_profile(p, syn[col])
                        if p.kind == "numeric"
                        else prof.tv_from_profile(p, syn[col])
                    )
                else:
                    continue
                out.append(MetricResult(metric, self.property, table, (col,), score))
        return out


class Coverage(Validator):
    """Range coverage (numerical, datetime) and category coverage (categorical, boolean)."""

    name = "coverage"
    property = "Coverage"

    def compute(self, ctx: EvaluationContext) -> list[MetricResult]:
        out: list[MetricResult] = []
        if ctx.real is None:
            return out
        for table in _tables(ctx):
            for col, sdtype in ctx.modelled_columns(table).items():
                real, syn = ctx.real[table][col], ctx.synthetic[table][col]
                if sdtype in NUMERIC:
                    out.append(
                        MetricResult(
                            "RangeCoverage",
                            self.property,
                            table,
                            (col,),
                            stats.range_coverage(real, syn),
                        )
                    )
                else:
                    out.append(
                        MetricResult(
                            "CategoryCoverage",
                            self.property,
                            table,
                            (col,),
                            stats.category_coverage(real, syn),
                        )
                    )
        return out


class MissingValues(Validator):
    """Missing-value similarity per column."""

    name = "missing_values"
    property = "Missing Values"
    needs_real = False

    def compute(self, ctx: EvaluationContext) -> list[MetricResult]:
        out: list[MetricResult] = []
        for table in _tables(ctx):
            syn = ctx.synthetic[table]
            for col in ctx.modelled_columns(table):
                if ctx.real is not None:
                    score: float | None = stats.missing_similarity(ctx.real[table][col], syn[col])
                elif ctx.profile is not None and table in ctx.profile.tables:
                    p = ctx.profile.tables[table].columns.get(col)
                    if p is None:
                        continue
                    score = 1.0 - abs(p.null_share - float(syn[col].isna().mean()))
                else:
                    continue
                out.append(
                    MetricResult("MissingValueSimilarity", self.property, table, (col,), score)
                )
        return out


class PairTrends(Validator):
    """Correlation similarity (numeric pairs) and contingency similarity (other pairs)."""

    name = "pair_trends"
    property = "Column Pair Trends"
    needs_real = False

    def compute(self, ctx: EvaluationContext) -> list[MetricResult]:
        out: list[MetricResult] = []
        for table in _tables(ctx):
            cols = ctx.modelled_columns(table)
            names = list(cols)[: prof.MAX_PAIR_COLUMNS]
            syn = _bounded(ctx.synthetic[table], ctx.max_pair_rows, ctx.seed)
            real = (
                _bounded(ctx.real[table], ctx.max_pair_rows, ctx.seed)
                if ctx.real is not None
                else None
            )
            tprof = ctx.profile.tables.get(table) if ctx.profile is not None else None
            if real is None and tprof is None:
                continue
            for i, a in enumerate(names):
                for b in names[i + 1 :]:
                    both_num = cols[a] in NUMERIC and cols[b] in NUMERIC
                    metric = "CorrelationSimilarity" if both_num else "ContingencySimilarity"
                    score: float | None
                    if real is not None:
                        if both_num:
                            score = stats.correlation_similarity(real[[a, b]], syn[[a, b]])
                        else:
                            score = stats.contingency_similarity(
                                real[[a, b]],
                                syn[[a, b]],
                                (cols[a] in NUMERIC, cols[b] in NUMERIC),
                            )
                    elif tprof is not None and both_num:
                        rho = tprof.correlations.get(prof.pair_key(a, b))
                        srho = stats._pearson(stats.as_numeric(syn[a]), stats.as_numeric(syn[b]))
                        score = None if rho is None or srho is None else 1 - abs(rho - srho) / 2
                    elif tprof is not None:
                        score = prof.contingency_from_profile(tprof, a, b, syn)
                    else:
                        score = None
                    if score is not None or real is not None:
                        out.append(MetricResult(metric, self.property, table, (a, b), score))
        return out


class Relations(Validator):
    """Referential integrity and children-per-parent KS complement for every relation."""

    name = "relations"
    property = "Cardinality"
    needs_real = False

    def compute(self, ctx: EvaluationContext) -> list[MetricResult]:
        out: list[MetricResult] = []
        for fk in ctx.metadata.relations:
            if fk.child not in ctx.synthetic or fk.parent not in ctx.synthetic:
                continue
            child = ctx.synthetic[fk.child][fk.child_columns]
            parent = ctx.synthetic[fk.parent][fk.parent_columns]
            ri, orphans = stats.referential_integrity(parent, child)
            cols = tuple(fk.child_columns)
            out.append(
                MetricResult(
                    "ReferentialIntegrity",
                    "Referential Integrity",
                    fk.child,
                    cols,
                    ri,
                    {"parent": fk.parent, "orphans": orphans},
                )
            )
            syn_counts = stats.children_counts(parent, child)
            key = prof.relation_key(fk.child, fk.child_columns, fk.parent)
            if ctx.real is not None and fk.child in ctx.real and fk.parent in ctx.real:
                real_counts = stats.children_counts(
                    ctx.real[fk.parent][fk.parent_columns], ctx.real[fk.child][fk.child_columns]
                )
                score = stats.ks_complement_counts(real_counts, syn_counts)
                details = {
                    "parent": fk.parent,
                    "real_mean": float(np.mean(real_counts)),
                    "synthetic_mean": float(np.mean(syn_counts)),
                    "real_hist": count_histogram(real_counts),
                    "synthetic_hist": count_histogram(syn_counts),
                }
            elif ctx.profile is not None and key in ctx.profile.cardinality:
                hist = ctx.profile.cardinality[key]
                score = prof.cardinality_from_profile(hist, syn_counts)
                real_counts = np.repeat(  # the stored histogram as 1,000 representative counts
                    [int(v) for v in hist], [round(f * 1000) for f in hist.values()]
                )
                details = {
                    "parent": fk.parent,
                    "real_mean": float(sum(int(v) * f for v, f in hist.items())),
                    "synthetic_mean": float(np.mean(syn_counts)),
                    "real_hist": count_histogram(real_counts),
                    "synthetic_hist": count_histogram(syn_counts),
                }
            else:
                continue
            out.append(
                MetricResult(
                    "CardinalityShapeSimilarity", self.property, fk.child, cols, score, details
                )
            )
        return out


class ConstraintValidity(Validator):
    """Share of rows satisfying each constraint of the metadata, synthetic (the score) and
    real (``details["real_share"]``). Not a quality property: it does not enter ``overall``."""

    name = "constraint_validity"
    property = "Constraints"
    needs_real = False

    def compute(self, ctx: EvaluationContext) -> list[MetricResult]:
        from synthohive.constraints.crosstable import RelatedConstraint
        from synthohive.metadata.schema import build_constraint

        out: list[MetricResult] = []
        for spec in ctx.metadata.constraints or []:
            if spec.table not in ctx.synthetic:
                continue
            constraint = build_constraint(ctx.metadata, spec)
            constraint.bind_columns(ctx.metadata.tables[spec.table].columns)
            real = ctx.real.get(spec.table) if ctx.real is not None else None
            if constraint.checks_against_real:
                if real is None:
                    continue  # e.g. combinations: only the real rows say which are allowed
                with contextlib.suppress(ConstraintError):
                    constraint.fit(real)

            def share(tables: Mapping[str, pd.DataFrame], rule: Any = constraint) -> float | None:
                frame = tables[rule.table]
                if not len(frame):
                    return None
                if isinstance(rule, RelatedConstraint):  # reads another table too
                    if any(t not in tables for t in rule.related()):
                        return None
                    return float(rule.is_valid_in(tables, ctx.metadata).mean())
                return float(rule.is_valid(frame).mean())

            details: dict[str, Any] = {"constraint": constraint.describe()}
            if real is not None and ctx.real is not None:
                details["real_share"] = share(ctx.real)
            out.append(
                MetricResult(
                    "ConstraintValidity",
                    self.property,
                    spec.table,
                    tuple(constraint.columns()),
                    share(ctx.synthetic),
                    details,
                )
            )
        return out


BUILTIN_QUALITY_VALIDATORS: list[type[Validator]] = [
    ColumnShapes,
    Coverage,
    MissingValues,
    PairTrends,
    Relations,
    ConstraintValidity,
    SequenceFidelity,
]


# --- sdmetrics-compatible pair aggregates (evaluate(..., compat="sdmetrics")) -----------------
SDMETRICS_VERSION = "0.32.0"
"""The sdmetrics release whose QualityReport rules the functions below reproduce."""
REAL_CORRELATION_THRESHOLD = 0.5
"""A numeric pair is averaged only when ``|ρ_real|`` exceeds this (sdmetrics' default)."""
REAL_ASSOCIATION_THRESHOLD = 0.3
"""Any other pair is averaged only when the real Cramér's V exceeds this (sdmetrics' default)."""
SUBSAMPLE_ROWS = 50_000
"""sdmetrics subsamples contingency pairs (not correlations) to this many rows per side."""

PairRow = tuple[str, str, str, float | None, dict[str, Any]]


def _sample_positions(n: int, seed: int) -> np.ndarray | None:
    if n <= SUBSAMPLE_ROWS:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, SUBSAMPLE_ROWS, replace=False))


def _correlation_pair(
    ra: pd.Series, rb: pd.Series, sa: pd.Series, sb: pd.Series
) -> tuple[float | None, dict[str, Any]]:
    details: dict[str, Any] = {"real_correlation": None, "threshold": REAL_CORRELATION_THRESHOLD}
    if any(s.nunique() == 1 for s in (ra, rb, sa, sb)):  # sdmetrics: ConstantInputError
        return None, {**details, "averaged": False}
    rho = stats._pearson(ra, rb)
    srho = stats._pearson(sa, sb)
    score = None if rho is None or srho is None else 1.0 - abs(rho - srho) / 2.0
    details["real_correlation"] = rho
    details["averaged"] = rho is not None and abs(rho) > REAL_CORRELATION_THRESHOLD
    return score, details


def _contingency_pair(
    ra: pd.Series, rb: pd.Series, sa: pd.Series, sb: pd.Series
) -> tuple[float | None, dict[str, Any]]:
    v = stats.cramers_v(ra, rb)
    score = None
    if len(ra) and len(sa):
        p = stats.joint_frequencies(ra, rb)
        q = stats.joint_frequencies(sa, sb)
        p, q = p.align(q, fill_value=0.0)
        score = float(1.0 - 0.5 * np.abs(p.to_numpy() - q.to_numpy()).sum())
    details = {
        "real_association": v,
        "threshold": REAL_ASSOCIATION_THRESHOLD,
        "averaged": v is not None and v > REAL_ASSOCIATION_THRESHOLD,
    }
    return score, details


def sdmetrics_pairs(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    sdtypes: dict[str, str],
    pairs: list[tuple[str, str]],
    seed: int,
) -> list[PairRow]:
    """``(a, b, metric, score, details)`` per pair by sdmetrics' ColumnPairTrends rules.

    Two numeric/datetime columns: correlation similarity on all rows, averaged when
    ``|ρ_real| > 0.5`` (no score if a side is constant). Otherwise: contingency similarity,
    numeric columns binned by :func:`stats.own_bins` (each side by its own edges), averaged
    when the real Cramér's V ``> 0.3``. ``details["averaged"]`` says whether the pair counts.
    """
    num_r: dict[str, pd.Series] = {}
    num_s: dict[str, pd.Series] = {}
    disc_r: dict[str, pd.Series] = {}
    disc_s: dict[str, pd.Series] = {}
    take_r = _sample_positions(len(real), seed)
    take_s = _sample_positions(len(synthetic), seed + 1)

    def numeric(col: str) -> tuple[pd.Series, pd.Series]:
        if col not in num_r:
            num_r[col] = stats.as_numeric(real[col])
            num_s[col] = stats.as_numeric(synthetic[col])
        return num_r[col], num_s[col]

    def discrete(col: str) -> tuple[pd.Series, pd.Series]:
        if col not in disc_r:
            r, s = (
                (stats.own_bins(real[col]), stats.own_bins(synthetic[col]))
                if sdtypes[col] in NUMERIC
                else (real[col], synthetic[col])
            )
            disc_r[col] = r if take_r is None else r.iloc[take_r]
            disc_s[col] = s if take_s is None else s.iloc[take_s]
        return disc_r[col], disc_s[col]

    out: list[PairRow] = []
    for a, b in pairs:
        if sdtypes[a] in NUMERIC and sdtypes[b] in NUMERIC:
            (ra, sa), (rb, sb) = numeric(a), numeric(b)
            metric = "CorrelationSimilarity"
            score, details = _correlation_pair(ra, rb, sa, sb)
        else:
            (ra, sa), (rb, sb) = discrete(a), discrete(b)
            metric = "ContingencySimilarity"
            score, details = _contingency_pair(ra, rb, sa, sb)
        out.append((a, b, metric, score, details))
    return out


def sdmetrics_pair_trends(ctx: EvaluationContext) -> list[MetricResult]:
    """Column Pair Trends as sdmetrics' QualityReport computes it: every pair of modelled
    columns of every table (no column or row cap but its own), see :func:`sdmetrics_pairs`."""
    out: list[MetricResult] = []
    if ctx.real is None:
        return out
    for table in _tables(ctx):
        if table not in ctx.real:
            continue
        cols = ctx.modelled_columns(table)
        pairs = list(itertools.combinations(cols, 2))
        rows = sdmetrics_pairs(ctx.real[table], ctx.synthetic[table], cols, pairs, ctx.seed)
        for a, b, metric, score, details in rows:
            out.append(MetricResult(metric, "Column Pair Trends", table, (a, b), score, details))
    return out


def _denormalize(
    frames: dict[str, pd.DataFrame], fk: ForeignKey, parent_cols: list[str], child_cols: list[str]
) -> pd.DataFrame:
    """Child rows joined to their parent row; columns named ``table.column``."""
    child, parent = frames[fk.child], frames[fk.parent]
    ck = stats._key_frame(child[fk.child_columns]).reset_index(drop=True)
    pk = stats._key_frame(parent[fk.parent_columns]).reset_index(drop=True)
    left = pd.concat(
        [ck, child[child_cols].add_prefix(f"{fk.child}.").reset_index(drop=True)], axis=1
    )
    right = pd.concat(
        [pk, parent[parent_cols].add_prefix(f"{fk.parent}.").reset_index(drop=True)], axis=1
    )
    return left.merge(right, on=list(ck.columns), how="inner")


def sdmetrics_intertable_trends(ctx: EvaluationContext) -> list[MetricResult]:
    """sdmetrics' Intertable Trends: per relation, the pair rules of :func:`sdmetrics_pairs`
    on child rows joined to their parent, for every (parent column, child column) pair.
    Self-references are skipped with a note (sdmetrics' report fails on them)."""
    out: list[MetricResult] = []
    if ctx.real is None:
        return out
    for fk in ctx.metadata.relations:
        present = [t in ctx.real and t in ctx.synthetic for t in (fk.child, fk.parent)]
        if not all(present):
            continue
        if fk.child == fk.parent:
            ctx.notes.append(
                f"Intertable Trends: {fk.child}({', '.join(fk.child_columns)}) -> {fk.parent} "
                "skipped (a self-reference; sdmetrics' report cannot join a table to itself)"
            )
            continue
        pcols, ccols = ctx.modelled_columns(fk.parent), ctx.modelled_columns(fk.child)
        real = _denormalize(ctx.real, fk, list(pcols), list(ccols))
        syn = _denormalize(ctx.synthetic, fk, list(pcols), list(ccols))
        sdtypes = {f"{fk.parent}.{c}": t for c, t in pcols.items()}
        sdtypes.update({f"{fk.child}.{c}": t for c, t in ccols.items()})
        pairs = [(f"{fk.parent}.{a}", f"{fk.child}.{b}") for a in pcols for b in ccols]
        for a, b, metric, score, details in sdmetrics_pairs(real, syn, sdtypes, pairs, ctx.seed):
            details = {"parent": fk.parent, "foreign_key": list(fk.child_columns), **details}
            out.append(MetricResult(metric, "Intertable Trends", fk.child, (a, b), score, details))
    return out
