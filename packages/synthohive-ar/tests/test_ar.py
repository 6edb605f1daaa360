"""Autoregressive model behaviour: dtypes, nulls, point masses, a non-linear dependence,
parent context, determinism, model files, refused parameters and dp."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from synthohive.artifacts.memory import MemoryStore
from synthohive.errors import DataError, IncompatibleArtifactError
from synthohive.metadata.schema import Column, Table
from synthohive.privacy import DPConfig
from synthohive.testing.data import mixed_table, segment_child, six_dtype_frame, table_for
from synthohive.validation.stats import ks_statistic
from synthohive_ar.model import AutoregressiveModel

TINY = {"epochs": 3, "batch_size": 100, "embedding_dim": 4, "hidden_dim": 32, "blocks": 1}


def fit(df: pd.DataFrame, table: Table, **params: object) -> AutoregressiveModel:
    return AutoregressiveModel({**TINY, **params}, device="cpu", seed=0).fit(df, table=table)


def test_fit_sample_keeps_columns_dtypes_categories_and_ranges() -> None:
    df = six_dtype_frame(400)
    df.loc[::5, "income"] = np.nan  # 20% nulls in a float column
    model = fit(df, table_for(df))
    out = model.sample(1000, seed=1)
    assert list(out.columns) == list(df.columns) and (out.dtypes == df.dtypes).all()
    assert set(out["city"]) <= set(df["city"]) and set(out["band"]) <= set(df["band"])
    assert out["age"].between(df["age"].min(), df["age"].max()).all()
    assert out["joined"].between(df["joined"].min(), df["joined"].max()).all()
    # the null token starts at its training share (output biases) and stays near it
    assert abs(out["income"].isna().mean() - 0.2) < 0.05
    # an untrained-looking net still has the marginals: KS of every numeric column is small
    for col in ("age", "income"):
        assert ks_statistic(df[col].dropna().to_numpy(), out[col].dropna().to_numpy()) < 0.12


def test_point_masses_come_back_exactly_at_their_share() -> None:
    rng = np.random.default_rng(0)
    n = 2000
    x = np.where(rng.random(n) < 0.3, 0.0, np.round(rng.lognormal(1, 1, n), 2))
    df = pd.DataFrame({"x": x, "k": rng.choice(["a", "b"], n)})
    out = fit(df, table_for(df)).sample(n, seed=1)
    assert abs((out["x"] == 0.0).mean() - 0.3) < 0.04
    assert (out["x"] >= 0).all()
    assert ks_statistic(df["x"].to_numpy(), out["x"].to_numpy()) < 0.06


def test_learns_a_non_linear_dependence() -> None:
    """y = x² + noise: the correlation is ~0 but E[y | |x| large] is high; the model keeps it."""
    rng = np.random.default_rng(1)
    n = 3000
    x = rng.uniform(-2, 2, n)
    df = pd.DataFrame({"x": x, "y": x**2 + rng.normal(0, 0.2, n)})
    model = fit(df, table_for(df), epochs=40, batch_size=200, hidden_dim=64)
    out = model.sample(3000, seed=2)
    outer, inner = out["x"].abs() > 1.5, out["x"].abs() < 0.5
    assert abs(out.loc[outer, "y"].mean() - 3.1) < 0.4  # E[x² | 1.5 < |x| < 2] ≈ 3.08
    assert abs(out.loc[inner, "y"].mean() - 0.08) < 0.25  # E[x² | |x| < 0.5] ≈ 0.08
    resid = out["y"] - out["x"] ** 2
    assert resid.abs().median() < 0.35  # noise sd 0.2 plus the bins' width
    assert ks_statistic(df["y"].to_numpy(), out["y"].to_numpy()) < 0.05


def test_context_follows_each_parent() -> None:
    child, child_table, ctx, ctx_table = segment_child()
    model = AutoregressiveModel({**TINY, "epochs": 30, "hidden_dim": 32}, device="cpu", seed=0)
    model.fit(child, table=child_table, context=ctx, context_table=ctx_table)
    n = 400
    a = model.sample(n, context=pd.DataFrame({"segment": ["A"] * n}), seed=1)
    b = model.sample(n, context=pd.DataFrame({"segment": ["B"] * n}), seed=1)
    assert abs(a["value"].mean()) < 1.0 and abs(b["value"].mean() - 10.0) < 1.0
    assert (a["kind"] == "p").mean() > 0.75 and (b["kind"] == "p").mean() < 0.25  # 0.9 / 0.1
    mixed = pd.DataFrame({"segment": ["A", "B"] * (n // 2)})
    out = model.sample(n, context=mixed, seed=2)
    is_b = (mixed["segment"] == "B").to_numpy()
    assert out["value"][is_b].mean() - out["value"][~is_b].mean() > 8


def test_same_seed_gives_identical_model_files_and_rows() -> None:
    df, table = mixed_table()
    a, b = fit(df, table), fit(df, table)
    files_a, files_b = MemoryStore(), MemoryStore()
    a.save(files_a.writer())
    b.save(files_b.writer())
    assert files_a.members == files_b.members
    pd.testing.assert_frame_equal(a.sample(200, seed=5), b.sample(200, seed=5))
    assert not a.sample(200, seed=5).equals(a.sample(200, seed=6))


def test_save_load_samples_identically_and_refuses_other_shapes() -> None:
    df, table = mixed_table()
    model = fit(df, table, sample_batch_size=64)  # several chunks
    store = MemoryStore()
    model.save(store.writer())
    loaded = AutoregressiveModel.load(store.reader())
    pd.testing.assert_frame_equal(loaded.sample(300, seed=9), model.sample(300, seed=9))
    head = json.loads(store.members["model.json"])
    head["params"]["hidden_dim"] = 48
    store.members["model.json"] = json.dumps(head).encode()
    with pytest.raises(IncompatibleArtifactError, match=r"net\.inp\.weight"):
        AutoregressiveModel.load(store.reader())


def test_stored_vocabulary_must_fit_the_marginal() -> None:
    df, table = mixed_table()
    store = MemoryStore()
    fit(df, table).save(store.writer())
    key = "state/autoregressive.json"
    state = json.loads(store.members[key])
    state["tokens"][0]["n_value"] = 7  # a bins column with 64 bins
    store.members[key] = json.dumps(state).encode()
    with pytest.raises(IncompatibleArtifactError, match="column_0"):
        AutoregressiveModel.load(store.reader())


def test_keeps_the_best_held_out_epoch_and_stops_early() -> None:
    df, table = mixed_table(600)
    model = fit(df, table, epochs=200, patience=3, hidden_dim=64, lr=1e-2)
    nll = [h["val_nll"] for h in model.history]
    assert len(nll) < 200  # stopped early
    assert model.best_epoch == int(np.argmin(nll))
    assert len(nll) - 1 - model.best_epoch >= 3


def test_bad_parameters_and_dp_raise_typed_errors() -> None:
    with pytest.raises(DataError, match="bins"):
        AutoregressiveModel({"bins": 1})
    with pytest.raises(DataError, match="did you mean 'epochs'"):
        AutoregressiveModel({"epoch": 3})
    df, table = mixed_table()
    model = AutoregressiveModel({**TINY, "dp": DPConfig(epsilon=1.0)}, device="cpu", seed=0)
    with pytest.raises(DataError, match="differential privacy") as info:
        model.fit(df, table=table)
    assert info.value.table == "people"


def test_constant_and_all_null_columns_need_no_network() -> None:
    df = pd.DataFrame({"c": ["same"] * 20, "k": [3] * 20, "e": [np.nan] * 20})
    table = Table(
        name="const",
        columns={
            "c": Column(sdtype="categorical"),
            "k": Column(sdtype="numerical"),
            "e": Column(sdtype="numerical"),
        },
    )
    model = fit(df, table)
    out = model.sample(15, seed=0)
    assert (out["c"] == "same").all() and (out["k"] == 3).all() and out["e"].isna().all()
    assert model._net is None


def test_rare_categories_share_one_token_decoded_by_frequency() -> None:
    rng = np.random.default_rng(3)
    n = 3000
    cats = [f"c{i}" for i in range(40)]
    probs = np.array([0.5] + [0.5 / 39] * 39)
    df = pd.DataFrame({"c": rng.choice(cats, n, p=probs), "x": rng.normal(size=n)})
    out = fit(df, table_for(df), max_categories=5).sample(n, seed=1)
    assert abs((out["c"] == "c0").mean() - (df["c"] == "c0").mean()) < 0.04
    assert out["c"].nunique() > 30  # the rare ones come back, not only the top 4
    assert set(out["c"]) <= set(cats)


def test_model_module_imports_without_torch() -> None:
    code = "import sys, synthohive_ar.model, synthohive_ar.plugin; sys.exit('torch' in sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_synthesizer_conditions_by_drawing_and_keeping_matches() -> None:
    """The model takes no conditions itself: the synthesizer draws rows and keeps those with
    the asked value (so model="auto" choosing it keeps conditions working); a value the model
    never draws is refused with a typed error naming the table."""
    import synthohive as sh

    df, table = mixed_table(400)
    meta = sh.Metadata(tables={"people": table})
    synth = sh.Synthesizer(meta, model="autoregressive", model_params=TINY, seed=0)
    synth.progress = False
    synth.fit({"people": df})
    assert synth.fitted_.models["people"].name == "autoregressive"
    assert len(synth.sample(50)) == 50
    value = df["colour"].value_counts().index[-1]  # the rarest colour
    out = synth.sample(50, conditions={"colour": value}, seed=2)
    assert len(out) == 50 and (out["colour"] == value).all()
    with pytest.raises(DataError, match="takes no conditions") as info:
        synth.sample(50, conditions={"colour": "no-such-colour"})
    assert info.value.table == "people"
