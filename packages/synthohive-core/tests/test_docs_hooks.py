"""Meta-tests keeping the plugin contract honest: documented and tested, hook by hook."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from synthohive import hookspecs

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "plugins.md"


def _hookspecs() -> dict[str, Callable[..., Any]]:
    return {
        name: fn
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(fn, f"{hookspecs.PROJECT}_spec")
    }


def _signature(fn: Callable[..., Any]) -> str:
    """``def name(arg: Type) -> Return`` with annotations as written in the source."""
    sig = inspect.signature(fn)
    params = ", ".join(
        f"{p.name}: {p.annotation}" if p.annotation is not p.empty else p.name
        for p in sig.parameters.values()
    )
    return f"def {fn.__name__}({params}) -> {sig.return_annotation}"


def _test_sources() -> str:
    folders = [ROOT / "tests", *sorted((ROOT / "packages").glob("*/tests"))]
    return "\n".join(
        path.read_text(encoding="utf-8") for folder in folders for path in folder.rglob("test_*.py")
    )


def test_the_five_hooks_exist() -> None:
    assert sorted(_hookspecs()) == [
        "register_commands",
        "register_connectors",
        "register_models",
        "register_sanitizers",
        "register_validators",
    ]
    assert _signature(hookspecs.register_commands) == (
        "def register_commands(cli: click.Group) -> None"
    )


@pytest.mark.parametrize("name", sorted(_hookspecs()))
def test_hook_documented_with_exact_signature(name: str) -> None:
    doc = DOC.read_text(encoding="utf-8")
    assert f"### `{name}`" in doc, f"docs/plugins.md lacks a section for {name}"
    assert _signature(_hookspecs()[name]) in doc, f"signature of {name} differs in the docs"


@pytest.mark.parametrize("name", sorted(_hookspecs()))
def test_hook_has_a_test(name: str) -> None:
    assert re.search(rf"^\s*def test_hook_{name}\(", _test_sources(), re.MULTILINE), (
        f"no test_hook_{name} test found in tests/ or packages/*/tests/"
    )
