"""DataTransformer: bad-input catalogue rows (T-B3/4/5/7/8/14/16/17), errors, conditioning."""

from __future__ import annotations

import tracemalloc
from typing import Any

import numpy as np
import pandas as pd
import pytest

from synthohive.artifacts.memory import MemoryStore
from synthohive.errors import (
    DataError,
    EmptyTableError,
    InvalidDataError,
    MetadataError,
    NotFittedError,
    UnknownConditionValueError,
)
from synthohive.metadata.schema import Column, Table
from synthohive.transform import DataTransformer, SpanInfo


def _table(df: pd.DataFrame, **overrides: Column) -> Table:
    cols: dict[str, Column] = {}
    for label in df.columns:
        s = df[label]
        if pd.api.types.is_bool_dtype(s.dtype):
            sd = "boolean"
        elif pd.api.types.is_datetime64_any_dtype(s.dtype):
            sd = "datetime"
        elif pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_timedelta64_dtype(s.dtype):
            sd = "numerical"
        else:
            sd = "categorical"
        cols[str(label)] = Column(sdtype=sd)
    cols.update(overrides)
    return Table(name="shop", columns=cols)


def _round_trip(df: pd.DataFrame, **kw: Any) -> tuple[DataTransformer, pd.DataFrame]:
    table = kw.pop("table", None) or _table(df)
    dt = DataTransformer(**kw).fit(df, table)
    return dt, dt.inverse_transform(dt.transform(df))


def _noise(dt: DataTransformer, n: int, seed: int = 0) -> np.ndarray:
    """A generator-like matrix: random scores, tanh-range values."""
    rng = np.random.default_rng(seed)
    return np.tanh(rng.normal(0, 1, (n, dt.output_dim))).astype(np.float32)


def _every_dtype_frame(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    na = rng.random(n) < 0.15
    ints = rng.integers(-100, 100, n)
    data: dict[str, Any] = {}
    name: Any
    for name in ("Int8", "Int16", "Int32", "Int64"):
        data[name] = pd.Series(pd.array(ints, dtype=name)).mask(na)
    for name in ("UInt8", "UInt16", "UInt32", "UInt64"):
        data[name] = pd.Series(pd.array(np.abs(ints), dtype=name)).mask(na)
    data["Int64_no_na"] = pd.array(ints, dtype="Int64")
    data["boolean"] = pd.Series(pd.array(rng.random(n) < 0.3, dtype="boolean")).mask(na)
    words = rng.choice(["red", "green", "blue"], n)
    data["string"] = pd.Series(words, dtype="string").mask(na)
    data["string[pyarrow]"] = pd.Series(words, dtype="string[pyarrow]").mask(na)
    data["string[python]"] = pd.Series(words, dtype="string[python]").mask(na)
    data["str"] = pd.Series(words, dtype="str").mask(na)
    data["category"] = pd.Series(
        pd.Categorical(words, categories=["red", "green", "blue", "unused"])
    ).mask(na)
    data["float32"] = pd.Series(rng.normal(10, 3, n).astype(np.float32)).mask(na)
    data["Float64"] = pd.Series(pd.array(rng.normal(0, 1, n), dtype="Float64")).mask(na)
    secs = rng.integers(0, 10**7, n)
    data["datetime64[ns]"] = (
        pd.Series(pd.to_datetime(1_600_000_000 + secs, unit="s")).astype("datetime64[ns]")
    ).mask(na)
    data["timedelta64"] = pd.Series(pd.to_timedelta(secs, unit="s")).mask(na)
    data["int16"] = ints.astype(np.int16)
    data["uint64"] = np.abs(ints).astype(np.uint64)
    data["bool"] = rng.random(n) < 0.5
    return pd.DataFrame(data)


# --- T-B14 / dtypes -----------------------------------------------------------------------------
def test_b14_every_dtype_round_trips_with_exact_dtypes() -> None:
    df = _every_dtype_frame()
    dt, back = _round_trip(df)
    assert list(back.columns) == list(df.columns)
    for c in df.columns:
        assert back[c].dtype == df[c].dtype, c
        assert np.array_equal(back[c].isna().to_numpy(), df[c].isna().to_numpy()), c
    for c in ("Int8", "UInt64", "boolean", "string", "category", "datetime64[ns]", "bool"):
        pd.testing.assert_series_equal(back[c], df[c], obj=c)
    assert back["category"].cat.categories.tolist() == ["red", "green", "blue", "unused"]
    # generator-like output decodes to the same dtypes, inside the fitted bounds
    gen = dt.inverse_transform(_noise(dt, 500))
    assert (gen.dtypes == df.dtypes).all()
    assert gen["Int32"].dropna().between(-100, 100).all()
    assert set(gen["string"].dropna()) <= {"red", "green", "blue"}


def test_columns_keep_order_labels_and_index_independence() -> None:
    df = pd.DataFrame({0: [1.5, 2.5, 3.5, 1.0], "a.b": ["x", "y", "x", "y"], "名前": [1, 2, 3, 4]})
    df.index = pd.Index(["r1", "r2", "r1", "r9"])
    dt, back = _round_trip(df)
    assert list(back.columns) == [0, "a.b", "名前"]
    pd.testing.assert_frame_equal(back, df.reset_index(drop=True))
    shuffled = df[["名前", 0, "a.b"]]
    assert np.array_equal(dt.transform(shuffled), dt.transform(df))


# --- T-B3 / T-B4 ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "series",
    [
        pd.Series([np.nan] * 5),
        pd.Series([None] * 5, dtype=object),
        pd.Series([pd.NaT] * 5, dtype="datetime64[ns]"),
        pd.Series([None] * 5, dtype="Int64"),
        pd.Series([None] * 5, dtype="str"),
        pd.Series([None] * 5, dtype="category"),
    ],
    ids=["float", "object", "datetime", "Int64", "str", "category"],
)
def test_b3_all_null_column_stays_all_null_with_dtype(series: pd.Series) -> None:
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 5.0], "empty": series})
    dt, back = _round_trip(df, table=_table(df, empty=Column(sdtype="numerical")))
    assert dt.column_spans("empty") == []
    gen = dt.inverse_transform(_noise(dt, 7))
    for out in (back, gen):
        assert out["empty"].dtype == series.dtype
        assert out["empty"].isna().all()
    if series.dtype == object:
        assert all(v is None for v in back["empty"])


@pytest.mark.parametrize(
    "values",
    [
        [42] * 6,
        ["same"] * 6,
        [True] * 6,
        list(
            pd.to_datetime(["2021-03-28 02:30"] * 6).tz_localize(
                "Europe/Berlin", "NaT", "shift_forward"
            )
        ),
        [3.25, None, 3.25, 3.25, None, 3.25],
    ],
    ids=["int", "str", "bool", "datetime_tz", "float_with_nulls"],
)
def test_b4_constant_column_is_constant_and_identical(values: list[Any]) -> None:
    df = pd.DataFrame({"c": values, "y": np.arange(6.0)})
    dt, back = _round_trip(df)
    pd.testing.assert_series_equal(back["c"], df["c"])
    gen = dt.inverse_transform(_noise(dt, 50))
    assert gen["c"].dtype == df["c"].dtype
    assert gen["c"].dropna().nunique() == 1
    assert gen["c"].dropna().iloc[0] == df["c"].dropna().iloc[0]


def test_b4_near_constant_numeric_no_crash_values_in_range() -> None:
    x = np.full(10_000, 5.0)
    x[1234] = 6.5
    df = pd.DataFrame({"x": x})
    dt, back = _round_trip(df)
    pd.testing.assert_frame_equal(back, df)
    gen = dt.inverse_transform(_noise(dt, 2000))["x"]
    assert gen.between(5.0, 6.5).all()


# --- T-B5 -------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32", "Float64", "object"])
def test_b5_inf_raises_with_count_or_becomes_null(dtype: str) -> None:
    vals = [1.0, np.inf, 2.0, -np.inf, 3.0, np.nan, 4.0, np.inf]
    df = pd.DataFrame({"amount": pd.Series(vals, dtype=dtype), "k": list("abababab")})
    table = _table(df, amount=Column(sdtype="numerical"))
    with pytest.raises(InvalidDataError) as err:
        DataTransformer().fit(df, table)
    msg = str(err.value)
    assert "3 infinite" in msg and "'amount'" in msg and "'shop'" in msg
    assert "inf_policy='as_null'" in msg
    dt = DataTransformer(inf_policy="as_null").fit(df, table)
    back = dt.inverse_transform(dt.transform(df))
    expected_null = [False, True, False, True, False, True, False, True]
    assert back["amount"].isna().tolist() == expected_null
    assert back["amount"].dropna().astype(float).tolist() == [1.0, 2.0, 3.0, 4.0]


# --- T-B7 -------------------------------------------------------------------------------------
@pytest.mark.parametrize("tz", ["UTC", "Europe/Berlin"])
def test_b7_timezones_round_trip_across_dst(tz: str) -> None:
    stamps: Any = [
        "2021-03-28 00:59:59",  # just before the Berlin gap
        "2021-03-28 01:00:00",  # first instant after it (03:00 local)
        "2021-10-31 00:30:00",  # 02:30 CEST (first of the overlap)
        "2021-10-31 01:30:00",  # 02:30 CET (second of the overlap)
        None,
        "2021-06-01 12:00:00",
    ] * 5
    utc = pd.to_datetime(stamps).tz_localize("UTC")
    s = pd.Series(utc).dt.tz_convert(tz)
    ns_dtype: Any = f"datetime64[ns, {tz}]"
    df = pd.DataFrame({"ts": s, "ns": s.astype(ns_dtype)})
    dt, back = _round_trip(df)
    pd.testing.assert_frame_equal(back, df)
    gen = dt.inverse_transform(_noise(dt, 300))
    assert str(gen["ts"].dtype) == str(df["ts"].dtype)
    assert gen["ts"].notna().sum() > 0
    assert gen["ts"].dropna().between(s.min(), s.max()).all()


def test_b7_mixed_offset_strings_keep_instants() -> None:
    fmt = "%Y-%m-%d %H:%M:%S%z"
    text = ["2021-03-28 01:30:00+0100", "2021-03-28 03:30:00+0200", "2021-10-31 02:30:00+0000"]
    df = pd.DataFrame({"when": pd.Series(text * 4, dtype="str")})
    table = _table(df, when=Column(sdtype="datetime", format=fmt))
    _, back = _round_trip(df, table=table)
    assert back["when"].dtype == df["when"].dtype
    assert back["when"].notna().all()
    a = pd.to_datetime(df["when"], format=fmt, utc=True)
    b = pd.to_datetime(back["when"], format=fmt, utc=True)
    pd.testing.assert_series_equal(a, b)


# --- T-B8 -------------------------------------------------------------------------------------
def test_b8_datetime_strings_format_learned_garbage_reported() -> None:
    rng = np.random.default_rng(3)
    n = 500
    base = pd.Series(pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D"))
    formats = {"iso": "%Y-%m-%d", "eu": "%d/%m/%Y %H:%M", "us": "%m/%d/%Y"}
    df = pd.DataFrame({k: base.dt.strftime(f) for k, f in formats.items()})
    garbage = rng.choice(n, 10, replace=False)  # 2%
    for k in formats:
        df.loc[garbage, k] = "not a date"
    table = _table(
        df,
        iso=Column(sdtype="datetime", format="%Y-%m-%d"),
        eu=Column(sdtype="datetime", format="%d/%m/%Y %H:%M"),
        us=Column(sdtype="datetime"),  # format inferred
    )
    dt, back = _round_trip(df, table=table)
    reported = {n["column"]: n for n in dt.notes if n["event"] == "unparseable_datetimes"}
    assert set(reported) == set(formats)
    assert all(r["count"] == 10 for r in reported.values())
    assert reported["us"]["format"] == "%m/%d/%Y"
    ok = np.ones(n, dtype=bool)
    ok[garbage] = False
    for k, f in formats.items():
        assert back[k].dtype == df[k].dtype
        assert back[k][ok].tolist() == df[k][ok].tolist()  # exact in the original format
        assert back[k][~ok].isna().all()  # garbage became (reported) nulls
        gen = dt.inverse_transform(_noise(dt, 200))[k].dropna()
        assert pd.to_datetime(gen, format=f, errors="coerce").notna().all()


def test_b8_too_much_garbage_raises_naming_column() -> None:
    df = pd.DataFrame({"day": [f"2020-01-0{i}" for i in range(1, 10)] + ["junk"] * 3})
    table = _table(df, day=Column(sdtype="datetime", format="%Y-%m-%d"))
    with pytest.raises(InvalidDataError, match=r"column 'day'.*3 of 12 values"):
        DataTransformer().fit(df, table)


# --- T-B16 / T-B17 ----------------------------------------------------------------------------
def test_b16_int64_near_2_62_is_exact() -> None:
    rng = np.random.default_rng(0)
    near = np.int64(2**62) + rng.integers(-5000, 5000, 400)
    wide = rng.choice(np.array([-(2**62), 2**62, 3, 2**62 - 1, -7], dtype=np.int64), 400)
    df = pd.DataFrame({"near": near, "wide": wide})
    dt, back = _round_trip(df)
    pd.testing.assert_frame_equal(back, df)
    assert any(n["event"] == "exact_int_as_discrete" and n["column"] == "wide" for n in dt.notes)
    gen = dt.inverse_transform(_noise(dt, 1000))
    assert gen["near"].dtype == np.int64 and gen["near"].between(near.min(), near.max()).all()
    assert set(gen["wide"].tolist()) <= set(wide.tolist())  # no value rounded through float


def test_b17_currency_keeps_two_decimals_and_bounds() -> None:
    rng = np.random.default_rng(0)
    price = np.round(np.concatenate([rng.gamma(2, 20, 800), rng.normal(500, 30, 200)]), 2)
    df = pd.DataFrame({"price": price, "qty": rng.integers(1, 9, 1000)})
    dt, back = _round_trip(df)
    pd.testing.assert_frame_equal(back, df)
    gen = dt.inverse_transform(_noise(dt, 5000))
    p = gen["price"].to_numpy()
    assert np.all(np.abs(np.round(p, 2) - p) < 1e-9)
    assert p.min() >= price.min() and p.max() <= price.max()
    assert gen["qty"].dtype == np.int64
    # metadata rounding wins over the learned one
    dt0 = DataTransformer().fit(df, _table(df, price=Column(sdtype="numerical", rounding=0)))
    p0 = dt0.inverse_transform(_noise(dt0, 500))["price"].to_numpy()
    assert np.all(p0 == np.round(p0))


def test_gmm_finds_the_modes_of_multimodal_data() -> None:
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-50, 1, 3000), rng.normal(0, 2, 3000), rng.normal(80, 5, 3000)])
    df = pd.DataFrame({"x": x})
    dt = DataTransformer().fit(df, _table(df))
    modes = dt._codecs[0].modes  # type: ignore[attr-defined]
    heavy = np.sort(modes.means[modes.weights > 0.1])
    assert len(heavy) >= 3
    for center in (-50, 0, 80):
        assert np.min(np.abs(heavy - center)) < 3
    # decoded samples of a fresh matrix follow the mode weights
    gen = dt.inverse_transform(dt.transform(df, seed=1))["x"]
    assert np.allclose(np.sort(gen), np.sort(x), atol=1e-3)


# --- high cardinality ---------------------------------------------------------------------------
def test_high_cardinality_is_capped_and_memory_bounded() -> None:
    n = 200_000
    ids = pd.Series([f"user-{i:07d}" for i in range(n)], dtype="str")
    df = pd.DataFrame({"u": ids})
    tracemalloc.start()
    dt = DataTransformer(max_categories=64).fit(df, _table(df))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert dt.output_dim <= 64
    assert peak < 100 * 2**20
    store = MemoryStore()
    dt.save(store.writer())
    assert len(store.members["transformer.json"]) < 2 * 2**20  # tail remembered is bounded
    gen = dt.inverse_transform(_noise(dt, 1000))["u"]
    assert gen.dtype == ids.dtype and gen.str.startswith("user-").all()


def test_other_slot_decodes_tail_by_frequency() -> None:
    rng = np.random.default_rng(0)
    tail = rng.choice(["t1", "t2", "t3", "t4"], 4000, p=[0.7, 0.1, 0.1, 0.1])
    values = np.concatenate([np.repeat(["a", "b"], [5000, 3000]), tail])
    df = pd.DataFrame({"c": pd.Series(values, dtype=object)})
    dt, back = _round_trip(df, max_categories=3)  # a, b + other
    assert dt.output_dim == 3
    counts = back["c"].value_counts()
    assert counts["a"] == 5000 and counts["b"] == 3000
    assert 0.65 < counts["t1"] / 4000 < 0.75
    assert back["c"].dtype == object


# --- errors -------------------------------------------------------------------------------------
def test_errors_are_typed_and_name_table_and_column() -> None:
    mixed = pd.DataFrame({"m": pd.Series([1, "a", None, 2], dtype=object)})
    with pytest.raises(InvalidDataError, match=r"table 'shop', column 'm'.*mixes"):
        DataTransformer().fit(mixed, _table(mixed))
    dicts = pd.DataFrame({"d": pd.Series([{"a": 1}, "x", None], dtype=object)})
    with pytest.raises(InvalidDataError, match=r"column 'd'.*dict/list"):
        DataTransformer().fit(dicts, _table(dicts))
    df = pd.DataFrame({"a": [1.0, 2.0], "b": [3, 4]})
    with pytest.raises(MetadataError, match=r"column 'b'.*not in the metadata"):
        DataTransformer().fit(df, Table(name="shop", columns={"a": Column(sdtype="numerical")}))
    with pytest.raises(EmptyTableError, match="shop"):
        DataTransformer().fit(df.iloc[:0], _table(df))
    dup = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(InvalidDataError, match="duplicate"):
        DataTransformer().fit(dup, Table(name="shop", columns={"a": Column(sdtype="numerical")}))
    with pytest.raises(NotFittedError):
        DataTransformer().transform(df)
    dt = DataTransformer().fit(df, _table(df))
    with pytest.raises(InvalidDataError, match="columns"):
        dt.inverse_transform(np.zeros((3, dt.output_dim + 1), dtype=np.float32))
    with pytest.raises(InvalidDataError, match="missing"):
        dt.transform(df[["a"]])


# --- conditioning -------------------------------------------------------------------------------
def test_category_span_for_conditional_vectors() -> None:
    df = pd.DataFrame(
        {
            "x": np.linspace(0, 1, 8),
            "color": pd.Series(["r", "g", "b", None, "r", "g", "r", "r"], dtype="str"),
            "flag": [True, False] * 4,
            "n": [1, 2, 3, 1, 2, 3, 1, 2],
        }
    )
    table = _table(df, n=Column(sdtype="categorical"))
    dt = DataTransformer().fit(df, table)
    (span,) = dt.column_spans("color")
    assert span == SpanInfo("color", "discrete", span.start, 4, "softmax", "category")
    assert [s.column for s in dt.discrete_spans] == ["color", "flag", "n"]
    for value in ("g", None):
        start, idx = dt.category_span("color", value)
        m = dt.transform(df)
        m[:, span.start : span.end] = 0
        m[:, start + idx] = 1
        out = dt.inverse_transform(m)["color"]
        assert out.isna().all() if value is None else (out == value).all()
    assert dt.category_span("flag", False)[1] != dt.category_span("flag", True)[1]
    assert dt.category_span("n", 3)[0] == dt.column_spans("n")[0].start
    with pytest.raises(UnknownConditionValueError, match=r"'purple'.*valid values.*'r'"):
        dt.category_span("color", "purple")
    with pytest.raises(UnknownConditionValueError, match="'3'"):
        dt.category_span("n", "3")  # a str is not the int 3
    with pytest.raises(UnknownConditionValueError, match="discrete"):
        dt.category_span("x", 0.5)


# --- backends and persistence -------------------------------------------------------------------
@pytest.mark.slow  # importing scikit-learn alone takes seconds
def test_fast_backend_matches_sklearn_bayesian_gmm() -> None:
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-10, 1, 1500), rng.normal(10, 2, 1500)])
    df = pd.DataFrame({"x": x})
    for backend in ("fast", "sklearn"):
        dt = DataTransformer(gmm_backend=backend).fit(df, _table(df))
        modes = dt._codecs[0].modes  # type: ignore[attr-defined]
        for center in (-10, 10):  # each cluster holds half of the mode weight
            near = np.abs(modes.means - center) < 3
            assert abs(modes.weights[near].sum() - 0.5) < 0.05, (backend, center)
        assert modes.weights[np.abs(np.abs(modes.means) - 10) >= 3].sum() < 0.05
        back = dt.inverse_transform(dt.transform(df))
        assert np.allclose(back["x"], x, atol=dt.value_tolerance("x"))


def test_load_rejects_tampered_state() -> None:
    import json

    from synthohive.errors import ArtifactIntegrityError, IncompatibleArtifactError

    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "x"]})
    dt = DataTransformer().fit(df, _table(df))
    store = MemoryStore()
    dt.save(store.writer())
    doc = json.loads(store.members["transformer.json"])
    for mutate, error in (
        (lambda d: d.update(format=99), IncompatibleArtifactError),
        (lambda d: d["columns"][0].update(codec="pickle"), ArtifactIntegrityError),
        (
            lambda d: d["columns"][1]["state"].update(values=[["object", "os.system"]]),
            ArtifactIntegrityError,
        ),
        (lambda d: d["columns"][0]["state"]["modes"].update(stds=[-1.0]), ArtifactIntegrityError),
    ):
        bad = json.loads(json.dumps(doc))
        mutate(bad)
        tampered = MemoryStore({"transformer.json": json.dumps(bad).encode()})
        with pytest.raises(error):
            DataTransformer.load(tampered.reader())


def _point_mass_frame(n: int = 4000) -> pd.DataFrame:
    """A float column with 4 distinct values (41% zeros), a spend column with a 41% spike at
    zero and a continuous rest, and a date column where 30% of rows hold one default date."""
    rng = np.random.default_rng(5)
    default = pd.Timestamp("1970-01-01")
    dates = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    return pd.DataFrame(
        {
            "rate": rng.choice([0.0, 1.5, 2.0, 7.25], n, p=[0.41, 0.3, 0.2, 0.09]),
            "spend": np.where(rng.random(n) < 0.41, 0.0, np.round(rng.lognormal(3, 1, n), 2)),
            "since": pd.Series(dates).where(rng.random(n) >= 0.3, default),
        }
    )


def test_point_masses_decode_to_their_exact_values_whatever_the_scalar() -> None:
    df = _point_mass_frame()
    dt = DataTransformer().fit(df, _table(df))
    rate, spend, since = dt._codecs  # type: ignore[misc]
    assert rate.modes.exact.all() and rate.modes.n_modes == 4  # every value a point mass
    assert spend.modes.exact.sum() == 1 and not spend.modes.exact.all()  # mixed
    assert since.modes.exact.any()
    back = dt.inverse_transform(dt.transform(df))
    assert np.array_equal(back["rate"].to_numpy(), df["rate"].to_numpy())
    assert np.array_equal(back["spend"].to_numpy(), df["spend"].to_numpy())
    assert (back["since"] == df["since"]).all()
    # a generator's random scalars cannot smear the point masses
    gen = dt.inverse_transform(_noise(dt, 20_000))
    assert set(gen["rate"].unique()) <= {0.0, 1.5, 2.0, 7.25}
    zero_mode = int(np.flatnonzero(spend.modes.exact)[0])
    assert spend.modes.means[zero_mode] == 0.0
    positive = df["spend"][df["spend"] > 0].min()
    assert ((gen["spend"] > 0) & (gen["spend"] < positive)).mean() < 0.02
    assert (gen["since"] == pd.Timestamp("1970-01-01")).any()


def test_point_mass_state_round_trips_and_old_state_still_loads() -> None:
    df = _point_mass_frame(600)
    dt = DataTransformer().fit(df, _table(df))
    store = MemoryStore()
    dt.save(store.writer())
    again = DataTransformer.load(store.reader())
    noise = _noise(dt, 500)
    pd.testing.assert_frame_equal(dt.inverse_transform(noise), again.inverse_transform(noise))
    # a state written before point masses existed (no "exact") loads as all-GMM modes
    from synthohive.transform.modes import ModeModel

    old = {"means": [0.0, 5.0], "stds": [1.0, 2.0], "weights": [0.5, 0.5]}
    assert not ModeModel.from_state(old).exact.any()
    from synthohive.errors import ArtifactIntegrityError

    with pytest.raises(ArtifactIntegrityError, match="'exact' must be a list of booleans"):
        ModeModel.from_state({**old, "exact": ["yes", 1]})
    with pytest.raises(ArtifactIntegrityError, match="inconsistent"):
        ModeModel.from_state({**old, "exact": [True]})


def test_quantile_encoding_round_trips_keeps_marginals_and_point_masses() -> None:
    """numeric_encoding='quantile': one scalar per number (normal score of its quantile);
    data values come back, any scalar decodes into the column's range, spikes stay exact."""
    from synthohive.transform.modes import QuantileModel

    df = _point_mass_frame()
    rng = np.random.default_rng(2)
    df["income"] = np.round(rng.lognormal(10, 1, len(df)), 2)
    dt = DataTransformer(numeric_encoding="quantile").fit(df, _table(df))
    codecs = {c.name: c for c in dt._codecs}  # type: ignore[attr-defined]
    assert isinstance(codecs["income"].modes, QuantileModel)  # type: ignore[attr-defined]
    assert not isinstance(codecs["rate"].modes, QuantileModel)  # 4 values: exact modes
    assert dt.quantile_columns() == [
        dt.column_spans(c)[0].start for c in ("spend", "since", "income")
    ]
    back = dt.inverse_transform(dt.transform(df))
    grid = codecs["income"].modes.grid  # type: ignore[attr-defined]
    assert np.abs(back["income"] - df["income"]).max() <= np.diff(grid).max()
    # a standard-normal scalar (what a trained generator aims for) reproduces the marginal
    m = dt.transform(df)
    col = dt.column_spans("income")[0].start
    m[:, col] = np.clip(rng.normal(size=len(m)) / 4, -0.99, 0.99)
    gen = dt.inverse_transform(m)["income"]
    from scipy.stats import ks_2samp

    assert ks_2samp(gen, df["income"]).statistic < 0.04
    assert gen.between(df["income"].min(), df["income"].max()).all()
    zero = (df["spend"] == 0).mean()
    assert abs((dt.inverse_transform(dt.transform(df))["spend"] == 0).mean() - zero) < 1e-9
    # state round trip, and the parameter is kept
    store = MemoryStore()
    dt.save(store.writer())
    again = DataTransformer.load(store.reader())
    assert again.numeric_encoding == "quantile"
    pd.testing.assert_frame_equal(again.inverse_transform(m), dt.inverse_transform(m))


def test_quantile_state_is_checked() -> None:
    from synthohive.errors import ArtifactIntegrityError
    from synthohive.transform.modes import modes_from_state

    assert modes_from_state({"kind": "quantile", "grid": [0.0, 1.0, 1.0, 5.0]}).n_modes == 1
    for bad in ({"kind": "quantile", "grid": [3.0, 1.0]}, {"kind": "quantile", "grid": [1.0]},
                {"kind": "quantile"}, {"kind": "quantile", "grid": ["a", "b"]}):  # fmt: skip
        with pytest.raises(ArtifactIntegrityError, match="quantile state"):
            modes_from_state(bad)
    with pytest.raises(DataError, match="numeric_encoding"):
        DataTransformer(numeric_encoding="ranks")  # type: ignore[arg-type]
