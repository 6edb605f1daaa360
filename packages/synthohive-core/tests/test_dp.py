"""Differential privacy in the core: the budget conversion, the DP copula and independent
model, and the synthesizer's DP mode (issue #21)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthohive as sh
from synthohive.errors import DataError
from synthohive.metadata.detect import detect_table
from synthohive.models.copula import GaussianCopulaModel
from synthohive.models.independent import IndependentModel
from synthohive.privacy import DPConfig, PrivacyConfig
from synthohive.privacy.dp import epsilon_for, rho_for


def people(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    """Ages, incomes that follow age, a skewed city, dates as strings, nulls, one rare city."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, n)
    income = np.round(20_000 + 900 * age + rng.normal(0, 6_000, n), 2)
    city = rng.choice(["Lyon", "Paris", "Nice", "Lille"], n, p=[0.4, 0.3, 0.2, 0.1]).astype(object)
    city[7] = "Saint-Quentin-Fallavier"  # one person: must never be released
    joined = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), unit="D")
    df = pd.DataFrame(
        {
            "age": age,
            "income": income,
            "city": city,
            "joined": joined.strftime("%Y-%m-%d"),
            "member": rng.random(n) < 0.3,
        }
    )
    df.loc[rng.random(n) < 0.1, "income"] = np.nan
    return df


@pytest.mark.parametrize(("eps", "delta"), [(0.1, 1e-6), (1.0, 1e-5), (10.0, 1e-3)])
def test_zcdp_conversion_round_trips(eps: float, delta: float) -> None:
    rho = rho_for(eps, delta)
    assert rho > 0
    assert epsilon_for(rho, delta) == pytest.approx(eps, rel=1e-9)


@pytest.mark.parametrize("eps", [1.0, 10.0])
def test_dp_copula_spends_its_budget_and_keeps_the_marginals(eps: float) -> None:
    df = people()
    model = GaussianCopulaModel({"dp": {"epsilon": eps}}, seed=3)
    model.fit(df, table=detect_table(df, name="people"))
    record = model.dp_
    assert record is not None
    assert record["epsilon"] <= eps + 1e-6
    assert record["epsilon"] == pytest.approx(eps, rel=1e-3)
    assert 0 < record["delta"] < 1 / len(df)
    assert abs(record["rows"] - len(df)) < 0.05 * len(df)
    whats = {q["what"] for q in record["queries"]}
    assert {"age: range", "city: categories", "correlation"} <= whats
    out = model.sample(4000, seed=1)
    shares = out["city"].value_counts(normalize=True)
    assert abs(shares["Lyon"] - 0.4) < 0.05
    assert abs(out["age"].mean() - df["age"].mean()) < 5
    assert abs(out["income"].isna().mean() - df["income"].isna().mean()) < 0.05
    assert pd.to_datetime(out["joined"], format="%Y-%m-%d").notna().all()
    assert out["member"].dtype == bool


def test_dp_copula_keeps_a_strong_correlation_at_epsilon_10() -> None:
    df = people()
    real = df[["age", "income"]].dropna().corr().iloc[0, 1]
    model = GaussianCopulaModel({"dp": {"epsilon": 10.0}}, seed=0)
    model.fit(df, table=detect_table(df, name="people"))
    out = model.sample(4000, seed=0)[["age", "income"]].dropna()
    assert real > 0.9
    assert out.corr().iloc[0, 1] > 0.7


@pytest.mark.parametrize("model_cls", [GaussianCopulaModel, IndependentModel])
def test_a_category_held_by_one_row_is_never_released(model_cls: type) -> None:
    df = people()
    for seed in range(5):
        model = model_cls({"dp": {"epsilon": 1.0}}, seed=seed)
        model.fit(df, table=detect_table(df, name="people"))
        assert "Saint-Quentin-Fallavier" not in model.sample(20_000, seed=seed)["city"].tolist()
        assert model.dp_ is not None and model.dp_["epsilon"] <= 1.0 + 1e-6
    plain = model_cls(seed=0).fit(df, table=detect_table(df, name="people"))
    assert "Saint-Quentin-Fallavier" in plain.marginals[2].categories  # without DP it is kept


def _distance_attack_auc(train: pd.DataFrame, holdout: pd.DataFrame, fake: pd.DataFrame) -> float:
    """AUC of 'closer to a synthetic row means member' on the numeric columns."""
    from sklearn.metrics import roc_auc_score

    cols = ["age", "income"]
    scale = train[cols].std()
    syn = (fake[cols].fillna(fake[cols].mean()) / scale).to_numpy()

    def nearest(frame: pd.DataFrame) -> np.ndarray:
        x = (frame[cols].fillna(frame[cols].mean()) / scale).to_numpy()
        return np.sqrt(((x[:, None, :] - syn[None, :, :]) ** 2).sum(-1)).min(1)

    score = np.concatenate([-nearest(train), -nearest(holdout)])
    truth = np.concatenate([np.ones(len(train)), np.zeros(len(holdout))])
    return float(roc_auc_score(truth, score))


def test_membership_signal_falls_towards_chance_with_dp() -> None:
    """A small table whose copula replays its own values (the quantile knots are the data
    points): the distance attack finds members without DP, not at epsilon 1."""
    df = people(600, seed=5)
    df["income"] = df["income"] + np.random.default_rng(1).normal(0, 30_000, len(df))
    train, holdout = df.iloc[:300].reset_index(drop=True), df.iloc[300:].reset_index(drop=True)
    table = detect_table(train, name="people")
    aucs = {}
    for eps in (None, 1.0):
        params = {"dp": {"epsilon": eps}} if eps else {}
        model = GaussianCopulaModel(params, seed=0).fit(train, table=table)
        aucs[eps] = _distance_attack_auc(train, holdout, model.sample(300, seed=0))
    assert aucs[None] > 0.56
    assert abs(aucs[1.0] - 0.5) < 0.06
    assert aucs[1.0] < aucs[None]


def _people_meta(df: pd.DataFrame) -> sh.Metadata:
    return sh.Metadata.detect({"people": df})


def test_synthesizer_dp_mode_records_explains_and_survives_a_cold_load(tmp_path: Path) -> None:
    df = people()
    df["email"] = [f"person{i}@example.org" for i in range(len(df))]
    df["person_id"] = np.arange(len(df))
    synth = sh.Synthesizer(
        _people_meta(df), privacy=PrivacyConfig(dp=DPConfig(epsilon=2.0)), seed=0, progress=False
    )
    synth.fit({"people": df})
    assert synth.profile_ is None  # no exact statistics kept for reports
    text = synth.explain()
    assert "differential privacy: epsilon 1.9 of 1.9 spent" in text  # 5% went to row counts
    assert synth.dp_ is not None and synth.dp_["epsilon_total"] == pytest.approx(2.0, rel=1e-3)
    out = synth.sample()["people"]
    assert abs(len(out) - len(df)) < 0.05 * len(df)
    assert "Saint-Quentin-Fallavier" not in set(out["city"])
    assert not out["email"].isin(df["email"]).any()
    path = tmp_path / "people.shv"
    synth.save(path)
    code = (
        "import json, sys, synthohive as sh\n"
        "s = sh.Synthesizer.load(sys.argv[1])\n"
        "m = s.fitted_.models['people']\n"
        "print(json.dumps({'dp': m.dp_, 'explain': s.explain()}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded["dp"] == synth.fitted_.models["people"].dp_
    assert "differential privacy" in loaded["explain"]


def test_synthesizer_dp_on_a_related_schema_keeps_keys_and_states_the_composition() -> None:
    from synthohive.demo import load_demo

    tables = load_demo()
    meta = sh.Metadata.detect(tables)
    synth = sh.Synthesizer(
        meta, privacy=PrivacyConfig(dp=DPConfig(epsilon=2.0)), seed=0, progress=False
    )
    synth.fit(tables)
    record = synth.dp_
    assert record is not None
    assert record["epsilon_total"] == pytest.approx(2.0 * len(tables), rel=1e-3)
    for name, part in record["tables"].items():
        assert part["epsilon"] <= 2.0 + 1e-6, name
        assert part["delta"] < 1 / len(tables[name]), name
    assert "8 for a person in every table" in synth.explain()
    fake = synth.sample(seed=1)
    for name in ("customers", "orders", "order_items"):
        assert abs(len(fake[name]) - len(tables[name])) < 0.15 * len(tables[name]), name
    report = synth.evaluate(tables, fake)
    assert report.properties["Referential Integrity"] == 1.0
    assert report.properties["Cardinality"] > 0.7
    assert any(note.startswith("differential privacy") for note in report.notes)
    # nothing the synthesizer keeps is exact: counts and key starts come from noise / schema
    assert all(p.key_specs[c].start == 1 for p in synth.fitted_.plans.values() for c in p.key_specs)


def test_synthesizer_dp_refuses_what_it_cannot_account_for() -> None:
    from synthohive.demo import load_demo

    tables = load_demo()
    dp = PrivacyConfig(dp=DPConfig(epsilon=1.0))
    synth = sh.Synthesizer(privacy=dp, context_columns={"orders": ["segment"]}, progress=False)
    with pytest.raises(DataError, match="without parent context") as err:
        synth.fit(tables)
    assert err.value.fix and "drop dp" in err.value.fix
    meta = sh.Metadata.detect(tables)
    meta.add_constraint("order_items", "positive", column="quantity", strict=True)
    with pytest.raises(DataError, match="constraints"):
        sh.Synthesizer(meta, privacy=dp, progress=False).fit(tables)


def test_dp_config_rejects_bad_budgets() -> None:
    with pytest.raises(ValueError, match="epsilon"):
        DPConfig(epsilon=0)
    with pytest.raises(ValueError, match="delta"):
        DPConfig(epsilon=1, delta=0.5)
    with pytest.raises(DataError, match="invalid parameters"):
        GaussianCopulaModel({"dp": {"epsilon": 1, "epsilonn": 2}})


def test_dp_copula_with_context_is_refused() -> None:
    df = people(200)
    ctx = pd.DataFrame({"region": ["north", "south"] * 100})
    model = GaussianCopulaModel({"dp": {"epsilon": 1.0}}, seed=0)
    with pytest.raises(DataError, match="parent context"):
        model.fit(df, table=detect_table(df, name="people"), context=ctx)


def _shadow_attack_auc(epsilon: float | None, runs: int = 24) -> float:
    """Shadow-model membership attack on one outlier of a small table: the attacker fits the
    same synthesizer on samples with and without the target, learns (logistic regression) how
    the synthetic rows near the target differ, and is scored (AUC) on fresh runs."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    pool = people(800, seed=9)[["age", "income", "city"]].dropna().reset_index(drop=True)
    target = pd.DataFrame({"age": [89], "income": [260_000.0], "city": ["Lyon"]})
    table = detect_table(pool, name="people")
    scale = pool[["age", "income"]].std().to_numpy()

    def features(seed: int, member: bool) -> list[float]:
        rows = pool.sample(300, random_state=seed)
        if member:
            rows = pd.concat([rows, target], ignore_index=True)
        params = {"dp": {"epsilon": epsilon}} if epsilon else {}
        fake = GaussianCopulaModel(params, seed=seed).fit(rows, table=table).sample(1000, seed=seed)
        got = fake[["age", "income"]].dropna().to_numpy()
        d = np.sqrt((((got - target[["age", "income"]].to_numpy()) / scale) ** 2).sum(1))
        top = float(np.max(got[:, 1], initial=0.0))
        return [float(np.min(d, initial=99.0)), top / 1e5, float((got[:, 1] > 150_000).mean())]

    def dataset(offset: int) -> tuple[np.ndarray, np.ndarray]:
        x = [features(offset + i, i % 2 == 0) for i in range(2 * runs)]
        y = [i % 2 == 0 for i in range(2 * runs)]
        return np.array(x), np.array(y)

    x_train, y_train = dataset(0)
    x_test, y_test = dataset(10_000)
    clf = LogisticRegression().fit(x_train, y_train)
    return float(roc_auc_score(y_test, clf.predict_proba(x_test)[:, 1]))


def test_shadow_model_attack_on_an_outlier_fails_under_dp() -> None:
    plain, private = _shadow_attack_auc(None), _shadow_attack_auc(1.0)
    assert plain > 0.9  # without DP the outlier's presence shows in the synthetic rows
    assert private < 0.7
    assert private < plain


def test_a_range_lost_in_the_noise_is_refused_with_the_fix_and_public_bounds_mend_it() -> None:
    """A small table at a tiny budget: the range search cannot tell where a column's values
    lie, so the fit refuses (it used to pick a random decade: bill lengths of 1e9)."""
    from synthohive.errors import PrivacyBudgetError, PrivacyError

    df = people(150)[["age", "income", "city"]]
    table = detect_table(df, name="people")
    with pytest.raises(PrivacyBudgetError) as info:
        GaussianCopulaModel({"dp": {"epsilon": 0.05}}, seed=0).fit(df, table=table)
    err = info.value
    assert isinstance(err, PrivacyError)
    assert err.table == "people" and err.column in ("age", "income")
    assert "public_bounds" in (err.fix or "") and "raise epsilon" in (err.fix or "")
    for name in ("age", "income"):  # declared public bounds: no range search to fail
        table.columns[name].min, table.columns[name].max = 0, 300_000
    params = {"dp": {"epsilon": 0.05, "public_bounds": True}}
    fake = GaussianCopulaModel(params, seed=0).fit(df, table=table).sample(500, seed=1)
    assert fake["age"].between(0, 300_000).all()
    assert fake["income"].dropna().between(0, 300_000).all()


def test_a_column_with_no_releasable_category_is_recorded_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    df = people(2000)
    df["nickname"] = [f"n{i}" for i in range(len(df))]  # every value held by one row
    model = GaussianCopulaModel({"dp": {"epsilon": 3.0}}, seed=0)
    with caplog.at_level("WARNING"):
        model.fit(df, table=detect_table(df, name="people"))
    assert model.dp_ is not None and model.dp_["unreleased"] == ["nickname"]
    assert "dp.column_unreleased" in caplog.text and "nickname" in caplog.text
    fake = model.sample(300, seed=0)
    assert fake["nickname"].isna().all() and fake["city"].notna().all()
