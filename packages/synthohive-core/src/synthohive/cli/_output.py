"""Where CLI commands write, and how: output checks, ``--mode``/``--force``, single files.

Every command that writes data takes ``--mode {error,append,overwrite}`` (``--force`` is
``--mode overwrite``). The default ``error`` refuses an output that already holds a table to
be written, before any work, with one line that names it and the fix. Outputs are checked up
front: a file must end in ``.csv``/``.parquet`` and its folder must exist; a name with another
extension is refused rather than turned into a folder.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from synthohive.errors import ConnectorError, DataError

if TYPE_CHECKING:
    import pandas as pd

    from synthohive.connectors.base import WriteMode
    from synthohive.metadata.schema import Metadata

FILE_SUFFIXES = (".csv", ".parquet")
MODES = ("error", "append", "overwrite")
FOLDER_SCHEMES = ("csv", "parquet")
EXISTS_FIX = "add --mode overwrite (or --force) to replace, or --mode append to add rows"

F = TypeVar("F", bound=Callable[..., Any])


def mode_options(func: F) -> F:
    """Add ``--mode`` and ``--force`` to a click command."""
    func = click.option(
        "--force", is_flag=True, help="Replace existing output (same as --mode overwrite)."
    )(func)
    return click.option(
        "--mode",
        type=click.Choice(MODES),
        default=None,
        help="If the output already holds a table: error (default) refuses, append adds rows, "
        "overwrite replaces it.",
    )(func)


def resolve_mode(mode: str | None, force: bool) -> WriteMode:
    """The write mode of ``--mode``/``--force`` (default ``error``)."""
    if force and mode not in (None, "overwrite"):
        raise click.UsageError(f"--force means --mode overwrite; it contradicts --mode {mode}")
    chosen = "overwrite" if force else (mode or "error")
    return cast("WriteMode", chosen)


def is_url(target: str) -> bool:
    """Whether ``target`` is a connector URL (``scheme://...``) rather than a local path."""
    head, sep, _ = target.partition("://")
    return bool(sep) and head.replace("+", "").replace("-", "").isalnum() and len(head) > 1


def folder_url(folder: Path) -> str:
    """``parquet://folder`` or ``csv://folder`` after what the folder holds (parquet if new)."""
    fmt = "parquet" if any(folder.glob("*.parquet")) or not any(folder.glob("*.csv")) else "csv"
    return f"{fmt}://{folder}"


def check_parent(path: Path, target: str) -> None:
    """Refuse ``path`` when its parent folder does not exist (nothing is created for it)."""
    parent = path.expanduser().absolute().parent
    if not parent.is_dir():
        raise ConnectorError(
            f"cannot write {target!r}: folder {str(parent)!r} does not exist",
            fix="create the folder first, or choose another output path",
        )


def check_output_file(target: str, suffixes: Iterable[str], what: str) -> Path:
    """A path for a single output file: a known extension and an existing parent folder."""
    allowed = tuple(suffixes)
    path = Path(target).expanduser()
    if path.suffix.lower() not in allowed:
        shown = " or ".join(allowed)
        raise DataError(
            f"cannot write {what} to {target!r}: expected a {shown} file",
            fix=f"give an output path ending in {shown}",
        )
    if path.is_dir():
        raise DataError(f"cannot write {what} to {target!r}: it is a folder", fix="name a file")
    check_parent(path, target)
    return path


@dataclass(frozen=True)
class Output:
    """A resolved data output: one ``file`` (one table) or a connector ``url``."""

    target: str
    file: Path | None = None
    url: str | None = None


def resolve_output(target: str) -> Output:
    """Classify ``-o`` of a data-writing command, refusing unknown extensions and outputs
    whose parent folder does not exist."""
    if is_url(target):
        scheme = target.partition("://")[0].split("+", 1)[0].lower()
        if scheme in FOLDER_SCHEMES:
            rest = target.partition("://")[2]
            if rest:
                check_parent(Path(rest), target)
        return Output(target, url=target)
    path = Path(target).expanduser()
    if path.is_dir():
        return Output(target, url=folder_url(path))
    suffix = path.suffix.lower()
    if suffix in FILE_SUFFIXES:
        check_parent(path, target)
        return Output(target, file=path)
    if suffix:
        raise DataError(
            f"cannot write {target!r}: unknown file type {suffix!r}",
            fix="use a .csv or .parquet file, a folder name without an extension, or a URL "
            f"such as parquet://{target}",
        )
    check_parent(path, target)
    return Output(target, url=f"parquet://{path}")


def refuse_existing(out: Output, tables: list[str], mode: str) -> None:
    """``mode="error"``: refuse, before any work, an output that holds one of ``tables``."""
    if mode != "error":
        return
    if out.file is not None:
        if out.file.exists():
            raise ConnectorError(f"{str(out.file)!r} already exists", fix=EXISTS_FIX)
        return
    import synthohive
    from synthohive.synthesizer.append import existing_tables

    assert out.url is not None
    connector = synthohive.connect(out.url)
    try:
        present = [t for t in tables if t in existing_tables(connector)]
        where = connector.safe_url
    finally:
        connector.close()
    if len(present) == 1:
        raise ConnectorError(f"table {present[0]!r} already exists in {where}", fix=EXISTS_FIX)
    if present:
        raise ConnectorError(f"tables {present} already exist in {where}", fix=EXISTS_FIX)


def read_file(path: Path) -> pd.DataFrame:
    """One ``.csv``/``.parquet`` file as a DataFrame (a header-only or empty CSV: no rows).

    A file that cannot be read (a folder, no permission, not UTF-8, a ragged CSV line, not
    Parquet) raises one :class:`ConnectorError` naming the table and file, as a ``csv://`` or
    ``parquet://`` folder does.
    """
    import pandas as pd
    import pyarrow as pa

    is_csv = path.suffix.lower() == ".csv"
    kind = "CSV" if is_csv else "Parquet"
    fix = f"check that {str(path)!r} is a valid {kind} file" + (" (UTF-8 text)" if is_csv else "")
    where: dict[str, Any] = {"table": path.stem, "fix": fix}
    if path.is_dir():
        raise ConnectorError(
            f"cannot read {str(path)!r}: it is a folder, not a {kind} file",
            table=path.stem,
            fix="give a .csv or .parquet file",
        )
    try:
        if not is_csv:
            return pd.read_parquet(path)
        try:
            return pd.read_csv(path)
        except pd.errors.EmptyDataError:
            return pd.DataFrame()
    except UnicodeDecodeError as exc:
        reason = f"it is not UTF-8 text (it holds byte 0x{exc.object[exc.start]:02x})"
        raise ConnectorError(f"cannot read {str(path)!r}: {reason}", **where) from exc
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConnectorError(
            f"cannot read {str(path)!r}: {reason}",
            table=path.stem,
            fix="check the path and its permissions",
        ) from exc
    except (ValueError, pd.errors.ParserError, pa.ArrowException) as exc:
        raise ConnectorError(f"cannot read {str(path)!r}: {exc}", **where) from exc


def write_file(path: Path, frame: pd.DataFrame, mode: WriteMode) -> None:
    """Write ``frame`` to one file atomically; ``append`` adds its rows after the file's."""
    from synthohive._io import atomic_path

    if mode == "error" and path.exists():
        raise ConnectorError(f"{str(path)!r} already exists", fix=EXISTS_FIX)
    if mode == "append" and path.exists():
        _append_file(path, frame)
        return
    try:
        with atomic_path(path) as tmp:
            if path.suffix.lower() == ".csv":
                frame.to_csv(tmp, index=False)
            else:
                frame.to_parquet(tmp, index=False)
    except OSError as exc:
        raise ConnectorError(
            f"cannot write {str(path)!r}: {exc.strerror or exc}", fix="choose a writable path"
        ) from None


def _columns_like(path: Path, have: list[str], frame: pd.DataFrame) -> pd.DataFrame:
    got = [str(c) for c in frame.columns]
    if set(got) != set(have):
        raise ConnectorError(
            f"cannot append to {str(path)!r}: its columns {have} differ from {got}",
            fix="write to a new file, or use --mode overwrite",
        )
    return frame.set_axis(got, axis=1)[have]


def _append_file(path: Path, frame: pd.DataFrame) -> None:
    """The old rows then ``frame``'s, published atomically (the old file stays on failure)."""
    import csv

    from synthohive._io import atomic_path

    with atomic_path(path) as tmp:
        if path.suffix.lower() == ".csv":
            with open(path, encoding="utf-8", newline="") as old:
                header = next(csv.reader(old), None) or []
            frame = _columns_like(path, header, frame)
            shutil.copyfile(path, tmp)
            with open(tmp, "rb+") as raw:
                raw.seek(0, 2)
                if raw.tell():
                    raw.seek(-1, 2)
                    if raw.read(1) not in (b"\n", b"\r"):
                        raw.write(b"\n")
            with open(tmp, "a", encoding="utf-8", newline="") as fh:
                frame.to_csv(fh, header=not header, index=False)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            old_table = pq.read_table(path)
            frame = _columns_like(path, list(old_table.schema.names), frame)
            try:
                new = pa.Table.from_pandas(frame, preserve_index=False).cast(old_table.schema)
            except (pa.ArrowException, ValueError) as exc:
                raise ConnectorError(
                    f"cannot append to {str(path)!r}: {exc}",
                    fix="write to a new file, or use --mode overwrite",
                ) from None
            pq.write_table(pa.concat_tables([old_table, new]), tmp)


def _write_order(frames: Mapping[str, pd.DataFrame], metadata: Metadata | None) -> list[str]:
    """Parents before children (FK constraints accept them), then tables unknown to metadata."""
    if metadata is None:
        return list(frames)
    from synthohive.synthesizer import graph

    try:
        order = [t for t in graph.topological_order(metadata) if t in frames]
    except Exception:  # cycles etc.: keep the given order, the sink reports problems
        return list(frames)
    return order + [t for t in frames if t not in order]


def write_frames(
    frames: Mapping[str, pd.DataFrame],
    target: str,
    *,
    mode: WriteMode = "error",
    metadata: Metadata | None = None,
) -> str:
    """Write ``frames`` to a file (one table), a folder or a connector URL, atomically, with
    the sink's keys and constraints from ``metadata``; returns where."""
    import synthohive

    out = resolve_output(target)
    refuse_existing(out, list(frames), mode)
    if out.file is not None:
        if len(frames) != 1:
            raise DataError(
                f"{target!r} is one file but there are {len(frames)} tables",
                fix="give a folder or a connector URL as the output",
            )
        [frame] = frames.values()
        write_file(out.file, frame, mode)
        return str(out.file)
    assert out.url is not None
    connector = synthohive.connect(out.url)
    try:
        with connector.begin_write(metadata, mode) as session:
            for table in _write_order(frames, metadata):
                session.append(table, frames[table])
    finally:
        connector.close()
    return connector.safe_url


__all__ = [
    "FILE_SUFFIXES",
    "MODES",
    "Output",
    "check_output_file",
    "check_parent",
    "folder_url",
    "is_url",
    "mode_options",
    "read_file",
    "refuse_existing",
    "resolve_mode",
    "resolve_output",
    "write_file",
    "write_frames",
]
