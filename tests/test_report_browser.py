"""The HTML quality report renders in a real headless Chromium, offline (issue 8).

The nox ``integration`` session installs Debian's ``chromium`` (and Pillow to read the
screenshot); the screenshot is kept as a test artifact in ``.ci-results/report.png``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

from synthohive.metadata.schema import Column, Metadata, Table
from synthohive.validation import evaluate

ARTIFACTS = Path(__file__).resolve().parent.parent / ".ci-results"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


def test_report_renders_offline_in_chromium(tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "Debian chromium is required (the nox integration session installs it)"
    rng = np.random.default_rng(0)
    n = 800
    real = pd.DataFrame({"x": rng.normal(size=n), "seg": rng.choice(["a", "b"], n)})
    real["y"] = real["x"] * 2 + rng.normal(size=n)
    syn = real.sample(frac=1.0, random_state=1).reset_index(drop=True)
    meta = Metadata(
        tables={
            "t": Table(
                name="t",
                columns={
                    "x": Column(sdtype="numerical"),
                    "y": Column(sdtype="numerical"),
                    "seg": Column(sdtype="categorical"),
                },
            )
        }
    )
    page = tmp_path / "report.html"
    evaluate(real, syn, meta).to_html(page)
    dom, pixels = _render(browser, page, tmp_path, "report", size="1200,1400")
    assert "SynthoHive quality report" in dom
    assert dom.count("<svg") >= 4  # three marginals + two heatmaps
    assert pixels.shape[0] >= 1000 and pixels.shape[1] >= 1000
    colored = (np.abs(pixels[..., 0] - pixels[..., 2]) > 60).mean()
    assert colored > 0.005, "no plot colours on the rendered page"
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(tmp_path / "report.png", ARTIFACTS / "report.png")


def _render(
    browser: str, page: Path, tmp_path: Path, name: str, size: str = "1400,3000"
) -> tuple[str, np.ndarray]:
    """The page's DOM after scripts and a screenshot's pixels, from headless Chromium."""
    shot = tmp_path / f"{name}.png"
    subprocess.run(
        [
            browser,
            *FLAGS,
            f"--user-data-dir={tmp_path / (name + '-shot')}",
            f"--window-size={size}",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    dom = subprocess.run(
        [
            browser,
            *FLAGS,
            f"--user-data-dir={tmp_path / (name + '-dom')}",
            "--dump-dom",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
        text=True,
    ).stdout
    from PIL import Image

    return dom, np.asarray(Image.open(shot).convert("RGB")).astype(np.int32)


def test_report_reads_for_a_data_owner(tmp_path: Path) -> None:
    """Issue 19 item 3 on a real schema (Chinook CSVs: dates as strings, long labels with
    '&', a self-reference, copied lookup tables): header, meanings, readable labels, dates on
    date axes, labelled heatmaps with a scale, children-per-parent charts, plain privacy."""
    import re

    import synthohive as sh

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "Debian chromium is required (the nox integration session installs it)"
    src = sh.connect(f"csv://{Path(__file__).parent / 'fixtures' / 'chinook'}/")
    real = {n: src.read(n) for n in src.list_tables()}
    synth = sh.Synthesizer(sh.Metadata.detect(real), seed=0, progress=False).fit(real)
    report = synth.evaluate(real, synth.sample(seed=1))
    assert report.score("KSComplement", "invoice", "invoice_date") is not None  # item 1
    page = tmp_path / "chinook.html"
    text = report.to_html(page)
    # escaping is applied after truncation: no entity is ever cut in half, no Python quotes
    broken = re.findall(r"&(?!(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);).{0,12}", text)
    assert not broken, f"broken entities: {broken[:3]}"
    assert ">'" not in text and "&#x27;Rock" not in text
    assert "Alternative &amp; Punk" in text
    dom, pixels = _render(browser, page, tmp_path, "chinook")
    assert "Generated " in dom and "synthetic rows" in dom  # header with row counts
    assert "How closely each column's distribution matches" in dom  # a meaning per score
    assert re.search(r"≥ 20\d\d-\d\d-\d\d", dom), "date axis shows dates"
    assert "Relations: children per parent" in dom and "employee per employee" in dom
    assert "exact copies of a real training row" in dom and "need a holdout" in dom
    assert "copied as reference data by design" in dom
    assert dom.count("correlation (real)") >= 2 and ">+1<" in dom  # heatmaps with a scale
    assert pixels.shape[0] >= 3000
    colored = (np.abs(pixels[..., 0] - pixels[..., 2]) > 60).mean()
    assert colored > 0.01, "no plot colours on the rendered page"
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(tmp_path / "chinook.png", ARTIFACTS / "report_chinook.png")
