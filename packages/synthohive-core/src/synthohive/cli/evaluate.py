"""``synthohive evaluate REAL SYNTH``: score synthetic data and write a JSON or HTML report."""

from __future__ import annotations

from pathlib import Path

import click

from synthohive.cli._output import check_output_file
from synthohive.cli.data import read_data


@click.command("evaluate")
@click.argument("real")
@click.argument("synthetic")
@click.option(
    "--metadata",
    "metadata_path",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Metadata JSON (default: detected from REAL).",
)
@click.option("-o", "--output", default=None, help="Report file: .html (self-contained) or .json.")
@click.option("--target", default=None, help="Column for ML efficacy ('table.column').")
@click.option(
    "--min-score",
    type=float,
    default=None,
    help="Fail (exit 1) when the overall quality is below this.",
)
def evaluate_command(
    real: str,
    synthetic: str,
    metadata_path: str | None,
    output: str | None,
    target: str | None,
    min_score: float | None,
) -> None:
    """Compare SYNTHETIC with REAL (files, folders or connector URLs)."""
    from synthohive.metadata.schema import Metadata
    from synthohive.validation import QualityGate, evaluate

    if output:
        check_output_file(output, (".html", ".htm", ".json"), "the report")
    real_frames, real_meta = read_data(real)
    syn_frames, _ = read_data(synthetic)
    if len(real_frames) == 1 and len(syn_frames) == 1:  # two single files: same table
        syn_frames = {next(iter(real_frames)): next(iter(syn_frames.values()))}
    if metadata_path:
        metadata = Metadata.from_json(Path(metadata_path))
    else:
        metadata = real_meta or Metadata.detect(
            real_frames if len(real_frames) > 1 else next(iter(real_frames.values())),
            table_name=next(iter(real_frames)),
        )
    gate = QualityGate(min_score=min_score) if min_score is not None else None
    report = evaluate(real_frames, syn_frames, metadata, target=target, gate=gate)
    click.echo(report.summary())
    if output:
        if output.lower().endswith(".json"):
            report.to_json(output)
        else:
            report.to_html(output)
        click.echo(f"report written to {output}")


def register(cli: click.Group) -> None:
    """Add ``evaluate`` to ``cli``."""
    cli.add_command(evaluate_command)
