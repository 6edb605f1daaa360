"""Privacy metrics: exact matches, distance to closest record (DCR) and NNDR vs a holdout.

Rows are embedded per modelled column: numerics and datetimes min-max scaled by the training
range (missing values as an extra 0/1 coordinate), categoricals one-hot over their most frequent
values scaled by ½, so the L1 distance adds ≤ 1 per column. Nearest neighbours come from a
KD-tree (``sklearn.neighbors.NearestNeighbors``), never a quadratic join.

Definitions (RELIABILITY.md): IMS = share of synthetic rows identical (distance 0) to some
training row; DCR share = share of synthetic rows closer to training than to the holdout, ties
split (mostlyai-qa); NNDR ratio = 10th percentile of nearest/second-nearest distance ratio to
training over the same to holdout. DCROverfittingProtection = ``min(1, 2·(1 - share strictly
closer to training))`` uses sdmetrics' own per-column distance (``sdmetrics_dcr``, chunked and
quadratic, so on at most ``SDMETRICS_ROWS`` rows per side) to stay comparable with SDV.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binomtest
from sklearn.neighbors import NearestNeighbors

from synthohive.models.values import power_scale
from synthohive.validation import stats
from synthohive.validation.base import EvaluationContext, MetricResult, Validator

MAX_CATEGORIES = 50
SDMETRICS_ROWS = 3_000
"""Rows per side for the sdmetrics-defined DCROverfittingProtection (quadratic cost)."""


class Embedding:
    """Row embedding fitted on the training rows (see module docstring)."""

    def __init__(self, train: pd.DataFrame, sdtypes: dict[str, str]) -> None:
        self.sdtypes = sdtypes
        self.ranges: dict[str, tuple[float, float]] = {}
        self.categories: dict[str, list[str]] = {}
        for col, sdtype in sdtypes.items():
            if sdtype in ("numerical", "datetime"):
                x = stats.as_numeric(train[col]).dropna()
                lo, hi = (float(x.min()), float(x.max())) if len(x) else (0.0, 1.0)
                self.ranges[col] = (lo, hi if hi > lo else lo + 1.0)
            else:
                keys = _keys(train[col])
                self.categories[col] = keys.value_counts().index[:MAX_CATEGORIES].tolist()

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        """Embed ``df``'s rows as a float matrix."""
        parts: list[np.ndarray] = []
        for col in self.sdtypes:
            if col in self.ranges:
                lo, hi = self.ranges[col]
                x = stats.as_numeric(df[col]).to_numpy()
                miss = np.isnan(x)
                step = power_scale(np.array([lo, hi]))  # finite spans near ±1.8e308
                span = hi / step - lo / step
                scaled = (x / step - lo / step) / span
                parts.append(np.clip(np.nan_to_num(scaled, nan=0.0), -1, 2))
                parts.append(miss.astype("float64"))
            else:
                keys = _keys(df[col]).to_numpy()
                cats = self.categories[col]
                onehot = np.zeros((len(df), len(cats) + 1))
                pos = pd.Index(cats).get_indexer(pd.Index(keys))
                onehot[np.arange(len(df)), np.where(pos < 0, len(cats), pos)] = 0.5
                parts.append(onehot)
        if not parts:
            return np.zeros((len(df), 1))
        return np.column_stack(parts)


def exact_match_share(train: pd.DataFrame, synthetic: pd.DataFrame, columns: list[str]) -> float:
    """Share of synthetic rows equal to some training row on every column (values compared
    exactly, nulls equal to nulls). Done on the values, not on the embedding, where values
    outside the embedded categories would all look alike."""
    if len(synthetic) == 0:
        return 0.0

    def rows(df: pd.DataFrame) -> pd.Series:
        keys = [stats.keys(df[c]).to_numpy() for c in columns]
        return pd.Series(["\x1f".join(map(str, t)) for t in zip(*keys, strict=True)])

    return float(rows(synthetic).isin(set(rows(train))).mean())


def _keys(series: pd.Series) -> pd.Series:
    return stats.keys(series)


def _nn(reference: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    nn = NearestNeighbors(n_neighbors=min(k, len(reference)), metric="manhattan")
    nn.fit(reference)
    dist, _ = nn.kneighbors(query)
    return dist


def privacy_scores(
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    sdtypes: dict[str, str],
    holdout: pd.DataFrame | None = None,
    *,
    max_rows: int = 10_000,
    seed: int = 0,
    domias: bool = False,
) -> dict[str, Any]:
    """IMS, DCR share, DCROverfittingProtection, NNDR ratio, a binomial p-value and, when
    ``domias`` is set (slower), the DOMIAS membership-inference AUC."""
    rng = np.random.default_rng(seed)

    def take(df: pd.DataFrame, n: int) -> pd.DataFrame:
        return df.iloc[rng.choice(len(df), size=n, replace=False)] if len(df) > n else df

    n_ref = min(len(train), len(holdout) if holdout is not None else len(train), max_rows)
    trn = take(train, n_ref)
    syn = take(synthetic, max_rows)
    emb = Embedding(trn, sdtypes)
    e_trn, e_syn = emb.transform(trn), emb.transform(syn)
    d_trn = _nn(e_trn, e_syn, 2)
    out: dict[str, Any] = {
        "ims_train": exact_match_share(train, syn, list(sdtypes)),
        "dcr_train_median": float(np.median(d_trn[:, 0])),
        "rows_synthetic": len(syn),
        "rows_reference": len(trn),
    }
    if holdout is None or len(holdout) == 0:
        return out
    hol = take(holdout, n_ref)
    e_hol = emb.transform(hol)
    d_hol = _nn(e_hol, e_syn, 2)
    closer = d_trn[:, 0] < d_hol[:, 0]
    ties = d_trn[:, 0] == d_hol[:, 0]
    share = float(np.mean(closer) + 0.5 * np.mean(ties))
    k_closer = round(share * len(syn))
    out.update(
        ims_holdout=float(np.mean(d_hol[:, 0] <= 1e-12)),
        dcr_share=share,
        dcr_share_pvalue=float(binomtest(k_closer, len(syn), 0.5, alternative="greater").pvalue),
        dcr_overfitting_protection=dcr_overfitting_protection(
            trn.iloc[:SDMETRICS_ROWS], syn.iloc[:SDMETRICS_ROWS], hol.iloc[:SDMETRICS_ROWS], sdtypes
        ),
        nndr_ratio=_nndr_ratio(d_trn, d_hol),
        rows_holdout=len(hol),
    )
    if domias and len(holdout) >= 20:
        out["domias_auc"] = domias_auc(emb, train, synthetic, holdout, seed=seed)
    return out


def domias_auc(
    emb: Embedding,
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame,
    *,
    seed: int = 0,
    max_rows: int = 2_000,
) -> float:
    """DOMIAS membership-inference AUC (van Breugel et al., 2023): how well the density ratio
    ``p_synthetic(x) / p_reference(x)`` tells training rows from unseen ones.

    Half of the holdout is the reference set, the other half the non-members; as many training
    rows are the members. Densities are nearest-neighbour estimates in the row embedding
    (``log p ∝ -log r₁``, r₁ the distance to the closest point), which — unlike a broad KDE —
    sees a model that copies rows. 0.5 = no membership signal; the gate default is ≤ 0.55.
    """
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    order = rng.permutation(len(holdout))
    half = len(order) // 2
    reference = holdout.iloc[order[:half]].iloc[:max_rows]
    non_members = holdout.iloc[order[half:]].iloc[:max_rows]
    members = train.iloc[
        rng.choice(len(train), size=min(len(train), len(non_members)), replace=False)
    ]
    syn = synthetic.iloc[
        rng.choice(len(synthetic), size=min(len(synthetic), max_rows), replace=False)
    ]
    queries = np.vstack([emb.transform(members), emb.transform(non_members)])
    r_syn = _nn(emb.transform(syn), queries, 1)[:, 0]
    r_ref = _nn(emb.transform(reference), queries, 1)[:, 0]
    eps = 1e-6
    score = np.log(r_ref + eps) - np.log(r_syn + eps)
    labels = np.r_[np.ones(len(members)), np.zeros(len(non_members))]
    return float(roc_auc_score(labels, score))


def sdmetrics_dcr(
    dataset: pd.DataFrame, reference: pd.DataFrame, sdtypes: dict[str, str], *, chunk: int = 64
) -> np.ndarray:
    """Distance to closest record as sdmetrics defines it (``calculate_dcr``), vectorised.

    Per column: numerics/datetimes ``min(|a-b| / range_ref, 1)`` (range 0: 0 if equal else 1),
    categoricals 0/1; a null against a value counts 1, two nulls 0; the row distance is the
    mean over columns, and the DCR the minimum over reference rows.
    """
    num = [c for c, t in sdtypes.items() if t in ("numerical", "datetime")]
    cat = [c for c in sdtypes if c not in num]
    n_cols = max(len(sdtypes), 1)
    d_num = np.column_stack([stats.as_numeric(dataset[c]).to_numpy() for c in num]) if num else None
    r_num = (
        np.column_stack([stats.as_numeric(reference[c]).to_numpy() for c in num]) if num else None
    )
    ranges = None
    if r_num is not None:
        with np.errstate(all="ignore"):
            ranges = np.nan_to_num(np.nanmax(r_num, axis=0) - np.nanmin(r_num, axis=0))
    d_cat = r_cat = None
    if cat:
        codes_d, codes_r = [], []
        for c in cat:
            both = pd.concat([stats.keys(dataset[c]), stats.keys(reference[c])], ignore_index=True)
            codes, _ = pd.factorize(both)
            codes_d.append(codes[: len(dataset)])
            codes_r.append(codes[len(dataset) :])
        d_cat, r_cat = np.column_stack(codes_d), np.column_stack(codes_r)
    out = np.empty(len(dataset))
    for start in range(0, len(dataset), chunk):
        stop = min(start + chunk, len(dataset))
        total = np.zeros((stop - start, len(reference)))
        if d_num is not None and r_num is not None and ranges is not None:
            a, b = d_num[start:stop, None, :], r_num[None, :, :]
            with np.errstate(all="ignore"):
                diff = np.abs(a - b)
                scaled = np.where(
                    ranges == 0,
                    (diff > 0).astype(float),
                    np.minimum(diff / np.where(ranges == 0, 1, ranges), 1.0),
                )
            na, nb = np.isnan(a), np.isnan(b)
            scaled = np.where(na ^ nb, 1.0, np.where(na & nb, 0.0, scaled))
            total += scaled.sum(axis=2)
        if d_cat is not None and r_cat is not None:
            total += (d_cat[start:stop, None, :] != r_cat[None, :, :]).sum(axis=2)
        out[start:stop] = (total / n_cols).min(axis=1)
    return out


def dcr_overfitting_protection(
    train: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame, sdtypes: dict[str, str]
) -> float:
    """sdmetrics' DCROverfittingProtection: ``min(1, 2·(1 − share strictly closer to train))``."""
    closer = sdmetrics_dcr(synthetic, train, sdtypes) < sdmetrics_dcr(synthetic, holdout, sdtypes)
    return float(min(1.0, 2.0 * (1.0 - float(np.mean(closer)))))


def _nndr_ratio(d_trn: np.ndarray, d_hol: np.ndarray) -> float | None:
    if d_trn.shape[1] < 2 or d_hol.shape[1] < 2:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        r_trn = np.where(d_trn[:, 1] > 0, d_trn[:, 0] / d_trn[:, 1], 1.0)
        r_hol = np.where(d_hol[:, 1] > 0, d_hol[:, 0] / d_hol[:, 1], 1.0)
    q_hol = float(np.quantile(r_hol, 0.1))
    return float(np.quantile(r_trn, 0.1) / q_hol) if q_hol > 0 else 1.0


class PrivacyMetrics(Validator):
    """Exact-match rate, DCR share vs holdout, DCROverfittingProtection and NNDR per table."""

    name = "privacy"
    property = "Privacy"

    def compute(self, ctx: EvaluationContext) -> list[MetricResult]:
        out: list[MetricResult] = []
        if ctx.real is None:
            return out
        for table in ctx.metadata.tables:
            if table not in ctx.synthetic or table not in ctx.real:
                continue
            sdtypes = ctx.modelled_columns(table)
            usable = {c: t for c, t in sdtypes.items() if ctx.real[table][c].notna().any()}
            if not usable or len(ctx.synthetic[table]) == 0:
                continue
            hol = ctx.holdout.get(table) if ctx.holdout else None
            scores = privacy_scores(
                ctx.real[table],
                ctx.synthetic[table],
                usable,
                hol,
                max_rows=ctx.max_privacy_rows,
                seed=ctx.seed,
                domias=ctx.domias,
            )
            cols = tuple(usable)
            out.append(
                MetricResult(
                    "ExactMatchRate", self.property, table, cols, 1.0 - scores["ims_train"], scores
                )
            )
            if "dcr_share" in scores:
                out.append(
                    MetricResult("DCRShare", self.property, table, cols, scores["dcr_share"], {})
                )
                out.append(
                    MetricResult(
                        "DCROverfittingProtection",
                        self.property,
                        table,
                        cols,
                        scores["dcr_overfitting_protection"],
                        {},
                    )
                )
                out.append(
                    MetricResult("NNDRRatio", self.property, table, cols, scores["nndr_ratio"], {})
                )
        return out
