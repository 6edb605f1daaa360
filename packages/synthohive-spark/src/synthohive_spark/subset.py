"""Key-safe subsets of a schema, computed by Spark (semi-joins, no driver round trips).

Root tables are sampled (``roots={"customers": 1000}`` or a ``fraction``; with ``stratify``, a
root table per value of a column, see :func:`synthohive_spark.stats.stratified_sample`, so every
value keeps at least ``stratum_rows`` root rows with their subtrees); every other table
keeps the rows whose context parent (first FK) was kept, so parents keep their children; then,
walking from children up, every parent row that a kept child references through any FK is
added, so every kept child's parents are in the subset.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from synthohive.errors import ConnectorError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkDataFrame

    from synthohive.metadata.schema import Metadata
    from synthohive_spark.connector import SparkConnector


def parents_first(metadata: Metadata) -> list[str]:
    """The tables of ``metadata`` with every parent before its children."""
    from graphlib import CycleError, TopologicalSorter

    graph: dict[str, set[str]] = {t: set() for t in metadata.tables}
    for fk in metadata.relations:
        if fk.child != fk.parent:
            graph[fk.child].add(fk.parent)
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise ConnectorError(f"relations form a cycle: {exc.args[1]}") from None


def key_safe_subset(
    connector: SparkConnector,
    metadata: Metadata,
    *,
    roots: dict[str, int] | None = None,
    fraction: float | None = None,
    seed: int = 0,
    frames: Mapping[str, SparkDataFrame] | None = None,
    stratify: Mapping[str, str] | None = None,
) -> dict[str, SparkDataFrame]:
    """Spark DataFrames of a relation-preserving subset of every table in ``metadata``.

    ``frames`` (e.g. a snapshot's pinned frames) are used instead of the live tables;
    ``stratify`` maps root tables to the column their sample is stratified on (a table with
    a parent cannot be: its rows follow their parents; ``ConnectorError``).
    """
    from synthohive_spark.stats import stratified_sample

    strata = dict(stratify or {})
    children = sorted(t for t in strata if any(fk.parent != t for fk in metadata.parents(t)))
    if children:
        raise ConnectorError(
            f"stratify names {children}, which have parent tables: a subtree sample keeps the "
            "rows of the parents it keeps, so only root tables can be stratified",
            table=children[0],
            fix="stratify a root table (its children follow), or read the table on its own",
        )
    if (roots is None) == (fraction is None):
        raise ConnectorError(
            "give exactly one of roots= or fraction=",
            fix="e.g. roots={'customers': 1000} or fraction=0.1",
        )
    if fraction is not None and not 0 < fraction <= 1:
        raise ConnectorError(f"fraction must be in (0, 1], got {fraction}")
    order = parents_first(metadata)
    full = {t: frames[t] if frames else connector.spark_table(t) for t in order}
    kept: dict[str, SparkDataFrame] = {}
    for table in order:
        parents = [fk for fk in metadata.parents(table) if fk.parent != table]
        sdf = full[table]
        if not parents and table in strata:
            n = roots.get(table) if roots is not None else round(float(fraction or 0) * sdf.count())
            if n is None:
                kept[table] = sdf
                continue
            kept[table] = stratified_sample(
                sdf,
                table,
                strata[table],
                max(int(n), 1),
                stratum_rows=connector.stratum_rows,
                max_categories=connector.max_categories,
                seed=seed,
            ).cache()  # one sample, however often the joins below read it
            continue
        if not parents:
            if roots is not None:
                n = roots.get(table)
                if n is None:
                    kept[table] = sdf
                    continue
                total = sdf.count()
                frac = min(1.0, 1.2 * n / total) if total else 1.0
                kept[table] = sdf.sample(fraction=frac, seed=seed).limit(n)
            else:
                kept[table] = sdf.sample(fraction=float(fraction), seed=seed)  # type: ignore[arg-type]
            continue
        fk = parents[0]
        cond = [sdf[c] == kept[fk.parent][p] for c, p in zip(fk.child_columns, fk.parent_columns)]
        kept[table] = sdf.join(kept[fk.parent], on=cond, how="left_semi")
    for table in reversed(order):
        for fk in metadata.parents(table):
            child = kept[table]
            parent_full = full[fk.parent]
            cond = [parent_full[p] == child[c] for c, p in zip(fk.child_columns, fk.parent_columns)]
            needed = parent_full.join(child, on=cond, how="left_semi")
            kept[fk.parent] = kept[fk.parent].unionByName(needed).distinct()
    return {t: kept[t].cache() for t in order}
