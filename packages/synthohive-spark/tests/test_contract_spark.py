"""The Spark folder connector passes the connector conformance suite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from synthohive.connectors.base import Connector
from synthohive.testing import ConnectorContract
from synthohive_spark.connector import SparkConnector


@pytest.mark.spark
class TestSparkParquetContract(ConnectorContract):
    session: Any = None

    @pytest.fixture(autouse=True)
    def _session(self, spark: Any) -> None:
        type(self).session = spark

    def make_connector(self, tmp_path: Path) -> Connector:
        return SparkConnector(f"spark+parquet://{tmp_path / 'lake'}", session=self.session)
