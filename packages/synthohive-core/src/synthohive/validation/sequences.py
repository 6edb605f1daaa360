"""Per-entity metrics of ordered child sequences (``Metadata.set_sequence``): the report's
``Sequences`` property, beside ``overall`` (not part of it), one row per metric:

* ``SequenceOrder`` - share of consecutive rows of one parent, in the table's row order,
  whose index does not go backwards (must be 1 for generated data);
* ``SequenceLength`` - 1 - KS distance of the rows-per-parent distributions;
* ``SequenceGaps`` - 1 - KS distance of the gaps between consecutive rows of a parent;
* ``SequenceAutocorrelation`` - per number column, 1 - |real - synthetic| / 2 of the lag-1
  autocorrelation within parents;
* ``SequenceTransitions`` - per categorical column, 1 - total variation distance of the
  frequencies of consecutive pairs (``a -> b``) within parents.

The real values are in each row's ``details`` (``real``/``synthetic``), so the numbers behind
a score can be read directly, as the benchmark page does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from synthohive.validation.base import EvaluationContext, MetricResult, Validator
from synthohive.validation.stats import as_numeric


def ordered(frame: pd.DataFrame, keys: list[str], index: np.ndarray) -> pd.DataFrame:
    """``frame`` sorted by parent key then index (stable), with ``__idx__`` holding the index."""
    out = frame.assign(__idx__=index)
    return out.sort_values([*keys, "__idx__"], kind="stable", na_position="last")


def index_values(series: pd.Series, fmt: str | None) -> np.ndarray:
    """The index as float64 (dates in seconds)."""
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype="float64", na_value=np.nan)
    stamps = pd.to_datetime(series, format=fmt or "mixed", errors="coerce", utc=True)
    return as_numeric(stamps).to_numpy(dtype="float64") / 1e9


def order_share(frame: pd.DataFrame, keys: list[str], index: np.ndarray) -> float | None:
    """Share of consecutive same-parent rows (row order) whose index does not decrease."""
    if len(frame) < 2:
        return None
    same = np.ones(len(frame) - 1, dtype=bool)
    for k in keys:
        v = frame[k].astype(object).to_numpy()
        same &= pd.Series(v[1:]).eq(pd.Series(v[:-1])).to_numpy()
    steps = np.diff(index)[same]
    steps = steps[~np.isnan(steps)]
    return float((steps >= 0).mean()) if len(steps) else None


def gaps(frame: pd.DataFrame, keys: list[str], index: np.ndarray) -> np.ndarray:
    """Gaps between consecutive rows of each parent (sorted by index)."""
    d = ordered(frame, keys, index)
    g = d.groupby(keys, sort=False, dropna=True)["__idx__"].diff()
    return g.dropna().to_numpy(dtype="float64")


def lag1(frame: pd.DataFrame, keys: list[str], index: np.ndarray, column: str) -> float | None:
    """Correlation of a number column with its previous value within each parent."""
    d = ordered(frame, keys, index)
    x = pd.to_numeric(d[column], errors="coerce")
    prev = x.groupby([d[k] for k in keys], sort=False, dropna=True).shift(1)
    both = x.notna() & prev.notna()
    if both.sum() < 3 or x[both].std() == 0 or prev[both].std() == 0:
        return None
    return float(np.corrcoef(x[both], prev[both])[0, 1])


def transitions(frame: pd.DataFrame, keys: list[str], index: np.ndarray, column: str) -> pd.Series:
    """Frequencies of consecutive pairs ``(previous, next)`` of a column within parents."""
    d = ordered(frame, keys, index)
    x = d[column].astype(object).where(d[column].notna(), "<null>").astype(str)
    prev = x.groupby([d[k] for k in keys], sort=False, dropna=True).shift(1)
    pairs = (prev[prev.notna()] + " -> " + x[prev.notna()]).value_counts(normalize=True)
    return pairs


def lengths(
    child: pd.DataFrame, keys: list[str], parent: pd.DataFrame, pkeys: list[str]
) -> np.ndarray:
    """Rows per parent row, parents without rows included."""
    from synthohive.synthesizer.cardinality import children_per_parent

    return children_per_parent(parent, pkeys, child, keys).astype("float64")


class SequenceFidelity(Validator):
    """The ``Sequences`` property (see the module)."""

    name = "sequences"
    property = "Sequences"
    needs_real = True

    def compute(self, ctx: EvaluationContext) -> list[MetricResult]:
        out: list[MetricResult] = []  # scipy.stats is imported by _table, only when needed
        if ctx.real is None:
            return out
        from synthohive.metadata.schema import check_sequence

        for spec in ctx.metadata.sequences or []:
            name = spec.table
            if name not in ctx.synthetic or name not in ctx.real:
                continue
            fk = ctx.metadata.relations[check_sequence(ctx.metadata, spec)]
            keys = list(fk.child_columns)
            fmt = ctx.metadata.tables[name].columns[spec.index].format
            real, syn = ctx.real[name], ctx.synthetic[name]
            ri, si = index_values(real[spec.index], fmt), index_values(syn[spec.index], fmt)
            out.extend(self._table(ctx, name, spec.index, fk, keys, real, syn, ri, si))
        return out

    def _table(
        self,
        ctx: EvaluationContext,
        name: str,
        index: str,
        fk: Any,
        keys: list[str],
        real: pd.DataFrame,
        syn: pd.DataFrame,
        ri: np.ndarray,
        si: np.ndarray,
    ) -> list[MetricResult]:
        from scipy.stats import ks_2samp

        rows: list[MetricResult] = []

        def add(metric: str, cols: tuple[str, ...], score: float | None, **details: Any) -> None:
            rows.append(MetricResult(metric, self.property, name, cols, score, details))

        s_order, r_order = order_share(syn, keys, si), order_share(real, keys, ri)
        add("SequenceOrder", (index,), s_order, real=r_order, synthetic=s_order)
        parent = fk.parent
        if ctx.real is not None and parent in ctx.real and parent in ctx.synthetic:
            rl = lengths(real, keys, ctx.real[parent], list(fk.parent_columns))
            sl = lengths(syn, keys, ctx.synthetic[parent], list(fk.parent_columns))
            if len(rl) and len(sl):
                ks = float(ks_2samp(rl, sl).statistic)
                add(
                    "SequenceLength",
                    (index,),
                    1 - ks,
                    ks=ks,
                    real_mean=rl.mean(),
                    synthetic_mean=sl.mean(),
                )
        rg, sg = gaps(real, keys, ri), gaps(syn, keys, si)
        if len(rg) and len(sg):
            ks = float(ks_2samp(rg, sg).statistic)
            add(
                "SequenceGaps",
                (index,),
                1 - ks,
                ks=ks,
                real_median=float(np.median(rg)),
                synthetic_median=float(np.median(sg)),
            )
        for col, sdtype in ctx.modelled_columns(name).items():
            if col == index or col not in syn.columns:
                continue
            if sdtype == "numerical":
                r, s = lag1(real, keys, ri, col), lag1(syn, keys, si, col)
                if r is not None and s is not None:
                    add("SequenceAutocorrelation", (col,), 1 - abs(r - s) / 2, real=r, synthetic=s)
            elif sdtype in ("categorical", "boolean"):
                rt, st = transitions(real, keys, ri, col), transitions(syn, keys, si, col)
                if len(rt) and len(st):
                    tvd = float(rt.sub(st, fill_value=0.0).abs().sum() / 2)
                    add("SequenceTransitions", (col,), 1 - tvd, tvd=tvd)
        return rows
