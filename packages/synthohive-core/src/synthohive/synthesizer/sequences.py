"""Ordered child sequences: one parent's rows generated in order, each given the one before.

A table declared with ``Metadata.set_sequence(table, index=..., parent=..., anchor=...)`` (a
customer's orders over time, a plane's flights, an account's transactions) is learned as a
first-order Markov chain per parent, on top of the table's own model:

* Fit: the rows are sorted by (parent key, index). Each parent learns, beside its number of
  children, the sequence's start (the first row's index, or its ``log1p`` gap after the
  parent's ``anchor`` column) and span (``log1p`` of last - first) as two columns of its own
  model (:func:`sequence_columns`): learned jointly with the parent's attributes and count, a
  plane with many flights gets a long span. The child's index is replaced by ``__seq_gap``
  (``log1p`` of the gap to the previous row), and the child's model is fitted with context =
  the parent's columns + the previous row's values (``__prev__<column>``; the column's typical
  value on a first row) + the row's position ``__seq_k`` and the parent's row count
  ``__seq_n``. Any model with ``supports_sequences`` (context support is all it takes) learns
  ``p(row_k | parent, row_k-1, k, n)``.
* Sample: a parent chunk's children are generated step by step - all first rows at once, then
  all second rows given the first ones, and so on (categorical columns topped up to the
  learned share of repeats, so a plane keeps its airline). The index is rebuilt from the
  parent's start and span, the rows between spaced in proportion to their gaps: every
  parent's rows are in order by construction (strictly, when the real rows have no ties),
  never run past the span, and with an anchor no row precedes its parent's value. The number
  of rows per parent still comes from the learned children-per-parent counts; keys,
  streaming and sinks are unchanged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from synthohive.constraints.columns import _as, _dtype, _grain, _numeric
from synthohive.errors import DataError
from synthohive.log import get_logger
from synthohive.metadata.schema import Column
from synthohive.synthesizer.cardinality import canon_keys

if TYPE_CHECKING:
    from synthohive.metadata.schema import Metadata, SequenceSpec, Table

log = get_logger(__name__)

GAP = "__seq_gap"
STEP = "__seq_k"
LENGTH = "__seq_n"
PREV = "__prev__"


@dataclass
class SequenceState:
    """What generation needs to rebuild the index (stored in the table's plan as JSON)."""

    index: str
    kind: str  # number | datetime | text_datetime
    dtype: str
    fmt: str | None = None
    anchor: str | None = None
    anchor_fmt: str | None = None
    step: float = 0.0
    decimals: int | None = None
    strict: bool = False
    memory: bool = True
    """Whether the model sees the previous row (``False`` for a model without context)."""
    lags: list[str] = field(default_factory=list)
    """Model columns whose previous-row value conditions the next row."""
    stay: dict[str, float] = field(default_factory=dict)
    """Categorical columns: the share of rows repeating the previous row's value (a plane
    keeps its airline: 1.0). Generation tops the model's repeats up to it."""
    start_fill: float = 0.0
    span_fill: float = 0.0
    """Start and span (as the parent learns them) for a parent whose sampled values are null."""
    fills: dict[str, Any] = field(default_factory=dict)
    """The previous-row value a first row sees (each column's median or most common value):
    a typical row rather than nulls, which would make every lag column's null flag the same
    dimension and the model's conditioning ill-posed; ``__seq_k`` marks first rows."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SequenceState:
        """Inverse of :meth:`to_dict` (types checked; a bad file raises ``ValueError``)."""
        kind = str(raw["kind"])
        if kind not in ("number", "datetime", "text_datetime"):
            raise ValueError(f"sequence index kind {kind!r}")
        decimals = raw.get("decimals")
        return cls(
            index=str(raw["index"]),
            kind=kind,
            dtype=str(raw["dtype"]),
            fmt=None if raw.get("fmt") is None else str(raw["fmt"]),
            anchor=None if raw.get("anchor") is None else str(raw["anchor"]),
            anchor_fmt=None if raw.get("anchor_fmt") is None else str(raw["anchor_fmt"]),
            step=float(raw.get("step") or 0.0),
            decimals=None if decimals is None else int(decimals),
            strict=bool(raw.get("strict", False)),
            memory=bool(raw.get("memory", True)),
            lags=[str(c) for c in raw.get("lags", [])],
            fills={str(k): v for k, v in (raw.get("fills") or {}).items()},
            stay={str(k): float(v) for k, v in (raw.get("stay") or {}).items()},
            start_fill=float(raw.get("start_fill") or 0.0),
            span_fill=float(raw.get("span_fill") or 0.0),
        )

    def context_columns(self) -> list[str]:
        """The context columns sequences add after the parent's."""
        return [*(PREV + c for c in self.lags), STEP, LENGTH]


def sequence_columns(relation: int) -> list[str]:
    """The parent's learned start and span columns for the sequence over ``relation``."""
    return [f"__seq_start_{relation}", f"__seq_span_{relation}"]


def start_and_span(
    idx: np.ndarray, ids: np.ndarray, anchor: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Per group (in group-id order): the start (``log1p`` after ``anchor`` when given, the
    anchor aligned with ``idx``) and ``log1p`` of the span."""
    frame = pd.DataFrame({"g": ids, "x": idx})
    low = frame.groupby("g")["x"].min().to_numpy(dtype="float64")
    high = frame.groupby("g")["x"].max().to_numpy(dtype="float64")
    span = np.log1p(np.maximum(high - low, 0.0))
    if anchor is None:
        return low, span
    base = pd.DataFrame({"g": ids, "a": anchor}).groupby("g")["a"].first().to_numpy()
    with np.errstate(invalid="ignore"):
        return np.log1p(np.maximum(low - base, 0.0)), span


def parent_sequence_values(
    parent: pd.DataFrame,
    parent_columns: list[str],
    child: pd.DataFrame,
    child_columns: list[str],
    index: str,
    fmt: str | None,
    anchor: str | None,
    anchor_fmt: str | None,
) -> tuple[np.ndarray, np.ndarray]:
    """For each parent row: its sequence's start and span, as the parent learns them (null
    for a parent without rows)."""
    from synthohive.synthesizer.cardinality import align_keys

    keys = align_keys(child[child_columns].reset_index(drop=True), parent, parent_columns)
    keys["__x__"] = _numeric(child[index].reset_index(drop=True), "", fmt)[0]
    keys = keys.dropna(subset=[*parent_columns, "__x__"])
    left = canon_keys(parent[parent_columns].reset_index(drop=True))
    agg = keys.groupby(parent_columns, sort=False)["__x__"].agg(["min", "max"]).reset_index()
    merged = left.merge(agg, on=parent_columns, how="left")
    low = merged["min"].to_numpy(dtype="float64", na_value=np.nan)
    high = merged["max"].to_numpy(dtype="float64", na_value=np.nan)
    span = np.log1p(np.maximum(high - low, 0.0))
    if anchor is None:
        return low, span
    base = _numeric(parent[anchor].reset_index(drop=True), "", anchor_fmt)[0]
    with np.errstate(invalid="ignore"):
        return np.log1p(np.maximum(low - base, 0.0)), span


def group_ids(keys: pd.DataFrame) -> np.ndarray:
    """One integer per distinct parent key (a row with a null key is its own group)."""
    canon = canon_keys(keys.reset_index(drop=True))
    null = canon.isna().any(axis=1).to_numpy()
    ids = canon.groupby(list(canon.columns), sort=False, dropna=False).ngroup().to_numpy()
    ids = ids.astype(np.int64)
    if null.any():
        ids[null] = ids.max(initial=0) + 1 + np.arange(int(null.sum()))
    return ids


def sort_rows(
    frame: pd.DataFrame, fk_columns: list[str], index: str, fmt: str | None
) -> pd.DataFrame:
    """``frame`` sorted by (parent key, index), ties kept in their order."""
    ids = group_ids(frame[fk_columns])
    values, _ = _numeric(frame[index], "", fmt)
    order = np.lexsort((np.arange(len(frame)), np.nan_to_num(values, nan=np.inf), ids))
    return frame.iloc[order].reset_index(drop=True)


def positions(ids: np.ndarray) -> np.ndarray:
    """Each row's position in its (contiguous) group: 0, 1, 2..."""
    if not len(ids):
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[True, ids[1:] != ids[:-1]]
    first = np.maximum.accumulate(np.where(starts, np.arange(len(ids)), 0))
    return np.arange(len(ids)) - first


def fit_sequence(
    spec: SequenceSpec,
    metadata: Metadata,
    table: Table,
    frame: pd.DataFrame,
    data: pd.DataFrame,
    columns: dict[str, Column],
    fk_columns: list[str],
    anchor_values: pd.Series | None,
) -> tuple[pd.DataFrame, dict[str, Column], pd.DataFrame, dict[str, Column], SequenceState]:
    """The model's training frame and columns with the index rewritten, the sequence context
    (previous row's values and position, row-aligned) with its column metadata, and the state.

    ``frame`` must be sorted by :func:`sort_rows` and ``data`` be its modelled rows, in order.
    """
    if spec.index not in data.columns:
        raise DataError(
            f"sequence index {spec.index!r} is not modelled (a key, PII or dropped column)",
            table=table.name,
            fix="order the sequence by a modelled date or number column",
        )
    fmt = table.columns[spec.index].format
    idx, kind = _numeric(data[spec.index], table.name, fmt)
    ids = group_ids(frame[fk_columns])
    k = positions(ids)
    first = k == 0
    prev = np.r_[np.nan, idx[:-1]]
    with np.errstate(invalid="ignore"):
        gap = np.where(first, np.nan, idx - prev)
    step, decimals = _grain(idx[~np.isnan(idx)], kind)
    later = gap[~first & ~np.isnan(gap)]
    strict = bool(len(later)) and bool((later > 0).all())
    anchor_fmt = None
    anchor: np.ndarray | None = None
    if anchor_values is not None and spec.anchor is not None:
        fk_parent = next(
            fk.parent
            for fk in metadata.relations
            if fk.child == table.name and list(fk.child_columns) == fk_columns
        )
        anchor_fmt = metadata.tables[fk_parent].columns[spec.anchor].format
        anchor, _ = _numeric(anchor_values.reset_index(drop=True), table.name, anchor_fmt)
    starts, spans = start_and_span(idx, ids, anchor)
    size = np.bincount(ids)[ids]
    # a gap relative to its sequence's mean gap (span / gaps): the span and the row count are
    # learned by the parent, so the child only learns how the gaps vary within a sequence
    mean_gap = np.expm1(spans)[ids] / np.maximum(size - 1, 1)
    with np.errstate(invalid="ignore"):
        gap = np.log1p(np.maximum(gap, 0.0)) - np.log1p(mean_gap)
    # a first row has no gap: it gets one drawn from the other rows (seeded), so the column
    # has no nulls - a null flag the model cannot tie exactly to the position would give some
    # later rows no gap
    out = data.drop(columns=[spec.index]).copy()
    out[GAP] = _borrow(gap, ~first & ~np.isnan(gap), len(data) + 1)
    cols = {c: v for c, v in columns.items() if c != spec.index}
    cols[GAP] = Column(sdtype="numerical", dtype="float64")
    lags = [c for c in out.columns if c in cols and not c.startswith("__n_")]
    fills = {c: typical(out[c]) for c in lags}
    context = lag_frame(out, lags, k, fills, size)
    stay = {}
    for c in lags:
        if pd.api.types.is_numeric_dtype(out[c].dtype) and not pd.api.types.is_bool_dtype(
            out[c].dtype
        ):
            continue
        prev = context[PREV + c].set_axis(out.index)
        both = (k > 0) & out[c].notna().to_numpy() & prev.notna().to_numpy()
        if both.any():
            stay[c] = float((out[c][both].astype(str) == prev[both].astype(str)).mean())
    ctx_cols = {PREV + c: cols[c].model_copy(update={"nullable": True}) for c in lags}
    ctx_cols[STEP] = Column(sdtype="numerical", dtype="float64", nullable=False)
    ctx_cols[LENGTH] = Column(sdtype="numerical", dtype="float64", nullable=False)
    state = SequenceState(
        index=spec.index,
        kind=kind,
        dtype=str(data[spec.index].dtype),
        fmt=fmt,
        anchor=spec.anchor,
        anchor_fmt=anchor_fmt,
        step=step,
        decimals=decimals,
        strict=strict,
        lags=lags,
        fills=fills,
        stay=stay,
        start_fill=float(np.nanmedian(starts)) if (~np.isnan(starts)).any() else 0.0,
        span_fill=float(np.nanmedian(spans)) if (~np.isnan(spans)).any() else 0.0,
    )
    log.info(
        "synthesizer.sequence",
        table=table.name,
        index=spec.index,
        parents=len(np.unique(ids)),
        longest=int(k.max(initial=-1) + 1),
        strict=strict,
    )
    return out, cols, context, ctx_cols, state


def typical(values: pd.Series) -> Any:
    """A JSON value standing for a column: the median of numbers, else the most common."""
    present = values.dropna()
    if not len(present):
        return None
    if pd.api.types.is_numeric_dtype(present.dtype) and not pd.api.types.is_bool_dtype(
        present.dtype
    ):
        return float(present.median())
    top = present.mode().iloc[0]
    return top.item() if isinstance(top, np.generic) else top


def _borrow(values: np.ndarray, own: np.ndarray, seed: int) -> np.ndarray:
    """``values`` where ``own``; elsewhere values drawn from the ``own`` rows (seeded)."""
    pool = values[own]
    if not len(pool):
        return values
    rng = np.random.default_rng(seed)
    return np.where(own, values, pool[rng.integers(0, len(pool), size=len(values))])


def previous(values: pd.Series, fill: Any) -> pd.Series:
    """Previous-row values with nulls (and first rows) as the column's typical value: a rare
    null flag in the context makes the copula's conditioning unstable (its latent correlation
    with everything is estimated from a handful of rows)."""
    if fill is None:
        return values
    return values.astype(object).where(values.notna(), fill).infer_objects()


def lag_frame(
    rows: pd.DataFrame, lags: list[str], k: np.ndarray, fills: dict[str, Any], size: np.ndarray
) -> pd.DataFrame:
    """Previous-row values of ``lags`` (the typical value where ``k == 0``), ``__seq_k`` and
    the parent's number of rows ``__seq_n`` (both as ``log1p``)."""
    first = pd.Series(k == 0, index=rows.index)
    out = {}
    for c in lags:
        out[PREV + c] = previous(rows[c].shift(1).where(~first), fills.get(c))
    frame = pd.DataFrame(out, index=rows.index).reset_index(drop=True)
    frame[STEP] = np.log1p(k.astype("float64"))
    frame[LENGTH] = np.log1p(size.astype("float64"))
    return frame


def sample_sequence(
    model: Any,
    n: int,
    parent_context: pd.DataFrame | None,
    ids: np.ndarray,
    start: np.ndarray,
    span: np.ndarray,
    state: SequenceState,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """``n`` rows in the model's columns with the index rebuilt: row ``j`` belongs to parent
    group ``ids[j]`` (groups contiguous) whose sequence starts at ``start[j]`` (absolute,
    anchor added) and spans ``span[j]``; generated step by step given the previous row."""
    k = positions(ids)
    base = ids - ids.min(initial=0)
    size = np.log1p(np.bincount(base)[base].astype("float64"))
    pieces: list[pd.DataFrame] = []
    last: pd.DataFrame | None = None  # the previous step's rows, by row number
    for s in range(int(k.max(initial=-1)) + 1):
        rows = np.flatnonzero(k == s)
        if last is None:
            prev = pd.DataFrame(
                {PREV + c: [state.fills.get(c)] * len(rows) for c in state.lags}
            ).infer_objects()
        else:
            before = last.loc[rows - 1, state.lags].reset_index(drop=True)
            prev = pd.DataFrame(
                {PREV + c: previous(before[c], state.fills.get(c)) for c in state.lags}
            )
        prev[STEP] = np.log1p(float(s))
        prev[LENGTH] = size[rows]
        context: pd.DataFrame | None = prev if state.memory else None
        if parent_context is not None:
            parent_rows = parent_context.iloc[rows].reset_index(drop=True)
            context = pd.concat([parent_rows, prev], axis=1) if state.memory else parent_rows
        seed = int(rng.integers(0, 2**62))
        drawn = model.sample(len(rows), context=context, seed=seed)
        if last is not None:
            _keep_repeats(drawn, last.loc[rows - 1].reset_index(drop=True), state.stay, rng)
        last = drawn.set_axis(pd.Index(rows))
        pieces.append(last)
    if not pieces:
        return pd.DataFrame()
    out = pd.concat(pieces).sort_index().reset_index(drop=True)
    return rebuild_index(out, ids, k, start, span, state)


def _keep_repeats(
    drawn: pd.DataFrame, previous: pd.DataFrame, stay: dict[str, float], rng: np.random.Generator
) -> None:
    """Raise each categorical column's share of repeated values to the learned one: of the
    rows whose drawn value differs from the previous row's, a share is set back to it."""
    for col in sorted(stay):  # a fixed order: the stored state's key order may differ
        target = stay[col]
        if col not in drawn.columns or col not in previous.columns:
            continue
        now, before = drawn[col], previous[col]
        known = now.notna().to_numpy() & before.notna().to_numpy()
        if not known.any():
            continue
        same = known & (now.astype(str).to_numpy() == before.astype(str).to_numpy())
        rate = same[known].mean()
        if target <= rate or rate >= 1.0:
            continue
        flip = known & ~same & (rng.random(len(now)) < (target - rate) / (1.0 - rate))
        if flip.any():
            drawn.loc[flip, col] = before[flip].to_numpy()


def rebuild_index(
    out: pd.DataFrame,
    ids: np.ndarray,
    k: np.ndarray,
    start: np.ndarray,
    span: np.ndarray,
    state: SequenceState,
) -> pd.DataFrame:
    """The index column: each parent's first row at its ``start``, its last at start + span,
    the rows between spaced by their relative gaps - so no parent's rows run past the span it
    learned - on the column's grain, strictly rising when the real rows were."""
    first = k == 0
    rel = np.clip(out[GAP].to_numpy(dtype="float64", na_value=0.0), -50.0, 50.0)
    weight = np.where(first, 0.0, np.exp(np.nan_to_num(rel, nan=0.0)))
    total = pd.Series(weight).groupby(ids).transform("sum").to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, weight / np.where(total > 0, total, 1.0), 0.0)
    offset = pd.Series(share * span).groupby(ids).cumsum().to_numpy()
    if state.step:
        offset = np.round(offset / state.step) * state.step
        lift = np.ceil if state.anchor is not None else np.round  # never before the anchor
        start = lift(np.round(start / state.step, 6)) * state.step
    grain = (state.step or 1e-6) if state.strict else 0.0
    # at least ``grain`` between rows: offset_k - k * grain kept non-decreasing
    offset = pd.Series(offset - k * grain).groupby(ids).cummax().to_numpy() + k * grain
    index = start + offset
    if state.kind == "number" and state.decimals is not None:
        index = np.round(index, state.decimals)
    frame = out.drop(columns=[GAP])
    frame[state.index] = _as(index, _dtype(state.dtype), frame.index, state.kind, state.fmt)
    return frame


def parent_start_span(
    start_raw: np.ndarray, span_raw: np.ndarray, anchor: np.ndarray | None, state: SequenceState
) -> tuple[np.ndarray, np.ndarray]:
    """A parent's sampled start and span columns as an absolute start and a span (the
    learned medians where the parent's model gave nulls)."""
    start_raw = np.where(np.isnan(start_raw), state.start_fill, start_raw)
    span_raw = np.where(np.isnan(span_raw), state.span_fill, span_raw)
    span = np.expm1(np.clip(span_raw, 0.0, 700.0))
    if anchor is None:
        return start_raw, span
    return anchor + np.expm1(np.clip(start_raw, 0.0, 700.0)), span


def suggest_sequences(metadata: Metadata, tables: dict[str, pd.DataFrame]) -> list[SequenceSpec]:
    """Child tables that look like event sequences: one non-self parent, a date column, and
    at least 2 rows per parent on average. Suggested (``explain()``), never applied."""
    from synthohive.metadata.schema import SequenceSpec

    out: list[SequenceSpec] = []
    for name, table in metadata.tables.items():
        parents = [fk for fk in metadata.parents(name) if fk.parent != name]
        frame = tables.get(name)
        if len(parents) != 1 or frame is None or not len(frame):
            continue
        fk = parents[0]
        keys = set(fk.child_columns) | set(table.primary_key or [])
        dates = [c for c in table.columns_of("datetime") if c not in keys and c in frame]
        if not dates:
            continue
        per_parent = frame.groupby(fk.child_columns, dropna=True).size()
        if not len(per_parent) or per_parent.mean() < 2:
            continue
        out.append(
            SequenceSpec(
                table=name,
                index=dates[0],
                parent=fk.parent,
                reason=f"{per_parent.mean():.1f} rows per {fk.parent!r} row on average, "
                f"dated by {dates[0]!r}",
            )
        )
    return out
