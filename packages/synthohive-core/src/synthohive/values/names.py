"""Reading column and table labels: word tokens, singular table names, key-like labels.

Detection of keys and relations (``metadata/detect``, ``metadata/relations``) and of PII
(``metadata/pii``) read labels alike; this bottom-layer module is where they all get it.
"""

from __future__ import annotations

import re

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^0-9a-zA-Z]+")


def name_tokens(name: object) -> list[str]:
    """Lower-case word tokens of a column label (``customerEmail`` -> customer, email)."""
    text = str(name)[:200]
    text = _CAMEL.sub(" ", text)
    return [t for t in _SPLIT.split(text.lower()) if t]


def singular(name: str) -> str:
    """A table name made singular, lower case (``categories`` -> ``category``)."""
    low = name.lower()
    if low.endswith("ies") and len(low) > 3:
        return low[:-3] + "y"
    if low.endswith(("ses", "xes", "ches", "shes")):
        return low[:-2]
    if low.endswith("s") and not low.endswith("ss"):
        return low[:-1]
    return low


def is_key_name(name: str) -> bool:
    """True when a column label reads like a key (``id``, ``customer_id``, ``orderKey``)."""
    toks = name_tokens(name)
    if not toks:
        return False
    last = toks[-1]
    low = name.lower()
    return last in {"id", "key", "uuid", "guid", "pk", "fk"} or (
        low.endswith("id") and len(low) > 2 and not low.endswith("paid") and name[-2:] == "Id"
    )
