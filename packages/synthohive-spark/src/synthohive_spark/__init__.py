"""synthohive-spark: Spark catalog/folder connectors, distributed fitting (one executor per
table, or one table data-parallel through TorchDistributor) and generation."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["SparkConnector", "fit", "fit_table_distributed", "generate", "local_session"]


def __getattr__(name: str) -> Any:
    if name == "SparkConnector":
        from synthohive_spark.connector import SparkConnector

        return SparkConnector
    if name == "fit":
        from synthohive_spark.fitting import fit

        return fit
    if name == "fit_table_distributed":
        from synthohive_spark.ddp import fit_table_distributed

        return fit_table_distributed
    if name == "generate":
        from synthohive_spark.distributed import generate

        return generate
    if name == "local_session":
        from synthohive_spark.session import local_session

        return local_session
    raise AttributeError(f"module 'synthohive_spark' has no attribute {name!r}")
