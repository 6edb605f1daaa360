"""Learning a column's marginal for the Gaussian copula
(:class:`~synthohive.models.marginals.ColumnModel`): from the rows (:func:`fit_marginal`), or
from noisy statistics only under differential privacy (:func:`fit_marginal_dp`). Both return
the state ``(spec, arrays)`` a ``ColumnModel`` holds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from synthohive.errors import InvalidDataError
from synthohive.log import get_logger
from synthohive.metadata.schema import Column
from synthohive.models.codecs import (
    dtype_to_json,
    values_to_json,
)
from synthohive.models.values import (
    NS_STEPS,
    domain_of,
    guess_format,
    learn_decimals,
    power_scale,
    raw_values,
)

if TYPE_CHECKING:
    from synthohive.privacy.dp import DPLedger

log = get_logger(__name__)

_INT_EXACT = 2**53


def _date_format(present: pd.Series, column: Column | None, table: str | None, name: str) -> str:
    """The column's declared date format, else the one its present values match."""
    fmt = column.format if column is not None and column.format else guess_format(present)
    if fmt is None:
        raise InvalidDataError(
            "datetime strings match none of the known formats",
            table=table,
            column=name,
            fix="set Column.format to the strftime format of the values",
        )
    return fmt


def fit_marginal(
    s: pd.Series,
    column: Column | None,
    *,
    table: str | None,
    discrete_threshold: int,
    max_knots: int,
    max_bad_dates: float,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The state ``(spec, arrays)`` of the marginal of ``s`` (described by ``column`` when
    known)."""
    name = str(s.name)
    dtype = s.dtype
    spec: dict[str, Any] = {
        "name": name,
        "dtype": dtype_to_json(dtype, table=table, column=name),
    }
    sdtype = column.sdtype if column is not None else None
    domain = domain_of(s, sdtype)
    spec["domain"] = domain
    mask = s.isna().to_numpy()
    arrays: dict[str, np.ndarray] = {}
    if domain == "datestr":
        fmt = _date_format(s[~mask], column, table, name)
        parsed = pd.to_datetime(s, format=fmt, errors="coerce")
        bad = int((parsed.isna().to_numpy() & ~mask).sum())
        n_present = max(int((~mask).sum()), 1)
        if bad / n_present > max_bad_dates:
            raise InvalidDataError(
                f"{bad} of {n_present} datetime strings do not match format {fmt!r}",
                table=table,
                column=name,
                fix="clean the values or set Column.format to their strftime format",
            )
        if bad:
            log.warning("copula.unparseable_dates", table=table, column=name, count=bad)
        spec["fmt"] = fmt
        s = parsed
        mask = s.isna().to_numpy()
    n = len(s)
    spec["null_rate"] = float(mask.mean()) if n else 0.0
    spec["n_fit"] = int(n)
    present = s[~mask]
    if len(present) == 0:
        spec["marginal"] = "empty"
        return spec, arrays
    if domain == "category":
        vc = present.value_counts(sort=True)
        vc = vc[vc > 0]
        freqs = vc.to_numpy(dtype="float64")
        if len(freqs) >= 100 and len(freqs) > 0.9 * len(present):
            log.warning(
                "copula.mostly_unique_categories",
                table=table,
                column=name,
                categories=len(freqs),
                hint="sampled values replay real ones; mark the column as id/pii/text",
            )
        if isinstance(dtype, pd.CategoricalDtype):
            arrays["positions"] = dtype.categories.get_indexer(vc.index).astype("int64")
            spec["categories"] = values_to_json(
                [int(p) for p in arrays["positions"]], table=table, column=name
            )
        else:
            spec["categories"] = values_to_json(vc.index, table=table, column=name)
        arrays["cum"] = np.concatenate([[0.0], np.cumsum(freqs) / freqs.sum()])
        spec["marginal"] = "constant" if len(freqs) == 1 else "categorical"
        return spec, arrays
    raw = raw_values(present, domain, dtype, spec)
    integer = raw.dtype.kind == "i" or bool(column is not None and column.integer)
    spec["integer"] = bool(integer)
    lo, hi = float(raw.min()), float(raw.max())
    if column is not None and column.min is not None:
        lo = max(lo, float(column.min))
    if column is not None and column.max is not None:
        hi = min(hi, float(column.max))
    spec["lo"], spec["hi"] = lo, hi
    if domain in ("datetime", "timedelta", "datestr"):
        spec["step"] = next(st for st in NS_STEPS if np.all(raw[:20_000] % st == 0))
    elif not integer:
        given = column.rounding if column is not None else None
        spec["rounding"] = given if given is not None else learn_decimals(raw)
    uniq, counts = np.unique(raw, return_counts=True)
    big = integer and domain == "number" and max(abs(lo), abs(hi)) >= _INT_EXACT
    if len(uniq) == 1:
        spec["marginal"] = "constant"
        arrays["values"] = uniq
    elif len(uniq) <= discrete_threshold or (big and len(uniq) <= 100 * discrete_threshold):
        spec["marginal"] = "discrete"
        arrays["values"] = uniq
        arrays["cum"] = np.concatenate([[0.0], np.cumsum(counts) / counts.sum()])
    else:
        if big:
            log.warning("copula.int_precision", table=table, column=name)
        spec["marginal"] = "continuous"
        k = int(min(max_knots, len(raw)))
        x = raw.astype("float64")
        step = power_scale(x)  # exact; keeps the interpolation finite near ±1.8e308
        arrays["knots"] = np.quantile(x / step, np.linspace(0.0, 1.0, k)) * step
    return spec, arrays


def fit_marginal_dp(
    s: pd.Series,
    column: Column | None,
    *,
    table: str | None,
    ledger: DPLedger,
    rho: float,
    public_bounds: bool = False,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The marginal of ``s`` from noisy statistics only (:mod:`synthohive.privacy.dp`),
    spending ``rho`` of ``ledger``; the same state :func:`fit_marginal` writes, so sampling,
    conditions and model files work unchanged."""
    from synthohive.privacy.dp_columns import categorical_column, numeric_column

    name = str(s.name)
    dtype = s.dtype
    spec: dict[str, Any] = {
        "name": name,
        "dtype": dtype_to_json(dtype, table=table, column=name),
    }
    domain = domain_of(s, column.sdtype if column is not None else None)
    spec["domain"] = domain
    arrays: dict[str, np.ndarray] = {}
    if domain == "datestr":
        fmt = _date_format(s.dropna(), column, table, name)
        spec["fmt"] = fmt
        s = pd.to_datetime(s, format=fmt, errors="coerce")
    if domain == "category":
        public: list[Any] | None = None
        if isinstance(dtype, pd.CategoricalDtype):
            public = list(dtype.categories)
        elif pd.api.types.is_bool_dtype(dtype):
            public = [False, True]
        summary = categorical_column(name, s, ledger, rho, domain=public, table=table)
    else:
        mask = s.isna().to_numpy()
        raw = raw_values(s[~mask], domain, dtype, spec)
        integer = raw.dtype.kind == "i" or bool(column is not None and column.integer)
        given = (
            public_bounds
            and column is not None
            and column.min is not None
            and column.max is not None
        )
        summary = numeric_column(
            name,
            raw.astype("float64"),
            int(mask.sum()),
            ledger,
            rho,
            integer=integer and domain == "number",
            ints=raw.astype("int64") if domain != "number" else None,
            lo=float(column.min) if given and column is not None else None,  # type: ignore[arg-type]
            hi=float(column.max) if given and column is not None else None,  # type: ignore[arg-type]
            table=table,
        )
        spec["integer"] = bool(integer)
    nullable = not (isinstance(dtype, np.dtype) and dtype.kind in "biu")  # the schema says
    spec["null_rate"] = float(np.clip(summary.null_share, 0.0, 1.0)) if nullable else 0.0
    spec["n_fit"] = max(round(summary.n), 2)
    spec["dp"] = True
    if summary.kind == "empty" or spec["null_rate"] >= 1.0:
        spec["null_rate"] = 1.0
        spec["marginal"] = "empty"
        return spec, arrays
    if summary.kind == "categorical":
        if isinstance(dtype, pd.CategoricalDtype):
            arrays["positions"] = dtype.categories.get_indexer(
                pd.Index(summary.values, dtype=dtype.categories.dtype)
            ).astype("int64")
            spec["categories"] = values_to_json(
                [int(p) for p in arrays["positions"]], table=table, column=name
            )
        else:
            spec["categories"] = values_to_json(summary.values, table=table, column=name)
        arrays["cum"] = np.concatenate([[0.0], np.cumsum(summary.probs)])
        arrays["cum"][-1] = 1.0
        spec["marginal"] = "constant" if len(summary.values) == 1 else "categorical"
        return spec, arrays
    spec["lo"], spec["hi"] = summary.lo, summary.hi
    if domain != "number":
        spec["step"] = int(summary.step)
    elif not spec["integer"]:
        given_rounding = column.rounding if column is not None and public_bounds else None
        spec["rounding"] = summary.decimals if given_rounding is None else given_rounding
    if summary.kind == "discrete":
        arrays["values"] = np.asarray(summary.values, dtype="int64")
        if len(summary.values) == 1:
            spec["marginal"] = "constant"
            return spec, arrays
        spec["marginal"] = "discrete"
        arrays["cum"] = np.concatenate([[0.0], np.cumsum(summary.probs)])
        arrays["cum"][-1] = 1.0
        return spec, arrays
    spec["marginal"] = "continuous"
    arrays["knots"] = np.maximum.accumulate(summary.knots.astype("float64"))
    return spec, arrays
