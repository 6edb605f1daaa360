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


def test_the_six_hooks_exist() -> None:
    assert sorted(_hookspecs()) == [
        "register_commands",
        "register_connectors",
        "register_constraints",
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


# --- the author contract of models, connectors and the kit, as docs/plugins.md states it -------
def _squash(text: str) -> str:
    """Text without whitespace or trailing commas, so wrapped signatures compare equal."""
    return re.sub(r",\)", ")", re.sub(r"\s+", "", text))


def _def_lines(fn: Callable[..., Any]) -> str:
    """The ``def`` of ``fn`` as written in its source, from ``def`` to the closing ``:``."""
    source = inspect.getsource(fn)
    start = source.index("def ")
    end = source.index(":\n", source.index(")", start))
    return source[start : end + 1]


@pytest.mark.parametrize("method", ["_fit", "_sample", "_save", "_load"])
def test_model_author_method_documented_with_exact_signature(method: str) -> None:
    from synthohive.models.base import GenerativeModel

    signature = _def_lines(getattr(GenerativeModel, method))
    assert _squash(signature) in _squash(DOC.read_text(encoding="utf-8")), (
        f"docs/plugins.md does not show the signature of GenerativeModel.{method}:\n{signature}"
    )


def test_model_attributes_documented() -> None:
    import pandas as pd

    from synthohive.models.base import GenerativeModel

    class Probe(GenerativeModel):
        name = "probe"

        def _fit(self, *args: Any, **kwargs: Any) -> None: ...
        def _sample(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
            return pd.DataFrame()

        def _save(self, *args: Any, **kwargs: Any) -> None: ...
        def _load(self, *args: Any, **kwargs: Any) -> None: ...

    doc = DOC.read_text(encoding="utf-8")
    for attr in ("name", "Params", "supports_context", "supports_conditions", "min_rows"):
        assert f"| `{attr}` |" in doc, f"class attribute {attr} is not in the model table"
    for attr in vars(Probe()):
        assert f"`self.{attr}`" in doc, f"GenerativeModel sets self.{attr}; document it"


def test_kit_requirements_documented_with_defaults() -> None:
    import dataclasses

    from synthohive.testing import ConnectorRequirements, Requirements

    doc = DOC.read_text(encoding="utf-8")
    for field in dataclasses.fields(Requirements):
        row = f"| `{field.name}` | `{field.default!r}` |"
        assert row in doc, f"Requirements.{field.name} (default {field.default!r}) undocumented"
    for field in dataclasses.fields(ConnectorRequirements):
        assert f"`{field.name}={field.default!r}`" in doc, f"ConnectorRequirements.{field.name}"


def test_kit_checks_named_in_docs_exist() -> None:
    from synthohive.testing import ModelContract

    tests = [name for name in dir(ModelContract) if name.startswith("test_")]
    named = set(re.findall(r"`(test_[a-z0-9_]+)`", DOC.read_text(encoding="utf-8")))
    assert named, "docs/plugins.md names no conformance check"
    for name in named:
        assert any(t == name or t.startswith(f"{name}_") for t in tests), (
            f"docs/plugins.md names {name}, which ModelContract does not have"
        )


def test_connector_contract_documented() -> None:
    from synthohive.artifacts.api import ArtifactWriter
    from synthohive.connectors.base import WRITE_MODES, Connector, WriteSession

    doc = DOC.read_text(encoding="utf-8")
    for cls in (Connector, WriteSession):
        for name in sorted(cls.__abstractmethods__):
            assert f"`{name}(" in doc, f"{cls.__name__}.{name} is not documented"
    for name in ("iter_chunks", "read_all", "metadata", "write", "close"):
        assert f"`{name}(" in doc, f"Connector.{name} is not documented"
    for mode in WRITE_MODES:
        assert f'`"{mode}"`' in doc, f"write mode {mode!r} is not documented"
    for name in ("write_json", "write_array", "write_tensors", "child"):
        assert hasattr(ArtifactWriter, name)
        assert f"`writer.{name}(" in doc, f"ArtifactWriter.{name} is not documented"
