"""All-or-nothing writes of one or more tables (imports SQLAlchemy).

Every new or replaced table is first built as a staging table ``__shv_stage_<token>_<i>``
(the token holds the session's start time; see ``_engine`` for how leftovers of crashed writes
are told from live stages and dropped).

* PostgreSQL / SQLite (transactional DDL): one connection, one transaction for the whole
  session: stage tables are created and filled, appends go straight into their targets, and
  ``commit`` drops the replaced targets (children first) and renames the stages into place
  before the single COMMIT. Any failure rolls everything back.
* MySQL / MariaDB (DDL commits implicitly): stages are created and filled on an autocommit
  connection, appends run in one open transaction on a second connection, and ``commit``
  publishes every stage with one multi-table ``RENAME TABLE`` only after all are staged, then
  commits the appends and drops the old tables. Staging tables are dropped in ``finally``.

Constraints get names without the staging prefix: PostgreSQL/SQLite ``<table>_pkey`` and
``<table>_<columns>_fkey`` (a PostgreSQL PK is an index, whose name is schema-wide, so it is
created under the stage's name and renamed at publish); MySQL/MariaDB keep ``PRIMARY`` and
InnoDB's ``<table>_ibfk_<n>``, which ``RENAME TABLE`` carries over to the new name.

Self-references (``employee.reports_to -> employee.employee_id``) may point at rows of a later
chunk. Where the dialect has ``ALTER TABLE ... ADD CONSTRAINT`` (PostgreSQL, MySQL/MariaDB) the
stage is created without them and ``commit`` adds them after the load, before publishing, which
validates every row; SQLite defers all FK checks of the session to COMMIT
(``PRAGMA defer_foreign_keys``). Either way ``commit`` first counts dangling references, so a
violation is a ``ConnectorError`` naming the table and column. Appends into an existing
self-referencing table keep its constraint live (no DDL on a published table) and insert each
chunk parents-first, so only references into a later chunk are refused (SQLite: deferred).

Bulk paths: PostgreSQL ``COPY ... FROM STDIN`` (psycopg 3, identifiers via
``psycopg.sql.Identifier``); elsewhere ``executemany`` batches, or multi-row ``VALUES`` with the
batch size reduced to the dialect's bind-parameter cap.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import mysql as my_types
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.ddl import ExecutableDDLElement

from synthohive.connectors.base import WriteMode, WriteSession
from synthohive.errors import ConnectorError, SynthoHiveError
from synthohive.log import get_logger
from synthohive_sql._bulk import insert_frame
from synthohive_sql._engine import (
    OLD_PREFIX,
    STAGE_PREFIX,
    check_identifier,
    drop_stale_tables,
    hold_writer_lock,
    new_token,
    reflect_table,
    release_writer_lock,
)
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


class RenameConstraint(ExecutableDDLElement):
    """PostgreSQL ``ALTER TABLE <table> RENAME CONSTRAINT <old> TO <new>`` (quoted)."""

    inherit_cache = False

    def __init__(self, table: sa.Table, old: str, new: str) -> None:
        self.table = table
        self.old = old
        self.new = new


@compiles(RenameConstraint)
def _compile_rename_constraint(element: RenameConstraint, compiler: Any, **kw: Any) -> str:
    prep = compiler.preparer
    return (
        f"ALTER TABLE {prep.format_table(element.table)} "
        f"RENAME CONSTRAINT {prep.quote(element.old)} TO {prep.quote(element.new)}"
    )


def constraint_name(table: str, suffix: str, dialect: Any, columns: Sequence[str] = ()) -> str:
    """``<table>[_<columns>]_<suffix>``, shortened with a hash to the dialect's name limit."""
    name = "_".join([table, *columns, suffix])
    limit = getattr(dialect, "max_identifier_length", None) or 0
    raw = name.encode("utf-8")
    if not limit or len(raw) <= limit:
        return name
    tail = f"_{hashlib.sha256(raw).hexdigest()[:8]}_{suffix}"
    return raw[: max(0, limit - len(tail))].decode("utf-8", "ignore") + tail


def _pk_name(table: str, name: str, dialect: Any) -> str | None:
    if dialect.name == "postgresql":  # an index: schema-wide name, renamed at publish
        return constraint_name(name, "pkey", dialect)
    if dialect.name == "sqlite":
        return constraint_name(table, "pkey", dialect)
    return None  # MySQL/MariaDB: always PRIMARY; others: the dialect's default


def _fk_name(table: str, columns: Sequence[str], dialect: Any) -> str | None:
    if dialect.name in ("postgresql", "sqlite"):  # unique per table, not per schema
        return constraint_name(table, "fkey", dialect, columns)
    return None  # MySQL/MariaDB: InnoDB's <table>_ibfk_<n> follows RENAME TABLE


def self_references(tbl: sa.Table) -> list[sa.ForeignKeyConstraint]:
    """The foreign keys of ``tbl`` that reference ``tbl`` itself."""
    return [fk for fk in tbl.foreign_key_constraints if fk.referred_table is tbl]


def _fk_pairs(fk: sa.ForeignKeyConstraint) -> list[tuple[str, str]]:
    return [(el.parent.name, el.column.name) for el in fk.elements]


def _key_positions(frame: pd.DataFrame, child: list[str], parent: list[str]) -> np.ndarray | None:
    """Row position of each row's parent within ``frame`` (-1: none here or null); ``None``
    when the parent key is not unique in the frame."""

    def index(cols: list[str]) -> pd.Index:
        if len(cols) == 1:
            return pd.Index(frame[cols[0]])
        return pd.MultiIndex.from_frame(frame[cols])

    keys = index(parent)
    if not keys.is_unique:
        return None
    pos = np.asarray(keys.get_indexer(index(child)), dtype=np.int64)
    pos[frame[child].isna().any(axis=1).to_numpy()] = -1
    return pos


def parents_first(frame: pd.DataFrame, refs: list[tuple[list[str], list[str]]]) -> pd.DataFrame:
    """``frame`` reordered so that a row comes after the rows of ``frame`` it references through
    the self-references ``refs`` (child columns, parent columns); unchanged when already so, or
    when the references form a cycle (only a deferred check can accept those)."""
    n = len(frame)
    if n < 2 or not refs:
        return frame
    here = np.arange(n)
    edges: list[np.ndarray] = []
    for child, parent in refs:
        pos = _key_positions(frame, child, parent)
        if pos is None:
            return frame
        edges.append(pos)
    if all(bool((pos < here).all()) for pos in edges):
        return frame
    children: list[list[int]] = [[] for _ in range(n)]
    indeg = np.zeros(n, dtype=np.int64)
    for pos in edges:
        rows = np.flatnonzero((pos >= 0) & (pos != here))
        for r, p in zip(rows.tolist(), pos[rows].tolist()):
            children[p].append(r)
        np.add.at(indeg, rows, 1)
    level = np.zeros(n, dtype=np.int64)
    todo = deque(np.flatnonzero(indeg == 0).tolist())
    left = indeg.tolist()
    seen = 0
    while todo:
        u = todo.popleft()
        seen += 1
        for c in children[u]:
            level[c] = max(level[c], level[u] + 1)
            left[c] -= 1
            if left[c] == 0:
                todo.append(c)
    if seen < n:
        return frame
    return frame.iloc[np.argsort(level, kind="stable")]


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
    frame's dtypes), PK and FK constraints (FKs point at the table ``parent(name)`` returns;
    a self-reference points at the new table itself)."""
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
        args.append(sa.PrimaryKeyConstraint(*pk, name=_pk_name(table, name, dialect)))
    tbl = sa.Table(name, sa_meta, *args, schema=schema)
    if constraints:
        for rel in relations:
            if not all(c in frame.columns for c in rel.child_columns):
                continue
            ptable = tbl if rel.parent == table else parent(rel.parent)
            tbl.append_constraint(
                sa.ForeignKeyConstraint(
                    rel.child_columns,
                    [ptable.c[c] for c in rel.parent_columns],
                    name=_fk_name(table, rel.child_columns, dialect),
                )
            )
    return tbl


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
        self.token = new_token()
        self.sa_meta = sa.MetaData()
        self.staged: dict[str, sa.Table] = {}  # target -> stage table, in staging order
        self.replaced: set[str] = set()  # targets that existed and will be replaced
        self.appending: dict[str, sa.Table] = {}  # target -> existing table (mode append)
        self.rows: dict[str, int] = {}
        self.deferred: list[sa.ForeignKeyConstraint] = []  # self-references added at commit
        self.defer_all = False  # SQLite: every FK check of the session waits for COMMIT
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
        frame = _integer_keys(self.metadata, table, frame)
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
                later = self_references(stage) if self.dialect.supports_alter else []
                now = [fk for fk in stage.foreign_key_constraints if fk not in later]
                self._ddl_conn().execute(
                    sa.schema.CreateTable(stage, include_foreign_key_constraints=now)
                )
                self.deferred.extend(later)
                self.staged[table] = stage
                if exists:
                    self.replaced.add(table)
        if table in self.staged:
            tbl, conn = self.staged[table], self._ddl_conn()
        else:
            tbl, conn = self.appending[table], self._append_conn()
        frame = self._check_columns(table, tbl, frame)
        live = [fk for fk in self_references(tbl) if fk not in self.deferred]
        if live and self.dialect.name == "sqlite":
            self._defer_fk_checks()
        elif live:  # the constraint checks rows as they come: parents first within the chunk
            frame = parents_first(frame, [_cols(fk) for fk in live])
        insert_frame(conn, tbl, frame, self.conn.options)
        self.rows[table] = self.rows.get(table, 0) + len(frame)

    def _defer_fk_checks(self) -> None:
        """SQLite: check foreign keys at COMMIT instead of per statement (this session only)."""
        if not self.defer_all:
            self._append_conn().exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            self.defer_all = True

    def _target(self, tbl: sa.Table) -> str:
        """The public name of a staged or appended table."""
        return self._renames().get(tbl.name, tbl.name)

    def _finish_constraints(self, db: sa.Connection) -> None:
        """Refuse dangling references of deferred foreign keys (naming table and column), then
        add the self-references left out of the stages (which validates them once more)."""
        checks = list(self.deferred)
        if self.defer_all:
            for tbl in [*self.staged.values(), *self.appending.values()]:
                checks.extend(fk for fk in tbl.foreign_key_constraints if fk not in checks)
        for fk in checks:
            n = dangling_references(db, fk)
            if n:
                child, parent = _cols(fk)
                raise ConnectorError(
                    f"{n} row(s) reference keys that are not in "
                    f"{self._target(fk.referred_table)}({', '.join(parent)})",
                    table=self._target(fk.table),
                    column=", ".join(child),
                    fix="write every referenced row in the same session, or null the reference",
                )
        for fk in self.deferred:
            try:
                db.execute(sa.schema.AddConstraint(fk))
            except sa.exc.DBAPIError as exc:
                err = self.conn._error(exc, "adding a foreign key", renames=self._renames())
                raise ConnectorError(
                    err.bare_message, table=self._target(fk.table), column=", ".join(_cols(fk)[0])
                ) from None
            log.debug("sql.self_reference_added", table=self._target(fk.table))

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
        self._finish_constraints(self._conn)
        for target in reversed(list(self.staged)):
            if target in self.replaced:
                self._conn.execute(sa.schema.DropTable(_stub(target, self.schema)))
        for target, stage in self.staged.items():
            self._conn.execute(RenameTable(stage, target))
            pk = stage.primary_key.name if stage.primary_key.columns else None
            if self.dialect.name == "postgresql" and isinstance(pk, str):
                clean = constraint_name(target, "pkey", self.dialect)
                self._conn.execute(RenameConstraint(_stub(target, self.schema), pk, clean))
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
        hold_writer_lock(self._ddl, self.token)  # marks this session's stages as live
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
        self._finish_constraints(self._ddl)
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
            release_writer_lock(self._ddl, self.token)
        finally:
            self._ddl.close()
            if self._app is not None:
                self._app.close()


def _cols(fk: sa.ForeignKeyConstraint) -> tuple[list[str], list[str]]:
    """(child columns, parent columns) of ``fk``."""
    pairs = _fk_pairs(fk)
    return [c for c, _ in pairs], [p for _, p in pairs]


def dangling_references(db: sa.Connection, fk: sa.ForeignKeyConstraint) -> int:
    """How many rows of ``fk``'s table reference a key missing from its parent (rows with a
    null in the key reference nothing, as in SQL's MATCH SIMPLE)."""
    child = fk.table.alias("c")
    parent = fk.referred_table.alias("p")
    pairs = _fk_pairs(fk)
    found = sa.exists().where(*(parent.c[p] == child.c[c] for c, p in pairs))
    stmt = (
        sa.select(sa.func.count())
        .select_from(child)
        .where(*(child.c[c].is_not(None) for c, _ in pairs))
        .where(~found)
    )
    return int(db.execute(stmt).scalar_one())


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
    """Drop ``__shv_stage_*`` / ``__shv_old_*`` tables left by crashed writes (live ones stay)."""
    return drop_stale_tables(conn.engine, conn.schema)


def _integer_keys(metadata: Metadata | None, table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Key columns that hold whole numbers in a float dtype (a nullable integer key read from
    CSV) as ``Int64``, so they get the integer type of the key they reference."""
    if metadata is None or table not in metadata.tables:
        return frame
    tmeta = metadata.tables[table]
    keys = set(tmeta.primary_key or [])
    keys.update(c for rel in metadata.parents(table) for c in rel.child_columns)
    keys.update(c for c, col in tmeta.columns.items() if col.sdtype == "id")
    out = frame
    for col in keys:
        if col not in frame.columns or not pd.api.types.is_float_dtype(frame[col].dtype):
            continue
        values = frame[col].dropna().to_numpy(dtype="float64")
        if np.all(np.isfinite(values)) and np.all(values == np.round(values)):
            if out is frame:
                out = frame.copy()
            out[col] = frame[col].astype("Int64")
    return out
