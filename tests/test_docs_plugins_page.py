"""docs/plugins.md is runnable: its worked plugin builds, passes the kits, installs and is found.

The fenced blocks headed ``<!-- plugin-example: PATH -->`` are the files of the page's example
distribution ``synthohive-mini``; they are written into a temporary folder. In this process the
package is imported from that folder (never installed into the test environment), registered on
a hermetic plugin set, run through ``ModelContract`` and ``ConnectorContract`` and through
``Synthesizer``, and every other Python block of the page is executed with it registered. Then
the package is installed with pip into a temporary ``--target`` folder and fresh processes show
that its entry point is discovered, that ``synthohive plugins`` and ``synthohive mini-info``
print what the page says, and that the page's own ``tests/`` pass against the installed copy.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from synthohive.artifacts.memory import MemoryStore
from synthohive.connectors.base import Connector
from synthohive.errors import ArtifactIntegrityError
from synthohive.models.base import GenerativeModel
from synthohive.plugins import load_plugins
from synthohive.registry import Registry, use_registry
from synthohive.testing import ConnectorContract, ModelContract
from synthohive.testing.data import table_for

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "plugins.md"
DIST = "synthohive-mini"
PACKAGE = "synthohive_mini"
FILES = {
    "pyproject.toml",
    "src/synthohive_mini/__init__.py",
    "src/synthohive_mini/plugin.py",
    "src/synthohive_mini/model.py",
    "src/synthohive_mini/connector.py",
    "src/synthohive_mini/sanitizer.py",
    "src/synthohive_mini/validator.py",
    "src/synthohive_mini/cli.py",
    "tests/test_contract.py",
    "tests/test_plugin.py",
}

_FENCE = re.compile(r"^```(?P<lang>[\w-]*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)
_MARK = re.compile(r"<!-- plugin-example: (?P<path>\S+) -->\s*$")


def _blocks() -> list[SimpleNamespace]:
    """Every fenced block of the page: ``lang``, ``body``, ``line`` and ``path`` (or None)."""
    text = DOC.read_text(encoding="utf-8")
    out = []
    for m in _FENCE.finditer(text):
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        mark = _MARK.match(before)
        out.append(
            SimpleNamespace(
                lang=m.group("lang"),
                body=m.group("body"),
                line=text.count("\n", 0, m.start()) + 1,
                path=mark.group("path") if mark else None,
            )
        )
    return out


BLOCKS = _blocks()
SNIPPETS = [b for b in BLOCKS if b.lang == "python" and b.path is None]


def _console(command: str) -> list[str]:
    """The output lines the page shows for ``$ command`` in a console block."""
    for block in BLOCKS:
        lines = block.body.splitlines()
        if block.lang == "console" and f"$ {command}" in lines:
            start = lines.index(f"$ {command}") + 1
            end = next((i for i in range(start, len(lines)) if lines[i].startswith("$")), None)
            return lines[start:end]
    raise AssertionError(f"docs/plugins.md shows no console block for {command!r}")


# --- the package, built from the page ---------------------------------------------------------
@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page's marked blocks written out as the ``synthohive-mini`` source tree."""
    root = tmp_path_factory.mktemp("docs-plugin") / DIST
    for block in BLOCKS:
        if block.path is not None:
            target = root / block.path
            assert not target.exists(), f"{block.path} is given twice on the page"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.body, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def mini(package: Path) -> Iterator[SimpleNamespace]:
    """The package's modules, imported from the temporary source folder (not installed)."""
    src = str(package / "src")
    sys.path.insert(0, src)  # also reaches the kit's fresh cold-load process via PYTHONPATH
    importlib.invalidate_caches()
    try:
        yield SimpleNamespace(
            plugin=importlib.import_module(f"{PACKAGE}.plugin"),
            model=importlib.import_module(f"{PACKAGE}.model"),
            connector=importlib.import_module(f"{PACKAGE}.connector"),
            tests=_load_file(package / "tests" / "test_contract.py", "_docs_mini_test_contract"),
        )
    finally:
        sys.path.remove(src)
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _load_file(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def registry(mini: SimpleNamespace) -> Registry:
    """Built-ins plus the page's plugin, loaded strictly from the in-test module."""
    plugins = load_plugins(strict=True, entry_points=False, extra=[(mini.plugin, DIST)])
    reg = Registry(plugins)
    reg.load_all()
    assert not plugins.broken
    return reg


# --- the page itself ----------------------------------------------------------------------------
def test_page_gives_the_whole_package() -> None:
    paths = [b.path for b in BLOCKS if b.path is not None]
    assert sorted(paths) == sorted(FILES)
    for block in BLOCKS:
        if block.path is not None:
            assert block.lang == ("toml" if block.path.endswith(".toml") else "python"), block.path
    [pyproject] = [b for b in BLOCKS if b.path == "pyproject.toml"]
    project = tomllib.loads(pyproject.body)
    assert project["project"]["name"] == DIST
    assert project["project"]["entry-points"]["synthohive"] == {DIST: f"{PACKAGE}.plugin"}
    assert project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == [f"src/{PACKAGE}"]


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.lang == "python"], ids=lambda b: b.line)
def test_python_block_compiles(block: SimpleNamespace) -> None:
    compile(block.body, f"docs/plugins.md:{block.line}", "exec")


def test_plugin_module_is_thin(mini: SimpleNamespace) -> None:
    source = inspect.getsource(mini.plugin)
    top_level = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert all("synthohive_mini" not in line for line in top_level), top_level


def test_author_methods_keep_the_base_signatures(mini: SimpleNamespace) -> None:
    for method in ("_fit", "_sample", "_save", "_load"):
        base = inspect.signature(getattr(GenerativeModel, method))
        assert inspect.signature(getattr(mini.model.MarginalsModel, method)) == base, method


def test_registered_through_every_hook(registry: Registry, mini: SimpleNamespace) -> None:
    assert registry.get_model("mini_marginals") is mini.model.MarginalsModel
    assert registry.connector_for("minidb:///x.db") is mini.connector.MiniDBConnector
    assert registry.info("models", "mini_marginals").distribution == DIST
    assert "redact" in registry.list_sanitizers()
    assert "mini_row_count" in registry.list_validators()
    import click

    cli = click.Group()
    registry.plugins.call("register_commands", cli=cli)
    assert "mini-info" in cli.commands


# --- the conformance kits, subclassed here ----------------------------------------------------
class TestDocModelContract(ModelContract):
    """``ModelContract`` with the settings of the page's ``tests/test_contract.py``."""

    @pytest.fixture(autouse=True)
    def _from_page(self, mini: SimpleNamespace) -> None:
        page = mini.tests.TestMarginalsContract
        assert page.model_class is mini.model.MarginalsModel
        cls = type(self)
        cls.model_class, cls.params, cls.requirements = (
            page.model_class,
            page.params,
            page.requirements,
        )


class TestDocConnectorContract(ConnectorContract):
    """``ConnectorContract`` with the page's ``make_connector`` and requirements."""

    @pytest.fixture(autouse=True)
    def _from_page(self, mini: SimpleNamespace) -> None:
        type(self).requirements = mini.tests.TestMiniDBContract.requirements
        self._page = mini.tests.TestMiniDBContract()

    def make_connector(self, tmp_path: Path) -> Connector:
        conn = self._page.make_connector(tmp_path)
        assert type(conn).__name__ == "MiniDBConnector"
        return conn


@pytest.fixture(scope="module")
def jsonl_class(tmp_path_factory: pytest.TempPathFactory) -> type[Connector]:
    """The page's ``JSONLinesConnector``, built only from ``synthohive.connectors.folder``."""
    [block] = [b for b in SNIPPETS if "class JSONLinesConnector(FolderConnector)" in b.body]
    namespace: dict[str, object] = {"__name__": f"docs_block_{block.line}"}
    cwd = Path.cwd()
    os.chdir(tmp_path_factory.mktemp("jsonl-block"))
    try:
        exec(compile(block.body, f"docs/plugins.md:{block.line}", "exec"), namespace)  # noqa: S102
    finally:
        os.chdir(cwd)
    cls = namespace["JSONLinesConnector"]
    assert isinstance(cls, type) and issubclass(cls, Connector)
    return cls


class TestDocFolderConnectorContract(ConnectorContract):
    """The page's folder connector passes the same kit as ``csv://`` (atomic, append, modes)."""

    @pytest.fixture(autouse=True)
    def _from_page(self, jsonl_class: type[Connector]) -> None:
        self._cls = jsonl_class

    def make_connector(self, tmp_path: Path) -> Connector:
        return self._cls(f"jsonl://{tmp_path / 'out'}")


def test_doc_folder_connector_is_all_or_nothing(
    jsonl_class: type[Connector], tmp_path: Path
) -> None:
    """A session that fails mid-way leaves the folder as it was, with none of its own files."""
    from synthohive.errors import ConnectorError

    conn = jsonl_class(f"jsonl://{tmp_path / 'shop'}")
    conn.write("customers", pd.DataFrame({"id": [1], "tier": ["gold"]}))
    with pytest.raises(ConnectorError, match="customers"), conn.begin_write(mode="append") as s:
        s.append("orders", pd.DataFrame({"id": [10], "customer_id": [1]}))
        s.append("customers", pd.DataFrame({"wrong": [2]}))
    assert conn.list_tables() == ["customers"]
    assert sorted(p.name for p in (tmp_path / "shop").iterdir()) == ["customers.jsonl"]
    assert conn.read("customers")["id"].tolist() == [1]


# --- through the synthesizer ------------------------------------------------------------------
def _frame(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    amount = rng.gamma(2.0, 30.0, n).round(2)
    amount[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "amount": amount,
            "items": rng.integers(1, 6, n),
            "tier": pd.Categorical(
                rng.choice(["gold", "silver"], n), categories=["silver", "gold"]
            ),
            "online": rng.random(n) < 0.4,
            "placed": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 60, n), unit="D"),
        }
    )


def test_synthesizer_fit_sample_save_load(registry: Registry, tmp_path: Path) -> None:
    from synthohive import Synthesizer

    real = _frame()
    with use_registry(registry):
        synth = Synthesizer(model="mini_marginals", seed=7).fit(real)
        assert "mini_marginals" in synth.explain()
        fake = synth.sample(250)
        synth.save(tmp_path / "mini.shm")
        again = Synthesizer.load(tmp_path / "mini.shm")
        pd.testing.assert_frame_equal(again.sample(250), fake)
    assert list(fake.columns) == list(real.columns)
    assert (fake.dtypes == real.dtypes).all()
    assert fake["amount"].isna().any() and fake["amount"].dropna().between(0, 1e4).all()
    assert list(fake["tier"].cat.categories) == ["silver", "gold"]


def test_conditions_and_tampered_state(mini: SimpleNamespace) -> None:
    real = _frame()
    model = mini.model.MarginalsModel(seed=0).fit(real, table=table_for(real), progress=False)
    assert (model.sample(50, conditions={"tier": "gold"})["tier"] == "gold").all()
    store = MemoryStore()
    model.save(store.writer())
    [key] = [k for k in store.members if k.endswith("columns.json")]
    store.members[key] = store.members[key].replace(b'"null_rate": 0.0', b'"null_rate": 7.0', 1)
    with pytest.raises(ArtifactIntegrityError, match="null_rate"):
        mini.model.MarginalsModel.load(store.reader())


@pytest.mark.parametrize("block", SNIPPETS, ids=lambda b: b.line)
def test_python_snippet_runs(
    block: SimpleNamespace,
    registry: Registry,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every unmarked Python block runs as written, with the plugin installed (registered)."""
    monkeypatch.chdir(tmp_path)  # blocks may write files such as mini.shm or shop.db
    code = compile(block.body, f"docs/plugins.md:{block.line}", "exec")
    with use_registry(registry):
        exec(code, {"__name__": f"docs_block_{block.line}"})  # noqa: S102 - the page's own code


# --- installed for real, in fresh processes ---------------------------------------------------
@pytest.fixture(scope="module")
def site(package: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package installed with pip into a temporary folder (never the test environment)."""
    target = tmp_path_factory.mktemp("docs-plugin-site")
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "-q"]
    proc = subprocess.run(
        [*cmd, "--target", str(target), str(package)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return target


def _run(args: list[str], site: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site), "SYNTHOHIVE_PLUGINS": DIST}
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_installed_plugin_is_discovered(site: Path, tmp_path: Path) -> None:
    proc = _run(["-m", "synthohive.cli", "plugins", "--json"], site, tmp_path)
    assert proc.returncode == 0, proc.stderr
    [plugin] = [p for p in json.loads(proc.stdout)["plugins"] if p["distribution"] == DIST]
    assert plugin["status"] == "ok" and not plugin["warnings"], plugin
    assert plugin["module"] == f"{PACKAGE}.plugin"
    assert plugin["registered"] == {
        "connectors": ["minidb"],
        "models": ["mini_marginals"],
        "sanitizers": ["redact"],
        "validators": ["mini_row_count"],
    }

    proc = _run(["-m", "synthohive.cli", "plugins"], site, tmp_path)
    assert proc.returncode == 0, proc.stderr
    shown = _console("synthohive plugins")
    start = next(i for i, line in enumerate(shown) if line.startswith(DIST))
    mine = shown[start : start + 5]
    assert mine[0] == f"{DIST} 0.1.0  ({PACKAGE}.plugin)"
    out = proc.stdout.splitlines()
    assert out[out.index(mine[0]) : out.index(mine[0]) + 5] == mine
    assert out[0] == shown[0]  # the core's header line

    proc = _run(["-m", "synthohive.cli", "mini-info"], site, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == _console("synthohive mini-info")


@pytest.mark.slow
def test_page_tests_pass_against_the_installed_package(
    site: Path, package: Path, tmp_path: Path
) -> None:
    """The page's tests/ (kits through real model files, strict discovery) on the install."""
    args = ["-m", "pytest", str(package / "tests"), "-q", "-p", "no:cacheprovider"]
    proc = _run([*args, "--rootdir", str(package)], site, tmp_path)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    summary = proc.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary
