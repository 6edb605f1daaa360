"""Relational and single-table synthesis: :class:`Synthesizer` and the multi-table holdout.

Without the facade: :func:`fit_schema` returns a :class:`FittedSchema`,
:func:`~synthohive.synthesizer.streaming.generate` makes rows from it and
:mod:`~synthohive.synthesizer.persistence` saves and loads it.
"""

from __future__ import annotations

from synthohive.synthesizer.core import Synthesizer
from synthohive.synthesizer.fit import fit_schema
from synthohive.synthesizer.fitted import FittedSchema
from synthohive.synthesizer.holdout import split_holdout
from synthohive.synthesizer.settings import FitOptions

__all__ = ["FitOptions", "FittedSchema", "Synthesizer", "fit_schema", "split_holdout"]
