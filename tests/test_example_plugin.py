"""The example third-party plugin, installed for real, is discovered through its entry point.

The plugin is built and installed with pip into a temporary folder (not the dev venv), and
every check runs in a fresh process with only that folder added to ``PYTHONPATH``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "synthohive-example-plugin"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("example-site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "--target",
            str(target),
            str(EXAMPLE),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return target


def _run(args: list[str], site: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": str(site), **env}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=full, timeout=300, cwd=site
    )


def test_not_importable_without_install() -> None:
    assert importlib.util.find_spec("synthohive_example_plugin") is None


def test_installed_with_entry_point(site: Path) -> None:
    [info] = site.glob("synthohive_example_plugin-*.dist-info")
    entry_points = (info / "entry_points.txt").read_text(encoding="utf-8")
    assert "[synthohive]" in entry_points
    assert "synthohive-example-plugin = synthohive_example_plugin.plugin" in entry_points


def test_listed_by_plugins_json_in_fresh_process(site: Path) -> None:
    proc = _run(["-m", "synthohive.cli", "plugins", "--json"], site)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    [plugin] = [p for p in report["plugins"] if p["distribution"] == "synthohive-example-plugin"]
    assert plugin["status"] == "ok"
    assert plugin["version"] == "0.1.0"
    assert plugin["module"] == "synthohive_example_plugin.plugin"
    assert plugin["registered"] == {"models": ["example_independent"]}
    [model] = [m for m in report["registered"]["models"] if m["name"] == "example_independent"]
    assert model["class"] == "synthohive_example_plugin.model.IndependentModel"


@pytest.mark.slow
def test_usable_through_registry_and_synthesizer(site: Path, tmp_path: Path) -> None:
    model_file = tmp_path / "customers.shm"
    code = f"""
import json, sys
from synthohive.registry import get_registry
from synthohive import Synthesizer
from synthohive.demo import demo_metadata, load_demo
cls = get_registry().get_model("example_independent")
info = get_registry().info("models", "example_independent")
real = load_demo(["customers"])["customers"]
meta = demo_metadata()
meta.tables = {{"customers": meta.tables["customers"]}}
meta.relations = []
synth = Synthesizer(meta, model="example_independent", seed=4).fit(real)
fake = synth.sample(500)
synth.save({str(model_file)!r})
print(json.dumps({{
    "class": cls.__module__ + "." + cls.__name__,
    "distribution": info.distribution,
    "rows": len(fake),
    "columns": list(fake.columns) == list(real.columns),
    "segments_subset": set(fake["segment"]) <= set(real["segment"]),
    "emails_copied": int(fake["email"].isin(real["email"]).sum()),
    "age_null_rate": float(fake["age"].isna().mean()),
    "torch": "torch" in sys.modules,
}}))
"""
    proc = _run(["-c", code], site, SYNTHOHIVE_PLUGINS="synthohive-example-plugin")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["class"] == "synthohive_example_plugin.model.IndependentModel"
    assert result["distribution"] == "synthohive-example-plugin"
    assert result["rows"] == 500 and result["columns"] and result["segments_subset"]
    assert result["emails_copied"] == 0
    assert 0.02 < result["age_null_rate"] < 0.15  # real: 7.5 % missing
    assert result["torch"] is False

    # the saved file loads in another fresh process, found again through the entry point
    load = f"""
from synthohive import Synthesizer
print(len(Synthesizer.load({str(model_file)!r}).sample(50, seed=1)))
"""
    proc = _run(["-c", load], site, SYNTHOHIVE_PLUGINS="synthohive-example-plugin")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "50"


@pytest.mark.slow
def test_example_passes_conformance_kit(site: Path) -> None:
    proc = _run(
        [
            "-m",
            "pytest",
            str(EXAMPLE / "tests" / "test_contract.py"),
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(ROOT),
        ],
        site,
    )
    assert proc.returncode == 0, proc.stdout[-4000:]
    summary = proc.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary
