"""Exact statistics of a sampled source (#22 item 3): full-data marginals kept at generation.

A connector that reads a bounded sample of a table may also set
``frame.attrs["synthohive.source_stats"]``: per column, statistics computed on the *full*
table (by Spark, distributed)::

    {"amount": {"min": 0.5, "max": 9120.0},          # numbers, or datetimes/dates
     "tier":   {"counts": {"gold": 812, "basic": 98_411, ...}}}   # non-null categories

The model is fitted on the sample as usual. :func:`learn_source_stats` keeps in the plan
(``TablePlan.source_stats``, stored only when set) what generation needs, and
:func:`apply_source_stats` corrects each generated chunk of modelled columns:

* **categories** (``categorical`` string columns): the generated non-null values are moved,
  fewest rows changed, so their shares follow the full data's - categories the sample missed
  appear; categories seen fewer than the rare-category threshold ``k`` times in the *full*
  data are never added back (their share goes to ``_RARE_`` as in a plain fit). Moved rows
  keep the other values the model drew with their old category.
* **numbers and datetimes**: with the full data's tail quantiles (``"low"``/``"high"``: at
  :data:`TAIL_GRID` and its mirror, from Spark's ``percentile_approx``), the generated values
  below/above the sample's 1 %/99 % quantile are replaced, in their order within the chunk,
  by sorted uniform draws of the full data's quantile function between 0 and 1 %/99 % and 1
  (linear between the grid's quantiles and the exact min/max): each chunk's tails are draws
  of the full tails, and at scale 1 the largest of the ``N`` rows is expected at the full
  data's ``1 - 1/N`` quantile, next to its max. Without them (older model files), values in
  the sample's 1 % tails are stretched linearly so the sample's min/max map onto the full
  min/max. The centre is unchanged.
* **children per parent**: a foreign key's first child column may carry
  ``{"children": {"parent": ..., "parent_columns": [...], "child_columns": [...],
  "histogram": [[children, parents], ...]}}``, the exact number of parents with each number
  of children in the full tables. :func:`learn_children_stats` keeps it as the parent plan's
  ``count_hist`` (and its mean and maximum as the relation's ``count_means``/``count_max``);
  :func:`match_histogram` then replaces each chunk's sampled counts, rank for rank, by a
  systematic draw from it, so parents the model gives more children still get more.

Not under differential privacy (exact statistics of the rows; ignored with a warning, like
the full row count), not for copied tables, not for columns a constraint names, and not for
conditioned samples (``sample(conditions=...)``: their shares are conditional ones).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from synthohive.log import get_logger
from synthohive.synthesizer.rare import RARE_TOKEN

if TYPE_CHECKING:
    from synthohive.metadata.schema import Metadata
    from synthohive.synthesizer.plan import TablePlan

log = get_logger(__name__)

#: ``DataFrame.attrs`` key a connector sets on a bounded read: exact per-column statistics.
SOURCE_STATS = "synthohive.source_stats"
CHILDREN = "children"
"""Key, in a foreign key's first child column's statistics, of the children-per-parent
histogram of the full tables."""
TAIL = 0.01
"""Share of the sample at each end whose values are stretched to the full min/max."""
TAIL_GRID = tuple(1 - TAIL * 10 ** (-j / 4) for j in range(9))
"""Probabilities of the upper tail quantiles a connector computes (0.99 to 0.9999); the lower
tail uses ``1 - p``."""


def _number(value: Any, datetime: bool) -> float | None:
    """A statistic as a float (datetimes as nanoseconds since the epoch), or ``None``."""
    try:
        if datetime:
            stamp = pd.Timestamp(value)
            if stamp.tzinfo is not None:
                stamp = stamp.tz_convert(None)
            return float(stamp.as_unit("ns").value)
        out = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return out if np.isfinite(out) else None


def _as_float(series: pd.Series, datetime: bool) -> np.ndarray:
    if datetime:
        values = pd.to_datetime(series, errors="coerce")
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_convert(None)
        stamps = values.to_numpy(dtype="datetime64[ns]")
        out = stamps.view("int64").astype("float64")
        out[np.isnat(stamps)] = np.nan
        return out
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _constrained(plan: TablePlan) -> str:
    return json.dumps([c.get("params") for c in plan.constraints], default=str)


def learn_source_stats(
    meta: Metadata,
    plans: dict[str, TablePlan],
    frames: dict[str, pd.DataFrame],
    stats: dict[str, dict[str, dict[str, Any]]],
    *,
    dp: bool,
    k: int,
) -> None:
    """Keep in each plan the full-data statistics its generation applies (see module doc);
    ``frames`` are the sample after rare-category protection."""
    for name, columns in stats.items():
        plan = plans.get(name)
        if plan is None or plan.strategy == "copy" or not columns:
            continue
        if dp:
            log.warning(
                "synthesizer.source_stats_ignored",
                table=name,
                reason="full-data statistics are exact; under DP only the sample is learned",
            )
            continue
        table, frame, named = meta.tables[name], frames[name], _constrained(plan)
        kept: dict[str, dict[str, Any]] = {}
        for col, raw in columns.items():
            if col not in plan.modelled or col not in frame or json.dumps(col) in named:
                continue
            sdtype = table.columns[col].sdtype
            if sdtype == "categorical" and isinstance(raw.get("counts"), dict):
                shares = _shares(raw["counts"], k)
                if shares:
                    kept[col] = {"kind": "category", "shares": shares}
            elif sdtype in ("numerical", "datetime") and "min" in raw and "max" in raw:
                spec = _numeric_spec(frame[col], raw, sdtype == "datetime")
                if spec is not None:
                    kept[col] = {"kind": sdtype} | spec
        if kept:
            plan.source_stats = kept
            log.info("synthesizer.source_stats", table=name, columns=sorted(kept))


def learn_children_stats(
    meta: Metadata,
    plans: dict[str, TablePlan],
    stats: dict[str, dict[str, dict[str, Any]]],
    *,
    dp: bool,
) -> None:
    """Keep each relation's exact children-per-parent histogram in its parent's plan."""
    for i, fk in enumerate(meta.relations):
        raw = stats.get(fk.child, {}).get(fk.child_columns[0], {}).get(CHILDREN)
        plan = plans.get(fk.parent)
        if not isinstance(raw, dict) or plan is None or i not in plan.count_columns:
            continue
        same = (
            raw.get("parent") == fk.parent
            and list(raw.get("parent_columns") or []) == list(fk.parent_columns)
            and list(raw.get("child_columns") or []) == list(fk.child_columns)
        )
        if not same or plan.strategy == "copy":
            continue
        if dp:
            log.warning(
                "synthesizer.source_stats_ignored",
                table=fk.child,
                reason="children per parent are exact; under DP only the sample is learned",
            )
            continue
        hist = sorted(
            [int(k), int(n)] for k, n in raw.get("histogram") or [] if int(k) >= 0 and int(n) > 0
        )
        if hist:
            plan.count_hist[i] = hist
            log.info("synthesizer.children_stats", table=fk.parent, child=fk.child, relation=i)


def histogram_mean_max(hist: list[list[int]]) -> tuple[float, int]:
    """Mean number of children per parent and the largest number, of a stored histogram."""
    parents = sum(n for _, n in hist)
    return sum(k * n for k, n in hist) / parents, max(k for k, _ in hist)


def match_histogram(
    counts: np.ndarray, hist: list[list[int]], rng: np.random.Generator
) -> np.ndarray:
    """``counts`` replaced, rank for rank (ties in random order), by a systematic draw of as
    many values from the histogram ``[[children, parents], ...]``."""
    n = len(counts)
    if n == 0:
        return counts
    values = np.array([k for k, _ in hist], dtype=np.int64)
    cdf = np.cumsum(np.array([p for _, p in hist], dtype="float64"))
    cdf /= cdf[-1]
    u = (np.arange(n) + rng.random()) / n
    target = values[np.minimum(np.searchsorted(cdf, u, side="right"), len(values) - 1)]
    out = np.empty(n, dtype=np.int64)
    out[np.lexsort((rng.random(n), counts))] = target
    return out


def _shares(counts: dict[Any, Any], k: int) -> dict[str, float]:
    """Shares of the categories seen at least ``k`` times; the rest as ``_RARE_``."""
    clean = {str(v): int(n) for v, n in counts.items() if v is not None and int(n) > 0}
    total = sum(clean.values())
    if total == 0:
        return {}
    rare = sum(n for n in clean.values() if k > 1 and n < k)
    out = {v: n / total for v, n in sorted(clean.items()) if not (k > 1 and n < k)}
    if rare:
        out[RARE_TOKEN] = out.get(RARE_TOKEN, 0.0) + rare / total
    return out


def _numeric_spec(sample: pd.Series, raw: dict[str, Any], datetime: bool) -> dict[str, Any] | None:
    """``{"bounds": [full min, sample min, low tail, high tail, sample max, full max]}`` and,
    when the full tail quantiles are given, ``"low"``/``"high"`` (``None`` when there is
    nothing to correct)."""
    lo, hi = _number(raw["min"], datetime), _number(raw["max"], datetime)
    values = _as_float(sample, datetime)
    values = values[np.isfinite(values)]
    if lo is None or hi is None or len(values) == 0:
        return None
    s_min, s_max = float(values.min()), float(values.max())
    tails = _tails(raw, datetime)
    if tails is None and lo >= s_min and hi <= s_max:
        return None
    q_lo, q_hi = (float(q) for q in np.quantile(values, [TAIL, 1 - TAIL]))
    lo, hi = min(lo, s_min), max(hi, s_max)
    out: dict[str, Any] = {"bounds": [lo, s_min, q_lo, q_hi, s_max, hi]}
    if tails is not None:
        out["low"], out["high"] = ([float(v) for v in np.clip(t, lo, hi)] for t in tails)
    return out


def _tails(raw: dict[str, Any], datetime: bool) -> tuple[list[float], list[float]] | None:
    """The full data's lower quantiles at ``1 - TAIL_GRID`` (ascending probability) and upper
    ones at ``TAIL_GRID``, as floats; ``None`` unless both are whole and increasing."""
    low, high = raw.get("low"), raw.get("high")
    if not isinstance(low, list) or not isinstance(high, list):
        return None
    if len(low) != len(TAIL_GRID) or len(high) != len(TAIL_GRID):
        return None
    lows = [_number(v, datetime) for v in low]
    highs = [_number(v, datetime) for v in high]
    if any(v is None for v in lows + highs):
        return None
    a, b = [float(v) for v in lows if v is not None], [float(v) for v in highs if v is not None]
    if a != sorted(a) or b != sorted(b):
        return None
    return a, b


def apply_source_stats(plan: TablePlan, frame: pd.DataFrame, rng: np.random.Generator) -> None:
    """Correct ``frame``'s modelled columns in place to the plan's full-data statistics."""
    for col, spec in plan.source_stats.items():
        if col not in frame or len(frame) == 0:
            continue
        if spec["kind"] == "category":
            frame[col] = _match_shares(frame[col], spec["shares"], rng)
        elif "high" in spec:
            frame[col] = _tail_draw(frame[col], spec, spec["kind"] == "datetime", rng)
        else:
            frame[col] = _stretch(frame[col], spec["bounds"], spec["kind"] == "datetime")


def _match_shares(series: pd.Series, shares: dict[str, float], rng: np.random.Generator) -> Any:
    """``series`` with the fewest non-null values changed so that the counts are a
    multinomial draw from ``shares``."""
    labels = sorted(shares)  # stored JSON may reorder the keys
    p = np.array([shares[v] for v in labels], dtype="float64")
    values = series.astype(object).where(series.notna(), None).to_numpy(dtype=object, copy=True)
    rows = np.flatnonzero(pd.notna(values))
    want = dict(zip(labels, rng.multinomial(len(rows), p / p.sum()), strict=True))
    free: list[np.ndarray] = []
    current = pd.Series(values[rows]).astype(str).to_numpy()
    for value in pd.unique(current):
        at = rows[current == value]
        extra = len(at) - int(want.get(str(value), 0))
        if extra > 0:
            free.append(rng.choice(at, size=extra, replace=False))
    if not free:
        return series
    moved = np.concatenate(free)
    have = pd.Series(current).value_counts()
    need = [v for v in labels for _ in range(max(0, int(want[v]) - int(have.get(v, 0))))]
    values[rng.permutation(moved)[: len(need)]] = np.array(need, dtype=object)
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = list(series.cat.categories) + [v for v in labels if v not in series.cat.categories]
        return pd.Categorical(values, categories=cats)
    return pd.Series(values, index=series.index).astype(series.dtype)


def _tail_draw(
    series: pd.Series, spec: dict[str, Any], datetime: bool, rng: np.random.Generator
) -> Any:
    """Values beyond the sample's 1 %/99 % quantiles replaced, rank for rank, by sorted draws
    of the full data's tail quantile function (see module doc)."""
    lo, _, q_lo, q_hi, _, hi = spec["bounds"]
    x = _as_float(series, datetime)
    out = x.copy()
    upper = np.array([*TAIL_GRID, 1.0])
    sides = (
        (x > q_hi, upper, np.array([*spec["high"], hi])),
        (x < q_lo, 1.0 - upper[::-1], np.array([lo, *spec["low"]])),
    )
    for mask, probs, values in sides:
        at = np.flatnonzero(mask)
        if len(at) == 0:
            continue
        u = np.sort(rng.uniform(probs[0], probs[-1], len(at)))
        out[at[np.lexsort((rng.random(len(at)), x[at]))]] = np.interp(u, probs, values)
    return _restore(series, np.clip(out, lo, hi), datetime)


def _stretch(series: pd.Series, bounds: list[float], datetime: bool) -> Any:
    """Values in the sample's tails mapped linearly onto the full min/max (see module doc)."""
    lo, s_min, q_lo, q_hi, s_max, hi = bounds
    x = _as_float(series, datetime)
    out = x.copy()
    low, high = x < q_lo, x > q_hi
    if q_lo > s_min:
        out[low] = q_lo - (q_lo - x[low]) * (q_lo - lo) / (q_lo - s_min)
    if s_max > q_hi:
        out[high] = q_hi + (x[high] - q_hi) * (hi - q_hi) / (s_max - q_hi)
    return _restore(series, np.clip(out, lo, hi), datetime)


def _restore(series: pd.Series, out: np.ndarray, datetime: bool) -> Any:
    """Corrected floats back in ``series``'s dtype (nulls stay null)."""
    if datetime:
        stamps = pd.to_datetime(pd.Series(out, index=series.index).round(), unit="ns")
        return stamps.astype(series.dtype) if isinstance(series.dtype, np.dtype) else stamps
    if pd.api.types.is_integer_dtype(series.dtype):
        out = np.round(out)  # a nullable integer takes NaN as <NA>
    numeric = pd.api.types.is_numeric_dtype(series.dtype)
    return pd.Series(out, index=series.index).astype(series.dtype if numeric else "float64")
