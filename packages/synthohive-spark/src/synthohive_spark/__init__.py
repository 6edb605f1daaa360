"""synthohive-spark: Spark connectors for SynthoHive."""

__version__ = "0.1.0"
