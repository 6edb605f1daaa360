"""All-or-nothing writes of one or more tables (imports SQLAlchemy).

Every new or replaced table is first built as a staging table ``__shv_stage_<token>_<i>``.

* PostgreSQL / SQLite (transactional DDL): one connection, one transaction for the whole
  session: stage tables are created and filled, appends go straight into their targets, and
  ``commit`` drops the replaced targets (children first) and renames the stages into place
  before the single COMMIT. Any failure rolls everything back.
* MySQL / MariaDB (DDL commits implicitly): stages are created and filled on an autocommit
  connection, appends run in one open transaction on a second connection, and ``commit``
  publishes every stage with one multi-table ``RENAME TABLE`` only after all are staged, then
  commits the appends and drops the old tables. Staging tables are dropped in ``finally``.

Bulk paths: PostgreSQL ``COPY ... FROM STDIN`` (psycopg 3, identifiers via
``psycopg.sql.Identifier``); elsewhere ``executemany`` batches, or multi-row ``VALUES`` with the
batch size reduced to the dialect's bind-parameter cap.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import mysql as my_types
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.ddl import ExecutableDDLElement

from synthohive.connectors.base import WriteMode, WriteSession
from synthohive.errors import ConnectorError, SynthoHiveError
from synthohive.log import get_logger
from synthohive_sql._bulk import insert_frame
from synthohive_sql._engine import OLD_PREFIX, STAGE_PREFIX, check_identifier, reflect_table
from synthohive_sql._types import sql_type_for

if TYPE_CHECKING:
    from synthohive.metadata.schema import Metadata
    from synthohive_sql.connector import SQLConnector

log = get_logger(__name__)


class RenameTable(ExecutableDDLElement):
    """``ALTER TABLE <table> RENAME TO <new>`` with dialect-quoted identifiers."""

    inherit_cache = False

    def __init__(self, table: sa.Table, new_name: str) -> None:
        self.table = table
        self.new_name = new_name


@compiles(RenameTable)
def _compile_rename(element: RenameTable, compiler: Any, **kw: Any) -> str:
    prep = compiler.preparer
    return (
        f"ALTER TABLE {prep.format_table(element.table)} RENAME TO {prep.quote(element.new_name)}"
    )


class SwapTables(ExecutableDDLElement):
    """MySQL/MariaDB ``RENAME TABLE a TO b, c TO d, ...`` (one atomic statement)."""

    inherit_cache = False

    def __init__(self, pairs: list[tuple[sa.Table, sa.Table]]) -> None:
        self.pairs = pairs


@compiles(SwapTables)
def _compile_swap(element: SwapTables, compiler: Any, **kw: Any) -> str:
    prep = compiler.preparer
    parts = [f"{prep.format_table(a)} TO {prep.format_table(b)}" for a, b in element.pairs]
    return "RENAME TABLE " + ", ".join(parts)


def _stub(name: str, schema: str | None) -> sa.Table:
    return sa.Table(name, sa.MetaData(), schema=schema)


def _datetime_type(tz: bool) -> Any:
    t = sa.DateTime(timezone=tz).with_variant(my_types.DATETIME(fsp=6), "mysql", "mariadb")
    if tz:  # BigQuery's zoned type is TIMESTAMP (its DATETIME has no zone)
        t = t.with_variant(sa.TIMESTAMP(timezone=True), "bigquery")
    return t


def build_table(
    table: str,
    frame: pd.DataFrame,
    metadata: Metadata | None,
    name: str,
    sa_meta: sa.MetaData,
    *,
    schema: str | None,
    dialect: Any,
    constraints: bool,
    parent: Callable[[str], sa.Table],
) -> sa.Table:
    """The ``sa.Table`` ``name`` to create for ``table``: column types from the metadata (or the
    frame's dtypes), PK and FK constraints (FKs point at the table ``parent(name)`` returns)."""
    tmeta = metadata.tables.get(table) if metadata is not None else None
    relations = metadata.parents(table) if metadata is not None else []
    pk = list(tmeta.primary_key or []) if tmeta is not None else []
    keys = set(pk)
    for rel in relations:
        keys.update(rel.child_columns)
    args: list[Any] = []
    for col, dtype in frame.dtypes.items():
        col = str(col)
        check_identifier(col, dialect, table=table)
        cmeta = tmeta.columns.get(col) if tmeta is not None else None
        t = sql_type_for(cmeta, dtype, key=col in keys)
        if isinstance(t, sa.DateTime):
            t = _datetime_type(bool(t.timezone))
        nullable = col not in pk and (cmeta.nullable if cmeta is not None else True)
        args.append(sa.Column(str(col), t, nullable=nullable, autoincrement=False))
    if constraints and pk and all(c in frame.columns for c in pk):
        args.append(sa.PrimaryKeyConstraint(*pk))
    if constraints:
        for rel in relations:
            if not all(c in frame.columns for c in rel.child_columns):
                continue
            ptable = parent(rel.parent)
            args.append(
                sa.ForeignKeyConstraint(
                    rel.child_columns, [ptable.c[c] for c in rel.parent_columns]
                )
            )
    return sa.Table(name, sa_meta, *args, schema=schema)


class _Session(WriteSession):
    """Shared bookkeeping: which tables are staged, appended, and how to build them."""

    def __init__(
        self, conn: SQLConnector, metadata: Metadata | None, mode: WriteMode, constraints: bool
    ) -> None:
        self.conn = conn
        self.schema = conn.schema
        self.metadata = metadata
        self.mode = mode
        self.constraints = constraints
        self.token = secrets.token_hex(4)
        self.sa_meta = sa.MetaData()
        self.staged: dict[str, sa.Table] = {}  # target -> stage table, in staging order
        self.replaced: set[str] = set()  # targets that existed and will be replaced
        self.appending: dict[str, sa.Table] = {}  # target -> existing table (mode append)
        self.rows: dict[str, int] = {}
        self.done = False
        self.dialect = conn.dialect

    # hooks for subclasses
    def _ddl_conn(self) -> sa.Connection:
        raise NotImplementedError

    def _append_conn(self) -> sa.Connection:
        raise NotImplementedError

    def _exists(self, table: str) -> bool:
        return bool(sa.inspect(self._ddl_conn()).has_table(table, schema=self.schema))

    # --- building ----------------------------------------------------------------------------
    def _build(self, table: str, frame: pd.DataFrame, stage_name: str) -> sa.Table:
        return build_table(
            table,
            frame,
            self.metadata,
            stage_name,
            self.sa_meta,
            schema=self.schema,
            dialect=self.dialect,
            constraints=self.constraints,
            parent=lambda p: self._parent_table(table, p),
        )

    def _parent_table(self, child: str, parent: str) -> sa.Table:
        if parent in self.staged:
            return self.staged[parent]
        if parent in self.appending:
            return self.appending[parent]
        if self._exists(parent):
            return self._reflect(parent)
        raise ConnectorError(
            f"parent table {parent!r} is neither written before this table nor present",
            table=child,
            fix="append parent tables before their children (FK order)",
        )

    def _reflect(self, name: str) -> sa.Table:
        key = f"{self.schema}.{name}" if self.schema else name
        if key in self.sa_meta.tables:
            return self.sa_meta.tables[key]
        return reflect_table(self._ddl_conn(), name, self.schema, self.sa_meta)

    def _check_columns(self, table: str, tbl: sa.Table, frame: pd.DataFrame) -> pd.DataFrame:
        have = [c.name for c in tbl.columns]
        extra = [c for c in frame.columns if c not in have]
        missing = [c for c in have if c not in frame.columns]
        if extra or missing:
            raise ConnectorError(
                f"columns do not match the target: extra {extra}, missing {missing}",
                table=table,
                fix="select the table's columns (in any order) before writing",
            )
        return frame[have]

    # --- protocol ----------------------------------------------------------------------------
    def append(self, table: str, frame: pd.DataFrame) -> None:
        """Stage ``frame``'s rows for ``table`` (parents before children)."""
        if self.done:
            raise ConnectorError("write session is already finished", table=table)
        try:
            self._append(table, frame)
        except BaseException as exc:
            self.abort()
            if isinstance(exc, SynthoHiveError):
                raise
            if isinstance(exc, Exception):
                raise self.conn._error(exc, "write", table=table, renames=self._renames()) from None
            raise

    def _renames(self) -> dict[str, str]:
        return {stage.name: target for target, stage in self.staged.items()}

    def _append(self, table: str, frame: pd.DataFrame) -> None:
        check_identifier(table, self.dialect, table=table)
        if len(frame.columns) == 0:
            raise ConnectorError("frame has no columns", table=table)
        if frame.columns.duplicated().any():
            raise ConnectorError("frame has duplicate column names", table=table)
        if table not in self.staged and table not in self.appending:
            exists = self._exists(table)
            if exists and self.mode == "error":
                raise ConnectorError(
                    f"table already exists in {self.conn.safe_url}",
                    table=table,
                    fix="pass mode='overwrite' or mode='append'",
                )
            if exists and self.mode == "append":
                self.appending[table] = self._reflect(table)
            else:
                stage = self._build(table, frame, f"{STAGE_PREFIX}{self.token}_{len(self.staged)}")
                stage.create(self._ddl_conn())
                self.staged[table] = stage
                if exists:
                    self.replaced.add(table)
        if table in self.staged:
            tbl, conn = self.staged[table], self._ddl_conn()
        else:
            tbl, conn = self.appending[table], self._append_conn()
        frame = self._check_columns(table, tbl, frame)
        insert_frame(conn, tbl, frame, self.conn.options)
        self.rows[table] = self.rows.get(table, 0) + len(frame)

    def commit(self) -> None:
        """Publish every staged table and every append at once."""
        if self.done:
            return
        try:
            self._publish()
        except BaseException as exc:
            self.abort()
            if isinstance(exc, SynthoHiveError):
                raise
            if isinstance(exc, Exception):
                raise self.conn._error(exc, "publishing tables", renames=self._renames()) from None
            raise
        self.done = True
        self._close()
        for t in [*self.staged, *self.appending]:
            self.conn.forget(t)
        log.info("sql.written", tables=self.rows, mode=self.mode, url=self.conn.safe_url)

    def abort(self) -> None:
        """Roll back; the target schema is left as it was."""
        if self.done:
            return
        self.done = True
        try:
            self._rollback()
        except Exception as exc:  # the connection may be gone; the server rolls back then
            log.warning("sql.rollback_failed", error=self.conn._error(exc, "rollback").bare_message)
        finally:
            try:
                self._close()
            except Exception as exc:
                log.warning(
                    "sql.cleanup_failed", error=self.conn._error(exc, "cleanup").bare_message
                )

    def _publish(self) -> None:
        raise NotImplementedError

    def _rollback(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError


class TransactionalSession(_Session):
    """PostgreSQL / SQLite: everything in one transaction (DDL included)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._conn = self.conn.engine.connect()
        self._txn = self._conn.begin()

    def _ddl_conn(self) -> sa.Connection:
        return self._conn

    def _append_conn(self) -> sa.Connection:
        return self._conn

    def _publish(self) -> None:
        if self.replaced:
            _refuse_outside_references(self.conn, self._conn, self.replaced, set(self.staged))
        for target in reversed(list(self.staged)):
            if target in self.replaced:
                self._conn.execute(sa.schema.DropTable(_stub(target, self.schema)))
        for target, stage in self.staged.items():
            self._conn.execute(RenameTable(stage, target))
        self._txn.commit()

    def _rollback(self) -> None:
        if self._txn.is_active:
            self._txn.rollback()

    def _close(self) -> None:
        self._conn.close()


class SwapSession(_Session):
    """MySQL / MariaDB: stage on an autocommit connection, publish by one RENAME TABLE."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ddl = self.conn.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self._app: sa.Connection | None = None
        self._app_txn: Any = None

    def _ddl_conn(self) -> sa.Connection:
        return self._ddl

    def _append_conn(self) -> sa.Connection:
        if self._app is None:
            self._app = self.conn.engine.connect()
            self._app_txn = self._app.begin()
        return self._app

    def _publish(self) -> None:
        if self.replaced:
            _refuse_outside_references(self.conn, self._ddl, self.replaced, set(self.staged))
        pairs: list[tuple[sa.Table, sa.Table]] = []
        olds: list[sa.Table] = []
        for i, target in enumerate(self.staged):
            if target in self.replaced:
                old = _stub(f"{OLD_PREFIX}{self.token}_{i}", self.schema)
                pairs.append((_stub(target, self.schema), old))
                olds.append(old)
        for target, stage in self.staged.items():
            pairs.append((stage, _stub(target, self.schema)))
        if pairs:
            self._ddl.execute(SwapTables(pairs))
        if self._app_txn is not None:
            self._app_txn.commit()
        for old in reversed(olds):
            self._ddl.execute(sa.schema.DropTable(old, if_exists=True))
        self.staged.clear()

    def _rollback(self) -> None:
        if self._app_txn is not None and self._app_txn.is_active:
            self._app_txn.rollback()

    def _close(self) -> None:
        try:
            for stage in reversed(list(self.staged.values())):
                self._ddl.execute(sa.schema.DropTable(stage, if_exists=True))
        finally:
            self._ddl.close()
            if self._app is not None:
                self._app.close()


def _refuse_outside_references(
    conn: SQLConnector, db: sa.Connection, replaced: set[str], written: set[str]
) -> None:
    insp = sa.inspect(db)
    for other in insp.get_table_names(schema=conn.schema):
        if other in written or other.startswith((STAGE_PREFIX, OLD_PREFIX)):
            continue
        for fk in insp.get_foreign_keys(other, schema=conn.schema):
            if fk["referred_table"] in replaced:
                raise ConnectorError(
                    f"cannot replace it: table {other!r} (not part of this write) has a "
                    "foreign key to it",
                    table=fk["referred_table"],
                    fix=f"write {other!r} in the same session, or use mode='append'",
                )


def open_session(
    conn: SQLConnector, metadata: Metadata | None, mode: WriteMode, *, constraints: bool
) -> WriteSession:
    """The write session for ``conn``'s backend."""
    backend = conn.backend
    if backend == "mysql":
        return SwapSession(conn, metadata, mode, constraints)
    if backend not in ("postgresql", "sqlite"):
        log.warning("sql.write_not_transactional_ddl", backend=backend)
    return TransactionalSession(conn, metadata, mode, constraints)


def drop_leftovers(conn: SQLConnector) -> list[str]:
    """Drop ``__shv_stage_*`` / ``__shv_old_*`` tables left by crashed writes."""
    with conn.engine.connect() as db:
        names = [
            n
            for n in sa.inspect(db).get_table_names(schema=conn.schema)
            if n.startswith((STAGE_PREFIX, OLD_PREFIX))
        ]
        if conn.backend == "mysql":
            db.exec_driver_sql("SET FOREIGN_KEY_CHECKS=0")
        for n in names:
            db.execute(sa.schema.DropTable(_stub(n, conn.schema), if_exists=True))
        if conn.backend == "mysql":
            db.exec_driver_sql("SET FOREIGN_KEY_CHECKS=1")
        db.commit()
    return names
