"""Statistical fidelity and behaviour of the built-in Gaussian copula model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from synthohive.artifacts import MemoryStore
from synthohive.errors import ArtifactIntegrityError, DataError, UnknownConditionValueError
from synthohive.models.copula import GaussianCopulaModel
from synthohive.models.latent import nearest_correlation
from synthohive.testing.data import correlated_gaussians, parent_child, six_dtype_frame, table_for


def _fit(data: pd.DataFrame, **kwargs: object) -> GaussianCopulaModel:
    model = GaussianCopulaModel(seed=0)
    model.fit(data, table=table_for(data), progress=False, **kwargs)  # type: ignore[arg-type]
    return model


def _tvd(a: pd.Series, b: pd.Series) -> float:
    both = pd.concat([a.value_counts(normalize=True), b.value_counts(normalize=True)], axis=1)
    diff = both.fillna(0.0).to_numpy(dtype="float64")
    return float(0.5 * np.abs(diff[:, 0] - diff[:, 1]).sum())


def test_skewed_and_bimodal_marginals_ks() -> None:
    rng = np.random.default_rng(0)
    n = 20_000
    data = pd.DataFrame(
        {
            "lognormal": rng.lognormal(0.0, 1.0, n),
            "bimodal": np.where(rng.random(n) < 0.3, rng.normal(-4, 0.5, n), rng.normal(3, 1.5, n)),
            "exp_int": np.round(rng.exponential(200.0, n)).astype("int64"),
        }
    )
    out = _fit(data).sample(n, seed=1)
    for col in data.columns:
        stat = ks_2samp(data[col], out[col]).statistic
        assert stat <= 0.05, f"{col}: KS {stat:.3f}"
    assert out["exp_int"].dtype == np.dtype("int64")
    assert out["lognormal"].min() >= data["lognormal"].min()
    assert out["lognormal"].max() <= data["lognormal"].max()


@pytest.mark.parametrize("rho", [-0.7, 0.0, 0.5, 0.9])
def test_correlation_within_0_05(rho: float) -> None:
    data = correlated_gaussians(20_000, rho, seed=1)
    out = _fit(data).sample(20_000, seed=2)
    real = float(np.corrcoef(data["x"], data["y"])[0, 1])
    syn = float(np.corrcoef(out["x"], out["y"])[0, 1])
    assert abs(real - syn) <= 0.05, f"real {real:.3f} synthetic {syn:.3f}"


def test_categorical_frequencies_tvd_and_high_cardinality() -> None:
    rng = np.random.default_rng(2)
    n = 20_000
    probs = np.array([0.4, 0.25, 0.15, 0.1, 0.05, 0.03, 0.02])
    cats = rng.choice([f"k{i}" for i in range(len(probs))], n, p=probs)
    many = rng.zipf(1.5, n) % 3000
    data = pd.DataFrame(
        {
            "cat": pd.Series(cats, dtype="str"),
            "many": pd.Series([f"v{v}" for v in many], dtype="str"),
            "flag": rng.random(n) < 0.3,
        }
    )
    out = _fit(data).sample(n, seed=3)
    assert _tvd(data["cat"], out["cat"]) <= 0.03
    assert _tvd(data["flag"], out["flag"]) <= 0.03
    assert _tvd(data["many"], out["many"]) <= 0.1
    assert set(out["many"]) <= set(data["many"])


def test_null_rate_and_its_correlation_survive() -> None:
    rng = np.random.default_rng(3)
    n = 20_000
    x = rng.normal(size=n)
    y = rng.normal(size=n)
    y[x > 0.8] = np.nan  # missingness depends on x
    data = pd.DataFrame({"x": x, "y": y})
    out = _fit(data).sample(n, seed=4)
    assert abs(out["y"].isna().mean() - data["y"].isna().mean()) <= 0.015
    real_gap = data.loc[data["y"].isna(), "x"].mean() - data.loc[data["y"].notna(), "x"].mean()
    syn_gap = out.loc[out["y"].isna(), "x"].mean() - out.loc[out["y"].notna(), "x"].mean()
    assert syn_gap > 0.6 * real_gap


def test_context_drives_child_attributes() -> None:
    child, ctx = parent_child(6000, seed=0)
    model = _fit(child, context=ctx, context_table=table_for(ctx, "parent"))
    new_child, new_ctx = parent_child(6000, seed=1)
    out = model.sample(len(new_ctx), context=new_ctx, seed=5)
    for tier in ("gold", "silver", "bronze"):
        real = new_child.loc[new_ctx["tier"] == tier, "amount"].mean()
        syn = out.loc[(new_ctx["tier"] == tier).to_numpy(), "amount"].mean()
        assert abs(syn - real) <= 0.15 * real, f"{tier}: real {real:.1f} synthetic {syn:.1f}"
    gold = (new_ctx["tier"] == "gold").to_numpy()
    assert (out.loc[gold, "channel"] == "web").mean() > 0.7
    assert (out.loc[~gold, "channel"] == "web").mean() < 0.45


def test_conditions_truncate_without_rejection() -> None:
    data = six_dtype_frame(4000, seed=1)
    model = _fit(data)
    out = model.sample(2000, conditions={"band": "high", "member": True}, seed=6)
    assert (out["band"] == "high").all()
    assert out["member"].all()
    # conditioning shifts correlated columns: high band means older members
    assert out["age"].mean() > data["age"].mean() + 5
    with pytest.raises(UnknownConditionValueError, match="'mid'"):
        model.sample(10, conditions={"band": "giant"})
    with pytest.raises(DataError, match="categorical"):
        model.sample(10, conditions={"income": 10.0})


def test_seeded_output_and_save_load_round_trip() -> None:
    data = six_dtype_frame(500)
    model = _fit(data)
    store = MemoryStore()
    model.save(store.writer())
    loaded = GaussianCopulaModel.load(store.reader())
    pd.testing.assert_frame_equal(loaded.sample(300, seed=7), model.sample(300, seed=7))
    assert all(not name.endswith(".pkl") for name in store.members)


def _corrupt(store: MemoryStore, member: str, array: np.ndarray) -> MemoryStore:
    from synthohive.artifacts.memory import encode_array

    members = dict(store.members)
    members[member] = encode_array(array, member)
    return MemoryStore(members)


def test_load_rejects_tampered_state() -> None:
    model = _fit(six_dtype_frame(300))
    store = MemoryStore()
    model.save(store.writer())
    corr = model.corr.copy()
    bad_psd = corr.copy()
    bad_psd[0, 1] = bad_psd[1, 0] = 0.999
    bad_psd[0, 2] = bad_psd[2, 0] = -0.999
    bad_psd[1, 2] = bad_psd[2, 1] = 0.999
    cases = {
        "state/corr.npy": [corr[:-1], np.full_like(corr, np.nan), bad_psd],
        "state/col0_values.npy": [np.array([3.0, np.inf])],
        "state/col1_knots.npy": [np.array([5.0, 1.0, 2.0])],
    }
    for member, arrays in cases.items():
        assert member in store.members, sorted(store.members)
        for arr in arrays:
            with pytest.raises(ArtifactIntegrityError):
                GaussianCopulaModel.load(_corrupt(store, member, arr).reader())


def test_nearest_correlation_is_positive_definite() -> None:
    c = np.array([[1.0, 0.99, -0.99], [0.99, 1.0, 0.99], [-0.99, 0.99, 1.0]])
    fixed = nearest_correlation(c, shrinkage=0.0)
    assert np.linalg.eigvalsh(fixed).min() > 0
    assert np.allclose(np.diag(fixed), 1.0)


def test_params_validated() -> None:
    with pytest.raises(DataError, match="shrinkage"):
        GaussianCopulaModel({"shrinkage": 2.0})
    with pytest.raises(DataError):
        GaussianCopulaModel({"unknown": 1})


def test_conditions_on_null_and_discrete_values() -> None:
    rng = np.random.default_rng(8)
    n = 600
    labels = np.asarray(rng.choice(["a", "b", "c"], n), dtype=object)
    labels[rng.random(n) < 0.2] = None
    data = pd.DataFrame(
        {"k": pd.Series(labels, dtype=object), "i": rng.integers(0, 5, n), "x": rng.normal(size=n)}
    )
    model = _fit(data)
    assert model.sample(50, conditions={"k": None}, seed=1)["k"].isna().all()
    both = model.sample(50, conditions={"i": np.int64(3), "k": "a"}, seed=1)
    assert (both["i"] == 3).all() and (both["k"] == "a").all()
    with pytest.raises(UnknownConditionValueError, match=r"\[0, 1, 2, 3, 4\]"):
        model.sample(10, conditions={"i": 9})


def test_context_with_nulls_unknown_values_and_int_labels_round_trips() -> None:
    child, ctx = parent_child(500)
    ctx[0] = np.random.default_rng(9).normal(size=len(ctx))
    ctx.loc[::7, "size"] = np.nan
    model = _fit(child, context=ctx, context_table=table_for(ctx, "parent"))
    new_ctx = ctx.copy()
    new_ctx.loc[:5, "tier"] = "platinum"  # never seen: treated as uninformative
    out = model.sample(len(new_ctx), context=new_ctx, seed=2)
    assert len(out) == len(new_ctx) and out["amount"].notna().all()
    store = MemoryStore()
    model.save(store.writer())
    loaded = GaussianCopulaModel.load(store.reader())
    assert loaded.context_columns == ["tier", "size", 0]
    pd.testing.assert_frame_equal(loaded.sample(len(new_ctx), context=new_ctx, seed=2), out)
