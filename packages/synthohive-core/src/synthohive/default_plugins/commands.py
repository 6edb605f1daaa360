"""Built-in CLI commands of the core, registered through ``register_commands``.

``COMMAND_MODULES`` is a static list of ``synthohive.cli.*`` modules, each exposing
``register(cli)``. Owners of a command module append its name here; a listed module that does
not exist yet is skipped, so the list may run ahead of the code.
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
    "synthohive.cli.demo",
    "synthohive.cli.evaluate",
    "synthohive.cli.sanitize",
)


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add the core's sub-commands (plugins, detect, fit, sample, demo, ...) to ``cli``."""
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # listed ahead of its code
            raise
        module.register(cli)
