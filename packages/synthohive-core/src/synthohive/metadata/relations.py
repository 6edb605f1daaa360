"""Foreign-key detection across a dict of tables: column names plus value containment.

A child column becomes a foreign key to a parent's single-column primary key on one of
these grounds, strongest first (the ``reason`` of the relation names the ground, the share
of distinct child values found among the parent's keys and both dtypes):

0. its name ties it to the parent key (``customer_id`` -> ``customers.customer_id`` or
   ``customers.id``; singular/plural forms) and ≥ ``NAME_CONTAINMENT`` of its distinct
   non-null values are parent keys (the rest are reported as orphans);
1. it reads like a key and contains the parent's name (``billing_customer_id``), is named
   after the parent table (``genre``), or holds the same kind of PII as the parent key
   (e.g. emails), and ≥ ``VALUE_CONTAINMENT`` (``NAME_CONTAINMENT`` when named after the
   table) of its values are parent keys;
2. it is role-named (``support_rep_id``, ``created_by``, ``assigned_to``, ``owner_id``,
   ``reports_to``, ``manager_id``, ``parent_id``, ``parent_category_id``): structural roles
   (parent, previous, ...) point into the column's own table; people roles (rep, manager,
   ``*_by``, ...) point at the one staff table (employees, users, staff, ...) holding its
   values, or, for manager/reports-to/referrer roles, into the column's own table when that
   is a staff table or no staff table holds them. ≥ ``NAME_CONTAINMENT`` contained;
3. it reads like a key (``<something>_id``) and ≥ ``VALUE_CONTAINMENT`` of its values are
   keys of exactly one table, and containment is informative (see below).

Containment alone is weak evidence for small integers: ``quantity`` 1..5 lies inside any
sequence key 1..N. It counts as *informative* for integers only when at least
``MIN_DISTINCT`` distinct values would rarely all land on the parent's keys by chance
(sparse keys, below ``CHANCE``), or when at least ``MIN_COVERED`` distinct values cover
most of the parent's keys; strings need ``MIN_DISTINCT_STR`` distinct values. Floats must
hold whole numbers; types must match (integers with integers, strings with strings).

A column without name evidence whose values are informatively contained in a key, or whose
relation is ambiguous or would close a cycle, is not applied but recorded in
``Metadata.suggested_relations`` (shown by ``explain()``).

Relations are added strongest first and one that would close a cycle (other than a
self-reference) is skipped, so detection never produces metadata that ``validate_metadata``
rejects for cycles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthohive.log import get_logger
from synthohive.metadata.link_names import (
    ROLE_TOKENS,
    SELF_PERSON_TOKENS,
    STRUCT_TOKENS,
    is_reference_name,
    name_strength,
    staff_like,
)
from synthohive.metadata.schema import Column, ForeignKey, Metadata
from synthohive.values.dtypes import dtype_family
from synthohive.values.names import is_key_name, name_tokens, singular

log = get_logger(__name__)

NAME_CONTAINMENT = 0.9
VALUE_CONTAINMENT = 0.99
MIN_DISTINCT = 5
MIN_COVERED = 20
MIN_DISTINCT_STR = 3
COVERAGE = 0.5
SUGGEST_COVERAGE = 0.8
CHANCE = 0.01

__all__ = ["detect_relations"]


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


def _distinct(s: pd.Series) -> np.ndarray:
    return np.asarray(pd.unique(s.dropna()))


def _informative(child: pd.Series, parent: pd.Series, coverage: float) -> bool:
    """Is containment of ``child`` in ``parent`` more than a coincidence of small numbers?"""
    values = _distinct(child)
    if "string" in (dtype_family(str(child.dtype)), dtype_family(str(parent.dtype))):
        return len(values) >= MIN_DISTINCT_STR
    if len(values) < MIN_DISTINCT:
        return False
    vals = values.astype(float)
    keys = np.unique(_distinct(parent).astype(float))
    if len(vals) >= MIN_COVERED and len(keys) and len(vals) / len(keys) >= coverage:
        return True  # many distinct values, referring to most of the parent's rows
    lo, hi = float(vals.min()), float(vals.max())
    inside = int(np.count_nonzero((keys >= lo) & (keys <= hi)))
    density = inside / (hi - lo + 1.0)
    return bool(density ** len(vals) < CHANCE)  # sparse keys: unlikely to all hit by chance


def _types(child: pd.Series, parent: pd.Series) -> str:
    cd, pd_ = str(child.dtype), str(parent.dtype)
    if dtype_family(cd) == "float" and dtype_family(pd_) != "float":
        cd += " holding whole numbers"
    return f"dtypes {cd} and {pd_} compatible"


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


@dataclass(frozen=True)
class _Cand:
    """A possible relation and its evidence."""

    tier: int
    rate: float
    n: int
    child: str
    parent: str
    ccols: tuple[str, ...]
    pcols: tuple[str, ...]
    how: str
    types: str = ""

    @property
    def order(self) -> tuple[int, float, str, str, tuple[str, ...]]:
        return (self.tier, -self.rate, self.child, self.parent, self.ccols)

    def reason(self) -> str:
        why = f"{self.how}; {self.rate:.1%} of {self.n} distinct child values are "
        why += f"{self.parent}.{', '.join(self.pcols)} keys"
        if self.rate < 1.0:
            why += f" ({1 - self.rate:.1%} orphans)"
        return f"{why}; {self.types}" if self.types else why

    def relation(self, note: str = "") -> ForeignKey:
        return ForeignKey(
            child=self.child,
            child_columns=list(self.ccols),
            parent=self.parent,
            parent_columns=list(self.pcols),
            reason=f"{note}{self.reason()}",
        )


class _Schema:
    """Frames, single-column primary keys and cached containment rates."""

    def __init__(self, meta: Metadata, frames: dict[str, pd.DataFrame]) -> None:
        self.meta, self.frames = meta, frames
        self.pks = {
            t: tb.primary_key[0]
            for t, tb in sorted(meta.tables.items())
            if tb.primary_key and len(tb.primary_key) == 1
        }
        self.staff = [t for t in self.pks if staff_like(t)]
        self._rates: dict[tuple[str, str, str], tuple[float, int] | None] = {}

    def contained(self, child: str, col: str, parent: str) -> tuple[float, int] | None:
        """Share of ``child.col``'s distinct values among ``parent``'s keys and their count,
        ``None`` when the types do not match."""
        key = (child, col, parent)
        if key not in self._rates:
            cs, ps = self.frames[child][col], self.frames[parent][self.pks[parent]]
            ok = _compatible(cs, ps)
            self._rates[key] = (_containment(cs, ps), len(_distinct(cs))) if ok else None
        return self._rates[key]

    def cand(self, tier: int, child: str, col: str, parent: str, how: str) -> _Cand:
        rate, n = self.contained(child, col, parent) or (0.0, 0)
        pk = self.pks[parent]
        types = _types(self.frames[child][col], self.frames[parent][pk])
        return _Cand(tier, rate, n, child, parent, (col,), (pk,), how, types)

    def holds(self, child: str, col: str, parent: str, need: float) -> bool:
        hit = self.contained(child, col, parent)
        if hit is None or hit[0] < need:
            return False
        if parent == child:  # a column that only repeats the row's own key is no link
            s = self.frames[child][col]
            pk = self.frames[child][self.pks[child]]
            mask = s.notna().to_numpy()
            same = pd.Series(s[mask].to_numpy()) == pd.Series(pk[mask].to_numpy())
            if bool(same.all()):
                return False
        return True


def _named(ctx: _Schema, cname: str, col: str) -> _Cand | None:
    """Tiers 0 and 1: the column's name ties it to another table."""
    ctable = ctx.meta.tables[cname]
    ccol, child_pk = ctable.columns[col], list(ctable.primary_key or [])
    best: _Cand | None = None
    for pname, pk in ctx.pks.items():
        if pname == cname:
            continue
        strength, how = name_strength(col, pname, pk, child_pk)
        need = NAME_CONTAINMENT if strength == 0 or how.startswith("column named") else None
        pcol = ctx.meta.tables[pname].columns[pk]
        same_pii = ccol.sdtype == pcol.sdtype == "pii" and ccol.kind == pcol.kind
        if strength == 9 and [col] != child_pk and same_pii:
            strength, how = 1, f"same PII kind ({ccol.kind}) as the parent key"
        if strength == 9:
            continue
        child_s = ctx.frames[cname][col]
        if (
            strength == 1
            and dtype_family(str(child_s.dtype)) != "string"
            and pk.lower() == "id"
            and singular(pname) not in col.lower()
        ):
            continue
        if not ctx.holds(cname, col, pname, need or VALUE_CONTAINMENT):
            continue
        cand = ctx.cand(strength, cname, col, pname, how)
        if best is None or cand.order < best.order:
            best = cand
    return best


def _role(ctx: _Schema, cname: str, col: str) -> tuple[_Cand | None, list[_Cand], bool]:
    """Tier 2: role-named keys and self-references; ambiguous ones as suggestions; and
    whether the name rules out any other parent."""
    toks = name_tokens(col)
    child_pk = list(ctx.meta.tables[cname].primary_key or [])
    if col in child_pk or not toks or not is_reference_name(col, toks):
        return None, [], False
    words = set(toks)
    self_ok = cname in ctx.pks and ctx.holds(cname, col, cname, NAME_CONTAINMENT)
    struct = [t for t in toks if t in STRUCT_TOKENS]
    if struct:  # a parent/previous row is a row of the same table, or nothing
        how = f"self-reference: {col!r} names a {struct[0]} row of the same table"
        return (ctx.cand(2, cname, col, cname, how) if self_ok else None), [], True
    roles = [t for t in toks if t in ROLE_TOKENS]
    if not roles:
        return None, [], False
    role = roles[0]
    others = [p for p in ctx.staff if p != cname and ctx.holds(cname, col, p, NAME_CONTAINMENT)]
    if words & SELF_PERSON_TOKENS and self_ok and (cname in ctx.staff or not others):
        how = f"self-reference: role {role!r} in {col!r} points at another {cname} row"
        return ctx.cand(2, cname, col, cname, how), [], True
    if cname in ctx.staff and self_ok:
        others.append(cname)
    if len(others) == 1:
        how = f"role-named key {col!r} (role {role!r}) points at the staff table {others[0]!r}"
        return ctx.cand(2, cname, col, others[0], how), [], True
    how = f"role-named key {col!r}, but several staff tables hold its values"
    return None, [ctx.cand(2, cname, col, p, how) for p in sorted(others)], bool(others)


def _contained_once(ctx: _Schema, cname: str, col: str) -> tuple[_Cand | None, list[_Cand]]:
    """Tier 3 for key-like names (values in exactly one table's key); else suggestions."""
    child_pk = list(ctx.meta.tables[cname].primary_key or [])
    if col in child_pk:
        return None, []  # one-to-one links need name evidence
    hits = [
        p
        for p, pk in ctx.pks.items()
        if not (p == cname and pk == col) and ctx.holds(cname, col, p, VALUE_CONTAINMENT)
    ]
    cs = ctx.frames[cname][col]
    keyish = is_key_name(col)
    if keyish and len(hits) == 1 and hits[0] != cname:
        parent_s = ctx.frames[hits[0]][ctx.pks[hits[0]]]
        if _informative(cs, parent_s, COVERAGE):
            how = f"key-like name; its values are keys of exactly one table ({hits[0]!r})"
            return ctx.cand(3, cname, col, hits[0], how), []
    if keyish and len(hits) > 1:
        how = f"key-like name, but {len(hits)} tables' keys contain its values"
    else:
        how = "values are contained, but the column name gives no key evidence"
    out = [
        ctx.cand(4, cname, col, p, how)
        for p in hits
        if _informative(cs, ctx.frames[p][ctx.pks[p]], SUGGEST_COVERAGE)
    ]
    return None, out


def _composite(ctx: _Schema, cname: str) -> list[_Cand]:
    """The child holds all columns of a parent's composite key and the pairs are keys."""
    ctable, cdf = ctx.meta.tables[cname], ctx.frames[cname]
    child_pk = list(ctable.primary_key or [])
    out: list[_Cand] = []
    for pname in sorted(ctx.meta.tables):
        ppk = list(ctx.meta.tables[pname].primary_key or [])
        if len(ppk) < 2 or pname == cname or not all(c in ctable.columns for c in ppk):
            continue
        if ppk == child_pk:
            continue
        merged = cdf[ppk].dropna().drop_duplicates()
        if len(merged) and all(_compatible(cdf[c], ctx.frames[pname][c]) for c in ppk):
            keys = ctx.frames[pname][ppk].drop_duplicates()
            hit = merged.merge(keys, on=ppk, how="left", indicator=True)
            rate = float((hit["_merge"] == "both").mean())
            if rate >= NAME_CONTAINMENT:
                how = "the child holds every column of the parent's composite key"
                cols = tuple(ppk)
                out.append(_Cand(0, rate, len(merged), cname, pname, cols, cols, how))
    return out


def detect_relations(meta: Metadata, frames: dict[str, pd.DataFrame]) -> None:
    """Add detected foreign keys to ``meta`` and record the ones only suggested in
    ``meta.suggested_relations`` (frames keyed by table, columns by str label)."""
    ctx = _Schema(meta, frames)
    found: list[_Cand] = []
    suggested: list[tuple[_Cand, str]] = []
    for cname in sorted(meta.tables):
        found.extend(_composite(ctx, cname))
        for col, ccol in meta.tables[cname].columns.items():
            if ccol.sdtype not in {"id", "pii", "numerical", "categorical"}:
                continue
            if not frames[cname][col].notna().any():
                continue
            best = _named(ctx, cname, col)
            maybe: list[_Cand] = []
            settled = best is not None
            if not settled:
                best, maybe, settled = _role(ctx, cname, col)
            if not settled:
                best, maybe = _contained_once(ctx, cname, col)
            if best is not None:
                found.append(best)
            suggested.extend((c, "not applied: ") for c in maybe)
    edges: set[tuple[str, str]] = set()
    for cand in sorted(found, key=lambda c: c.order):
        taken = {c for r in meta.relations if r.child == cand.child for c in r.child_columns}
        if taken & set(cand.ccols):
            continue
        if _adds_cycle(edges, cand.child, cand.parent):
            log.info("fk_skipped_cycle", child=cand.child, parent=cand.parent, columns=cand.ccols)
            suggested.append((cand, "not applied, it would close a cycle: "))
            continue
        meta.relations.append(cand.relation())
        edges.add((cand.child, cand.parent))
        _mark_child_columns(meta, cand.child, list(cand.ccols), cand.parent, list(cand.pcols))
    applied = {(r.child, tuple(r.child_columns)) for r in meta.relations}
    notes: list[ForeignKey] = []
    for cand, note in sorted(suggested, key=lambda s: s[0].order):
        if (cand.child, cand.ccols) not in applied:
            notes.append(cand.relation(note))
    meta.suggested_relations = notes or None


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
