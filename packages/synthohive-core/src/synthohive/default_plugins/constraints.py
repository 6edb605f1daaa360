"""Built-in constraint classes of the core."""

from __future__ import annotations

from typing import Any

from synthohive.hookspecs import hookimpl


@hookimpl
def register_constraints() -> list[type[Any]]:
    """The core's built-in constraints (inequality, ranges, signs, combinations, sums)."""
    from synthohive.constraints.builtins import BUILTIN_CONSTRAINTS
    from synthohive.constraints.crosstable import CROSS_TABLE_CONSTRAINTS

    return [*BUILTIN_CONSTRAINTS, *CROSS_TABLE_CONSTRAINTS]
