"""Metadata detection: sdtypes, primary keys, foreign keys and PII, each with a reason.

Detection looks at a bounded sample of rows chosen by row hash (so the sample, like every
decision, does not depend on row order), and at distinct values in sorted order. Key checks
(uniqueness, nulls, containment) use the full columns. Only ``SynthoHiveError`` subclasses
escape: anything unexpected inside a column's analysis is logged and the column falls back
to ``categorical`` with the reason recorded.

Frames from databases and from files differ in dtypes for the same data (nullable integers
as ``Int64``/objects or ``float64``; ``Decimal`` objects or floats; ``date``/``datetime``
objects, ``datetime64`` or strings). :func:`analysis_frame` maps the database forms onto the
file forms first, so both give the same sdtypes, keys, relations and PII; each column keeps
its original ``dtype`` for restoring output.
"""

from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from synthohive.errors import EmptyTableError, InvalidDataError, MetadataError, SynthoHiveError
from synthohive.log import get_logger
from synthohive.metadata.pii import detect_pii, sample_strings, shared_pii
from synthohive.metadata.schema import Column, Metadata, Table
from synthohive.values.formats import best_format, parse_with
from synthohive.values.names import is_key_name, singular

log = get_logger(__name__)

SAMPLE_ROWS = 20_000
DATETIME_TOLERANCE = 0.05
_UUID = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)

__all__ = [
    "analysis_frame",
    "analysis_series",
    "detect_metadata",
    "detect_table",
    "explain_metadata",
    "is_key_name",
]


def explain_metadata(meta: Metadata) -> str:
    """A readable account of every table, column, key and relation and why it was chosen."""
    from synthohive.metadata.explain import explain

    return explain(meta)


# --- helpers ---------------------------------------------------------------------------------
def sample_rows(df: pd.DataFrame, limit: int = SAMPLE_ROWS) -> pd.DataFrame:
    """At most ``limit`` rows, chosen by row hash so the choice ignores row order."""
    if len(df) <= limit:
        return df
    # every numeric/datetime column (cheap) and at most three text columns take part
    text = [
        i
        for i in range(df.shape[1])
        if pd.api.types.is_object_dtype(df.dtypes.iloc[i])
        or pd.api.types.is_string_dtype(df.dtypes.iloc[i])
    ]
    use = [i for i in range(df.shape[1]) if i not in text] + text[:3]
    part = df.iloc[:, use]
    try:
        h = pd.util.hash_pandas_object(part, index=False).to_numpy()
    except (TypeError, ValueError):
        h = np.zeros(len(df), dtype=np.uint64)
        for c in range(part.shape[1]):  # column-wise fallback for unhashable cells
            col = part.iloc[:, c].map(lambda v: repr(v) if not isinstance(v, str) else v)
            h ^= pd.util.hash_pandas_object(col.astype(str), index=False).to_numpy()
    order = np.lexsort((np.arange(len(h)), h))
    return df.iloc[np.sort(order[:limit])]


def analysis_series(s: pd.Series) -> tuple[pd.Series, str | None]:
    """``s`` as detection sees it, and a note when it was converted.

    Object columns as database drivers return them become what a CSV/Parquet read gives:
    ``Decimal`` values become ``float64`` (``Int64`` when all are whole), Python integers
    with nulls ``Int64``, ``date``/``datetime`` objects ``datetime64``. Anything else, or
    anything that does not convert cleanly, is returned unchanged.
    """
    if s.dtype != object:
        return s, None
    nonnull = s.dropna()
    if len(nonnull) == 0:
        return s, None
    types = set(nonnull.map(type).unique().tolist())
    numeric = types <= {Decimal, int, float} or all(
        issubclass(t, int | np.integer) and not issubclass(t, bool | np.bool_) for t in types
    )
    cells = (
        [None if v is None or v is pd.NA or v != v else v for v in s.tolist()] if numeric else []
    )
    try:
        if Decimal in types and types <= {Decimal, int, float}:
            floats = pd.Series(
                [None if v is None else float(v) for v in cells],
                index=s.index,
                name=s.name,
                dtype="float64",
            )
            finite = floats.dropna()
            whole = bool(np.isfinite(finite).all() and (finite == finite.round()).all())
            if whole and bool((finite.abs() < 2.0**53).all()):
                return floats.astype("Int64"), "Decimal values read as integers"
            return floats, "Decimal values read as float64"
        if all(
            issubclass(t, int | np.integer) and not issubclass(t, bool | np.bool_) for t in types
        ):
            ints = pd.Series(cells, index=s.index, name=s.name, dtype="Int64")
            return ints, "integer objects read as Int64"
        if all(issubclass(t, _dt.date) for t in types):
            naive = all(getattr(v, "tzinfo", None) is None for v in nonnull.iloc[:1000])
            conv = pd.to_datetime(s, utc=not naive)
            return conv, "date/time objects read as datetime64"
    except (TypeError, ValueError, OverflowError, ArithmeticError):
        return s, None
    return s, None


def analysis_frame(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, str]]:
    """``df`` with every column passed through :func:`analysis_series` (a shallow copy when
    nothing changes), and the conversion notes keyed by column position."""
    notes: dict[int, str] = {}
    cols: list[pd.Series] = []
    for i in range(df.shape[1]):
        conv, note = analysis_series(df.iloc[:, i])
        cols.append(conv)
        if note is not None:
            notes[i] = note
    if not notes:
        return df, notes
    out = df.copy(deep=False)
    for i in notes:
        out.isetitem(i, cols[i].to_numpy() if cols[i].dtype == object else cols[i].array)
    return out, notes


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
def _detect_column(s: pd.Series, name: str, table: str) -> Column:
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
    return Column(
        sdtype="categorical", **base, reason=f"{nuniq} distinct values in {n} non-null rows"
    )


# --- a table -------------------------------------------------------------------------------
def _primary_key(df: pd.DataFrame, table: Table, labels: dict[str, Any]) -> None:
    """Choose a primary key: a unique non-null key column, else a unique pair of id columns."""
    single = singular(table.name)
    candidates: list[tuple[int, str]] = []
    for name, col in table.columns.items():
        if col.sdtype not in {"id", "pii", "numerical", "categorical"}:
            continue
        if col.sdtype == "numerical" and not col.integer:
            continue
        low = name.lower()
        if low in {"id", f"{single}_id", f"{table.name.lower()}_id", f"{single}id"}:
            score = 0
        elif col.sdtype == "id" and is_key_name(name):
            score = 1
        elif col.sdtype == "pii" and col.kind in {"email", "ssn"}:
            score = 2
        elif col.sdtype == "id":
            score = 3
        else:
            continue
        s = df[labels[name]]
        if s.isna().any() or not s.is_unique:
            continue
        candidates.append((score, name))
    if candidates:
        score, best = min(candidates, key=lambda t: (t[0], list(table.columns).index(t[1])))
        table.primary_key = [best]
        table.reason = f"primary key {best!r}: unique, non-null" + (
            ", named like the table's key" if score == 0 else ""
        )
        return
    if not composite_key(df, table):
        table.reason = "no primary key: no unique, non-null key-like column"


def composite_key(df: pd.DataFrame, table: Table, fk_columns: frozenset[str] = frozenset()) -> bool:
    """Set a two-column primary key from key columns whose pairs are unique and non-null."""
    ids = [
        n
        for n, c in table.columns.items()
        if c.sdtype in {"id", "pii"}
        and (is_key_name(n) or n in fk_columns)
        and not df[n].isna().any()
    ]
    for i, a in enumerate(ids[:8]):
        for b in ids[i + 1 : 8]:
            if not df.duplicated(subset=[a, b]).any():
                table.primary_key = [a, b]
                table.reason = f"composite primary key ({a!r}, {b!r}): the pair is unique"
                return True
    return False


def detect_table(df: pd.DataFrame, *, name: str = "table") -> Table:
    """Infer one table's columns (sdtype, dtype, nullability, bounds...) and primary key."""
    try:
        return _detect_table(df, name)
    except SynthoHiveError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, ArithmeticError, AttributeError) as exc:
        raise InvalidDataError(
            f"metadata detection failed: {type(exc).__name__}: {exc}",
            table=name,
            fix="check the column's values, or describe the table with Metadata(...)",
        ) from exc


def _detect_table(df: pd.DataFrame, name: str) -> Table:
    if not isinstance(df, pd.DataFrame):
        raise InvalidDataError(f"expected a pandas DataFrame, got {type(df).__name__}", table=name)
    if df.shape[1] == 0:
        raise EmptyTableError("table has no columns", table=name, fix="pass a non-empty frame")
    labels: dict[str, Any] = {}
    for label in df.columns:
        key = str(label)
        if key in labels:
            raise InvalidDataError(
                f"duplicate column label {key!r}",
                table=name,
                column=key,
                fix="rename the columns so each label is unique",
            )
        labels[key] = label
    frame, notes = analysis_frame(df)
    sample = sample_rows(frame)
    table = Table(name=name)
    for i, key in enumerate(labels):
        col = sample.iloc[:, i]
        full = frame.iloc[:, i]
        original = str(df.dtypes.iloc[i])
        try:
            column = _detect_column(col, key, name)
        except SynthoHiveError:
            raise
        except (ValueError, TypeError, KeyError, IndexError, ArithmeticError) as exc:
            log.warning("detect_column_failed", table=name, column=key, error=str(exc))
            column = Column(
                sdtype="categorical",
                dtype=original,
                reason=f"analysis failed ({type(exc).__name__}); treated as categories",
            )
        if column.nullable is False and full.isna().any():
            column = column.model_copy(update={"nullable": True})
        if i in notes:  # analysed in converted form; restored with the caller's dtype
            why = f"{column.reason} ({notes[i]})" if column.reason else notes[i]
            column = column.model_copy(update={"dtype": original, "reason": why})
        table.columns[key] = column
    _primary_key(_full_by_key(frame, labels), table, {k: k for k in labels})
    return table


def _full_by_key(df: pd.DataFrame, labels: dict[str, Any]) -> pd.DataFrame:
    out = df.copy(deep=False)
    out.columns = list(labels)
    return out


# --- a schema ------------------------------------------------------------------------------
def detect_metadata(
    data: pd.DataFrame | dict[str, pd.DataFrame], *, table_name: str = "table"
) -> Metadata:
    """Detect metadata for one frame or a dict of frames (then foreign keys as well)."""
    from synthohive.constraints.suggest import suggest_constraints

    if isinstance(data, pd.DataFrame):
        table = detect_table(data, name=table_name)
        single = Metadata(tables={table_name: table})
        single.suggested_constraints = suggest_constraints(single, {table_name: data}) or None
        return single
    if not isinstance(data, dict) or not data:
        raise MetadataError(
            f"expected a DataFrame or a non-empty dict of DataFrames, got {type(data).__name__}",
            fix="pass df or {'table': df, ...}",
        )
    tables: dict[str, Table] = {}
    for tname in sorted(data, key=str):
        tables[str(tname)] = detect_table(data[tname], name=str(tname))
    meta = Metadata(tables=tables)
    from synthohive.metadata.relations import detect_relations

    frames = {
        str(k): _full_by_key(analysis_frame(v)[0], {str(c): c for c in v.columns})
        for k, v in data.items()
    }
    shared_pii(meta, frames)
    detect_relations(meta, frames)
    for tname, table in meta.tables.items():
        fks = frozenset(c for r in meta.parents(tname) for c in r.child_columns)
        if not table.primary_key and composite_key(frames[tname], table, fks):
            table.reason = (table.reason or "") + " (columns found to be foreign keys)"
    raw = {str(k): v.set_axis([str(c) for c in v.columns], axis=1) for k, v in data.items()}
    meta.suggested_constraints = suggest_constraints(meta, raw) or None
    from synthohive.synthesizer.sequences import suggest_sequences

    meta.suggested_sequences = suggest_sequences(meta, raw) or None
    return meta
