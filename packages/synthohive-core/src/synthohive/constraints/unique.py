"""``unique``: columns whose values (or tuples) never repeat, beyond the table's keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import Field

from synthohive.constraints.base import Constraint, ConstraintParams

if TYPE_CHECKING:
    pass


# --- uniqueness beyond keys -------------------------------------------------------------------
class UniqueParams(ConstraintParams):
    columns: list[str] = Field(min_length=1)


class Unique(Constraint):
    """No two generated rows share the values of ``columns`` (rows with a null in them are
    exempt, as in SQL). No transform makes this exact, so it is the one built-in that
    rejects: repeated rows are drawn again, within a bounded budget, and a table whose model
    cannot produce enough distinct values fails with a clear error. Unique within one run
    (independent runs, e.g. Spark partitions, are not checked against each other)."""

    name = "unique"
    Params = UniqueParams
    params: UniqueParams
    rejects = True

    def __init__(self, table: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(table, params)
        self.used: set[int] = set()

    def columns(self) -> list[str]:
        return list(self.params.columns)

    def rewrites(self) -> list[str]:
        return []

    def _hashes(self, data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(row hashes, rows with a null in the columns)."""
        part = data[self.params.columns]
        nulls = part.isna().any(axis=1).to_numpy()
        text = part.astype(str)  # the same value hashes alike whatever dtype a chunk has
        return pd.util.hash_pandas_object(text, index=False).to_numpy(), nulls

    def is_valid(self, data: pd.DataFrame) -> pd.Series:
        hashes, nulls = self._hashes(data)
        return pd.Series(~pd.Series(hashes).duplicated().to_numpy() | nulls, index=data.index)

    def transform(self, data: pd.DataFrame) -> pd.DataFrame:
        return data

    def reverse(self, data: pd.DataFrame) -> pd.DataFrame:
        return data

    def keep(self, data: pd.DataFrame) -> pd.Series:
        hashes, nulls = self._hashes(data)
        fresh = ~pd.Series(hashes).duplicated().to_numpy()
        if self.used:
            used = self.used
            fresh &= np.fromiter((int(h) not in used for h in hashes), bool, len(hashes))
        return pd.Series(fresh | nulls, index=data.index)

    def accept(self, data: pd.DataFrame) -> None:
        hashes, nulls = self._hashes(data)
        self.used.update(int(h) for h in hashes[~nulls])
