"""Value recognisers for PII kinds, vectorised over a bounded sample of strings.

Each ``is_<kind>(series) -> bool Series`` checks shape with an anchored, linear-time regex
and then the kind's own rule: Luhn for card numbers, ISO 13616 mod-97 for IBANs, SSA
area/group/serial rules for US SSNs, NANP rules for national phone numbers. Values longer
than ``MAX_VALUE_LEN`` never match and are rejected before any regex runs.
"""

from __future__ import annotations

import ipaddress
import re

import numpy as np
import pandas as pd

MAX_VALUE_LEN = 320

__all__ = [
    "MAX_VALUE_LEN",
    "is_address",
    "is_credit_card",
    "is_datetime_like",
    "is_email",
    "is_iban",
    "is_ip",
    "is_person_name",
    "is_phone",
    "is_ssn",
    "luhn_ok",
    "mod97_ok",
    "short_enough",
]

# --- recognisers (vectorised over a bounded sample) ---------------------------------------
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}")
_IPV4 = re.compile(
    r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}"
)
_IPV6_CHARS = re.compile(r"[0-9A-Fa-f:.]{2,45}")
_PHONE_EXT = re.compile(r" ?(?:x|ext\.? ?|#)\d{1,6}$", re.IGNORECASE)
_PHONE_CHARS = re.compile(r"\+?[0-9(][0-9 ().-]{5,24}")
_SSN_DASH = re.compile(r"(\d{3})-(\d{2})-(\d{4})")
_SSN_ANY = re.compile(r"(\d{3})[- ]?(\d{2})[- ]?(\d{4})")
_CARD_CHARS = re.compile(r"[0-9][0-9 -]{11,24}")
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_PERSON = re.compile(r"[A-Z][a-z'’-]{1,30}(?: [A-Z][a-z'’.-]{0,30}){0,3}")
_PERSON_ONE = re.compile(r"[A-Z][a-z'’-]{1,30}")
_STREET_START = re.compile(r"\d{1,6}[A-Za-z]?,? ")
_STREET_WORD = re.compile(
    r"\b(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|place|pl|"
    r"way|terrace|circle|cir|highway|hwy|parkway|pkwy|square|sq|trail|trl|suite|apt|"
    r"strasse|straße|weg|allee|platz|rue|calle|via|crossing|underpass|overpass|keys?|locks?|"
    r"mews|park|ridge|route|row|run|station|summit|valley|view|village|ville|vista|walk|"
    r"bridge|brook|burg|camp|canyon|cape|club|corners?|creek|crest|estates?|falls|ferry|"
    r"fields?|ford|forest|fork|fort|freeway|gardens?|gateway|glen|green|grove|harbor|haven|"
    r"heights|hills?|hollow|island|isle|junction|knolls?|lakes?|landing|lights?|manor|"
    r"meadows?|mills?|mission|mount|mountain|orchard|oval|pass|path|pike|pines?|plains?|"
    r"plaza|point|ports?|prairie|ranch|rapids?|shores?|springs?|spur|stream|tunnel|"
    r"turnpike|unions?|wells?|expressway|inlet|loop|alley|bypass|causeway|center|common)"
    r"\b\.?",
    re.IGNORECASE,
)
_STREET_DE = re.compile(r"[A-Za-zÀ-ÿ .-]{3,60}(?:straße|strasse|weg|allee|platz) \d{1,5}[a-z]?")


def short_enough(s: pd.Series) -> pd.Series:
    """Boolean mask of values short enough to be checked (long ones never match)."""
    return s.str.len() <= MAX_VALUE_LEN


def _fullmatch(s: pd.Series, rx: re.Pattern[str]) -> pd.Series:
    ok = short_enough(s)
    out = pd.Series(False, index=s.index)
    if ok.any():
        out[ok] = s[ok].str.fullmatch(rx).fillna(False).astype(bool)
    return out


def _digits_only(s: pd.Series) -> pd.Series:
    return s.str.replace(r"[^0-9]", "", regex=True)


def is_email(s: pd.Series) -> pd.Series:
    """Valid e-mail addresses (local@domain.tld, ≤ 254 chars)."""
    return _fullmatch(s.str.strip(), _EMAIL) & (s.str.len() <= 254)


def _nanp_ok(d: pd.Series) -> pd.Series:
    """North American numbering rules for 10-digit national numbers."""
    area1 = d.str[0]
    exch1 = d.str[3]
    return d.str.len().eq(10) & ~area1.isin(["0", "1"]) & ~exch1.isin(["0", "1"])


def is_phone(s: pd.Series, *, relaxed: bool = False) -> pd.Series:
    """Phone numbers: E.164 (``+`` and 8–15 digits) or national formats with separators.

    Digits alone (``2025550143``) only count when ``relaxed`` (the column name says phone),
    so numeric IDs are never taken for phone numbers.
    """
    s = s.where(short_enough(s), "").str.strip()
    s = s.str.replace(_PHONE_EXT, "", regex=True)  # "x1234" / "ext. 12" extensions
    s = s.str.replace(r"^00(?=[1-9])", "+", regex=True)  # international prefix 00 -> +
    shaped = _fullmatch(s, _PHONE_CHARS)
    d = _digits_only(s.where(shaped, ""))
    nd = d.str.len()
    plus = s.str.startswith("+")
    has_sep = s.str.contains(r"[ ().-]", regex=True)
    e164 = plus & nd.between(8, 15) & ~d.str.startswith("0")
    us = _nanp_ok(d) | (nd.eq(11) & d.str.startswith("1") & _nanp_ok(d.str[1:]))
    national0 = d.str.startswith("0") & nd.between(10, 11)
    grouped = s.str.fullmatch(
        r"\+?[0-9]{0,3}[ .-]?\(?[0-9]{2,5}\)?[ .-]?[0-9]{2,8}(?:[ .-][0-9]{2,8}){0,3}"
    )
    grouped = grouped.fillna(False).astype(bool) & short_enough(s)
    out = shaped & (e164 | (has_sep & grouped & (us | national0)))
    if relaxed:
        out = out | (shaped & nd.between(7, 15))
    return out


def is_ssn(s: pd.Series, *, relaxed: bool = False) -> pd.Series:
    """US SSNs ``ddd-dd-dddd`` (or 9 digits when ``relaxed``) passing the SSA range rules:
    area not 000, 666 or 9xx; group not 00; serial not 0000."""
    s = s.str.strip()
    rx = _SSN_ANY if relaxed else _SSN_DASH
    ok = _fullmatch(s, rx)
    parts = s.where(ok, "000-00-0000").str.extract(_SSN_ANY)
    area = pd.to_numeric(parts[0], errors="coerce").fillna(0)
    group = pd.to_numeric(parts[1], errors="coerce").fillna(0)
    serial = pd.to_numeric(parts[2], errors="coerce").fillna(0)
    valid = (area > 0) & (area != 666) & (area < 900) & (group > 0) & (serial > 0)
    return ok & valid


def luhn_ok(digits: pd.Series) -> pd.Series:
    """Luhn checksum over strings of digits (vectorised with a padded digit matrix)."""
    if len(digits) == 0:
        return pd.Series([], dtype=bool)
    width = int(digits.str.len().max())
    padded = digits.str.zfill(width).to_numpy(dtype=str)
    raw = np.frombuffer("".join(padded).encode("ascii"), dtype=np.uint8).reshape(-1, width)
    mat = raw.astype(np.int64) - 48
    rev = mat[:, ::-1]
    dbl = rev[:, 1::2] * 2
    dbl = np.where(dbl > 9, dbl - 9, dbl)
    total = rev[:, 0::2].sum(axis=1) + dbl.sum(axis=1)
    return pd.Series(total % 10 == 0, index=digits.index)


_IIN = re.compile(
    r"4\d{12}(?:\d{3}){0,2}|5[1-5]\d{14}|2(?:2[2-9]|[3-6]\d|7[01]|720)\d{12}|3[47]\d{13}"
    r"|6(?:011|5\d\d|4[4-9]\d)\d{12,15}|35(?:2[89]|[3-8]\d)\d{12,15}|3(?:0[0-5]|[68]\d)\d{11,16}"
    r"|62\d{14,17}|(?:5[06-8]|6\d)\d{10,17}"
)


def is_credit_card(s: pd.Series, *, relaxed: bool = False) -> pd.Series:
    """Card numbers: 13–19 digits (spaces/dashes allowed), a known issuer prefix (any prefix
    when ``relaxed``) and a valid Luhn checksum."""
    s = s.str.strip()
    shaped = _fullmatch(s, _CARD_CHARS)
    d = _digits_only(s.where(shaped, ""))
    nd = d.str.len()
    lo = 12 if relaxed else 13
    ok = shaped & nd.between(lo, 19)
    if not ok.any():
        return ok
    if not relaxed:
        ok = ok & d.str.fullmatch(_IIN).fillna(False).astype(bool)
    if not ok.any():
        return ok
    out = pd.Series(False, index=s.index)
    out[ok] = luhn_ok(d[ok])
    return out & ~d.str.fullmatch(r"(\d)\1*").fillna(False).astype(bool)


def mod97_ok(iban: pd.Series) -> pd.Series:
    """ISO 13616 check (rearranged IBAN as a number mod 97 == 1), vectorised."""
    if len(iban) == 0:
        return pd.Series([], dtype=bool)
    rearranged = iban.str[4:] + iban.str[:4]
    width = int(rearranged.str.len().max())
    arr = rearranged.str.pad(width, side="left", fillchar="0").to_numpy(dtype=str)
    mat = np.frombuffer("".join(arr).encode("ascii"), dtype=np.uint8).reshape(-1, width)
    mat = mat.astype(np.int64)
    rem = np.zeros(len(arr), dtype=np.int64)
    for j in range(width):  # loop over character positions, vectorised over values
        c = mat[:, j]
        is_digit = c < 65
        val = np.where(is_digit, c - 48, c - 55)
        rem = np.where(is_digit, (rem * 10 + val) % 97, (rem * 100 + val) % 97)
    return pd.Series(rem == 1, index=iban.index)


_IBAN_LEN = {
    "AD": 24,
    "AT": 20,
    "BE": 16,
    "BG": 22,
    "CH": 21,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DK": 18,
    "EE": 20,
    "ES": 24,
    "FI": 18,
    "FR": 27,
    "GB": 22,
    "GR": 27,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IS": 26,
    "IT": 27,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "MC": 27,
    "MT": 31,
    "NL": 18,
    "NO": 15,
    "PL": 28,
    "PT": 25,
    "RO": 24,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "TR": 26,
}


def is_iban(s: pd.Series, *, relaxed: bool = False) -> pd.Series:
    """IBANs (spaces allowed) with a valid mod-97 check and, unless ``relaxed``, the right
    length for a known country."""
    compact = s.where(short_enough(s), "").str.replace(" ", "", regex=False).str.upper()
    ok = _fullmatch(compact, _IBAN)
    if not relaxed:
        expected = compact.str[:2].map(_IBAN_LEN)
        ok = ok & (expected.isna() | (compact.str.len() == expected.fillna(0)))
    if not ok.any():
        return ok
    out = pd.Series(False, index=s.index)
    out[ok] = mod97_ok(compact[ok])
    return out


def _ipv6_one(v: str) -> bool:
    try:
        ipaddress.IPv6Address(v)
    except ValueError:
        return False
    return True


def is_ip(s: pd.Series) -> pd.Series:
    """IPv4 dotted quads or IPv6 addresses."""
    s = s.str.strip()
    v4 = _fullmatch(s, _IPV4)
    cand = ~v4 & _fullmatch(s, _IPV6_CHARS) & (s.str.count(":") >= 2)
    v6 = pd.Series(False, index=s.index)
    if cand.any():  # bounded sample; ipaddress is the reference parser
        v6[cand] = s[cand].map(_ipv6_one).astype(bool)
    return v4 | v6


def _known_first_names() -> frozenset[str]:
    from faker.providers.person.en_US import Provider

    names = set(Provider.first_names_male) | set(Provider.first_names_female)
    return frozenset(names)


_FIRST_NAMES: frozenset[str] | None = None


def is_person_name(s: pd.Series, *, relaxed: bool = False, single: bool = False) -> pd.Series:
    """Person-name shape: capitalised words (one for first/last name columns). From values
    alone (not ``relaxed``) the first word must also be a common first name."""
    global _FIRST_NAMES
    s = s.str.strip()
    shaped = _fullmatch(s, _PERSON_ONE if single else _PERSON)
    if relaxed:
        return shaped
    if _FIRST_NAMES is None:
        _FIRST_NAMES = _known_first_names()
    first = s.str.split(" ", n=1).str[0]
    two_words = s.str.count(" ") >= 1
    return shaped & two_words & first.isin(_FIRST_NAMES)


def is_address(s: pd.Series, *, relaxed: bool = False) -> pd.Series:
    """Street addresses: a house number then a street word (``12 Main St``), or
    ``Hauptstraße 5``-style; with ``relaxed``, letters plus digits and a space suffice."""
    s = s.str.strip()
    ok = short_enough(s)
    t = s.where(ok, "")
    numbered = t.str.match(_STREET_START).fillna(False).astype(bool)
    word = t.str.contains(_STREET_WORD, regex=True).fillna(False).astype(bool)
    de = t.str.match(_STREET_DE).fillna(False).astype(bool)
    out = ok & ((numbered & word) | de)
    if relaxed:
        loose = t.str.contains(r"[A-Za-z]", regex=True) & t.str.contains(r"\d", regex=True)
        out = out | (ok & loose & t.str.contains(" ", regex=False))
    return out


def is_datetime_like(series: pd.Series, sample: pd.Series) -> pd.Series:
    """Which sampled values are dates (all of them when ``series`` has a datetime dtype)."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return pd.Series(True, index=sample.index)
    t = sample.where(short_enough(sample) & (sample.str.len() <= 40), "")
    parsed = pd.to_datetime(t, errors="coerce", format="mixed")
    return parsed.notna() & t.str.contains(r"\d", regex=True)
