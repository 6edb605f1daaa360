"""model="auto": each table's model is chosen by held-out quality, said in explain(), saved."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthohive as sh
from synthohive.errors import DataError
from synthohive.synthesizer import auto


def _correlated(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame(
        {
            "x": x,
            "y": 3 * x + 0.2 * rng.normal(size=n),
            "band": np.where(x > 0, "high", "low"),
        }
    )


def _scores(text: str) -> dict[str, float]:
    return {m: float(v) for m, v in re.findall(r"(\w+) (0\.\d{3})", text)}


def test_auto_picks_the_model_with_the_better_held_out_quality(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # the independent model ignores every pair: on correlated data it must lose, even though
    # it comes first in the tie-break order
    monkeypatch.setattr(auto, "CANDIDATES", ("independent", "gaussian_copula"))
    synth = sh.Synthesizer(model="auto", seed=0, progress=False).fit(_correlated(1000))
    text = synth.explain()
    assert "auto chose 'gaussian_copula'" in text and "800 trial rows, 200 held out" in text
    scores = _scores(text)
    assert scores["gaussian_copula"] > scores["independent"] + 0.05
    fake = synth.sample(500)
    assert fake[["x", "y"]].corr().iloc[0, 1] > 0.9
    synth.save(tmp_path / "auto.shm")
    again = sh.Synthesizer.load(tmp_path / "auto.shm")
    assert again.explain() == text
    pd.testing.assert_frame_equal(again.sample(200, seed=3), synth.sample(200, seed=3))


def test_auto_says_why_when_it_cannot_compare(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auto, "CANDIDATES", ("independent", "gaussian_copula"))
    synth = sh.Synthesizer(model="auto", seed=0, progress=False).fit(_correlated(120))
    assert "auto chose 'independent': only 24 held-out rows (< 50)" in synth.explain()
    monkeypatch.setattr(auto, "CANDIDATES", ("gaussian_copula", "no_such_model"))
    synth = sh.Synthesizer(model="auto", seed=0, progress=False).fit(_correlated(400))
    assert "auto chose 'gaussian_copula': no other model installed" in synth.explain()


def test_auto_takes_no_model_params() -> None:
    with pytest.raises(DataError, match="model='auto' picks each table's model itself"):
        sh.Synthesizer(model="auto", model_params={"epochs": 10})


def test_cli_fits_with_model_auto(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from synthohive.cli import build_cli

    folder = tmp_path / "data"
    folder.mkdir()
    _correlated(300).to_csv(folder / "points.csv", index=False)
    model = tmp_path / "m.shm"
    cli = build_cli()
    result = CliRunner().invoke(
        cli, ["fit", f"csv://{folder}", "--model", "auto", "-o", str(model)]
    )
    assert result.exit_code == 0, result.output
    assert "auto chose" in sh.Synthesizer.load(model).explain()
    refused = CliRunner().invoke(
        cli, ["fit", f"csv://{folder}", "--model", "auto", "--epochs", "5", "-o", str(model)]
    )
    assert refused.exit_code == 1 and "--epochs does not apply to --model auto" in refused.output
