"""Plugin discovery: built-in default plugins plus the ``synthohive`` entry-point group.

Nothing happens at import time. :func:`get_plugins` loads once per process, on first use:

1. the core's own default plugins (``synthohive.default_plugins``) are registered first;
2. then every entry point of the ``synthohive`` group, each inside its own ``try``: a plugin
   that fails to import or register is recorded as broken (with its error) and the others
   load; a second entry point with an already used name is flagged and skipped;
3. ``check_pending()`` runs so a misspelled hook name (``register_model``) is reported.

``strict=True`` raises :class:`~synthohive.errors.PluginLoadError` instead of recording
problems (plugin authors use it in their own tests). Environment switches:

- ``SYNTHOHIVE_PLUGINS``: comma-separated allowlist of distribution names; set but empty
  means built-ins only.
- ``SYNTHOHIVE_TRACE_PLUGINS=1``: log every hook call (pluggy hook-call monitoring).

Tests build a hermetic set with :func:`load_plugins` (``entry_points=False`` and their own
in-test plugin objects through ``extra=``) instead of touching the process-wide one.
"""

from __future__ import annotations

import importlib
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from typing import Any

import pluggy

from synthohive import hookspecs
from synthohive.errors import PluginLoadError
from synthohive.log import get_logger

log = get_logger(__name__)

ENTRY_POINT_GROUP = "synthohive"
CORE_DISTRIBUTION = "synthohive-core"
ENV_ALLOWLIST = "SYNTHOHIVE_PLUGINS"
ENV_TRACE = "SYNTHOHIVE_TRACE_PLUGINS"

# Hook name -> registry kind; ``register_commands`` registers no classes.
HOOK_KINDS: dict[str, str] = {
    "register_models": "models",
    "register_connectors": "connectors",
    "register_sanitizers": "sanitizers",
    "register_validators": "validators",
    "register_constraints": "constraints",
}


def normalize_distribution(name: str) -> str:
    """PEP 503 normalised distribution name (``Foo_Bar`` -> ``foo-bar``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _core_version() -> str:
    from synthohive import __version__

    return __version__


@dataclass
class PluginRecord:
    """What discovery knows about one plugin (loaded or broken)."""

    name: str
    """Plugin name: the entry-point name, or the module name of a built-in."""
    distribution: str
    version: str | None
    module: str
    builtin: bool = False
    hooks: list[str] = field(default_factory=list)
    """Known hooks the plugin implements."""
    registered: dict[str, list[str]] = field(default_factory=dict)
    """Kind (``models``, ``connectors``...) -> names the plugin registered."""
    error: str | None = None
    """Why the plugin is broken (import or hook failure); ``None`` when it works."""
    warnings: list[str] = field(default_factory=list)
    """Problems that do not stop the plugin (misspelled hooks, duplicates skipped...)."""
    plugin: object | None = field(default=None, repr=False, compare=False)
    """The registered plugin object (module or instance); ``None`` when it failed to load."""

    @property
    def ok(self) -> bool:
        """Whether the plugin loaded and none of its hooks failed."""
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (used by ``synthohive plugins --json``)."""
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "module": self.module,
            "builtin": self.builtin,
            "hooks": sorted(self.hooks),
            "registered": {k: sorted(v) for k, v in sorted(self.registered.items())},
            "status": "ok" if self.ok else "broken",
            "error": self.error,
            "warnings": list(self.warnings),
        }


@dataclass
class PluginSet:
    """A plugin manager with the records of every plugin discovery saw."""

    pm: pluggy.PluginManager
    records: list[PluginRecord]
    strict: bool = False

    def record_for(self, plugin: object) -> PluginRecord | None:
        """The record of a registered plugin object."""
        for rec in self.records:
            if rec.plugin is plugin:
                return rec
        return None

    @property
    def broken(self) -> list[PluginRecord]:
        """Records of plugins that failed to load or whose hook failed."""
        return [r for r in self.records if not r.ok]

    def mark_broken(self, record: PluginRecord, error: str) -> None:
        """Record ``error`` on ``record`` (or raise :class:`PluginLoadError` in strict mode)."""
        log.warning(
            "plugin broken", plugin=record.name, distribution=record.distribution, error=error
        )
        if record.error is None:
            record.error = error
        else:
            record.error = f"{record.error}; {error}"
        if self.strict:
            raise PluginLoadError(
                f"plugin {record.name!r} ({record.distribution}) failed: {error}",
                fix=f"fix or uninstall {record.distribution}, or exclude it with {ENV_ALLOWLIST}",
            )

    def call(self, hook_name: str, **kwargs: Any) -> list[tuple[PluginRecord, Any]]:
        """Call ``hook_name`` on each loaded plugin separately; one failing plugin is isolated.

        Returns ``(record, result)`` for every plugin whose implementation returned normally;
        a plugin whose implementation raises is marked broken (strict mode: raises).
        """
        caller = getattr(self.pm.hook, hook_name)
        impls = caller.get_hookimpls()
        plugins = self.pm.get_plugins()
        results: list[tuple[PluginRecord, Any]] = []
        for impl in impls:
            record = self.record_for(impl.plugin)
            if record is None:
                continue
            # A plugin whose other hook failed still gets this one called: which kinds load
            # must not depend on the order in which they are first looked up.
            others = [p for p in plugins if p is not impl.plugin]
            single = self.pm.subset_hook_caller(hook_name, remove_plugins=others)
            try:
                out = single(**kwargs)
            except Exception as exc:  # one broken plugin must not stop the rest
                self.mark_broken(record, f"{hook_name}() raised {type(exc).__name__}: {exc}")
                continue
            # Non-firstresult hooks return a list with one entry per implementation.
            results.append((record, out[0] if isinstance(out, list) and out else None))
        return results


def make_plugin_manager() -> pluggy.PluginManager:
    """A fresh, empty plugin manager that knows SynthoHive's hook specs."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    return pm


def allowlist_from_env(environ: dict[str, str] | None = None) -> frozenset[str] | None:
    """Distribution names allowed by ``SYNTHOHIVE_PLUGINS`` (``None``: all allowed)."""
    env = os.environ if environ is None else environ
    raw = env.get(ENV_ALLOWLIST)
    if raw is None:
        return None
    return frozenset(normalize_distribution(p.strip()) for p in raw.split(",") if p.strip())


def _trace_enabled(environ: dict[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return env.get(ENV_TRACE, "").strip().lower() not in ("", "0", "false", "no")


def _install_tracing(pm: pluggy.PluginManager) -> Callable[[], None]:
    def before(hook_name: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, Any]) -> None:
        log.info(
            "hook call",
            hook=hook_name,
            plugins=[pm.get_name(i.plugin) for i in impls],
            kwargs=sorted(kwargs),
        )

    def after(
        outcome: pluggy.Result[Any],
        hook_name: str,
        impls: Sequence[pluggy.HookImpl],
        kwargs: Mapping[str, Any],
    ) -> None:
        exc = outcome.exception
        log.info(
            "hook result",
            hook=hook_name,
            error=None if exc is None else f"{type(exc).__name__}: {exc}",
        )

    return pm.add_hookcall_monitoring(before, after)


def _known_hooks(pm: pluggy.PluginManager, plugin: object) -> tuple[list[str], list[str]]:
    """(implemented hooks with a spec, implemented names without a spec)."""
    known: list[str] = []
    unknown: list[str] = []
    for caller in pm.get_hookcallers(plugin) or []:
        (known if caller.has_spec() else unknown).append(caller.name)
    return sorted(known), sorted(unknown)


def _register(pset: PluginSet, record: PluginRecord, plugin: object) -> None:
    try:
        pset.pm.register(plugin, name=record.name)
    except Exception as exc:  # e.g. hook signature mismatch
        pset.mark_broken(record, f"could not register: {type(exc).__name__}: {exc}")
        return
    record.plugin = plugin
    record.hooks, unknown = _known_hooks(pset.pm, plugin)
    for name in unknown:
        record.warnings.append(
            f"implements unknown hook {name!r} (misspelled? known hooks: "
            f"{', '.join([*sorted(HOOK_KINDS), 'register_commands'])})"
        )


def _iter_entry_points() -> list[importlib_metadata.EntryPoint]:
    return list(importlib_metadata.entry_points(group=ENTRY_POINT_GROUP))


def _load_entry_point(
    pset: PluginSet,
    ep: importlib_metadata.EntryPoint,
    seen: dict[str, str],
    allow: frozenset[str] | None,
) -> None:
    dist = getattr(ep, "dist", None)
    dist_name = str(dist.metadata["Name"]) if dist is not None else ep.name
    version = dist.version if dist is not None else None
    if allow is not None and normalize_distribution(dist_name) not in allow:
        log.debug("plugin skipped by allowlist", plugin=ep.name, distribution=dist_name)
        return
    record = PluginRecord(name=ep.name, distribution=dist_name, version=version, module=ep.value)
    pset.records.append(record)
    if ep.name in seen:
        pset.mark_broken(
            record,
            f"duplicate plugin name {ep.name!r}: already provided by {seen[ep.name]}; skipped",
        )
        return
    seen[ep.name] = dist_name
    try:
        plugin = ep.load()
    except Exception as exc:  # one broken plugin must not stop the rest
        pset.mark_broken(record, f"import failed: {type(exc).__name__}: {exc}")
        return
    _register(pset, record, plugin)


def load_plugins(
    *,
    strict: bool = False,
    builtins: bool = True,
    entry_points: bool = True,
    allowlist: Iterable[str] | str | None = "env",
    extra: Iterable[tuple[object, str]] = (),
    trace: bool | None = None,
) -> PluginSet:
    """Build a fresh :class:`PluginSet` (the process-wide one is :func:`get_plugins`).

    ``allowlist``: distribution names to load from entry points (``"env"``: read
    ``SYNTHOHIVE_PLUGINS``; ``None``: all). ``extra``: ``(plugin_object, distribution)``
    pairs registered after the built-ins (for tests). ``trace``: log every hook call
    (default: ``SYNTHOHIVE_TRACE_PLUGINS``).
    """
    pm = make_plugin_manager()
    pset = PluginSet(pm=pm, records=[], strict=strict)
    if trace if trace is not None else _trace_enabled():
        _install_tracing(pm)
    allow: frozenset[str] | None
    if allowlist == "env":
        allow = allowlist_from_env()
    elif allowlist is None:
        allow = None
    else:
        allow = frozenset(normalize_distribution(a) for a in allowlist)

    seen: dict[str, str] = {}
    if builtins:
        from synthohive.default_plugins import DEFAULT_PLUGINS

        for module_name in DEFAULT_PLUGINS:
            record = PluginRecord(
                name=module_name,
                distribution=CORE_DISTRIBUTION,
                version=_core_version(),
                module=module_name,
                builtin=True,
            )
            pset.records.append(record)
            seen[module_name] = CORE_DISTRIBUTION
            try:
                module = importlib.import_module(module_name)
            except Exception as exc:
                pset.mark_broken(record, f"import failed: {type(exc).__name__}: {exc}")
                continue
            _register(pset, record, module)
    for index, (plugin, distribution) in enumerate(extra):
        name = getattr(plugin, "__name__", None) or f"{type(plugin).__name__}-{index}"
        record = PluginRecord(
            name=str(name),
            distribution=distribution,
            version=None,
            module=getattr(plugin, "__module__", None) or str(name),
        )
        pset.records.append(record)
        _register(pset, record, plugin)
    if entry_points:
        for ep in _iter_entry_points():
            _load_entry_point(pset, ep, seen, allow)
    _check_pending(pset)
    return pset


def _check_pending(pset: PluginSet) -> None:
    try:
        pset.pm.check_pending()
    except pluggy.PluginValidationError as exc:
        log.warning("plugin implements unknown hook", error=str(exc))
        if pset.strict:
            bad = [r for r in pset.records if any("unknown hook" in w for w in r.warnings)]
            names = ", ".join(f"{r.name} ({r.distribution})" for r in bad) or "a plugin"
            raise PluginLoadError(
                f"{names} implements a hook SynthoHive does not define: {exc}",
                fix="check the hook name against synthohive.hookspecs (see docs/plugins.md)",
            ) from exc


_lock = threading.RLock()
_plugins: PluginSet | None = None


def get_plugins() -> PluginSet:
    """The process-wide plugin set, loaded on first call (thread-safe, once)."""
    global _plugins
    if _plugins is None:
        with _lock:
            if _plugins is None:
                _plugins = load_plugins()
    return _plugins


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide pluggy manager (loads plugins on first call)."""
    return get_plugins().pm


def reset_plugins() -> None:
    """Forget the process-wide plugins; the next :func:`get_plugins` rediscovers (tests)."""
    global _plugins
    with _lock:
        _plugins = None


__all__ = [
    "CORE_DISTRIBUTION",
    "ENTRY_POINT_GROUP",
    "ENV_ALLOWLIST",
    "ENV_TRACE",
    "HOOK_KINDS",
    "PluginRecord",
    "PluginSet",
    "allowlist_from_env",
    "get_plugin_manager",
    "get_plugins",
    "load_plugins",
    "make_plugin_manager",
    "normalize_distribution",
    "reset_plugins",
]
