"""Spark as a SynthoHive source and sink.

URLs:

- ``spark://DB`` (or ``spark://`` for the current database): catalog tables of database ``DB``;
  ``spark+hive://DB`` additionally requires a Hive metastore (``enableHiveSupport()``).
- ``spark+parquet:///folder``, ``spark+csv:///folder``, ``spark+delta:///folder``: one
  sub-folder per table in that format.

Reads to the driver are bounded (``max_rows``, default 200 000): a larger table is sampled
(seeded; uniformly, or per ``stratify`` column with every value represented), the sample size
is logged with the table's total, and exact statistics of the full table (min/max, category
counts; ``synthohive_spark.stats``) are computed by Spark and handed to the synthesizer with
the full row count, so generation keeps the full data's marginals and size. ``read_all``
and ``read_subset`` read several tables from one pinned snapshot with no orphan rows
(``synthohive_spark.snapshot``); ``read_subset`` samples whole parent subtrees so relations
hold. Writes stage each table (a hidden sibling folder or a ``__shv_stage_*`` table) and swap
it in on commit; Delta targets commit in one Delta transaction. pyspark is imported only
when the connector is used.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from synthohive.connectors.base import Connector, WriteMode, WriteSession, check_mode
from synthohive.errors import ConnectorError, TableNotFoundError
from synthohive.log import get_logger
from synthohive_spark.identifiers import check_catalog_name, check_identifier, qualified
from synthohive_spark.stats import MAX_CATEGORIES

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkDataFrame
    from pyspark.sql import SparkSession

    from synthohive.metadata.schema import Metadata
    from synthohive_spark.snapshot import OrphanPolicy, Snapshot

log = get_logger(__name__)

FORMATS = ("parquet", "csv", "delta")
STAGE_PREFIX = "__shv_stage_"


def arrow_friendly(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with categoricals and Arrow-backed strings as plain objects: Spark's Arrow
    path builds one array per column and fails on a multi-chunk one ("Cannot convert
    ChunkedArray to Array"), which pandas 3's strings become once a chunk is large."""
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype | pd.StringDtype):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


class SparkConnector(Connector):
    """Catalog tables or format folders through a SparkSession."""

    name = "spark"
    schemes: ClassVar[tuple[str, ...]] = ("spark",)

    def __init__(
        self,
        url: str,
        *,
        session: Any = None,
        metadata: Metadata | None = None,
        max_rows: int = 200_000,
        strict_identifiers: bool = False,
        seed: int = 0,
        stratify: dict[str, str] | None = None,
        stratum_rows: int = 100,
        source_stats: bool = True,
        max_categories: int = MAX_CATEGORIES,
        **options: Any,
    ) -> None:
        """``stratify`` maps a table to the column a sample of it is stratified on (at least
        ``stratum_rows`` rows, or all, of each value); ``source_stats`` computes exact
        statistics of a sampled table's full data, category counts for string columns with at
        most ``max_categories`` distinct values."""
        super().__init__(url, **options)
        head, sep, rest = url.partition("://")
        if not sep or head.split("+", 1)[0].lower() != "spark":
            raise ConnectorError(
                f"{url!r} is not a spark:// URL", fix="use spark://DB or spark+parquet:///folder"
            )
        variant = head.split("+", 1)[1].lower() if "+" in head else None
        if variant not in (None, "hive", *FORMATS):
            raise ConnectorError(
                f"unknown Spark variant {variant!r} in {url!r}",
                fix=f"use one of spark://, spark+hive://, "
                f"{', '.join(f'spark+{f}://' for f in FORMATS)}",
            )
        self.format = variant if variant in FORMATS else None
        self.hive = variant == "hive"
        self.database = None if self.format else (rest.strip("/") or None)
        self.path = rest if self.format else None
        if self.format and not rest:
            raise ConnectorError(f"{url!r} names no folder", fix=f"spark+{variant}:///folder")
        if max_rows <= 0:
            raise ConnectorError(f"max_rows must be positive, got {max_rows}")
        self._session = session
        self._metadata = metadata
        self.max_rows = max_rows
        self.strict = strict_identifiers
        self.seed = seed
        self.stratify = dict(stratify or {})
        self.stratum_rows = stratum_rows
        self.source_stats = source_stats
        self.max_categories = max_categories
        if stratum_rows <= 0 or max_categories <= 0:
            raise ConnectorError(
                f"stratum_rows and max_categories must be positive, got {stratum_rows} and "
                f"{max_categories}"
            )
        if self.database:
            check_catalog_name(self.database, what="database", strict=strict_identifiers)

    # --- plumbing ------------------------------------------------------------------------------
    @property
    def spark(self) -> SparkSession:
        """The SparkSession in use (the user's, the active one, or a local one)."""
        from synthohive_spark.session import get_session, require_delta, require_hive

        if self._session is None:
            self._session = get_session()
            if self.format == "delta":
                require_delta(self._session)
            if self.hive:
                require_hive(self._session)
        return self._session

    def _table_path(self, table: str) -> str:
        return f"{str(self.path).rstrip('/')}/{table}"

    def _fs(self, path: str) -> tuple[Any, Any]:
        jvm: Any = self.spark.sparkContext._jvm
        hpath = jvm.org.apache.hadoop.fs.Path(path)
        jsc: Any = self.spark.sparkContext._jsc
        conf = jsc.hadoopConfiguration()
        return hpath.getFileSystem(conf), hpath

    def _path_exists(self, path: str) -> bool:
        fs, hpath = self._fs(path)
        return bool(fs.exists(hpath))

    def _delete(self, path: str) -> None:
        fs, hpath = self._fs(path)
        if fs.exists(hpath):
            fs.delete(hpath, True)

    def _rename(self, src: str, dst: str) -> None:
        fs, hsrc = self._fs(src)
        _, hdst = self._fs(dst)
        if not fs.rename(hsrc, hdst):
            raise ConnectorError(f"could not move {src!r} to {dst!r}")

    def _check_table(self, table: str) -> None:
        if not self.format:
            check_catalog_name(table, strict=self.strict)
            return
        check_identifier(table, strict=self.strict)
        if "/" in table or table.startswith("."):
            raise ConnectorError(
                f"table name {table!r} cannot be a folder name",
                table=table,
                fix="use a name without '/' or a leading dot",
            )

    # --- reading -------------------------------------------------------------------------------
    def list_tables(self) -> list[str]:
        if self.format:
            fs, hpath = self._fs(str(self.path))
            if not fs.exists(hpath):
                return []
            return sorted(
                str(s.getPath().getName())
                for s in fs.listStatus(hpath)
                if s.isDirectory() and not str(s.getPath().getName()).startswith((".", "_"))
            )
        if self.database and not self.spark.catalog.databaseExists(self.database):
            have = [d.name for d in self.spark.catalog.listDatabases()]
            raise ConnectorError(
                f"no database {self.database!r} in the catalog; databases: {have}",
                fix="create it first or fix the URL",
            )
        names = [t.name for t in self.spark.catalog.listTables(self.database)]
        return sorted(n for n in names if not n.startswith(STAGE_PREFIX))

    def exists(self, table: str) -> bool:
        """Whether ``table`` exists in this location."""
        if self.format:
            return self._path_exists(self._table_path(table))
        return bool(self.spark.catalog.tableExists(qualified(self.database, table)))

    def require_table(self, table: str) -> None:
        """Check the name; ``TableNotFoundError`` listing what exists unless ``table`` does."""
        self._check_table(table)
        if not self.exists(table):
            import difflib

            have = self.list_tables()
            close = difflib.get_close_matches(table, have, n=3)
            raise TableNotFoundError(
                f"no such table in {self.safe_url}; tables: {have}"
                + (f"; did you mean {close}?" if close else ""),
                table=table,
                fix="check the name or the URL's database/folder",
            )

    def spark_table(self, table: str) -> SparkDataFrame:
        """The table as a (lazy) Spark DataFrame; ``TableNotFoundError`` lists what exists."""
        self.require_table(table)
        if self.format == "csv":
            return self.spark.read.options(header=True, inferSchema=True).csv(
                self._table_path(table)
            )
        if self.format:
            return self.spark.read.format(self.format).load(self._table_path(table))
        return self.spark.table(qualified(self.database, table))

    def read(
        self, table: str, columns: list[str] | None = None, limit: int | None = None
    ) -> pd.DataFrame:
        """A bounded read to the driver (Arrow): at most ``limit`` or ``max_rows`` rows."""
        sdf = self.spark_table(table)
        if columns is not None:
            sdf = sdf.select(*[sdf[c] for c in columns])
        return self._to_pandas(table, sdf, limit)

    def _to_pandas(
        self,
        table: str,
        sdf: SparkDataFrame,
        limit: int | None,
        source_rows: int | None = None,
        full: SparkDataFrame | None = None,
    ) -> pd.DataFrame:
        """At most ``limit``/``max_rows`` rows of ``sdf`` on the driver. The frame's
        ``attrs["synthohive.source_rows"]`` holds the table's full row count (``source_rows``
        when ``sdf`` is already a subset of ``full``), which the synthesizer generates at
        scale 1; a sampled read without ``limit`` also gets the full table's exact statistics
        in ``attrs["synthohive.source_stats"]``."""
        from synthohive.synthesizer.plan import SOURCE_ROWS
        from synthohive.synthesizer.source_stats import SOURCE_STATS
        from synthohive_spark.stats import full_stats, stratified_sample

        cap = min(limit, self.max_rows) if limit else self.max_rows
        total = sdf.count()
        whole = full if full is not None else sdf
        if total > cap:
            column = self.stratify.get(table)
            if column is not None:
                sdf = stratified_sample(
                    sdf,
                    table,
                    column,
                    cap,
                    stratum_rows=self.stratum_rows,
                    max_categories=self.max_categories,
                    seed=self.seed,
                )
            else:
                sdf = sdf.sample(fraction=min(1.0, 1.2 * cap / total), seed=self.seed).limit(cap)
            log.warning("spark.read.sampled", table=table, rows=cap, total=total, stratify=column)
        else:
            log.info("spark.read", table=table, rows=total, total=source_rows or total)
        frame = self._restore(table, sdf.toPandas())
        frame.attrs[SOURCE_ROWS] = int(max(total, source_rows or 0))
        if self.source_stats and limit is None and frame.attrs[SOURCE_ROWS] > len(frame):
            force = (self.stratify[table],) if table in self.stratify else ()
            frame.attrs[SOURCE_STATS] = full_stats(
                whole, max_categories=self.max_categories, force=force
            )
        return frame

    def _restore(self, table: str, frame: pd.DataFrame) -> pd.DataFrame:
        if self._metadata is None or table not in self._metadata.tables:
            return frame
        from synthohive.connectors.folder import restore_dtypes

        return restore_dtypes(frame, self._metadata.tables[table])

    def iter_chunks(self, table: str, chunksize: int = 50_000) -> Iterator[pd.DataFrame]:
        """Stream the whole table to the driver in chunks (``toLocalIterator``)."""
        sdf = self.spark_table(table)
        names = sdf.columns
        rows: list[Any] = []
        for row in sdf.toLocalIterator(prefetchPartitions=True):
            rows.append(tuple(row))
            if len(rows) >= chunksize:
                yield self._restore(table, pd.DataFrame.from_records(rows, columns=names))
                rows = []
        if rows:
            yield self._restore(table, pd.DataFrame.from_records(rows, columns=names))

    def snapshot(
        self, tables: Iterable[str] | None = None, metadata: Metadata | None = None
    ) -> Snapshot:
        """Pin ``tables`` (default: all) children first; see ``synthohive_spark.snapshot``."""
        from synthohive_spark.snapshot import take_snapshot

        meta = metadata if metadata is not None else self._metadata
        names = list(tables) if tables is not None else self._tables(meta)
        return take_snapshot(self, names, meta)

    def _tables(self, metadata: Metadata | None) -> list[str]:
        return list(metadata.tables) if metadata is not None else self.list_tables()

    def read_all(
        self,
        tables: Iterable[str] | None = None,
        *,
        metadata: Metadata | None = None,
        orphans: OrphanPolicy = "drop",
    ) -> dict[str, pd.DataFrame]:
        """Bounded reads of several tables from one snapshot, with no orphan child rows.

        ``metadata`` (default: the connector's) gives the foreign keys: tables are pinned
        children first, and child rows whose key has no parent in the snapshot are dropped
        and logged (``orphans="keep"`` keeps them, ``"error"`` raises ``ConnectorError``).
        """
        from synthohive_spark.snapshot import drop_orphans
        from synthohive_spark.stats import add_children_stats
        from synthohive_spark.subset import key_safe_subset

        meta = metadata if metadata is not None else self._metadata
        names = list(tables) if tables is not None else self._tables(meta)
        if not names:
            raise ConnectorError(
                f"no tables in {self.url}"
                + (": each table is a folder of this format here" if self.format else ""),
                fix="point at a folder of one sub-folder per table (as Spark writes them), or "
                "read a folder of <table>.csv/.parquet files with the core's file connector "
                "(the folder path itself)",
            )
        snap = self.snapshot(names, meta)
        frames = drop_orphans(snap.frames, meta, orphans)
        related = meta is not None and bool(meta.relations) and set(names) >= set(meta.tables)
        counts = {t: frames[t].count() for t in names} if related else {}
        if related and max(counts.values(), default=0) > self.max_rows:
            # sampling each table on its own would cut children from their parents: keep
            # whole parent subtrees instead, a share sized so the largest table fits
            assert meta is not None
            share = min(1.0, 0.8 * self.max_rows / max(counts.values()))
            log.warning("spark.read.subset", fraction=round(share, 6), largest=max(counts.values()))
            full = {t: frames[t] for t in names}
            strata = {t: c for t, c in self.stratify.items() if t in names}
            sub = key_safe_subset(
                self, meta, fraction=share, seed=self.seed, frames=full, stratify=strata
            )
            out = {t: self._to_pandas(t, sub[t], None, counts[t], full[t]) for t in names}
        else:
            out = {t: self._to_pandas(t, frames[t], None, counts.get(t)) for t in names}
        if self.source_stats and meta is not None:
            add_children_stats(out, frames, meta)
        return out

    def read_subset(
        self,
        metadata: Metadata,
        *,
        roots: dict[str, int] | None = None,
        fraction: float | None = None,
        orphans: OrphanPolicy = "drop",
    ) -> dict[str, pd.DataFrame]:
        """A key-safe sample of a schema (see ``synthohive_spark.subset``), from one snapshot."""
        from synthohive_spark.snapshot import drop_orphans
        from synthohive_spark.stats import add_children_stats
        from synthohive_spark.subset import key_safe_subset

        full = drop_orphans(self.snapshot(metadata.tables, metadata).frames, metadata, orphans)
        frames = key_safe_subset(
            self, metadata, roots=roots, fraction=fraction, seed=self.seed, frames=full
        )
        out = {
            t: self._to_pandas(t, sdf, None, full[t].count(), full[t]) for t, sdf in frames.items()
        }
        if self.source_stats:
            add_children_stats(out, full, metadata)
        return out

    # --- writing -------------------------------------------------------------------------------
    def begin_write(
        self, metadata: Metadata | None = None, mode: WriteMode = "error"
    ) -> WriteSession:
        check_mode(mode)
        return SparkWriteSession(self, mode)

    def write_spark(self, table: str, sdf: SparkDataFrame, mode: WriteMode = "error") -> None:
        """Write a Spark DataFrame as ``table`` atomically (staged, then swapped in)."""
        session = SparkWriteSession(self, mode)
        try:
            session.append_spark(table, sdf)
            session.commit()
        except BaseException:
            session.abort()
            raise


class SparkWriteSession(WriteSession):
    """Stages every table, then publishes them all on ``commit``."""

    def __init__(self, connector: SparkConnector, mode: WriteMode) -> None:
        self.c = connector
        self.mode = mode
        self.token = uuid.uuid4().hex[:10]
        self.staged: dict[str, Any] = {}  # table -> stage path or stage table name
        self.done = False

    def _stage_name(self, table: str) -> str:
        return f"{STAGE_PREFIX}{self.token}_{len(self.staged)}"

    def append(self, table: str, frame: pd.DataFrame) -> None:
        self.append_spark(table, self.c.spark.createDataFrame(arrow_friendly(frame)))

    def append_spark(self, table: str, sdf: SparkDataFrame) -> None:
        """Stage a Spark DataFrame's rows for ``table``."""
        c = self.c
        c._check_table(table)
        if table not in self.staged:
            if self.mode == "error" and c.exists(table):
                raise ConnectorError(
                    "table already exists", table=table, fix="use mode='overwrite' or 'append'"
                )
            if self.mode == "append" and c.exists(table):
                have = c.spark_table(table).columns
                if list(have) != list(sdf.columns):
                    raise ConnectorError(
                        f"columns {list(sdf.columns)} do not match the table's {list(have)}",
                        table=table,
                        fix="append rows with the table's columns, in order",
                    )
            if c.format:
                self.staged[table] = (
                    f"{str(c.path).rstrip('/')}/.{STAGE_PREFIX}{self.token}_{table}"
                )
            else:
                self.staged[table] = self._stage_name(table)
        target = self.staged[table]
        fmt = "parquet" if c.format in (None, "delta") else c.format
        writer = sdf.write.mode("append").format(fmt)
        if fmt == "csv":
            writer = writer.option("header", True)
        if c.format:
            writer.save(target)
        else:
            writer.saveAsTable(qualified(c.database, target))

    def _stage_frame(self, table: str) -> SparkDataFrame:
        c = self.c
        target = self.staged[table]
        if c.format == "csv":
            return c.spark.read.options(header=True, inferSchema=True).csv(target)
        if c.format:
            return c.spark.read.parquet(target)
        return c.spark.table(qualified(c.database, target))

    def commit(self) -> None:
        if self.done:
            return
        c = self.c
        try:
            for table in self.staged:
                if c.format == "delta":
                    mode = "append" if self.mode == "append" else "overwrite"
                    self._stage_frame(table).write.format("delta").mode(mode).option(
                        "overwriteSchema", mode == "overwrite"
                    ).save(c._table_path(table))
                elif c.format:
                    self._publish_path(table)
                else:
                    self._publish_table(table)
        finally:
            self.abort()
        log.info("spark.write.commit", tables=list(self.staged), mode=self.mode)

    def _publish_path(self, table: str) -> None:
        c = self.c
        target, stage = c._table_path(table), self.staged[table]
        if self.mode == "append" and c._path_exists(target):
            fs, hstage = c._fs(stage)
            for status in fs.listStatus(hstage):
                name = str(status.getPath().getName())
                if name.startswith(("part-", "part_")):
                    c._rename(f"{stage}/{name}", f"{target}/{self.token}-{name}")
            return
        old = f"{str(c.path).rstrip('/')}/.{STAGE_PREFIX}{self.token}_old_{table}"
        had_old = c._path_exists(target)
        if had_old:
            c._rename(target, old)
        try:
            c._rename(stage, target)
        except ConnectorError:
            if had_old:
                c._rename(old, target)
            raise
        if had_old:
            c._delete(old)

    def _publish_table(self, table: str) -> None:
        c = self.c
        stage = qualified(c.database, self.staged[table])
        target = qualified(c.database, table)
        if self.mode == "append" and c.exists(table):
            c.spark.sql(
                f"INSERT INTO {target} SELECT * FROM {stage}"
            )  # identifiers are backtick-quoted
            return
        c.spark.sql(f"DROP TABLE IF EXISTS {target}")
        c.spark.sql(f"ALTER TABLE {stage} RENAME TO {target}")
        self.staged[table] = None  # renamed: nothing left to clean up

    def abort(self) -> None:
        if self.done:
            return
        self.done = True
        c = self.c
        for stage in self.staged.values():
            if stage is None:
                continue
            try:
                if c.format:
                    c._delete(stage)
                else:
                    c.spark.sql(f"DROP TABLE IF EXISTS {qualified(c.database, stage)}")
            except Exception as exc:  # cleanup must try every stage, whatever failed
                log.warning("spark.write.cleanup_failed", stage=str(stage), error=str(exc))
