"""Reference profile: aggregate statistics of the real data, stored in the model file.

It lets ``Synthesizer.evaluate(synthetic)`` and quality gates work after a cold load, without
the real data. It holds no raw rows: numeric columns keep the real ECDF at their 1st..99th
percentiles, discrete columns keep category frequencies with rare categories (count < ``k``)
pooled into ``__rare__``, pairs keep Pearson correlations and pooled joint frequencies, and
relations keep the children-per-parent count histogram.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from synthohive.metadata.schema import Metadata
from synthohive.validation import stats

RARE = "__rare__"
MAX_PAIR_COLUMNS = 20
_SAFE = 2.0**400


class ColumnProfile(BaseModel):
    """Aggregates of one real column."""

    kind: str  # "numeric" | "discrete"
    null_share: float
    points: list[float] = Field(default_factory=list)
    cdf: list[float] = Field(default_factory=list)
    edges: list[float] = Field(default_factory=list)
    frequencies: dict[str, float] = Field(default_factory=dict)


class TableProfile(BaseModel):
    """Aggregates of one real table."""

    rows: int
    columns: dict[str, ColumnProfile] = Field(default_factory=dict)
    correlations: dict[str, float] = Field(default_factory=dict)
    contingency: dict[str, dict[str, float]] = Field(default_factory=dict)


class ReferenceProfile(BaseModel):
    """Aggregates of the real data a synthesizer was fitted on."""

    k: int = 5
    tables: dict[str, TableProfile] = Field(default_factory=dict)
    cardinality: dict[str, dict[str, float]] = Field(default_factory=dict)

    def to_json_obj(self) -> dict[str, Any]:
        """Plain JSON form for the model file."""
        return self.model_dump(mode="json")

    @classmethod
    def from_json_obj(cls, obj: dict[str, Any]) -> ReferenceProfile:
        """Rebuild from :meth:`to_json_obj` output."""
        return cls.model_validate(obj)


def pair_key(a: str, b: str) -> str:
    """Key of a column pair in the profile dicts."""
    return f"{a}\x1f{b}"


def relation_key(child: str, child_columns: list[str], parent: str) -> str:
    """Key of a relation in the cardinality dict."""
    return f"{child}({','.join(child_columns)})->{parent}"


def _pooled(freq_counts: pd.Series, n: int, k: int) -> dict[str, float]:
    keep = freq_counts[freq_counts >= k]
    out = {str(key): float(v) / n for key, v in keep.items()}
    rare = float(freq_counts[freq_counts < k].sum())
    if rare:
        out[RARE] = rare / n
    return out


def _scale(x: np.ndarray) -> float:
    """See :func:`synthohive.models.values.power_scale` (one definition for both layers)."""
    from synthohive.models.values import power_scale

    return power_scale(x)


def _column_profile(series: pd.Series, sdtype: str, k: int) -> ColumnProfile:
    null_share = float(series.isna().mean()) if len(series) else 0.0
    if sdtype in ("numerical", "datetime"):
        x = stats.as_numeric(series).dropna().to_numpy()
        if len(x) == 0:
            return ColumnProfile(kind="numeric", null_share=null_share)
        # percentiles and bin edges in a power-of-two scaled space (exact): with values near
        # ±1.8e308 the range max - min is not a finite float
        step = _scale(x)
        points = np.unique(np.percentile(x / step, np.arange(1, 100)) * step)
        xs = np.sort(x)
        cdf = np.searchsorted(xs, points, side="right") / len(xs)
        edges = np.histogram_bin_edges(x / step, bins=stats.N_BINS) * step
        return ColumnProfile(
            kind="numeric",
            null_share=null_share,
            points=points.tolist(),
            cdf=cdf.tolist(),
            edges=edges.tolist(),
        )
    nonnull = series.dropna()
    counts = stats.keys(nonnull).value_counts()
    return ColumnProfile(
        kind="discrete", null_share=null_share, frequencies=_pooled(counts, len(nonnull) or 1, k)
    )


def _scaled(x: pd.Series) -> pd.Series:
    """``x`` divided by :func:`_scale` (Pearson correlation does not change)."""
    step = _scale(x.dropna().to_numpy())
    return x if step == 1.0 else x / step


def _pair_series(series: pd.Series, prof: ColumnProfile) -> pd.Series:
    if prof.kind == "numeric":
        if not prof.edges:
            return pd.Series(np.nan, index=series.index)
        return stats.discretize(series, np.asarray(prof.edges))
    return series


def build_profile(
    data: dict[str, pd.DataFrame],
    metadata: Metadata,
    modelled: dict[str, dict[str, str]],
    *,
    k: int = 5,
) -> ReferenceProfile:
    """Aggregate ``data`` (only the ``modelled`` columns of each table) into a profile."""
    profile = ReferenceProfile(k=k)
    for table, cols in modelled.items():
        df = data[table]
        tp = TableProfile(rows=len(df))
        for col, sdtype in cols.items():
            tp.columns[col] = _column_profile(df[col], sdtype, k)
        names = list(cols)[:MAX_PAIR_COLUMNS]
        # each column converted once, not once per pair (190 pairs at 20 columns)
        numeric = {
            c: _scaled(stats.as_numeric(df[c])) for c in names if tp.columns[c].kind == "numeric"
        }
        paired = {c: _pair_series(df[c], tp.columns[c]) for c in names}
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                pa, pb = tp.columns[a], tp.columns[b]
                if pa.kind == "numeric" and pb.kind == "numeric":
                    rho = stats._pearson(numeric[a], numeric[b])
                    if rho is not None:
                        tp.correlations[pair_key(a, b)] = rho
                else:
                    joint = stats.joint_frequencies(paired[a], paired[b])
                    counts = (joint * len(df)).round().astype("int64")
                    tp.contingency[pair_key(a, b)] = _pooled(counts, len(df) or 1, k)
        profile.tables[table] = tp
    for fk in metadata.relations:
        if fk.parent not in data or fk.child not in data:
            continue
        n_children = stats.children_counts(
            data[fk.parent][fk.parent_columns], data[fk.child][fk.child_columns]
        )
        values, freq = np.unique(n_children, return_counts=True)
        profile.cardinality[relation_key(fk.child, fk.child_columns, fk.parent)] = {
            str(int(v)): float(f) / len(n_children) for v, f in zip(values, freq)
        }
    return profile


# --- scoring synthetic data against a profile ------------------------------------------------
def ks_from_profile(prof: ColumnProfile, synthetic: pd.Series) -> float | None:
    """KS complement on the profile's evaluation grid (a lower bound on the exact KS)."""
    xs = np.sort(stats.as_numeric(synthetic).dropna().to_numpy())
    if not prof.points or len(xs) == 0:
        return None
    fs = np.searchsorted(xs, np.asarray(prof.points), side="right") / len(xs)
    return float(1.0 - np.max(np.abs(fs - np.asarray(prof.cdf))))


def _pool_syn(freq: pd.Series, known: dict[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, v in freq.items():
        k = str(key) if str(key) in known else RARE
        out[k] = out.get(k, 0.0) + float(v)
    return out


def _tv(p: dict[str, float], q: dict[str, float]) -> float:
    keys = set(p) | set(q)
    return 1.0 - 0.5 * sum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in keys)


def tv_from_profile(prof: ColumnProfile, synthetic: pd.Series) -> float | None:
    """TV complement against the pooled real frequencies."""
    freq = stats.frequencies(synthetic)
    if not prof.frequencies or len(freq) == 0:
        return None
    return float(_tv(prof.frequencies, _pool_syn(freq, prof.frequencies)))


def contingency_from_profile(
    table: TableProfile, a: str, b: str, synthetic: pd.DataFrame
) -> float | None:
    """Contingency similarity against the pooled real joint frequencies."""
    ref = table.contingency.get(pair_key(a, b))
    if not ref or len(synthetic) == 0:
        return None
    joint = stats.joint_frequencies(
        _pair_series(synthetic[a], table.columns[a]), _pair_series(synthetic[b], table.columns[b])
    )
    return float(_tv(ref, _pool_syn(joint, ref)))


def cardinality_from_profile(hist: dict[str, float], synthetic_counts: np.ndarray) -> float | None:
    """KS complement between the stored count histogram and synthetic counts."""
    if not hist or len(synthetic_counts) == 0:
        return None
    values = np.array(sorted({int(v) for v in hist} | set(np.unique(synthetic_counts).tolist())))
    real_cdf = np.array([sum(f for v, f in hist.items() if int(v) <= x) for x in values])
    s = np.sort(synthetic_counts)
    syn_cdf = np.searchsorted(s, values, side="right") / len(s)
    return float(1.0 - np.max(np.abs(real_cdf - syn_cdf)))
