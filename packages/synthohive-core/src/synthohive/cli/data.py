"""``synthohive detect``, ``fit`` and ``sample``: the data workflow from the command line.

``DATA`` and ``OUT`` are a file (``.csv``/``.parquet``: one table named after the file), a
folder (one file per table; parquet when it holds ``.parquet`` files, else csv), or a
connector URL (``postgresql://...``, ``parquet://folder``) opened with ``synthohive.connect``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from synthohive.errors import ConnectorError, DataError

if TYPE_CHECKING:
    import pandas as pd

    from synthohive.metadata.schema import Metadata

FILE_SUFFIXES = (".csv", ".parquet")


def is_url(target: str) -> bool:
    """Whether ``target`` is a connector URL (``scheme://...``) rather than a local path."""
    head, sep, _ = target.partition("://")
    return bool(sep) and head.replace("+", "").replace("-", "").isalnum() and len(head) > 1


def _folder_url(folder: Path) -> str:
    fmt = "parquet" if any(folder.glob("*.parquet")) or not any(folder.glob("*.csv")) else "csv"
    return f"{fmt}://{folder}"


def read_data(source: str) -> tuple[dict[str, pd.DataFrame], Metadata | None]:
    """Read every table of ``source``; also the source's own metadata when it knows it."""
    import pandas as pd

    import synthohive

    if not is_url(source):
        path = Path(source)
        if path.is_file():
            if path.suffix.lower() == ".csv":
                return {path.stem: pd.read_csv(path)}, None
            if path.suffix.lower() == ".parquet":
                return {path.stem: pd.read_parquet(path)}, None
            raise DataError(
                f"cannot read {source!r}: unknown file type {path.suffix!r}",
                fix="use a .csv or .parquet file, a folder of them, or a connector URL",
            )
        if not path.is_dir():
            raise DataError(
                f"{source!r} does not exist",
                fix="give an existing file, a folder of .csv/.parquet files, or a connector URL",
            )
        source = _folder_url(path)
    connector = synthohive.connect(source)
    try:
        frames = connector.read_all()
        metadata = connector.metadata()
    finally:
        connector.close()
    if not frames:
        raise DataError(f"{source!r} holds no tables", fix="point at a folder or URL with data")
    return frames, metadata


def write_data(frames: dict[str, pd.DataFrame], target: str) -> str:
    """Write ``frames`` to a file (one table), a folder or a connector URL; returns where."""
    import synthohive
    from synthohive._io import atomic_path

    path = Path(target)
    if not is_url(target) and path.suffix.lower() in FILE_SUFFIXES:
        if len(frames) != 1:
            raise DataError(
                f"{target!r} is one file but there are {len(frames)} tables",
                fix="give a folder or a connector URL as the output",
            )
        [frame] = frames.values()
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            if path.suffix.lower() == ".csv":
                frame.to_csv(tmp, index=False)
            else:
                frame.to_parquet(tmp, index=False)
        return str(path)
    if not is_url(target):
        path.mkdir(parents=True, exist_ok=True)
        target = f"parquet://{path}"
    connector = synthohive.connect(target)
    try:
        with connector.begin_write(None, "overwrite") as session:
            for table, frame in frames.items():
                session.append(table, frame)
    finally:
        connector.close()
    return target


def epochs_params(model: str, epochs: int) -> dict[str, Any]:
    """``{"epochs": epochs}``, or a clear error when ``model`` has no epochs parameter."""
    from synthohive.registry import get_registry

    params = getattr(get_registry().get_model(model), "Params", None)
    if "epochs" not in getattr(params, "model_fields", {}):
        raise DataError(
            f"--epochs does not apply to model {model!r}: it has no 'epochs' parameter",
            fix="drop --epochs, or choose a neural model such as --model ctgan",
        )
    return {"epochs": epochs}


def _single_or_dict(frames: dict[str, pd.DataFrame]) -> pd.DataFrame | dict[str, pd.DataFrame]:
    return next(iter(frames.values())) if len(frames) == 1 else frames


def _detect(frames: dict[str, pd.DataFrame]) -> Metadata:
    from synthohive.metadata.schema import Metadata

    if len(frames) == 1:
        [(name, frame)] = frames.items()
        return Metadata.detect(frame, table_name=name)
    return Metadata.detect(frames)


@click.command("detect")
@click.argument("data")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Where to write the metadata JSON.",
)
@click.option("--explain", is_flag=True, help="Print why each column got its type.")
def detect_command(data: str, output: str, explain: bool) -> None:
    """Detect metadata (types, keys, relations, PII) of DATA and write it as JSON."""
    frames, known = read_data(data)
    metadata = known if known is not None else _detect(frames)
    metadata.to_json(output)
    rels = len(metadata.relations)
    click.echo(f"Detected {len(metadata.tables)} table(s) and {rels} relation(s); wrote {output}")
    if explain:
        click.echo(metadata.explain())


@click.command("fit")
@click.argument("data")
@click.option(
    "--metadata",
    "metadata_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Metadata JSON (default: detected from DATA).",
)
@click.option("--model", default=None, help="Model name (default: gaussian_copula).")
@click.option(
    "--epochs", type=click.IntRange(min=1), default=None, help="Training epochs (neural models)."
)
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Random seed.")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Where to write the model file (.shm).",
)
def fit_command(
    data: str,
    metadata_path: str | None,
    model: str | None,
    epochs: int | None,
    seed: int | None,
    output: str,
) -> None:
    """Fit a synthesizer on DATA and save it to a model file."""
    from synthohive.metadata.schema import Metadata
    from synthohive.synthesizer import Synthesizer

    frames, known = read_data(data)
    if metadata_path is not None:
        metadata = Metadata.from_json(Path(metadata_path))
    else:
        metadata = known if known is not None else _detect(frames)
    kwargs: dict[str, Any] = {"seed": seed}
    if model is not None:
        kwargs["model"] = model
    if epochs is not None:
        kwargs["model_params"] = epochs_params(model or "gaussian_copula", epochs)
    started = time.perf_counter()
    synth = Synthesizer(metadata, **kwargs)
    synth.fit(_single_or_dict(frames))
    synth.save(output)
    rows = sum(len(f) for f in frames.values())
    click.echo(
        f"Fitted {model or 'gaussian_copula'} on {len(frames)} table(s), {rows} rows in "
        f"{time.perf_counter() - started:.1f}s; wrote {output}"
    )


@click.command("sample")
@click.argument("model_file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "-n",
    "--rows",
    type=click.IntRange(min=1),
    default=None,
    help="Rows to generate (single-table models).",
)
@click.option(
    "--scale",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Size relative to the training data (multi-table models).",
)
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Random seed.")
@click.option(
    "-o", "--output", required=True, help="Output file (.csv/.parquet), folder, or connector URL."
)
def sample_command(
    model_file: str, rows: int | None, scale: float | None, seed: int | None, output: str
) -> None:
    """Generate synthetic data from MODEL_FILE and write it to OUTPUT."""
    import pandas as pd

    from synthohive.synthesizer import Synthesizer

    if (rows is None) == (scale is None):
        raise click.UsageError("give exactly one of -n/--rows or --scale")
    synth = Synthesizer.load(model_file)
    seed_kw: dict[str, Any] = {} if seed is None else {"seed": seed}
    tables = list(synth.metadata.tables)
    if rows is not None:
        if len(tables) != 1:
            raise DataError(
                f"-n works for single-table models; this one has tables {tables}",
                fix="use --scale to size a multi-table sample",
            )
        frames = {tables[0]: synth.sample(rows, **seed_kw)}
    elif scale is None:  # unreachable: exactly one of rows/scale is set
        raise click.UsageError("give -n/--rows or --scale")
    elif is_url(output):
        summary = synth.sample(scale=scale, sink=output, **seed_kw)
        written = summary.get("tables") if isinstance(summary, dict) else None
        if isinstance(written, dict):
            counts = ", ".join(f"{t}={r}" for t, r in written.items())
            click.echo(f"Wrote {counts} rows to {output}")
        else:
            click.echo(f"Wrote synthetic data to {output}: {summary}")
        return
    else:
        result = synth.sample(scale=scale, **seed_kw)
        frames = {tables[0]: result} if isinstance(result, pd.DataFrame) else dict(result)
    try:
        where = write_data(frames, output)
    except OSError as exc:
        raise ConnectorError(
            f"cannot write {output!r}: {exc}", fix="choose a writable output path"
        ) from exc
    counts = ", ".join(f"{t}={len(f)}" for t, f in frames.items())
    click.echo(f"Wrote {counts} rows to {where}")


def register(cli: click.Group) -> None:
    """Add ``detect``, ``fit`` and ``sample`` to ``cli``."""
    cli.add_command(detect_command)
    cli.add_command(fit_command)
    cli.add_command(sample_command)


__all__ = ["epochs_params", "is_url", "read_data", "register", "write_data"]
