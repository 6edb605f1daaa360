"""Per-column marginals of the Gaussian copula: value ↔ uniform score, with exact dtype restore.

Each column becomes up to two latent dimensions: a missing indicator (when the column has some
but not all nulls) and a value dimension. Values map to ``u`` in [0, 1]:

* ``continuous`` numerics/datetimes: a piecewise-linear empirical quantile function on up to
  ``max_knots`` quantiles (reproduces skewed and multimodal shapes), then integer rounding,
  learned decimals, min/max clipping and datetime resolution on the way back;
* ``discrete`` numerics (few distinct values, or integers beyond 2**53): exact values stored in
  their own dtype, each owning an interval of [0, 1] sized by its frequency;
* ``categorical``: categories in frequency order, each owning an interval (no one-hot, so high
  cardinality costs one dimension);
* ``constant`` and ``empty`` (all-null) columns take no value dimension and come back exactly.

Encoding draws ``u`` uniformly inside a value's interval (seeded), decoding is an interval lookup.
Learning the state lives in :mod:`synthohive.models.marginal_fit`, checking a stored one in
:mod:`synthohive.models.marginal_state`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

from synthohive.artifacts.api import ArtifactReader, ArtifactWriter
from synthohive.errors import ArtifactIntegrityError, InvalidDataError
from synthohive.metadata.schema import Column
from synthohive.models.codecs import (
    dtype_from_json,
    values_from_json,
)
from synthohive.models.marginal_fit import fit_marginal, fit_marginal_dp
from synthohive.models.marginal_state import ARRAY_NAMES, validate_marginal
from synthohive.models.values import (
    power_scale,
    raw_values,
    restore_empty,
    restore_numeric,
    round_decimals,
)

if TYPE_CHECKING:
    pass


def to_normal(u: np.ndarray) -> np.ndarray:
    """Normal scores of uniforms, clipped away from 0 and 1."""
    return ndtri(np.clip(u, 1e-9, 1 - 1e-9))


def _interval_u(codes: np.ndarray, cum: np.ndarray, jitter: np.ndarray) -> np.ndarray:
    """A uniform draw inside each code's interval; unknown codes (-1) get the whole [0, 1]."""
    k = len(cum) - 1
    safe = np.clip(codes, 0, k - 1)
    lo = np.where(codes >= 0, cum[safe], 0.0)
    hi = np.where(codes >= 0, cum[safe + 1], 1.0)
    return lo + jitter * (hi - lo)


def _lookup(u: np.ndarray, cum: np.ndarray) -> np.ndarray:
    return np.clip(np.searchsorted(cum, u, side="right") - 1, 0, len(cum) - 2)


def _quantile(u: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Piecewise-linear quantile function through ``knots`` at evenly spaced probabilities."""
    pos = np.clip(u, 0.0, 1.0) * (len(knots) - 1)
    i = np.minimum(pos.astype("int64"), len(knots) - 2)
    lo, hi, t = knots[i], knots[i + 1], pos - i
    with np.errstate(over="ignore", invalid="ignore"):
        out = lo + t * (hi - lo)
    wide = ~np.isfinite(out)  # hi - lo beyond float64 (knots near ±1.8e308)
    if wide.any():
        out[wide] = lo[wide] * (1.0 - t[wide]) + hi[wide] * t[wide]
    return out


class ColumnModel:
    """The fitted marginal of one column: ``spec`` (JSON) plus numeric ``arrays``."""

    def __init__(self, spec: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.spec = spec
        self.arrays = arrays
        self.dtype = dtype_from_json(spec["dtype"])
        self.categories: list[Any] = (
            values_from_json(spec["categories"]) if "categories" in spec else []
        )
        rate = float(spec["null_rate"])
        self.has_indicator = 0.0 < rate < 1.0
        self.has_value = spec["marginal"] in ("continuous", "discrete", "categorical")
        self.n_dims = int(self.has_indicator) + int(self.has_value)
        self.ind_cum = np.array([0.0, 1.0 - rate, 1.0])
        self._ext_categories: Any = None

    # ------------------------------------------------------------------------------------------
    @classmethod
    def fit(cls, s: pd.Series, column: Column | None, **options: Any) -> ColumnModel:
        """Learn the marginal of ``s`` (described by ``column`` when known); ``options`` are
        those of :func:`~synthohive.models.marginal_fit.fit_marginal`."""
        return cls(*fit_marginal(s, column, **options))

    @classmethod
    def fit_dp(cls, s: pd.Series, column: Column | None, **options: Any) -> ColumnModel:
        """The marginal of ``s`` from noisy statistics only; ``options`` (the ledger, its
        share ``rho``) are those of :func:`~synthohive.models.marginal_fit.fit_marginal_dp`."""
        return cls(*fit_marginal_dp(s, column, **options))

    def dim_bins(self) -> list[np.ndarray | None]:
        """Per latent dimension: the interval edges in [0, 1] (``None`` for continuous)."""
        out: list[np.ndarray | None] = []
        if self.has_indicator:
            out.append(self.ind_cum)
        if self.has_value:
            out.append(None if self.spec["marginal"] == "continuous" else self.arrays["cum"])
        return out

    # ------------------------------------------------------------------------------------------
    def encode(self, s: pd.Series, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Normal scores ``(n, n_dims)`` and a presence mask of the same shape."""
        n = len(s)
        z = np.zeros((n, self.n_dims))
        present = np.ones((n, self.n_dims), dtype=bool)
        jitter = rng.random((n, 2))
        spec = self.spec
        if spec["domain"] == "datestr":
            s = pd.to_datetime(s, format=spec["fmt"], errors="coerce")
        mask = s.isna().to_numpy()
        d = 0
        if self.has_indicator:
            z[:, 0] = to_normal(_interval_u(mask.astype("int64"), self.ind_cum, jitter[:, 0]))
            d = 1
        if not self.has_value:
            return z, present
        marginal = spec["marginal"]
        if marginal == "categorical":
            u = _interval_u(self._category_codes(s), self.arrays["cum"], jitter[:, 1])
        else:
            raw = np.zeros(n)
            if (~mask).any():
                raw[~mask] = raw_values(s[~mask], spec["domain"], s.dtype, None)
            if marginal == "discrete":
                vals = self.arrays["values"]
                codes = np.clip(np.searchsorted(vals, raw), 0, len(vals) - 1)
                u = _interval_u(codes, self.arrays["cum"], jitter[:, 1])
            else:
                knots = self.arrays["knots"]
                step = power_scale(knots)
                grid = np.linspace(0.0, 1.0, len(knots))
                p = np.interp(raw.astype("float64") / step, knots / step, grid)
                nf = max(int(spec["n_fit"]), 2)
                u = (p * (nf - 1) + jitter[:, 1]) / nf
        z[:, d] = np.where(mask, 0.0, to_normal(u))
        present[:, d] = ~mask
        return z, present

    def _category_codes(self, s: pd.Series) -> np.ndarray:
        if isinstance(self.dtype, pd.CategoricalDtype) and isinstance(s.dtype, pd.CategoricalDtype):
            pos = s.cat.codes.to_numpy().astype("int64")
            lookup = np.full(len(self.dtype.categories) + 1, -1, dtype="int64")
            lookup[self.arrays["positions"]] = np.arange(len(self.arrays["positions"]))
            return lookup[pos]
        return pd.Index(self._category_values()).get_indexer(s.astype(object))

    def _category_values(self) -> list[Any]:
        if isinstance(self.dtype, pd.CategoricalDtype):
            return list(self.dtype.categories[self.arrays["positions"]])
        return self.categories

    def condition_interval(self, value: Any) -> list[tuple[int, float, float]] | None:
        """Latent (dim, u_lo, u_hi) intervals fixing this column to ``value``; ``None`` if the
        value was never seen."""
        if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
            if not self.spec["null_rate"] > 0:
                return None
            return [(0, self.ind_cum[1], 1.0)] if self.has_indicator else []
        out: list[tuple[int, float, float]] = []
        if self.has_indicator:
            out.append((0, 0.0, self.ind_cum[1]))
        marginal = self.spec["marginal"]
        if marginal in ("categorical", "constant") and self.spec["domain"] == "category":
            cats = self._category_values()
            hits = [i for i, c in enumerate(cats) if c_equal(c, value)]
            if not hits:
                return None
            if self.has_value:
                cum = self.arrays["cum"]
                out.append((int(self.has_indicator), cum[hits[0]], cum[hits[0] + 1]))
            return out
        if marginal in ("discrete", "constant") and self.spec["domain"] == "number":
            vals = self.arrays["values"]
            try:
                idx = np.flatnonzero(vals == value)
            except (TypeError, ValueError):
                return None
            if len(idx) == 0:
                return None
            if self.has_value:
                cum = self.arrays["cum"]
                out.append((int(self.has_indicator), cum[idx[0]], cum[idx[0] + 1]))
            return out
        return None

    def range_interval(self, low: Any, high: Any) -> list[tuple[int, float, float]] | None:
        """Latent (dim, u_lo, u_hi) intervals keeping this number or date column within
        ``[low, high]`` (and not null); ``None`` if no learned value lies there."""
        spec = self.spec
        if spec["domain"] not in ("number", "datetime", "datestr") or not self.has_value:
            return None
        bounds = pd.Series([low, high])
        if spec["domain"] != "number":
            bounds = pd.to_datetime(bounds, format="mixed")
            if getattr(bounds.dt, "tz", None) is None and getattr(self.dtype, "tz", None):
                bounds = bounds.dt.tz_localize("UTC")
        try:
            lo, hi = raw_values(bounds, spec["domain"], bounds.dtype, None).astype("float64")
        except (TypeError, ValueError, OverflowError):
            return None
        out: list[tuple[int, float, float]] = []
        if self.has_indicator:
            out.append((0, 0.0, self.ind_cum[1]))
        dim = int(self.has_indicator)
        if spec["marginal"] == "continuous":
            knots = self.arrays["knots"].astype("float64")
            lo, hi = max(lo, float(knots[0])), min(hi, float(knots[-1]))
            if lo > hi:
                return None
            grid = np.linspace(0.0, 1.0, len(knots))
            step = power_scale(knots)
            u_lo, u_hi = np.interp([lo / step, hi / step], knots / step, grid)
            if u_hi <= u_lo:  # one point of the support: a thin slice around it
                u_lo, u_hi = max(u_lo - 1e-9, 0.0), min(u_hi + 1e-9, 1.0)
            out.append((dim, float(u_lo), float(u_hi)))
            return out
        vals = self.arrays["values"].astype("float64")
        inside = np.flatnonzero((vals >= lo) & (vals <= hi))
        if not len(inside):
            return None
        cum = self.arrays["cum"]
        out.append((dim, float(cum[inside[0]]), float(cum[inside[-1] + 1])))
        return out

    def valid_values(self, limit: int = 20) -> list[Any]:
        """Values a condition on this column may take (first ``limit``)."""
        if self.spec["domain"] == "category":
            return self._category_values()[:limit]
        if "values" in self.arrays and self.spec["marginal"] != "continuous":
            return self.arrays["values"][:limit].tolist()
        return []

    # ------------------------------------------------------------------------------------------
    def decode(self, u: np.ndarray, n: int) -> pd.Series:
        """Values (exact dtype) from uniforms ``u`` of shape ``(n, n_dims)``."""
        spec = self.spec
        rate = float(spec["null_rate"])
        if self.has_indicator:
            null = u[:, 0] >= self.ind_cum[1]
        else:
            null = np.full(n, rate >= 1.0)
        marginal = spec["marginal"]
        if marginal == "empty":
            return restore_empty(self.dtype, n)
        uv = u[:, int(self.has_indicator)] if self.has_value else np.zeros(n)
        if spec["domain"] == "category":
            codes = _lookup(uv, self.arrays["cum"]) if self.has_value else np.zeros(n, "int64")
            return self._restore_categories(codes, null)
        if marginal == "continuous":
            x = _quantile(uv, self.arrays["knots"])
            x = np.clip(x, spec["lo"], spec["hi"])
            if spec["integer"] or spec.get("rounding") == 0:
                x = np.round(x)
            elif spec.get("rounding") is not None:
                x = round_decimals(x, int(spec["rounding"]))
        else:
            vals = self.arrays["values"]
            x = vals[_lookup(uv, self.arrays["cum"])] if self.has_value else np.repeat(vals, n)
        return restore_numeric(x, null, spec, self.dtype)

    def _restore_categories(self, codes: np.ndarray, null: np.ndarray) -> pd.Series:
        dtype = self.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            pos = np.where(null, -1, self.arrays["positions"][codes])
            return pd.Series(pd.Categorical.from_codes(pos, dtype=dtype))
        if not isinstance(dtype, np.dtype):
            if self._ext_categories is None:
                self._ext_categories = pd.array(self.categories, dtype=dtype)
            return pd.Series(self._ext_categories.take(np.where(null, -1, codes), allow_fill=True))
        cats = np.empty(len(self.categories), dtype=object)
        cats[:] = self.categories
        vals = cats[codes]
        if dtype.kind != "O":
            if null.any():
                if dtype.kind != "f":
                    raise InvalidDataError(f"cannot put missing values in dtype {dtype}")
                vals[null] = np.nan
            return pd.Series(vals.astype(dtype))
        vals[null] = None
        return pd.Series(vals, dtype=object)

    # ------------------------------------------------------------------------------------------
    def save(self, writer: ArtifactWriter, prefix: str) -> None:
        """Write ``spec`` and arrays as members ``prefix.json`` / ``prefix_<name>.npy``."""
        writer.write_json(prefix, {**self.spec, "arrays": sorted(self.arrays)})
        for key, arr in self.arrays.items():
            writer.write_array(f"{prefix}_{key}", arr)

    @classmethod
    def load(cls, reader: ArtifactReader, prefix: str) -> ColumnModel:
        """Read and validate a column written by :meth:`save`."""
        spec = reader.read_json(prefix)
        if not isinstance(spec, dict):
            raise ArtifactIntegrityError(f"column spec {prefix!r} is not an object")
        names = spec.pop("arrays", [])
        if not isinstance(names, list) or not all(n in ARRAY_NAMES for n in names):
            raise ArtifactIntegrityError(f"column {prefix!r} lists unknown arrays {names!r}")
        arrays = {k: reader.read_array(f"{prefix}_{k}") for k in names}
        validate_marginal(spec, arrays, prefix)
        return cls(spec, arrays)


def c_equal(a: Any, b: Any) -> bool:
    """Category equality that does not confuse ``True`` with ``1``."""
    if isinstance(a, bool | np.bool_) != isinstance(b, bool | np.bool_):
        return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False
