"""Noisy per-column summaries: the only way a DP model's marginals read a column's rows.

:func:`numeric_column` (range search on a log grid, quantiles on an even grid, decimals or
time step) and :func:`categorical_column` (categories released above a threshold) spend
their ``rho`` through a :class:`~synthohive.privacy.dp.DPLedger` and return a
:class:`DPColumn`; the mechanisms and what they protect are described in
:mod:`synthohive.privacy.dp`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import ndtri

from synthohive.errors import PrivacyBudgetError
from synthohive.log import get_logger
from synthohive.privacy.dp import DPLedger

log = get_logger(__name__)

#: Coarse grid of the range search: 4 bins per decade of |x| from 1e-6 to 1e19 (datetimes
#: in nanoseconds are ~1.6e18), both signs.
_LOG_EDGES = 10.0 ** (np.arange(-24, 77) / 4.0)
#: Time steps a datetime column may round to, in nanoseconds (ns .. day).
_STEPS_NS = (
    1,
    1_000,
    1_000_000,
    1_000_000_000,
    60_000_000_000,
    3_600_000_000_000,
    86_400_000_000_000,
)
#: Largest integer range (hi - lo + 1) counted value by value.
_MAX_INT_VALUES = 64
#: Most decimals a float column keeps (more: no rounding).
_MAX_DECIMALS = 6

__all__ = ["DPColumn", "categorical_column", "numeric_column"]


@dataclass
class DPColumn:
    """What the noisy statistics say about one column.

    ``kind`` is ``"categorical"`` (``values``/``probs``), ``"discrete"`` (integer ``values``),
    ``"continuous"`` (``knots``: the quantile function at even levels), or ``"empty"``.
    ``null_share`` and ``n`` (noisy rows) are shared by all kinds.
    """

    name: str
    kind: Literal["categorical", "discrete", "continuous", "empty"]
    n: float
    null_share: float
    values: list[Any] = field(default_factory=list)
    probs: np.ndarray = field(default_factory=lambda: np.zeros(0))
    knots: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lo: float = 0.0
    hi: float = 0.0
    decimals: int | None = None
    step: int = 1

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` draws from the noisy marginal (NaN/None for nulls; float for numbers)."""
        nulls = rng.random(n) < self.null_share
        if self.kind in ("categorical", "discrete") and len(self.values):
            idx = rng.choice(len(self.values), size=n, p=self.probs)
            out = np.asarray(self.values, dtype=object)[idx]
        elif self.kind == "continuous":
            out = np.interp(rng.random(n), np.linspace(0, 1, len(self.knots)), self.knots)
            out = out.astype(object)
        else:
            out = np.full(n, None, dtype=object)
        out[nulls] = None
        return out


def _histogram_counts(codes: np.ndarray, k: int) -> np.ndarray:
    return np.bincount(codes[codes >= 0], minlength=k)[:k].astype(np.float64)


def _probs(noisy: np.ndarray) -> np.ndarray:
    """Noisy counts -> probabilities (negatives clipped; all-zero -> uniform)."""
    p = np.clip(noisy, 0.0, None)
    total = p.sum()
    return p / total if total > 0 else np.full(len(p), 1.0 / max(len(p), 1))


def _sure(sigma: float, bins: int) -> float:
    """The noisy count an empty bin among ``bins`` exceeds with probability 5% in all."""
    return sigma * float(ndtri(1.0 - 0.05 / bins))


#: Widths (in bins of the range grid) of the windows the range search slides: a quarter
#: decade, and a decade, whose larger count stands out of the noise on small tables.
_WINDOWS = (1, 4)


def _support(counts: np.ndarray, sigma: float) -> tuple[int, int] | None:
    """First and last bin of the range found in noisy ``counts``, or ``None`` when no window
    clears its false-positive bar (the range is lost in the noise; pure noise passes with
    probability 5% in all). The window standing furthest above its bar, widened over
    neighbours that clear two noise scales, then trimmed to the bins holding the middle 99%
    of what the bins clearing the bar hold."""
    best: tuple[float, int, int] | None = None
    for w in _WINDOWS:
        if w > len(counts):
            continue
        sums = np.convolve(counts, np.ones(w), mode="valid")  # noise scale sigma * sqrt(w)
        bar = math.sqrt(w) * sigma * float(ndtri(1.0 - 0.05 / len(_WINDOWS) / len(sums)))
        i = int(np.argmax(sums))
        if sums[i] > bar and (best is None or sums[i] / bar > best[0]):
            best = (float(sums[i] / bar), i, i + w - 1)
    if best is None:
        return None
    _, lo, hi = best
    while lo < hi and counts[lo] <= sigma:  # a decade window's empty ends
        lo += 1
    while hi > lo and counts[hi] <= sigma:
        hi -= 1
    while lo > 0 and counts[lo - 1] > 2.0 * sigma:
        lo -= 1
    while hi < len(counts) - 1 and counts[hi + 1] > 2.0 * sigma:
        hi += 1
    # an empty bin clears this with probability 5% / bins: noise alone rarely widens it
    sure = np.where(counts > _sure(sigma, len(counts)), counts, 0.0)
    sure[lo : hi + 1] = np.clip(counts[lo : hi + 1], 0.0, None)
    cdf = np.cumsum(sure) / max(sure.sum(), 1e-12)
    return min(lo, int(np.searchsorted(cdf, 0.005))), max(hi, int(np.searchsorted(cdf, 0.995)))


def _null_count(noisy: float, sigma: float) -> float:
    """A noisy null count, read as 0 below two noise scales (no column gets stray nulls)."""
    return float(noisy) if noisy > 2.0 * sigma else 0.0


def _log_bin(x: np.ndarray) -> np.ndarray:
    """Index of ``x`` on the signed log grid: negatives below zero's bin, positives above."""
    mag = np.searchsorted(_LOG_EDGES, np.abs(x), side="right")  # 0 = |x| < 1e-6
    k = len(_LOG_EDGES) + 1
    return np.where(x < 0, k - 1 - mag, k - 1 + mag)


def _log_edges_of(b: int) -> tuple[float, float]:
    """The ``[lo, hi)`` interval of bin ``b`` of :func:`_log_bin` (outer bins end at ±1e20)."""
    k = len(_LOG_EDGES) + 1
    edges = np.concatenate([[0.0], _LOG_EDGES, [1e20]])
    if b >= k - 1:
        m = b - (k - 1)
        return (float(edges[m]) if m else -1e-6, float(edges[m + 1]))
    m = k - 1 - b
    return (-float(edges[m + 1]), -float(edges[m]))


def _decimals(x: np.ndarray) -> np.ndarray:
    """Fewest decimals (0.._MAX_DECIMALS, else _MAX_DECIMALS + 1) that write each value."""
    out = np.full(len(x), _MAX_DECIMALS + 1)
    for d in range(_MAX_DECIMALS, -1, -1):
        scaled = x * 10.0**d
        exact = np.abs(scaled - np.round(scaled)) <= 1e-9 * np.maximum(1.0, np.abs(scaled))
        out[exact] = d
    return out


def _unreleased(name: str, ledger: DPLedger, table: str | None, n: float, what: str) -> DPColumn:
    """A column the noise left nothing of: generated as nulls, logged and recorded."""
    ledger.unreleased.append(name)
    log.warning(
        "dp.column_unreleased",
        table=table,
        column=name,
        reason=f"{what} cleared the noise; the column is generated as nulls",
        fix="raise epsilon or fit more rows (a category must be held by enough rows)",
    )
    return DPColumn(name, "empty", n=n, null_share=1.0)


def numeric_column(
    name: str,
    x: np.ndarray,
    nulls: int,
    ledger: DPLedger,
    rho: float,
    *,
    integer: bool,
    ints: np.ndarray | None = None,
    lo: float | None = None,
    hi: float | None = None,
    knots: int = 201,
    table: str | None = None,
) -> DPColumn:
    """Noisy summary of the present values ``x`` (float64) of one column; ``ints`` holds the
    same values as int64 nanoseconds for datetimes (their time step is learned from them).

    ``rho`` is split: 25% range search (skipped when ``lo`` and ``hi`` are given), 60% the
    quantile histogram, 15% decimals or time step. ``nulls`` (the exact null count) joins the
    range histogram's extra bin, so the null share costs nothing more.
    """
    k_log = 2 * len(_LOG_EDGES) + 1
    datetime = ints is not None
    bins = 32  # without a range search nothing sizes the grid
    if lo is None or hi is None:
        sigma = ledger.sigma(f"{name}: range", rho * 0.25)
        counts = ledger.noisy(np.append(_histogram_counts(_log_bin(x), k_log), nulls), sigma)
        null_noisy, counts = _null_count(counts[-1], sigma), counts[:-1]
        found = _support(counts, sigma)
        if found is None:
            if null_noisy > _sure(sigma, len(counts)):  # as far as the noise tells, all null
                return _unreleased(name, ledger, table, null_noisy, "its values")
            raise PrivacyBudgetError(
                "differential privacy: the range of the column's values is lost in the "
                f"noise (noise scale {sigma:.3g} rows on each range bin, at the budget "
                "this column gets)",
                table=table,
                column=name,
                fix="raise epsilon, fit more rows, use gaussian_copula (it spends all of "
                "epsilon on such statistics; CTGAN and TVAE spend statistics_share), or "
                "give the column's min and max in the metadata and set "
                "DPConfig(public_bounds=True)",
            )
        b_lo, b_hi = found
        bins = int(np.clip(round(counts[b_lo : b_hi + 1].sum() / (6.0 * sigma)), 8, 256))
        found_lo, _ = _log_edges_of(b_lo)
        _, found_hi = _log_edges_of(b_hi)
        lo = found_lo if lo is None else lo
        hi = found_hi if hi is None else hi
        rho_q = rho * 0.6
    else:
        null_noisy = None
        rho_q = rho * 0.85
    if not hi > lo:
        hi = lo + 1.0
    xc = np.clip(x, lo, hi)
    n_int = int(math.floor(hi) - math.ceil(lo) + 1) if integer else 0
    if integer and 0 < n_int <= _MAX_INT_VALUES:
        base = math.ceil(lo)
        sigma = ledger.sigma(f"{name}: value counts", rho_q + rho * 0.15)
        raw = _histogram_counts(np.round(xc).astype(np.int64) - base, n_int)
        with_null = ledger.noisy(np.append(raw, nulls), sigma)
        n_present = float(np.clip(with_null[:-1], 0, None).sum())
        null_n = _null_count(with_null[-1], sigma) if null_noisy is None else null_noisy
        probs = _probs(with_null[:-1])
        keep = probs > 0
        return DPColumn(
            name,
            "discrete",
            n=n_present + null_n,
            null_share=null_n / max(n_present + null_n, 1.0),
            values=[int(v) for v in np.arange(base, base + n_int)[keep]],
            probs=probs[keep] / probs[keep].sum(),
            lo=float(base),
            hi=float(base + n_int - 1),
        )
    sigma = ledger.sigma(f"{name}: quantiles", rho_q)
    edges = np.linspace(lo, hi, bins + 1)
    codes = np.clip(np.searchsorted(edges, xc, side="right") - 1, 0, bins - 1)
    noisy = ledger.noisy(np.append(_histogram_counts(codes, bins), nulls), sigma)
    mass = np.clip(noisy[:-1], 0.0, None)
    null_n = _null_count(noisy[-1], sigma) if null_noisy is None else null_noisy
    n_present = float(mass.sum())
    if n_present <= 0:
        mass = np.ones(bins)
    cdf = np.concatenate([[0.0], np.cumsum(mass) / mass.sum()])
    levels = np.linspace(0.0, 1.0, knots)
    # the quantile function: invert the piecewise-linear CDF (flat runs take their start)
    grid = np.interp(levels, cdf, edges)
    sigma_s = ledger.sigma(f"{name}: {'step' if datetime else 'decimals'}", rho * 0.15)
    decimals: int | None = None
    step = 1
    if ints is not None:
        cls_ = np.zeros(len(ints), dtype=np.int64)
        for i, st in enumerate(_STEPS_NS):
            cls_[ints % st == 0] = i
        share = _probs(ledger.noisy(_histogram_counts(cls_, len(_STEPS_NS)), sigma_s))
        # the coarsest step that at least 99% of values are multiples of
        covered = np.cumsum(share[::-1])[::-1]
        step = int(_STEPS_NS[int(np.flatnonzero(covered >= 0.99).max(initial=0))])
    elif not integer:
        share = _probs(ledger.noisy(_histogram_counts(_decimals(x), _MAX_DECIMALS + 2), sigma_s))
        d = int(np.searchsorted(np.cumsum(share), 0.99))
        decimals = d if d <= _MAX_DECIMALS else None
    return DPColumn(
        name,
        "continuous",
        n=n_present + null_n,
        null_share=null_n / max(n_present + null_n, 1.0),
        knots=grid,
        lo=float(lo),
        hi=float(hi),
        decimals=decimals,
        step=step,
    )


def categorical_column(
    name: str,
    s: pd.Series,
    ledger: DPLedger,
    rho: float,
    *,
    domain: list[Any] | None = None,
    table: str | None = None,
) -> DPColumn:
    """Noisy category frequencies of ``s``. Without a public ``domain`` (a categorical or
    boolean dtype's values), only categories whose noisy count clears the ledger's threshold
    are released - never one held by a single row."""
    sigma = ledger.sigma(f"{name}: categories", rho)
    nulls = int(s.isna().sum())
    present = s[s.notna()]
    if domain is not None:
        counts = present.value_counts().reindex(pd.Index(domain, dtype=object), fill_value=0)
        values = list(domain)
        noisy = ledger.noisy(np.append(counts.to_numpy(dtype=np.float64), nulls), sigma)
        mass = np.clip(noisy[:-1], 0.0, None)
    else:
        counts = present.astype(object).value_counts()
        noisy_seen = ledger.noisy(counts.to_numpy(dtype=np.float64), sigma)
        keep = noisy_seen > ledger.threshold(sigma)
        values = list(counts.index[keep])
        mass = noisy_seen[keep]
        noisy = np.append(mass, nulls + float(ledger.rng.normal(0.0, sigma)))
    null_n = _null_count(noisy[-1], sigma)
    if not values or mass.sum() <= 0:
        return _unreleased(name, ledger, table, null_n, "no category")
    order = np.argsort(-mass, kind="stable")
    values = [values[i] for i in order if mass[i] > 0]
    probs = _probs(mass[order][mass[order] > 0])
    n_present = float(mass.sum())
    return DPColumn(
        name,
        "categorical",
        n=n_present + null_n,
        null_share=null_n / max(n_present + null_n, 1.0),
        values=values,
        probs=probs,
    )
