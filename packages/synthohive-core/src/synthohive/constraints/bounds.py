"""One-column bounds: ``scalar_range`` (``low <= x <= high``), ``positive`` and ``negative``,
each modelled through an invertible squashing map."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from synthohive.constraints.base import Constraint, ConstraintParams
from synthohive.errors import ConstraintError

if TYPE_CHECKING:
    from synthohive.metadata.schema import Column
from synthohive.constraints.columns import (
    _as,
    _decimals,
    _dtype,
)


# --- one-column ranges ------------------------------------------------------------------------
class ScalarRangeParams(ConstraintParams):
    column: str
    low: float
    high: float
    strict: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> ScalarRangeParams:
        if not self.low < self.high:
            raise ValueError("low must be below high")
        return self


class _OneColumn(Constraint):
    """A rule on one number column, modelled through an invertible squashing map."""

    def columns(self) -> list[str]:
        return [str(self.params.column)]  # type: ignore[attr-defined]

    def fit(self, data: pd.DataFrame) -> None:
        super().fit(data)
        col = self.columns()[0]
        if not pd.api.types.is_numeric_dtype(data[col].dtype) or pd.api.types.is_bool_dtype(
            data[col].dtype
        ):
            raise ConstraintError(
                f"constraint {self.describe()} needs a number column; {col!r} is {data[col].dtype}",
                table=self.table,
                column=col,
            )
        self.dtype = str(data[col].dtype)
        self.decimals = _decimals(data[[col]])

    def _x(self, data: pd.DataFrame) -> np.ndarray:
        return data[self.columns()[0]].to_numpy(dtype="float64", na_value=np.nan)

    def transform(self, data: pd.DataFrame) -> pd.DataFrame:
        out = data.copy()
        with np.errstate(divide="ignore", invalid="ignore"):
            out[self.columns()[0]] = self.forward(self._x(data))
        return out

    def reverse(self, data: pd.DataFrame) -> pd.DataFrame:
        out = data.copy()
        col = self.columns()[0]
        x = self.backward(self._x(data))
        integer = pd.api.types.is_integer_dtype(_dtype(self.dtype))
        if integer:
            x = self.round_int(x)
        elif self.decimals is not None:  # the column's decimals, where they keep the rule
            rounded = np.round(x, self.decimals)
            probe = pd.DataFrame({col: rounded}, index=data.index)
            x = np.where(self.is_valid(probe).to_numpy(), rounded, x)
        out[col] = _as(x, _dtype(self.dtype), data.index, "number")
        return out

    def model_columns(self, columns: dict[str, Column]) -> dict[str, Column]:
        from synthohive.metadata.schema import Column

        return {**columns, self.columns()[0]: Column(sdtype="numerical", dtype="float64")}

    def state(self) -> dict[str, Any]:
        return {"dtype": self.dtype, "decimals": self.decimals}

    def load_state(self, state: dict[str, Any]) -> None:
        self.dtype = str(state.get("dtype", "float64"))
        raw = state.get("decimals")
        self.decimals = None if raw is None else int(raw)

    # hooks
    def forward(self, x: np.ndarray) -> np.ndarray:
        """Values -> unbounded model values."""
        raise NotImplementedError

    def backward(self, z: np.ndarray) -> np.ndarray:
        """Model values -> values that satisfy the rule."""
        raise NotImplementedError

    def round_int(self, x: np.ndarray) -> np.ndarray:
        """Integers that still satisfy the rule."""
        raise NotImplementedError


class ScalarRange(_OneColumn):
    """``low <= column <= high`` (or strictly inside) for a number column."""

    name = "scalar_range"
    Params = ScalarRangeParams
    params: ScalarRangeParams

    def is_valid(self, data: pd.DataFrame) -> pd.Series:
        x, p = self._x(data), self.params
        with np.errstate(invalid="ignore"):
            ok = (x > p.low) & (x < p.high) if p.strict else (x >= p.low) & (x <= p.high)
        return pd.Series(ok | np.isnan(x), index=data.index)

    def forward(self, x: np.ndarray) -> np.ndarray:
        p = self.params
        eps = 1e-9
        u = np.clip((x - p.low) / (p.high - p.low), eps, 1 - eps)
        return np.log(u) - np.log1p(-u)

    def backward(self, z: np.ndarray) -> np.ndarray:
        p = self.params
        u = 1.0 / (1.0 + np.exp(-np.clip(z, -700, 700)))
        x = p.low + u * (p.high - p.low)
        if p.strict:
            x = np.clip(x, np.nextafter(p.low, p.high), np.nextafter(p.high, p.low))
        return np.clip(x, p.low, p.high)

    def round_int(self, x: np.ndarray) -> np.ndarray:
        p = self.params
        lo, hi = (
            (np.floor(p.low) + 1, np.ceil(p.high) - 1)
            if p.strict
            else (
                np.ceil(p.low),
                np.floor(p.high),
            )
        )
        return np.clip(np.rint(x), lo, hi)


class SignParams(ConstraintParams):
    column: str
    strict: bool = Field(False, description="exclude zero")


class Positive(_OneColumn):
    """``column >= 0`` (``> 0`` when strict) for a number column."""

    name = "positive"
    Params = SignParams
    params: SignParams
    sign = 1.0

    def is_valid(self, data: pd.DataFrame) -> pd.Series:
        x = self.sign * self._x(data)
        with np.errstate(invalid="ignore"):
            ok = x > 0 if self.params.strict else x >= 0
        return pd.Series(ok | np.isnan(x), index=data.index)

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = np.maximum(self.sign * x, 0.0)
        return np.log(y) if self.params.strict else np.log1p(y)

    def backward(self, z: np.ndarray) -> np.ndarray:
        z = np.clip(z, -700, 700)
        y = np.exp(z) if self.params.strict else np.expm1(np.maximum(z, 0.0))
        if self.params.strict:
            y = np.maximum(y, np.finfo(np.float64).tiny)
        return self.sign * y

    def round_int(self, x: np.ndarray) -> np.ndarray:
        y = np.rint(self.sign * x)
        return self.sign * np.maximum(y, 1.0 if self.params.strict else 0.0)


class Negative(Positive):
    """``column <= 0`` (``< 0`` when strict) for a number column."""

    name = "negative"
    sign = -1.0
