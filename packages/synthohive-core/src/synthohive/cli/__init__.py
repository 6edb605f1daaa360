"""The ``synthohive`` command line: a click group whose sub-commands come from plugins.

Every sub-command, the core's own included, is added through the ``register_commands(cli)``
hook (the core's through ``synthohive.default_plugins.commands``). A plugin whose hook fails is
reported by ``synthohive plugins`` and does not take the CLI down.

Errors: a :class:`~synthohive.errors.SynthoHiveError` or ``OSError`` prints one line on stderr
(a JSON object with ``--log-format json``) and exits with code 1; ``--debug`` shows the full
traceback instead. Output settings (``--quiet``, ``-v``, progress lines) live in
:mod:`synthohive.cli._progress`.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from synthohive import __version__
from synthohive.errors import SynthoHiveError, end_sentence

if TYPE_CHECKING:
    from synthohive.plugins import PluginSet

LOG_FORMATS = ("text", "json")


def configure_logging(verbosity: int, *, quiet: bool = False, as_json: bool = False) -> None:
    """Route SynthoHive's log events to stderr: errors only, ``-v`` info, ``-vv`` debug
    (each command sets up its own output, progress lines included, on top of this)."""
    from synthohive.cli._progress import configure_output

    configure_output(verbosity=verbosity, quiet=quiet, as_json=as_json, progress=False)


def _one_line(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", text).strip()


def _report_error(ctx: click.Context, message: str, **fields: Any) -> None:
    """Print ``Error: message`` on stderr, or with ``--log-format json`` a JSON line with
    ``message`` and the error's fields (``error``, ``detail``, ``table``, ``column``, ``fix``)."""
    from synthohive.cli._progress import wants_json

    if wants_json():
        doc = {"event": "error", "level": "error", "message": message, **fields}
        doc = {k: v for k, v in doc.items() if v is not None}
        click.echo(json.dumps(doc, default=str), err=True)
    else:
        click.echo(f"Error: {message}", err=True)
    ctx.exit(1)


class SynthoHiveGroup(click.Group):
    """A click group that turns SynthoHive errors (and file system errors) into one clear
    line and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SynthoHiveError as exc:
            if ctx.meta.get("synthohive.debug"):
                raise
            _report_error(
                ctx,
                _one_line(str(exc)),
                error=type(exc).__name__,
                detail=_one_line(exc.bare_message),
                table=exc.table,
                column=exc.column,
                fix=exc.fix,
            )
        except OSError as exc:
            if ctx.meta.get("synthohive.debug") or isinstance(exc, BrokenPipeError):
                raise  # click ends quietly on a closed pipe (e.g. `| head`)
            where = f"cannot use {str(exc.filename)!r}: " if exc.filename else ""
            reason = exc.strerror or str(exc) or type(exc).__name__
            fix = "check the path and its permissions (--debug shows the traceback)"
            _report_error(
                ctx,
                _one_line(f"{end_sentence(where + reason)} Fix: {fix}"),
                error=type(exc).__name__,
                fix=fix,
            )


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
    @click.option(
        "-v",
        "--verbose",
        count=True,
        help="Print log events on stderr (-v info, -vv debug; floats rounded in text).",
    )
    @click.option(
        "-q", "--quiet", is_flag=True, help="Print only errors: no progress, no summaries."
    )
    @click.option(
        "--log-format",
        type=click.Choice(LOG_FORMATS),
        default="text",
        show_default=True,
        help="Format of log events, progress lines and errors on stderr (json: one object "
        "per line).",
    )
    @click.pass_context
    def cli(ctx: click.Context, debug: bool, verbose: int, quiet: bool, log_format: str) -> None:
        """SynthoHive: learn real tables and generate synthetic data with the same statistics.

        The options below go before the command: synthohive -q fit DATA -o model.shm.
        Progress goes to stderr: bars on a terminal; otherwise (logs, pipes), once a command
        has run 2 s, a line per further 10% of the tables or epochs, or after 10 s. Errors
        print one line (with --debug, the traceback) and exit with code 1.
        """
        from synthohive.cli._progress import configure_output, remember

        if quiet and verbose:
            raise click.UsageError("--quiet and --verbose contradict each other; give one")
        ctx.meta["synthohive.debug"] = debug
        as_json = log_format == "json"
        restore, progress = configure_output(verbosity=verbose, quiet=quiet, as_json=as_json)
        ctx.call_on_close(restore)
        remember(ctx, quiet=quiet, as_json=as_json, progress=progress)

    (plugins if plugins is not None else get_plugins()).call("register_commands", cli=cli)
    return cli


def _prescan(argv: Sequence[str]) -> tuple[int, bool, bool]:
    """``(verbosity, quiet, json)`` from the root options, before the command line is parsed."""
    count, quiet, as_json = 0, False, False
    args = iter(argv)
    for arg in args:
        if arg == "--" or not arg.startswith("-"):
            break  # the sub-command: its options are its own
        if arg == "--verbose":
            count += 1
        elif arg == "--quiet":
            quiet = True
        elif arg.startswith("--log-format"):
            value = arg.partition("=")[2] if "=" in arg else next(args, "")
            as_json = value == "json"
        elif not arg.startswith("--") and set(arg[1:]) <= {"v", "q"}:
            count += arg.count("v")
            quiet = quiet or "q" in arg
    return count, quiet, as_json


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point of ``synthohive``."""
    args = list(sys.argv[1:] if argv is None else argv)
    # Configure logging before plugins load, so discovery problems are not printed raw.
    verbosity, quiet, as_json = _prescan(args)
    configure_logging(verbosity, quiet=quiet, as_json=as_json)
    build_cli().main(args=args, prog_name="synthohive")


__all__ = ["SynthoHiveGroup", "build_cli", "configure_logging", "main"]
