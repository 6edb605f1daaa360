"""PII detection for one column: name tokens plus value patterns validated by checksums.

A column is flagged when the share of its sampled distinct values that pass a kind's
recogniser reaches a threshold (``VALUE_THRESHOLD`` from values alone, ``HINT_THRESHOLD``
when the column name also hints at the kind). The recognisers
(:mod:`synthohive.metadata.recognisers`) go beyond regexes: Luhn for card numbers, mod-97 for
IBANs, area/group/serial rules for US SSNs, NANP rules for national phone numbers. Pure digit
strings are never taken for phone numbers unless the name says so.

Every recogniser's regex is anchored and free of nested unbounded quantifiers, and values longer
than ``MAX_VALUE_LEN`` are rejected before any regex runs, so adversarial 100 kB strings
cost linear time.

Across tables, :func:`shared_pii` makes detection consistent: a string column whose values
substantially overlap a PII column of another table (``invoice.billing_address`` and
``customer.address``) is PII of the same kind, with the overlap as evidence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthohive.metadata.recognisers import (
    is_address,
    is_credit_card,
    is_datetime_like,
    is_email,
    is_iban,
    is_ip,
    is_person_name,
    is_phone,
    is_ssn,
    short_enough,
)
from synthohive.metadata.schema import Column, Metadata
from synthohive.values.names import name_tokens

SAMPLE_SIZE = 1000
VALUE_THRESHOLD = 0.8
HINT_THRESHOLD = 0.5
OVERLAP_SHARE = 0.5
OVERLAP_MIN = 3

__all__ = ["PiiMatch", "detect_pii", "sample_strings", "shared_pii"]


@dataclass(frozen=True)
class PiiMatch:
    """A PII decision: ``kind`` (email, phone, ...), share of sampled values that matched,
    and a readable ``evidence`` string for ``Metadata.explain()``."""

    kind: str
    match_rate: float
    evidence: str


# --- column names -------------------------------------------------------------------------
_NOT_PERSON = {
    "product",
    "company",
    "file",
    "user",
    "username",
    "table",
    "column",
    "brand",
    "category",
    "item",
    "city",
    "street",
    "country",
    "state",
    "host",
    "hostname",
    "domain",
    "store",
    "shop",
    "business",
    "org",
    "organization",
    "organisation",
    "team",
    "project",
    "app",
    "display",
    "screen",
    "nick",
    "nickname",
    "account",
    "bank",
    "sku",
    "model",
    "type",
    "class",
    "event",
    "campaign",
    "region",
    "department",
    "dept",
    "tag",
    "label",
    "group",
    "key",
    "id",
    "code",
    "plan",
    "merchant",
    "vendor",
    "supplier",
    "school",
    "hotel",
    "venue",
    "airline",
    "airport",
    "product_name",
    "service",
    "course",
    "role",
    "title",
    "job",
}


def _name_hint(tokens: list[str]) -> str | None:
    """The PII kind a column name suggests, or ``None``."""
    toks = set(tokens)
    joined = "".join(tokens)
    if toks & {"email", "mail", "emailaddress"} or "email" in joined:
        return "email"
    if toks & {"ip", "ipaddress", "ipv4", "ipv6", "ipaddr"}:
        return "ip"
    if toks & {"ssn", "socialsecurity"} or {"social", "security"} <= toks:
        return "ssn"
    if toks & {"iban"}:
        return "iban"
    if toks & {"creditcard", "cc", "ccnumber", "pan", "card", "cardnumber"}:
        return "credit_card"
    if toks & {"phone", "telephone", "tel", "mobile", "cell", "cellphone", "fax", "msisdn"}:
        return "phone"
    if toks & {"dob", "birth", "birthday", "birthdate", "born", "dateofbirth"}:
        return "date_of_birth"
    if toks & {"address", "street", "addr", "addressline", "streetaddress"}:
        return "address"
    if toks & _NOT_PERSON:
        return None
    if toks & {"firstname", "forename", "given", "fname"} or {"first", "name"} <= toks:
        return "first_name"
    if toks & {"lastname", "surname", "family", "lname"} or {"last", "name"} <= toks:
        return "last_name"
    if toks & {"name", "fullname", "person", "contact", "customer_name", "patient"}:
        return "name"
    return None


# --- sampling ------------------------------------------------------------------------------
def sample_strings(series: pd.Series, size: int = SAMPLE_SIZE) -> pd.Series:
    """Distinct non-null values as strings, sorted, evenly thinned to ``size``.

    Sorting makes the sample independent of row order; thinning bounds the cost.
    """
    s = series.dropna()
    if len(s) == 0:
        return pd.Series([], dtype=object)
    if s.dtype == object:
        s = s.map(lambda v: v if isinstance(v, str) else repr(v) if not _is_scalar(v) else v)
    try:
        uniq = pd.unique(s.astype(str).to_numpy(dtype=object))
    except (TypeError, ValueError):
        uniq = pd.unique(s.map(str).to_numpy(dtype=object))
    uniq = np.sort(uniq.astype(str))
    if len(uniq) > size:
        idx = np.linspace(0, len(uniq) - 1, size).round().astype(np.int64)
        uniq = uniq[idx]
    return pd.Series(uniq, dtype=object)


def _is_scalar(v: object) -> bool:
    return isinstance(v, int | float | bool | np.generic | pd.Timestamp | str | bytes)


# --- decision ------------------------------------------------------------------------------
_RECOGNISERS: dict[str, Callable[[pd.Series, bool], pd.Series]] = {
    "email": lambda s, r: is_email(s),
    "ssn": lambda s, r: is_ssn(s, relaxed=r),
    "credit_card": lambda s, r: is_credit_card(s, relaxed=r),
    "iban": lambda s, r: is_iban(s, relaxed=r),
    "ip": lambda s, r: is_ip(s),
    "phone": lambda s, r: is_phone(s, relaxed=r),
    "address": lambda s, r: is_address(s, relaxed=r),
    "name": lambda s, r: is_person_name(s),
    "first_name": lambda s, r: is_person_name(s, relaxed=r, single=True),
    "last_name": lambda s, r: is_person_name(s, relaxed=r, single=True),
}
_VALUE_ORDER = ["email", "ssn", "credit_card", "iban", "ip", "phone", "address", "name"]
_CHECK_NOTE = {
    "ssn": "SSA area/group/serial rules",
    "credit_card": "issuer prefix and Luhn checksum",
    "iban": "mod-97 checksum",
    "phone": "E.164 or national format",
}


def _evidence(kind: str, rate: float, n: int, hint: str | None, name: object) -> str:
    note = _CHECK_NOTE.get(kind)
    what = f"{rate:.0%} of {n} distinct sampled values are valid {kind}"
    if note:
        what += f" ({note})"
    if hint:
        return f"column name {str(name)[:60]!r} suggests {hint}; {what}"
    return what


def detect_pii(series: pd.Series, name: object = None) -> PiiMatch | None:
    """Decide whether ``series`` holds PII and of which kind, or return ``None``.

    Name hints lower the threshold (``HINT_THRESHOLD``) and relax the format (digits-only
    phones, SSNs without dashes); without a hint a kind needs ``VALUE_THRESHOLD`` of values.
    """
    label = series.name if name is None else name
    hint = _name_hint(name_tokens(label)) if label is not None else None
    dtype = series.dtype
    is_num = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    if pd.api.types.is_bool_dtype(dtype):
        return None
    if pd.api.types.is_float_dtype(dtype):
        nonnull = series.dropna()
        if len(nonnull) and not np.all(np.isfinite(nonnull.to_numpy(dtype=float))):
            return None
        if len(nonnull) and (not (nonnull % 1 == 0).all() or float(nonnull.abs().max()) >= 2.0**63):
            return None
        series = nonnull.astype("int64") if len(nonnull) else nonnull
    if hint == "date_of_birth":
        sample = sample_strings(series)
        if len(sample) == 0:
            return PiiMatch(hint, 0.0, f"column name {str(label)[:60]!r} suggests {hint}")
        rate = float(is_datetime_like(series, sample).mean())
        if rate >= HINT_THRESHOLD:
            ev = f"column name {str(label)[:60]!r} suggests date of birth; {rate:.0%} are dates"
            return PiiMatch(hint, rate, ev)
        return None
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        return None
    sample = sample_strings(series)
    if len(sample) == 0:
        if hint is not None:
            ev = f"column name {str(label)[:60]!r} suggests {hint}; no values to check"
            return PiiMatch(hint, 0.0, ev)
        return None
    n = len(sample)
    if hint is not None:
        kinds_num = {"ssn", "credit_card", "phone"}
        if not is_num or hint in kinds_num:
            rate = float(_RECOGNISERS[hint](sample, True).mean())
            if rate >= HINT_THRESHOLD:
                return PiiMatch(hint, rate, _evidence(hint, rate, n, hint, label))
    order = ["credit_card"] if is_num else _VALUE_ORDER
    short = sample.where(short_enough(sample), "")
    shares = {
        "@": float(short.str.contains("@", regex=False).mean()),
        "d": float(short.str.contains(r"\d", regex=True).mean()),
        "a": float(short.str.contains(r"[A-Za-z]", regex=True).mean()),
    }
    needs = {
        "email": "@",
        "ssn": "d",
        "credit_card": "d",
        "iban": "d",
        "ip": "d",
        "phone": "d",
        "address": "d",
        "name": "a",
    }
    for kind in order:
        if shares[needs[kind]] < VALUE_THRESHOLD:
            continue  # cheap prefilter: most values lack a character this kind needs
        rate = float(_RECOGNISERS[kind](sample, False).mean())
        if rate >= VALUE_THRESHOLD:
            return PiiMatch(kind, rate, _evidence(kind, rate, n, None, label))
    return None


# --- across tables -------------------------------------------------------------------------
def _norm(values: pd.Series) -> pd.Series:
    return values.astype(str).str.strip().str.casefold()


def _is_textual(series: pd.Series) -> bool:
    dtype = series.dtype
    return not (
        pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
    )


def shared_pii(meta: Metadata, frames: dict[str, pd.DataFrame]) -> None:
    """Mark string columns that share values with a PII column of another table as PII.

    A categorical or text column becomes PII of the reference's kind when at least
    ``OVERLAP_SHARE`` of its (sampled) distinct values, and at least ``OVERLAP_MIN`` of them,
    occur in that PII column; a PII column of the same kind gets the overlap added to its
    evidence. Only columns detected as PII from their own values serve as references.
    """
    refs = [
        (t, c, col.kind)
        for t in sorted(meta.tables)
        for c, col in meta.tables[t].columns.items()
        if col.sdtype == "pii" and col.kind and _is_textual(frames[t][c])
    ]
    if not refs:
        return
    known: dict[tuple[str, str], set[str]] = {}
    found: dict[tuple[str, str], tuple[float, int, int, str, str, str]] = {}
    for tname in sorted(meta.tables):
        for cname, col in meta.tables[tname].columns.items():
            if col.sdtype not in {"categorical", "text", "pii"}:
                continue
            series = frames[tname][cname]
            if not _is_textual(series):
                continue
            sample: pd.Series | None = None
            for rt, rc, kind in refs:
                if rt == tname or (col.sdtype == "pii" and col.kind != kind):
                    continue
                if sample is None:
                    sample = pd.Series(pd.unique(_norm(sample_strings(series))), dtype=object)
                if len(sample) == 0:
                    break
                if (rt, rc) not in known:
                    known[(rt, rc)] = set(_norm(frames[rt][rc].dropna()).unique().tolist())
                shared = int(sample.isin(known[(rt, rc)]).sum())
                share = shared / len(sample)
                if shared < OVERLAP_MIN or share < OVERLAP_SHARE:
                    continue
                cand = (share, shared, len(sample), rt, rc, str(kind))
                best = found.get((tname, cname))
                if best is None or (-cand[0], -cand[1], cand[3:5]) < (
                    -best[0],
                    -best[1],
                    best[3:5],
                ):
                    found[(tname, cname)] = cand
    for (tname, cname), (share, shared, n, rt, rc, kind) in found.items():
        col = meta.tables[tname].columns[cname]
        evidence = f"{shared} of {n} distinct values ({share:.0%}) also occur in {rt}.{rc}"
        if col.sdtype == "pii":
            why = f"{col.reason}; {evidence}" if col.reason else evidence
            meta.tables[tname].columns[cname] = col.model_copy(update={"reason": why})
            continue
        meta.tables[tname].columns[cname] = Column(
            sdtype="pii",
            dtype=col.dtype,
            nullable=col.nullable,
            kind=kind,
            reason=f"PII ({kind}) like {rt}.{rc}: {evidence}",
        )
