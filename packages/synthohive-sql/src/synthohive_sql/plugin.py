"""Registration of SQL connectors with SynthoHive (entry point ``synthohive-sql``).

Thin on purpose: heavy imports happen inside the hook bodies, so listing plugins stays cheap.
"""

from __future__ import annotations

from typing import Any

from synthohive.hookspecs import hookimpl


@hookimpl
def register_connectors() -> list[type[Any]]:
    """The SQLAlchemy connector (sqlalchemy is imported when a connection is opened)."""
    from synthohive_sql.connector import SQLConnector

    return [SQLConnector]
