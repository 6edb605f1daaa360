"""``synthohive sanitize DATA -o OUT``: a de-identified copy of real data, written atomically.

An OUT that already holds a table is refused unless ``--mode append``/``overwrite`` (or
``--force``) says otherwise; database outputs get the metadata's keys and constraints.
"""

from __future__ import annotations

import click

from synthohive.cli._output import mode_options, refuse_existing, resolve_mode, resolve_output
from synthohive.cli._progress import say
from synthohive.cli.data import load_metadata, read_data, write_data


@click.command("sanitize")
@click.argument("data")
@click.option("-o", "--output", required=True, help="Output file, folder or connector URL.")
@click.option(
    "--metadata",
    "metadata_path",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Metadata JSON (default: detected, PII included).",
)
@click.option(
    "--strategy",
    "strategies",
    multiple=True,
    metavar="TABLE.COLUMN=STRATEGY",
    help="Per-column strategy: fake, hash, mask, drop or keep (repeatable).",
)
@click.option(
    "--default",
    "default_strategy",
    default="fake",
    show_default=True,
    help="Strategy for detected PII columns without an explicit one.",
)
@click.option("--locale", default=None, help="Faker locale for fake values, e.g. de_DE.")
@mode_options
def sanitize_command(
    data: str,
    output: str,
    metadata_path: str | None,
    strategies: tuple[str, ...],
    default_strategy: str,
    locale: str | None,
    mode: str | None,
    force: bool,
) -> None:
    """De-identify DATA; the hash strategy reads its key from SYNTHOHIVE_HMAC_KEY."""
    from synthohive.errors import PrivacyError
    from synthohive.metadata.schema import Metadata
    from synthohive.privacy import PrivacyConfig, sanitize

    write_mode = resolve_mode(mode, force)
    out = resolve_output(output)
    frames, source_meta = read_data(data)
    refuse_existing(out, list(frames), write_mode)
    if metadata_path:
        metadata = load_metadata(metadata_path)
    else:
        metadata = source_meta or Metadata.detect(
            frames if len(frames) > 1 else next(iter(frames.values())),
            table_name=next(iter(frames)),
        )
    parsed: dict[str, str] = {}
    for item in strategies:
        ref, sep, name = item.partition("=")
        if not sep:
            raise PrivacyError(
                f"--strategy {item!r} is not TABLE.COLUMN=STRATEGY",
                fix="e.g. --strategy customers.email=hash",
            )
        parsed[ref.strip()] = name.strip()
    config = PrivacyConfig(strategies=parsed, default_strategy=default_strategy, locale=locale)
    clean = sanitize(frames, metadata, config=config)
    tables = clean if isinstance(clean, dict) else {next(iter(frames)): clean}
    where = write_data(tables, output, mode=write_mode, metadata=metadata)
    say(f"sanitized {len(tables)} table(s) -> {where}")


def register(cli: click.Group) -> None:
    """Add ``sanitize`` to ``cli``."""
    cli.add_command(sanitize_command)
