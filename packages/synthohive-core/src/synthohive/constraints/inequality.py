"""``inequality`` (``low <= high``) and ``range`` (``low <= middle <= high``): one column's
order against others, on numbers or dates (``datetime64`` or text in the column's format)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from synthohive.constraints.base import Constraint, ConstraintParams

if TYPE_CHECKING:
    from synthohive.metadata.schema import Column
from synthohive.constraints.columns import (
    _SEP,
    _as,
    _dtype,
    _grain,
    _numeric,
    in_order,
)


class _FormatAware(Constraint):
    """Constraints on number or date columns: remembers each column's kind and format."""

    def __init__(self, table: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(table, params)
        self.formats: dict[str, str | None] = {}
        self.kinds: dict[str, str] = {}

    def bind_columns(self, columns: dict[str, Column]) -> None:
        """Take each column's date ``format`` from the table's metadata."""
        self.formats = {c: getattr(columns.get(c), "format", None) for c in self.columns()}

    def values(self, data: pd.DataFrame, column: str) -> np.ndarray:
        """``column`` as float64 (dates in seconds)."""
        vals, kind = _numeric(data[column], self.table, self.formats.get(column))
        self.kinds.setdefault(column, kind)
        return vals

    def state(self) -> dict[str, Any]:
        return {"kinds": self.kinds, "formats": self.formats}

    def load_state(self, state: dict[str, Any]) -> None:
        self.kinds = {str(k): str(v) for k, v in state.get("kinds", {}).items()}
        self.formats = {
            str(k): None if v is None else str(v) for k, v in state.get("formats", {}).items()
        }


# --- inequality -----------------------------------------------------------------------------
class InequalityParams(ConstraintParams):
    low: str = Field(description="the column that must not exceed high")
    high: str
    strict: bool = Field(False, description="high > low instead of high >= low")

    @model_validator(mode="after")
    def _distinct(self) -> InequalityParams:
        if self.low == self.high:
            raise ValueError("low and high must be different columns")
        return self


class Inequality(_FormatAware):
    """``high >= low`` (or ``>``) for two number or date columns of a row."""

    name = "inequality"
    Params = InequalityParams
    params: InequalityParams

    def columns(self) -> list[str]:
        return [self.params.low, self.params.high]

    def rewrites(self) -> list[str]:
        return [self.params.high]

    @property
    def gap(self) -> str:
        """The learned column holding ``log(high - low)``."""
        return f"{self.params.high}{_SEP}minus{_SEP}{self.params.low}"

    @property
    def alone(self) -> str:
        """The learned column holding ``high`` where ``low`` is null."""
        return f"{self.params.high}{_SEP}without{_SEP}{self.params.low}"

    def is_valid(self, data: pd.DataFrame) -> pd.Series:
        low, high = self.values(data, self.params.low), self.values(data, self.params.high)
        with np.errstate(invalid="ignore"):
            ok = high > low if self.params.strict else high >= low
        return pd.Series(ok | np.isnan(low) | np.isnan(high), index=data.index)

    def transform(self, data: pd.DataFrame) -> pd.DataFrame:
        low, high = self.values(data, self.params.low), self.values(data, self.params.high)
        with np.errstate(invalid="ignore", divide="ignore"):
            gap = np.log(np.maximum(high - low, 0.0) + (0.0 if self.params.strict else 1.0))
        out = data.drop(columns=[self.params.high])
        out[self.gap] = np.where(np.isnan(low), np.nan, gap)
        out[self.alone] = np.where(np.isnan(low), high, np.nan)
        return out

    def reverse(self, data: pd.DataFrame) -> pd.DataFrame:
        low = self.values(data, self.params.low)
        gap = data[self.gap].to_numpy(dtype="float64", na_value=np.nan)
        alone = data[self.alone].to_numpy(dtype="float64", na_value=np.nan)
        diff = np.maximum(np.exp(gap) - (0.0 if self.params.strict else 1.0), 0.0)
        kind = self.kinds.get(self.params.high, "number")
        step = self.step
        if step:  # whole steps of the column's grain (1 for integers, 0.01 for cents, 1 h...)
            steps = np.ceil(np.round(diff / step, 6))
            if self.params.strict:
                steps = np.maximum(steps, 1.0)
            diff = steps * step
            alone = np.round(alone / step) * step
        elif self.params.strict:
            tiny = 1e-6 if kind != "number" else np.spacing(np.abs(low)) * 4
            diff = np.maximum(diff, tiny)
        high = np.where(np.isnan(low), alone, low + diff)
        if kind == "number" and self.decimals is not None:
            high = np.round(high, self.decimals)
        out = data.drop(columns=[self.gap, self.alone])
        out[self.params.high] = _as(high, self.template.dtype, out.index, kind, self.fmt)
        return in_order(out, self.order)

    # the dtype of ``high`` and the column order, learned at fit
    def fit(self, data: pd.DataFrame) -> None:
        super().fit(data)
        self.template = data[self.params.high].iloc[:0]
        self.order = list(data.columns)
        self.fmt = self.formats.get(self.params.high)
        both = np.concatenate(
            [self.values(data, self.params.low), self.values(data, self.params.high)]
        )
        both = both[~np.isnan(both)]
        self.step, self.decimals = _grain(both, self.kinds.get(self.params.high, "number"))

    def model_columns(self, columns: dict[str, Column]) -> dict[str, Column]:
        from synthohive.metadata.schema import Column

        out = {k: v for k, v in columns.items() if k != self.params.high}
        out[self.gap] = Column(sdtype="numerical", dtype="float64")
        out[self.alone] = Column(sdtype="numerical", dtype="float64")
        return out

    def state(self) -> dict[str, Any]:
        return {
            **super().state(),
            "dtype": str(self.template.dtype),
            "order": self.order,
            "step": self.step,
            "decimals": self.decimals,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)
        self.template = pd.Series([], dtype=_dtype(state.get("dtype", "float64")))
        self.order = [str(c) for c in state.get("order", [])]
        self.step = float(state.get("step") or 0.0)
        raw = state.get("decimals")
        self.decimals = None if raw is None else int(raw)
        self.fmt = self.formats.get(self.params.high)


# --- a value between two columns -------------------------------------------------------------
class RangeParams(ConstraintParams):
    low: str = Field(description="the column value must not be below")
    value: str
    high: str = Field(description="the column value must not exceed")

    @model_validator(mode="after")
    def _distinct(self) -> RangeParams:
        if len({self.low, self.value, self.high}) < 3:
            raise ValueError("low, value and high must be three different columns")
        return self


class Range(_FormatAware):
    """``low <= value <= high`` for three number or date columns of a row (e.g. a payment date
    between an order's placement and its due date); ``low <= high`` follows."""

    name = "range"
    Params = RangeParams
    params: RangeParams

    def __init__(self, table: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(table, params)
        self.bounds = Inequality(table, {"low": self.params.low, "high": self.params.high})

    def columns(self) -> list[str]:
        return [self.params.low, self.params.value, self.params.high]

    def rewrites(self) -> list[str]:
        return [self.params.value, self.params.high]

    @property
    def within(self) -> str:
        """The learned column holding the logit of value's position between the bounds."""
        p = self.params
        return f"{p.value}{_SEP}within{_SEP}{p.low}{_SEP}{p.high}"

    @property
    def alone(self) -> str:
        """The learned column holding ``value`` where a bound is null."""
        return f"{self.params.value}{_SEP}unbounded"

    def bind_columns(self, columns: dict[str, Column]) -> None:
        super().bind_columns(columns)
        self.bounds.bind_columns(columns)

    def _three(self, data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p = self.params
        return self.values(data, p.low), self.values(data, p.value), self.values(data, p.high)

    def is_valid(self, data: pd.DataFrame) -> pd.Series:
        low, value, high = self._three(data)
        with np.errstate(invalid="ignore"):
            ok = (low <= value) & (value <= high)
        return pd.Series(ok | np.isnan(low) | np.isnan(value) | np.isnan(high), index=data.index)

    def fit(self, data: pd.DataFrame) -> None:
        super().fit(data)
        self.bounds.fit(data)
        self.template = data[self.params.value].iloc[:0]
        self.order = list(data.columns)
        low, value, high = self._three(data)
        every = np.concatenate([low, value, high])
        self.step, self.decimals = _grain(
            every[~np.isnan(every)], self.kinds.get(self.params.value, "number")
        )

    def transform(self, data: pd.DataFrame) -> pd.DataFrame:
        low, value, high = self._three(data)
        bounded = ~np.isnan(low) & ~np.isnan(high)
        with np.errstate(invalid="ignore", divide="ignore"):
            width = high - low
            u = np.where(width > 0, (value - low) / np.where(width > 0, width, 1.0), 0.5)
            u = np.clip(u, 1e-9, 1 - 1e-9)
            z = np.log(u) - np.log1p(-u)
        out = self.bounds.transform(data).drop(columns=[self.params.value])
        out[self.within] = np.where(bounded, z, np.nan)  # nan also where value is null
        out[self.alone] = np.where(bounded, np.nan, value)
        return out

    def reverse(self, data: pd.DataFrame) -> pd.DataFrame:
        out = self.bounds.reverse(data)
        low, high = self.values(out, self.params.low), self.values(out, self.params.high)
        z = out[self.within].to_numpy(dtype="float64", na_value=np.nan)
        alone = out[self.alone].to_numpy(dtype="float64", na_value=np.nan)
        u = 1.0 / (1.0 + np.exp(-np.clip(z, -700, 700)))
        value = low + u * (high - low)
        if self.step:  # whole steps from low: on the same grain as the bounds
            value = low + np.round((value - low) / self.step) * self.step
            alone = np.round(alone / self.step) * self.step
        elif self.decimals is not None:
            value = np.round(value, self.decimals)
        with np.errstate(invalid="ignore"):
            value = np.minimum(np.maximum(value, low), high)
        bounded = ~np.isnan(low) & ~np.isnan(high)
        value = np.where(bounded, value, alone)
        out = out.drop(columns=[self.within, self.alone])
        kind = self.kinds.get(self.params.value, "number")
        fmt = self.formats.get(self.params.value)
        out[self.params.value] = _as(value, self.template.dtype, out.index, kind, fmt)
        return in_order(out, self.order)

    def model_columns(self, columns: dict[str, Column]) -> dict[str, Column]:
        from synthohive.metadata.schema import Column

        out = self.bounds.model_columns(columns)
        out.pop(self.params.value, None)
        out[self.within] = Column(sdtype="numerical", dtype="float64")
        out[self.alone] = Column(sdtype="numerical", dtype="float64")
        return out

    def state(self) -> dict[str, Any]:
        return {
            **super().state(),
            "bounds": self.bounds.state(),
            "dtype": str(self.template.dtype),
            "order": self.order,
            "step": self.step,
            "decimals": self.decimals,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)
        self.bounds.load_state(state.get("bounds") or {})
        self.template = pd.Series([], dtype=_dtype(state.get("dtype", "float64")))
        self.order = [str(c) for c in state.get("order", [])]
        self.step = float(state.get("step") or 0.0)
        raw = state.get("decimals")
        self.decimals = None if raw is None else int(raw)
