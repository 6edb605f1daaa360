"""Our metric definitions equal sdmetrics' on the same inputs, to 1e-6 (issue 8).

Runs only in the nox ``parity`` session, the one environment where sdmetrics is installed
(it is never a dependency of any SynthoHive package).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthohive.validation import stats

sdmetrics = pytest.importorskip("sdmetrics", reason="only the nox parity session installs it")
from sdmetrics.column_pairs import ContingencySimilarity, CorrelationSimilarity  # noqa: E402
from sdmetrics.single_column import (  # noqa: E402
    CategoryCoverage,
    KSComplement,
    MissingValueSimilarity,
    RangeCoverage,
    TVComplement,
)

TOL = 1e-6


def _pair(seed: int, n: int = 1500) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)

    def frame(shift: float, m: int) -> pd.DataFrame:
        x = rng.normal(shift, 1, m)
        df = pd.DataFrame(
            {
                "x": x,
                "y": 0.6 * x + rng.normal(0, 1, m),
                "cat": rng.choice(["a", "b", "c", "d"], m, p=[0.4, 0.3, 0.2, 0.1]),
                "cat2": rng.choice(["u", "v"], m),
                "ts": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 400, m), "D"),
            }
        )
        df.loc[rng.random(m) < 0.1, "x"] = np.nan
        return df

    return frame(0.0, n), frame(0.3, n - 200)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_single_column_metrics_match(seed: int) -> None:
    real, syn = _pair(seed)
    for col in ("x", "ts"):
        assert stats.ks_complement(real[col], syn[col]) == pytest.approx(
            KSComplement.compute(real[col], syn[col]), abs=TOL
        )
        assert stats.range_coverage(real[col], syn[col]) == pytest.approx(
            RangeCoverage.compute(real[col], syn[col]), abs=TOL
        )
    for col in ("cat", "cat2"):
        assert stats.tv_complement(real[col], syn[col]) == pytest.approx(
            TVComplement.compute(real[col], syn[col]), abs=TOL
        )
        assert stats.category_coverage(real[col], syn[col]) == pytest.approx(
            CategoryCoverage.compute(real[col], syn[col]), abs=TOL
        )
    assert stats.missing_similarity(real["x"], syn["x"]) == pytest.approx(
        MissingValueSimilarity.compute(real["x"], syn["x"]), abs=TOL
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_pair_metrics_match(seed: int) -> None:
    real, syn = _pair(seed)
    ours = stats.correlation_similarity(real[["x", "y"]], syn[["x", "y"]])
    theirs = CorrelationSimilarity.compute(real[["x", "y"]], syn[["x", "y"]], coefficient="Pearson")
    assert ours == pytest.approx(theirs, abs=TOL)
    ours_c = stats.contingency_similarity(real[["cat", "cat2"]], syn[["cat", "cat2"]])
    theirs_c = ContingencySimilarity.compute(real[["cat", "cat2"]], syn[["cat", "cat2"]])
    assert ours_c == pytest.approx(theirs_c, abs=TOL)


@pytest.mark.parametrize("seed", [0, 1])
def test_dcr_overfitting_protection_matches(seed: int) -> None:  # T-M4 (sdmetrics half)
    from sdmetrics.single_table import DCROverfittingProtection

    from synthohive.validation.privacy import dcr_overfitting_protection

    real, other = _pair(seed, n=500)
    train, holdout = real.iloc[:300].reset_index(drop=True), real.iloc[300:].reset_index(drop=True)
    synthetic = pd.concat([train.iloc[:80], other.iloc[:220]], ignore_index=True)
    sdtypes = {"x": "numerical", "y": "numerical", "cat": "categorical", "ts": "datetime"}
    meta = {"tables": {"t": {"columns": {c: {"sdtype": t} for c, t in sdtypes.items()}}}}
    theirs = DCROverfittingProtection.compute(train, synthetic, holdout, meta, "t")
    ours = dcr_overfitting_protection(train, synthetic, holdout, sdtypes)
    assert ours == pytest.approx(theirs, abs=1e-9)
