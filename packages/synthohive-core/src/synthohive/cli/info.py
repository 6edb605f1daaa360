"""``synthohive info MODEL_FILE``: what a model file holds, read with every check of a load.

The manifest (format, creation time, versions, the model plugins it needs), each table's
strategy and model, and the differential-privacy record when the fit had one; ``--json`` for
programs. Nothing in the file is executed: it is loaded as ``synthohive sample`` loads it.
"""

from __future__ import annotations

import json
from typing import Any

import click

from synthohive.cli.data import load_model


def model_info(model_file: str) -> dict[str, Any]:
    """Everything ``synthohive info --json`` prints."""
    from synthohive.artifacts.modelfile import read_model_file

    synth = load_model(model_file)  # the full load: checks, plugins, state
    fitted = synth.fitted_
    assert fitted is not None  # a loaded synthesizer is fitted
    verified = read_model_file(model_file)
    manifest = verified.manifest
    tables = {}
    for name in synth.tables:
        plan = fitted.plans[name]
        model = fitted.models.get(name)
        tables[name] = {
            "rows": plan.n_rows,
            "strategy": plan.strategy,
            "model": plan.model_name if plan.has_model else None,
            "dp": model.dp_ if model is not None else None,
        }
    return {
        "file": model_file,
        "sha256": verified.sha256,
        "format_version": manifest.get("format_version"),
        "created_at": manifest.get("created_at"),
        "synthohive_version": manifest.get("synthohive_version"),
        "models": manifest.get("models", []),
        "tables": tables,
        "dp": synth.dp_,
        "explain": synth.explain(),
    }


@click.command("info")
@click.argument("model_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def info_command(model_file: str, as_json: bool) -> None:
    """Show what MODEL_FILE holds: versions, plugins, tables, and its privacy budget."""
    info = model_info(model_file)
    if as_json:
        click.echo(json.dumps(info, indent=2, sort_keys=True, default=str))
        return
    plugins = ", ".join(
        f"{m.get('name')} ({m.get('distribution')} {m.get('version')})" for m in info["models"]
    )
    click.echo(f"{info['file']}  sha256 {info['sha256']}")
    click.echo(
        f"format {info['format_version']}, written {info['created_at']} by synthohive "
        f"{info['synthohive_version']}; model plugins: {plugins or 'none'}"
    )
    if info["dp"] is None:
        click.echo("differential privacy: none (the models learned the rows without DP)")
    click.echo(info["explain"])


def register(cli: click.Group) -> None:
    """Add ``info`` to ``cli``."""
    cli.add_command(info_command)
