"""The connector protocol: where real data comes from and where synthetic data goes.

A connector class declares the URL ``schemes`` it serves and is registered through the
``register_connectors`` hook; ``synthohive.connect(url)`` picks it by scheme.

Writes go through a :class:`WriteSession`: ``begin_write`` stages every table, ``append`` adds
chunks (parents before children, so a sink with constraints accepts them), and ``commit``
publishes all tables at once; ``abort`` (or an exception inside ``with``) leaves the target
exactly as it was. ``write`` is the one-table convenience over the same path.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import pandas as pd

from synthohive.errors import ConnectorError

if TYPE_CHECKING:
    from synthohive.metadata.schema import Metadata

WriteMode = Literal["error", "overwrite", "append"]
WRITE_MODES: tuple[str, ...] = ("error", "overwrite", "append")


class WriteSession(ABC):
    """An all-or-nothing write of one or more tables. Use as a context manager."""

    def __enter__(self) -> WriteSession:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()

    @abstractmethod
    def append(self, table: str, frame: pd.DataFrame) -> None:
        """Stage ``frame``'s rows for ``table``."""

    @staticmethod
    def check_append(table: str, frame: object, done: bool) -> None:
        """Raise ``ConnectorError`` for an append after commit/abort or of a non-DataFrame."""
        if done:
            raise ConnectorError("this write session is already committed or aborted")
        if not isinstance(frame, pd.DataFrame):
            raise ConnectorError(
                f"expected a pandas DataFrame for table {table!r}, got {type(frame).__name__}",
                table=table,
            )

    @abstractmethod
    def commit(self) -> None:
        """Publish every staged table atomically."""

    @abstractmethod
    def abort(self) -> None:
        """Drop everything staged; the target is unchanged."""


class Connector(ABC):
    """A source and/or sink of tables, addressed by a URL."""

    name: ClassVar[str]
    """Short name shown by ``synthohive plugins``."""
    schemes: ClassVar[tuple[str, ...]]
    """URL schemes served, e.g. ``("csv",)``; a ``scheme+driver`` URL matches ``scheme``."""

    def __init__(self, url: str, **options: Any) -> None:
        self.url = url
        self.options = options

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.safe_url!r})"

    @property
    def safe_url(self) -> str:
        """The URL with any password masked (for logs, errors and ``repr``)."""
        return self.url

    @abstractmethod
    def list_tables(self) -> list[str]:
        """Names of the tables available to read."""

    @abstractmethod
    def read(
        self, table: str, columns: list[str] | None = None, limit: int | None = None
    ) -> pd.DataFrame:
        """Read one table (optionally some columns / the first ``limit`` rows)."""

    def iter_chunks(self, table: str, chunksize: int = 50_000) -> Iterator[pd.DataFrame]:
        """Read ``table`` in chunks of at most ``chunksize`` rows (default: one read)."""
        frame = self.read(table)
        for start in range(0, len(frame), chunksize):
            yield frame.iloc[start : start + chunksize]

    def read_all(self, tables: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
        """Read several tables (default: all) into a dict."""
        return {t: self.read(t) for t in (tables if tables is not None else self.list_tables())}

    def metadata(self) -> Metadata | None:
        """Metadata from the source's own schema (keys, types), or ``None`` if it has none."""
        return None

    @abstractmethod
    def begin_write(
        self, metadata: Metadata | None = None, mode: WriteMode = "error"
    ) -> WriteSession:
        """Start an atomic write of one or more tables."""

    def write(
        self,
        table: str,
        frames: pd.DataFrame | Iterable[pd.DataFrame],
        mode: WriteMode = "error",
        metadata: Metadata | None = None,
    ) -> int:
        """Write one table atomically; returns the number of rows written."""
        check_mode(mode)
        if isinstance(frames, pd.DataFrame):
            frames = [frames]
        rows = 0
        with self.begin_write(metadata, mode) as session:
            for frame in frames:
                session.append(table, frame)
                rows += len(frame)
        return rows

    def close(self) -> None:  # noqa: B027 - optional hook, default does nothing
        """Release connections."""


def check_mode(mode: str) -> None:
    """Raise ``ConnectorError`` unless ``mode`` is a known write mode."""
    if mode not in WRITE_MODES:
        raise ConnectorError(f"unknown write mode {mode!r}; use one of {list(WRITE_MODES)}")
