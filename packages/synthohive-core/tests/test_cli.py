"""The ``synthohive`` CLI: plugins listing, errors, detect/fit/sample round trips."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import click
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from synthohive import __version__
from synthohive.cli import build_cli
from synthohive.demo import load_demo
from synthohive.errors import DataError
from synthohive.hookspecs import hookimpl
from synthohive.metadata.schema import Metadata
from synthohive.plugins import load_plugins
from synthohive.registry import Registry, use_registry

TWIN_MODEL = """
from synthohive.hookspecs import hookimpl
from synthohive.models.base import GenerativeModel


class Twin(GenerativeModel):
    name = "twin"

    def _fit(self, *a, **k): ...
    def _sample(self, *a, **k): ...
    def _save(self, *a, **k): ...
    def _load(self, *a, **k): ...


@hookimpl
def register_models():
    return [Twin]
"""


def make_fake_dist(root: Path, dist: str, module: str, source: str) -> None:
    """A fake installed distribution (``*.dist-info`` + module) under ``root``."""
    info = root / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[synthohive]\n{dist} = {module}\n")
    (root / f"{module}.py").write_text(textwrap.dedent(source))


def run_cli(
    *args: str, site: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``synthohive ARGS`` in a fresh process (optionally with fake plugins on the path)."""
    full_env = {**os.environ, **(env or {})}
    if site is not None:
        full_env["PYTHONPATH"] = str(site)
    return subprocess.run(
        [sys.executable, "-m", "synthohive.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )


@pytest.fixture(scope="module")
def customers_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    frame = load_demo(["customers"])["customers"].head(400)
    path = folder / "customers.csv"
    frame.to_csv(path, index=False)
    return path


def test_version() -> None:
    result = CliRunner().invoke(build_cli(), ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"synthohive, version {__version__}"


def test_hook_register_commands() -> None:
    class Plugin:
        @hookimpl
        def register_commands(self, cli: click.Group) -> None:
            @cli.command("hello")
            @click.argument("who")
            def hello(who: str) -> None:
                click.echo(f"hello {who}")

    pset = load_plugins(entry_points=False, extra=[(Plugin(), "hello-dist")])
    cli = build_cli(pset)
    assert {"hello", "plugins", "detect", "fit", "sample", "demo"} <= set(cli.commands)
    result = CliRunner().invoke(cli, ["hello", "world"])
    assert result.exit_code == 0, result.output
    assert result.output == "hello world\n"


def test_failing_register_commands_does_not_break_cli() -> None:
    class Bad:
        @hookimpl
        def register_commands(self, cli: click.Group) -> None:
            raise RuntimeError("cannot add my command")

    pset = load_plugins(entry_points=False, extra=[(Bad(), "bad-dist")])
    cli = build_cli(pset)
    with use_registry(Registry(pset)):
        result = CliRunner().invoke(cli, ["plugins"])
    assert result.exit_code == 0, result.output
    assert "bad-dist ?  (" in result.output and "BROKEN" in result.output
    assert "error: register_commands() raised RuntimeError: cannot add my command" in (
        result.output
    )


def test_plugins_json_lists_builtins_and_what_they_registered() -> None:
    pset = load_plugins(entry_points=False)
    with use_registry(Registry(pset)):
        result = CliRunner().invoke(build_cli(pset), ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["synthohive_version"] == __version__
    models = {r["name"]: r for r in report["registered"]["models"]}
    assert models["gaussian_copula"]["distribution"] == "synthohive-core"
    assert models["gaussian_copula"]["version"] == __version__
    schemes = {r["name"] for r in report["registered"]["connectors"]}
    assert {"csv", "parquet"} <= schemes
    assert all(p["builtin"] and p["status"] == "ok" for p in report["plugins"])
    with use_registry(Registry(pset)):
        text = CliRunner().invoke(build_cli(pset), ["plugins"])
    assert text.output.splitlines()[0] == f"synthohive-core {__version__}  (built-in)"
    assert "  models: gaussian_copula" in text.output


@pytest.fixture
def fake_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty folder on sys.path; fake plugin modules are forgotten afterwards."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    yield site
    for name in [m for m in sys.modules if m.startswith("fake_")]:
        sys.modules.pop(name, None)


def _invoke_with(allow: list[str], args: list[str]) -> Result:
    pset = load_plugins(allowlist=allow)
    with use_registry(Registry(pset)):
        return CliRunner().invoke(build_cli(pset), args)


def test_broken_plugin_listed_while_plugins_command_works(fake_site: Path) -> None:
    make_fake_dist(fake_site, "fake-broken", "fake_broken", "raise ImportError('no deps here')\n")
    make_fake_dist(fake_site, "fake-twin-a", "fake_twin_a", TWIN_MODEL)
    allow = ["fake-broken", "fake-twin-a"]
    result = _invoke_with(allow, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    plugins = {p["name"]: p for p in json.loads(result.stdout)["plugins"]}
    assert plugins["fake-broken"]["status"] == "broken"
    assert plugins["fake-broken"]["error"] == "import failed: ImportError: no deps here"
    assert plugins["fake-twin-a"]["status"] == "ok"
    assert plugins["fake-twin-a"]["registered"] == {"models": ["twin"]}
    assert plugins["fake-twin-a"]["version"] == "1.0"
    # the real console entry point, in a fresh process: listing works, no raw log lines
    text = run_cli("plugins", site=fake_site, env={"SYNTHOHIVE_PLUGINS": ",".join(allow)})
    assert text.returncode == 0
    assert "fake-broken 1.0  (fake_broken)  BROKEN" in text.stdout
    assert "error: import failed: ImportError: no deps here" in text.stdout
    assert "  models: twin" in text.stdout
    assert text.stderr == ""


def test_duplicate_model_name_conflict_on_lookup(fake_site: Path) -> None:
    make_fake_dist(fake_site, "fake-twin-a", "fake_twin_a", TWIN_MODEL)
    make_fake_dist(fake_site, "fake-twin-b", "fake_twin_b", TWIN_MODEL)
    allow = ["fake-twin-a", "fake-twin-b"]
    listing = _invoke_with(allow, ["plugins"])
    assert listing.exit_code == 0
    assert "conflict: model 'twin' is registered by fake-twin-a and fake-twin-b" in (listing.output)
    result = _invoke_with(allow, ["demo", "--model", "twin"])
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: model 'twin' is registered by more than one plugin:")
    assert "fake-twin-a 1.0 (fake_twin_a.Twin)" in line
    assert "fake-twin-b 1.0 (fake_twin_b.Twin)" in line


def test_empty_allowlist_lists_only_builtins() -> None:
    result = run_cli("-v", "plugins", "--json", env={"SYNTHOHIVE_PLUGINS": ""})
    assert result.returncode == 0, result.stderr
    plugins = json.loads(result.stdout)["plugins"]
    assert plugins and all(p["builtin"] for p in plugins)
    assert {p["distribution"] for p in plugins} == {"synthohive-core"}


def test_error_is_one_line_and_debug_shows_traceback(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.csv")
    result = CliRunner().invoke(build_cli(), ["fit", missing, "-o", str(tmp_path / "m.shm")])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {missing!r} does not exist. Fix: give an existing file, a folder of "
        ".csv/.parquet files, or a connector URL\n"
    )
    debug = CliRunner().invoke(
        build_cli(), ["--debug", "fit", missing, "-o", str(tmp_path / "m.shm")]
    )
    assert isinstance(debug.exception, DataError)
    proc = run_cli("fit", missing, "-o", str(tmp_path / "m.shm"))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "m.shm").exists()


def test_unknown_model_names_pip_package(customers_csv: Path, tmp_path: Path) -> None:
    pset = load_plugins(entry_points=False)
    with use_registry(Registry(pset)):
        result = CliRunner().invoke(
            build_cli(pset),
            ["fit", str(customers_csv), "--model", "ctgan", "-o", str(tmp_path / "m.shm")],
        )
    assert result.exit_code == 1
    assert "'ctgan' ships in synthohive-ctgan: pip install synthohive-ctgan" in result.output


def test_detect_fit_sample_single_table(customers_csv: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    cli = build_cli()
    meta_path = tmp_path / "metadata.json"
    result = runner.invoke(cli, ["detect", str(customers_csv), "-o", str(meta_path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Detected 1 table(s) and 0 relation(s)")
    meta = Metadata.from_json(meta_path)
    assert list(meta.tables) == ["customers"]
    assert meta.tables["customers"].columns["email"].sdtype == "pii"

    model = tmp_path / "customers.shm"
    result = runner.invoke(
        cli,
        ["fit", str(customers_csv), "--metadata", str(meta_path), "--seed", "3", "-o", str(model)],
    )
    assert result.exit_code == 0, result.output
    assert model.is_file()

    out_csv = tmp_path / "synthetic.csv"
    result = runner.invoke(
        cli, ["sample", str(model), "-n", "150", "--seed", "1", "-o", str(out_csv)]
    )
    assert result.exit_code == 0, result.output
    synthetic = pd.read_csv(out_csv)
    real = pd.read_csv(customers_csv)
    assert len(synthetic) == 150
    assert list(synthetic.columns) == list(real.columns)
    assert set(synthetic["segment"]) <= set(real["segment"])
    assert not set(synthetic["email"]) & set(real["email"])  # PII is never copied
    again = tmp_path / "again.csv"
    runner.invoke(cli, ["sample", str(model), "-n", "150", "--seed", "1", "-o", str(again)])
    pd.testing.assert_frame_equal(pd.read_csv(again), synthetic)

    both = runner.invoke(cli, ["sample", str(model), "-o", str(out_csv)])
    assert both.exit_code == 2
    assert "give exactly one of -n/--rows or --scale" in both.output


def test_fit_and_sample_multi_table_folder(tmp_path: Path) -> None:
    frames = load_demo(["customers", "orders"])
    frames["customers"] = frames["customers"].head(300)
    keep = frames["orders"]["customer_id"].isin(frames["customers"]["customer_id"])
    frames["orders"] = frames["orders"][keep]
    src = tmp_path / "src"
    src.mkdir()
    for name, frame in frames.items():
        frame.to_parquet(src / f"{name}.parquet", index=False)
    runner = CliRunner()
    cli = build_cli()
    model = tmp_path / "schema.shm"
    result = runner.invoke(cli, ["fit", str(src), "--seed", "0", "-o", str(model)])
    assert result.exit_code == 0, result.output
    assert "on 2 table(s)" in result.output

    single = runner.invoke(cli, ["sample", str(model), "-n", "10", "-o", str(tmp_path / "x")])
    assert single.exit_code == 1
    assert "-n works for single-table models" in single.output

    out = tmp_path / "out"
    result = runner.invoke(cli, ["sample", str(model), "--scale", "0.5", "-o", str(out)])
    assert result.exit_code == 0, result.output
    customers = pd.read_parquet(out / "customers.parquet")
    orders = pd.read_parquet(out / "orders.parquet")
    assert len(customers) == 150
    assert orders["customer_id"].isin(customers["customer_id"]).all()

    url_out = tmp_path / "url_out"
    result = runner.invoke(
        cli, ["sample", str(model), "--scale", "0.2", "-o", f"parquet://{url_out}"]
    )
    assert result.exit_code == 0, result.output
    assert len(pd.read_parquet(url_out / "customers.parquet")) == 60


def test_epochs_rejected_for_model_without_epochs(customers_csv: Path, tmp_path: Path) -> None:
    model = tmp_path / "m.shm"
    result = CliRunner().invoke(
        build_cli(), ["fit", str(customers_csv), "--epochs", "3", "-o", str(model)]
    )
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --epochs does not apply to model 'gaussian_copula': it has no 'epochs' "
        "parameter. Fix: drop --epochs, or choose a neural model such as --model ctgan\n"
    )
    assert not model.exists()


def test_multi_line_error_printed_as_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"tables": {"t": {"name": "t", "columns": {"c": {"sdtype": "nope"}}}}}')
    data = tmp_path / "t.csv"
    pd.DataFrame({"c": range(20)}).to_csv(data, index=False)
    result = CliRunner().invoke(
        build_cli(), ["fit", str(data), "--metadata", str(bad), "-o", str(tmp_path / "m.shm")]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: metadata JSON does not match the schema")
    assert result.stderr.count("\n") == 1


def test_a_misspelled_command_module_fails_instead_of_dropping_its_commands(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from synthohive.default_plugins import commands

    group = click.Group("probe")
    commands.register_commands(group)
    assert {"plugins", "demo", "evaluate"} <= set(group.commands)
    typo = (*commands.COMMAND_MODULES, "synthohive.cli.evalute")
    monkeypatch.setattr(commands, "COMMAND_MODULES", typo)
    with pytest.raises(ModuleNotFoundError, match="evalute"):
        commands.register_commands(click.Group("probe"))


def test_info_shows_versions_tables_and_the_privacy_budget(tmp_path: Path) -> None:
    import synthohive as sh
    from synthohive.demo import demo_metadata
    from synthohive.privacy import DPConfig, PrivacyConfig

    tables = load_demo()
    plain, private = tmp_path / "plain.shm", tmp_path / "dp.shm"
    sh.Synthesizer(demo_metadata(), seed=0, progress=False).fit(tables).save(plain)
    dp = PrivacyConfig(dp=DPConfig(epsilon=2.0))
    sh.Synthesizer(demo_metadata(), seed=0, progress=False, privacy=dp).fit(tables).save(private)

    text = CliRunner().invoke(build_cli(), ["info", str(plain)])
    assert text.exit_code == 0, text.output
    assert "model plugins: gaussian_copula (synthohive-core" in text.output
    assert "differential privacy: none" in text.output
    assert "- orders (6096 rows): model" in text.output

    out = CliRunner().invoke(build_cli(), ["info", "--json", str(private)])
    assert out.exit_code == 0, out.output
    info = json.loads(out.output)
    assert info["dp"]["epsilon_per_table"] == 2.0 and info["dp"]["epsilon_total"] == 8.0
    assert set(info["tables"]) == set(tables)
    for name, table in info["tables"].items():
        assert table["model"] == "gaussian_copula", name
        assert table["dp"]["epsilon"] <= info["dp"]["tables"][name]["epsilon"] + 1e-9
    assert info["format_version"] and len(info["sha256"]) == 64

    bad = tmp_path / "bad.shm"
    bad.write_bytes(plain.read_bytes()[:-200])  # a truncated file: refused, one line
    broken = CliRunner().invoke(build_cli(), ["info", str(bad)])
    assert broken.exit_code == 1 and "bad.shm" in broken.output
    assert "Traceback" not in broken.output
