"""Range conditions (#20): ``sample(conditions={"col": Between(low, high)})`` keeps every row's
value in the range - sampled inside it by the copula (latent truncation, the other columns
following), filtered within a bounded budget for models that cannot take ranges - for numbers
and for dates stored as text, combined with categorical conditions, constraints and children.

Data: the public Chinook tables (track lengths and sizes, invoice dates as text).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthohive as sh
from synthohive.errors import DataError, UnknownConditionValueError
from synthohive.hookspecs import hookimpl
from synthohive.models.independent import IndependentModel
from synthohive.plugins import load_plugins
from synthohive.registry import Registry, use_registry


class NoRanges(IndependentModel):
    """A plugin model that takes categorical conditions but not ranges."""

    name = "no_ranges"
    supports_range_conditions = False


class NoRangesPlugin:
    @hookimpl
    def register_models(self) -> list[type[IndependentModel]]:
        return [NoRanges]


CHINOOK = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "chinook"


@pytest.fixture(scope="module")
def chinook() -> dict[str, pd.DataFrame]:
    return sh.connect(f"csv://{CHINOOK}").read_all(["customer", "invoice", "track"])


def test_copula_samples_inside_a_numeric_range_and_the_other_columns_follow(
    chinook: dict[str, pd.DataFrame],
) -> None:
    track = chinook["track"]
    meta = sh.Metadata.detect({"track": track})
    meta.add_constraint("track", "positive", column="bytes", strict=True)
    synth = sh.Synthesizer(meta, seed=0, progress=False).fit({"track": track})
    span = sh.Between(200_000, 300_000)
    fake = synth.sample(800, conditions={"milliseconds": span})
    assert len(fake) == 800
    assert fake["milliseconds"].between(200_000, 300_000).all()
    assert (fake["bytes"] > 0).all()
    # the file size follows the length: close to the real rows of that length, far from all
    real_in = track[track["milliseconds"].between(200_000, 300_000)]["bytes"].median()
    assert abs(fake["bytes"].median() - real_in) < 0.15 * real_in
    assert fake["bytes"].median() < 0.5 * track["bytes"].mean()


def test_dates_as_text_with_a_category_and_children_follow(
    chinook: dict[str, pd.DataFrame],
) -> None:
    tables = {"customer": chinook["customer"], "invoice": chinook["invoice"]}
    meta = sh.Metadata.detect(tables)
    synth = sh.Synthesizer(meta, seed=0, progress=False).fit(tables)
    alone = sh.Synthesizer(sh.Metadata.detect({"invoice": tables["invoice"]}), seed=0)
    alone.progress = False
    alone.fit({"invoice": tables["invoice"]})
    fake = alone.sample(
        300,
        conditions={
            "invoice_date": sh.Between("2009-01-01", "2009-06-30"),
            "billing_country": "USA",
        },
    )
    dates = pd.to_datetime(fake["invoice_date"])
    assert fake["invoice_date"].map(type).eq(str).all()  # still text, in the column's format
    assert dates.between("2009-01-01", "2009-06-30").all()
    assert (fake["billing_country"] == "USA").all()
    # a schema: the root's range holds and its children still reference generated rows
    out = synth.sample(scale=0.5, conditions={"customer": {"support_rep_id": 3}})
    assert out["invoice"]["customer_id"].isin(out["customer"]["customer_id"]).all()


def test_models_without_range_support_are_filtered_within_a_budget(
    chinook: dict[str, pd.DataFrame],
) -> None:
    track = chinook["track"]
    meta = sh.Metadata.detect({"track": track})
    with use_registry(Registry(load_plugins(extra=[(NoRangesPlugin(), "synthohive-noranges")]))):
        synth = sh.Synthesizer(meta, model="no_ranges", seed=0, progress=False)
        synth.fit({"track": track})
        with pytest.raises(DataError, match="does not take range conditions"):
            synth.fitted_.models["track"].sample(5, conditions={"milliseconds": sh.Between(1, 2)})
        span = sh.Between(200_000, 300_000)
        fake = synth.sample(400, conditions={"milliseconds": span, "media_type_id": 1})
        assert len(fake) == 400 and fake["milliseconds"].between(200_000, 300_000).all()
        assert (fake["media_type_id"] == 1).all()
        # a range the model almost never reaches: a typed error, not a hang or short output
        rare = sh.Between(5_000_000, 5_000_001)
        with pytest.raises(DataError, match=r"fell in the range.*widen the range"):
            synth.sample(50, conditions={"milliseconds": rare})


def test_range_mistakes_are_typed(chinook: dict[str, pd.DataFrame]) -> None:
    track = chinook["track"]
    synth = sh.Synthesizer(sh.Metadata.detect({"track": track}), seed=0, progress=False)
    synth.fit({"track": track})
    with pytest.raises(UnknownConditionValueError, match=r"no value the model learned lies in"):
        synth.sample(10, conditions={"milliseconds": sh.Between(1e9, 2e9)})
    with pytest.raises(DataError, match="low must not exceed high"):
        sh.Between(5, 1)
    frame = pd.DataFrame({"milliseconds": [sh.Between(1, 2)]})
    with pytest.raises(DataError, match="holds values, not ranges"):
        synth.sample(conditions=frame)
    assert np.isfinite(synth.sample(5, conditions={"bytes": sh.Between(0, 1e7)})["bytes"]).all()
