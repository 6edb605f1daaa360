"""One column's sdtype from its values (a sample) and its name, with the reason for it.

Order of evidence: dtype (bool, datetime, durations, categorical), PII recognisers, keys
(key-like names, unique consecutive integers, UUIDs, code-like strings), datetime strings,
free text, else categories. A column of containers (dicts, lists) raises
``InvalidDataError``.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from synthohive.errors import InvalidDataError
from synthohive.metadata.analysis import SAMPLE_ROWS
from synthohive.metadata.pii import detect_pii, sample_strings
from synthohive.metadata.schema import Column
from synthohive.values.formats import best_format, parse_with
from synthohive.values.names import is_key_name

DATETIME_TOLERANCE = 0.05
LABEL_MIN_ROWS = 50
"""Above this many non-null strings, a column of (nearly) all-distinct values is text, not
categories (lookup tables, at most this size, keep theirs and are copied)."""
LABEL_DISTINCT_SHARE = 0.9
"""Share of distinct values from which a column of words (most values without digits) is read
as labels (titles, names of things); codes with digits stay categories or ids."""
_UUID = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)

__all__ = ["DATETIME_TOLERANCE", "detect_column"]


def _decimals(values: np.ndarray) -> int | None:
    """Fewest decimal places (≤ 10) that represent every value, else ``None``."""
    v = values[np.isfinite(values)]
    if len(v) == 0:
        return None
    v = v[np.abs(v) < 1e15]  # beyond this, floats carry no decimals
    if len(v) == 0:
        return 0
    for d in range(11):
        scaled = v * 10.0**d
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-6 * np.maximum(1.0, np.abs(scaled))):
            return d
    return None


def _kind_of_object(s: pd.Series) -> tuple[set[str], bool]:
    """Python type names in an object column (sampled) and whether any is a container."""
    types = set(s.map(lambda v: type(v).__name__).unique().tolist())
    container = bool(types & {"dict", "list", "set", "tuple", "ndarray"})
    return types, container


def _id_pattern(values: pd.Series) -> str | None:
    """A regex describing code-like keys (``INV-000123`` -> ``INV\\-[0-9]{6}``) or None."""
    runs = values.str.findall(r"[A-Z]+|[a-z]+|[0-9]+|[^A-Za-z0-9]+")
    lens = runs.map(len)
    if len(runs) == 0 or lens.nunique() != 1 or int(lens.iloc[0]) > 12:
        return None
    width = int(lens.iloc[0])
    parts: list[str] = []
    for j in range(width):  # per token position, vectorised over values
        tok = runs.str[j]
        if tok.nunique() == 1:
            parts.append(re.escape(str(tok.iloc[0])))
            continue
        first = tok.str[0]
        if first.str.isdigit().all():
            cls = "[0-9]"
        elif first.str.isupper().all():
            cls = "[A-Z]"
        elif first.str.islower().all():
            cls = "[a-z]"
        else:
            return None
        lo, hi = int(tok.str.len().min()), int(tok.str.len().max())
        parts.append(f"{cls}{{{lo}}}" if lo == hi else f"{cls}{{{lo},{hi}}}")
    return "".join(parts)


def _char_class_pattern(values: pd.Series) -> str:
    """Fallback key regex: the observed characters, repeated within the observed lengths."""
    chars = set("".join(values.str.slice(0, 64).tolist()))
    parts = [
        r
        for r, ok in (
            ("0-9", chars & set("0123456789")),
            ("A-Z", chars & set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")),
            ("a-z", chars & set("abcdefghijklmnopqrstuvwxyz")),
        )
        if ok
    ]
    other = sorted(c for c in chars if not c.isascii() or not c.isalnum())[:20]
    cls = "[" + "".join(parts) + "".join(re.escape(c) for c in other) + "]"
    lengths = values.str.len()
    lo, hi = int(lengths.min()), int(lengths.max())
    return f"{cls}{{{lo}}}" if lo == hi else f"{cls}{{{lo},{hi}}}"


def _datetime_format(sample: pd.Series, rows: pd.Series) -> tuple[str, float] | None:
    """Best format (:func:`~synthohive.values.formats.best_format` on distinct ``sample``
    values) and the share of ``rows`` it cannot parse, if that share is within the tolerance."""
    short = sample[sample.str.len() <= 40]
    if len(short) < 0.5 * len(sample):
        return None
    datey = short.str.contains(r"\d{1,4}[-/. ]\d{1,2}|[A-Za-z]{3} \d{1,2}|\d{1,2} [A-Za-z]{3}")
    if float(datey.mean()) < 0.5:
        return None
    best = best_format(short)
    if best is None or best[1] * len(short) / len(sample) < 0.5:
        return None
    fmt = best[0]
    ok = rows.str.len() <= 40
    parsed = parse_with(rows[ok], fmt)
    rate = float(parsed.notna().sum()) / max(len(rows), 1)
    if rate < 1 - DATETIME_TOLERANCE:
        return None
    return fmt, 1.0 - rate


# --- one column ------------------------------------------------------------------------------
def detect_column(s: pd.Series, name: str, table: str) -> Column:
    """One column's sdtype and settings (bounds, format, generator, PII kind), with a reason."""
    dtype = str(s.dtype)
    nonnull = s.dropna()
    nullable = bool(len(nonnull) < len(s))
    n = len(nonnull)
    base: dict[str, Any] = {"dtype": dtype, "nullable": nullable}
    if n == 0:
        if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            return Column(sdtype="numerical", **base, reason="all values are null (numeric)")
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            return Column(sdtype="datetime", **base, reason="all values are null (datetime)")
        return Column(sdtype="categorical", **base, reason="all values are null")
    if pd.api.types.is_bool_dtype(s.dtype):
        return Column(sdtype="boolean", **base, reason=f"dtype {dtype}")
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        pii = detect_pii(nonnull, name)
        if pii is not None and pii.kind == "date_of_birth":  # as for date strings
            return _pii_column(pii, base)
        tz = getattr(s.dtype, "tz", None)
        return Column(
            sdtype="datetime",
            **base,
            timezone=None if tz is None else str(tz),
            reason=f"dtype {dtype}" + (f" (timezone {tz})" if tz is not None else ""),
        )
    if pd.api.types.is_timedelta64_dtype(s.dtype):
        return Column(sdtype="numerical", **base, reason=f"dtype {dtype}: durations")
    key_name = is_key_name(name)
    if isinstance(s.dtype, pd.CategoricalDtype):
        pii = detect_pii(nonnull.astype(str), name)
        if pii is not None:
            return _pii_column(pii, base)
        return Column(sdtype="categorical", **base, reason=f"dtype {dtype}")
    if pd.api.types.is_numeric_dtype(s.dtype):
        return _numeric_column(s, nonnull, name, key_name, base)
    return _object_column(s, nonnull, name, table, key_name, base)


def _pii_column(pii: Any, base: dict[str, Any]) -> Column:
    return Column(sdtype="pii", **base, kind=pii.kind, reason=f"PII: {pii.evidence}")


def _numeric_column(
    s: pd.Series, nonnull: pd.Series, name: str, key_name: bool, base: dict[str, Any]
) -> Column:
    dtype = base["dtype"]
    values = nonnull.to_numpy(dtype=float, na_value=np.nan)
    finite = values[np.isfinite(values)]
    is_int = pd.api.types.is_integer_dtype(s.dtype)
    integral = is_int or (len(finite) > 0 and bool(np.all(finite == np.round(finite))))
    unique = bool(nonnull.is_unique)
    n = len(nonnull)
    if integral:
        pii = detect_pii(s, name)
        if pii is not None and pii.kind in {"credit_card", "ssn", "phone"}:
            return _pii_column(pii, base)
        big = bool(len(finite) and np.abs(finite).max() > 2.0**53)
        if key_name and (unique or nonnull.nunique() > 0.5 * n):
            why = "unique integers" if unique else "integers"
            return Column(
                sdtype="id",
                **base,
                generator="sequence",
                reason=f"name {name!r} reads like a key and values are {why}",
            )
        if unique and n >= 20 and not big and n == len(s):
            lo, hi = int(finite.min()), int(finite.max())
            if hi - lo + 1 == n:
                return Column(
                    sdtype="id",
                    **base,
                    generator="sequence",
                    reason=f"unique consecutive integers {lo}..{hi}",
                )
        if big:
            if unique:
                return Column(
                    sdtype="id",
                    **base,
                    generator="sequence",
                    reason="unique integers beyond 2**53 (not exact as floats): treated as key",
                )
            return Column(
                sdtype="categorical",
                **base,
                reason="integers beyond 2**53 (not exact as floats): treated as categories",
            )
    if len(finite) == 0:
        return Column(sdtype="numerical", **base, reason="numeric dtype, no finite values")
    rounding = 0 if integral else _decimals(finite)
    # + 0.0 turns -0.0 into 0.0: which zero np.min returns depends on the row order
    low, high = float(finite.min()) + 0.0, float(finite.max()) + 0.0
    why = f"numeric dtype {dtype}, range {low:g}..{high:g}"
    if not integral and rounding is not None:
        why += f", {rounding} decimal(s) observed"
    return Column(
        sdtype="numerical",
        **base,
        integer=bool(integral),
        min=low,
        max=high,
        rounding=rounding,
        reason=why,
    )


def _object_column(
    s: pd.Series, nonnull: pd.Series, name: str, table: str, key_name: bool, base: dict[str, Any]
) -> Column:
    if s.dtype == object:
        types, container = _kind_of_object(nonnull.iloc[:SAMPLE_ROWS])
        if container:
            raise InvalidDataError(
                f"column holds containers ({', '.join(sorted(types))}), which cannot be modelled",
                table=table,
                column=name,
                fix="convert the values to JSON strings (df[col].map(json.dumps)) or drop it",
            )
        if types <= {"bool", "bool_"}:
            return Column(sdtype="boolean", **base, reason="object column of True/False")
        if len(types) > 1 and "str" in types:
            return Column(
                sdtype="categorical",
                **base,
                reason=f"mixed value types ({', '.join(sorted(types))}): treated as categories",
            )
        real = all(t.startswith(("int", "float", "uint")) for t in types)
        if "str" not in types:
            if real:
                nums = pd.to_numeric(nonnull, errors="coerce")
                if nums.notna().all():
                    return _numeric_column(nums, nums, name, key_name, base)
            if types <= {"datetime", "Timestamp"}:
                return Column(sdtype="datetime", **base, reason="object column of datetime values")
            return Column(
                sdtype="categorical",
                **base,
                reason=f"object values of type {', '.join(sorted(types))}: categories",
            )
    strs = nonnull.astype(str)
    n = len(strs)
    sample = sample_strings(strs)
    pii = detect_pii(strs, name)
    if pii is not None:
        return _pii_column(pii, base)
    unique = bool(strs.is_unique)
    nuniq = int(strs.nunique())
    uuid_rate = float(sample.str.fullmatch(_UUID).mean()) if len(sample) else 0.0
    if uuid_rate >= 0.95 and sample.str.len().max() <= 36:
        return Column(
            sdtype="id",
            **base,
            generator="uuid",
            reason=f"{uuid_rate:.0%} of sampled values are UUIDs",
        )
    dt = _datetime_format(sample, strs)
    if dt is not None:
        fmt, garbage = dt
        why = f"strings parse as datetimes with format {fmt!r}"
        if garbage > 0:
            why += f"; {garbage:.1%} of sampled values do not parse and will become null"
        tz = "UTC" if "%z" in fmt or fmt.endswith("Z") else None
        return Column(sdtype="datetime", **base, format=fmt, timezone=tz, reason=why)
    lengths = sample.str.len()
    words = sample.str.count(" ") + 1
    if float(lengths.mean()) >= 50 or (float(words.mean()) >= 6 and nuniq > 0.5 * n):
        return Column(
            sdtype="text",
            **base,
            reason=f"free text (mean {lengths.mean():.0f} characters, {words.mean():.1f} words)",
        )
    codeish = bool(sample.str.contains(r"\d", regex=True).mean() >= 0.95) and not bool(
        sample.str.contains(" ", regex=False).any()
    )
    if (unique and n >= 10 and codeish) or (key_name and nuniq > 0.5 * n):
        pattern = _id_pattern(sample)
        if pattern is None or not bool(sample.str.fullmatch(pattern).all()):
            pattern = _char_class_pattern(sample)
        why = "unique code-like strings" if unique else f"name {name!r} reads like a key"
        return Column(
            sdtype="id", **base, generator="regex", pattern=pattern, reason=f"{why}; {pattern}"
        )
    wordy = float(sample.str.contains(r"\d", regex=True).mean()) < 0.5
    if n > LABEL_MIN_ROWS and nuniq >= LABEL_DISTINCT_SHARE * n and wordy:
        return Column(
            sdtype="text",
            **base,
            reason=f"labels: {nuniq} distinct values in {n} non-null rows (as categories nearly "
            "all would occur fewer than k times and become _RARE_); filled with fake text",
        )
    return Column(
        sdtype="categorical", **base, reason=f"{nuniq} distinct values in {n} non-null rows"
    )
