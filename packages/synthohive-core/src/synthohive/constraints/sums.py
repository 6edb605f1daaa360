"""``sum``: a total column that equals the sum of its parts; the model learns the parts only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from synthohive.constraints.base import Constraint, ConstraintParams

if TYPE_CHECKING:
    from synthohive.metadata.schema import Column
from synthohive.constraints.columns import (
    _as,
    _decimals,
    _dtype,
    in_order,
)


# --- sums -------------------------------------------------------------------------------------
class SumParams(ConstraintParams):
    parts: list[str] = Field(min_length=1)
    total: str

    @model_validator(mode="after")
    def _total_not_a_part(self) -> SumParams:
        if self.total in self.parts:
            raise ValueError("total cannot be one of the parts")
        return self


class Sum(Constraint):
    """``total == sum(parts)`` within a row (e.g. net + tax = gross); nulls count as 0."""

    name = "sum"
    Params = SumParams
    params: SumParams

    def columns(self) -> list[str]:
        return [*self.params.parts, self.params.total]

    def rewrites(self) -> list[str]:
        return [self.params.total]

    def _sum(self, data: pd.DataFrame) -> np.ndarray:
        parts = data[self.params.parts].to_numpy(dtype="float64", na_value=np.nan)
        return np.nansum(parts, axis=1)

    def is_valid(self, data: pd.DataFrame) -> pd.Series:
        total = data[self.params.total].to_numpy(dtype="float64", na_value=np.nan)
        expect = self._sum(data)
        ok = np.isclose(total, expect, rtol=1e-9, atol=1e-6) | np.isnan(total)
        return pd.Series(ok, index=data.index)

    def fit(self, data: pd.DataFrame) -> None:
        super().fit(data)
        self.dtype = str(data[self.params.total].dtype)
        self.decimals = _decimals(data[self.params.parts])
        self.order = list(data.columns)

    def transform(self, data: pd.DataFrame) -> pd.DataFrame:
        return data.drop(columns=[self.params.total])

    def reverse(self, data: pd.DataFrame) -> pd.DataFrame:
        out = data.copy()
        if self.decimals is not None:  # parts on their grain first, so the sum is exact
            for part in self.params.parts:
                if pd.api.types.is_float_dtype(out[part].dtype):
                    out[part] = out[part].round(self.decimals)
        total = self._sum(out)
        if self.decimals is not None:
            total = np.round(total, self.decimals)
        out[self.params.total] = _as(total, _dtype(self.dtype), data.index, "number")
        return in_order(out, self.order)

    def model_columns(self, columns: dict[str, Column]) -> dict[str, Column]:
        return {k: v for k, v in columns.items() if k != self.params.total}

    def state(self) -> dict[str, Any]:
        return {"dtype": self.dtype, "decimals": self.decimals, "order": self.order}

    def load_state(self, state: dict[str, Any]) -> None:
        self.dtype = str(state.get("dtype", "float64"))
        raw = state.get("decimals")
        self.decimals = None if raw is None else int(raw)
        self.order = [str(c) for c in state.get("order", [])]
