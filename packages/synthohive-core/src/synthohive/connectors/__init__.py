"""Sources and sinks of tables: ``synthohive.connect(url_or_tables)`` and the built-ins.

``connect({"users": df})`` wraps DataFrames in a :class:`MemoryConnector`; ``connect(url)``
picks the connector registered for the URL scheme (``csv://``, ``parquet://``, ``memory://``
in the core; ``postgresql://`` etc. from plugins). A plain folder path is accepted when it
holds ``.parquet`` or ``.csv`` files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from synthohive.connectors.base import WRITE_MODES, Connector, WriteMode, WriteSession
from synthohive.errors import ConnectorError

__all__ = ["WRITE_MODES", "Connector", "WriteMode", "WriteSession", "connect"]


def connect(url_or_tables: Any, **options: Any) -> Connector:
    """A connector for a URL (``csv://folder``, ``parquet://folder``, a database URL...), a
    folder path, a dict of DataFrames, or a connector (returned as is)."""
    from synthohive.connectors.memory import MemoryConnector

    if isinstance(url_or_tables, Connector):
        return url_or_tables
    if isinstance(url_or_tables, Mapping):
        return MemoryConnector("memory://", tables=url_or_tables, **options)
    if isinstance(url_or_tables, pd.DataFrame):
        raise ConnectorError(
            "connect() got a single DataFrame",
            fix='pass a dict such as {"table_name": df}',
        )
    if isinstance(url_or_tables, os.PathLike) or (
        isinstance(url_or_tables, str) and "://" not in url_or_tables
    ):
        return _connect_path(Path(os.fspath(url_or_tables)).expanduser(), **options)
    if not isinstance(url_or_tables, str):
        raise ConnectorError(
            f"connect() cannot use a {type(url_or_tables).__name__}",
            fix="pass a URL such as parquet://folder, or a dict of DataFrames",
        )
    from synthohive.registry import get_registry

    cls = get_registry().connector_for(url_or_tables)
    return cls(url_or_tables, **options)


def _connect_path(path: Path, **options: Any) -> Connector:
    from synthohive.connectors.files import CSVConnector, ParquetConnector

    if path.is_dir():
        if any(path.glob("*.parquet")):
            return ParquetConnector(f"parquet://{path}", **options)
        if any(path.glob("*.csv")):
            return CSVConnector(f"csv://{path}", **options)
    raise ConnectorError(
        f"{str(path)!r} is not a folder of .parquet or .csv files",
        fix=f"use a URL that names the format, e.g. parquet://{path} or csv://{path}",
    )
