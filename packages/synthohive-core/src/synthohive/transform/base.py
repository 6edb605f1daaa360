"""The per-column codec interface the :class:`DataTransformer` drives."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from synthohive.transform.spans import Activation, SpanKind, SpanRole

SpanSpec = tuple[SpanKind, int, Activation, SpanRole]


class ColumnCodec(ABC):
    """Encodes one column into a block of matrix columns and decodes it back."""

    tag: ClassVar[str]

    def __init__(self, name: str) -> None:
        self.name = name

    @abstractmethod
    def spans(self) -> list[SpanSpec]:
        """(kind, dim, activation, role) of each span, in order."""

    @property
    def width(self) -> int:
        """Number of matrix columns this codec writes."""
        return sum(s[1] for s in self.spans())

    @abstractmethod
    def encode(self, series: pd.Series, out: np.ndarray, rng: np.random.Generator) -> None:
        """Write the encoding of ``series`` into ``out`` (shape ``(n, width)``, zeroed)."""

    @abstractmethod
    def decode(self, block: np.ndarray, rng: np.random.Generator) -> pd.Series:
        """Rebuild the column (default RangeIndex) from ``block`` (shape ``(n, width)``)."""

    @abstractmethod
    def to_state(self) -> dict[str, Any]:
        """JSON-safe state (``codec`` key added by the transformer)."""

    @classmethod
    @abstractmethod
    def from_state(cls, name: str, state: dict[str, Any]) -> ColumnCodec:
        """Inverse of :meth:`to_state`."""


NULL_SPAN: SpanSpec = ("continuous", 2, "softmax", "null")


def write_null_indicator(out: np.ndarray, nulls: np.ndarray) -> None:
    """One-hot ``[present, null]`` into a 2-column view."""
    out[:, 0] = ~nulls
    out[:, 1] = nulls


def read_null_indicator(block: np.ndarray) -> np.ndarray:
    """Rows decoded as null (argmax of ``[present, null]`` is ``null``)."""
    return np.asarray(block[:, 1] > block[:, 0])
