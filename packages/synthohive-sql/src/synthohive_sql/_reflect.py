"""Database schema -> :class:`~synthohive.metadata.schema.Metadata` (imports SQLAlchemy).

Column sdtypes come from the SQL types; primary/foreign keys and single-column unique
constraints make ``id`` columns; string columns are refined from a small sample of the data by
the core's detector (PII, free text, ids) when it is installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from synthohive.errors import ConnectorError, MetadataError
from synthohive.log import get_logger
from synthohive.metadata.schema import Column, ForeignKey, Metadata, Table
from synthohive_sql._engine import column_name_map
from synthohive_sql._types import column_from_sql

if TYPE_CHECKING:
    import pandas as pd

    from synthohive_sql.connector import SQLConnector

log = get_logger(__name__)

_REFINABLE = ("categorical", "text")


def _selected(
    all_tables: list[str], include: list[str] | None, exclude: list[str] | None, schema: str | None
) -> list[str]:
    from synthohive_sql._engine import table_not_found

    for name in [*(include or []), *(exclude or [])]:
        if name not in all_tables:
            raise table_not_found(name, schema, all_tables)
    chosen = list(include) if include is not None else list(all_tables)
    drop = set(exclude or [])
    return [t for t in chosen if t not in drop]


def _detect_strings(frame: pd.DataFrame, name: str) -> dict[str, Column]:
    """Columns the core detector proposes for a sample (empty when it is not available)."""
    try:
        from synthohive.metadata.detect import detect_table
    except ImportError:
        return {}
    try:
        table = detect_table(frame, name=name)
    except Exception as exc:
        log.debug("sql.refine_skipped", table=name, error=str(exc))
        return {}
    return dict(table.columns)


def _id_column(col: Column, reason: str) -> Column:
    integer = col.sdtype == "numerical" and bool(col.integer)
    generator = col.generator or ("sequence" if integer else None)
    return Column(
        sdtype="id", dtype=col.dtype, nullable=col.nullable, generator=generator, reason=reason
    )


def reflect_metadata(
    conn: SQLConnector,
    include: list[str] | None,
    exclude: list[str] | None,
    *,
    refine: bool = True,
    sample_rows: int = 2_000,
) -> Metadata:
    """Build Metadata for the selected tables of ``conn``'s schema."""
    schema = conn.schema
    names = _selected(conn.list_tables(), include, exclude, schema)
    try:
        insp = sa.inspect(conn.engine)
        raw = {
            t: (
                insp.get_columns(t, schema=schema),
                insp.get_pk_constraint(t, schema=schema),
                insp.get_foreign_keys(t, schema=schema),
                insp.get_unique_constraints(t, schema=schema),
            )
            for t in names
        }
    except Exception as exc:
        raise conn._error(exc, "reflecting schema") from None

    try:
        with conn.engine.connect() as db:
            fixes = {
                t: column_name_map(db, schema, t, [c["name"] for c in raw[t][0]]) for t in names
            }
    except Exception as exc:
        raise conn._error(exc, "reflecting schema") from None
    for t in names:
        fix = fixes[t]
        cols_raw, pk_raw, fks_raw, uniques = raw[t]
        for c in cols_raw:
            c["name"] = fix.get(c["name"], c["name"])
        pk_raw["constrained_columns"] = [
            fix.get(n, n) for n in pk_raw.get("constrained_columns") or []
        ]
        for fk in fks_raw:
            fk["constrained_columns"] = [fix.get(n, n) for n in fk["constrained_columns"]]
        for uc in uniques:
            uc["column_names"] = [fix.get(n, n) for n in uc.get("column_names") or []]
    selected = set(names)
    tables: dict[str, Table] = {}
    relations: list[ForeignKey] = []
    for t in names:
        cols_raw, pk_raw, fks_raw, uniques = raw[t]
        columns = {
            c["name"]: column_from_sql(
                c["type"], bool(c.get("nullable", True)), table=t, column=c["name"]
            )
            for c in cols_raw
        }
        if refine and sample_rows > 0 and any(c.sdtype in _REFINABLE for c in columns.values()):
            strings = [n for n, c in columns.items() if c.sdtype in _REFINABLE]
            try:
                sample = conn.read(t, columns=strings, limit=sample_rows)
            except ConnectorError:
                sample = None
            if sample is not None and len(sample):
                for n, proposed in _detect_strings(sample, t).items():
                    if n in columns and proposed.sdtype in ("pii", "text", "id"):
                        columns[n] = proposed.model_copy(
                            update={"dtype": columns[n].dtype, "nullable": columns[n].nullable}
                        )
        pk = list(pk_raw.get("constrained_columns") or []) or None
        key_cols: set[str] = set(pk or [])
        for fk in fks_raw:
            parent = fk["referred_table"]
            ref_schema = fk.get("referred_schema")
            child_cols = list(fk["constrained_columns"])
            if parent not in selected or (ref_schema not in (None, schema)):
                raise MetadataError(
                    f"foreign key {child_cols} references table {parent!r}"
                    f"{f' in schema {ref_schema!r}' if ref_schema else ''}, "
                    "which is not in the selected tables",
                    table=t,
                    fix=f"include {parent!r} or exclude {t!r}",
                )
            relations.append(
                ForeignKey(
                    child=t,
                    child_columns=child_cols,
                    parent=parent,
                    parent_columns=list(fk["referred_columns"]),
                    reason="database foreign key constraint",
                )
            )
            key_cols.update(child_cols)
        for n in key_cols:
            if n in columns and columns[n].sdtype != "id":
                columns[n] = _id_column(columns[n], "primary/foreign key column")
        for uc in uniques:
            ucols = list(uc.get("column_names") or [])
            if len(ucols) == 1 and ucols[0] in columns:
                c = columns[ucols[0]]
                if c.sdtype in ("numerical", "categorical"):
                    columns[ucols[0]] = _id_column(c, "unique constraint")
        tables[t] = Table(
            name=t, primary_key=pk, columns=columns, reason="reflected from the database"
        )
    meta = Metadata(tables=tables, relations=relations)
    log.info("sql.reflected", tables=len(tables), relations=len(relations), url=conn.safe_url)
    return meta
