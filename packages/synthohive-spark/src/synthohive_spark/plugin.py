"""Registration of Spark connectors with SynthoHive (entry point ``synthohive-spark``).

Thin on purpose: heavy imports happen inside the hook bodies, so listing plugins stays cheap.
"""

from __future__ import annotations

from typing import Any

from synthohive.hookspecs import hookimpl


@hookimpl
def register_connectors() -> list[type[Any]]:
    """The Spark connector (pyspark is imported when a session is used)."""
    from synthohive_spark.connector import SparkConnector

    return [SparkConnector]
