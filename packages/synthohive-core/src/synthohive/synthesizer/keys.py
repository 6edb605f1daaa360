"""Key columns are generated, never learned: unique keys in the style of the source.

A :class:`KeySpec` is learned from a real key column (integer sequence, UUID, or a string
pattern such as ``INV-000123`` with a learned prefix, digit width and suffix) and turns global
row numbers into key values, so keys stay unique across streamed chunks and are reproducible.
Only the *style* is stored (prefix, width, start), never real values.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

KeyKind = Literal["int", "uuid", "pattern", "string"]

_UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_PATTERN_RE = r"^(\D*?)(\d+)(\D*)$"
_MAX_AFFIX = 16


@dataclass
class KeySpec:
    """How to render global row numbers as key values."""

    kind: KeyKind = "int"
    start: int = 1
    prefix: str = ""
    suffix: str = ""
    width: int = 0
    upper: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> KeySpec:
        """Inverse of :meth:`to_dict`."""
        return cls(
            kind=raw["kind"],
            start=int(raw["start"]),
            prefix=str(raw["prefix"]),
            suffix=str(raw["suffix"]),
            width=int(raw["width"]),
            upper=bool(raw["upper"]),
        )

    # ------------------------------------------------------------------------------------------
    def generate(self, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Key values for global row numbers ``rows`` (unique when ``rows`` are unique)."""
        rows = np.asarray(rows, dtype=np.int64)
        if self.kind == "int":
            return rows + np.int64(self.start)
        if self.kind == "uuid":
            return _uuids(len(rows), rng, upper=self.upper)
        numbers = (rows + np.int64(self.start)).astype(str)
        if self.width:
            numbers = np.char.zfill(numbers, self.width)
        out = np.char.add(np.char.add(self.prefix, numbers), self.suffix)
        return out.astype(object)


def _uuids(n: int, rng: np.random.Generator, *, upper: bool) -> np.ndarray:
    """``n`` random version-4 UUID strings from ``rng`` (reproducible, vectorised)."""
    a = rng.integers(0, 2**32, size=n, dtype=np.int64)
    b = rng.integers(0, 2**16, size=n, dtype=np.int64)
    c = rng.integers(0, 2**12, size=n, dtype=np.int64) | 0x4000
    d = rng.integers(0, 2**14, size=n, dtype=np.int64) | 0x8000
    e = rng.integers(0, 2**48, size=n, dtype=np.int64)
    fmt = "%08X" if upper else "%08x"
    out = np.char.mod(fmt, a)
    for part, width in ((b, 4), (c, 4), (d, 4), (e, 12)):
        f = f"-%0{width}{'X' if upper else 'x'}"
        out = np.char.add(out, np.char.mod(f, part))
    return out.astype(object)


def learn_key_spec(values: pd.Series) -> KeySpec:
    """Learn the style of a key column from its (non-null) values."""
    s = values.dropna()
    if len(s) == 0:
        return KeySpec("int", start=1)
    if pd.api.types.is_bool_dtype(s.dtype):
        return KeySpec("int", start=0)
    if pd.api.types.is_numeric_dtype(s.dtype):
        num = pd.to_numeric(s, errors="coerce")
        start = int(np.floor(num.min())) if np.isfinite(num.min()) else 1
        return KeySpec("int", start=start)
    text = s.astype(str)
    sample = text.iloc[: min(len(text), 2000)]
    if sample.str.match(_UUID_RE.pattern).mean() >= 0.95:
        upper = bool(
            sample.str.upper().eq(sample).mean() > 0.5 and sample.str.contains("[A-F]").any()
        )
        return KeySpec("uuid", upper=upper)
    parts = sample.str.extract(_PATTERN_RE)
    matched = parts[1].notna()
    if matched.mean() >= 0.95:
        prefixes = parts.loc[matched, 0].value_counts()
        suffixes = parts.loc[matched, 2].value_counts()
        prefix = str(prefixes.index[0]) if len(prefixes) else ""
        suffix = str(suffixes.index[0]) if len(suffixes) else ""
        digits = parts.loc[matched, 1].astype(str)
        lengths = digits.str.len()
        padded = bool((digits.str.startswith("0") & (lengths > 1)).any())
        width = int(lengths.max()) if (padded or lengths.nunique() == 1) else 0
        full = text.str.extract(_PATTERN_RE)[1].dropna()
        start = int(pd.to_numeric(full, errors="coerce").min()) if len(full) else 1
        if len(prefix) <= _MAX_AFFIX and len(suffix) <= _MAX_AFFIX:
            return KeySpec("pattern", start=start, prefix=prefix, suffix=suffix, width=width)
    return KeySpec("string", start=1, prefix="id-", width=0)


def cast_like(values: np.ndarray | pd.Series, dtype: str | None) -> pd.Series:
    """``values`` as a Series of ``dtype`` (best effort; keys keep their source dtype)."""
    s = pd.Series(values)
    if dtype is None:
        return s
    try:
        return s.astype(pd.api.types.pandas_dtype(dtype))
    except (TypeError, ValueError):
        return s


def drop_duplicate_keys(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Boolean mask of rows whose ``columns`` tuple repeats an earlier row (nulls ignored)."""
    if not columns or len(frame) == 0:
        return np.zeros(len(frame), dtype=bool)
    sub = frame[columns]
    dup = sub.duplicated(keep="first").to_numpy()
    has_null = sub.isna().any(axis=1).to_numpy()
    return dup & ~has_null
