"""ML efficacy: train on synthetic, score on real held-out rows, compare with train-on-real."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from synthohive.errors import DataError
from synthohive.metadata.schema import Metadata
from synthohive.validation import stats
from synthohive.validation.base import MetricResult


def _split_target(target: str, metadata: Metadata) -> tuple[str, str]:
    if "." in target and target.split(".", 1)[0] in metadata.tables:
        table, col = target.split(".", 1)
    elif len(metadata.tables) == 1:
        table, col = next(iter(metadata.tables)), target
    else:
        raise DataError(
            f"target {target!r} must be 'table.column' for multi-table data",
            fix="name the table, e.g. target='orders.status'",
        )
    if col not in metadata.tables[table].columns:
        raise DataError(
            f"target column not found; columns: {sorted(metadata.tables[table].columns)}",
            table=table,
            column=col,
            fix="choose an existing column as target",
        )
    return table, col


def _features(df: pd.DataFrame, cols: Mapping[str, str]) -> pd.DataFrame:
    out = {}
    for c, t in cols.items():
        if t in ("numerical", "datetime"):
            out[c] = stats.as_numeric(df[c])
        else:
            out[c] = stats.keys(df[c])
    return pd.DataFrame(out, index=df.index)


def ml_efficacy(
    real: dict[str, pd.DataFrame],
    synthetic: dict[str, pd.DataFrame],
    metadata: Metadata,
    target: str,
    *,
    holdout: dict[str, pd.DataFrame] | None = None,
    seed: int = 0,
) -> MetricResult:
    """HistGradientBoosting trained on synthetic vs on real, both scored on real test rows.

    Score = min(1, synthetic-trained score / real-trained score); accuracy (macro F1 for
    classification) or R² (clipped at 0) for regression. The test rows are ``holdout`` when
    given, else a seeded 30% split of ``real`` (the real-trained model uses the other 70%).
    """
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.metrics import f1_score, r2_score
    from threadpoolctl import threadpool_limits

    table, col = _split_target(target, metadata)
    t = metadata.tables[table]
    keys = set(t.primary_key or []) | {
        c for fk in metadata.parents(table) for c in fk.child_columns
    }
    feats = {
        c: v.sdtype
        for c, v in t.columns.items()
        if c != col
        and c not in keys
        and v.sdtype in ("numerical", "categorical", "boolean", "datetime")
    }
    real_df = real[table].dropna(subset=[col])
    if holdout is not None and table in holdout:
        train_real, test = real_df, holdout[table].dropna(subset=[col])
    else:
        rng = np.random.default_rng(seed)
        mask = rng.random(len(real_df)) < 0.3
        train_real, test = real_df[~mask], real_df[mask]
    syn = synthetic[table].dropna(subset=[col])
    if len(test) < 10 or len(syn) < 10:
        return MetricResult(
            "MLEfficacy", "ML Efficacy", table, (col,), None, {"note": "too few rows"}
        )
    regression = t.columns[col].sdtype in ("numerical", "datetime")
    cat_cols = [c for c, s in feats.items() if s not in ("numerical", "datetime")]

    def fit_score(train: pd.DataFrame) -> float:
        x_train, x_test = _features(train, feats), _features(test, feats)
        for c in cat_cols:
            cats = pd.Index(x_train[c].value_counts().index[:250])
            x_train[c] = cats.get_indexer(x_train[c])
            x_test[c] = cats.get_indexer(x_test[c])
        mask = [c in cat_cols for c in feats] if cat_cols else None
        if regression:
            m = HistGradientBoostingRegressor(random_state=seed, categorical_features=mask)
            m.fit(x_train, stats.as_numeric(train[col]))
            return max(0.0, float(r2_score(stats.as_numeric(test[col]), m.predict(x_test))))
        y_train = stats.keys(train[col])
        y_test = stats.keys(test[col])
        clf = HistGradientBoostingClassifier(random_state=seed, categorical_features=mask)
        clf.fit(x_train, y_train)
        return float(f1_score(y_test, clf.predict(x_test), average="macro"))

    # One OpenMP thread: on small tables threads only add contention (and spin-waits on a
    # loaded machine cost seconds per fit).
    with threadpool_limits(limits=1, user_api="openmp"):
        real_score = fit_score(train_real)
        syn_score = fit_score(syn)
    score = 1.0 if real_score <= 0 else min(1.0, syn_score / real_score)
    return MetricResult(
        "MLEfficacy",
        "ML Efficacy",
        table,
        (col,),
        score,
        {
            "real_trained": real_score,
            "synthetic_trained": syn_score,
            "task": "regression" if regression else "classification",
        },
    )
