"""``example_independent``: every column learned and sampled on its own.

- Columns with few distinct values (``discrete_limit``), and all text/bool/category columns:
  value frequencies.
- Other numbers, datetimes (naive or tz-aware), timedeltas and datetime strings (sdtype
  ``datetime`` with a ``format``): a histogram; samples are drawn uniformly inside a chosen
  bin, then rounded to the decimals (or time step) seen in the data and clipped to its range.
- Every column: its null rate; all-null columns stay all-null; dtypes are restored exactly.

Text columns that are unique-ish (more than half the values distinct, over ``discrete_limit``
distinct values) are refused with :class:`~synthohive.errors.ResourceLimitError`: a frequency
table would replay real values. Such columns are keys, PII or free text; declare them so in the
metadata and SynthoHive generates them instead of learning them.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from synthohive.artifacts.api import ArtifactReader, ArtifactWriter
from synthohive.errors import ArtifactIntegrityError, ResourceLimitError
from synthohive.models.base import GenerativeModel, ModelParams
from synthohive.models.codecs import (
    dtype_from_json,
    dtype_to_json,
    values_from_json,
    values_to_json,
)

_STEPS_NS = (86_400 * 10**9, 3_600 * 10**9, 60 * 10**9, 10**9, 10**6, 10**3, 1)


class IndependentParams(ModelParams):
    """Hyper-parameters of :class:`IndependentModel`."""

    bins: int = Field(default=32, ge=2, le=10_000, description="histogram bins per column")
    discrete_limit: int = Field(
        default=20, ge=1, le=100_000, description="at most this many distinct values: frequencies"
    )
    max_categories: int = Field(
        default=1_000, ge=1, le=1_000_000, description="refuse text columns with more values"
    )


def _decimals(x: np.ndarray) -> int | None:
    """Fewest decimals (0..6) that represent every value, or ``None``."""
    for d in range(7):
        scaled = x * 10**d
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-6 * np.maximum(1.0, np.abs(scaled))):
            return d
    return None


def _step_ns(ns: np.ndarray) -> int:
    """The coarsest time step (day ... ns) that divides every value."""
    for step in _STEPS_NS:
        if np.all(ns % step == 0):
            return step
    return 1


class IndependentModel(GenerativeModel):
    """Independent per-column marginals: a tiny, fast, correlation-free baseline."""

    name = "example_independent"
    supports_context = False
    Params = IndependentParams

    params: IndependentParams
    _specs: list[dict[str, Any]]

    # --- fit ------------------------------------------------------------------------------------
    def _fit(
        self,
        data: pd.DataFrame,
        *,
        context: pd.DataFrame | None,
        progress: bool | None,
        seed: int,
    ) -> None:
        self._specs = [self._learn(data.iloc[:, i], data.columns[i]) for i in range(data.shape[1])]

    def _learn(self, col: pd.Series, label: Any) -> dict[str, Any]:
        tname = self.table.name if self.table else None
        spec: dict[str, Any] = {
            "dtype": dtype_to_json(col.dtype, table=tname, column=str(label)),
            "null_rate": float(col.isna().mean()),
        }
        present = col.dropna()
        if len(present) == 0:
            return {**spec, "kind": "empty"}
        meta = self.table.columns.get(str(label)) if self.table else None
        fmt = meta.format if meta is not None and meta.sdtype == "datetime" else None
        if fmt is not None and not pd.api.types.is_datetime64_any_dtype(col):
            parsed = pd.to_datetime(present.astype(str), format=fmt, errors="coerce")
            # Unparseable strings count as missing: only valid dates are ever emitted.
            spec["null_rate"] = float(1 - parsed.notna().sum() / len(col))
            parsed = parsed.dropna()
            if len(parsed) == 0:
                return {**spec, "kind": "empty"}
            ns = pd.DatetimeIndex(parsed).as_unit("ns").asi8
            return {
                **spec,
                **self._histogram(ns.astype("float64")),
                "domain": "datetime_str",
                "format": fmt,
                "step": _step_ns(ns),
            }
        counts = present.value_counts(sort=False)
        counts = counts[counts > 0]  # a categorical lists unused categories with count 0
        numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
        temporal = pd.api.types.is_datetime64_any_dtype(col) or pd.api.types.is_timedelta64_dtype(
            col
        )
        if len(counts) <= self.params.discrete_limit or not (numeric or temporal):
            distinct = len(counts)
            unique_ish = distinct > self.params.discrete_limit and distinct > 0.5 * len(present)
            if not (numeric or temporal) and (unique_ish or distinct > self.params.max_categories):
                raise ResourceLimitError(
                    f"{distinct} distinct values in {len(present)} rows: a frequency table "
                    "would replay real values",
                    table=tname,
                    column=str(label),
                    fix="declare the column as id, pii or text in the metadata so it is "
                    "generated, or drop it",
                )
            values = pd.Index(np.asarray(counts.index, dtype=object).tolist())
            freq = counts.to_numpy(dtype="float64") / counts.sum()
            return {
                **spec,
                "kind": "discrete",
                "values": values_to_json(values, table=tname, column=str(label)),
                "freq": freq.tolist(),
            }
        if temporal:
            if pd.api.types.is_timedelta64_dtype(col):
                ns = pd.TimedeltaIndex(present).as_unit("ns").asi8
                domain, tz = "timedelta", None
            else:
                index = pd.DatetimeIndex(present)
                tz = None if index.tz is None else str(index.tz)
                ns = index.as_unit("ns").asi8  # UTC instants for tz-aware columns
                domain = "datetime"
            return {
                **spec,
                **self._histogram(ns.astype("float64")),
                "domain": domain,
                "tz": tz,
                "step": _step_ns(ns),
            }
        x = present.to_numpy(dtype="float64")
        integer = pd.api.types.is_integer_dtype(col)
        return {
            **spec,
            **self._histogram(x),
            "domain": "number",
            "decimals": 0 if integer else _decimals(x),
        }

    def _histogram(self, x: np.ndarray) -> dict[str, Any]:
        bins = int(min(self.params.bins, max(1, len(np.unique(x)))))
        counts, edges = np.histogram(x, bins=bins)
        return {
            "kind": "histogram",
            "edges": edges.tolist(),
            "freq": (counts / counts.sum()).tolist(),
        }

    # --- sample ---------------------------------------------------------------------------------
    def _sample(
        self,
        n: int,
        *,
        context: pd.DataFrame | None,
        conditions: dict[str, Any] | None,
        seed: int,
    ) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        out = {label: self._draw(spec, n, rng) for label, spec in zip(self.columns, self._specs)}
        return pd.DataFrame(out, index=pd.RangeIndex(n), columns=pd.Index(self.columns))

    def _draw(self, spec: dict[str, Any], n: int, rng: np.random.Generator) -> pd.Series:
        dtype = dtype_from_json(spec["dtype"])
        if spec["kind"] == "empty":
            return pd.Series([None] * n, dtype=object).astype(dtype)
        null = rng.random(n) < spec["null_rate"]
        freq = np.asarray(spec["freq"], dtype="float64")
        codes = rng.choice(len(freq), size=n, p=freq / freq.sum())
        if spec["kind"] == "discrete":
            series = pd.Series(pd.Index(values_from_json(spec["values"]))[codes]).astype(dtype)
        else:
            edges = np.asarray(spec["edges"], dtype="float64")
            x = edges[codes] + rng.random(n) * (edges[codes + 1] - edges[codes])
            x = np.clip(x, edges[0], edges[-1])
            series = self._restore(spec, x, dtype)
        if null.any():
            series = series.where(~null)
        return series

    @staticmethod
    def _restore(spec: dict[str, Any], x: np.ndarray, dtype: Any) -> pd.Series:
        domain = spec["domain"]
        if domain == "number":
            if spec["decimals"] is not None:
                x = np.round(x, spec["decimals"])
            return pd.Series(x).astype(dtype)
        step = int(spec["step"])
        ns = np.round(x / step).astype("int64") * step
        if domain == "timedelta":
            return pd.Series(pd.to_timedelta(ns, unit="ns")).astype(dtype)
        stamps = pd.to_datetime(ns, unit="ns")
        if domain == "datetime_str":
            return pd.Series(stamps.strftime(spec["format"])).astype(dtype)
        if spec["tz"] is not None:
            stamps = stamps.tz_localize("UTC").tz_convert(spec["tz"])
        return pd.Series(stamps).astype(dtype)

    # --- persistence ----------------------------------------------------------------------------
    def _save(self, writer: ArtifactWriter) -> None:
        writer.write_json("columns", {"specs": self._specs})

    def _load(self, reader: ArtifactReader) -> None:
        specs = reader.read_json("columns").get("specs")
        if not isinstance(specs, list) or len(specs) != len(self.columns):
            raise ArtifactIntegrityError("example_independent: column specs do not match")
        for spec in specs:
            _validate(spec)
        self._specs = specs


def _validate(spec: Any) -> None:
    """Reject a malformed column spec read from a model file (never trust the file)."""

    def bad(why: str) -> ArtifactIntegrityError:
        return ArtifactIntegrityError(f"example_independent: malformed column spec: {why}")

    if not isinstance(spec, dict) or spec.get("kind") not in ("empty", "discrete", "histogram"):
        raise bad("unknown kind")
    dtype_from_json(spec.get("dtype"))
    rate = spec.get("null_rate")
    if not isinstance(rate, int | float) or not 0.0 <= rate <= 1.0:
        raise bad("null_rate outside [0, 1]")
    if spec["kind"] == "empty":
        return
    freq = spec.get("freq")
    if (
        not isinstance(freq, list)
        or not freq
        or not all(isinstance(f, int | float) and math.isfinite(f) and f >= 0 for f in freq)
        or sum(freq) <= 0
    ):
        raise bad("frequencies must be finite, non-negative and not all zero")
    if spec["kind"] == "discrete":
        if len(values_from_json(spec.get("values"))) != len(freq):
            raise bad("values and frequencies differ in length")
        return
    edges = spec.get("edges")
    if (
        not isinstance(edges, list)
        or len(edges) != len(freq) + 1
        or not all(isinstance(e, int | float) and math.isfinite(e) for e in edges)
        or any(b < a for a, b in itertools.pairwise(edges))
    ):
        raise bad("histogram edges must be finite, sorted and one more than the bins")
    domain = spec.get("domain")
    if domain not in ("number", "datetime", "timedelta", "datetime_str"):
        raise bad("unknown domain")
    if domain == "number":
        d = spec.get("decimals")
        if d is not None and (not isinstance(d, int) or not 0 <= d <= 6):
            raise bad("decimals outside 0..6")
    elif not isinstance(spec.get("step"), int) or spec["step"] not in _STEPS_NS:
        raise bad("unknown time step")
    if domain == "datetime_str" and not isinstance(spec.get("format"), str):
        raise bad("missing datetime format")
