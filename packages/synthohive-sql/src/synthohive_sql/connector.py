"""``SQLConnector``: any SQLAlchemy 2 database as a SynthoHive source and sink.

This module imports no SQLAlchemy at import time (``synthohive plugins`` lists the class
cheaply); the engine, reflection, reads and writes live in private modules imported on use.

Options (keyword arguments or URL query): ``schema`` (database schema; MySQL/MariaDB:
database), ``constraints`` (create PK/FK constraints on write, default ``True``),
``chunksize`` (rows per insert batch), ``insert_method`` (``"executemany"`` or ``"multi"``
for non-PostgreSQL sinks), ``engine_options`` (passed to ``create_engine``).
"""

from __future__ import annotations

import collections
import contextlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from synthohive.connectors.base import Connector, WriteMode, WriteSession, check_mode
from synthohive.errors import ConnectorError
from synthohive.log import get_logger

if TYPE_CHECKING:
    from synthohive.metadata.schema import Metadata

log = get_logger(__name__)


class SQLConnector(Connector):
    """Read, reflect and write tables of a SQL database addressed by a SQLAlchemy URL."""

    name: ClassVar[str] = "sql"
    schemes: ClassVar[tuple[str, ...]] = (
        "postgresql",
        "mysql",
        "mariadb",
        "sqlite",
        "snowflake",
        "bigquery",
    )

    def __init__(self, url: str, **options: Any) -> None:
        super().__init__(url, **options)
        self._engine: Any = None
        self._sa_url: Any = None
        self._schema: str | None = options.get("schema")
        self._tables: dict[str, Any] = {}

    # --- plumbing ----------------------------------------------------------------------------
    @property
    def safe_url(self) -> str:
        """The URL with the password masked."""
        from synthohive_sql._engine import mask_url_text

        return mask_url_text(self.url)

    @property
    def schema(self) -> str | None:
        """The database schema read and written (``None``: the connection's default)."""
        self._ensure_url()
        return self._schema

    def _ensure_url(self) -> Any:
        if self._sa_url is None:
            from synthohive_sql._engine import split_url

            self._sa_url, self._schema = split_url(self.url, self.options.get("schema"))
        return self._sa_url

    @property
    def engine(self) -> Any:
        """The SQLAlchemy engine (created and checked on first use)."""
        if self._engine is None:
            from synthohive_sql._engine import connector_error, create_engine

            url = self._ensure_url()
            engine = create_engine(url, self.options.get("engine_options"))
            try:
                with engine.connect() as conn:
                    conn.exec_driver_sql("SELECT 1")
            except Exception as exc:
                engine.dispose()
                raise connector_error(exc, url, "connect") from None
            self._engine = engine
            log.debug("sql.connected", url=self.safe_url, schema=self._schema)
        return self._engine

    @property
    def dialect(self) -> Any:
        """The SQLAlchemy dialect in use."""
        return self.engine.dialect

    @property
    def backend(self) -> str:
        """``postgresql``, ``mysql`` (also MariaDB), ``sqlite``, ..."""
        return str(self._ensure_url().get_backend_name()).replace("mariadb", "mysql")

    def _error(
        self,
        exc: BaseException,
        action: str,
        *,
        table: str | None = None,
        renames: dict[str, str] | None = None,
    ) -> ConnectorError:
        from synthohive_sql._engine import connector_error

        return connector_error(exc, self._ensure_url(), action, table=table, renames=renames)

    def close(self) -> None:
        """Dispose of the engine's connections."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        self._tables.clear()

    # --- catalogue -----------------------------------------------------------------------------
    def schemas(self) -> list[str]:
        """Schema names of the database (MySQL/MariaDB: databases)."""
        import sqlalchemy as sa

        try:
            return list(sa.inspect(self.engine).get_schema_names())
        except Exception as exc:
            raise self._error(exc, "listing schemas") from None

    def list_tables(self) -> list[str]:
        """Table names in the selected schema (``ConnectorError`` listing schemas if missing)."""
        import sqlalchemy as sa

        schema = self.schema
        try:
            insp = sa.inspect(self.engine)
            if schema is not None and schema not in insp.get_schema_names():
                raise ConnectorError(
                    f"schema {schema!r} does not exist on {self.safe_url}; "
                    f"schemas that exist: {sorted(insp.get_schema_names())}",
                    fix="create it or fix the schema option",
                )
            names = insp.get_table_names(schema=schema)
        except ConnectorError:
            raise
        except Exception as exc:
            raise self._error(exc, "listing tables") from None
        from synthohive_sql._engine import OLD_PREFIX, STAGE_PREFIX

        return [n for n in names if not n.startswith((STAGE_PREFIX, OLD_PREFIX))]

    def has_table(self, table: str) -> bool:
        """Whether ``table`` exists in the selected schema."""
        import sqlalchemy as sa

        try:
            return bool(sa.inspect(self.engine).has_table(table, schema=self.schema))
        except Exception as exc:
            raise self._error(exc, "checking table") from None

    def table(self, name: str) -> Any:
        """The reflected ``sqlalchemy.Table`` ``name``; ``TableNotFoundError`` lists matches.

        A dotted name is one table name; the schema comes only from the ``schema`` option.
        """
        if name in self._tables:
            return self._tables[name]
        import sqlalchemy as sa

        from synthohive_sql._engine import reflect_table, table_not_found

        existing = self.list_tables()
        if name not in existing:
            raise table_not_found(name, self.schema, existing)
        try:
            with self.engine.connect() as conn:
                tbl = reflect_table(conn, name, self.schema, sa.MetaData())
        except Exception as exc:
            raise self._error(exc, f"reflecting table {name!r}") from None
        self._tables[name] = tbl
        return tbl

    def forget(self, name: str | None = None) -> None:
        """Drop cached reflections (after the schema changed)."""
        if name is None:
            self._tables.clear()
        else:
            self._tables.pop(name, None)

    # --- reads -----------------------------------------------------------------------------------
    def _select(
        self, table: str, columns: list[str] | None, where: dict[str, Any] | None, limit: int | None
    ) -> tuple[Any, list[tuple[str, str, int | None, bool]]]:
        import sqlalchemy as sa

        from synthohive_sql._types import read_kind

        tbl = self.table(table)
        names = list(tbl.c.keys()) if columns is None else list(columns)
        missing = [c for c in names if c not in tbl.c]
        if missing:
            raise ConnectorError(
                f"no such column(s) {missing}; columns: {list(tbl.c.keys())}", table=table
            )
        cols = [tbl.c[c] for c in names]
        stmt = sa.select(*cols)
        for i, (key, value) in enumerate((where or {}).items()):
            if key not in tbl.c:
                raise ConnectorError(
                    f"filter on unknown column; columns: {list(tbl.c.keys())}",
                    table=table,
                    column=key,
                )
            if isinstance(value, list | tuple | set | frozenset):
                stmt = stmt.where(
                    tbl.c[key].in_(sa.bindparam(f"f{i}", list(value), expanding=True))
                )
            elif value is None:
                stmt = stmt.where(tbl.c[key].is_(None))
            else:
                stmt = stmt.where(tbl.c[key] == sa.bindparam(f"f{i}", value, type_=tbl.c[key].type))
        if limit is not None:
            stmt = stmt.limit(int(limit))
        plans = []
        for c in cols:
            kind, scale = read_kind(c.type)
            plans.append((c.name, kind, scale, bool(c.nullable)))
        return stmt, plans

    def _stream(
        self, stmt: Any, plans: list[Any], chunksize: int, conn: Any = None
    ) -> Iterator[pd.DataFrame]:
        from synthohive_sql._types import typed_frame

        try:
            with contextlib.ExitStack() as stack:
                if conn is None:
                    conn = stack.enter_context(self.engine.connect())
                result = conn.execution_options(stream_results=True, yield_per=chunksize).execute(
                    stmt
                )
                empty = True
                for part in self._partitions(result, chunksize):
                    empty = False
                    yield typed_frame(part, plans)
                if empty:
                    yield typed_frame([], plans)
        except ConnectorError:
            raise
        except Exception as exc:
            raise self._error(exc, "read") from None

    def read_all(self, tables: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
        """Read several tables (default: all) from ONE snapshot: a single REPEATABLE READ
        transaction (PostgreSQL, MySQL/MariaDB) or read transaction (SQLite), so rows written
        meanwhile by others cannot leave children without parents."""
        names = list(tables) if tables is not None else self.list_tables()
        plans = {t: self._select(t, None, None, None) for t in names}
        options = {} if self.backend == "sqlite" else {"isolation_level": "REPEATABLE READ"}
        out: dict[str, pd.DataFrame] = {}
        try:
            with self.engine.connect().execution_options(**options) as conn, conn.begin():
                for t in names:
                    stmt, plan = plans[t]
                    parts = list(self._stream(stmt, plan, 100_000, conn))
                    out[t] = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
        except ConnectorError:
            raise
        except Exception as exc:
            raise self._error(exc, "read") from None
        return out

    def _partitions(self, result: Any, chunksize: int) -> Iterator[list[Any]]:
        """Row batches. On PostgreSQL (psycopg) the server-side cursor's tuples are taken as
        they are (typed_frame converts them), skipping SQLAlchemy's per-row Row objects."""
        cursor = getattr(result, "cursor", None)
        # SQLAlchemy pre-buffers the first row(s) of a streamed result; take them over
        buffer = getattr(getattr(result, "cursor_strategy", None), "_rowbuffer", None)
        if (
            self.backend == "postgresql"
            and cursor is not None
            and hasattr(cursor, "fetchmany")
            and isinstance(buffer, collections.deque)
        ):
            head = list(buffer)
            buffer.clear()
            try:
                while True:
                    rows = cursor.fetchmany(chunksize - len(head))
                    if head:
                        rows = head + list(rows)
                        head = []
                    if not rows:
                        return
                    yield rows
            finally:
                result.close()
        yield from result.partitions()

    def read(
        self,
        table: str,
        columns: list[str] | None = None,
        limit: int | None = None,
        *,
        where: dict[str, Any] | None = None,
    ) -> pd.DataFrame:
        """Read ``table`` into typed columns; ``where`` holds equality filters (bound values)."""
        stmt, plans = self._select(table, columns, where, limit)
        parts = list(self._stream(stmt, plans, 100_000))
        if len(parts) == 1:
            return parts[0]
        return pd.concat(parts, ignore_index=True)

    def iter_chunks(
        self, table: str, chunksize: int = 50_000, *, columns: list[str] | None = None
    ) -> Iterator[pd.DataFrame]:
        """Stream ``table`` in typed chunks through a server-side cursor."""
        stmt, plans = self._select(table, columns, None, None)
        yield from self._stream(stmt, plans, chunksize)

    def query_frames(self, stmt: Any, chunksize: int = 100_000) -> Iterator[pd.DataFrame]:
        """Stream any SQLAlchemy Core ``select`` as typed frames."""
        from synthohive_sql._types import read_kind

        plans = []
        for c in stmt.selected_columns:
            kind, scale = read_kind(c.type)
            plans.append((c.name, kind, scale, bool(getattr(c, "nullable", True))))
        yield from self._stream(stmt, plans, chunksize)

    # --- metadata ---------------------------------------------------------------------------------
    def metadata(
        self,
        include: list[str] | None = None,
        exclude: list[str] | None = None,
        *,
        refine: bool = True,
        sample_rows: int = 2_000,
    ) -> Metadata:
        """Reflect tables, types, nullability, unique constraints, PKs and FKs into Metadata."""
        from synthohive_sql._reflect import reflect_metadata

        return reflect_metadata(self, include, exclude, refine=refine, sample_rows=sample_rows)

    def read_subset(
        self,
        metadata: Metadata | None = None,
        roots: dict[str, int] | None = None,
        fraction: float | None = None,
        seed: int = 0,
    ) -> dict[str, pd.DataFrame]:
        """A key-safe sample: root rows plus their children, plus every parent they need."""
        from synthohive_sql._subset import read_subset

        meta = metadata if metadata is not None else self.metadata()
        return read_subset(self, meta, roots=roots, fraction=fraction, seed=seed)

    # --- writes -----------------------------------------------------------------------------------
    def begin_write(
        self,
        metadata: Metadata | None = None,
        mode: WriteMode = "error",
        *,
        constraints: bool | None = None,
    ) -> WriteSession:
        """Start an all-or-nothing write of one or more tables (see ``_write``); first drops
        staging tables that crashed writes left in the schema (:meth:`gc`)."""
        check_mode(mode)
        from synthohive_sql._write import open_session

        self._drop_stale_quietly()
        cons = self.options.get("constraints", True) if constraints is None else constraints
        return open_session(self, metadata, mode, constraints=bool(cons))

    def gc(self, *, dry_run: bool = False) -> list[str]:
        """Drop staging/old tables (``__shv_stage_*``, ``__shv_old_*``) left in the schema by
        crashed writes; returns their names (``dry_run``: only list them).

        Safe while other writes run: a table is dropped only when it is older than this call
        and no live writer owns it (PostgreSQL/SQLite: a live writer's stages are invisible
        inside its transaction; MySQL/MariaDB: its writer's named lock is free; others: older
        than a day). See ``synthohive_sql._engine``.
        """
        from synthohive_sql._engine import drop_stale_tables

        try:
            dropped = drop_stale_tables(self.engine, self.schema, dry_run=dry_run)
        except ConnectorError:
            raise
        except Exception as exc:
            raise self._error(exc, "dropping leftover staging tables") from None
        if dropped and not dry_run:
            log.info("sql.leftovers_dropped", tables=dropped, url=self.safe_url)
        return dropped

    def _drop_stale_quietly(self) -> None:
        """:meth:`gc` before a write; a failure (e.g. no DROP privilege) is logged, not raised."""
        try:
            self.gc()
        except ConnectorError as exc:
            log.warning("sql.leftovers_not_dropped", error=exc.bare_message, url=self.safe_url)

    def column_max(self, table: str, column: str) -> Any:
        """``MAX(column)`` of ``table`` computed by the database (``None`` when it has no rows);
        used to continue generated keys when appending."""
        import sqlalchemy as sa

        tbl = self.table(table)
        if column not in tbl.c:
            raise ConnectorError(
                f"no such column; columns: {list(tbl.c.keys())}", table=table, column=column
            )
        try:
            with self.engine.connect() as conn:
                return conn.execute(sa.select(sa.func.max(tbl.c[column]))).scalar()
        except Exception as exc:
            raise self._error(exc, "read", table=table) from None
