"""Relational and single-table synthesis: :class:`Synthesizer` and the multi-table holdout."""

from __future__ import annotations

from synthohive.synthesizer.core import Synthesizer
from synthohive.synthesizer.holdout import split_holdout

__all__ = ["Synthesizer", "split_holdout"]
