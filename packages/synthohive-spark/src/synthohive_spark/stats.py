"""Exact statistics of a full table and stratified sampling, for bounded reads (#22 item 3).

When a bounded read samples a table, :func:`full_stats` computes on the *whole* table, on the
executors, what the synthesizer needs to keep full-data marginals
(``attrs["synthohive.source_stats"]``, see :mod:`synthohive.synthesizer.source_stats`):

1. one aggregation pass: min and max of every numeric, date and timestamp column, where its
   tails start (coarse ``percentile_approx`` at :data:`EDGE` and its mirror, on a seeded
   sample of :data:`EDGE_SAMPLE` rows), and
   ``approx_count_distinct`` of every string column;
2. its tail quantiles (``"low"`` at ``1 - p``, ``"high"`` at ``p`` for ``p`` in
   :data:`~synthohive.synthesizer.source_stats.TAIL_GRID`, 0.99 to 0.9999): two passes that
   count each tail's rows and sketch them alone (:func:`_tail_quantiles`; a quantile's rank is
   off by at most 1/2,000,000 of the rows);
3. one grouped count over the string columns with at most ``max_categories`` distinct values
   (the count exploded into ``(column, value)`` pairs, so one pass serves every column): their
   exact category counts. Only these small results reach the driver.

:func:`add_children_stats` adds, for each foreign key of a sampled related read, the exact
children-per-parent histogram of the full tables (how many parents have ``k`` children, for
every ``k`` that occurs, zero included): one grouped count of the child keys, left-joined to
the parent keys, grouped again by the count; only the histogram reaches the driver.

:func:`stratum_fractions` sizes a stratified sample (``SparkConnector(stratify=...)``): every
stratum keeps ``min(its rows, stratum_rows)`` rows, and the rest of the budget is shared in
proportion to the strata's sizes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from synthohive.errors import ConnectorError
from synthohive.log import get_logger

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame as SparkDataFrame

    from synthohive.metadata.schema import Metadata

log = get_logger(__name__)

MAX_CATEGORIES = 1000
"""Most distinct values a string column may have for its exact category counts to be kept."""
EDGE = 0.985
"""Where a column's tails start (``1 - EDGE`` and ``EDGE`` quantiles, by a coarse sketch): below
the grid's 0.99, so with :data:`EDGE_ACCURACY`'s rank error the whole grid lies in the tail."""
EDGE_ACCURACY = 1000
"""``percentile_approx`` accuracy of the edges: rank error at most 0.1 %."""
EDGE_SAMPLE = 200_000
"""Rows (about) of the seeded sample the edges are sketched on: the sample's 98.5 % quantile is
within 0.15 % of the table's (5 standard errors), so the tail still holds the grid's 0.99; a
column where it does not (counted exactly) keeps no tail quantiles rather than wrong ones."""
EDGE_SEED = 20_221
"""Seed of ``rand`` for the edge sample (the same rows on every read of the same data)."""
TAIL_ACCURACY = 10_000
"""``percentile_approx`` accuracy of the tail quantiles, within a tail (~1.5 % of the rows):
rank error at most 1/2,000,000 of the table. Sketching the whole table instead (accuracy
100,000, rank error 1/100,000) made the bounded read of a 20,000,000-row table take 456 s
against 95 s this way; a heavy tail's 0.9995 quantile needs the fine rank."""
MAX_CHILD_COUNTS = 10_000
"""Most distinct children-per-parent numbers a histogram may have to be kept."""
NULL_STRATUM = "\x00null"
"""Stratum of the rows whose stratify column is null."""


def full_stats(
    sdf: SparkDataFrame, *, max_categories: int = MAX_CATEGORIES, force: tuple[str, ...] = ()
) -> dict[str, dict[str, Any]]:
    """Per column ``{"min", "max"}`` or ``{"counts": {value: rows}}`` of the whole ``sdf``;
    ``force`` names columns whose counts are kept whatever their type or cardinality."""
    from pyspark.sql import functions as sf
    from pyspark.sql import types as st

    ordered = (st.NumericType, st.DateType, st.TimestampType, st.TimestampNTZType)
    fields = sdf.schema.fields
    ranged = [f.name for f in fields if isinstance(f.dataType, ordered)]
    strings = [f.name for f in fields if isinstance(f.dataType, st.StringType)]

    edges = [1 - EDGE, EDGE]
    # the edges need no precision (the tail counts below are exact): a sketch over every row
    # costs as much as the quantiles themselves, so it sees a seeded sample of ~EDGE_SAMPLE rows
    share = min(1.0, EDGE_SAMPLE / max(1, sdf.count())) if ranged else 1.0
    pick = "__synthohive_edge_sample"  # projected: an aggregate takes no rand() argument
    marked = sdf.withColumn(pick, sf.rand(EDGE_SEED) < share) if share < 1.0 else sdf

    def sampled(c: str) -> Any:
        return marked[c] if share >= 1.0 else sf.when(marked[pick], marked[c])

    aggs = [
        agg
        for c in ranged
        for agg in (
            sf.min(marked[c]),
            sf.max(marked[c]),
            sf.percentile_approx(sampled(c), edges, EDGE_ACCURACY),
        )
    ]
    aggs += [sf.approx_count_distinct(marked[c]) for c in strings]
    row = marked.agg(*aggs).first() if aggs else None
    out: dict[str, dict[str, Any]] = {}
    cut: dict[str, tuple[Any, Any]] = {}
    for i, col in enumerate(ranged):
        assert row is not None
        low, high, edge = row[3 * i], row[3 * i + 1], row[3 * i + 2]
        if low is not None and high is not None:
            out[col] = {"min": low, "max": high}
            if edge is not None and len(edge) == 2:
                cut[col] = (edge[0], edge[1])
    for col, tails in _tail_quantiles(sdf, cut).items():
        out[col] |= tails
    approx = {c: row[3 * len(ranged) + i] for i, c in enumerate(strings)} if row else {}
    counted = [c for c in strings if approx[c] <= max_categories] + [
        c for c in force if c not in strings or approx.get(c, 0) > max_categories
    ]
    if not counted:
        return out
    pairs = sf.explode(
        sf.array(
            *[
                sf.struct(sf.lit(i).alias("c"), sdf[c].cast("string").alias("v"))
                for i, c in enumerate(counted)
            ]
        )
    ).alias("p")
    grouped = (
        sdf.select(pairs)
        .where(sf.col("p.v").isNotNull())
        .groupBy(sf.col("p.c").alias("c"), sf.col("p.v").alias("v"))
        .count()
    )
    counts: dict[str, dict[str, int]] = {c: {} for c in counted}
    limit = len(counted) * (max_categories + 1) + 1
    for r in grouped.limit(limit).collect():
        counts[counted[int(r["c"])]][str(r["v"])] = int(r["count"])
    for col, values in counts.items():
        if col in force or len(values) <= max_categories:  # approx may have undercounted
            out[col] = {"counts": values}
    return out


def _tail_quantiles(
    sdf: SparkDataFrame, cut: dict[str, tuple[Any, Any]]
) -> dict[str, dict[str, list[Any]]]:
    """``{"low": [...], "high": [...]}`` per column of ``cut``: the full table's quantiles at
    :data:`~synthohive.synthesizer.source_stats.TAIL_GRID` (and its mirror), sketched over the
    rows at or beyond each column's edges only (``cut``: its ~1.5 % and ~98.5 % quantiles).

    One pass counts the rows below/at-or-beyond each edge and the non-null rows; a second runs
    ``percentile_approx`` on the tail rows alone, at each grid probability's position within
    its tail (the rows outside the tail are counted exactly, so a full-table rank maps to a
    tail rank exactly). A tail holds ~1.5 % of the rows, so the sketch sees 1/33 of them and
    its rank error, 1/:data:`TAIL_ACCURACY` of the tail, is 1/2,000,000 of the table.
    """
    from pyspark.sql import functions as sf

    from synthohive.synthesizer.source_stats import TAIL_GRID

    if not cut:
        return {}
    names = list(cut)
    counts = sdf.agg(
        *[
            agg
            for c in names
            for agg in (
                sf.count(sdf[c]),
                sf.count(sf.when(sdf[c] <= sf.lit(cut[c][0]), 1)),
                sf.count(sf.when(sdf[c] >= sf.lit(cut[c][1]), 1)),
            )
        ]
    ).first()
    assert counts is not None
    lows = [1 - p for p in reversed(TAIL_GRID)]
    aggs, kept = [], []
    for i, c in enumerate(names):
        n, n_low, n_high = counts[3 * i], counts[3 * i + 1], counts[3 * i + 2]
        # every grid probability must fall inside its tail; else (ties at an edge, a column
        # of few values) this column keeps no tail quantiles: the min/max stretch serves it
        if not n or n_low < lows[-1] * n or n_high < (1 - TAIL_GRID[0]) * n:
            continue
        within_low = [min(1.0, p * n / n_low) for p in lows]
        within_high = [max(0.0, 1 - (1 - p) * n / n_high) for p in TAIL_GRID]
        aggs += [
            sf.percentile_approx(
                sf.when(sdf[c] <= sf.lit(cut[c][0]), sdf[c]), within_low, TAIL_ACCURACY
            ),
            sf.percentile_approx(
                sf.when(sdf[c] >= sf.lit(cut[c][1]), sdf[c]), within_high, TAIL_ACCURACY
            ),
        ]
        kept.append(c)
    if not aggs:
        return {}
    row = sdf.agg(*aggs).first()
    assert row is not None
    out: dict[str, dict[str, list[Any]]] = {}
    for i, c in enumerate(kept):
        low, high = row[2 * i], row[2 * i + 1]
        if low is not None and high is not None:
            out[c] = {"low": list(low), "high": list(high)}
    return out


def stratum_fractions(counts: dict[str, int], cap: int, stratum_rows: int) -> dict[str, float]:
    """Per stratum the share of its rows to sample so about ``cap`` rows are kept in all,
    each stratum at least ``min(its rows, stratum_rows)`` of them (fewer when ``cap`` cannot
    hold that many for every stratum)."""
    floor = {k: min(n, stratum_rows) for k, n in counts.items()}
    need = sum(floor.values())
    if need >= cap:
        return {k: floor[k] * cap / need / n for k, n in counts.items() if n > 0}
    rest = sum(n - floor[k] for k, n in counts.items())
    base = (cap - need) / rest if rest else 0.0
    return {k: min(1.0, (floor[k] + base * (n - floor[k])) / n) for k, n in counts.items() if n}


def stratified_sample(
    sdf: SparkDataFrame,
    table: str,
    column: str,
    cap: int,
    *,
    stratum_rows: int,
    max_categories: int,
    seed: int,
) -> SparkDataFrame:
    """About ``cap`` rows of ``sdf`` with every value of ``column`` represented (``sampleBy``,
    seeded); ``ConnectorError`` when the column is missing or has too many values."""
    from pyspark.sql import functions as sf

    if column not in sdf.columns:
        raise ConnectorError(
            f"stratify names column {column!r}, which the table does not have",
            table=table,
            column=column,
            fix=f"stratify on one of {sdf.columns}",
        )
    key = "__shv_stratum"
    keyed = sdf.withColumn(key, sf.coalesce(sdf[column].cast("string"), sf.lit(NULL_STRATUM)))
    rows = keyed.groupBy(key).count().limit(max_categories + 1).collect()
    if len(rows) > max_categories:
        raise ConnectorError(
            f"stratify column has more than {max_categories} distinct values",
            table=table,
            column=column,
            fix="stratify on a low-cardinality column, or raise max_categories",
        )
    counts = {str(r[key]): int(r["count"]) for r in rows}
    fractions = stratum_fractions(counts, int(0.97 * cap), stratum_rows)
    return keyed.sampleBy(key, fractions, seed=seed).drop(key).limit(cap)


def children_histogram(
    parent: SparkDataFrame,
    child: SparkDataFrame,
    parent_columns: list[str],
    child_columns: list[str],
    *,
    max_values: int = MAX_CHILD_COUNTS,
) -> list[list[int]] | None:
    """``[[children, parents], ...]`` over every row of ``parent`` (a child key with a null part
    references nothing), or ``None`` when more than ``max_values`` numbers occur."""
    from pyspark.sql import functions as sf

    keys = [f"__shv_k{j}" for j in range(len(parent_columns))]
    kids = (
        child.select(*[child[c].alias(k) for c, k in zip(child_columns, keys, strict=True)])
        .dropna()
        .groupBy(*keys)
        .agg(sf.count(sf.lit(1)).alias("__shv_n"))
    )
    par = parent.select(*[parent[c].alias(k) for c, k in zip(parent_columns, keys, strict=True)])
    per = par.join(kids, on=keys, how="left").select(
        sf.coalesce(sf.col("__shv_n"), sf.lit(0)).alias("k")
    )
    rows = per.groupBy("k").count().limit(max_values + 1).collect()
    if len(rows) > max_values:
        return None
    return sorted([int(r["k"]), int(r["count"])] for r in rows)


def add_children_stats(
    frames: Mapping[str, pd.DataFrame], full: Mapping[str, SparkDataFrame], meta: Metadata
) -> None:
    """For each foreign key between ``frames`` of which one was sampled, the children-per-parent
    histogram of the ``full`` tables in the child frame's ``source_stats`` (under the key's
    first column, ``"children"``)."""
    from synthohive.synthesizer.plan import SOURCE_ROWS
    from synthohive.synthesizer.source_stats import CHILDREN, SOURCE_STATS

    for fk in meta.relations:
        if fk.parent not in frames or fk.child not in frames:
            continue
        pair = (frames[fk.parent], frames[fk.child])
        if all(f.attrs.get(SOURCE_ROWS, 0) <= len(f) for f in pair):
            continue  # both read whole: the fit counts them itself
        hist = children_histogram(
            full[fk.parent], full[fk.child], list(fk.parent_columns), list(fk.child_columns)
        )
        if hist is None:
            log.warning("spark.read.children_stats_skipped", child=fk.child, parent=fk.parent)
            continue
        stats = frames[fk.child].attrs.setdefault(SOURCE_STATS, {})
        stats.setdefault(fk.child_columns[0], {})[CHILDREN] = {
            "parent": fk.parent,
            "parent_columns": list(fk.parent_columns),
            "child_columns": list(fk.child_columns),
            "histogram": hist,
        }
