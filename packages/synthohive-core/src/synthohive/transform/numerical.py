"""Continuous columns: numbers, datetimes, timedeltas and datetime strings via GMM modes."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from synthohive.errors import ArtifactIntegrityError
from synthohive.models.codecs import decode_value, describe_dtype, dtype_from_json, encode_value
from synthohive.transform import datetimes as dtm
from synthohive.transform.base import (
    NULL_SPAN,
    ColumnCodec,
    SpanSpec,
    read_null_indicator,
    write_null_indicator,
)
from synthohive.transform.modes import ModeModel, QuantileModel, all_points, modes_from_state
from synthohive.transform.series import build_series

Source = Literal["number", "datetime", "timedelta", "datetime_str"]
_MAX_DECIMALS = 10
EXACT_INT = 2**53


def is_integer_dtype(dtype: Any) -> bool:
    """numpy or pandas-nullable integer dtype (not bool)."""
    return pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def learn_decimals(x: np.ndarray, float32: bool) -> int | None:
    """Fewest decimals (0..10) whose rounding gives back every value (exactly in float32,
    within one ulp in float64), or ``None`` when none do."""
    if not len(x):
        return None
    ulp = np.spacing(np.abs(x))
    for d in range(_MAX_DECIMALS + 1):
        r = np.round(x, d)
        if float32:
            ok = np.array_equal(r.astype(np.float32), x.astype(np.float32))
        else:
            ok = bool(np.all(np.abs(r - x) <= ulp))
        if ok:
            return d
    return None


def _raw_values(series: pd.Series, source: Source) -> tuple[np.ndarray, str | None]:
    """(raw values, integer kind 'i'/'u' or None for floats); nulls hold placeholders."""
    if source in ("datetime", "timedelta", "datetime_str"):
        return dtm.as_int64(series), "i"
    dtype = series.dtype
    if pd.api.types.is_object_dtype(dtype):
        integral = pd.api.types.infer_dtype(series, skipna=True) == "integer"
        series = pd.to_numeric(series)
        if integral and not is_integer_dtype(series.dtype):
            series = series.astype("Int64")  # python ints with nulls stay ints
        dtype = series.dtype
    if is_integer_dtype(dtype):
        if pd.api.types.is_unsigned_integer_dtype(dtype):
            return series.to_numpy(dtype=np.uint64, na_value=0), "u"
        return series.to_numpy(dtype=np.int64, na_value=0), "i"
    return series.to_numpy(dtype=np.float64, na_value=np.nan), None


def int_range_fits(series: pd.Series) -> bool:
    """Whether an integer column's range is below 2**53 (exact through float64)."""
    raw, kind = _raw_values(series, "number")
    present = raw[series.notna().to_numpy()]
    if kind is None or not len(present):
        return True
    return int(present.max()) - int(present.min()) < EXACT_INT


class ContinuousCodec(ColumnCodec):
    """``[value (tanh, 1)] [mode one-hot (softmax, k)] [null indicator (softmax, 2)]``."""

    tag: ClassVar[str] = "continuous"

    def __init__(
        self,
        name: str,
        *,
        source: Source,
        dtype: dict[str, Any],
        sentinel: str,
        has_nulls: bool,
        int_kind: str | None,
        offset: int | float,
        step: int,
        lo: float,
        hi: float,
        rounding: int | None,
        modes: ModeModel | QuantileModel,
        fmt: str | None = None,
    ) -> None:
        super().__init__(name)
        self.source: Source = source
        self.dtype_desc = dtype
        self.dtype = dtype_from_json(dtype)
        self.sentinel = sentinel
        self.has_nulls = has_nulls
        self.int_kind = int_kind
        self.offset = offset
        self.step = step
        self.lo = lo
        self.hi = hi
        self.rounding = rounding
        self.modes = modes
        self.fmt = fmt

    # --- fit -----------------------------------------------------------------------------------
    @classmethod
    def fit(
        cls,
        name: str,
        series: pd.Series,
        nulls: np.ndarray,
        *,
        source: Source,
        dtype: Any,
        sentinel: str,
        rounding: int | None,
        fmt: str | None,
        max_modes: int,
        sample_rows: int,
        max_iter: int,
        weight_threshold: float,
        seed: int,
        backend: Literal["fast", "sklearn"] = "fast",
        encoding: Literal["modes", "quantile"] = "modes",
    ) -> ContinuousCodec:
        """Fit on ``series`` (parsed datetimes for ``datetime_str``; ``dtype`` is the original
        column dtype); ``nulls`` marks missing rows (incl. unparseable strings)."""
        raw, int_kind = _raw_values(series, source)
        present = raw[~nulls]
        step = 1
        offset: int | float
        if int_kind is not None:
            offset = int(present.min())
            rel_int = present - present.dtype.type(offset)
            if source != "number":
                unit = "ns" if source == "datetime_str" else dtm.unit_of(series.dtype)
                step = dtm.coarsest_step(rel_int.astype(np.int64), unit)
            rel = (rel_int // step).astype(np.float64)
            rounding = None
        else:
            offset = 0.0
            rel = present.astype(np.float64)
            if rounding is None:
                rounding = learn_decimals(rel, series.dtype == np.float32)
        modes: ModeModel | QuantileModel
        if encoding == "quantile" and not all_points(rel):
            modes = QuantileModel.fit(rel, sample_rows=sample_rows, seed=seed)
        else:
            modes = ModeModel.fit(
                rel,
                max_modes=max_modes,
                sample_rows=sample_rows,
                weight_threshold=weight_threshold,
                seed=seed,
                max_iter=max_iter,
                backend=backend,
            )
        return cls(
            name,
            source=source,
            dtype=describe_dtype(dtype),
            sentinel=sentinel,
            has_nulls=bool(nulls.any()),
            int_kind=int_kind,
            offset=offset,
            step=step,
            lo=float(rel.min()),
            hi=float(rel.max()),
            rounding=rounding,
            modes=modes,
            fmt=fmt,
        )

    # --- spans / encode / decode -----------------------------------------------------------
    def spans(self) -> list[SpanSpec]:
        out: list[SpanSpec] = [
            ("continuous", 1, "tanh", "value"),
            ("continuous", self.modes.n_modes, "softmax", "mode"),
        ]
        if self.has_nulls:
            out.append(NULL_SPAN)
        return out

    def relative(self, series: pd.Series, nulls: np.ndarray) -> np.ndarray:
        """Values in model units (relative to ``offset``, in ``step``s); NaN where null."""
        raw, kind = _raw_values(series, self.source)
        if kind is None:
            rel = raw.astype(np.float64)
        else:
            typ = raw.dtype.type
            if kind == "u":
                below = raw < typ(self.offset)
                raw = np.where(below, typ(self.offset), raw)
            rel = ((raw - typ(self.offset)) // typ(self.step)).astype(np.float64)
        rel[nulls] = np.nan
        return rel

    def encode(self, series: pd.Series, out: np.ndarray, rng: np.random.Generator) -> None:
        if self.source == "datetime_str":
            series, _, _ = dtm.parse_strings(
                series, self.fmt, table="", column=self.name, strict=False
            )
        nulls = series.isna().to_numpy()
        self.encode_relative(self.relative(series, nulls), nulls, out, rng)

    def encode_relative(
        self, rel: np.ndarray, nulls: np.ndarray, out: np.ndarray, rng: np.random.Generator
    ) -> None:
        """Encode model-unit values; null rows copy the encoding of a random present row."""
        k = self.modes.n_modes
        present_idx = np.flatnonzero(~nulls)
        value = np.zeros(len(rel), dtype=np.float64)
        mode = np.zeros(len(rel), dtype=np.int64)
        if len(present_idx):
            v, m = self.modes.encode(rel[present_idx])
            value[present_idx] = v
            mode[present_idx] = m
            null_idx = np.flatnonzero(nulls)
            if len(null_idx):
                donor = present_idx[rng.integers(0, len(present_idx), size=len(null_idx))]
                value[null_idx] = value[donor]
                mode[null_idx] = mode[donor]
        out[:, 0] = value
        out[np.arange(len(rel)), 1 + mode] = 1.0
        if self.has_nulls:
            write_null_indicator(out[:, 1 + k : 3 + k], nulls)

    def decode_relative(self, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(model-unit values clipped/rounded, null mask) from a block."""
        k = self.modes.n_modes
        mode = np.argmax(block[:, 1 : 1 + k], axis=1)
        rel = np.clip(self.modes.decode(block[:, 0], mode), self.lo, self.hi)
        if self.int_kind is not None:
            rel = np.rint(rel)
        nulls = (
            read_null_indicator(block[:, 1 + k : 3 + k])
            if self.has_nulls
            else np.zeros(len(block), dtype=bool)
        )
        return rel, nulls

    def decode(self, block: np.ndarray, rng: np.random.Generator) -> pd.Series:
        rel, nulls = self.decode_relative(block)
        if self.int_kind is not None:
            typ = np.uint64 if self.int_kind == "u" else np.int64
            vals: np.ndarray = rel.astype(typ) * typ(self.step) + typ(self.offset)
        else:
            vals = rel + float(self.offset)
            if self.rounding is not None:
                exact = self.modes.exact[np.argmax(block[:, 1 : 1 + self.modes.n_modes], axis=1)]
                # a point mass is a stored data value: rounding could move it by an ulp
                vals = np.where(exact, vals, np.round(vals, self.rounding))
        if self.source in ("datetime", "timedelta"):
            s = dtm.from_int64(vals, self.dtype)
            return s.mask(nulls) if nulls.any() else s
        if self.source == "datetime_str":
            text = dtm.format_strings(vals, self.fmt or "%Y-%m-%d %H:%M:%S")
            return build_series(text, nulls, self.dtype, self.sentinel)
        return build_series(vals, nulls, self.dtype, self.sentinel)

    def max_error(self) -> float:
        """Largest decoding error (column units: dtype unit for datetimes, ns for datetime
        strings) of an in-band value, after integer/decimal rounding."""
        err = self.modes.max_error()  # model units (steps)
        if self.int_kind is not None:
            return 0.0 if err < 0.5 else (err + 0.5) * self.step
        if self.rounding is not None:
            half = 0.5 * 10.0 ** (-self.rounding)
            return 0.0 if err < half else err + half
        return err

    # --- state ---------------------------------------------------------------------------------
    def to_state(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dtype": self.dtype_desc,
            "sentinel": self.sentinel,
            "has_nulls": self.has_nulls,
            "int_kind": self.int_kind,
            "offset": encode_value(self.offset),
            "step": self.step,
            "lo": self.lo,
            "hi": self.hi,
            "rounding": self.rounding,
            "modes": self.modes.to_state(),
            "format": self.fmt,
        }

    @classmethod
    def from_state(cls, name: str, state: dict[str, Any]) -> ContinuousCodec:
        try:
            return cls(
                name,
                source=state["source"],
                dtype=state["dtype"],
                sentinel=str(state["sentinel"]),
                has_nulls=bool(state["has_nulls"]),
                int_kind=state["int_kind"],
                offset=decode_value(state["offset"]),
                step=int(state["step"]),
                lo=float(state["lo"]),
                hi=float(state["hi"]),
                rounding=None if state["rounding"] is None else int(state["rounding"]),
                modes=modes_from_state(state["modes"]),
                fmt=state.get("format"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactIntegrityError(f"malformed state of column {name!r}: {exc}") from None
