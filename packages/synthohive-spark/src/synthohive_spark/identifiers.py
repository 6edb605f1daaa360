"""Spark identifiers: validated, and backtick-quoted whenever they must appear in SQL text.

Names never reach SQL unquoted: each part is wrapped in backticks with inner backticks doubled.
``strict=True`` refuses anything but plain ``[A-Za-z_][A-Za-z0-9_]*`` names that are not
reserved words (what a Hive metastore accepts everywhere); the default permissive mode quotes.
Paths never go into SQL at all (DataFrameReader/Writer APIs take them as arguments).
"""

from __future__ import annotations

import re

from synthohive.errors import InvalidIdentifierError

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RESERVED = frozenset(
    {
        "all",
        "alter",
        "and",
        "as",
        "between",
        "by",
        "case",
        "cast",
        "create",
        "cross",
        "current",
        "database",
        "delete",
        "desc",
        "describe",
        "distinct",
        "drop",
        "else",
        "end",
        "exists",
        "false",
        "from",
        "full",
        "group",
        "having",
        "if",
        "in",
        "inner",
        "insert",
        "intersect",
        "into",
        "is",
        "join",
        "lateral",
        "left",
        "like",
        "limit",
        "not",
        "null",
        "on",
        "or",
        "order",
        "outer",
        "partition",
        "right",
        "rollup",
        "select",
        "set",
        "show",
        "table",
        "tables",
        "then",
        "to",
        "true",
        "truncate",
        "union",
        "update",
        "using",
        "values",
        "view",
        "when",
        "where",
        "with",
    }
)
MAX_LENGTH = 255


def check_identifier(name: str, *, what: str = "table", strict: bool = False) -> str:
    """Return ``name`` if it is usable as a Spark identifier, else raise a typed error."""
    if not isinstance(name, str) or not name or "\x00" in name or len(name) > MAX_LENGTH:
        raise InvalidIdentifierError(
            f"invalid {what} name {name!r} (empty, too long or with a NUL byte)",
            table=name if what == "table" else None,
            fix=f"use a non-empty {what} name of at most {MAX_LENGTH} characters",
        )
    if strict and (not _PLAIN.match(name) or name.lower() in RESERVED):
        raise InvalidIdentifierError(
            f"{what} name {name!r} is not a plain identifier (letters, digits and _, not a "
            "reserved word)",
            table=name if what == "table" else None,
            fix="rename it, or use strict_identifiers=False to have it backtick-quoted",
        )
    return name


_METASTORE = re.compile(r"^[A-Za-z0-9_]+$")


def check_catalog_name(name: str, *, what: str = "table", strict: bool = False) -> str:
    """Like :func:`check_identifier`, plus the metastore's rule: letters, digits and ``_`` only.

    A Hive metastore rejects other characters whatever the quoting, so such names fail here,
    before anything is written, rather than half-way through a swap.
    """
    check_identifier(name, what=what, strict=strict)
    if not _METASTORE.match(name):
        raise InvalidIdentifierError(
            f"{what} name {name!r} cannot be stored in a Spark/Hive catalog (only letters, "
            "digits and _ are allowed there)",
            table=name if what == "table" else None,
            fix="rename it, or write to a folder (spark+parquet:///path) where any folder name "
            "works",
        )
    return name


def quote(name: str) -> str:
    """One backtick-quoted identifier part (inner backticks doubled)."""
    return "`" + name.replace("`", "``") + "`"


def qualified(database: str | None, table: str) -> str:
    """``\\`db\\`.\\`table\\``` (or just the quoted table when ``database`` is None)."""
    return f"{quote(database)}.{quote(table)}" if database else quote(table)
