"""Fake values for PII and free-text columns, made at sample time and never from real values.

Values are built vectorised from per-row 64-bit seeds: ``fill_column`` draws the seeds from
the caller's generator; ``consistent_map`` derives them from a keyed hash of each real value,
so the same real value maps to the same fake in every table and call with the same key
(joins on PII columns survive). Word pools (names, streets, sentences, phone shapes) come
from Faker for the column's locale, seeded deterministically and cached.

``learn_profile`` keeps only aggregate, JSON-safe shape information (phone digit patterns,
the share of free-mail domains, text lengths, null share) — never a raw value.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from synthohive.errors import PrivacyError
from synthohive.log import get_logger
from synthohive.metadata.schema import Column

log = get_logger(__name__)

DEFAULT_LOCALE = "en_US"
FREE_MAIL = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "aol.com"]
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
_LETTERS = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), dtype=object)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)

__all__ = ["KINDS", "consistent_map", "fill_column", "learn_profile"]


# --- seeds ---------------------------------------------------------------------------------
def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, vectorised (uint64 arithmetic wraps)."""
    with np.errstate(over="ignore"):
        z = x.astype(np.uint64, copy=True)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


class _Draw:
    """A stream of independent uint64 columns from one seed per row."""

    def __init__(self, seeds: np.ndarray) -> None:
        self.seeds = seeds.astype(np.uint64)
        self.k = 0

    def u(self) -> np.ndarray:
        self.k += 1
        with np.errstate(over="ignore"):
            return _mix(self.seeds + _GOLDEN * np.uint64(self.k))

    def index(self, size: int) -> np.ndarray:
        return (self.u() % np.uint64(max(size, 1))).astype(np.int64)

    def uniform(self) -> np.ndarray:
        return (self.u() >> np.uint64(11)).astype(np.float64) / float(2**53)

    def digits(self, count: int) -> np.ndarray:
        """(n, count) matrix of decimal digits."""
        cols: list[np.ndarray] = []
        while len(cols) < count:
            v = self.u()
            for _ in range(min(18, count - len(cols))):
                cols.append((v % np.uint64(10)).astype(np.int64))
                v = v // np.uint64(10)
        return np.stack(cols, axis=1) if cols else np.zeros((len(self.seeds), 0), np.int64)


def _join_digits(mat: np.ndarray) -> pd.Series:
    if mat.shape[1] == 0:
        return pd.Series([""] * mat.shape[0], dtype=object)
    chars = (mat.astype(np.uint8) + 48).tobytes()
    width = mat.shape[1]
    arr = np.frombuffer(chars, dtype=f"S{width}").astype(str)
    return pd.Series(arr, dtype=object)


# --- Faker pools ---------------------------------------------------------------------------
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


@lru_cache(maxsize=16)
def _pools(locale: str) -> dict[str, list[str]]:
    from faker import Faker

    fake = Faker(locale)
    fake.seed_instance(20240601)

    def many(fn: Any, k: int) -> list[str]:
        return sorted({str(fn()) for _ in range(k)})

    phones = pd.Series(many(fake.phone_number, 60), dtype=object).str.split("x").str[0]
    shaped = phone_shapes(phones.str.strip())
    ndig = shaped.str.count("d")
    keep = shaped.str.contains(r"[ ().-]", regex=True) & (shaped.str.startswith("+") | (ndig <= 11))
    shapes = sorted(set(shaped[keep].tolist()))
    return {
        "first": many(fake.first_name, 400),
        "last": many(fake.last_name, 400),
        "street": many(fake.street_address, 200),
        "city": many(fake.city, 60),
        "domain": many(fake.domain_name, 60),
        "sentence": many(lambda: fake.sentence(nb_words=12), 200),
        "phone_shape": shapes or ["ddd-ddd-dddd"],
        "iban_shape": sorted({_iban_shape(fake.iban()) for _ in range(20)}),
    }


def phone_shapes(s: pd.Series) -> pd.Series:
    """Digit patterns of phone numbers (``(ddd) ddd-dddd``); a leading ``+cc`` is kept."""
    cc = s.str.extract(r"^(\+\d{1,3})(?=[ .(-])")[0].fillna("")
    rest = s.str.replace(r"^\+\d{1,3}(?=[ .(-])", "", regex=True)
    trunk = rest.str.match(r"^\(?0").fillna(False).astype(bool)
    rest = rest.str.replace(r"\d", "d", regex=True).str.replace(r"[^d +().-]", "", regex=True)
    rest = rest.where(~trunk, rest.str.replace(r"^(\(?)d", r"\g<1>0", regex=True))
    return (cc + rest).astype(object)


def _iban_shape(iban: str) -> str:
    return iban[:2] + "".join("d" if c.isdigit() else "A" for c in iban[2:])


def _pick(pool: list[str], idx: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(pool, dtype=object)[idx], dtype=object)


def _fill_shape(shapes: list[str], weights: list[float] | None, d: _Draw) -> pd.Series:
    """Fill ``d`` (digit) and ``A`` (letter) slots of shapes with random characters."""
    n = len(d.seeds)
    if weights:
        w = np.asarray(weights, dtype=float)
        cum = np.cumsum(w / w.sum())
        which = np.minimum(np.searchsorted(cum, d.uniform(), side="right"), len(shapes) - 1)
    else:
        which = d.index(len(shapes))
    out = np.full(n, "", dtype=object)
    for i, shape in enumerate(shapes):
        rows = np.flatnonzero(which == i)
        if len(rows) == 0:
            continue
        sub = _Draw(d.seeds[rows] ^ np.uint64(0x5DEECE66D * (i + 1)))
        nd = shape.count("d")
        digs = sub.digits(nd)
        if nd >= 10:  # NANP-style: area code and exchange never start with 0 or 1
            off = nd - 10
            digs[:, off] = 2 + digs[:, off] % 8
            digs[:, off + 3] = 2 + digs[:, off + 3] % 8
        letters = (sub.u()[:, None] >> np.arange(0, 60, 5, dtype=np.uint64)) % np.uint64(26)
        parts: list[pd.Series] = []
        di = li = 0
        for ch in shape:
            if ch == "d":
                parts.append(_join_digits(digs[:, di : di + 1]))
                di += 1
            elif ch == "A":
                col = letters[:, li % letters.shape[1]].astype(np.int64)
                parts.append(pd.Series(_LETTERS[col], dtype=object))
                li += 1
            else:
                parts.append(pd.Series([ch] * len(rows), dtype=object))
        out[rows] = _concat(parts, "", len(rows)).to_numpy(dtype=object)
    return pd.Series(out, dtype=object)


def _concat(parts: list[pd.Series], sep: str, n: int) -> pd.Series:
    """Element-wise string concatenation of equally long Series."""
    if not parts:
        return pd.Series([""] * n, dtype=object)
    out = parts[0].reset_index(drop=True).astype(object)
    for p in parts[1:]:
        out = out + sep + p.reset_index(drop=True).astype(object)
    return out


# --- kinds ---------------------------------------------------------------------------------
def _luhn_complete(body: np.ndarray) -> np.ndarray:
    """Append the Luhn check digit to each row of a digit matrix."""
    rev = body[:, ::-1]
    dbl = rev[:, 0::2] * 2
    dbl = np.where(dbl > 9, dbl - 9, dbl)
    total = dbl.sum(axis=1) + rev[:, 1::2].sum(axis=1)
    check = (10 - total % 10) % 10
    return np.concatenate([body, check[:, None]], axis=1)


_CARD_PREFIXES = [("4", 16), ("51", 16), ("52", 16), ("55", 16), ("37", 15), ("6011", 16)]


def _cards(d: _Draw) -> pd.Series:
    n = len(d.seeds)
    which = d.index(len(_CARD_PREFIXES))
    digs = d.digits(19)
    out = np.full(n, "", dtype=object)
    for i, (prefix, length) in enumerate(_CARD_PREFIXES):
        rows = np.flatnonzero(which == i)
        if len(rows) == 0:
            continue
        pre = np.tile(np.array([int(c) for c in prefix]), (len(rows), 1))
        body = np.concatenate([pre, digs[rows, : length - 1 - len(prefix)]], axis=1)
        out[rows] = _join_digits(_luhn_complete(body)).to_numpy(dtype=object)
    return pd.Series(out, dtype=object)


def _ibans(pools: dict[str, list[str]], d: _Draw) -> pd.Series:
    shapes = [s[:2] + "00" + s[4:] for s in pools["iban_shape"]]
    raw = _fill_shape(shapes, None, d)
    rearr = raw.str[4:] + raw.str[:2] + "00"
    width = int(rearr.str.len().max())
    arr = rearr.str.pad(width, side="left", fillchar="0").to_numpy(dtype=str)
    mat = np.frombuffer("".join(arr).encode("ascii"), dtype=np.uint8).reshape(-1, width)
    rem = np.zeros(len(arr), dtype=np.int64)
    for j in range(width):
        c = mat[:, j].astype(np.int64)
        dig = c < 65
        rem = np.where(dig, (rem * 10 + c - 48) % 97, (rem * 100 + c - 55) % 97)
    check = pd.Series(98 - rem).astype(str).str.zfill(2)
    return raw.str[:2] + check + raw.str[4:]


def _ssns(d: _Draw, dashes: bool) -> pd.Series:
    area = 1 + d.index(899)
    area = np.where(area == 666, 667, area)
    group = 1 + d.index(99)
    serial = 1 + d.index(9999)
    a = pd.Series(area).astype(str).str.zfill(3)
    g = pd.Series(group).astype(str).str.zfill(2)
    s = pd.Series(serial).astype(str).str.zfill(4)
    sep = "-" if dashes else ""
    return (a + sep + g + sep + s).astype(object)


def _ips(d: _Draw, v6_share: float) -> pd.Series:
    octets = [pd.Series(1 + d.index(223) if i == 0 else d.index(256)).astype(str) for i in range(4)]
    v4 = _concat(octets, ".", len(d.seeds))
    groups = [pd.Series(d.index(65536)).map("{:x}".format) for _ in range(8)]
    v6 = ("2001:db8:" + _concat(groups[:6], ":", len(d.seeds))).astype(object)
    return v4.where(d.uniform() >= v6_share, v6).astype(object)


def _emails(pools: dict[str, list[str]], d: _Draw, profile: dict[str, Any]) -> pd.Series:
    first = _pick(pools["first"], d.index(len(pools["first"]))).str.lower()
    last = _pick(pools["last"], d.index(len(pools["last"]))).str.lower()
    style = d.index(4)
    num = pd.Series(d.index(10000)).astype(str)
    local = (first + "." + last).where(style == 0, first + last)
    local = local.where(style != 2, first.str[0] + last + num.str[:2])
    local = local.where(style != 3, first + "_" + last + num)
    local = local.str.replace(r"[^a-z0-9._]", "", regex=True)
    free_share = float(profile.get("free_mail_share", 0.6))
    free = _pick(FREE_MAIL, d.index(len(FREE_MAIL)))
    corp = _pick(pools["domain"], d.index(len(pools["domain"])))
    domain = free.where(d.uniform() < free_share, corp)
    return (local + num.str[-1] + "@" + domain).astype(object)


def _dates_of_birth(d: _Draw, profile: dict[str, Any]) -> pd.Series:
    lo = int(profile.get("min_year", 1935))
    hi = int(profile.get("max_year", 2005))
    start = pd.Timestamp(f"{lo}-01-01")
    days = (pd.Timestamp(f"{max(hi, lo)}-12-31") - start).days + 1
    return pd.Series(start + pd.to_timedelta(d.index(days), unit="D"))


def _texts(pools: dict[str, list[str]], d: _Draw, profile: dict[str, Any]) -> pd.Series:
    target = float(profile.get("mean_length", 80.0))
    sent = pools["sentence"]
    mean_len = float(np.mean([len(s) for s in sent])) if sent else 1.0
    per = max(1, round(target / max(mean_len, 1.0)))
    parts = [_pick(sent, d.index(len(sent))) for _ in range(int(min(per, 20)))]
    text = _concat(parts, " ", len(d.seeds))
    return text.str.slice(0, int(max(target * 2, 10))).astype(object)


def _generate(kind: str, d: _Draw, locale: str, profile: dict[str, Any]) -> pd.Series:
    pools = _pools(locale)
    if kind == "email":
        return _emails(pools, d, profile)
    if kind == "phone":
        shapes = profile.get("phone_shapes") or pools["phone_shape"]
        weights = profile.get("phone_weights") if profile.get("phone_shapes") else None
        return _fill_shape(list(shapes), weights, d)
    if kind in {"name", "first_name", "last_name"}:
        first = _pick(pools["first"], d.index(len(pools["first"])))
        last = _pick(pools["last"], d.index(len(pools["last"])))
        out = first if kind == "first_name" else last if kind == "last_name" else first + " " + last
        case = profile.get("case")
        if case == "upper":
            out = out.str.upper()
        elif case == "lower":
            out = out.str.lower()
        return out.astype(object)
    if kind == "address":
        street = _pick(pools["street"], d.index(len(pools["street"])))
        num = pd.Series(1 + d.index(9999)).astype(str)
        return street.str.replace(r"^\d+", "", regex=True).radd(num).astype(object)
    if kind == "ssn":
        return _ssns(d, bool(profile.get("dashes", True)))
    if kind == "credit_card":
        return _cards(d)
    if kind == "iban":
        return _ibans(pools, d)
    if kind == "ip":
        return _ips(d, float(profile.get("ipv6_share", 0.0)))
    if kind == "date_of_birth":
        return _dates_of_birth(d, profile)
    if kind == "text":
        return _texts(pools, d, profile)
    # unknown kind: opaque tokens shaped like the profile's length
    length = int(profile.get("mean_length", 12))
    return _fill_shape(["A" * max(1, min(length, 40))], None, d)


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
    d = _Draw(seeds)
    values = _generate(kind, d, locale, prof).reset_index(drop=True)
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
    fakes = _generate(kind, _Draw(seeds), locale, {}).reset_index(drop=True)
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
            new_seeds = _mix(seeds[rows] ^ np.uint64((attempt * 0x2545F4914F6CDD1D) % 2**64))
        redo = _generate(kind, _Draw(new_seeds), locale, profile)
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
    return prof
