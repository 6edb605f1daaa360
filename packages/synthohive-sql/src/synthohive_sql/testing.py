"""Helpers for tests against live databases: throw-away schemas and SQLite files.

``temp_schema(url)`` creates a schema (MySQL/MariaDB: a database) with a unique random name,
yields the URL with ``?schema=<name>`` and drops it (with everything in it) afterwards. The
service URLs default to the local CI services and can be overridden by environment variables
``SYNTHOHIVE_TEST_PG`` and ``SYNTHOHIVE_TEST_MARIADB``. A service that is down makes the
test fail (no skip): CI starts the services.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

PG_URL = os.environ.get("SYNTHOHIVE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MARIADB_URL = os.environ.get("SYNTHOHIVE_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306/test")


def unique_name(prefix: str = "shv_t") -> str:
    """A fresh lower-case identifier such as ``shv_t_3fa9c2d1``."""
    return f"{prefix}_{secrets.token_hex(4)}"


def url_with_schema(url: str, schema: str) -> str:
    """``url`` with ``?schema=schema`` set (password kept: for tests only)."""
    from sqlalchemy.engine import make_url

    return make_url(url).update_query_dict({"schema": schema}).render_as_string(hide_password=False)


@contextmanager
def temp_schema(url: str, prefix: str = "shv_t") -> Iterator[str]:
    """Create a unique schema/database on ``url``; yield its URL; drop it afterwards."""
    import sqlalchemy as sa

    name = unique_name(prefix)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.schema.CreateSchema(name))
        try:
            yield url_with_schema(url, name)
        finally:
            cascade = engine.dialect.name == "postgresql"
            with engine.begin() as conn:
                conn.execute(sa.schema.DropSchema(name, cascade=cascade, if_exists=True))
    finally:
        engine.dispose()


@contextmanager
def backend_url(kind: str, tmp_dir: str | None = None) -> Iterator[str]:
    """A fresh, empty database location of ``kind`` (``postgres``, ``mariadb``, ``sqlite``)."""
    if kind == "postgres":
        with temp_schema(PG_URL) as url:
            yield url
    elif kind == "mariadb":
        with temp_schema(MARIADB_URL) as url:
            yield url
    elif kind == "sqlite":
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory(dir=tmp_dir) as d:
            yield f"sqlite:///{Path(d) / 'db.sqlite'}"
    else:
        raise ValueError(f"unknown backend kind {kind!r}")
