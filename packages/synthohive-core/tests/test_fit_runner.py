"""Synthesizer.fit(runner=...): the prepared tables fitted elsewhere give the same models."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from synthohive.errors import DataError
from synthohive.models.base import GenerativeModel
from synthohive.synthesizer import Synthesizer
from synthohive.synthesizer.tasks import FitTask, run_fit_task
from synthohive.testing.data import frame_digest
from synthohive.testing.schemas import deep_schema


def test_tasks_fitted_side_by_side_give_the_local_fit() -> None:
    meta, tables = deep_schema(0, extra=True)
    seen: list[str] = []

    def threads(tasks: list[FitTask]) -> list[GenerativeModel]:
        seen.extend(t.table for t in tasks)
        with ThreadPoolExecutor(4) as pool:  # finishing in any order
            return list(pool.map(lambda t: run_fit_task(t, progress=False), tasks))

    local = Synthesizer(meta, seed=3, progress=False).fit(tables)
    spread = Synthesizer(meta, seed=3, progress=False).fit(tables, runner=threads)
    assert seen and len(seen) == len(set(seen))
    assert set(seen) == {t for t, p in local.fitted_.plans.items() if p.has_model}
    a, b = local.sample(scale=1.0, seed=1), spread.sample(scale=1.0, seed=1)
    assert {t: frame_digest(f) for t, f in a.items()} == {t: frame_digest(f) for t, f in b.items()}


def test_a_runner_returning_the_wrong_number_of_models_is_refused() -> None:
    meta, tables = deep_schema(0)
    with pytest.raises(DataError, match="one fitted model per task"):
        Synthesizer(meta, seed=0, progress=False).fit(tables, runner=lambda tasks: [])
