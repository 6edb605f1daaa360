"""Columns without information to learn: all-null or a single value (plus nulls)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from synthohive.errors import ArtifactIntegrityError
from synthohive.models.codecs import (
    decode_value,
    describe_dtype,
    dtype_from_json,
    encode_value,
    object_array,
)
from synthohive.transform.base import (
    ColumnCodec,
    SpanSpec,
    read_null_indicator,
    write_null_indicator,
)
from synthohive.transform.series import build_series, empty_series
from synthohive.transform.spans import SpanKind


class ConstantCodec(ColumnCodec):
    """Zero width, or only a ``[present, null]`` span when a constant column has nulls."""

    tag: ClassVar[str] = "constant"

    def __init__(
        self,
        name: str,
        *,
        dtype: dict[str, Any],
        sentinel: str,
        value: Any,
        all_null: bool,
        has_nulls: bool,
        kind: SpanKind,
    ) -> None:
        super().__init__(name)
        self.dtype_desc = dtype
        self.dtype = dtype_from_json(dtype)
        self.sentinel = sentinel
        self.value = value
        self.all_null = all_null
        self.has_nulls = has_nulls and not all_null
        self.kind: SpanKind = kind

    @classmethod
    def fit(cls, name: str, series: pd.Series, *, sentinel: str, kind: SpanKind) -> ConstantCodec:
        """``series`` holds at most one distinct non-null value."""
        nulls = series.isna().to_numpy()
        all_null = bool(nulls.all())
        value = None if all_null else series[~nulls].iloc[0]
        if isinstance(value, np.generic):
            value = value.item()
        return cls(
            name,
            dtype=describe_dtype(series.dtype),
            sentinel=sentinel,
            value=value,
            all_null=all_null,
            has_nulls=bool(nulls.any()),
            kind=kind,
        )

    def spans(self) -> list[SpanSpec]:
        return [(self.kind, 2, "softmax", "null")] if self.has_nulls else []

    def encode(self, series: pd.Series, out: np.ndarray, rng: np.random.Generator) -> None:
        if self.has_nulls:
            write_null_indicator(out, series.isna().to_numpy())

    def decode(self, block: np.ndarray, rng: np.random.Generator) -> pd.Series:
        n = len(block)
        if self.all_null:
            return empty_series(n, self.dtype, self.sentinel)
        one = build_series(object_array([self.value]), None, self.dtype)
        s = one.take(np.zeros(n, dtype=np.int64)).reset_index(drop=True)
        if self.has_nulls:
            nulls = read_null_indicator(block)
            if nulls.any():
                if self.sentinel == "none":
                    s = s.astype(object).where(~nulls, None)
                else:
                    s = s.mask(nulls)
                    if s.dtype != self.dtype:
                        s = s.astype(self.dtype)
        return s

    def to_state(self) -> dict[str, Any]:
        return {
            "dtype": self.dtype_desc,
            "sentinel": self.sentinel,
            "value": None if self.all_null else encode_value(self.value),
            "all_null": self.all_null,
            "has_nulls": self.has_nulls,
            "kind": self.kind,
        }

    @classmethod
    def from_state(cls, name: str, state: dict[str, Any]) -> ConstantCodec:
        try:
            all_null = bool(state["all_null"])
            kind = state["kind"]
            if kind not in ("continuous", "discrete"):
                raise ValueError(f"bad span kind {kind!r}")
            return cls(
                name,
                dtype=state["dtype"],
                sentinel=str(state["sentinel"]),
                value=None if all_null else decode_value(state["value"]),
                all_null=all_null,
                has_nulls=bool(state["has_nulls"]),
                kind=kind,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactIntegrityError(f"malformed state of column {name!r}: {exc}") from None
