"""Coarse type families of pandas dtype strings.

Relation detection (which columns may join) and metadata validation (whether a foreign key's
type matches its parent key's) compare columns by family; this bottom-layer module is where
both get the rule, so validation does not import detection for it.
"""

from __future__ import annotations

__all__ = ["dtype_family"]


def dtype_family(dtype: str | None) -> str:
    """Coarse type family of a pandas dtype string: int, float, string, datetime, bool."""
    d = (dtype or "").lower()
    if d.startswith(("int", "uint")):
        return "int"
    if d.startswith("float"):
        return "float"
    if d.startswith("datetime"):
        return "datetime"
    if d.startswith("bool"):
        return "bool"
    if d.startswith("timedelta"):
        return "timedelta"
    return "string"
