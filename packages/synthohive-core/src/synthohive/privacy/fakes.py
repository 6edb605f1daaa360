"""Fake values of each PII kind, built vectorised from one 64-bit seed per row.

:class:`Draw` turns the seeds into independent streams (splitmix64); :func:`generate` makes
``kind`` values from them, with word pools (names, streets, sentences, phone shapes) taken
from Faker for the locale, seeded deterministically and cached. Callers
(:mod:`synthohive.privacy.providers`) choose the seeds and restore the column's dtype.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

FREE_MAIL = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "aol.com"]
_LETTERS = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), dtype=object)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)

__all__ = ["FREE_MAIL", "Draw", "generate", "mix", "phone_shapes"]


# --- seeds ---------------------------------------------------------------------------------
def mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, vectorised (uint64 arithmetic wraps)."""
    with np.errstate(over="ignore"):
        z = x.astype(np.uint64, copy=True)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


class Draw:
    """A stream of independent uint64 columns from one seed per row."""

    def __init__(self, seeds: np.ndarray) -> None:
        self.seeds = seeds.astype(np.uint64)
        self.k = 0

    def u(self) -> np.ndarray:
        """The next uint64 column."""
        self.k += 1
        with np.errstate(over="ignore"):
            return mix(self.seeds + _GOLDEN * np.uint64(self.k))

    def index(self, size: int) -> np.ndarray:
        """Indices in ``0..size-1``."""
        return (self.u() % np.uint64(max(size, 1))).astype(np.int64)

    def uniform(self) -> np.ndarray:
        """Floats in ``[0, 1)`` with 53 random bits."""
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


def _fill_shape(shapes: list[str], weights: list[float] | None, d: Draw) -> pd.Series:
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
        sub = Draw(d.seeds[rows] ^ np.uint64(0x5DEECE66D * (i + 1)))
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


def _cards(d: Draw) -> pd.Series:
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


def _ibans(pools: dict[str, list[str]], d: Draw) -> pd.Series:
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


def _ssns(d: Draw, dashes: bool) -> pd.Series:
    area = 1 + d.index(899)
    area = np.where(area == 666, 667, area)
    group = 1 + d.index(99)
    serial = 1 + d.index(9999)
    a = pd.Series(area).astype(str).str.zfill(3)
    g = pd.Series(group).astype(str).str.zfill(2)
    s = pd.Series(serial).astype(str).str.zfill(4)
    sep = "-" if dashes else ""
    return (a + sep + g + sep + s).astype(object)


def _ips(d: Draw, v6_share: float) -> pd.Series:
    octets = [pd.Series(1 + d.index(223) if i == 0 else d.index(256)).astype(str) for i in range(4)]
    v4 = _concat(octets, ".", len(d.seeds))
    groups = [pd.Series(d.index(65536)).map("{:x}".format) for _ in range(8)]
    v6 = ("2001:db8:" + _concat(groups[:6], ":", len(d.seeds))).astype(object)
    return v4.where(d.uniform() >= v6_share, v6).astype(object)


def _emails(pools: dict[str, list[str]], d: Draw, profile: dict[str, Any]) -> pd.Series:
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


def _dates_of_birth(d: Draw, profile: dict[str, Any]) -> pd.Series:
    lo = int(profile.get("min_year", 1935))
    hi = int(profile.get("max_year", 2005))
    start = pd.Timestamp(f"{lo}-01-01")
    days = (pd.Timestamp(f"{max(hi, lo)}-12-31") - start).days + 1
    return pd.Series(start + pd.to_timedelta(d.index(days), unit="D"))


LABEL_MAX_WORDS = 8
"""Most words of a generated label (a short text column: titles, names of things)."""


def _labels(pools: dict[str, list[str]], d: Draw, mean_words: float) -> pd.Series:
    """Short title-cased labels of 1 to ``2 * mean_words - 1`` words (mean ``mean_words``)."""
    words = sorted({w.strip(".,").capitalize() for s in pools["sentence"] for w in s.split()})
    spread = max(1.0, 2.0 * mean_words - 1.0)
    count = np.clip(1 + np.floor(d.uniform() * spread), 1, LABEL_MAX_WORDS).astype(np.int64)
    parts = [_pick(words, d.index(len(words))) for _ in range(LABEL_MAX_WORDS)]
    out = parts[0].astype(object)
    for j, part in enumerate(parts[1:], start=2):
        out = out.where(count < j, out + " " + part)
    return out.astype(object)


def _texts(pools: dict[str, list[str]], d: Draw, profile: dict[str, Any]) -> pd.Series:
    target = float(profile.get("mean_length", 80.0))
    mean_words = profile.get("mean_words")
    if mean_words is not None and target < 50:  # labels (titles, names of things)
        return _labels(pools, d, float(mean_words))
    sent = pools["sentence"]
    mean_len = float(np.mean([len(s) for s in sent])) if sent else 1.0
    per = max(1, round(target / max(mean_len, 1.0)))
    parts = [_pick(sent, d.index(len(sent))) for _ in range(int(min(per, 20)))]
    text = _concat(parts, " ", len(d.seeds))
    return text.str.slice(0, int(max(target * 2, 10))).astype(object)


def generate(kind: str, d: Draw, locale: str, profile: dict[str, Any]) -> pd.Series:
    """One fake ``kind`` value per seed of ``d``, shaped by ``profile`` (see ``learn_profile``)."""
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
