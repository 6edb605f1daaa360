"""``synthohive detect``, ``fit`` and ``sample``: the data workflow from the command line.

``DATA`` and ``OUT`` are a file (``.csv``/``.parquet``: one table named after the file), a
folder (one file per table; parquet when it holds ``.parquet`` files, else csv), or a
connector URL (``postgresql://...``, ``parquet://folder``) opened with ``synthohive.connect``.
Writing data follows ``--mode`` (default ``error``: an existing table is refused, nothing is
written; see :mod:`synthohive.cli._output`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from synthohive.cli._output import (
    FILE_SUFFIXES,
    check_output_file,
    folder_url,
    is_url,
    mode_options,
    read_file,
    refuse_existing,
    resolve_mode,
    resolve_output,
    write_file,
    write_frames,
)
from synthohive.cli._params import DEFAULT_MODEL, epochs_of, model_params, param_option
from synthohive.cli._progress import expect, is_quiet, progress_flag, say
from synthohive.errors import ArtifactError, DataError, MetadataError

if TYPE_CHECKING:
    import pandas as pd

    from synthohive.connectors.base import WriteMode
    from synthohive.metadata.schema import Metadata
    from synthohive.synthesizer import Synthesizer


def read_data(source: str) -> tuple[dict[str, pd.DataFrame], Metadata | None]:
    """Read every table of ``source``; also the source's own metadata when it knows it.

    Every problem (missing path, unreadable or malformed file, empty folder) raises one
    SynthoHive error, for a file path as for a URL.
    """
    import synthohive

    if not is_url(source):
        path = Path(source).expanduser()
        if path.is_file():
            if path.suffix.lower() in FILE_SUFFIXES:
                frame = read_file(path)
                if frame.shape[1] == 0:
                    raise DataError(
                        f"cannot read {source!r}: the file is empty",
                        table=path.stem,
                        fix="give a file with a header line and rows",
                    )
                return {path.stem: frame}, None
            raise DataError(
                f"cannot read {source!r}: unknown file type {path.suffix!r}",
                fix="use a .csv or .parquet file, a folder of them, or a connector URL",
            )
        if path.exists() and not path.is_dir():
            raise DataError(
                f"cannot read {source!r}: it is not a regular file or folder",
                fix="give a .csv/.parquet file, a folder of them, or a connector URL",
            )
        if not path.is_dir():
            raise DataError(
                f"{source!r} does not exist",
                fix="give an existing file, a folder of .csv/.parquet files, or a connector URL",
            )
        if not any(p.suffix.lower() in FILE_SUFFIXES for p in path.iterdir() if p.is_file()):
            raise DataError(
                f"folder {source!r} holds no .csv or .parquet files",
                fix="give a folder with one .csv or .parquet file per table, a file, or a "
                "connector URL",
            )
        source = folder_url(path)
    connector = synthohive.connect(source)
    try:
        frames = connector.read_all()
        metadata = connector.metadata()
    finally:
        connector.close()
    if not frames:
        raise DataError(f"{source!r} holds no tables", fix="point at a folder or URL with data")
    return frames, metadata


def load_metadata(path: str) -> Metadata:
    """The metadata JSON file at ``path``; an unreadable or malformed file raises one
    :class:`~synthohive.errors.MetadataError`."""
    from synthohive.metadata.schema import Metadata

    fix = "give a metadata JSON file, e.g. one written by `synthohive detect DATA -o FILE`"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise MetadataError(
            f"cannot read metadata {path!r}: it is not UTF-8 text", fix=fix
        ) from exc
    except OSError as exc:
        raise MetadataError(
            f"cannot read metadata {path!r}: {exc.strerror or exc}",
            fix="check the path and its permissions",
        ) from exc
    if not text.lstrip().startswith("{"):
        raise MetadataError(f"metadata {path!r} is not a JSON object", fix=fix)
    try:
        return Metadata.from_json(text)
    except (TypeError, ValueError, KeyError) as exc:  # malformed beyond what from_json checks
        raise MetadataError(f"metadata {path!r} is invalid: {exc}", fix=fix) from exc


def write_data(
    frames: dict[str, pd.DataFrame],
    target: str,
    *,
    mode: WriteMode = "error",
    metadata: Metadata | None = None,
) -> str:
    """Write ``frames`` to a file (one table), a folder or a connector URL; returns where.

    ``mode="error"`` refuses a target that holds one of the tables; ``metadata`` gives a
    database sink its keys and constraints (also when a table is overwritten).
    """
    return write_frames(frames, target, mode=mode, metadata=metadata)


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
    help="Where to write the metadata JSON (.json; its folder must exist).",
)
@click.option("--explain", is_flag=True, help="Print why each column got its type.")
def detect_command(data: str, output: str, explain: bool) -> None:
    """Detect metadata (types, keys, relations, PII) of DATA and write it as JSON."""
    path = check_output_file(output, (".json",), "metadata")
    frames, known = read_data(data)
    metadata = known if known is not None else _detect(frames)
    metadata.to_json(path)
    rels = len(metadata.relations)
    say(f"Detected {len(metadata.tables)} table(s) and {rels} relation(s); wrote {output}")
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
@click.option(
    "--model",
    default=DEFAULT_MODEL,
    show_default=True,
    help="Model name (`synthohive plugins` lists the installed ones), or auto: each "
    "table's model picked by held-out quality (`explain` says which and why).",
)
@click.option(
    "--epochs",
    type=click.IntRange(min=1),
    default=None,
    help="Training epochs (neural models; same as --param epochs=N).",
)
@param_option
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Random seed.")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Where to write the model file (.shm; its folder must exist).",
)
def fit_command(
    data: str,
    metadata_path: str | None,
    model: str,
    epochs: int | None,
    params: dict[str, Any],
    seed: int | None,
    output: str,
) -> None:
    """Fit a synthesizer on DATA and save it to a model file.

    DATA is a .csv/.parquet file (one table), a folder of them, or a connector URL. The
    model and its parameters are checked before DATA is read.
    """
    from synthohive.synthesizer import Synthesizer

    path = check_output_file(output, (".shm",), "the model file")
    merged = model_params(model, params, epochs)
    given = load_metadata(metadata_path) if metadata_path is not None else None
    frames, known = read_data(data)
    metadata = given if given is not None else known if known is not None else _detect(frames)
    expect(epochs=epochs_of(model, merged))
    started = time.perf_counter()
    synth = Synthesizer(
        metadata, model=model, model_params=merged or None, seed=seed, progress=progress_flag()
    )
    synth.fit(_single_or_dict(frames))
    synth.save(path)
    rows = sum(len(f) for f in frames.values())
    say(
        f"Fitted {model} on {len(frames)} table(s), {rows} rows in "
        f"{time.perf_counter() - started:.1f}s; wrote {output}"
    )


def load_model(model_file: str) -> Synthesizer:
    """The synthesizer in ``model_file``; an unreadable file's error names it."""
    from synthohive.synthesizer import Synthesizer

    try:
        return Synthesizer.load(model_file)
    except ArtifactError as exc:
        exc.args = (f"cannot load model file {model_file!r}: {exc}",)
        raise


def _sample_to_file(
    synth: Synthesizer, path: Path, mode: WriteMode, size: dict[str, Any]
) -> dict[str, int]:
    """Sample the model's one table into one file; ``append`` continues its keys."""
    import pandas as pd

    from synthohive.connectors.memory import MemoryConnector

    tables = synth.tables
    if len(tables) != 1:
        raise DataError(
            f"{str(path)!r} is one file but the model has tables {tables}",
            fix="give a folder or a connector URL as the output",
        )
    [table] = tables
    if mode == "append" and path.exists():
        existing = read_file(path)
        sink = MemoryConnector(tables={table: existing})
        synth.sample(**size, sink=sink, mode="append")
        frame = sink.tables[table].iloc[len(existing) :]
    else:
        result = synth.sample(**size)
        frame = result if isinstance(result, pd.DataFrame) else result[table]
    write_file(path, frame, mode)
    return {table: len(frame)}


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
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=None,
    help="Random seed: the same seed and --chunk-rows give the same rows.",
)
@click.option(
    "--chunk-rows",
    type=click.IntRange(min=1),
    default=None,
    help="Rows generated per chunk (default 20000). Rows are drawn chunk by chunk, so a "
    "different chunk size gives different rows for the same seed.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    help="Output file (.csv/.parquet), folder, or connector URL (its folder must exist).",
)
@mode_options
def sample_command(
    model_file: str,
    rows: int | None,
    scale: float | None,
    seed: int | None,
    chunk_rows: int | None,
    output: str,
    mode: str | None,
    force: bool,
) -> None:
    """Generate synthetic data from MODEL_FILE and write it to OUTPUT.

    An OUTPUT that already holds a table is refused unless --mode says otherwise; with
    --mode append, generated keys continue after the largest key already there.
    """

    if (rows is None) == (scale is None):
        raise click.UsageError("give exactly one of -n/--rows or --scale")
    write_mode = resolve_mode(mode, force)
    out = resolve_output(output)
    synth = load_model(model_file)
    if is_quiet():
        synth.progress = False
    tables = synth.tables
    if rows is not None and len(tables) != 1:
        raise DataError(
            f"-n works for single-table models; this one has tables {tables}",
            fix="use --scale to size a multi-table sample",
        )
    refuse_existing(out, tables, write_mode)
    size: dict[str, Any] = {"n": rows} if rows is not None else {"scale": scale}
    if seed is not None:
        size["seed"] = seed
    if chunk_rows is not None:
        size["chunk_rows"] = chunk_rows
    expect(sample_tables=len(tables))
    if out.file is not None:
        written = _sample_to_file(synth, out.file, write_mode, size)
        where = str(out.file)
    else:
        assert out.url is not None
        summary = synth.sample(**size, sink=out.url, mode=write_mode)
        written = dict(summary.get("tables", {}))
        where = str(summary.get("sink", out.url))
    counts = ", ".join(f"{t}={r}" for t, r in written.items())
    verb = "Appended" if write_mode == "append" else "Wrote"
    say(f"{verb} {counts} rows to {where}")


def register(cli: click.Group) -> None:
    """Add ``detect``, ``fit`` and ``sample`` to ``cli``."""
    cli.add_command(detect_command)
    cli.add_command(fit_command)
    cli.add_command(sample_command)


__all__ = [
    "is_url",
    "load_metadata",
    "load_model",
    "read_data",
    "register",
    "write_data",
]
