"""The typed registry over hermetic plugin sets (fresh manager per test, in-test plugins)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any, ClassVar

import pandas as pd
import pytest

from synthohive import registry as registry_module
from synthohive.connectors.base import Connector
from synthohive.errors import PluginConflictError, PluginLoadError, PluginNotFoundError
from synthohive.hookspecs import hookimpl
from synthohive.models.base import GenerativeModel
from synthohive.plugins import load_plugins
from synthohive.registry import Registry, get_registry, reset_registry, url_scheme, use_registry


def _model(model_name: str) -> type[GenerativeModel]:
    class TinyModel(GenerativeModel):
        name = model_name

        def _fit(self, *args: Any, **kwargs: Any) -> None: ...
        def _sample(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
            return pd.DataFrame()

        def _save(self, *args: Any, **kwargs: Any) -> None: ...
        def _load(self, *args: Any, **kwargs: Any) -> None: ...

    return TinyModel


def _connector(conn_name: str, conn_schemes: tuple[str, ...]) -> type[Connector]:
    class TinyConnector(Connector):
        name = conn_name
        schemes: ClassVar[tuple[str, ...]] = conn_schemes

        def list_tables(self) -> list[str]:
            return []

    return TinyConnector


class ModelsPlugin:
    def __init__(self, *classes: type) -> None:
        self.classes = list(classes)

    @hookimpl
    def register_models(self) -> list[type]:
        return self.classes


class ConnectorsPlugin:
    def __init__(self, *classes: type) -> None:
        self.classes = list(classes)

    @hookimpl
    def register_connectors(self) -> list[type]:
        return self.classes


def _registry(*plugins: tuple[object, str], builtins: bool = False) -> Registry:
    return Registry(load_plugins(builtins=builtins, entry_points=False, extra=plugins))


def test_hook_register_models() -> None:
    copula_like = _model("tiny")
    reg = _registry((ModelsPlugin(copula_like), "tiny-dist"))
    assert reg.list_models() == ["tiny"]
    assert reg.get_model("tiny") is copula_like
    info = reg.info("models", "tiny")
    assert (info.distribution, info.name, info.kind) == ("tiny-dist", "tiny", "models")
    assert info.to_dict()["class"].endswith("TinyModel")


def test_hook_register_connectors() -> None:
    conn = _connector("fakedb", ("fakedb", "FakeDB2"))
    reg = _registry((ConnectorsPlugin(conn), "fakedb-dist"))
    assert reg.list_connectors() == ["fakedb", "fakedb2"]
    assert reg.connector_for("fakedb://host/db") is conn
    assert reg.connector_for("FAKEDB+driver://u:p@host/db") is conn
    assert reg.connector_for("fakedb2://x") is conn
    assert reg.get_connector("fakedb") is conn
    assert reg.plugins.records[0].registered == {"connectors": ["fakedb", "fakedb2"]}


def test_hook_register_sanitizers() -> None:
    class Mask:
        name = "mask_test"

    class Plugin:
        @hookimpl
        def register_sanitizers(self) -> list[type]:
            return [Mask]

    reg = _registry((Plugin(), "san-dist"))
    assert reg.list_sanitizers() == ["mask_test"]
    assert reg.get_sanitizer("mask_test") is Mask


def test_hook_register_validators() -> None:
    class KS:
        name = "ks_test"

    class Plugin:
        @hookimpl
        def register_validators(self) -> list[type]:
            return [KS]

    reg = _registry((Plugin(), "val-dist"))
    assert reg.list_validators() == ["ks_test"]
    assert reg.get_validator("ks_test") is KS


def test_first_party_name_not_found_names_the_package() -> None:
    reg = _registry((ModelsPlugin(_model("tiny")), "tiny-dist"))
    with pytest.raises(PluginNotFoundError) as err:
        reg.get_model("ctgan")
    text = str(err.value)
    assert "'ctgan' ships in synthohive-ctgan: pip install synthohive-ctgan" in text
    assert "Installed: tiny." in text
    with pytest.raises(PluginNotFoundError, match="'tvae' ships in synthohive-tvae"):
        reg.get_model("tvae")
    for url, package in [
        ("postgresql+psycopg://u@h/db", "synthohive-sql"),
        ("mysql://h/db", "synthohive-sql"),
        ("mariadb+pymysql://h/db", "synthohive-sql"),
        ("sqlite:///x.db", "synthohive-sql"),
        ("snowflake://acct", "synthohive-sql"),
        ("bigquery://proj", "synthohive-sql"),
        ("spark://catalog", "synthohive-spark"),
        ("delta:///tmp/t", "synthohive-spark"),
    ]:
        with pytest.raises(PluginNotFoundError, match=f"pip install {package}"):
            reg.connector_for(url)


def test_unknown_name_lists_installed() -> None:
    reg = _registry((ModelsPlugin(_model("b_model"), _model("a_model")), "ab-dist"))
    with pytest.raises(PluginNotFoundError) as err:
        reg.get_model("nope")
    assert "no model named 'nope' is installed. Installed: a_model, b_model." in str(err.value)
    assert "synthohive plugins" in str(err.value)


def test_url_without_scheme() -> None:
    reg = _registry((ConnectorsPlugin(_connector("x", ("x",))), "x-dist"))
    with pytest.raises(PluginNotFoundError, match=r"has no URL scheme.*Installed schemes: x"):
        reg.connector_for("data/folder")
    assert url_scheme("Parquet://a") == "parquet"
    assert url_scheme("no/scheme") is None


def test_conflict_raised_on_lookup_naming_both() -> None:
    first, second = _model("twin"), _model("twin")
    reg = _registry(
        (ModelsPlugin(first, _model("solo")), "dist-first"),
        (ModelsPlugin(second), "dist-second"),
    )
    assert reg.list_models() == ["solo", "twin"]  # listing does not fail
    assert reg.get_model("solo").name == "solo"  # other names unaffected
    with pytest.raises(PluginConflictError) as err:
        reg.get_model("twin")
    text = str(err.value)
    assert "model 'twin' is registered by more than one plugin" in text
    assert "dist-first" in text and "dist-second" in text


def test_connector_scheme_conflict() -> None:
    reg = _registry(
        (ConnectorsPlugin(_connector("a", ("shared",))), "dist-a"),
        (ConnectorsPlugin(_connector("b", ("shared",))), "dist-b"),
    )
    with pytest.raises(PluginConflictError, match=r"connector 'shared'.*dist-a.*dist-b"):
        reg.connector_for("shared+x://y")


def test_same_class_twice_is_not_a_conflict() -> None:
    cls = _model("once")
    reg = _registry((ModelsPlugin(cls, cls), "dist"))
    assert reg.get_model("once") is cls


def test_bad_registrations_break_only_that_plugin() -> None:
    class Nameless(GenerativeModel):
        pass

    class NotAModel:
        name = "not_a_model"

    class ReturnsDict:
        @hookimpl
        def register_models(self) -> dict[str, type]:
            return {"x": _model("x")}

    good = _model("good")
    reg = _registry(
        (ModelsPlugin(Nameless), "dist-nameless"),
        (ModelsPlugin(NotAModel), "dist-notmodel"),
        (ModelsPlugin("not a class"), "dist-str"),  # type: ignore[arg-type]
        (ReturnsDict(), "dist-dict"),
        (ModelsPlugin(good), "dist-good"),
    )
    assert reg.list_models() == ["good"]
    errors = {r.distribution: r.error for r in reg.plugins.broken}
    assert "needs a non-empty str 'name'" in str(errors["dist-nameless"])
    assert "not a subclass of synthohive.models.base.GenerativeModel" in str(
        errors["dist-notmodel"]
    )
    assert "which is not a class" in str(errors["dist-str"])
    assert "must return a list of classes, got dict" in str(errors["dist-dict"])
    strict = load_plugins(
        builtins=False, entry_points=False, strict=True, extra=[(ModelsPlugin(Nameless), "d")]
    )
    with pytest.raises(PluginLoadError, match="needs a non-empty str 'name'"):
        Registry(strict).list_models()


def test_connector_without_schemes_is_rejected() -> None:
    class NoSchemes(Connector):
        name = "none"
        schemes: ClassVar[tuple[str, ...]] = ()

        def list_tables(self) -> list[str]:
            return []

    reg = _registry((ConnectorsPlugin(NoSchemes), "dist-none"))
    assert reg.list_connectors() == []
    assert "non-empty tuple of URL 'schemes'" in str(reg.plugins.broken[0].error)


def test_unknown_kind() -> None:
    with pytest.raises(PluginNotFoundError, match="unknown plugin kind 'widgets'"):
        _registry().info("widgets", "x")


def test_module_functions_use_process_registry() -> None:
    conn = _connector("modconn", ("modconn",))
    model = _model("modmodel")
    reg = _registry((ModelsPlugin(model), "d1"), (ConnectorsPlugin(conn), "d2"))
    with use_registry(reg):
        assert get_registry() is reg
        assert registry_module.list_models() == ["modmodel"]
        assert registry_module.get_model("modmodel") is model
        assert registry_module.list_connectors() == ["modconn"]
        assert registry_module.connector_for("modconn://x") is conn
        assert registry_module.list_sanitizers() == []
        assert registry_module.list_validators() == []
        with pytest.raises(PluginNotFoundError):
            registry_module.get_sanitizer("x")
        with pytest.raises(PluginNotFoundError):
            registry_module.get_validator("x")
    assert get_registry() is not reg


def test_process_registry_is_lazy_and_cached() -> None:
    reset_registry()
    first = get_registry()
    assert get_registry() is first
    reset_registry()
    assert get_registry() is not first


def test_core_only_lookup_imports_no_heavy_dependency() -> None:
    code = (
        "import sys, synthohive\n"
        "from synthohive.registry import get_registry\n"
        "reg = get_registry(); reg.list_models(); reg.load_all()\n"
        "assert all(r.builtin for r in reg.plugins.records), reg.plugins.records\n"
        "from synthohive.demo import load_demo\n"
        "df = load_demo(['products'])['products']\n"
        "out = synthohive.Synthesizer(seed=0).fit(df).sample(50)\n"
        "assert len(out) == 50\n"
        "heavy = [m for m in ('torch', 'pyspark', 'sqlalchemy') if m in sys.modules]\n"
        "print('heavy:', heavy)"
    )
    env = {**os.environ, "SYNTHOHIVE_PLUGINS": ""}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "heavy: []"
