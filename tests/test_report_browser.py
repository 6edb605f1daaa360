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
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            browser,
            *FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1200,1400",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    dom = subprocess.run(
        [browser, *FLAGS, f"--user-data-dir={tmp_path / 'profile2'}", "--dump-dom", page.as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
        text=True,
    ).stdout
    assert "SynthoHive quality report" in dom
    assert dom.count("<svg") >= 4  # three marginals + two heatmaps
    from PIL import Image

    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(np.int32)
    assert pixels.shape[0] >= 1000 and pixels.shape[1] >= 1000
    colored = (np.abs(pixels[..., 0] - pixels[..., 2]) > 60).mean()
    assert colored > 0.005, "no plot colours on the rendered page"
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(shot, ARTIFACTS / "report.png")
