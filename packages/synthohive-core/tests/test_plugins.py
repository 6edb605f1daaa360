"""Discovery: entry points on a temporary sys.path, broken/duplicate/misspelled plugins."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from synthohive.errors import PluginLoadError
from synthohive.hookspecs import hookimpl
from synthohive.plugins import (
    CORE_DISTRIBUTION,
    allowlist_from_env,
    load_plugins,
    make_plugin_manager,
    normalize_distribution,
)
from synthohive.registry import Registry

GOOD = """
from synthohive.hookspecs import hookimpl
from synthohive.models.base import GenerativeModel


class GoodModel(GenerativeModel):
    name = "{model}"

    def _fit(self, data, *, table, context=None, context_table=None, progress=None): ...
    def _sample(self, n, *, context=None, rng=None): ...
    def _save(self, writer): ...
    def _load(self, reader): ...


@hookimpl
def register_models():
    return [GoodModel]
"""


def make_fake_dist(
    root: Path, dist: str, module: str, source: str, *, ep_name: str | None = None
) -> None:
    """A fake installed distribution: ``<dist>-1.0.dist-info`` + a module, under ``root``."""
    info = root / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[synthohive]\n{ep_name or dist} = {module}\n")
    (root / f"{module}.py").write_text(textwrap.dedent(source))


@pytest.fixture
def fake_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty folder on sys.path; modules imported from it are forgotten afterwards."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    before = set(sys.modules)
    yield site
    for name in set(sys.modules) - before:
        if name.startswith("fake_"):
            sys.modules.pop(name, None)


def _fake_only(*dists: str) -> dict[str, object]:
    return {"builtins": False, "allowlist": list(dists)}


def test_import_has_no_side_effects() -> None:
    code = (
        "import sys, synthohive.plugins as p, synthohive.registry as r\n"
        "assert p._plugins is None and r._registry is None\n"
        "assert 'synthohive.default_plugins' not in sys.modules\n"
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_fresh_manager_with_in_test_plugin() -> None:
    class Plugin:
        @hookimpl
        def register_validators(self) -> list[type]:
            class Score:
                name = "score"

            return [Score]

    pset = load_plugins(builtins=False, entry_points=False, extra=[(Plugin(), "my-dist")])
    assert make_plugin_manager() is not pset.pm  # every call builds a new manager
    reg = Registry(pset)
    assert reg.list_validators() == ["score"]
    record = pset.records[0]
    assert record.distribution == "my-dist"
    assert record.hooks == ["register_validators"]
    assert record.registered == {"validators": ["score"]}


def test_builtins_are_registered_as_plugins() -> None:
    pset = load_plugins(entry_points=False)
    names = [r.name for r in pset.records]
    assert "synthohive.default_plugins.models" in names
    assert "synthohive.default_plugins.commands" in names
    assert all(r.builtin and r.distribution == CORE_DISTRIBUTION for r in pset.records)
    assert all(r.ok for r in pset.records)


def test_entry_point_discovered_with_distribution_and_version(fake_site: Path) -> None:
    make_fake_dist(fake_site, "fake-good", "fake_good", GOOD.format(model="fake_model"))
    pset = load_plugins(**_fake_only("fake-good"))  # type: ignore[arg-type]
    [record] = pset.records
    assert (record.name, record.distribution, record.version) == ("fake-good", "fake-good", "1.0")
    assert record.module == "fake_good"
    reg = Registry(pset)
    info = reg.info("models", "fake_model")
    assert (info.distribution, info.version, info.plugin) == ("fake-good", "1.0", "fake-good")


def test_broken_plugin_is_recorded_and_others_load(fake_site: Path) -> None:
    make_fake_dist(fake_site, "fake-good", "fake_good", GOOD.format(model="fake_model"))
    make_fake_dist(fake_site, "fake-broken", "fake_broken", "import not_a_real_module_xyz\n")
    pset = load_plugins(**_fake_only("fake-good", "fake-broken"))  # type: ignore[arg-type]
    by_name = {r.name: r for r in pset.records}
    assert by_name["fake-broken"].error is not None
    assert "import failed: ModuleNotFoundError" in by_name["fake-broken"].error
    assert "not_a_real_module_xyz" in by_name["fake-broken"].error
    assert by_name["fake-good"].ok
    assert Registry(pset).list_models() == ["fake_model"]


def test_failing_hook_marks_only_that_plugin_broken(fake_site: Path) -> None:
    make_fake_dist(fake_site, "fake-good", "fake_good", GOOD.format(model="fake_model"))
    make_fake_dist(
        fake_site,
        "fake-raises",
        "fake_raises",
        """
        from synthohive.hookspecs import hookimpl

        @hookimpl
        def register_models():
            raise RuntimeError("boom in hook")
        """,
    )
    pset = load_plugins(**_fake_only("fake-good", "fake-raises"))  # type: ignore[arg-type]
    reg = Registry(pset)
    assert reg.list_models() == ["fake_model"]
    [broken] = pset.broken
    assert broken.name == "fake-raises"
    assert broken.error == "register_models() raised RuntimeError: boom in hook"


def test_strict_mode_raises_on_broken_plugin(fake_site: Path) -> None:
    make_fake_dist(fake_site, "fake-broken", "fake_broken", "raise ValueError('bad plugin')\n")
    with pytest.raises(PluginLoadError, match=r"fake-broken.*ValueError: bad plugin"):
        load_plugins(strict=True, **_fake_only("fake-broken"))  # type: ignore[arg-type]


def test_duplicate_entry_point_name_is_flagged(fake_site: Path) -> None:
    make_fake_dist(fake_site, "fake-one", "fake_one", GOOD.format(model="m1"), ep_name="fake-same")
    make_fake_dist(fake_site, "fake-two", "fake_two", GOOD.format(model="m2"), ep_name="fake-same")
    pset = load_plugins(**_fake_only("fake-one", "fake-two"))  # type: ignore[arg-type]
    assert len(pset.records) == 2
    [broken] = pset.broken
    other = next(r for r in pset.records if r is not broken)
    assert broken.error == (
        f"duplicate plugin name 'fake-same': already provided by {other.distribution}; skipped"
    )
    assert len(Registry(pset).list_models()) == 1
    with pytest.raises(PluginLoadError, match="duplicate plugin name 'fake-same'"):
        load_plugins(strict=True, **_fake_only("fake-one", "fake-two"))  # type: ignore[arg-type]


MISSPELLED = """
from synthohive.hookspecs import hookimpl

@hookimpl
def register_model():
    return []
"""


def test_misspelled_hook_reported_by_check_pending(fake_site: Path) -> None:
    make_fake_dist(fake_site, "fake-typo", "fake_typo", MISSPELLED)
    pset = load_plugins(**_fake_only("fake-typo"))  # type: ignore[arg-type]
    [record] = pset.records
    assert record.ok  # it loads, but the problem is reported
    assert record.hooks == []
    assert len(record.warnings) == 1
    assert "unknown hook 'register_model'" in record.warnings[0]
    with pytest.raises(PluginLoadError, match=r"fake-typo.*register_model"):
        load_plugins(strict=True, **_fake_only("fake-typo"))  # type: ignore[arg-type]


def test_allowlist_env(fake_site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_fake_dist(fake_site, "fake-good", "fake_good", GOOD.format(model="fake_model"))
    monkeypatch.setenv("SYNTHOHIVE_PLUGINS", "")
    pset = load_plugins()
    assert pset.records and all(r.builtin for r in pset.records)
    monkeypatch.setenv("SYNTHOHIVE_PLUGINS", " Fake_Good ")
    pset = load_plugins()
    assert [r.name for r in pset.records if not r.builtin] == ["fake-good"]
    monkeypatch.delenv("SYNTHOHIVE_PLUGINS")
    assert "fake-good" in [r.name for r in load_plugins().records]


def test_allowlist_parsing() -> None:
    assert allowlist_from_env({}) is None
    assert allowlist_from_env({"SYNTHOHIVE_PLUGINS": ""}) == frozenset()
    assert allowlist_from_env({"SYNTHOHIVE_PLUGINS": "A_b, c.d,"}) == {"a-b", "c-d"}
    assert normalize_distribution("Synthohive_CTGAN") == "synthohive-ctgan"


def test_trace_env_logs_every_hook_call(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    make_fake_dist(site, "fake-good", "fake_good", GOOD.format(model="fake_model"))
    code = (
        "import synthohive.log as l; l.configure('INFO', json=True)\n"
        "from synthohive.registry import get_registry\n"
        "print(get_registry().list_models())"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "SYNTHOHIVE_PLUGINS": "fake-good",
        "SYNTHOHIVE_TRACE_PLUGINS": "1",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert "fake_model" in ast.literal_eval(out.stdout.strip())
    events = [json.loads(line) for line in out.stderr.splitlines() if line.startswith("{")]
    calls = [e for e in events if e["event"] == "hook call"]
    assert {e["hook"] for e in calls} == {"register_models"}
    assert {p for e in calls for p in e["plugins"]} == {
        "synthohive.default_plugins.models",
        "fake-good",
    }
    env.pop("SYNTHOHIVE_TRACE_PLUGINS")
    quiet = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert "hook call" not in quiet.stderr


def test_failing_hook_does_not_hide_the_plugins_other_hooks(fake_site: Path) -> None:
    source = GOOD.format(model="half_model") + (
        "\n@hookimpl\ndef register_connectors():\n    raise ImportError('driver missing')\n"
    )
    make_fake_dist(fake_site, "fake-half", "fake_half", source)
    reg = Registry(load_plugins(**_fake_only("fake-half")))  # type: ignore[arg-type]
    assert reg.list_connectors() == []  # the failing hook first...
    assert reg.list_models() == ["half_model"]  # ...does not hide the working one
    [record] = reg.plugins.records
    assert record.error == "register_connectors() raised ImportError: driver missing"
    assert record.registered == {"models": ["half_model"]}
