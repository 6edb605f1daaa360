"""Engines, URLs and error translation for the SQL connector (imports SQLAlchemy).

Imported lazily by :mod:`synthohive_sql.connector`, so listing plugins never imports
SQLAlchemy. Everything here that can end up in a message goes through :func:`scrub` so a
password never leaks into logs, errors or ``repr``.
"""

from __future__ import annotations

import difflib
import re
import secrets
import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url

from synthohive.errors import (
    ConnectorError,
    DriverNotInstalledError,
    InvalidIdentifierError,
    TableNotFoundError,
)

# scheme -> pip extra that brings its driver
EXTRAS = {
    "postgresql": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
}

STAGE_PREFIX = "__shv_stage_"
OLD_PREFIX = "__shv_old_"
STALE_AFTER_S = 24 * 3600
"""Backends without transactional DDL or named locks: leftovers older than this are stale."""

_INTERNAL_RE = re.compile(r"^__shv_(?:stage|old)_(.+)_\d+$")
_TOKEN_RE = re.compile(r"^([0-9a-f]{8})[0-9a-f]{6}$")

_PW_RE = re.compile(r"(://[^:/@]*:)[^@]*@")


def mask_url_text(url: str) -> str:
    """Mask the password in ``url`` without parsing it fully (fallback for bad URLs)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return _PW_RE.sub(r"\1***@", url)


def split_url(url: str, schema: str | None) -> tuple[URL, str | None]:
    """Parse ``url``; take ``?schema=`` out of the query (a ``schema`` argument wins)."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ConnectorError(
            f"not a database URL: {mask_url_text(url)!r} ({type(exc).__name__})",
            fix="use e.g. postgresql+psycopg://user@host:5432/db?schema=src",
        ) from None
    query_schema = parsed.query.get("schema")
    if isinstance(query_schema, tuple):
        query_schema = query_schema[0]
    if "schema" in parsed.query:
        parsed = parsed.difference_update_query(["schema"])
    return parsed, schema if schema is not None else query_schema


def scrub(text: str, url: URL) -> str:
    """Remove the password of ``url`` (plain or URL-encoded) from ``text``."""
    pw = url.password
    if pw:
        from urllib.parse import quote_plus

        for variant in {str(pw), quote_plus(str(pw))}:
            if variant:
                text = text.replace(variant, "***")
    return text


def _install_sqlite_hooks(engine: Engine) -> None:
    """Make pysqlite transactional for DDL and enforce foreign keys."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


def create_engine(url: URL, engine_options: dict[str, Any] | None = None) -> Engine:
    """Create an engine; a missing driver raises ``DriverNotInstalledError`` naming the extra."""
    backend = url.get_backend_name()
    opts: dict[str, Any] = {"pool_pre_ping": True}
    if backend == "postgresql":
        opts["connect_args"] = {"connect_timeout": 10}
    elif backend in ("mysql", "mariadb"):
        opts["connect_args"] = {"connect_timeout": 10, "charset": "utf8mb4"}
    opts.update(engine_options or {})
    try:
        engine = sa.create_engine(url, **opts)
    except (ImportError, sa.exc.NoSuchModuleError) as exc:
        extra = EXTRAS.get(backend)
        fix = (
            f"pip install 'synthohive-sql[{extra}]'"
            if extra
            else "install the DBAPI driver named in the URL"
        )
        raise DriverNotInstalledError(
            f"the driver for {url.drivername!r} is not installed ({exc})", fix=fix
        ) from None
    if backend == "sqlite":
        _install_sqlite_hooks(engine)
    return engine


def connector_error(
    exc: BaseException,
    url: URL,
    action: str,
    *,
    table: str | None = None,
    renames: dict[str, str] | None = None,
) -> ConnectorError:
    """Translate a driver/SQLAlchemy exception into a ``ConnectorError`` without secrets."""
    orig = getattr(exc, "orig", None) or exc
    detail = scrub(str(orig).strip().splitlines()[0] if str(orig).strip() else repr(orig), url)
    # longest first: "__shv_stage_t_1" is a prefix of "__shv_stage_t_10"
    for internal, public in sorted((renames or {}).items(), key=lambda kv: -len(kv[0])):
        detail = detail.replace(internal, public)
    safe = url.render_as_string(hide_password=True)
    if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError) and action == "connect":
        return ConnectorError(
            f"cannot connect to {safe}: {detail}",
            fix="check host, port, user, password and that the database is running",
        )
    return ConnectorError(f"{action} failed on {safe}: {detail}", table=table)


def check_identifier(name: str, dialect: Any, *, table: str | None = None) -> None:
    """Reject names the dialect would silently truncate or cannot store."""
    if not isinstance(name, str) or not name:
        raise InvalidIdentifierError(f"empty or non-string identifier {name!r}", table=table)
    limit = getattr(dialect, "max_identifier_length", None) or 0
    if limit and len(name.encode("utf-8")) > limit:
        raise InvalidIdentifierError(
            f"identifier {name!r} is {len(name.encode('utf-8'))} bytes; "
            f"{dialect.name} allows at most {limit}",
            table=table,
            fix="rename it to a shorter name",
        )
    if "\x00" in name:
        raise InvalidIdentifierError(f"identifier {name!r} contains a NUL byte", table=table)


def close_matches(name: str, candidates: list[str]) -> list[str]:
    """Names in ``candidates`` that look like ``name`` (case-insensitive first)."""
    lower = {c.lower(): c for c in candidates}
    hits = [lower[name.lower()]] if name.lower() in lower else []
    for c in difflib.get_close_matches(name, candidates, n=5, cutoff=0.6):
        if c not in hits:
            hits.append(c)
    return hits


def table_not_found(name: str, schema: str | None, existing: list[str]) -> TableNotFoundError:
    """A ``TableNotFoundError`` naming close matches and (when few) every table there is."""
    near = close_matches(name, existing)
    where = f" in schema {schema!r}" if schema else ""
    msg = f"no such table{where}"
    if near:
        msg += f"; did you mean {near}?"
    shown = sorted(existing)[:50]
    msg += f" Tables that exist: {shown}{' ...' if len(existing) > 50 else ''}"
    return TableNotFoundError(msg, table=name, fix="check the name and the schema option")


def _mysql_column_names(bind: Any, schema: str | None, table: str) -> list[str]:
    query = sa.text(
        "SELECT COLUMN_NAME FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = COALESCE(:s, DATABASE()) AND TABLE_NAME = :t "
        "ORDER BY ORDINAL_POSITION"
    )
    return [str(r[0]) for r in bind.execute(query, {"s": schema, "t": table})]


def column_name_map(
    bind: Any, schema: str | None, table: str, reflected: list[str]
) -> dict[str, str]:
    """Reflected column name -> true name. SQLAlchemy's MySQL reflection parses SHOW CREATE
    TABLE and leaves backticks doubled (``a``b``); information_schema has the real names."""
    if bind.dialect.name not in ("mysql", "mariadb") or not any("`" in n for n in reflected):
        return {n: n for n in reflected}
    true = _mysql_column_names(bind, schema, table)
    if len(true) != len(reflected):
        return {n: n for n in reflected}
    return dict(zip(reflected, true))


def reflect_table(bind: Any, name: str, schema: str | None, sa_meta: sa.MetaData) -> sa.Table:
    """``sa.Table(name, autoload_with=bind)`` with MySQL's doubled backticks repaired."""
    tbl = sa.Table(name, sa_meta, schema=schema, autoload_with=bind)
    names = column_name_map(bind, schema, name, [c.name for c in tbl.columns])
    if all(k == v for k, v in names.items()):
        return tbl
    sa_meta.remove(tbl)
    cols = [
        sa.Column(
            names[c.name],
            c.type,
            nullable=c.nullable,
            primary_key=c.primary_key,
            autoincrement=False,
        )
        for c in tbl.columns
    ]
    return sa.Table(name, sa_meta, *cols, schema=schema)


# --- staging tables: names, liveness, garbage collection ----------------------------------------
# A write session's token is its start time (8 hex digits of Unix seconds) and 24 random bits;
# its staging tables are ``__shv_stage_<token>_<i>`` and ``__shv_old_<token>_<i>``. A table with
# that prefix is a leftover of a crashed write (stale) when:
#
# * PostgreSQL / SQLite: always - stages are created inside the writer's transaction, so
#   another connection sees them only if they were committed by something that then died;
# * MySQL / MariaDB (DDL commits at once): its writer's named lock is free. A writer holds
#   ``GET_LOCK('synthohive:<token>')`` on its staging connection from before its first stage
#   until its stages are dropped; the server frees the lock when that connection ends (a
#   killed process included; a vanished client only after ``wait_timeout``);
# * other backends: its token is older than ``STALE_AFTER_S``.
#
# Only tables whose token is older than the cleaning session (or that have no readable time,
# the names of earlier versions) are ever dropped, so a writer starting meanwhile is safe.


def new_token(now: float | None = None) -> str:
    """A fresh write-session token: start time (hex seconds) and 24 random bits."""
    return f"{int(time.time() if now is None else now) & 0xFFFFFFFF:08x}{secrets.token_hex(3)}"


def internal_token(name: str) -> str | None:
    """The session token in a staging/old table name (``None``: not one of ours)."""
    if not name.startswith((STAGE_PREFIX, OLD_PREFIX)):
        return None
    found = _INTERNAL_RE.match(name)
    return found.group(1) if found else name


def token_time(token: str) -> int | None:
    """Unix seconds a token was made at (``None`` for names without a time)."""
    found = _TOKEN_RE.match(token)
    return int(found.group(1), 16) if found else None


def _lock_name(token: str) -> str:
    return f"synthohive:{token}"[:64]


def _uses_named_locks(bind: Any) -> bool:
    return bool(bind.dialect.name in ("mysql", "mariadb"))


def hold_writer_lock(bind: Any, token: str) -> None:
    """MySQL/MariaDB: mark ``token``'s staging tables live for as long as ``bind`` is open."""
    if _uses_named_locks(bind):
        bind.execute(sa.select(sa.func.get_lock(_lock_name(token), 0)))


def release_writer_lock(bind: Any, token: str) -> None:
    """Give up the lock taken by :func:`hold_writer_lock` (no-op elsewhere)."""
    if _uses_named_locks(bind):
        bind.execute(sa.select(sa.func.release_lock(_lock_name(token))))


def _writer_alive(bind: Any, token: str) -> bool:
    value = bind.execute(sa.select(sa.func.is_free_lock(_lock_name(token)))).scalar()
    return value is not None and int(value) == 0


def stale_tables(bind: Any, names: Sequence[str], *, started: float | None = None) -> list[str]:
    """The staging/old tables among ``names`` that no live writer owns (see above); children
    before parents within a session (higher stage numbers first)."""
    now = time.time() if started is None else started
    backend = bind.dialect.name
    out: list[tuple[str, int, str]] = []
    for name in names:
        token = internal_token(name)
        if token is None:
            continue
        made = token_time(token)
        if made is not None and made >= int(now):
            continue  # started with or after this session: maybe a live concurrent writer
        if backend in ("postgresql", "sqlite"):
            stale = True
        elif _uses_named_locks(bind):
            stale = not _writer_alive(bind, token)
        else:
            stale = made is None or now - made > STALE_AFTER_S
        if stale:
            tail = name.rsplit("_", 1)[-1]
            out.append((token, -int(tail) if tail.isdigit() else 0, name))
    return [name for _, _, name in sorted(out)]


def drop_stale_tables(
    engine: Engine, schema: str | None, *, dry_run: bool = False, started: float | None = None
) -> list[str]:
    """Drop (or, with ``dry_run``, only list) stale staging tables in ``schema``."""
    with engine.connect() as db:
        names = [
            n
            for n in sa.inspect(db).get_table_names(schema=schema)
            if n.startswith((STAGE_PREFIX, OLD_PREFIX))
        ]
        stale = stale_tables(db, names, started=started) if names else []
        if dry_run or not stale:
            return stale
        mysql = _uses_named_locks(db)
        if mysql:
            db.exec_driver_sql("SET FOREIGN_KEY_CHECKS=0")
        try:
            for name in stale:
                stub = sa.Table(name, sa.MetaData(), schema=schema)
                db.execute(sa.schema.DropTable(stub, if_exists=True))
        finally:
            if mysql:
                db.exec_driver_sql("SET FOREIGN_KEY_CHECKS=1")
        db.commit()
    return stale
