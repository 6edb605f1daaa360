"""``synthohive evaluate`` and ``synthohive sanitize`` end to end on files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from click.testing import CliRunner

from synthohive.cli import build_cli


def _people(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "email": [f"person{i}.{seed}@mail{i % 5}.example" for i in range(n)],
            "age": rng.integers(18, 90, n),
            "income": rng.lognormal(10, 0.4, n).round(2),
            "city": rng.choice(["Berlin", "Paris", "Rome"], n),
        }
    )


def test_evaluate_writes_html_and_json_and_gates(tmp_path: Path) -> None:
    real, syn = tmp_path / "real.csv", tmp_path / "syn.csv"
    _people(500, 0).to_csv(real, index=False)
    _people(500, 1).to_csv(syn, index=False)
    runner = CliRunner()
    html_out = tmp_path / "report.html"
    res = runner.invoke(build_cli(), ["evaluate", str(real), str(syn), "-o", str(html_out)])
    assert res.exit_code == 0, res.output
    assert "overall quality" in res.output
    assert html_out.read_text().startswith("<!DOCTYPE html>")
    json_out = tmp_path / "report.json"
    res = runner.invoke(build_cli(), ["evaluate", str(real), str(syn), "-o", str(json_out)])
    assert res.exit_code == 0, res.output
    assert json.loads(json_out.read_text())["overall"] > 0.8
    broken = _people(500, 1).assign(city="Berlin", age=20)
    broken.to_csv(syn, index=False)
    res = runner.invoke(build_cli(), ["evaluate", str(real), str(syn), "--min-score", "0.95"])
    assert res.exit_code == 1
    assert "quality gate" in res.output


def test_sanitize_replaces_detected_pii(tmp_path: Path) -> None:
    src = tmp_path / "people.csv"
    real = _people(200, 2)
    real.to_csv(src, index=False)
    out = tmp_path / "clean.csv"
    runner = CliRunner()
    res = runner.invoke(build_cli(), ["sanitize", str(src), "-o", str(out)])
    assert res.exit_code == 0, res.output
    clean = pd.read_csv(out)
    assert len(clean) == len(real)
    assert not set(clean["email"]) & set(real["email"])
    assert clean["email"].str.contains("@").all()
    assert (clean["age"] == real["age"]).all()
    res = runner.invoke(
        build_cli(),
        ["sanitize", str(src), "-o", str(tmp_path / "x.csv"), "--strategy", "people.email=hash"],
        env={"SYNTHOHIVE_HMAC_KEY": ""},
    )
    assert res.exit_code == 1
    assert "secret key" in res.output
    assert not (tmp_path / "x.csv").exists()
