"""The ``synthohive`` command line: a click group whose sub-commands come from plugins.

Every sub-command, the core's own included, is added through the ``register_commands(cli)``
hook (the core's through ``synthohive.default_plugins.commands``). A plugin whose hook fails is
reported by ``synthohive plugins`` and does not take the CLI down.

Errors: a :class:`~synthohive.errors.SynthoHiveError` prints one line on stderr and exits with
code 1; ``--debug`` shows the full traceback instead.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from synthohive import __version__
from synthohive.errors import SynthoHiveError

if TYPE_CHECKING:
    from synthohive.plugins import PluginSet

_LEVELS = {0: logging.ERROR, 1: logging.INFO}


def configure_logging(verbosity: int) -> None:
    """Route SynthoHive's log events to stderr: errors only, ``-v`` info, ``-vv`` debug."""
    from synthohive.log import configure
    from synthohive.plugins import ENV_TRACE, _trace_enabled

    level = _LEVELS.get(verbosity, logging.DEBUG)
    if level > logging.INFO and _trace_enabled({ENV_TRACE: os.environ.get(ENV_TRACE, "")}):
        level = logging.INFO  # SYNTHOHIVE_TRACE_PLUGINS=1 should be visible
    configure(level)


class SynthoHiveGroup(click.Group):
    """A click group that turns SynthoHive errors into one clear line and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SynthoHiveError as exc:
            if ctx.meta.get("synthohive.debug"):
                raise
            message = re.sub(r"\s*\n\s*", " ", str(exc)).strip()
            click.echo(f"Error: {message}", err=True)
            ctx.exit(1)


def build_cli(plugins: PluginSet | None = None) -> click.Group:
    """A fresh root ``synthohive`` group with the sub-commands of every plugin in ``plugins``
    (default: the process-wide plugins)."""
    from synthohive.plugins import get_plugins

    @click.group(
        name="synthohive",
        cls=SynthoHiveGroup,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    @click.version_option(__version__, "--version", prog_name="synthohive")
    @click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
    @click.option("-v", "--verbose", count=True, help="Log progress (-v info, -vv debug).")
    @click.pass_context
    def cli(ctx: click.Context, debug: bool, verbose: int) -> None:
        """SynthoHive: learn real tables and generate synthetic data with the same statistics."""
        ctx.meta["synthohive.debug"] = debug
        if verbose:
            configure_logging(verbose)

    (plugins if plugins is not None else get_plugins()).call("register_commands", cli=cli)
    return cli


def _prescan_verbosity(argv: Sequence[str]) -> int:
    count = 0
    for arg in argv:
        if arg == "--":
            break
        if arg == "--verbose":
            count += 1
        elif arg.startswith("-") and not arg.startswith("--") and set(arg[1:]) == {"v"}:
            count += len(arg) - 1
    return count


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point of ``synthohive``."""
    args = list(sys.argv[1:] if argv is None else argv)
    # Configure logging before plugins load, so discovery problems are not printed raw.
    configure_logging(_prescan_verbosity(args))
    build_cli().main(args=args, prog_name="synthohive")


__all__ = ["SynthoHiveGroup", "build_cli", "configure_logging", "main"]
