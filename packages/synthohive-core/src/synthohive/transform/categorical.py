"""Discrete columns: one-hot of the most frequent categories, an "other" slot, a null slot."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from synthohive.errors import ArtifactIntegrityError, InvalidDataError, UnknownConditionValueError
from synthohive.models.codecs import (
    decode_values,
    describe_dtype,
    dtype_from_json,
    encode_values,
    object_array,
)
from synthohive.transform.base import ColumnCodec, SpanSpec
from synthohive.transform.series import build_series


def _is_null_scalar(value: object) -> bool:
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def _same(a: object, b: object) -> bool:
    if isinstance(a, bool | np.bool_) != isinstance(b, bool | np.bool_):
        return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


class DiscreteCodec(ColumnCodec):
    """One softmax span: ``kept categories | other (when the tail was cut) | null (if seen)``.

    The "other" slot decodes to a tail category drawn by observed frequency (up to
    ``max_tail`` tail values are remembered).
    """

    tag: ClassVar[str] = "discrete"

    def __init__(
        self,
        name: str,
        *,
        dtype: dict[str, Any],
        sentinel: str,
        values: list[Any],
        tail_values: list[Any],
        tail_probs: np.ndarray,
        has_other: bool,
        has_nulls: bool,
    ) -> None:
        super().__init__(name)
        self.dtype_desc = dtype
        self.dtype = dtype_from_json(dtype)
        self.sentinel = sentinel
        self.values = values
        self.tail_values = tail_values
        self.tail_probs = np.asarray(tail_probs, dtype=np.float64)
        self.has_other = has_other
        self.has_nulls = has_nulls
        self._lookup: pd.Series | None = None
        self._index = pd.Index(object_array(values))

    @property
    def dim(self) -> int:
        """Width of the one-hot span."""
        return len(self.values) + int(self.has_other) + int(self.has_nulls)

    @property
    def other_slot(self) -> int:
        """Index of the "other" slot (``-1`` when absent)."""
        return len(self.values) if self.has_other else -1

    @property
    def null_slot(self) -> int:
        """Index of the null slot (``-1`` when absent)."""
        return len(self.values) + int(self.has_other) if self.has_nulls else -1

    @classmethod
    def fit(
        cls,
        name: str,
        series: pd.Series,
        *,
        sentinel: str,
        max_categories: int,
        max_tail: int,
        table: str | None,
    ) -> DiscreteCodec:
        """Count categories of ``series`` (vectorised) and keep the most frequent."""
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        codes = np.asarray(codes)
        counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
        order = np.argsort(-counts, kind="stable")
        has_other = len(uniques) > max_categories
        n_keep = max(1, max_categories - 1) if has_other else len(uniques)
        kept, tail = order[:n_keep], order[n_keep : n_keep + max_tail]
        uq = np.asarray(pd.Index(uniques).astype(object))
        tail_counts = counts[tail].astype(np.float64)
        probs = tail_counts / tail_counts.sum() if len(tail) else np.zeros(0)
        return cls(
            name,
            dtype=describe_dtype(series.dtype),
            sentinel=sentinel,
            values=list(uq[kept]),
            tail_values=list(uq[tail]),
            tail_probs=probs,
            has_other=bool(has_other),
            has_nulls=bool((codes < 0).any()),
        )

    def check_storable(self, table: str | None) -> None:
        """Raise ``InvalidDataError`` when a value cannot be stored (dicts, objects, ...)."""
        encode_values(self.values, table=table, column=self.name)
        encode_values(self.tail_values, table=table, column=self.name)

    def spans(self) -> list[SpanSpec]:
        return [("discrete", self.dim, "softmax", "category")]

    def slots(self, series: pd.Series) -> np.ndarray:
        """Slot index of every row."""
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        codes = np.asarray(codes)
        slot_of = np.asarray(self._index.get_indexer(pd.Index(uniques).astype(object)))
        unseen = slot_of < 0
        if unseen.any():
            if not self.has_other:
                bad = pd.Index(uniques)[unseen][:5].tolist()
                raise InvalidDataError(
                    f"values never seen at fit, e.g. {bad}",
                    column=self.name,
                    fix="fit the transformer on data that covers every category",
                )
            slot_of[unseen] = self.other_slot
        slot = np.where(codes >= 0, slot_of[np.maximum(codes, 0)] if len(slot_of) else 0, -1)
        if (slot < 0).any():
            if not self.has_nulls:
                raise InvalidDataError(
                    "nulls in a column that had none at fit",
                    column=self.name,
                    fix="fit the transformer on data with the same null pattern",
                )
            slot[slot < 0] = self.null_slot
        return slot

    def encode(self, series: pd.Series, out: np.ndarray, rng: np.random.Generator) -> None:
        slot = self.slots(series)
        out[np.arange(len(slot)), slot] = 1.0

    def _lookup_series(self) -> pd.Series:
        if self._lookup is None:
            vals = object_array(self.values + self.tail_values)
            self._lookup = build_series(vals, None, self.dtype)
        return self._lookup

    def decode(self, block: np.ndarray, rng: np.random.Generator) -> pd.Series:
        n = len(block)
        idx = np.argmax(block, axis=1) if self.dim else np.zeros(n, dtype=np.int64)
        nulls = idx == self.null_slot if self.has_nulls else np.zeros(n, dtype=bool)
        pos = np.where(nulls, 0, idx)
        if self.has_other:
            other = idx == self.other_slot
            n_other = int(other.sum())
            if n_other and len(self.tail_values):
                draws = rng.choice(len(self.tail_values), size=n_other, p=self.tail_probs)
                pos[other] = len(self.values) + draws
            elif n_other:
                pos[other] = 0
        s = self._lookup_series().take(pos).reset_index(drop=True)
        if nulls.any():
            if self.sentinel == "none":
                s = s.astype(object).where(~nulls, None)
            else:
                s = s.mask(nulls)
                if s.dtype != self.dtype:
                    s = s.astype(self.dtype)
        return s

    def category_index(self, value: object) -> int:
        """Slot of ``value`` (tail values -> other, null -> null slot)."""
        if _is_null_scalar(value):
            if self.has_nulls:
                return self.null_slot
        else:
            for i, v in enumerate(self.values):
                if _same(v, value):
                    return i
            if self.has_other and any(_same(v, value) for v in self.tail_values):
                return self.other_slot
        shown = self.values[:20]
        more = len(self.values) - len(shown) + len(self.tail_values)
        raise UnknownConditionValueError(
            f"value {value!r} was never seen; valid values: {shown}"
            + (f" (and {more} more)" if more > 0 else ""),
            column=self.name,
            fix="condition on one of the valid values",
        )

    def to_state(self) -> dict[str, Any]:
        return {
            "dtype": self.dtype_desc,
            "sentinel": self.sentinel,
            "values": encode_values(self.values, column=self.name),
            "tail_values": encode_values(self.tail_values, column=self.name),
            "tail_probs": self.tail_probs.tolist(),
            "has_other": self.has_other,
            "has_nulls": self.has_nulls,
        }

    @classmethod
    def from_state(cls, name: str, state: dict[str, Any]) -> DiscreteCodec:
        try:
            codec = cls(
                name,
                dtype=state["dtype"],
                sentinel=str(state["sentinel"]),
                values=decode_values(state["values"]),
                tail_values=decode_values(state["tail_values"]),
                tail_probs=np.array(state["tail_probs"], dtype=np.float64),
                has_other=bool(state["has_other"]),
                has_nulls=bool(state["has_nulls"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactIntegrityError(f"malformed state of column {name!r}: {exc}") from None
        if len(codec.tail_probs) != len(codec.tail_values):
            raise ArtifactIntegrityError(f"malformed state of column {name!r}: tail sizes")
        return codec
