"""Metadata: the description of tables, columns, keys and relations (see ``schema``)."""

from synthohive.metadata.schema import SCHEMA_VERSION, Column, ForeignKey, Metadata, Table

__all__ = ["SCHEMA_VERSION", "Column", "ForeignKey", "Metadata", "Table"]
