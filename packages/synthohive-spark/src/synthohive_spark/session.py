"""Getting a SparkSession and asking what it supports (Hive catalog, Delta Lake)."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from synthohive.errors import ConnectorError, DriverNotInstalledError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def get_session(session: Any = None) -> SparkSession:
    """``session`` itself, else the active session, else a local ``local[2]`` one.

    A session made here runs Python workers with this interpreter, uses Arrow for pandas
    transfers and UTC as its time zone.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:  # pragma: no cover - pyspark is a dependency of this package
        raise DriverNotInstalledError(
            "pyspark is not installed", fix="pip install synthohive-spark"
        ) from None
    if session is not None:
        return session
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return local_session()


def local_session(master: str = "local[2]", **conf: str) -> SparkSession:
    """A local session with the settings SynthoHive expects (extra ``conf`` wins)."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master(master).appName("synthohive")
    settings = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "4",
        **conf,
    }
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def has_hive(spark: SparkSession) -> bool:
    """Whether the session's catalog is a Hive metastore."""
    return spark.conf.get("spark.sql.catalogImplementation", "in-memory") == "hive"


def has_delta(spark: SparkSession) -> bool:
    """Whether Delta Lake's session extension is configured."""
    return "DeltaSparkSessionExtension" in (spark.conf.get("spark.sql.extensions", "") or "")


def require_delta(spark: SparkSession) -> None:
    """Raise ``ConnectorError`` explaining how to configure Delta when it is not."""
    if not has_delta(spark):
        raise ConnectorError(
            "this SparkSession is not configured for Delta Lake",
            fix="pip install 'synthohive-spark[delta]' and build the session with "
            "delta.configure_spark_with_delta_pip(builder) plus spark.sql.extensions="
            "io.delta.sql.DeltaSparkSessionExtension and spark.sql.catalog.spark_catalog="
            "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        )


def require_hive(spark: SparkSession) -> None:
    """Raise ``ConnectorError`` when ``saveAsTable`` into Hive is asked without Hive support."""
    if not has_hive(spark):
        raise ConnectorError(
            "this SparkSession has no Hive support, so tables would not reach a metastore",
            fix="build the session with SparkSession.builder.enableHiveSupport()",
        )
