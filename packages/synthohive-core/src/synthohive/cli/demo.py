"""``synthohive demo``: fit and sample the shipped retail schema end to end, offline.

The output folder gets ``metadata.json``, ``demo.shm``, ``synthetic/`` and ``report.html``; a
folder that already holds any of them is refused unless ``--force``/``--mode overwrite``.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import click

from synthohive.cli._params import DEFAULT_MODEL, epochs_of, model_params, param_option
from synthohive.cli._progress import expect, progress_flag, say

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_OUT = "synthohive-demo-output"
OUTPUTS = ("metadata.json", "demo.shm", "synthetic", "report.html")


def _children_per_parent(
    frames: dict[str, pd.DataFrame], parent: str, child: str, key: str
) -> float | None:
    if parent not in frames or child not in frames:
        return None
    counts = frames[child][key].value_counts()
    keys = frames[parent][key]
    return float(counts.reindex(keys, fill_value=0).mean())


def _summary_lines(real: dict[str, pd.DataFrame], synthetic: dict[str, pd.DataFrame]) -> list[str]:
    lines = ["table         real rows  synthetic rows"]
    for name, frame in real.items():
        syn = synthetic.get(name)
        lines.append(f"{name:<13} {len(frame):>9}  {len(syn) if syn is not None else '-':>14}")
    real_opc = _children_per_parent(real, "customers", "orders", "customer_id")
    syn_opc = _children_per_parent(synthetic, "customers", "orders", "customer_id")
    if real_opc is not None and syn_opc is not None:
        lines.append(f"orders per customer: real {real_opc:.2f}, synthetic {syn_opc:.2f}")
    if "customers" in synthetic and "segment" in synthetic["customers"]:
        r = real["customers"].groupby("segment")["credit_limit"].median()
        s = synthetic["customers"].groupby("segment")["credit_limit"].median()
        pairs = ", ".join(f"{k} {r[k]:,.0f}/{s.get(k, float('nan')):,.0f}" for k in r.index)
        lines.append(f"median credit limit by segment (real/synthetic): {pairs}")
    return lines


def check_demo_output(out: Path, mode: str) -> None:
    """Refuse (``mode="error"``) an output folder holding demo output, or a missing parent."""
    from synthohive.cli._output import check_parent
    from synthohive.errors import ConnectorError

    if out.exists() and not out.is_dir():
        raise ConnectorError(f"{str(out)!r} is a file", fix="give a folder as --out")
    if not out.exists():
        check_parent(out, str(out))
    if mode == "error":
        found = [name for name in OUTPUTS if (out / name).exists()]
        if found:
            raise ConnectorError(
                f"{str(out)!r} already holds demo output ({', '.join(found)})",
                fix="add --force (or --mode overwrite) to replace it, or choose another --out",
            )


def _find_evaluate() -> Any:
    """``synthohive.validation.evaluate`` when the validation package provides it."""
    try:
        validation = importlib.import_module("synthohive.validation")
    except ImportError:
        return None
    return getattr(validation, "evaluate", None)


def run_demo(
    out: Path,
    *,
    model: str = DEFAULT_MODEL,
    epochs: int | None = None,
    seed: int = 0,
    tables: list[str] | None = None,
    report: bool = True,
    mode: Literal["error", "overwrite"] = "error",
    params: Mapping[str, Any] | None = None,
    progress: bool | None = None,
) -> dict[str, Any]:
    """Fit ``model`` on the demo schema, sample, save, evaluate; returns what was written.

    ``mode="error"`` refuses an ``out`` folder that already holds demo output; ``params``
    are model parameters (``epochs`` overrides theirs); ``progress`` as for the Synthesizer.
    """
    from synthohive.cli._params import epochs_params
    from synthohive.cli.data import write_data
    from synthohive.demo import demo_metadata, load_demo
    from synthohive.metadata.schema import Metadata
    from synthohive.synthesizer import Synthesizer

    check_demo_output(out, mode)
    started = time.perf_counter()
    real = load_demo(tables)
    full = demo_metadata()
    metadata = Metadata(
        tables={t: full.tables[t] for t in real},
        relations=[r for r in full.relations if r.child in real and r.parent in real],
    )
    out.mkdir(parents=True, exist_ok=True)
    (out / "metadata.json").write_text(metadata.to_json(), encoding="utf-8")
    merged = {**(params or {}), **(epochs_params(model, epochs) if epochs is not None else {})}
    synth = Synthesizer(
        metadata, model=model, model_params=merged or None, seed=seed, progress=progress
    )
    data: Any = next(iter(real.values())) if len(real) == 1 else real
    synth.fit(data)
    fitted = time.perf_counter()
    model_path = out / "demo.shm"
    synth.save(model_path)
    if len(real) == 1:
        [name] = real
        synthetic = {name: synth.sample(len(real[name]))}
    else:
        synthetic = dict(synth.sample(scale=1.0))
    sampled = time.perf_counter()
    data_dir = out / "synthetic"
    write_data(synthetic, str(data_dir), mode=mode, metadata=metadata)
    result: dict[str, Any] = {
        "model": model,
        "model_file": str(model_path),
        "data": str(data_dir),
        "fit_seconds": fitted - started,
        "sample_seconds": sampled - fitted,
        "summary": _summary_lines(real, synthetic),
        "score": None,
        "report": None,
    }
    evaluate = _find_evaluate() if report else None
    if evaluate is not None:
        quality = evaluate(real, synthetic, metadata)
        report_path = out / "report.html"
        quality.to_html(report_path)
        result["score"] = quality.overall
        result["report"] = str(report_path)
    result["total_seconds"] = time.perf_counter() - started
    return result


@click.command("demo")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default=DEFAULT_OUT,
    show_default=True,
    help="Folder for the model file, synthetic data and report.",
)
@click.option(
    "--model",
    default=DEFAULT_MODEL,
    show_default=True,
    help="Model to fit (e.g. ctgan when synthohive-ctgan is installed).",
)
@click.option(
    "--epochs",
    type=click.IntRange(min=1),
    default=None,
    help="Training epochs (neural models; same as --param epochs=N).",
)
@param_option
@click.option(
    "--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Random seed."
)
@click.option(
    "--table",
    "tables",
    multiple=True,
    help="Only these demo tables (repeatable; default: all four).",
)
@click.option(
    "--report/--no-report",
    default=True,
    show_default=True,
    help="Evaluate the synthetic data and write report.html.",
)
@click.option(
    "--mode",
    type=click.Choice(["error", "overwrite"]),
    default="error",
    show_default=True,
    help="If --out already holds demo output: error refuses, overwrite replaces it.",
)
@click.option("--force", is_flag=True, help="Replace earlier demo output (--mode overwrite).")
def demo_command(
    out: str,
    model: str,
    epochs: int | None,
    params: dict[str, Any],
    seed: int,
    tables: tuple[str, ...],
    report: bool,
    mode: str,
    force: bool,
) -> None:
    """Learn the shipped retail schema (customers, products, orders, items) and sample it."""
    # a clear error (did-you-mean, pip package, valid parameters) before any work
    merged = model_params(model, params, epochs)
    write_mode: Literal["error", "overwrite"] = (
        "overwrite" if force or mode == "overwrite" else "error"
    )
    check_demo_output(Path(out), write_mode)
    say(f"Fitting {model} on the demo retail schema...")
    expect(epochs=epochs_of(model, merged))
    result = run_demo(
        Path(out),
        model=model,
        seed=seed,
        tables=list(tables) or None,
        report=report,
        mode=write_mode,
        params=merged,
        progress=progress_flag(),
    )
    for line in result["summary"]:
        say(f"  {line}")
    if result["score"] is not None:
        say(f"  quality score: {result['score']:.3f} (report: {result['report']})")
    say(
        f"Done in {result['total_seconds']:.1f}s (fit {result['fit_seconds']:.1f}s, "
        f"sample {result['sample_seconds']:.1f}s)."
    )
    say(f"Synthetic data: {result['data']}")
    say(f"Model file:     {result['model_file']}")


def register(cli: click.Group) -> None:
    """Add ``demo`` to ``cli``."""
    cli.add_command(demo_command)


__all__ = ["register", "run_demo"]
