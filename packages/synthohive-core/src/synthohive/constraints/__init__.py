"""Constraints: business rules that every generated row satisfies, exact by construction.

Declare them on the metadata (stored as JSON with it and in the model file)::

    metadata.add_constraint("orders", "inequality", low="ordered_at", high="shipped_at")
    metadata.add_constraint("orders", "fixed_combinations", columns=["city", "country"])

The synthesizer rewrites the constrained columns before a table's model learns them and maps
every generated row back (see :mod:`synthohive.constraints.base`), so the rule holds for any
model, built-in or third-party. Built-ins: :mod:`synthohive.constraints.builtins`; more come
from plugins through the ``register_constraints`` hook.
"""

from __future__ import annotations

from synthohive.constraints.base import Constraint, ConstraintParams

__all__ = ["Constraint", "ConstraintParams"]
