"""Key columns are generated, never learned: unique keys in the style of the source.

A :class:`KeySpec` is learned from a real key column (integer sequence, UUID, or a string
pattern such as ``INV-000123`` with a learned prefix, digit width and suffix) and turns global
row numbers into key values, so keys stay unique across streamed chunks and are reproducible.

Only the *style* is stored, never a real substring of a value: a prefix or suffix is kept as
written only when every value shares it and it reads as a code (no letters, letter runs of at
most four such as ``INV-``/``ORD``, or a generic key word such as ``customer_``) shared by at
least :data:`MIN_SHARED` distinct keys. Otherwise only its character classes are kept (letters
become ``x``/``X``; ``pamela123`` is learned as ``xxxxxx`` + digits) and the numbers restart at
1, since digits next to a personal prefix (``pamela1987``) may be personal too.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

KeyKind = Literal["int", "uuid", "pattern", "string"]

_UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_PATTERN_RE = r"^(\D*?)(\d+)(\D*)$"
_MAX_AFFIX = 16
MAX_KEY_WIDTH = 64
"""Widest zero-padded number a key pattern may ask for."""
MAX_KEY_START = 2**62
"""Largest magnitude of a key's first number (row numbers are added to it in int64)."""
MIN_SHARED = 5
"""Distinct keys that must share a prefix/suffix with letters before it is kept as written."""
_LETTERS = re.compile(r"[^\W\d_]+")
_CODE_RUN = 4
KEY_WORDS = frozenset(
    (
        "customer", "client", "order", "product", "account", "employee", "staff", "trans",
        "payment", "ticket", "record", "device", "server", "batch", "event", "session",
        "request", "shipment", "store", "group", "project", "contract", "policy", "member",
        "patient", "visit", "invoice", "asset", "track", "album", "artist", "genre",
        "playlist", "media", "category", "branch", "supplier", "vendor",
    )
)  # fmt: skip
"""Generic words a shared key prefix may hold in full (``customer_0001``, ``ORDER-17``)."""


_AFFIX_PATTERN = r"^[^0-9\x00-\x1f\x7f]*$"


class KeySpecDoc(BaseModel):
    """Schema of a stored :class:`KeySpec` (bounded so that generating keys stays cheap)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    kind: KeyKind
    start: int = Field(ge=-MAX_KEY_START, le=MAX_KEY_START)
    prefix: str = Field(max_length=_MAX_AFFIX, pattern=_AFFIX_PATTERN)
    suffix: str = Field(max_length=_MAX_AFFIX, pattern=_AFFIX_PATTERN)
    width: int = Field(ge=0, le=MAX_KEY_WIDTH)
    upper: bool


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
    def from_dict(cls, raw: Any) -> KeySpec:
        """Inverse of :meth:`to_dict`; ``pydantic.ValidationError`` names a bad field."""
        doc = KeySpecDoc.model_validate(raw)
        return cls(**doc.model_dump())

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
    parts = text.str.extract(_PATTERN_RE)
    matched = parts[1].notna()
    if matched.mean() >= 0.95:
        distinct = int(text[matched].nunique())
        prefix, prefix_kept = _affix(parts.loc[matched, 0], distinct)
        suffix, suffix_kept = _affix(parts.loc[matched, 2], distinct)
        digits = parts.loc[matched, 1].astype(str)
        lengths = digits.str.len()
        padded = bool((digits.str.startswith("0") & (lengths > 1)).any())
        width = int(lengths.max()) if (padded or lengths.nunique() == 1) else 0
        low = pd.to_numeric(digits, errors="coerce").min() if len(digits) else 1
        start = int(low) if np.isfinite(low) and low < MAX_KEY_START else 1
        if not (prefix_kept and suffix_kept):
            start = 1  # digits next to a personal-looking affix are not a sequence to continue
        if len(prefix) <= _MAX_AFFIX and len(suffix) <= _MAX_AFFIX and width <= MAX_KEY_WIDTH:
            return KeySpec("pattern", start=start, prefix=prefix, suffix=suffix, width=width)
    return KeySpec("string", start=1, prefix="id-", width=0)


def _affix(values: pd.Series, distinct: int) -> tuple[str, bool]:
    """The prefix (or suffix) to generate and whether it is kept as written.

    As written only when every value has the same one and it is a code
    (:func:`is_code_affix`); otherwise the character classes of the most common one.
    """
    if len(values) == 0:
        return "", True
    uniques = values.unique()
    if len(uniques) == 1 and is_code_affix(str(uniques[0]), distinct):
        return str(uniques[0]), True
    counts: dict[str, int] = {}
    for value, n in values.iloc[:2000].value_counts().items():
        shape = affix_shape(str(value))
        counts[shape] = counts.get(shape, 0) + int(n)
    return max(counts.items(), key=lambda item: (item[1], item[0]))[0], False


def is_code_affix(affix: str, distinct: int) -> bool:
    """Whether a prefix/suffix shared by every key may be stored as written.

    No letters at all (``#``, ``-``), or letter runs that are short codes (at most four
    letters: ``INV-``, ``ORD``) or generic key words (``customer_``), shared by at least
    :data:`MIN_SHARED` distinct keys so that it cannot be one person's name.
    """
    if len(affix) > _MAX_AFFIX or not affix.isprintable():
        return False
    runs = _LETTERS.findall(affix)
    if not runs:
        return True
    if distinct < MIN_SHARED:
        return False
    return all(len(run) <= _CODE_RUN or run.lower() in KEY_WORDS for run in runs)


def affix_shape(affix: str) -> str:
    """Character classes of ``affix``: letters become ``x``/``X``, other characters stay."""
    return "".join(
        ("X" if ch.isupper() else "x") if ch.isalpha() else ch if ch.isprintable() else "_"
        for ch in affix
    )


def cast_like(values: np.ndarray | pd.Series, dtype: str | None) -> pd.Series:
    """``values`` as a Series of ``dtype`` (best effort; keys keep their source dtype)."""
    s = pd.Series(values)
    if dtype is None:
        return s
    try:
        return s.astype(pd.api.types.pandas_dtype(dtype))
    except (TypeError, ValueError, NotImplementedError, ImportError):
        return s


def drop_duplicate_keys(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Boolean mask of rows whose ``columns`` tuple repeats an earlier row (nulls ignored)."""
    if not columns or len(frame) == 0:
        return np.zeros(len(frame), dtype=bool)
    sub = frame[columns]
    dup = sub.duplicated(keep="first").to_numpy()
    has_null = sub.isna().any(axis=1).to_numpy()
    return dup & ~has_null
