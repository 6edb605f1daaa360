"""The fitted state as a value (#23): ``fit_schema`` -> ``FittedSchema`` -> ``generate`` /
``save`` / ``load``, and the ``Synthesizer`` facade keeping it as ``fitted_``."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

import synthohive as sh
from synthohive.demo import demo_metadata, load_demo
from synthohive.errors import NotFittedError
from synthohive.synthesizer import FitOptions, FittedSchema, fit_schema
from synthohive.synthesizer.persistence import load, save
from synthohive.synthesizer.streaming import MemorySink, empty_frames, generate
from synthohive.testing.data import frame_digest


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return load_demo()


def _rows(fitted: FittedSchema, seed: int) -> dict[str, str]:
    sink = MemorySink()
    root_rows = fitted.root_rows(scale=0.1)
    generate(fitted, root_rows=root_rows, sink=sink, seed=seed, chunk_rows=500, progress=False)
    out = sink.result(empty_frames(fitted.plans, fitted.order))
    return {name: frame_digest(frame) for name, frame in out.items()}


def test_fit_schema_and_generate_give_what_the_synthesizer_gives(
    tables: dict[str, pd.DataFrame],
) -> None:
    fitted = fit_schema(demo_metadata(), tables, FitOptions(seed=0, progress=False))
    synth = sh.Synthesizer(demo_metadata(), seed=0, progress=False).fit(tables)
    assert isinstance(synth.fitted_, FittedSchema)
    assert fitted.order == synth.fitted_.order == synth.tables
    assert {t: p.to_dict() for t, p in fitted.plans.items()} == {
        t: p.to_dict() for t, p in synth.fitted_.plans.items()
    }
    sampled = synth.sample(scale=0.1, seed=7, chunk_rows=500)
    assert _rows(fitted, 7) == {name: frame_digest(frame) for name, frame in sampled.items()}


def test_the_fitted_schema_is_a_frozen_value(tables: dict[str, pd.DataFrame]) -> None:
    synth = sh.Synthesizer(demo_metadata(), seed=0, progress=False)
    assert synth.fitted_ is None and not synth.fitted
    with pytest.raises(NotFittedError):
        synth.sample()
    synth.fit(tables)
    fitted = synth.fitted_
    assert fitted is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        fitted.order = []  # type: ignore[misc]
    assert synth.orphans_ is fitted.orphans
    assert synth.profile_ is fitted.profile


def test_save_and_load_round_trip_the_value(
    tables: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    fitted = fit_schema(demo_metadata(), tables, FitOptions(seed=0, progress=False))
    digest = save(fitted, tmp_path / "m.shm")
    again = load(tmp_path / "m.shm", expected_sha256=digest)
    assert again.order == fitted.order
    assert {t: p.to_dict() for t, p in again.plans.items()} == {
        t: p.to_dict() for t, p in fitted.plans.items()
    }
    assert again.options.saved() == fitted.options.saved()
    assert _rows(again, 3) == _rows(fitted, 3)
    loaded = sh.Synthesizer.load(tmp_path / "m.shm")
    assert loaded.fitted_ is not None and loaded.fitted_.order == fitted.order
