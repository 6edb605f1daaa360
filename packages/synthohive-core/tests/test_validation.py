"""Quality report, reference profile and quality gate (issue 8)."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from synthohive.errors import DataError, MetadataError, QualityGateError
from synthohive.metadata.schema import Column, Metadata, Table
from synthohive.validation import QualityGate, ReferenceProfile, build_profile, evaluate


def _table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(50, 10, n)
    seg = rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1])
    y = 2 * x + rng.normal(0, 5, n) + np.where(seg == "c", 40, 0)
    ts = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 365, n), "D")
    df = pd.DataFrame({"x": x, "y": y, "seg": seg, "flag": rng.random(n) < 0.3, "ts": ts})
    df.loc[rng.random(n) < 0.1, "x"] = np.nan
    return df


def _meta() -> Metadata:
    return Metadata(
        tables={
            "t": Table(
                name="t",
                columns={
                    "x": Column(sdtype="numerical"),
                    "y": Column(sdtype="numerical"),
                    "seg": Column(sdtype="categorical"),
                    "flag": Column(sdtype="boolean"),
                    "ts": Column(sdtype="datetime"),
                },
            )
        }
    )


def test_identical_data_scores_one() -> None:
    df = _table(2000, 0)
    report = evaluate(df, df.copy(), _meta())
    assert report.overall == pytest.approx(1.0)
    assert report.properties["Column Shapes"] == pytest.approx(1.0)
    assert report.properties["Missing Values"] == pytest.approx(1.0)
    assert report.score("KSComplement", "t", "x") == pytest.approx(1.0)


def test_same_distribution_scores_high_and_broken_data_scores_low() -> None:
    real, good = _table(4000, 1), _table(4000, 2)
    good_report = evaluate(real, good, _meta())
    assert good_report.overall > 0.9
    broken = good.copy()
    broken["y"] = broken["y"].sample(frac=1.0, random_state=0).to_numpy()  # breaks x~y
    broken["seg"] = "a"  # constant column
    bad_report = evaluate(real, broken, _meta())
    assert bad_report.score("CorrelationSimilarity", "t", "x", "y") < 0.7
    assert bad_report.score("TVComplement", "t", "seg") == pytest.approx(0.6, abs=0.03)
    assert bad_report.overall < good_report.overall - 0.05
    gate = QualityGate(min_score=0.9)
    gate.check(good_report)
    assert good_report.passed is True
    with pytest.raises(QualityGateError, match="overall quality") as info:
        gate.check(bad_report)
    assert info.value.report is bad_report
    assert bad_report.passed is False


def test_tv_and_ks_match_their_definitions() -> None:
    real = pd.Series(["a"] * 50 + ["b"] * 50)
    syn = pd.Series(["a"] * 80 + ["c"] * 20)
    meta = Metadata(tables={"t": Table(name="t", columns={"c": Column(sdtype="categorical")})})
    report = evaluate(pd.DataFrame({"c": real}), pd.DataFrame({"c": syn}), meta)
    # TV = ½(|.5-.8| + |.5-0| + |0-.2|) = 0.5
    assert report.score("TVComplement", "t", "c") == pytest.approx(0.5)
    assert report.score("CategoryCoverage", "t", "c") == pytest.approx(0.5)
    num = Metadata(tables={"t": Table(name="t", columns={"v": Column(sdtype="numerical")})})
    r2 = evaluate(pd.DataFrame({"v": np.arange(100.0)}), pd.DataFrame({"v": np.arange(50.0)}), num)
    assert r2.score("KSComplement", "t", "v") == pytest.approx(0.5)
    assert r2.score("RangeCoverage", "t", "v") == pytest.approx(49 / 99)


def test_profile_round_trips_and_approximates_exact_scores() -> None:
    real, syn = _table(5000, 3), _table(3000, 4)
    meta = _meta()
    cols = {c: meta.tables["t"].columns[c].sdtype for c in meta.tables["t"].columns}
    profile = build_profile({"t": real}, meta, {"t": cols})
    text = json.dumps(profile.to_json_obj(), allow_nan=False)
    restored = ReferenceProfile.from_json_obj(json.loads(text))
    exact = evaluate(real, syn, meta)
    approx = evaluate(restored, syn, meta)
    assert approx.overall == pytest.approx(exact.overall, abs=0.03)
    for col in ("x", "y", "ts"):
        # grid KS is a lower bound of the exact statistic, close for smooth columns
        assert (
            approx.score("KSComplement", "t", col) >= exact.score("KSComplement", "t", col) - 1e-12
        )
        assert approx.score("KSComplement", "t", col) == pytest.approx(
            exact.score("KSComplement", "t", col), abs=0.03
        )
    assert any("skipped" in n for n in approx.notes)
    # the profile holds no raw rows: no real float value appears in it
    reals = {f"{v:.10g}" for v in real["y"].to_numpy()[:200]}
    assert not any(r in text for r in reals if len(r) > 8)


def test_gate_after_profile_fails_broken_data() -> None:
    real = _table(3000, 5)
    meta = _meta()
    cols = {c: meta.tables["t"].columns[c].sdtype for c in meta.tables["t"].columns}
    profile = ReferenceProfile.from_json_obj(
        build_profile({"t": real}, meta, {"t": cols}).to_json_obj()
    )
    good = _table(2000, 6)
    evaluate(profile, good, meta, gate=QualityGate(min_score=0.85))
    broken = good.assign(x=1.0, seg="b", y=good["y"].sample(frac=1, random_state=1).to_numpy())
    with pytest.raises(QualityGateError):
        evaluate(profile, broken, meta, gate=QualityGate(min_score=0.85))


def _schema() -> tuple[Metadata, dict[str, pd.DataFrame]]:
    rng = np.random.default_rng(0)
    parents = pd.DataFrame({"id": np.arange(300), "size": rng.integers(0, 5, 300)})
    child_parent = np.repeat(parents["id"].to_numpy(), parents["size"].to_numpy())
    children = pd.DataFrame(
        {
            "cid": np.arange(len(child_parent)),
            "pid": child_parent,
            "v": rng.normal(size=len(child_parent)),
        }
    )
    meta = Metadata(
        tables={
            "p": Table(
                name="p",
                primary_key=["id"],
                columns={"id": Column(sdtype="id"), "size": Column(sdtype="numerical")},
            ),
            "c": Table(
                name="c",
                primary_key=["cid"],
                columns={
                    "cid": Column(sdtype="id"),
                    "pid": Column(sdtype="id"),
                    "v": Column(sdtype="numerical"),
                },
            ),
        }
    )
    meta.add_foreign_key("c", "pid", "p", "id")
    return meta, {"p": parents, "c": children}


def test_relations_referential_integrity_and_cardinality() -> None:
    meta, real = _schema()
    report = evaluate(real, real, meta)
    assert report.score("ReferentialIntegrity", "c") == 1.0
    assert report.score("CardinalityShapeSimilarity", "c") == pytest.approx(1.0)
    broken = {"p": real["p"], "c": real["c"].assign(pid=real["c"]["pid"] + 150)}
    bad = evaluate(real, broken, meta)
    assert bad.score("ReferentialIntegrity", "c") < 1.0
    with pytest.raises(QualityGateError, match="referential integrity"):
        QualityGate().check(bad)
    cols = {"p": {"size": "numerical"}, "c": {"v": "numerical"}}
    profile = build_profile(real, meta, cols)
    from_profile = evaluate(profile, real, meta)
    assert from_profile.score("CardinalityShapeSimilarity", "c") == pytest.approx(1.0)


def test_html_is_self_contained_and_json_is_stable() -> None:
    real, syn = _table(1000, 7), _table(1000, 8)
    report = evaluate(real, syn, _meta())
    page = report.to_html()
    assert page.startswith("<!DOCTYPE html>")
    assert "<svg" in page and "correlation (real)" in page
    assert not re.search(r"(src|href)\s*=\s*['\"]?(https?:)?//", page)
    assert "http://" not in page and "https://" not in page
    data = json.loads(report.to_json())
    assert data["report_version"] == 1
    keys = {"report_version", "overall", "properties", "results", "notes", "gate", "compat"}
    assert set(data) == keys and data["compat"] == "synthohive"
    assert 0.0 <= data["overall"] <= 1.0


def test_bad_input_is_typed() -> None:
    real = _table(100, 9)
    with pytest.raises(MetadataError, match="lacks columns"):
        evaluate(real, real.drop(columns=["y"]), _meta())
    with pytest.raises(DataError, match="empty"):
        evaluate(real, real.iloc[:0], _meta())
    with pytest.raises(DataError, match="target column not found"):
        evaluate(real, real, _meta(), target="nope")
    with pytest.raises(MetadataError, match="does not describe"):
        evaluate({"t": real}, {"zzz": real}, _meta())


def test_ml_efficacy_on_a_learnable_target() -> None:
    real, syn = _table(2000, 10), _table(2000, 11)
    report = evaluate(real, syn, _meta(), target="seg")
    eff = next(r for r in report.results if r.metric == "MLEfficacy")
    assert eff.details["real_trained"] > 0.5
    assert eff.score is not None and eff.score > 0.8
    noise = syn.assign(seg=np.random.default_rng(0).permutation(syn["seg"].to_numpy()))
    worse = evaluate(real, noise, _meta(), target="seg")
    assert worse.score("MLEfficacy", "t", "seg") < eff.score


def test_fit_leaves_scipy_stats_unimported_until_evaluate() -> None:
    """The reference profile built in ``fit`` needs no ``scipy.stats`` (an ~0.8 s import that
    was inside every fit); ``evaluate`` loads it with its privacy metrics (``binomtest``) and
    still scores."""
    import os
    import subprocess
    import sys

    code = (
        "import sys, synthohive\n"
        "from synthohive.demo import load_demo\n"
        "df = load_demo(['products'])['products']\n"
        "s = synthohive.Synthesizer(seed=0).fit(df)\n"
        "assert 'scipy.stats' not in sys.modules, 'fit imported scipy.stats'\n"
        "rep = s.evaluate(s.sample(200))\n"
        "assert 'scipy.stats' in sys.modules\n"
        "print('overall', rep.overall)\n"
    )
    env = {**os.environ, "SYNTHOHIVE_PLUGINS": ""}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert out.returncode == 0, out.stderr
    overall = float(out.stdout.split("overall")[1])
    assert 0.5 < overall <= 1.0


def test_pearson_uses_pairwise_complete_rows_like_pandas() -> None:
    from synthohive.validation import stats

    df = _table(400, 3)
    x = stats.as_numeric(df["x"])  # 10% nulls
    y = stats.as_numeric(df["y"]).where(np.random.default_rng(1).random(400) > 0.2)
    assert stats._pearson(x, y) == pytest.approx(x.corr(y), abs=1e-12)
    nullable = x.astype("Float64")  # pd.NA instead of NaN
    assert stats._pearson(nullable, y) == pytest.approx(x.corr(y), abs=1e-12)
    assert stats._pearson(x, pd.Series(np.ones(400))) is None  # constant column


def test_ks_statistic_equals_scipys() -> None:
    """The numpy KS statistic (used so fit never imports scipy.stats) is scipy's, ties included."""
    from scipy.stats import ks_2samp

    from synthohive.validation import stats

    rng = np.random.default_rng(5)
    cases = [
        (rng.normal(size=300), rng.normal(0.3, 1.2, size=170)),
        (rng.integers(0, 6, 500).astype(float), rng.integers(0, 8, 90).astype(float)),  # ties
        (np.array([1.0]), np.array([1.0, 2.0, 2.0])),
    ]
    for a, b in cases:
        assert stats.ks_statistic(a, b) == pytest.approx(ks_2samp(a, b).statistic, abs=1e-15)


def test_compat_is_a_validated_choice() -> None:  # issue 19 item 2
    real = _table(300, 1)
    with pytest.raises(DataError, match=r"unknown compat 'sdv'.*\['synthohive', 'sdmetrics'\]"):
        evaluate(real, real, _meta(), compat="sdv")  # type: ignore[arg-type]
    profile = build_profile({"t": real}, _meta(), {"t": {"x": "numerical"}})
    with pytest.raises(DataError, match="needs the real rows"):
        evaluate(profile, real, _meta(), compat="sdmetrics")


def test_sdmetrics_compat_averages_only_pairs_with_a_real_trend() -> None:
    real, syn = _table(2000, 3), _table(2000, 4)
    ours = evaluate(real, syn, _meta())
    compat = evaluate(real, syn, _meta(), compat="sdmetrics")
    assert (ours.compat, compat.compat) == ("synthohive", "sdmetrics")
    assert "(sdmetrics aggregates)" in compat.summary().splitlines()[0]
    assert compat.to_dict()["compat"] == "sdmetrics"
    pairs = {r.columns: r for r in compat.results if r.property == "Column Pair Trends"}
    assert len(pairs) == 10  # every pair of the 5 columns, each one kept in the report
    xy = pairs[("x", "y")]  # y = 2x + noise: strongly correlated in the real data
    assert xy.metric == "CorrelationSimilarity" and xy.details["averaged"] is True
    assert xy.details["real_correlation"] > 0.5
    flag_ts = pairs[("flag", "ts")]  # independent: shown, not averaged
    assert flag_ts.details["averaged"] is False and flag_ts.details["real_association"] < 0.3
    averaged = [r.score for r in pairs.values() if r.details["averaged"] and r.score is not None]
    assert compat.properties["Column Pair Trends"] == pytest.approx(np.mean(averaged))
    shapes = compat.properties["Column Shapes"]
    assert compat.overall == pytest.approx((shapes + np.mean(averaged)) / 2)  # type: ignore[operator]
    assert ours.properties["Column Shapes"] == pytest.approx(shapes)


def test_sdmetrics_compat_multi_table_adds_intertable_trends_and_skips_self_references() -> None:
    meta, real = _schema()
    meta.tables["p"].columns["boss"] = Column(sdtype="id")
    real["p"] = real["p"].assign(
        boss=np.where(real["p"]["id"] % 5 == 0, np.nan, real["p"]["id"] // 5 * 5)
    )
    meta.add_foreign_key("p", "boss", "p", "id")
    report = evaluate(real, real, meta, compat="sdmetrics")
    inter = [r for r in report.results if r.property == "Intertable Trends"]
    assert inter and all(r.table == "c" and r.details["parent"] == "p" for r in inter)
    assert {r.columns for r in inter} == {("p.size", "c.v")}
    assert any("self-reference" in n for n in report.notes)
    props = report.properties
    names = ("Column Shapes", "Column Pair Trends", "Cardinality", "Intertable Trends")
    present = [props[n] for n in names if props.get(n) is not None]
    assert report.overall == pytest.approx(np.mean(present))  # type: ignore[arg-type]
