"""Where each column lives in the transformed matrix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SpanKind = Literal["continuous", "discrete"]
Activation = Literal["tanh", "softmax"]
SpanRole = Literal["value", "mode", "null", "category"]


@dataclass(frozen=True)
class SpanInfo:
    """A slice ``[start, start + dim)`` of the output matrix belonging to one column.

    ``kind`` is the column's kind (continuous spans are not used for conditioning);
    ``activation`` is what a generator applies to the slice (tanh for the scaled value,
    softmax for one-hots); ``role`` says which part of the column's encoding it holds.
    """

    column: str
    kind: SpanKind
    start: int
    dim: int
    activation: Activation
    role: SpanRole = "category"

    @property
    def end(self) -> int:
        """One past the last matrix column of the span."""
        return self.start + self.dim
