"""Checks of the data handed to ``Synthesizer.fit`` (typed errors naming table and column).

Metadata problems (cycles, dangling keys, duplicate relations...) are found by
``synthohive.metadata.validate``; these checks cover what only the data shows: missing tables
or columns, non-unique primary keys and foreign keys whose type differs from the key they
reference.
"""

from __future__ import annotations

import pandas as pd

from synthohive.errors import DataError, InvalidDataError, MetadataError
from synthohive.metadata.schema import Metadata


def validate_metadata(meta: Metadata) -> None:
    """Raise one ``MetadataError`` listing every problem of ``meta`` (cycles, dangling keys...)."""
    from synthohive.metadata.validate import validate_metadata as check

    check(meta)


def check_tables(meta: Metadata, frames: dict[str, pd.DataFrame]) -> None:
    """Every metadata table has data, and every frame matches its table's columns."""
    for name in meta.tables:
        if name not in frames:
            raise DataError(
                f"no data for this table; data has {sorted(frames)}",
                table=name,
                fix="pass a DataFrame for every table in the metadata",
            )
    for name, df in frames.items():
        if name not in meta.tables:
            raise MetadataError(
                f"data has a table the metadata does not describe; metadata has "
                f"{sorted(meta.tables)}",
                table=name,
                fix="add the table to the metadata or leave it out of the data",
            )
        table = meta.tables[name]
        missing = [c for c in table.columns if c not in df.columns]
        extra = [c for c in df.columns if c not in table.columns]
        if missing or extra:
            raise InvalidDataError(
                f"columns do not match the metadata (missing {missing}, undescribed {extra})",
                table=name,
                column=(missing or extra)[0],
                fix="update the metadata (update_column / detect) or the data",
            )


def check_keys(meta: Metadata, frames: dict[str, pd.DataFrame]) -> None:
    """Primary keys unique and non-null; FK and referenced key columns of one kind."""
    for name, table in meta.tables.items():
        pk = table.primary_key or []
        if pk:
            keys = frames[name][pk]
            bad = keys.isna().any(axis=1) | keys.duplicated(keep=False)
            if bad.any():
                raise InvalidDataError(
                    f"primary key has {int(bad.sum())} null or repeated values",
                    table=name,
                    column=pk[0],
                    fix="fix the key values or choose another primary key",
                )
    for fk in meta.relations:
        keys = frames[fk.parent][fk.parent_columns]
        if keys.duplicated().any() and set(fk.parent_columns) != set(
            meta.tables[fk.parent].primary_key or []
        ):
            raise MetadataError(
                f"foreign key of {fk.child!r} references columns {fk.parent_columns} that "
                "are not unique in the parent",
                table=fk.parent,
                column=fk.parent_columns[0],
                fix="reference the parent's primary key",
            )
        for ccol, pcol in zip(fk.child_columns, fk.parent_columns, strict=True):
            c_num = pd.api.types.is_numeric_dtype(frames[fk.child][ccol].dtype)
            p_num = pd.api.types.is_numeric_dtype(frames[fk.parent][pcol].dtype)
            if c_num != p_num and frames[fk.child][ccol].notna().any():
                raise MetadataError(
                    f"foreign key column has type {frames[fk.child][ccol].dtype} but the "
                    f"referenced {fk.parent}.{pcol} has {frames[fk.parent][pcol].dtype}",
                    table=fk.child,
                    column=ccol,
                    fix="give both key columns the same type",
                )


# --- sample --------------------------------------------------------------------------------
