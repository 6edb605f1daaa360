"""Built-in CLI commands of the core, registered through ``register_commands``.

``COMMAND_MODULES`` is a static list of ``synthohive.cli.*`` modules, each exposing
``register(cli)``. Every listed module must exist: a missing one (a typo) fails at start-up
instead of silently dropping its commands.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from synthohive.hookspecs import hookimpl

if TYPE_CHECKING:
    import click

COMMAND_MODULES: tuple[str, ...] = (
    "synthohive.cli.plugins",
    "synthohive.cli.data",
    "synthohive.cli.gc",
    "synthohive.cli.info",
    "synthohive.cli.demo",
    "synthohive.cli.evaluate",
    "synthohive.cli.sanitize",
)


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add the core's sub-commands (plugins, detect, fit, sample, demo, ...) to ``cli``."""
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(cli)
