"""A table with children through relations 9 and 10 (Chinook's employee: reports_to and
support_rep_id) saves and loads: the stored plan's relation-indexed dicts ("10" sorts before
"9" as text) come back in index order, so the model's columns match the plan's."""

from __future__ import annotations

from pathlib import Path

import synthohive as sh

CHINOOK = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "chinook"


def test_chinook_round_trips_through_a_model_file(tmp_path: Path) -> None:
    tables = sh.connect(f"csv://{CHINOOK}").read_all()
    synth = sh.Synthesizer(sh.Metadata.detect(tables), seed=0, progress=False).fit(tables)
    assert max(synth.fitted_.plans["employee"].count_columns) >= 10  # the case under test
    synth.save(tmp_path / "chinook.shm")
    again = sh.Synthesizer.load(tmp_path / "chinook.shm")
    assert list(again.fitted_.plans["employee"].count_columns) == sorted(
        again.fitted_.plans["employee"].count_columns
    )
    before, after = synth.sample(scale=1.0, seed=5), again.sample(scale=1.0, seed=5)
    for name in tables:
        assert before[name].equals(after[name]), name
