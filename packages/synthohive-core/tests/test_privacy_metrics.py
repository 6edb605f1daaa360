"""Privacy metrics and the privacy gate (RELIABILITY T-M1, T-M2, T-M3, T-M5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthohive.errors import PrivacyGateError
from synthohive.metadata.schema import Column, Metadata, Table
from synthohive.validation import PrivacyThresholds, QualityGate, evaluate
from synthohive.validation.privacy import privacy_scores


def _people(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "income": rng.lognormal(10, 0.5, n),
            "age": rng.integers(18, 90, n).astype("int64"),
            "city": rng.choice(["ber", "par", "rom", "mad", "lis"], n),
        }
    )


META = Metadata(
    tables={
        "people": Table(
            name="people",
            columns={
                "income": Column(sdtype="numerical"),
                "age": Column(sdtype="numerical", integer=True),
                "city": Column(sdtype="categorical"),
            },
        )
    }
)
SDTYPES = {"income": "numerical", "age": "numerical", "city": "categorical"}
PRIVACY_GATE = QualityGate(privacy=PrivacyThresholds())


def test_copy_of_training_rows_is_caught() -> None:  # T-M1
    train, holdout = _people(3000, 0), _people(3000, 1)
    s = privacy_scores(train, train.copy(), SDTYPES, holdout)
    assert s["ims_train"] == pytest.approx(1.0)
    assert s["dcr_share"] == pytest.approx(1.0)
    assert s["dcr_overfitting_protection"] == pytest.approx(0.0)
    with pytest.raises(PrivacyGateError) as info:
        evaluate(train, train.copy(), META, holdout=holdout, gate=PRIVACY_GATE)
    msg = str(info.value)
    assert "IMS_train" in msg and "DCR share" in msg and "DCROverfittingProtection" in msg
    assert info.value.report.passed is False


def test_holdout_as_synthetic_passes() -> None:  # T-M2
    train, holdout, fresh = _people(4000, 2), _people(4000, 3), _people(4000, 4)
    s = privacy_scores(train, fresh, SDTYPES, holdout)
    se = 0.5 / np.sqrt(len(fresh))
    assert abs(s["dcr_share"] - 0.5) < 3 * se
    assert s["ims_train"] == pytest.approx(s["ims_holdout"], abs=0.005)
    assert s["nndr_ratio"] > 0.9
    report = evaluate(train, fresh, META, holdout=holdout, gate=PRIVACY_GATE)
    assert report.passed is True


def test_uniform_random_is_far_from_training() -> None:  # T-M3
    train, holdout = _people(2000, 5), _people(2000, 6)
    rng = np.random.default_rng(7)
    rand = pd.DataFrame(
        {
            "income": rng.uniform(train["income"].min(), train["income"].max(), 2000),
            "age": rng.integers(18, 90, 2000),
            "city": rng.choice(["ber", "par", "rom", "mad", "lis"], 2000),
        }
    )
    s = privacy_scores(train, rand, SDTYPES, holdout)
    assert s["dcr_overfitting_protection"] > 0.9
    assert s["ims_train"] == 0.0


def test_ties_split_for_categorical_duplicates() -> None:  # T-M5
    rng = np.random.default_rng(8)
    cats = {"a": "categorical", "b": "categorical"}
    train = pd.DataFrame({"a": rng.choice(["x", "y"], 500), "b": rng.choice(["p", "q"], 500)})
    holdout = pd.DataFrame({"a": rng.choice(["x", "y"], 500), "b": rng.choice(["p", "q"], 500)})
    syn = pd.DataFrame({"a": rng.choice(["x", "y"], 500), "b": rng.choice(["p", "q"], 500)})
    s = privacy_scores(train, syn, cats, holdout)
    # every synthetic row matches some train AND holdout row exactly: all ties -> 0.5
    assert s["dcr_share"] == pytest.approx(0.5)
    assert s["ims_train"] == pytest.approx(1.0)
    assert s["ims_holdout"] == pytest.approx(1.0)
    assert np.isfinite(s["nndr_ratio"])


def test_all_null_column_is_ignored() -> None:  # T-M5
    train, holdout = _people(500, 9), _people(500, 10)
    train["empty"] = np.nan
    holdout["empty"] = np.nan
    meta = Metadata(
        tables={
            "people": Table(
                name="people",
                columns={**META.tables["people"].columns, "empty": Column(sdtype="numerical")},
            )
        }
    )
    report = evaluate(train, holdout.copy(), meta, holdout=holdout)
    row = next(r for r in report.results if r.metric == "ExactMatchRate")
    assert "empty" not in row.columns
    assert 0.0 <= row.details["dcr_share"] <= 1.0


def test_domias_flags_memorisation_and_not_fresh_data() -> None:  # opt-in DOMIAS
    train, holdout, fresh = _people(1500, 11), _people(1500, 12), _people(1500, 13)
    copied = privacy_scores(train, train.copy(), SDTYPES, holdout, domias=True)
    clean = privacy_scores(train, fresh, SDTYPES, holdout, domias=True)
    assert copied["domias_auc"] > 0.7
    assert 0.4 < clean["domias_auc"] < 0.6
    with pytest.raises(PrivacyGateError, match="DOMIAS"):
        evaluate(train, train.copy(), META, holdout=holdout, domias=True, gate=PRIVACY_GATE)
    report = evaluate(train, fresh, META, holdout=holdout, domias=True)
    row = next(r for r in report.results if r.metric == "ExactMatchRate")
    assert row.details["domias_auc"] == pytest.approx(clean["domias_auc"], abs=0.05)


def test_dcr_share_equals_the_mostlyai_formula_by_brute_force() -> None:  # T-M4 (mostlyai half)
    from synthohive.validation.privacy import Embedding

    train, holdout = _people(400, 20), _people(400, 21)
    syn = pd.concat([train.iloc[:100], _people(300, 22)], ignore_index=True)
    emb = Embedding(train, SDTYPES)
    e_trn, e_hol, e_syn = emb.transform(train), emb.transform(holdout), emb.transform(syn)
    d_trn = np.abs(e_syn[:, None, :] - e_trn[None, :, :]).sum(axis=2).min(axis=1)
    d_hol = np.abs(e_syn[:, None, :] - e_hol[None, :, :]).sum(axis=2).min(axis=1)
    # mostlyai-qa: share of synthetic records closer to training than to holdout, ties split
    expected = float(np.mean(d_trn < d_hol) + 0.5 * np.mean(d_trn == d_hol))
    got = privacy_scores(train, syn, SDTYPES, holdout)
    assert got["dcr_share"] == pytest.approx(expected, abs=1e-12)
    assert got["ims_train"] == pytest.approx(float(np.mean(d_trn <= 1e-12)), abs=1e-12)
