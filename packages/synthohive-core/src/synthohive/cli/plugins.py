"""``synthohive plugins``: every plugin, its distribution, version and what it registered."""

from __future__ import annotations

import json
from typing import Any

import click

from synthohive.errors import SynthoHiveError


def plugins_report() -> dict[str, Any]:
    """Everything ``synthohive plugins --json`` prints (collects every kind first)."""
    from synthohive import __version__
    from synthohive.registry import KINDS, get_registry

    registry = get_registry()
    registry.load_all()
    registered: dict[str, list[dict[str, Any]]] = {}
    conflicts: list[dict[str, Any]] = []
    for kind in KINDS:
        entries = registry.registrations(kind)
        registered[kind] = [r.to_dict() for r in entries]
        names = [r.name for r in entries]
        for name in sorted({n for n in names if names.count(n) > 1}):
            conflicts.append(
                {
                    "kind": kind,
                    "name": name,
                    "distributions": [r.distribution for r in entries if r.name == name],
                }
            )
    dp_models = []
    for name in sorted({n for r in registered.get("models", []) for n in [r["name"]]}):
        try:
            if getattr(registry.get_model(name), "supports_dp", False):
                dp_models.append(name)
        except SynthoHiveError:  # a broken plugin is reported above, with its error
            continue
    return {
        "synthohive_version": __version__,
        "plugins": [r.to_dict() for r in registry.plugins.records],
        "registered": registered,
        "conflicts": conflicts,
        "differential_privacy": dp_models,
    }


def _group_builtins(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge the core's built-in plugin modules into one line."""
    merged: list[dict[str, Any]] = []
    core: dict[str, Any] | None = None
    for rec in records:
        if not rec["builtin"]:
            merged.append(rec)
            continue
        if core is None:
            core = {**rec, "name": "built-ins", "registered": {}, "warnings": []}
            merged.insert(0, core)
        for kind, names in rec["registered"].items():
            core["registered"].setdefault(kind, []).extend(names)
        core["warnings"].extend(rec["warnings"])
        if rec["error"]:
            core["status"] = "broken"
            core["error"] = "; ".join(e for e in (core["error"], rec["error"]) if e)
    return merged


def _render_text(report: dict[str, Any]) -> str:
    lines: list[str] = []
    for rec in _group_builtins(report["plugins"]):
        where = "built-in" if rec["builtin"] else rec["module"]
        status = "" if rec["status"] == "ok" else "  BROKEN"
        lines.append(f"{rec['distribution']} {rec['version'] or '?'}  ({where}){status}")
        for kind, names in rec["registered"].items():
            if names:
                lines.append(f"  {kind}: {', '.join(sorted(names))}")
        if rec["error"]:
            lines.append(f"  error: {rec['error']}")
        lines.extend(f"  warning: {w}" for w in rec["warnings"])
    if report.get("differential_privacy"):
        models = ", ".join(report["differential_privacy"])
        lines.append(f"models with differential privacy (dp=DPConfig): {models}")
    for conflict in report["conflicts"]:
        lines.append(
            f"conflict: {conflict['kind'][:-1]} {conflict['name']!r} is registered by "
            f"{' and '.join(conflict['distributions'])}"
        )
    return "\n".join(lines)


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def plugins_command(as_json: bool) -> None:
    """List installed plugins, what each registered, and broken ones with their error."""
    report = plugins_report()
    if as_json:
        click.echo(json.dumps(report, indent=2, sort_keys=True))
    else:
        click.echo(_render_text(report))


def register(cli: click.Group) -> None:
    """Add ``plugins`` to ``cli``."""
    cli.add_command(plugins_command)


__all__ = ["plugins_report", "register"]
