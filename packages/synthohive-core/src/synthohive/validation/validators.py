"""Built-in quality validators: column shapes, coverage, missing values, pair trends, relations.

Each works from the real rows when the context has them, and from the reference profile
otherwise (after a cold load), so the same report is produced either way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthohive.validation import profile as prof
from synthohive.validation import stats
from synthohive.validation.base import EvaluationContext, MetricResult, Validator

NUMERIC = ("numerical", "datetime")


def _tables(ctx: EvaluationContext) -> list[str]:
    return [t for t in ctx.metadata.tables if t in ctx.synthetic]


def _bounded(df: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    return df if len(df) <= n else df.sample(n=n, random_state=seed)


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
                }
            elif ctx.profile is not None and key in ctx.profile.cardinality:
                score = prof.cardinality_from_profile(ctx.profile.cardinality[key], syn_counts)
                details = {"parent": fk.parent, "synthetic_mean": float(np.mean(syn_counts))}
            else:
                continue
            out.append(
                MetricResult(
                    "CardinalityShapeSimilarity", self.property, fk.child, cols, score, details
                )
            )
        return out


BUILTIN_QUALITY_VALIDATORS: list[type[Validator]] = [
    ColumnShapes,
    Coverage,
    MissingValues,
    PairTrends,
    Relations,
]
