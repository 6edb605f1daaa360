"""The benchmark runner's smoke configuration runs end to end, so ``benchmarks/run.py`` never rots.

``python benchmarks/run.py --smoke``: the ``wine`` dataset (bundled in scikit-learn), 1 epoch,
SynthoHive systems only (the copula, plus TVAE -- or CTGAN -- when its plugin is installed; the
runner's code path is the same for both), each in its own child process. No SDV, no sdmetrics:
quality falls back to SynthoHive's own evaluate.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUNNER = ROOT / "benchmarks" / "run.py"


@pytest.mark.slow
def test_smoke_run_writes_sane_json(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    docs = ROOT / "docs" / "benchmarks.md"
    before = docs.read_bytes() if docs.exists() else None
    proc = subprocess.run(
        [sys.executable, str(RUNNER), "--smoke", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(out.read_text())
    assert data["command"].startswith("python benchmarks/run.py")
    machine = data["machine"]
    assert machine["cores"] >= 1 and machine["cpu"] and machine["date"]
    neural = [
        name
        for name, mod in (("tvae", "synthohive_tvae"), ("ctgan", "synthohive_ctgan"))
        if importlib.util.find_spec(mod) is not None
    ]
    expected = {"gaussian_copula", *neural[:1]}
    rows = {r["system"]: r for r in data["results"]}
    assert set(rows) == expected
    for system, r in rows.items():
        assert r["status"] == "ok", (system, r.get("error"))
        assert r["kind"] == "single" and r["dataset"] == "wine"
        assert r["rows_train"] == 125 and r["rows_test"] == 53 and r["columns"] == 14
        assert r["sample_rows"] == 2000
        assert 0 < r["fit_s"] < 300 and r["fit_cpu_s"] >= 0
        assert r["sample_rows_per_s"] > 0
        # a fresh child holds at least the interpreter + pandas, and nowhere near the 24 GB box
        assert 50 < r["peak_rss_mb"] < 8000
        assert r["judge"].startswith(("sdmetrics", "synthohive"))
        for key in ("quality", "column_shapes", "pair_trends"):
            assert 0.3 <= r[key] <= 1.0, (system, key, r[key])
        assert r["ml_metric"] == "f1_macro"
        assert 0.8 <= r["ml_efficacy_real"] <= 1.0
        assert 0.0 <= r["ml_efficacy_synthetic"] <= 1.0
        assert 0.0 <= r["exact_match_rate"] <= 0.05  # wine has no duplicate rows to copy
        assert 0.0 <= r["dcr_share"] <= 1.0
        if system != "gaussian_copula":
            assert r["epochs"] == 1 and r["s_per_epoch"] > 0
            assert 0 < r["transformer_fit_s"] < r["fit_s"]
            assert r["encoded_width"] > 14  # one-hot spans make it wider than the columns
    # --smoke never rewrites the published page
    assert (docs.read_bytes() if docs.exists() else None) == before


def test_tvae_ceiling_is_latents_plus_decoder_matmuls_on_the_same_cpu() -> None:
    """The page's TVAE ceiling: 1 / (decoder FLOPs / fp32 rate + 128 normals / normal rate),
    shown only when ``flops.json`` was measured on the run's CPU."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import report
    finally:
        sys.path.pop(0)
    res = [
        {"dataset": "d", "system": "tvae", "status": "ok", "encoded_width": 40,
         "sample_rows_per_s": 300_000.0},
        {"dataset": "d", "system": "sdv_tvae", "status": "ok", "sample_rows_per_s": 200_000.0},
    ]  # fmt: skip
    flops = {
        "gemm_gflops": {"fp32_a": 100.0, "fp32_b": 50.0, "bf16_a": 400.0},
        "normals_per_s": 256e6,
        "cpu": {"model": "CPU X", "extensions": []},
    }
    lines = report.tvae_ceilings(res, {"cpu": "CPU X"}, flops)
    row = next(line for line in lines if line.startswith("| d |")).strip("| ").split(" | ")
    per_row = 2 * (128 * 128 + 128 * 128 + 128 * 40)  # latent -> 128 -> 128 -> width 40
    assert row[1] == "40" and float(row[2]) == pytest.approx(per_row / 1e6, abs=1e-3)
    fp32 = 1 / (per_row / 100e9 + 128 / 256e6)
    bf16 = 1 / (per_row / 400e9 + 128 / 256e6)
    assert int(row[3].replace(",", "")) == round(fp32)
    assert int(row[4].replace(",", "")) == round(bf16)
    assert row[5] == "2,000,000" and row[6] == "yes"  # 10x SDV above the ~829k ceiling
    assert report.tvae_ceilings(res, {"cpu": "another CPU"}, flops) == []


def test_ab_summary_pairs_each_table_and_seed_and_calls_the_verdict(tmp_path: Path) -> None:
    """``bench_ab.summarise`` pairs (table, seed) across the two sides, skips what one side
    lacks or failed, and the page calls a mean within 2 standard errors noise."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_ab
        import report
    finally:
        sys.path.pop(0)

    def side(name: str, rows: dict[str, tuple[float, float] | None]) -> Path:
        res = {
            f"{t}/ctgan": (
                {"status": "ok", "quality": v[0], "ml_efficacy_synthetic": v[1]}
                if v is not None
                else {"status": "missing"}
            )
            for t, v in rows.items()
        }
        res["A/tvae"] = {"status": "ok", "quality": 0.0, "ml_efficacy_synthetic": 0.0}
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"results": res}))
        return path

    sides = {
        "baseline": {
            0: side("b0", {"A": (0.80, 0.5), "B": (0.90, 0.1)}),
            1: side("b1", {"A": (0.82, 0.4), "B": (0.88, 0.2)}),
        },
        "change": {
            0: side("c0", {"A": (0.81, 0.7), "B": None}),  # B failed on this side
            1: side("c1", {"A": (0.85, 0.1), "B": (0.89, 0.2)}),
        },
    }
    out = bench_ab.summarise(sides, "ctgan", ["A", "B"])
    q = out["paired"]["quality"]
    assert q["pairs"] == 3 and q["change_wins"] == 3  # +0.01, +0.03, +0.01
    assert q["mean"] == pytest.approx(0.05 / 3, abs=1e-4)
    ml = out["paired"]["ml_efficacy"]
    assert ml["mean"] == pytest.approx((0.2 - 0.3 + 0.0) / 3, abs=1e-4)
    assert ml["change_wins"] == 1
    assert out["tables"]["B"]["change"]["quality"] == [0.89]
    run = {
        "system": "ctgan", "change": "x", "seeds": [0, 1], "command": "c", "baseline": "b",
        "change_tree": "t", **out,
    }  # fmt: skip
    (tmp_path / "ab_x.json").write_text(json.dumps(run))
    page = "\n".join(report.ab_tables(tmp_path))
    # quality: mean 0.0167, sd 0.0115, sem 0.0067 -> 2.5 standard errors: a real difference
    assert "quality +0.0167 ± 0.0067" in page and "**a real difference**" in page
    assert "ML efficacy -0.0333" in page and "**within noise**" in page
    # one seed on one table: one pair has no spread, and the page says so instead of failing
    one = bench_ab.summarise(
        {"baseline": {0: sides["baseline"][0]}, "change": {0: sides["change"][0]}}, "ctgan", ["A"]
    )
    assert one["paired"]["quality"]["pairs"] == 1 and one["paired"]["quality"]["sem"] is None
    (tmp_path / "ab_x.json").write_text(json.dumps({**run, **one}))
    assert "quality +0.0100 from 1 pair: **no verdict**" in "\n".join(report.ab_tables(tmp_path))
