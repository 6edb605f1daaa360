"""The SQL connector (on a SQLite file) passes the connector conformance suite."""

from __future__ import annotations

from pathlib import Path

from synthohive.connectors.base import Connector
from synthohive.testing import ConnectorContract
from synthohive_sql.connector import SQLConnector


class TestSQLiteContract(ConnectorContract):
    def make_connector(self, tmp_path: Path) -> Connector:
        return SQLConnector(f"sqlite:///{tmp_path / 'contract.sqlite'}")
