"""The core's constraints, each exact by construction (see :mod:`synthohive.constraints.base`).

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

import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from synthohive.constraints.base import Constraint, ConstraintParams
from synthohive.constraints.formula import Formula
from synthohive.errors import ArtifactIntegrityError, ConstraintError
from synthohive.models.values import learn_decimals
from synthohive.validation.stats import as_numeric

if TYPE_CHECKING:
    from synthohive.metadata.schema import Column

_SEP = "__"


def _numeric(series: pd.Series, table: str, fmt: str | None = None) -> tuple[np.ndarray, str]:
    """(float64 values, kind) of a number or date column; ``kind`` is ``number``, ``datetime``
    or ``text_datetime``. Dates count in seconds since the epoch."""
    if pd.api.types.is_bool_dtype(series.dtype):
        raise ConstraintError(f"column {series.name!r} is boolean", table=table)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.to_numpy(dtype="float64", na_value=np.nan), "number"
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        kind = "datetime"
        stamps = pd.to_datetime(series)
    else:
        kind = "text_datetime"
        stamps = pd.to_datetime(series, format=fmt or "ISO8601", errors="coerce")
        if stamps.isna().sum() > series.isna().sum():
            raise ConstraintError(
                f"column {series.name!r} holds values that are neither numbers nor dates",
                table=table,
                fix="constrain number or date columns (give the date format in the metadata)",
            )
    return as_numeric(stamps).to_numpy() / 1e9, kind


def _back(values: np.ndarray, like: pd.Series, kind: str, fmt: str | None = None) -> pd.Series:
    """Float values (seconds for dates) back into ``like``'s dtype, on ``like``'s index."""
    return _as(values, like.dtype, like.index, kind, fmt)


def _as(
    values: np.ndarray, dtype: Any, index: pd.Index, kind: str, fmt: str | None = None
) -> pd.Series:
    """Float values (seconds for dates) as a series of ``dtype`` on ``index``."""
    nulls = np.isnan(values)
    if kind == "number":
        if pd.api.types.is_integer_dtype(dtype):
            out = pd.Series(np.where(nulls, 0, np.rint(values)).astype("int64"), index=index)
            if nulls.any() or isinstance(dtype, pd.api.extensions.ExtensionDtype):
                return out.astype("Int64").mask(nulls).astype(dtype)
            return out.astype(dtype)
        return pd.Series(values, index=index).astype(dtype)
    stamps = pd.to_datetime(np.where(nulls, 0, values * 1e9).astype("int64"), unit="ns")
    series = pd.Series(stamps, index=index).mask(nulls)
    if kind == "text_datetime":
        text = series.dt.strftime(fmt or "%Y-%m-%dT%H:%M:%S")
        return text.where(~nulls, None).astype(dtype)
    tz = getattr(dtype, "tz", None)
    if tz is not None:
        series = series.dt.tz_localize("UTC").dt.tz_convert(tz)
    return series.astype(dtype)


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


def in_order(frame: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """``frame``'s columns in ``order`` (the table's order at fit), new ones last."""
    return frame[[c for c in order if c in frame.columns] + [c for c in frame if c not in order]]


def one_categorical(
    columns: dict[str, Column], replaced: list[str], name: str
) -> dict[str, Column]:
    """Column metadata with ``replaced`` swapped for one categorical column ``name``."""
    from synthohive.metadata.schema import Column

    out = {k: v for k, v in columns.items() if k not in replaced}
    out[name] = Column(sdtype="categorical")
    return out


def _grain(values: np.ndarray, kind: str) -> tuple[float, int | None]:
    """(step, decimals) every value is a whole multiple of: for dates the coarsest of a day,
    an hour, a minute or a second (else 0: any); for numbers ``10**-decimals`` (else 0)."""
    if not len(values):
        return 0.0, None
    if kind != "number":
        for step in (86400.0, 3600.0, 60.0, 1.0):
            if np.allclose(np.round(values / step) * step, values, rtol=0, atol=1e-6):
                return step, None
        return 0.0, None
    decimals = _decimals(pd.DataFrame({"v": values}))
    if decimals is None:
        return 0.0, None
    return 10.0**-decimals, decimals


def _dtype(text: str) -> Any:
    """A pandas dtype from its stored name, checked like the plan's dtypes (a model file
    cannot make us cast to a huge fixed-width dtype)."""
    from synthohive.synthesizer.plan_doc import check_dtype_name

    try:
        return pd.api.types.pandas_dtype(check_dtype_name(text))
    except (TypeError, ValueError) as exc:
        raise ArtifactIntegrityError(f"constraint state holds a bad dtype: {exc}") from None


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


# --- combinations -----------------------------------------------------------------------------
class FixedCombinationsParams(ConstraintParams):
    columns: list[str] = Field(min_length=2)


class FixedCombinations(Constraint):
    """Only combinations of ``columns`` seen in the real rows (e.g. city and country)."""

    name = "fixed_combinations"
    Params = FixedCombinationsParams
    checks_against_real = True
    params: FixedCombinationsParams

    def columns(self) -> list[str]:
        return list(self.params.columns)

    @property
    def joined(self) -> str:
        """The learned categorical column."""
        return _SEP.join(["combination", *self.params.columns])

    def _keys(self, data: pd.DataFrame) -> pd.Series:
        """Each row's combination as JSON text (built once per distinct combination)."""
        cols = self.params.columns
        if not len(data):
            return pd.Series([], index=data.index, dtype=object)
        group = data.groupby(cols, dropna=False, sort=False).ngroup().to_numpy()
        firsts = data[cols].iloc[np.unique(group, return_index=True)[1]]
        text = [
            json.dumps([None if pd.isna(v) else _plain(v) for v in row])
            for row in firsts.itertuples(index=False, name=None)
        ]
        return pd.Series(np.asarray(text, dtype=object)[group], index=data.index, dtype=object)

    def fit(self, data: pd.DataFrame) -> None:
        self.seen = sorted(set(self._keys(data)))
        self.dtypes = {c: str(data[c].dtype) for c in self.params.columns}
        self.order = list(data.columns)

    def is_valid(self, data: pd.DataFrame) -> pd.Series:
        return self._keys(data).isin(set(self.seen))

    def transform(self, data: pd.DataFrame) -> pd.DataFrame:
        out = data.drop(columns=self.params.columns)
        out[self.joined] = self._keys(data)
        return out

    def reverse(self, data: pd.DataFrame) -> pd.DataFrame:
        keys = data[self.joined]
        known = keys.isin(set(self.seen))
        if not known.all():  # a model that invents categories: map to a seen combination
            rng = np.random.default_rng(len(keys))
            keys = keys.where(known, pd.Series(rng.choice(self.seen, len(keys)), index=keys.index))
        codes, distinct = pd.factorize(keys)
        parsed = [json.loads(k) for k in distinct]  # once per distinct combination
        out = data.drop(columns=[self.joined])
        for i, col in enumerate(self.params.columns):
            column = np.asarray([row[i] for row in parsed], dtype=object)
            values = pd.Series(column[codes] if len(codes) else [], index=data.index, dtype=object)
            out[col] = _restore(values, self.dtypes[col])
        return in_order(out, self.order)

    def model_columns(self, columns: dict[str, Column]) -> dict[str, Column]:
        return one_categorical(columns, self.params.columns, self.joined)

    def state(self) -> dict[str, Any]:
        return {"seen": self.seen, "dtypes": self.dtypes, "order": self.order}

    def load_state(self, state: dict[str, Any]) -> None:
        self.seen = [str(s) for s in state.get("seen", [])]
        self.dtypes = {str(k): str(v) for k, v in state.get("dtypes", {}).items()}
        self.order = [str(c) for c in state.get("order", [])]


def _plain(value: Any) -> Any:
    """A JSON value for a cell (numpy scalars unwrapped, timestamps as ISO text)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _restore(values: pd.Series, dtype: str) -> pd.Series:
    """Cells decoded from JSON, cast back to the column's dtype where possible."""
    try:
        if dtype.startswith("datetime64"):
            return pd.to_datetime(values).astype(_dtype(dtype))
        return values.astype(_dtype(dtype))
    except (TypeError, ValueError):
        return values


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


# --- one-hot groups ---------------------------------------------------------------------------
class OneHot(Constraint):
    """Exactly one of ``columns`` is 1 (true) and the others 0 on every row (indicator
    columns such as ``is_cash``, ``is_card``, ``is_voucher``)."""

    name = "one_hot"
    Params = FixedCombinationsParams  # the same shape: two or more columns
    params: FixedCombinationsParams

    def columns(self) -> list[str]:
        return list(self.params.columns)

    @property
    def joined(self) -> str:
        """The learned categorical column: the name of the hot column."""
        return _SEP.join(["one_hot", *self.params.columns])

    def _matrix(self, data: pd.DataFrame) -> np.ndarray:
        return data[self.params.columns].astype("float64").to_numpy(na_value=np.nan)

    def is_valid(self, data: pd.DataFrame) -> pd.Series:
        m = self._matrix(data)
        ok = np.isin(m, [0.0, 1.0]).all(axis=1) & (np.nansum(m, axis=1) == 1)
        return pd.Series(ok, index=data.index)

    def fit(self, data: pd.DataFrame) -> None:
        super().fit(data)
        self.dtypes = {c: str(data[c].dtype) for c in self.params.columns}
        self.order = list(data.columns)
        hot = self.transform(data)[self.joined]
        self.most = str(hot.mode().iloc[0]) if len(hot) else self.params.columns[0]

    def transform(self, data: pd.DataFrame) -> pd.DataFrame:
        cols = np.asarray(self.params.columns, dtype=object)
        hot = cols[np.argmax(self._matrix(data) == 1.0, axis=1)] if len(data) else cols[:0]
        out = data.drop(columns=self.params.columns)
        out[self.joined] = pd.Series(hot, index=data.index, dtype=object)
        return out

    def reverse(self, data: pd.DataFrame) -> pd.DataFrame:
        hot = data[self.joined].astype(object)
        hot = hot.where(hot.isin(self.params.columns), self.most)  # an invented category
        out = data.drop(columns=[self.joined])
        for col in self.params.columns:
            flag = (hot == col).to_numpy()
            out[col] = pd.Series(flag, index=data.index).astype(_dtype(self.dtypes[col]))
        return in_order(out, self.order)

    def model_columns(self, columns: dict[str, Column]) -> dict[str, Column]:
        return one_categorical(columns, self.params.columns, self.joined)

    def state(self) -> dict[str, Any]:
        return {"dtypes": self.dtypes, "order": self.order, "most": self.most}

    def load_state(self, state: dict[str, Any]) -> None:
        self.dtypes = {str(k): str(v) for k, v in state.get("dtypes", {}).items()}
        self.order = [str(c) for c in state.get("order", [])]
        self.most = str(state.get("most", self.params.columns[0]))


# --- uniqueness beyond keys -------------------------------------------------------------------
class UniqueParams(ConstraintParams):
    columns: list[str] = Field(min_length=1)


class Unique(Constraint):
    """No two generated rows share the values of ``columns`` (rows with a null in them are
    exempt, as in SQL). No transform makes this exact, so it is the one built-in that
    rejects: repeated rows are drawn again, within a bounded budget, and a table whose model
    cannot produce enough distinct values fails with a clear error. Unique within one run
    (independent runs, e.g. Spark partitions, are not checked against each other)."""

    name = "unique"
    Params = UniqueParams
    params: UniqueParams
    rejects = True

    def __init__(self, table: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(table, params)
        self.used: set[int] = set()

    def columns(self) -> list[str]:
        return list(self.params.columns)

    def rewrites(self) -> list[str]:
        return []

    def _hashes(self, data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(row hashes, rows with a null in the columns)."""
        part = data[self.params.columns]
        nulls = part.isna().any(axis=1).to_numpy()
        text = part.astype(str)  # the same value hashes alike whatever dtype a chunk has
        return pd.util.hash_pandas_object(text, index=False).to_numpy(), nulls

    def is_valid(self, data: pd.DataFrame) -> pd.Series:
        hashes, nulls = self._hashes(data)
        return pd.Series(~pd.Series(hashes).duplicated().to_numpy() | nulls, index=data.index)

    def transform(self, data: pd.DataFrame) -> pd.DataFrame:
        return data

    def reverse(self, data: pd.DataFrame) -> pd.DataFrame:
        return data

    def keep(self, data: pd.DataFrame) -> pd.Series:
        hashes, nulls = self._hashes(data)
        fresh = ~pd.Series(hashes).duplicated().to_numpy()
        if self.used:
            used = self.used
            fresh &= np.fromiter((int(h) not in used for h in hashes), bool, len(hashes))
        return pd.Series(fresh | nulls, index=data.index)

    def accept(self, data: pd.DataFrame) -> None:
        hashes, nulls = self._hashes(data)
        self.used.update(int(h) for h in hashes[~nulls])


def _decimals(values: pd.DataFrame) -> int | None:
    """Fewest decimals every present value has (the copula's rule), or ``None``."""
    flat = values.to_numpy(dtype="float64", na_value=np.nan).ravel()
    return learn_decimals(flat[~np.isnan(flat)])


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
