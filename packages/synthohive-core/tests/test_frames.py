"""One check for every input frame (#23): duplicate labels and ±inf, shared by the
synthesizer, the models and the DataTransformer - same messages wherever a frame enters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthohive.errors import InvalidDataError
from synthohive.frames import check_frame
from synthohive.models.copula import GaussianCopulaModel
from synthohive.synthesizer import Synthesizer
from synthohive.testing.data import table_for
from synthohive.transform import DataTransformer


def _sales(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "amount": rng.gamma(2.0, 40.0, n),
            "shop": rng.choice(["north", "south", "east"], n),
            "ratio": pd.Series(rng.normal(size=n), dtype=object),  # floats held as objects
        }
    )


def test_a_clean_frame_comes_back_as_the_same_object() -> None:
    df = _sales()
    assert check_frame(df, "sales") is df
    assert check_frame(df, "sales", inf_policy="as_null") is df


def test_infinities_raise_or_become_nulls_in_float_and_object_columns() -> None:
    df = _sales()
    df.loc[:2, "amount"] = np.inf
    df.loc[5, "ratio"] = -np.inf
    with pytest.raises(InvalidDataError, match="3 infinite values") as info:
        check_frame(df, "sales")
    assert info.value.table == "sales" and info.value.column == "amount"
    out = check_frame(df, "sales", inf_policy="as_null")
    assert out is not df and np.isinf(df["amount"]).sum() == 3  # the caller's frame is untouched
    assert out["amount"].isna().sum() == 3 and out["ratio"].isna().sum() == 1
    assert out["ratio"].dtype == object and list(out.columns) == list(df.columns)


def test_duplicate_labels_are_named() -> None:
    df = pd.concat([_sales(), _sales()[["shop"]]], axis=1)
    with pytest.raises(InvalidDataError, match=r"duplicate column names \['shop'\]"):
        check_frame(df, "sales")


def test_model_transformer_and_synthesizer_say_the_same_thing() -> None:
    df = _sales()
    df.loc[:2, "amount"] = np.inf
    table = table_for(df, "sales", ratio="numerical")
    messages = []
    for fit in (
        lambda: GaussianCopulaModel({}, seed=0).fit(df, table=table, progress=False),
        lambda: DataTransformer(seed=0).fit(df, table),
        lambda: Synthesizer(seed=0, progress=False).fit({"sales": df}),
    ):
        with pytest.raises(InvalidDataError) as info:
            fit()
        messages.append(str(info.value))
    assert len(set(messages)) == 1, messages
    assert "'sales'" in messages[0] and "'amount'" in messages[0]


def test_synthesizer_as_null_covers_floats_held_as_objects() -> None:
    df = _sales()
    df.loc[:39, "ratio"] = np.inf  # an object column: before #23 only float dtypes were masked
    out = Synthesizer(seed=0, progress=False, inf_policy="as_null").fit(df).sample(1000)
    ratio = pd.to_numeric(out["ratio"])
    assert np.isfinite(ratio.dropna()).all()
    assert 0.03 < ratio.isna().mean() < 0.2  # 40 of 400 real rows were infinite


def test_an_empty_input_says_it_holds_no_tables() -> None:
    with pytest.raises(InvalidDataError, match="the input holds no tables"):
        Synthesizer(seed=0, progress=False).fit({})
