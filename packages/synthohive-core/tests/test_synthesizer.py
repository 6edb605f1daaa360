"""Synthesizer on one table: fit/sample, exact dtypes and column order, seeds, save/load
(also cold, in a fresh process without the training data), PII never in the model file, and
typed errors for bad calls."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthohive.errors import (
    DataError,
    InvalidDataError,
    MetadataError,
    NotFittedError,
    PluginNotFoundError,
)
from synthohive.metadata.schema import Column, Metadata, Table
from synthohive.synthesizer import Synthesizer


def _frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(50, 10, n)
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            0: (x * 2 + rng.normal(0, 2, n)).round(2),
            "x": x,
            "cat": rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1]),
            "flag": rng.random(n) < 0.3,
            "when": pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 500, n), "D"),
            "cnt": pd.array(np.where(rng.random(n) < 0.1, None, rng.integers(0, 9, n)), "Int64"),
            "email": [f"secret.person{i}@realcorp-example.com" for i in range(n)],
            "ssn": [f"{100 + i % 600:03d}-{10 + i % 80:02d}-{1000 + i:04d}" for i in range(n)],
        },
        index=[f"row{i}" for i in range(n)],
    )


def _meta() -> Metadata:
    cols = {
        "id": Column(sdtype="id"),
        "0": Column(sdtype="numerical"),
        "x": Column(sdtype="numerical"),
        "cat": Column(sdtype="categorical"),
        "flag": Column(sdtype="boolean"),
        "when": Column(sdtype="datetime"),
        "cnt": Column(sdtype="numerical", integer=True),
        "email": Column(sdtype="pii", kind="email"),
        "ssn": Column(sdtype="pii", kind="ssn"),
    }
    return Metadata(tables={"people": Table(name="people", primary_key=["id"], columns=cols)})


@pytest.fixture(scope="module")
def fitted() -> tuple[Synthesizer, pd.DataFrame]:
    df = _frame()
    return Synthesizer(_meta(), seed=3, progress=False).fit(df), df


def test_sample_restores_columns_dtypes_and_keys(fitted: tuple[Synthesizer, pd.DataFrame]) -> None:
    synth, df = fitted
    out = synth.sample(250)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(df.columns)  # integer label 0 round-trips as int
    assert out.columns[1] == 0 and isinstance(out.columns[1], int)
    assert out.dtypes.to_dict() == df.dtypes.to_dict()
    assert len(out) == 250
    assert out["id"].is_unique and out["id"].tolist() == list(range(1, 251))
    assert set(out["cat"]) <= {"a", "b", "c"}
    # the joint distribution is learned: corr(x, col 0) is high in both
    assert np.corrcoef(out["x"], out[0])[0, 1] > 0.8
    assert abs(out["x"].mean() - df["x"].mean()) < 3
    assert 0.02 < out["cnt"].isna().mean() < 0.2
    # PII is filled, never copied
    assert not set(out["email"]) & set(df["email"])
    assert out["email"].str.contains("@").all()
    assert not set(out["ssn"]) & set(df["ssn"])


def test_fit_does_not_mutate_input_and_accepts_any_index() -> None:
    df = _frame(120)
    df.index = pd.MultiIndex.from_arrays([np.arange(120) % 7, np.arange(120)])
    before = df.copy()
    Synthesizer(_meta(), seed=0, progress=False).fit(df)
    pd.testing.assert_frame_equal(df, before)


def test_seed_gives_identical_output(fitted: tuple[Synthesizer, pd.DataFrame]) -> None:
    synth, df = fitted
    pd.testing.assert_frame_equal(synth.sample(100, seed=7), synth.sample(100, seed=7))
    assert not synth.sample(100, seed=7).equals(synth.sample(100, seed=8))
    again = Synthesizer(_meta(), seed=3, progress=False).fit(df)
    pd.testing.assert_frame_equal(synth.sample(80), again.sample(80))


def test_metadata_detected_when_not_given() -> None:
    df = _frame(200)
    synth = Synthesizer(seed=1, progress=False).fit(df)
    assert list(synth.metadata.tables) == ["table"]
    out = synth.sample(60)
    assert list(out.columns) == list(df.columns)
    assert out.dtypes.to_dict() == df.dtypes.to_dict()
    assert synth.metadata.tables["table"].columns["email"].sdtype == "pii"
    assert not set(out["email"]) & set(df["email"])


def test_save_load_same_process_and_no_pii_in_file(
    fitted: tuple[Synthesizer, pd.DataFrame], tmp_path: Path
) -> None:
    synth, df = fitted
    path = tmp_path / "people.shm"
    digest = synth.save(path)
    loaded = Synthesizer.load(path, expected_sha256=digest)
    pd.testing.assert_frame_equal(synth.sample(90, seed=11), loaded.sample(90, seed=11))
    report = loaded.evaluate(synthetic=loaded.sample(200, seed=1))  # stored profile, no data
    assert 0.6 < report.overall <= 1.0
    with zipfile.ZipFile(path) as zf:
        blob = b"\n".join(zf.read(name) for name in zf.namelist())
        names = zf.namelist()
    assert "synthesizer.json" in names
    for value in [*df["email"], *df["ssn"]]:
        assert value.encode() not in blob
        assert value.encode("utf-16-le") not in blob
    assert b"realcorp-example" not in blob


def test_cold_load_in_fresh_process_samples_identically(
    fitted: tuple[Synthesizer, pd.DataFrame], tmp_path: Path
) -> None:
    synth, _ = fitted
    path = tmp_path / "cold.shm"
    synth.save(path)
    expected = synth.sample(40, seed=21)
    code = (
        "import sys, json\n"
        "from synthohive.synthesizer import Synthesizer\n"
        "s = Synthesizer.load(sys.argv[1])\n"
        "out = s.sample(40, seed=21)\n"
        "print(json.dumps({'cols': [str(c) for c in out.columns],"
        " 'dtypes': [str(d) for d in out.dtypes],"
        " 'csv': out.to_csv(index=False)}))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["cols"] == [str(c) for c in expected.columns]
    assert got["dtypes"] == [str(d) for d in expected.dtypes]
    assert got["csv"] == expected.to_csv(index=False)


def test_errors_are_typed() -> None:
    with pytest.raises(NotFittedError, match="fit"):
        Synthesizer(_meta()).sample(5)
    synth = Synthesizer(_meta(), seed=0, progress=False).fit(_frame(60))
    with pytest.raises(DataError, match="positive integer"):
        synth.sample(0)
    with pytest.raises(DataError, match="root tables"):
        synth.sample(rows={"nope": 3})
    with pytest.raises(InvalidDataError, match="cannot learn from a list"):
        Synthesizer(progress=False).fit([1, 2, 3])
    bad = _frame(60).drop(columns=["cat"])
    with pytest.raises(InvalidDataError) as err:
        Synthesizer(_meta(), progress=False).fit(bad)
    assert err.value.table == "people" and err.value.column == "cat"
    dup = _frame(60)
    dup.loc[dup.index[1], "id"] = 1
    with pytest.raises(InvalidDataError, match="primary key") as err2:
        Synthesizer(_meta(), progress=False).fit(dup)
    assert err2.value.column == "id"
    with pytest.raises(PluginNotFoundError):
        Synthesizer(_meta(), model="no_such_model", progress=False).fit(_frame(60))
    with pytest.raises(MetadataError, match="does not describe"):
        Synthesizer(_meta(), progress=False).fit({"people": _frame(60), "extra": _frame(60)})
    with pytest.raises(DataError, match="seed"):
        Synthesizer(_meta(), seed=-1)


def test_per_table_model_mapping_and_params() -> None:
    synth = Synthesizer(
        _meta(),
        model={"*": "gaussian_copula"},
        model_params={"people": {"shrinkage": 0.2}},
        seed=0,
        progress=False,
    ).fit(_frame(80))
    model = synth.fitted_.models["people"]
    assert model.name == "gaussian_copula"
    assert model.params.shrinkage == pytest.approx(0.2)
    assert len(synth.sample(10)) == 10


def test_quality_gate_on_sample(fitted: tuple[Synthesizer, pd.DataFrame]) -> None:
    from synthohive.errors import QualityGateError
    from synthohive.validation import QualityGate

    synth, _ = fitted
    assert len(synth.sample(120, quality_gate=QualityGate(min_score=0.5))) == 120
    with pytest.raises(QualityGateError) as err:
        synth.sample(120, quality_gate=QualityGate(min_score=1.01))
    assert err.value.report is not None


def test_privacy_drop_strategy_leaves_column_out() -> None:
    from synthohive.privacy import PrivacyConfig

    df = _frame(100)
    synth = Synthesizer(
        _meta(), privacy=PrivacyConfig(strategies={"people.ssn": "drop"}), seed=0, progress=False
    ).fit(df)
    out = synth.sample(30)
    assert list(out.columns) == [c for c in df.columns if c != "ssn"]
    assert out["email"].notna().all()
    empty = synth.sample(rows={"people": 0})
    assert list(empty["people"].columns) == list(out.columns)


def test_inf_policy_as_null_turns_infinities_into_nulls() -> None:  # T-B5
    import numpy as np
    import pandas as pd

    from synthohive.errors import InvalidDataError
    from synthohive.synthesizer import Synthesizer

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=500), "c": rng.choice(["a", "b"], 500)})
    df.loc[:49, "x"] = np.inf
    df.loc[50:59, "x"] = -np.inf
    with pytest.raises(InvalidDataError, match="inf") as info:
        Synthesizer(seed=0, progress=False).fit(df)
    assert "x" in str(info.value)
    out = Synthesizer(seed=0, progress=False, inf_policy="as_null").fit(df).sample(2000)
    assert np.isfinite(out["x"].dropna()).all()
    assert 0.06 < out["x"].isna().mean() < 0.18  # 60 of 500 real rows were infinite


def test_rare_categories_never_reach_the_model_file(tmp_path: Path) -> None:
    import numpy as np
    import pandas as pd

    from synthohive.synthesizer import Synthesizer
    from synthohive.synthesizer.rare import RARE_TOKEN

    rng = np.random.default_rng(0)
    city = rng.choice(["Berlin", "Paris", "Rome"], 600).astype(object)
    city[:3] = ["Xylotown", "Qwertyville", "Xylotown"]  # seen twice and once: rare
    df = pd.DataFrame({"city": city, "x": rng.normal(size=600)})
    synth = Synthesizer(seed=0, progress=False).fit(df)
    assert synth.rare_categories_ == {"table": {"city": 3}}
    out = synth.sample(3000)
    assert not set(out["city"]) & {"Xylotown", "Qwertyville"}
    assert set(out["city"]) <= {"Berlin", "Paris", "Rome", RARE_TOKEN}
    path = tmp_path / "m.shm"
    synth.save(path)
    import zipfile

    with zipfile.ZipFile(path) as zf:
        blob = b"".join(zf.read(n) for n in zf.namelist())
    assert b"Xylotown" not in blob and b"Qwertyville" not in blob
    kept = Synthesizer(seed=0, progress=False, rare_category_threshold=0).fit(df)
    assert kept.rare_categories_ == {}
