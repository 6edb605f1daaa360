"""Fake values for PII and free-text columns, made at sample time and never from real values.

Values are built vectorised from per-row 64-bit seeds: ``fill_column`` draws the seeds from
the caller's generator; ``consistent_map`` derives them from a keyed hash of each real value,
so the same real value maps to the same fake in every table and call with the same key
(joins on PII columns survive). The values of each kind are made in
:mod:`synthohive.privacy.fakes`.

``learn_profile`` keeps only aggregate, JSON-safe shape information (phone digit patterns,
the share of free-mail domains, text lengths, null share) — never a raw value.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd

from synthohive.errors import PrivacyError
from synthohive.log import get_logger
from synthohive.metadata.schema import Column
from synthohive.privacy.fakes import FREE_MAIL, Draw, generate, mix, phone_shapes

log = get_logger(__name__)

DEFAULT_LOCALE = "en_US"
KINDS = [
    "email",
    "phone",
    "name",
    "first_name",
    "last_name",
    "address",
    "ssn",
    "credit_card",
    "iban",
    "ip",
    "date_of_birth",
    "text",
]

__all__ = ["KINDS", "consistent_map", "fill_column", "learn_profile"]


# --- Faker locales ------------------------------------------------------------------------
def _check_locale(column: Column, name: str | None) -> str:
    from faker.config import AVAILABLE_LOCALES

    loc = column.locale or DEFAULT_LOCALE
    if loc not in AVAILABLE_LOCALES:
        raise PrivacyError(
            f"unknown Faker locale {loc!r}",
            column=name,
            fix="use a locale Faker knows, e.g. 'en_US', 'de_DE', 'fr_FR' "
            "(faker.config.AVAILABLE_LOCALES)",
        )
    return loc


def _kind(column: Column) -> str:
    if column.sdtype == "text":
        return "text"
    return column.kind or "text"


def _restore_dtype(values: pd.Series, column: Column, kind: str) -> pd.Series:
    """Cast generated values to the column's recorded dtype (strings when unknown)."""
    dtype: Any = column.dtype
    try:
        if kind == "date_of_birth":
            if dtype and str(dtype).startswith("datetime64"):
                target = pd.api.types.pandas_dtype(dtype)
                tz = getattr(target, "tz", None)
                return (values.dt.tz_localize(tz) if tz is not None else values).astype(target)
            fmt = column.format or "%Y-%m-%d"
            return values.dt.strftime(fmt).astype(dtype or "str")
        if dtype and str(dtype).startswith(("int", "Int", "uint", "UInt")):
            digits = values.astype(str).str.replace(r"\D", "", regex=True).str[:18]
            return pd.to_numeric(digits, errors="coerce").astype(dtype)
        if dtype:
            return values.astype(dtype)
    except (TypeError, ValueError):
        log.warning("fill_dtype_fallback", dtype=str(dtype), kind=kind)
    return values.astype("str")


def _with_nulls(values: pd.Series, mask: np.ndarray) -> pd.Series:
    if not mask.any():
        return values
    return values.mask(pd.Series(mask, index=values.index))


# --- public ------------------------------------------------------------------------------
def fill_column(
    column: Column,
    n: int,
    rng: np.random.Generator,
    *,
    profile: dict[str, Any] | None = None,
    name: str | None = None,
    unique: bool = False,
) -> pd.Series:
    """``n`` fake values for a PII or text column, deterministic for a seeded ``rng``.

    ``profile`` (from ``learn_profile``) makes the output follow the column's observed shape
    and null share; ``unique`` makes every value distinct (for key columns; no nulls then).
    ``PrivacyError`` for an unknown locale.
    """
    locale = _check_locale(column, name)
    prof = profile or {}
    kind = _kind(column)
    seeds = rng.integers(0, 2**64, size=max(n, 0), dtype=np.uint64, endpoint=False)
    d = Draw(seeds)
    values = generate(kind, d, locale, prof).reset_index(drop=True)
    if unique and len(values):
        values = _resolve_collisions(values, seeds, kind, locale, prof)
    out = _restore_dtype(values, column, kind)
    null_rate = float(prof.get("null_rate", 0.0))
    if null_rate > 0 and column.nullable and not unique:
        out = _with_nulls(out, d.uniform() < null_rate)
    return out.rename(name)


def _normalise(values: pd.Series, kind: str) -> pd.Series:
    s = values.astype(str).str.strip()
    if kind == "email":
        return s.str.lower()
    if kind in {"phone", "ssn", "credit_card"}:
        return s.str.replace(r"\D", "", regex=True)
    if kind == "iban":
        return s.str.replace(r"\s", "", regex=True).str.upper()
    return s


def _hash_key(key: str | bytes | None, seed: int | None, column: str) -> str:
    material = key.encode() if isinstance(key, str) else key or b""
    material += f"|{seed}|{column}".encode()
    return hashlib.sha256(material).hexdigest()[:16]


def consistent_map(
    values: pd.Series,
    column: Column,
    *,
    key: str | bytes | None = None,
    seed: int | None = None,
    unique: bool = True,
    name: str | None = None,
    universe: pd.Series | None = None,
) -> pd.Series:
    """Replace each real value by a fake one; equal (normalised) values get equal fakes.

    The fake depends only on the value, ``key``/``seed`` and the column kind, so two tables
    mapped with the same key stay joinable. With ``unique`` distinct inputs get distinct
    outputs: collisions are re-drawn in sorted order of the distinct values, so the result
    depends on the set of values mapped. Where a key column and its foreign keys are mapped
    in separate calls, pass the key's values as ``universe`` to every call: collisions are
    then resolved over the same set and joins hold exactly. Nulls stay null.
    """
    locale = _check_locale(column, name)
    kind = _kind(column)
    mask = values.isna().to_numpy()
    norm = _normalise(values[~mask], kind)
    if universe is not None and unique:
        every = pd.concat([_normalise(universe.dropna(), kind), norm], ignore_index=True)
        _, uniques = pd.factorize(every, sort=True)
        codes = pd.Index(uniques).get_indexer(norm)
    else:
        codes, uniques = pd.factorize(norm, sort=True)
    hk = _hash_key(key, seed, kind)
    seeds = pd.util.hash_array(np.asarray(uniques, dtype=object), hash_key=hk)
    fakes = generate(kind, Draw(seeds), locale, {}).reset_index(drop=True)
    if unique and len(fakes):
        fakes = _resolve_collisions(fakes, seeds, kind, locale, {})
    fakes = _restore_dtype(fakes, column, kind)
    out = pd.Series(pd.NA, index=values.index, dtype=object)
    if len(codes):
        out.iloc[np.flatnonzero(~mask)] = fakes.to_numpy(dtype=object)[codes]
    label: Any = name if name is not None else values.name
    try:
        return out.astype(fakes.dtype).rename(label)
    except (TypeError, ValueError):
        return out.rename(label)


def _resolve_collisions(
    fakes: pd.Series, seeds: np.ndarray, kind: str, locale: str, profile: dict[str, Any]
) -> pd.Series:
    """Re-draw duplicates (later ones, deterministically); suffix what still collides."""
    fakes = fakes.astype(object).copy()
    for attempt in range(1, 9):
        dup = fakes.astype(str).duplicated(keep="first").to_numpy()
        if not dup.any():
            return fakes
        rows = np.flatnonzero(dup)
        with np.errstate(over="ignore"):
            new_seeds = mix(seeds[rows] ^ np.uint64((attempt * 0x2545F4914F6CDD1D) % 2**64))
        redo = generate(kind, Draw(new_seeds), locale, profile)
        fakes.iloc[rows] = redo.to_numpy(dtype=object)
    dup = fakes.astype(str).duplicated(keep="first").to_numpy()
    if dup.any():
        rows = np.flatnonzero(dup)
        fakes.iloc[rows] = (
            fakes.iloc[rows].astype(str) + "-" + pd.Series(rows).astype(str).to_numpy()
        ).to_numpy(dtype=object)
    return fakes


def learn_profile(series: pd.Series, column: Column) -> dict[str, Any]:
    """Aggregate, JSON-safe shape of a PII/text column (no raw values)."""
    kind = _kind(column)
    n = len(series)
    nonnull = series.dropna()
    prof: dict[str, Any] = {"null_rate": float(1 - len(nonnull) / n) if n else 0.0}
    if len(nonnull) == 0:
        return prof
    s = nonnull.astype(str).iloc[:20_000]
    if kind == "phone":
        shapes = phone_shapes(s)
        counts = shapes.value_counts()
        counts = counts[counts >= max(2, 0.01 * len(s))].iloc[:5]
        if len(counts):
            prof["phone_shapes"] = [str(x) for x in counts.index]
            prof["phone_weights"] = [float(v) / float(counts.sum()) for v in counts]
    elif kind == "email":
        domain = s.str.rsplit("@", n=1).str[-1].str.lower()
        prof["free_mail_share"] = float(domain.isin(FREE_MAIL).mean())
    elif kind in {"name", "first_name", "last_name"}:
        if bool((s == s.str.upper()).mean() > 0.8):
            prof["case"] = "upper"
        elif bool((s == s.str.lower()).mean() > 0.8):
            prof["case"] = "lower"
    elif kind == "ssn":
        prof["dashes"] = bool(s.str.contains("-", regex=False).mean() >= 0.5)
    elif kind == "ip":
        prof["ipv6_share"] = float(s.str.contains(":", regex=False).mean())
    elif kind == "date_of_birth":
        years = pd.to_datetime(nonnull, errors="coerce", format=column.format).dt.year.dropna()
        if len(years):
            prof["min_year"] = int(years.quantile(0.01))
            prof["max_year"] = int(years.quantile(0.99))
    else:
        prof["mean_length"] = float(s.str.len().mean())
        words = float((s.str.count(" ") + 1).mean())
        if column.sdtype == "text" and prof["mean_length"] < 50 and words < 6:  # labels
            prof["mean_words"] = words
    return prof
