"""``synthohive gc``: drop the staging tables that crashed database writes left behind."""

from __future__ import annotations

import click

from synthohive.cli._progress import say
from synthohive.errors import ConnectorError


@click.command("gc")
@click.argument("url")
@click.option("--dry-run", is_flag=True, help="Only list what would be dropped.")
def gc_command(url: str, dry_run: bool) -> None:
    """Drop staging tables that crashed writes left in the database at URL.

    Only leftovers are dropped: tables named __shv_stage_* / __shv_old_* whose write session
    is over (see the SQL connector's gc); a write in progress keeps its own.
    """
    import synthohive

    connector = synthohive.connect(url)
    try:
        gc = getattr(connector, "gc", None)
        if not callable(gc):
            raise ConnectorError(
                f"the {connector.name} connector keeps no staging tables to clean up",
                fix="gc applies to database URLs such as postgresql://... or mysql://...",
            )
        found = list(gc(dry_run=True) if dry_run else gc())
        where = connector.safe_url
    finally:
        connector.close()
    if not found:
        say(f"No leftover staging tables in {where}")
        return
    verb = "Would drop" if dry_run else "Dropped"
    line = f"{verb} {len(found)} leftover staging table(s) in {where}: {', '.join(found)}"
    if dry_run:
        click.echo(line)  # what --dry-run asked for, also with --quiet
    else:
        say(line)


def register(cli: click.Group) -> None:
    """Add ``gc`` to ``cli``."""
    cli.add_command(gc_command)


__all__ = ["register"]
