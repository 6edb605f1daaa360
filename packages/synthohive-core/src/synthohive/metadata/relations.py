"""Foreign-key detection across a dict of tables: column names plus value containment.

A child column becomes a foreign key to a parent's primary key when

* its name ties it to the parent (``customer_id`` -> ``customers.customer_id`` or
  ``customers.id``; singular/plural forms) and ≥ ``NAME_CONTAINMENT`` of its distinct
  non-null values are parent keys (the rest are reported as orphans), or
* it reads like a key, its values are string keys or its name contains the parent's key
  name, and ≥ ``VALUE_CONTAINMENT`` of its distinct values are parent keys.

Types must be compatible (integers with integers, strings with strings). Relations are
added strongest first and one that would close a cycle (other than a self-reference) is
skipped, so detection never produces metadata that ``validate_metadata`` rejects for
cycles. Self-references need a name such as ``manager_id`` or ``parent_id``.
"""

from __future__ import annotations

import pandas as pd

from synthohive.log import get_logger
from synthohive.metadata.detect import _singular, is_key_name
from synthohive.metadata.schema import Column, ForeignKey, Metadata
from synthohive.privacy.detect import name_tokens

log = get_logger(__name__)

NAME_CONTAINMENT = 0.9
VALUE_CONTAINMENT = 0.99
_SELF_TOKENS = {
    "parent",
    "manager",
    "reports",
    "boss",
    "supervisor",
    "referrer",
    "referred",
    "mentor",
    "lead",
    "head",
    "predecessor",
    "successor",
    "previous",
    "next",
}

__all__ = ["detect_relations", "dtype_family"]


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


def _compatible(child: pd.Series, parent: pd.Series) -> bool:
    fc, fp = dtype_family(str(child.dtype)), dtype_family(str(parent.dtype))
    if fc == fp:
        return fc in {"int", "string", "float"}
    if {fc, fp} == {"int", "float"}:
        v = child.dropna() if fc == "float" else parent.dropna()
        return bool((v % 1 == 0).all())
    return False


def _containment(child: pd.Series, parent: pd.Series) -> float:
    values = pd.unique(child.dropna())
    if len(values) == 0:
        return 0.0
    if dtype_family(str(child.dtype)) == "string" or dtype_family(str(parent.dtype)) == "string":
        return float(pd.Series(values).astype(str).isin(parent.dropna().astype(str)).mean())
    left = pd.Series(values).astype("float64")
    return float(left.isin(parent.dropna().astype("float64")).mean())


def _name_strength(col: str, child: str, parent: str, pk: str, child_pk: list[str]) -> int:
    """0: name ties col to parent; 1: weak (contains the parent's name); 9: none."""
    low, pkl = col.lower(), pk.lower()
    single, plural = _singular(parent), parent.lower()
    table_names = {f"{single}_id", f"{plural}_id", f"{single}id", f"{single}_{pkl}"}
    if parent == child:
        toks = set(name_tokens(col))
        if col not in child_pk and is_key_name(col) and toks & _SELF_TOKENS:
            return 0
        return 9
    if low in table_names and pkl in {"id", low, f"{single}_id", f"{single}id"}:
        return 0
    if [col] == child_pk:  # PK<->PK (one-to-one) needs the parent's name in the column name
        return 9
    if low == pkl and pkl != "id":
        return 0
    if is_key_name(col) and ((pkl != "id" and pkl in low) or single in low):
        return 1
    return 9


def _adds_cycle(edges: set[tuple[str, str]], child: str, parent: str) -> bool:
    """Would child -> parent close a cycle (is ``child`` reachable from ``parent``)?"""
    if child == parent:
        return False
    stack, seen = [parent], {parent}
    while stack:
        node = stack.pop()
        for c, p in edges:
            if c == node and p not in seen:
                if p == child:
                    return True
                seen.add(p)
                stack.append(p)
    return False


def detect_relations(meta: Metadata, frames: dict[str, pd.DataFrame]) -> None:
    """Add detected foreign keys to ``meta`` (frames keyed by table, columns by str label)."""
    found: list[tuple[int, float, str, str, list[str], list[str]]] = []
    for cname in sorted(meta.tables):
        ctable = meta.tables[cname]
        cdf = frames[cname]
        child_pk = list(ctable.primary_key or [])
        used: set[str] = set()
        for pname in sorted(meta.tables):
            ptable = meta.tables[pname]
            ppk = list(ptable.primary_key or [])
            if len(ppk) > 1 and pname != cname and all(c in ctable.columns for c in ppk):
                if ppk == child_pk:
                    continue
                merged = cdf[ppk].dropna().drop_duplicates()
                if len(merged) and all(_compatible(cdf[c], frames[pname][c]) for c in ppk):
                    keys = frames[pname][ppk].drop_duplicates()
                    hit = merged.merge(keys, on=ppk, how="left", indicator=True)
                    rate = float((hit["_merge"] == "both").mean())
                    if rate >= NAME_CONTAINMENT:
                        found.append((0, -rate, cname, pname, ppk, ppk))
        for col in ctable.columns:
            ccol = ctable.columns[col]
            if ccol.sdtype not in {"id", "pii", "numerical", "categorical"}:
                continue
            best: tuple[int, float, str, str, list[str], list[str]] | None = None
            for pname in sorted(meta.tables):
                ppk = list(meta.tables[pname].primary_key or [])
                if len(ppk) != 1 or (pname == cname and ppk == [col]):
                    continue
                strength = _name_strength(col, cname, pname, ppk[0], child_pk)
                pcol = meta.tables[pname].columns[ppk[0]]
                if (
                    strength == 9
                    and pname != cname
                    and [col] != child_pk
                    and ccol.sdtype == pcol.sdtype == "pii"
                    and ccol.kind == pcol.kind
                ):
                    strength = 1  # same PII kind as the parent key (e.g. emails)
                if strength == 9:
                    continue
                child_s, parent_s = cdf[col], frames[pname][ppk[0]]
                if not _compatible(child_s, parent_s):
                    continue
                if (
                    strength == 1
                    and dtype_family(str(child_s.dtype)) != "string"
                    and (ppk[0].lower() == "id" and _singular(pname) not in col.lower())
                ):
                    continue
                rate = _containment(child_s, parent_s)
                need = NAME_CONTAINMENT if strength == 0 else VALUE_CONTAINMENT
                if rate < need:
                    continue
                cand = (strength, -rate, cname, pname, [col], ppk)
                if best is None or cand[:2] < best[:2]:
                    best = cand
            if best is not None and col not in used:
                used.add(col)
                found.append(best)
    edges: set[tuple[str, str]] = set()
    for strength, neg_rate, cname, pname, ccols, pcols in sorted(
        found, key=lambda f: (f[0], f[1], f[2], f[3], f[4])
    ):
        if _adds_cycle(edges, cname, pname):
            log.info("fk_skipped_cycle", child=cname, parent=pname, columns=ccols)
            continue
        taken = {c for r in meta.relations if r.child == cname for c in r.child_columns}
        if taken & set(ccols):
            continue
        rate = -neg_rate
        how = (
            "column name matches the parent key"
            if strength == 0
            else "column looks like a reference"
        )
        reason = f"{how}; {rate:.1%} of distinct child values are {pname} keys"
        if rate < 1.0:
            reason += f" ({1 - rate:.1%} orphans)"
        meta.relations.append(
            ForeignKey(
                child=cname, child_columns=ccols, parent=pname, parent_columns=pcols, reason=reason
            )
        )
        edges.add((cname, pname))
        _mark_child_columns(meta, cname, ccols, pname, pcols)


def _mark_child_columns(
    meta: Metadata, child: str, ccols: list[str], parent: str, pcols: list[str]
) -> None:
    """Give FK columns the parent key's sdtype (keys are generated, never learned)."""
    ctable, ptable = meta.tables[child], meta.tables[parent]
    for c, p in zip(ccols, pcols):
        old, pcol = ctable.columns[c], ptable.columns[p]
        if pcol.sdtype not in {"id", "pii"}:
            continue
        update = {
            "sdtype": pcol.sdtype,
            "generator": pcol.generator,
            "pattern": pcol.pattern,
            "kind": pcol.kind,
            "strategy": pcol.strategy,
            "locale": pcol.locale,
            "integer": None,
            "min": None,
            "max": None,
            "rounding": None,
            "reason": f"foreign key to {parent}.{p}",
        }
        ctable.columns[c] = Column.model_validate({**old.model_dump(), **update})
