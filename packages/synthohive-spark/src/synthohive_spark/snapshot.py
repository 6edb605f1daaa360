"""Consistent multi-table reads: pin every table first, then read only what was pinned.

A pin fixes what a table holds: the exact data files of a file table (Parquet/CSV folders,
file-backed catalog tables; Spark's own listing, refreshed first), or the version of a Delta
table. Pinned frames read only those files (or that version), so rows written later never show.

Tables are pinned children before parents (reverse FK order). With append-only writers that
commit a parent before the children that reference it, every child in the child's pin then
has its parent in the parent's pin, which is pinned later. The pins are then taken again; when
nothing changed between two rounds, all pins hold the tables as they were at one instant (with
append-only writers a file set that is equal at two times is constant in between), whatever
the FK order. After pinning, :func:`drop_orphans` guards the result: child rows whose foreign
key matches no parent row in the snapshot are dropped (or kept, or refused) and counted in a
log event.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import unquote

from synthohive.errors import ConnectorError
from synthohive.log import get_logger
from synthohive_spark.identifiers import qualified, quote
from synthohive_spark.subset import parents_first

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkDataFrame
    from pyspark.sql.types import StructType

    from synthohive.metadata.schema import ForeignKey, Metadata
    from synthohive_spark.connector import SparkConnector

log = get_logger(__name__)

OrphanPolicy = Literal["drop", "keep", "error"]
ORPHAN_POLICIES: tuple[str, ...] = ("drop", "keep", "error")
PIN_ROUNDS = 3
_FILE_PROVIDERS = ("parquet", "orc")
_GLOB = re.compile(r"([\\{}\[\]*?])")


@dataclass(frozen=True)
class Source:
    """Where a table's rows live, found once per snapshot."""

    table: str
    kind: Literal["files", "delta", "live"]
    format: str | None = None
    location: str | None = None
    schema: StructType | None = None  # catalog tables: the table's schema, kept when re-reading
    reason: str | None = None  # why a table is read live


@dataclass(frozen=True)
class Pin:
    """What one table holds in the snapshot: sorted data-file URIs, or a Delta version."""

    table: str
    files: tuple[str, ...] = ()
    version: int | None = None
    pinned: bool = True


@dataclass
class Snapshot:
    """Pinned Spark DataFrames of several tables, and how they were pinned."""

    frames: dict[str, SparkDataFrame]
    pins: dict[str, Pin]
    order: list[str]
    consistent: bool
    """True when a second round of pins found nothing changed (one point in time)."""
    rounds: int = 1


def glob_escaped(path: str) -> str:
    """``path`` with Hadoop glob characters escaped, so a reader takes it literally."""
    return _GLOB.sub(r"\\\1", path)


def pin_order(tables: Iterable[str], metadata: Metadata | None) -> list[str]:
    """``tables`` with every child before its parents (unrelated tables keep their order)."""
    tables = list(tables)
    if metadata is None or not metadata.relations:
        return tables
    known = [t for t in reversed(parents_first(metadata)) if t in tables]
    return known + [t for t in tables if t not in known]


def _describe(connector: SparkConnector, table: str) -> dict[str, str]:
    """The ``# Detailed Table Information`` rows of ``DESCRIBE TABLE EXTENDED``."""
    rows = connector.spark.sql(
        f"DESCRIBE TABLE EXTENDED {qualified(connector.database, table)}"
    ).collect()  # identifiers are backtick-quoted
    info: dict[str, str] = {}
    detail = False
    for row in rows:
        name, value = str(row[0] or "").strip(), str(row[1] or "").strip()
        if name == "# Detailed Table Information":
            detail = True
        elif detail and name:
            info.setdefault(name, value)
    return info


def source(connector: SparkConnector, table: str) -> Source:
    """How ``table`` can be pinned: by files, by Delta version, or not at all (live)."""
    connector.require_table(table)
    if connector.format == "delta":
        return Source(table, "delta", location=connector._table_path(table))
    if connector.format:
        return Source(table, "files", connector.format, connector._table_path(table))
    info = _describe(connector, table)
    provider = info.get("Provider", "").lower()
    if provider == "hive":  # Hive serde tables: Spark reads Parquet/ORC ones natively
        serde = info.get("Serde Library", "").lower()
        provider = next((p for p in _FILE_PROVIDERS if p in serde), provider)
    location = info.get("Location")
    if info.get("Type", "").upper() == "VIEW" or not location:
        return Source(table, "live", reason="a view or a table without a location")
    if provider == "delta":
        return Source(table, "delta", location=location)
    if provider in _FILE_PROVIDERS:
        schema = connector.spark.table(qualified(connector.database, table)).schema
        return Source(table, "files", provider, location, schema)
    return Source(table, "live", reason=f"provider {provider or 'unknown'!r} is not pinned")


def _listing(connector: SparkConnector, src: Source) -> SparkDataFrame:
    spark = connector.spark
    if connector.format:  # a folder: a fresh reader lists it anew
        reader = spark.read.format(str(src.format))
        if src.format == "csv":
            reader = reader.option("header", True)
        return reader.load(glob_escaped(str(src.location)))
    name = qualified(connector.database, src.table)
    spark.catalog.refreshTable(name)
    return spark.table(name)


def _delta_version(connector: SparkConnector, location: str) -> int:
    try:
        from delta.tables import DeltaTable
    except ImportError:
        raise ConnectorError(
            "pinning a Delta table needs the delta-spark package",
            fix="pip install 'synthohive-spark[delta]'",
        ) from None
    row = DeltaTable.forPath(connector.spark, location).history(1).select("version").head()
    return int(row[0]) if row is not None else 0


def pin(connector: SparkConnector, src: Source) -> Pin:
    """Pin one table as it is now."""
    if src.kind == "live":
        return Pin(src.table, pinned=False)
    if src.kind == "delta":
        return Pin(src.table, version=_delta_version(connector, str(src.location)))
    return Pin(src.table, files=tuple(sorted(_listing(connector, src).inputFiles())))


def pinned_frame(connector: SparkConnector, src: Source, p: Pin) -> SparkDataFrame:
    """A Spark DataFrame reading exactly what ``p`` pinned."""
    spark = connector.spark
    if src.kind == "live":
        return connector.spark_table(src.table)
    if src.kind == "delta":
        reader = spark.read.format("delta").option("versionAsOf", p.version)
        return reader.load(str(src.location))
    if not p.files:
        if src.schema is not None:
            return spark.createDataFrame([], src.schema)
        return connector.spark_table(src.table).limit(0)
    reader = spark.read.format(str(src.format)).option("basePath", str(src.location))
    if src.format == "csv":
        reader = reader.options(header=True, inferSchema=True)
    if src.schema is not None:
        reader = reader.schema(src.schema)
    sdf = reader.load([glob_escaped(unquote(f)) for f in p.files])
    if src.schema is not None:
        sdf = sdf.select(*[quote(c) for c in src.schema.fieldNames()])
    return sdf


def take_snapshot(
    connector: SparkConnector,
    tables: Iterable[str],
    metadata: Metadata | None = None,
    *,
    rounds: int = PIN_ROUNDS,
) -> Snapshot:
    """Pin ``tables`` (children first), re-pin until two rounds agree (at most ``rounds``)."""
    order = pin_order(tables, metadata)
    sources = {t: source(connector, t) for t in order}
    for src in sources.values():
        if src.kind == "live":
            log.warning("spark.snapshot.unpinned", table=src.table, reason=src.reason)
    pins = {t: pin(connector, sources[t]) for t in order}
    consistent, done = False, 1
    while done < max(rounds, 1) and not consistent:
        again = {t: pin(connector, sources[t]) for t in order}
        done += 1
        consistent = again == pins
        pins = pins if consistent else again
    consistent = consistent and all(p.pinned for p in pins.values())
    frames = {t: pinned_frame(connector, sources[t], pins[t]) for t in order}
    log.info(
        "spark.snapshot",
        tables=order,
        consistent=consistent,
        rounds=done,
        files={t: len(p.files) for t, p in pins.items() if sources[t].kind == "files"},
        versions={t: p.version for t, p in pins.items() if sources[t].kind == "delta"},
    )
    if not consistent and (metadata is None or not metadata.relations) and len(order) > 1:
        log.warning(
            "spark.snapshot.unverified",
            tables=order,
            fix="pass metadata with the foreign keys so tables are pinned children first",
        )
    return Snapshot(frames, pins, order, consistent, done)


def drop_orphans(
    frames: Mapping[str, SparkDataFrame],
    metadata: Metadata | None,
    policy: OrphanPolicy = "drop",
) -> dict[str, SparkDataFrame]:
    """Check every FK between ``frames``: drop, keep or refuse child rows with no parent.

    A key with a null part references nothing and is never an orphan. Parents are checked
    before their children, so rows left without a dropped parent are dropped too.
    Self-references are not checked (one table's pin is one point in time).
    """
    if policy not in ORPHAN_POLICIES:
        raise ConnectorError(f"unknown orphan policy {policy!r}; use one of {ORPHAN_POLICIES}")
    out = dict(frames)
    if metadata is None:
        return out
    for table in parents_first(metadata):
        for fk in metadata.parents(table):
            if fk.parent == table or table not in out or fk.parent not in out:
                continue
            out[table] = _check_fk(out[table], out[fk.parent], fk, policy)
    return out


def _check_fk(
    child: SparkDataFrame, parent: SparkDataFrame, fk: ForeignKey, policy: str
) -> SparkDataFrame:
    keys = [f"__shv_key_{i}" for i in range(len(fk.child_columns))]
    have = parent.select(*[parent[quote(p)].alias(k) for p, k in zip(fk.parent_columns, keys)])
    tagged = child.select("*", *[child[quote(c)].alias(k) for c, k in zip(fk.child_columns, keys)])
    refs = tagged.select(*keys).dropna(how="any").distinct()
    missing = refs.join(have.distinct(), on=keys, how="left_anti")
    rows = tagged.join(missing, on=keys, how="left_semi").count()
    if not rows:
        return child
    where = dict(table=fk.child, parent=fk.parent, columns=list(fk.child_columns), rows=rows)
    if policy == "error":
        raise ConnectorError(
            f"{rows} rows reference {fk.parent!r} rows that are not in the snapshot",
            table=fk.child,
            column=", ".join(fk.child_columns),
            fix="fix the data, or read with orphans='drop' to leave those rows out",
        )
    if policy == "keep":
        log.warning("spark.snapshot.orphans_kept", **where)
        return child
    log.warning("spark.snapshot.orphans_dropped", **where)
    return tagged.join(missing, on=keys, how="left_anti").drop(*keys)
