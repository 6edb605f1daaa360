"""Issue #18 bad inputs: constant/null-only tables, empty tables, values near float64's limit
and oversized sample requests (RELIABILITY T-B3/T-B4, T-B5, T-B9)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from synthohive.artifacts import MemoryStore
from synthohive.cli import build_cli
from synthohive.errors import DataError, EmptyTableError
from synthohive.metadata.schema import Column, ForeignKey, Metadata, Table
from synthohive.models.copula import GaussianCopulaModel
from synthohive.models.independent import IndependentModel
from synthohive.models.marginals import _quantile
from synthohive.models.values import power_scale, round_decimals
from synthohive.synthesizer import inputs
from synthohive.synthesizer.core import Synthesizer
from synthohive.testing.data import table_for
from synthohive.validation.profile import build_profile

FMAX = float(np.finfo("float64").max)


def _constant_frame(n: int) -> pd.DataFrame:
    """Every column constant or entirely null, one per kind of dtype."""
    return pd.DataFrame(
        {
            "num": np.full(n, 1.5),
            "int": pd.Series([7] * n, dtype="Int64"),
            "text": pd.Series(["x"] * n, dtype="str"),
            "flag": np.ones(n, dtype=bool),
            "band": pd.Categorical(["b"] * n, categories=["a", "b"]),
            "none": pd.Series([None] * n, dtype=object),
            "nan": np.full(n, np.nan),
            "nat": pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]"),
        }
    )


def _assert_reproduced(out: pd.DataFrame, real: pd.DataFrame) -> None:
    assert list(out.columns) == list(real.columns)
    for col in real.columns:
        assert out[col].dtype == real[col].dtype, col
        if real[col].isna().all():
            assert out[col].isna().all(), col
        else:
            assert (out[col] == real[col].iloc[0]).all(), col


def _events(caplog: pytest.LogCaptureFixture, event: str) -> list[dict[str, Any]]:
    found = [r.msg for r in caplog.records if isinstance(r.msg, dict)]
    return [m for m in found if m.get("event") == event]


# --- #18.10 every modelled column constant or null -------------------------------------------
def test_copula_fits_a_table_of_constants_and_nulls() -> None:
    data = _constant_frame(40)
    model = GaussianCopulaModel(seed=0).fit(data, table=table_for(data), progress=False)
    assert model.corr.shape == (0, 0)
    _assert_reproduced(model.sample(25, seed=1), data)
    _assert_reproduced(model.sample(5, seed=1, conditions={"text": "x"}), data)
    store = MemoryStore()
    model.save(store.writer())
    loaded = GaussianCopulaModel.load(store.reader())
    pd.testing.assert_frame_equal(loaded.sample(10, seed=3), model.sample(10, seed=3))


def test_copula_with_constant_context_and_constant_data() -> None:
    data = pd.DataFrame({"q": np.full(30, 2.0)})
    context = pd.DataFrame({"k": ["c"] * 30})
    model = GaussianCopulaModel(seed=0).fit(
        data, table=table_for(data), context=context, context_table=table_for(context)
    )
    out = model.sample(12, context=context.iloc[:12], seed=1)
    assert (out["q"] == 2.0).all()


def test_synthesizer_single_table_of_constants_and_nulls() -> None:
    data = _constant_frame(40)
    # threshold 0: rare-category protection would rename the unused category "a"
    synth = Synthesizer(seed=0, progress=False, rare_category_threshold=0).fit(data)
    _assert_reproduced(synth.sample(30), data)


def test_synthesizer_schema_of_constants_and_nulls() -> None:
    n = 40
    parents = pd.DataFrame({"pid": np.arange(n), "k": ["c"] * n, "z": [None] * n})
    kids = pd.DataFrame(
        {
            "kid": np.arange(3 * n),
            "pid": np.repeat(np.arange(n), 3),
            "q": np.full(3 * n, 2.0),
            "w": pd.Series(["w"] * (3 * n), dtype="str"),
        }
    )
    meta = _schema(parents, kids)
    synth = Synthesizer(meta, seed=0, progress=False, lookup_rows=0).fit(
        {"parents": parents, "kids": kids}
    )
    out = synth.sample(scale=0.5)
    assert len(out["parents"]) == n // 2
    assert len(out["kids"]) > 0
    assert out["kids"]["pid"].isin(out["parents"]["pid"]).all()
    _assert_reproduced(out["parents"][["k", "z"]], parents[["k", "z"]])
    _assert_reproduced(out["kids"][["q", "w"]], kids[["q", "w"]])


# --- #18.11 tables without rows (T-B9 through the Synthesizer) -------------------------------
def _schema(parents: pd.DataFrame, kids: pd.DataFrame) -> Metadata:
    def table(name: str, frame: pd.DataFrame, pk: str) -> Table:
        cols = {
            c: Column(sdtype="id") if c in ("pid", "kid") else table_for(frame[[c]]).columns[c]
            for c in frame.columns
        }
        return Table(name=name, primary_key=[pk], columns=cols)

    return Metadata(
        tables={"parents": table("parents", parents, "pid"), "kids": table("kids", kids, "kid")},
        relations=[
            ForeignKey(
                child="kids", child_columns=["pid"], parent="parents", parent_columns=["pid"]
            )
        ],
    )


def _family(n_parents: int, n_kids: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(0)
    parents = pd.DataFrame(
        {
            "pid": np.arange(n_parents, dtype="int64"),
            "age": rng.integers(18, 80, n_parents),
            "seg": pd.Series(rng.choice(["a", "b"], n_parents), dtype="str"),
        }
    )
    kids = pd.DataFrame(
        {
            "kid": np.arange(n_kids, dtype="int64"),
            "pid": rng.integers(0, max(n_parents, 1), n_kids).astype("int64"),
            "amount": rng.gamma(2.0, 10.0, n_kids),
            "note": pd.Series(rng.choice(["p", "q"], n_kids), dtype="str"),
        }
    )
    return {"parents": parents, "kids": kids}


@pytest.mark.parametrize("with_metadata", [True, False])
def test_single_empty_table_raises_at_fit(with_metadata: bool) -> None:
    data = pd.DataFrame({"a": pd.Series([], dtype="float64"), "b": pd.Series([], dtype=object)})
    meta = Metadata(tables={"people": table_for(data, "people")}) if with_metadata else None
    with pytest.raises(EmptyTableError, match="no rows") as info:
        Synthesizer(meta, progress=False).fit(data)
    assert info.value.table == ("people" if with_metadata else "table")
    assert info.value.fix


def test_schema_with_every_table_empty_raises() -> None:
    frames = {k: v.iloc[:0] for k, v in _family(60, 200).items()}
    meta = _schema(*_family(60, 200).values())
    with pytest.raises(EmptyTableError, match="every table") as info:
        Synthesizer(meta, progress=False).fit(frames)
    assert info.value.table == "parents"


def test_schema_emptied_by_orphan_removal_raises() -> None:
    frames = _family(60, 200)
    meta = _schema(*frames.values())
    frames["parents"] = frames["parents"].iloc[:0]
    with pytest.raises(EmptyTableError, match="orphan"):
        Synthesizer(meta, progress=False).fit(frames)


def test_empty_child_table_generates_no_rows(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    frames = _family(60, 200)
    meta = _schema(*frames.values())
    frames["kids"] = frames["kids"].iloc[:0]
    caplog.set_level(logging.WARNING, logger="synthohive")
    synth = Synthesizer(meta, seed=0, progress=False).fit(frames)
    assert [e["table"] for e in _events(caplog, "synthesizer.empty_table")] == ["kids"]
    synth.save(tmp_path / "m.shm")
    for s in (synth, Synthesizer.load(tmp_path / "m.shm")):
        out = s.sample(scale=2.0)
        assert len(out["parents"]) == 120
        assert len(out["kids"]) == 0
        assert list(out["kids"].columns) == list(frames["kids"].columns)
        assert dict(out["kids"].dtypes) == dict(frames["kids"].dtypes)


def test_empty_root_beside_another_root_gets_no_rows(caplog: pytest.LogCaptureFixture) -> None:
    full = _family(60, 0)["parents"]
    empty = pd.DataFrame({"code": pd.Series([], dtype="str"), "v": pd.Series([], dtype="float64")})
    meta = Metadata(tables={"full": table_for(full, "full"), "empty": table_for(empty, "empty")})
    synth = Synthesizer(meta, seed=0, progress=False).fit({"full": full, "empty": empty})
    caplog.set_level(logging.WARNING, logger="synthohive")
    out = synth.sample(rows={"full": 10, "empty": 5})
    assert len(out["full"]) == 10
    assert len(out["empty"]) == 0
    assert dict(out["empty"].dtypes) == dict(empty.dtypes)
    asked = [e for e in _events(caplog, "synthesizer.empty_table") if "asked" in e]
    assert [(e["table"], e["asked"]) for e in asked] == [("empty", 5)]


@pytest.mark.parametrize("layout", ["file", "folder_url"])
def test_cli_fit_refuses_header_only_csv(tmp_path: Path, layout: str) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "people.csv").write_text("id,name,score\n", encoding="utf-8")
    source = str(folder / "people.csv") if layout == "file" else f"csv://{folder}"
    model = tmp_path / "m.shm"
    result = CliRunner().invoke(build_cli(), ["fit", source, "-o", str(model)])
    assert result.exit_code == 1, result.output
    assert "table 'people'" in result.output and "no rows" in result.output
    assert not model.exists()


def test_cli_fit_folder_with_one_header_only_csv(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    frames = _family(60, 0)
    frames["parents"].to_csv(folder / "parents.csv", index=False)
    (folder / "notes.csv").write_text("note_id,text\n", encoding="utf-8")
    model = tmp_path / "m.shm"
    runner = CliRunner()
    result = runner.invoke(build_cli(), ["fit", f"csv://{folder}", "--seed", "0", "-o", str(model)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    result = runner.invoke(
        build_cli(), ["sample", str(model), "--scale", "1", "-o", f"csv://{out}"]
    )
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out / "parents.csv")) == 60


# --- #18.12 values near ±1.8e308 and huge sample requests ------------------------------------
def _huge(n: int = 300, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).uniform(-1.0, 1.0, n) * 1.7e308
    x[:2] = [-FMAX, FMAX]
    return x


def test_power_scale_and_safe_rounding() -> None:
    assert power_scale(np.array([1.0, -3e5])) == 1.0
    x = np.array([-FMAX, FMAX, 1.0])
    s = power_scale(x)
    assert np.isfinite(np.ptp(x / s)) and np.all(x / s * s == x)
    assert np.array_equal(round_decimals(np.array([FMAX, 1.234]), 2), [FMAX, 1.23])
    knots = np.array([-FMAX, FMAX])
    assert np.isfinite(_quantile(np.array([0.0, 0.3, 0.5, 1.0]), knots)).all()


def test_profile_of_values_near_float_max() -> None:
    data = pd.DataFrame({"x": _huge(), "y": np.arange(300.0)})
    meta = Metadata(tables={"t": table_for(data, "t")})
    profile = build_profile({"t": data}, meta, {"t": {"x": "numerical", "y": "numerical"}})
    col = profile.tables["t"].columns["x"]
    assert np.isfinite(col.edges).all() and col.edges[0] == -FMAX and col.edges[-1] == FMAX
    assert np.all(np.diff(col.edges) > 0)
    assert np.isfinite(col.points).all() and len(col.cdf) == len(col.points)
    assert all(np.isfinite(v) for v in profile.tables["t"].correlations.values())
    assert profile.tables["t"].correlations  # the pair was scored, not skipped as NaN


@pytest.mark.parametrize("model", [GaussianCopulaModel, IndependentModel])
def test_models_on_values_near_float_max(model: type[GaussianCopulaModel]) -> None:
    # a wide gap between the two modes: neighbouring quantiles differ by more than FMAX
    x = np.concatenate([_huge(150) * 0 - FMAX * 0.9, np.full(150, FMAX * 0.9)])
    x = x + np.random.default_rng(1).uniform(0, 1e300, 300) * np.sign(x)
    x = np.clip(x, -FMAX, FMAX)
    for values in (_huge(), x):
        data = pd.DataFrame({"x": values, "y": np.random.default_rng(2).normal(size=300)})
        table = table_for(data, x={"sdtype": "numerical"})
        fitted = model(seed=0).fit(data, table=table, progress=False)
        store = MemoryStore()
        fitted.save(store.writer())  # the state must stay finite (loader refuses inf)
        out = model.load(store.reader()).sample(400, seed=1)["x"].to_numpy()
        assert np.isfinite(out).all()
        assert out.min() >= values.min() and out.max() <= values.max()


# the synthetic side of evaluate() still correlates raw values (validation.stats._pearson)
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_synthesizer_on_values_near_float_max() -> None:
    data = pd.DataFrame({"x": _huge(), "y": np.random.default_rng(3).normal(size=300)})
    meta = Metadata(tables={"t": table_for(data, "t", x={"sdtype": "numerical"})})
    synth = Synthesizer(meta, seed=0, progress=False).fit(data)
    out = synth.sample(200)
    assert np.isfinite(out["x"]).all()
    report = synth.evaluate(synthetic=out)
    assert report is not None


@pytest.fixture(scope="module")
def small_synth() -> Synthesizer:
    return Synthesizer(seed=0, progress=False).fit(pd.DataFrame({"x": np.arange(100.0)}))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"scale": 1e308}, "scale=1e\\+308 asks for about"),
        ({"scale": 1e11}, "more than the"),
        ({"scale": float("inf")}, "scale must be a non-negative number"),
        ({"scale": 10**400}, "more than the"),
        ({"n": 10**13}, "n asks for 10000000000000 rows"),
        ({"n": 10**30}, "more than the"),
        ({"rows": {"table": 2**70}}, "rows= asks for"),
    ],
    ids=[
        "scale_1e308",
        "scale_1e11",
        "scale_inf",
        "scale_int_10pow400",
        "n_1e13",
        "n_1e30",
        "rows_2pow70",
    ],
)
def test_oversized_sample_requests_raise_before_any_work(
    small_synth: Synthesizer,
    monkeypatch: pytest.MonkeyPatch,
    kwargs: dict[str, Any],
    match: str,
) -> None:
    import synthohive.synthesizer.core as core

    def never(*_: Any, **__: Any) -> None:
        raise AssertionError("generation started")

    monkeypatch.setattr(core, "generate", never)
    with pytest.raises(DataError, match=match) as info:
        small_synth.sample(**kwargs)
    if "inf" not in str(kwargs.get("scale", "")):
        assert info.value.table == "table"
        assert info.value.fix


def test_largest_allowed_scale_is_accepted(small_synth: Synthesizer) -> None:
    assert small_synth.root_rows(scale=inputs.MAX_SAMPLE_ROWS / 100) == {
        "table": inputs.MAX_SAMPLE_ROWS
    }
    assert small_synth.root_rows(scale=0.0) == {"table": 0}
