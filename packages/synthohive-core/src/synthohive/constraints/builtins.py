"""The list of the core's constraints, each exact by construction (see
:mod:`synthohive.constraints.base`); each is written in the module of its kind:
``inequality``/``range`` in :mod:`~synthohive.constraints.inequality`, one-column bounds in
:mod:`~synthohive.constraints.bounds`, ``fixed_combinations``/``one_hot`` in
:mod:`~synthohive.constraints.combinations`, ``sum`` in :mod:`~synthohive.constraints.sums`,
``unique`` in :mod:`~synthohive.constraints.unique` and ``formula`` in
:mod:`~synthohive.constraints.formula`.

==================== ======================================= ===================================
name                 parameters                              what the model learns instead
==================== ======================================= ===================================
``inequality``       ``low``, ``high``, ``strict``           ``log(high - low)`` (+ ``high`` where
                                                             ``low`` is null); numbers or dates
``scalar_range``     ``column``, ``low``, ``high``,          ``logit`` of the position in
                     ``strict``                              ``[low, high]``
``positive``         ``column``, ``strict``                  ``log(x)`` (``log1p`` unless strict)
``negative``         ``column``, ``strict``                  the same on ``-x``
``fixed_combinations`` ``columns``                           one categorical of the combinations
``sum``              ``parts``, ``total``                    the parts only; total = their sum
==================== ======================================= ===================================

Nulls pass through: a row with a null in a rule's column is not constrained, and its nulls
come back as nulls. Dates may be ``datetime64`` columns or strings (parsed with the column's
``format``, written back with it).
"""

from __future__ import annotations

from synthohive.constraints.base import Constraint
from synthohive.constraints.bounds import Negative, Positive, ScalarRange
from synthohive.constraints.combinations import FixedCombinations, OneHot
from synthohive.constraints.formula import Formula
from synthohive.constraints.inequality import Inequality, Range
from synthohive.constraints.sums import Sum
from synthohive.constraints.unique import Unique

BUILTIN_CONSTRAINTS: list[type[Constraint]] = [
    Inequality,
    Range,
    ScalarRange,
    Positive,
    Negative,
    FixedCombinations,
    OneHot,
    Sum,
    Formula,
    Unique,
]
