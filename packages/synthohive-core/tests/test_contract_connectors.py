"""The built-in connectors pass the connector conformance suite."""

from __future__ import annotations

from pathlib import Path

from synthohive.connectors.base import Connector
from synthohive.connectors.files import CSVConnector, ParquetConnector
from synthohive.connectors.memory import MemoryConnector
from synthohive.testing import ConnectorContract, ConnectorRequirements


class TestParquetContract(ConnectorContract):
    requirements = ConnectorRequirements(exact_dtypes=True)

    def make_connector(self, tmp_path: Path) -> Connector:
        return ParquetConnector(f"parquet://{tmp_path / 'lake'}")


class TestCSVContract(ConnectorContract):
    def make_connector(self, tmp_path: Path) -> Connector:
        return CSVConnector(f"csv://{tmp_path / 'folder'}")


class TestMemoryContract(ConnectorContract):
    requirements = ConnectorRequirements(exact_dtypes=True)

    def make_connector(self, tmp_path: Path) -> Connector:
        return MemoryConnector(f"memory://contract-{tmp_path.name}")
