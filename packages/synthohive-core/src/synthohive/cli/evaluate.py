"""``synthohive evaluate REAL SYNTH``: score synthetic data and write a JSON or HTML report.

With ``--min-score`` the report is written and the summary printed first; a failed gate then
prints one error line (scores rounded to 3 decimals, with what to change) and exits with 1.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, cast

import click

from synthohive.cli._output import check_output_file
from synthohive.cli._progress import say
from synthohive.cli.data import load_metadata, read_data
from synthohive.errors import PrivacyGateError, QualityGateError

if TYPE_CHECKING:
    from synthohive.validation.report import Compat, Report

COMPAT_HELP = (
    "Score definitions. synthohive: a property is the mean of all its rows; sdmetrics: "
    "sdmetrics' QualityReport (column pairs averaged only where the real data has a trend, "
    "Intertable Trends added for several tables). The summary says which was used."
)


def _rounded(text: str) -> str:
    """Numbers in a gate failure with 3 decimals (0.8412345 -> 0.841)."""
    return re.sub(r"\d+\.\d{4,}", lambda m: f"{float(m.group()):.3f}", text)


def _score(value: float | None, threshold: float) -> str:
    """``value`` with 3 decimals, or more where 3 would round it up to ``threshold``."""
    if value is None:
        return "n/a"
    for digits in range(3, 10):
        shown = f"{value:.{digits}f}"
        if float(shown) < threshold:
            return shown
    return repr(value)


def _gate_failure(report: Report, min_score: float, output: str | None) -> QualityGateError:
    """One line: why the gate failed, with the CLI options that change the outcome."""
    overall = report.overall
    low = overall is None or overall < min_score
    reasons = [f"overall quality {_score(overall, min_score)} is below --min-score {min_score}"]
    reasons = reasons if low else []
    reasons += [
        _rounded(f) for f in report.gate_failures or [] if not f.startswith("overall quality")
    ]
    where = f"{output} lists" if output else "a report (-o report.html) shows"
    if low:
        fix = f"lower --min-score or improve the model: {where} the weakest columns"
    else:
        fix = f"improve the model or check the synthetic keys: {where} the failing metrics"
    return QualityGateError(f"quality gate failed: {'; '.join(reasons)}", report=report, fix=fix)


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
@click.option(
    "-o",
    "--output",
    default=None,
    metavar="FILE",
    help="Report file: .html (self-contained) or .json (its folder must exist).",
)
@click.option("--target", default=None, help="Column for ML efficacy ('table.column').")
@click.option(
    "--min-score",
    type=click.FloatRange(0, 1),
    default=None,
    help="Fail (exit 1) when the overall quality (0 to 1) is below this, or a foreign key "
    "is broken; the report is written and the summary printed first.",
)
@click.option(
    "--compat",
    type=click.Choice(["synthohive", "sdmetrics"]),
    default="synthohive",
    show_default=True,
    help=COMPAT_HELP,
)
def evaluate_command(
    real: str,
    synthetic: str,
    metadata_path: str | None,
    output: str | None,
    target: str | None,
    min_score: float | None,
    compat: str,
) -> None:
    """Compare SYNTHETIC with REAL (files, folders or connector URLs).

    Prints the overall quality and each property's score (0 to 1) and which score
    definitions were used; -o writes the full report.
    """
    from synthohive.metadata.schema import Metadata
    from synthohive.validation import QualityGate, evaluate

    if output:
        check_output_file(output, (".html", ".htm", ".json"), "the report")
    given = load_metadata(metadata_path) if metadata_path else None
    real_frames, real_meta = read_data(real)
    syn_frames, _ = read_data(synthetic)
    if len(real_frames) == 1 and len(syn_frames) == 1:  # two single files: same table
        syn_frames = {next(iter(real_frames)): next(iter(syn_frames.values()))}
    if given is not None:
        metadata = given
    else:
        metadata = real_meta or Metadata.detect(
            real_frames if len(real_frames) > 1 else next(iter(real_frames.values())),
            table_name=next(iter(real_frames)),
        )
    report = evaluate(
        real_frames, syn_frames, metadata, target=target, compat=cast("Compat", compat)
    )
    failed = False
    if min_score is not None:
        try:
            QualityGate(min_score=min_score).check(report)  # records report.gate_failures
        except (QualityGateError, PrivacyGateError):
            failed = True
    if output:
        if output.lower().endswith(".json"):
            report.to_json(output)
        else:
            report.to_html(output)
    failures = report.gate_failures
    rounded = None if failures is None else [_rounded(f) for f in failures]
    summary = dataclasses.replace(report, gate_failures=rounded).summary()
    if f"{report.compat} aggregates" not in summary:
        summary = f"{summary}\nscore definitions: {report.compat}"
    say(summary)
    if output:
        say(f"report written to {output}")
    if failed:
        raise _gate_failure(report, min_score or 0.0, output)


def register(cli: click.Group) -> None:
    """Add ``evaluate`` to ``cli``."""
    cli.add_command(evaluate_command)
