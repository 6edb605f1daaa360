"""The typed registry: every registered class by kind and name, with who provided it.

Kinds are ``models``, ``connectors``, ``sanitizers``, ``validators`` and ``constraints``.
Classes are indexed by their ``name`` attribute; connectors by each URL scheme in ``schemes`` (a
``postgresql+psycopg://`` URL matches ``postgresql``). Each kind is collected lazily, the first
time it is asked for, by calling its hook on each plugin separately (a failing plugin is
recorded as broken, the rest still register).

A missing name raises :class:`~synthohive.errors.PluginNotFoundError` listing what is installed
(and the pip package for first-party names); two plugins claiming one name raise
:class:`~synthohive.errors.PluginConflictError` naming both, when that name is looked up.

    from synthohive.registry import get_registry
    Model = get_registry().get_model("gaussian_copula")
    Conn = get_registry().connector_for("parquet://data/")
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Concatenate, ParamSpec, TypeVar

from synthohive.errors import PluginConflictError, PluginNotFoundError
from synthohive.log import get_logger
from synthohive.plugins import HOOK_KINDS, PluginRecord, PluginSet, get_plugins

if TYPE_CHECKING:
    from synthohive.connectors.base import Connector
    from synthohive.models.base import GenerativeModel

log = get_logger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

KINDS: tuple[str, ...] = ("models", "connectors", "sanitizers", "validators", "constraints")
_HOOK_FOR_KIND = {kind: hook for hook, kind in HOOK_KINDS.items()}
_SINGULAR = {
    "models": "model",
    "connectors": "connector",
    "sanitizers": "sanitizer",
    "validators": "validator",
    "constraints": "constraint",
}

# First-party names that ship outside the core: name -> pip package.
FIRST_PARTY: dict[str, dict[str, str]] = {
    "models": {
        "ctgan": "synthohive-ctgan",
        "tvae": "synthohive-tvae",
        "autoregressive": "synthohive-ar",
    },
    "connectors": {
        "postgresql": "synthohive-sql",
        "postgres": "synthohive-sql",
        "mysql": "synthohive-sql",
        "mariadb": "synthohive-sql",
        "sqlite": "synthohive-sql",
        "snowflake": "synthohive-sql",
        "bigquery": "synthohive-sql",
        "spark": "synthohive-spark",
        "delta": "synthohive-spark",
    },
    "sanitizers": {},
    "validators": {},
    "constraints": {},
}


@dataclass(frozen=True)
class Registration:
    """One registered class and where it came from."""

    kind: str
    name: str
    """Lookup key: the class's ``name`` (for connectors: one URL scheme)."""
    cls: type[Any]
    plugin: str
    distribution: str
    version: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "kind": self.kind,
            "name": self.name,
            "class": f"{self.cls.__module__}.{self.cls.__qualname__}",
            "plugin": self.plugin,
            "distribution": self.distribution,
            "version": self.version,
        }


def url_scheme(url: str) -> str | None:
    """The lower-cased scheme of ``url`` (``"postgresql+psycopg"``), or ``None`` without one."""
    head, sep, _ = url.partition("://")
    if not sep or not head:
        return None
    return head.strip().lower()


def _base_class(kind: str) -> type[Any] | None:
    """The base class registered classes of ``kind`` must derive from (if it has one)."""
    if kind == "models":
        from synthohive.models.base import GenerativeModel

        return GenerativeModel
    if kind == "connectors":
        from synthohive.connectors.base import Connector

        return Connector
    if kind == "constraints":
        from synthohive.constraints.base import Constraint

        return Constraint
    return None


def _lister(kind: str) -> Callable[[Registry], list[str]]:
    """A ``Registry.list_<kind>`` method: :meth:`Registry.names` of ``kind``."""

    def names(self: Registry) -> list[str]:
        return self.names(kind)

    names.__name__ = f"list_{kind}"
    names.__qualname__ = f"Registry.list_{kind}"
    names.__doc__ = (
        "URL schemes served by the installed connectors."
        if kind == "connectors"
        else f"Names of the installed {kind}."
    )
    return names


def _getter(kind: str) -> Callable[[Registry, str], type[Any]]:
    """A ``Registry.get_<singular>`` method: :meth:`Registry.get` of ``kind``."""
    singular = _SINGULAR[kind]

    def get(self: Registry, name: str) -> type[Any]:
        return self.get(kind, name)

    get.__name__ = f"get_{singular}"
    get.__qualname__ = f"Registry.get_{singular}"
    get.__doc__ = f"The {singular} class called ``name``."
    return get


class Registry:
    """Lookups over the classes registered by one :class:`~synthohive.plugins.PluginSet`."""

    def __init__(self, plugins: PluginSet) -> None:
        self.plugins = plugins
        self._entries: dict[str, dict[str, list[Registration]]] = {}
        self._lock = threading.RLock()

    # --- collection -------------------------------------------------------------------------
    def _collect(self, kind: str) -> dict[str, list[Registration]]:
        entries = self._entries.get(kind)
        if entries is not None:
            return entries
        with self._lock:
            entries = self._entries.get(kind)
            if entries is not None:
                return entries
            entries = {}
            hook = _HOOK_FOR_KIND[kind]
            for record, result in self.plugins.call(hook):
                self._add_all(kind, record, result, entries)
            self._entries[kind] = entries
            return entries

    def _add_all(
        self,
        kind: str,
        record: PluginRecord,
        result: Any,
        entries: dict[str, list[Registration]],
    ) -> None:
        hook = _HOOK_FOR_KIND[kind]
        if result is None:
            return
        if not isinstance(result, list | tuple):
            self.plugins.mark_broken(
                record, f"{hook}() must return a list of classes, got {type(result).__name__}"
            )
            return
        names: list[str] = record.registered.setdefault(kind, [])
        for cls in result:
            keys = self._keys_for(kind, record, cls)
            for key in keys:
                bucket = entries.setdefault(key, [])
                if any(r.cls is cls for r in bucket):
                    continue
                bucket.append(
                    Registration(
                        kind=kind,
                        name=key,
                        cls=cls,
                        plugin=record.name,
                        distribution=record.distribution,
                        version=record.version,
                    )
                )
                if key not in names:
                    names.append(key)
                if len(bucket) > 1:
                    log.warning(
                        "plugin name conflict",
                        kind=kind,
                        name=key,
                        distributions=[r.distribution for r in bucket],
                    )

    def _keys_for(self, kind: str, record: PluginRecord, cls: Any) -> list[str]:
        hook = _HOOK_FOR_KIND[kind]
        if not isinstance(cls, type):
            self.plugins.mark_broken(record, f"{hook}() returned {cls!r}, which is not a class")
            return []
        base = _base_class(kind)
        if base is not None and not issubclass(cls, base):
            self.plugins.mark_broken(
                record,
                f"{hook}() returned {cls.__qualname__}, which is not a subclass of "
                f"{base.__module__}.{base.__qualname__}",
            )
            return []
        if kind == "connectors":
            schemes = getattr(cls, "schemes", None)
            if isinstance(schemes, str):
                schemes = (schemes,)
            if (
                not isinstance(schemes, list | tuple)
                or not schemes
                or not all(isinstance(s, str) and s for s in schemes)
            ):
                self.plugins.mark_broken(
                    record,
                    f"connector {cls.__qualname__} needs a non-empty tuple of URL 'schemes'",
                )
                return []
            return [s.lower() for s in schemes]
        name = getattr(cls, "name", None)
        if not isinstance(name, str) or not name:
            self.plugins.mark_broken(
                record, f"{_SINGULAR[kind]} {cls.__qualname__} needs a non-empty str 'name'"
            )
            return []
        return [name]

    def load_all(self) -> None:
        """Collect every kind now (``synthohive plugins`` shows what each plugin registered)."""
        for kind in KINDS:
            self._collect(kind)

    # --- generic lookups --------------------------------------------------------------------
    def names(self, kind: str) -> list[str]:
        """Sorted names (connectors: URL schemes) registered for ``kind``."""
        return sorted(self._collect(kind))

    def registrations(self, kind: str) -> list[Registration]:
        """Every registration of ``kind`` (conflicting ones included), sorted by name."""
        entries = self._collect(kind)
        return [r for key in sorted(entries) for r in entries[key]]

    def info(self, kind: str, name: str) -> Registration:
        """The registration of ``name`` (raises when missing or claimed twice)."""
        if kind not in KINDS:
            raise PluginNotFoundError(
                f"unknown plugin kind {kind!r}", fix=f"use one of {', '.join(KINDS)}"
            )
        entries = self._collect(kind)
        bucket = entries.get(name)
        if not bucket:
            raise self._not_found(kind, name)
        if len(bucket) > 1:
            who = " and ".join(
                f"{r.distribution}{' ' + r.version if r.version else ''} "
                f"({r.cls.__module__}.{r.cls.__qualname__})"
                for r in bucket
            )
            raise PluginConflictError(
                f"{_SINGULAR[kind]} {name!r} is registered by more than one plugin: {who}",
                fix="uninstall one of them, or choose with SYNTHOHIVE_PLUGINS=<distributions>",
            )
        return bucket[0]

    def get(self, kind: str, name: str) -> type[Any]:
        """The class registered for ``name`` in ``kind``."""
        return self.info(kind, name).cls

    def _not_found(self, kind: str, name: str) -> PluginNotFoundError:
        singular = _SINGULAR[kind]
        installed = ", ".join(self.names(kind)) or "none"
        label = "URL scheme" if kind == "connectors" else singular
        package = FIRST_PARTY.get(kind, {}).get(name)
        if package is not None:
            message = (
                f"{label} {name!r} is not installed: {name!r} ships in {package}: "
                f"pip install {package}. Installed: {installed}."
            )
            fix = f"pip install {package}"
        else:
            import difflib

            close = difflib.get_close_matches(name, self.names(kind), n=1, cutoff=0.6)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            message = f"no {label} named {name!r} is installed.{hint} Installed: {installed}."
            fix = (
                f"use {close[0]!r}"
                if close
                else "check the spelling, or install the plugin that provides it "
                "(`synthohive plugins` lists what is installed)"
            )
        hook = _HOOK_FOR_KIND[kind]
        broken = [r for r in self.plugins.broken if hook in r.hooks or not r.hooks]
        if broken:
            message += (
                " Broken plugins: "
                + ", ".join(f"{r.name} ({r.distribution}): {r.error}" for r in broken)
                + "."
            )
        return PluginNotFoundError(message, fix=fix)

    # --- typed lookups: one line each, over names() and get() ------------------------------
    list_models = _lister("models")
    get_model: ClassVar[Callable[[Registry, str], type[GenerativeModel]]] = _getter("models")
    list_connectors = _lister("connectors")
    list_sanitizers = _lister("sanitizers")
    get_sanitizer = _getter("sanitizers")
    list_validators = _lister("validators")
    get_validator = _getter("validators")
    list_constraints = _lister("constraints")
    get_constraint = _getter("constraints")

    def get_connector(self, scheme: str) -> type[Connector]:
        """The connector class serving URL scheme ``scheme``."""
        return self.connector_for(f"{scheme}://")

    def connector_for(self, url: str) -> type[Connector]:
        """The connector class for ``url``'s scheme; ``a+b://`` falls back to ``a``."""
        scheme = url_scheme(url)
        if scheme is None:
            raise PluginNotFoundError(
                f"{url!r} has no URL scheme, so no connector can be chosen. "
                f"Installed schemes: {', '.join(self.list_connectors()) or 'none'}.",
                fix="write it as scheme://..., e.g. parquet://path/to/folder",
            )
        entries = self._collect("connectors")
        if scheme in entries:
            return self.get("connectors", scheme)
        base = scheme.split("+", 1)[0]
        return self.get("connectors", base)


_lock = threading.RLock()
_registry: Registry | None = None


def get_registry() -> Registry:
    """The process-wide registry over :func:`synthohive.plugins.get_plugins` (lazy, once)."""
    global _registry
    if _registry is None:
        with _lock:
            if _registry is None:
                _registry = Registry(get_plugins())
    return _registry


def reset_registry() -> None:
    """Forget the process-wide registry and plugins; the next lookup rediscovers (tests)."""
    global _registry
    from synthohive.plugins import reset_plugins

    with _lock:
        _registry = None
        reset_plugins()


@contextmanager
def use_registry(registry: Registry) -> Iterator[Registry]:
    """Make ``registry`` the process-wide one inside a ``with`` block (tests)."""
    global _registry
    with _lock:
        previous = _registry
        _registry = registry
    try:
        yield registry
    finally:
        with _lock:
            _registry = previous


# --- module-level functions: the same lookups on the process-wide registry -------------------
def _on_process_registry(method: Callable[Concatenate[Registry, P], R]) -> Callable[P, R]:
    """``method`` called on the process-wide registry of the moment (:func:`get_registry`)."""
    name = method.__name__

    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        result: R = getattr(get_registry(), name)(*args, **kwargs)
        return result

    call.__name__ = call.__qualname__ = name
    call.__doc__ = method.__doc__
    return call


list_models = _on_process_registry(Registry.list_models)
get_model = _on_process_registry(Registry.get_model)
list_connectors = _on_process_registry(Registry.list_connectors)
connector_for = _on_process_registry(Registry.connector_for)
list_sanitizers = _on_process_registry(Registry.list_sanitizers)
get_sanitizer = _on_process_registry(Registry.get_sanitizer)
list_validators = _on_process_registry(Registry.list_validators)
get_validator = _on_process_registry(Registry.get_validator)


__all__ = [
    "FIRST_PARTY",
    "KINDS",
    "Registration",
    "Registry",
    "connector_for",
    "get_model",
    "get_registry",
    "get_sanitizer",
    "get_validator",
    "list_connectors",
    "list_models",
    "list_sanitizers",
    "list_validators",
    "reset_registry",
    "url_scheme",
    "use_registry",
]
