"""A compact on-disk store of what child tables need from their generated parents.

While a schema is generated, each table's chunks are spilled as parquet files holding only the
key columns children reference, the context columns children are conditioned on and the
sampled children-per-parent counts. Children then read their parents chunk by chunk, so peak
memory depends on the chunk size, not on the number of rows generated.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


class SpillStore:
    """Parquet chunk files per table in a private temporary folder (removed by ``close``)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="synthohive-spill-"))
        self._files: dict[str, list[Path]] = {}
        self._ids: dict[str, int] = {}

    def __enter__(self) -> SpillStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def put(self, table: str, frame: pd.DataFrame) -> None:
        """Append one chunk of ``table`` (only the columns children need)."""
        folder = self.root / str(self._ids.setdefault(table, len(self._ids)))
        folder.mkdir(exist_ok=True)
        files = self._files.setdefault(table, [])
        path = folder / f"{len(files):06d}.parquet"
        pq.write_table(
            pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False), path
        )
        files.append(path)

    def chunks(self, table: str) -> Iterator[pd.DataFrame]:
        """The chunks of ``table`` in the order they were written."""
        for path in self._files.get(table, []):
            yield pq.read_table(path).to_pandas()

    def read_all(self, table: str, columns: list[str]) -> pd.DataFrame:
        """``columns`` of every chunk of ``table`` (keys and counts only: compact)."""
        parts = [pq.read_table(p, columns=columns).to_pandas() for p in self._files.get(table, [])]
        if not parts:
            return pd.DataFrame({c: pd.Series(dtype="int64") for c in columns})
        return pd.concat(parts, ignore_index=True)

    def close(self) -> None:
        """Delete the spill folder."""
        shutil.rmtree(self.root, ignore_errors=True)
