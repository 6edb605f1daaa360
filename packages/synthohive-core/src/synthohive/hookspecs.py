"""The whole plugin contract: five hooks, each returning what the plugin adds.

A plugin is a module of ``@hookimpl`` functions, registered through one entry point in the
``synthohive`` group named after its distribution. An implementation may accept a subset of a
hook's arguments. Import heavy dependencies (torch, pyspark, sqlalchemy) inside the classes'
methods, never at module level of the plugin module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

PROJECT = "synthohive"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_models() -> list[type[Any]]:
    """Return generative model classes (subclasses of ``synthohive.models.GenerativeModel``)."""
    raise NotImplementedError


@hookspec
def register_connectors() -> list[type[Any]]:
    """Return connector classes (``synthohive.connectors.Connector``), keyed by URL scheme."""
    raise NotImplementedError


@hookspec
def register_sanitizers() -> list[type[Any]]:
    """Return sanitizer classes (``synthohive.privacy.Sanitizer``) for PII strategies."""
    raise NotImplementedError


@hookspec
def register_validators() -> list[type[Any]]:
    """Return validator classes (``synthohive.validation.Validator``) computing report metrics."""
    raise NotImplementedError


@hookspec
def register_constraints() -> list[type[Any]]:
    """Return constraint classes (``synthohive.constraints.Constraint``), keyed by ``name``."""
    raise NotImplementedError


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add sub-commands to the ``synthohive`` command-line group ``cli``."""
    raise NotImplementedError
