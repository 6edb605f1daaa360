"""One local SparkSession (local[2], Hive catalog on a Derby metastore in a temp dir) per run."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from synthohive_spark.session import local_session

    root = tmp_path_factory.mktemp("spark")
    session = local_session(
        **{
            "spark.sql.catalogImplementation": "hive",
            "spark.sql.warehouse.dir": str(root / "warehouse"),
            "javax.jdo.option.ConnectionURL": (
                f"jdbc:derby:;databaseName={root / 'metastore_db'};create=true"
            ),
            "spark.driver.extraJavaOptions": f"-Dderby.system.home={root}",
            "spark.sql.legacy.createHiveTableByDefault": "false",
        }
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    out = tmp_path / "lake"
    out.mkdir()
    return out
