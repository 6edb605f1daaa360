"""Built-in connector classes (``Connector`` subclasses, looked up by URL scheme) of the core."""

from __future__ import annotations

from typing import Any

from synthohive.hookspecs import hookimpl


@hookimpl
def register_connectors() -> list[type[Any]]:
    """The core's built-in connectors."""
    # Owners append their built-in classes here, importing inside this body
    # (file connectors: csv://, parquet://, memory; delta:// needs the [delta] extra to use).
    from synthohive.connectors.delta import DeltaConnector
    from synthohive.connectors.files import CSVConnector, ParquetConnector
    from synthohive.connectors.memory import MemoryConnector

    return [CSVConnector, ParquetConnector, MemoryConnector, DeltaConnector]
