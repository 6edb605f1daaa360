"""What the data looks like: tables, columns with semantic types (sdtypes), keys and relations.

Pydantic v2 models with a ``schema_version`` and a JSON round trip. Detection lives in
``synthohive.metadata.detect``; checks of metadata against itself and against data live in
``synthohive.metadata.validate``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from synthohive.errors import MetadataError

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_VERSION = 1

SdType = Literal["numerical", "categorical", "boolean", "datetime", "id", "pii", "text"]
PiiStrategy = Literal["fake", "hash", "mask", "drop", "keep"]
IdGenerator = Literal["sequence", "uuid", "regex"]


class Column(BaseModel):
    """One column: its semantic type and what is needed to restore it exactly.

    Only the fields of the column's ``sdtype`` are meaningful; the others stay ``None``.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    sdtype: SdType
    dtype: str | None = Field(default=None, description="pandas dtype to restore, e.g. 'Int64'")
    nullable: bool = True
    # numerical
    integer: bool | None = None
    min: float | None = None
    max: float | None = None
    rounding: int | None = Field(default=None, description="decimal places kept on output")
    # datetime
    format: str | None = Field(default=None, description="strftime format for string datetimes")
    timezone: str | None = None
    # id
    generator: IdGenerator | None = None
    pattern: str | None = Field(default=None, description="regex for generator='regex'")
    # pii
    kind: str | None = Field(default=None, description="email, phone, name, address, ssn, ...")
    strategy: PiiStrategy | None = Field(
        default=None,
        description="explicit per-column choice; None follows the privacy configuration's default",
    )
    locale: str | None = None
    # why detection chose this (shown by Metadata.explain)
    reason: str | None = None


class ForeignKey(BaseModel):
    """``child(child_columns)`` references ``parent(parent_columns)``; composite keys allowed."""

    model_config = ConfigDict(extra="forbid")

    child: str
    child_columns: list[str]
    parent: str
    parent_columns: list[str]
    reason: str | None = None

    @field_validator("child_columns", "parent_columns", mode="before")
    @classmethod
    def _listify(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v


class Table(BaseModel):
    """A table: its name, primary key (one or more columns) and its columns in order."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    name: str
    primary_key: list[str] | None = None
    columns: dict[str, Column] = Field(default_factory=dict)
    reason: str | None = None

    @field_validator("primary_key", mode="before")
    @classmethod
    def _listify(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    def column(self, name: str) -> Column:
        """Return column ``name`` or raise ``MetadataError`` listing the known columns."""
        try:
            return self.columns[name]
        except KeyError:
            raise MetadataError(
                f"no such column; known columns: {sorted(self.columns)}",
                table=self.name,
                column=name,
                fix="check the spelling or run Metadata.detect again",
            ) from None

    def columns_of(self, *sdtypes: str) -> list[str]:
        """Names of the columns whose sdtype is one of ``sdtypes``, in table order."""
        return [n for n, c in self.columns.items() if c.sdtype in sdtypes]


class ConstraintSpec(BaseModel):
    """A constraint on one table: its registered ``kind`` and JSON ``params`` (no code)."""

    model_config = ConfigDict(extra="forbid")

    table: str
    kind: str
    params: dict[str, Any] = Field(default_factory=dict)
    reason: str | None = None


class SequenceSpec(BaseModel):
    """A child table whose rows are an ordered sequence per parent (a customer's orders over
    time, an account's transactions): generated in order, each row given the one before."""

    model_config = ConfigDict(extra="forbid")

    table: str
    index: str = Field(description="the column that orders one parent's rows (dates or numbers)")
    parent: str | None = Field(
        default=None, description="the parent whose rows own the sequences (default: the only one)"
    )
    anchor: str | None = Field(
        default=None, description="a column of the parent the first row may not precede"
    )
    reason: str | None = None


class Metadata(BaseModel):
    """Tables and the foreign keys between them. Single-table metadata has one table."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    schema_version: int = SCHEMA_VERSION
    tables: dict[str, Table] = Field(default_factory=dict)
    relations: list[ForeignKey] = Field(default_factory=list)
    suggested_relations: list[ForeignKey] | None = Field(
        default=None,
        description="relations detection found evidence for but did not apply (see explain)",
    )
    constraints: list[ConstraintSpec] | None = Field(
        default=None, description="business rules every generated row satisfies"
    )
    suggested_constraints: list[ConstraintSpec] | None = Field(
        default=None,
        description="rules detection found the data to follow on every row (see explain)",
    )
    sequences: list[SequenceSpec] | None = Field(
        default=None, description="child tables generated as ordered sequences per parent"
    )
    suggested_sequences: list[SequenceSpec] | None = Field(
        default=None,
        description="child tables that look like event sequences (see explain; not applied)",
    )

    # --- JSON --------------------------------------------------------------------------------
    def to_json(self, path: str | Path | None = None, *, indent: int = 2) -> str:
        """Serialise to JSON; write it to ``path`` too when given."""
        text = self.model_dump_json(indent=indent, exclude_none=True)
        if path is not None:
            from synthohive._io import atomic_write_text

            atomic_write_text(Path(path), text)
        return text

    @classmethod
    def from_json(cls, text_or_path: str | Path) -> Metadata:
        """Parse metadata from a JSON string or a path to a JSON file."""
        text = str(text_or_path)
        p = Path(text)
        if not text.lstrip().startswith("{") and p.exists():
            text = p.read_text(encoding="utf-8")
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MetadataError(f"metadata is not valid JSON: {exc}") from None
        if isinstance(raw, dict) and raw.get("schema_version", SCHEMA_VERSION) > SCHEMA_VERSION:
            raise MetadataError(
                f"metadata schema_version {raw['schema_version']} is newer than supported "
                f"({SCHEMA_VERSION})",
                fix="upgrade synthohive-core",
            )
        from pydantic import ValidationError

        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise MetadataError(f"metadata JSON does not match the schema: {exc}") from None

    # --- access ------------------------------------------------------------------------------
    def table(self, name: str) -> Table:
        """Return table ``name`` or raise ``MetadataError`` listing the known tables."""
        try:
            return self.tables[name]
        except KeyError:
            raise MetadataError(
                f"no such table; known tables: {sorted(self.tables)}",
                table=name,
                fix="check the spelling or add the table to the metadata",
            ) from None

    @property
    def single_table(self) -> Table:
        """The only table; ``MetadataError`` when there are several."""
        if len(self.tables) != 1:
            raise MetadataError(
                f"expected exactly one table, found {sorted(self.tables)}",
                fix="pass a dict of DataFrames for multi-table data",
            )
        return next(iter(self.tables.values()))

    # --- detection / validation (implemented in sibling modules) ----------------------------
    @classmethod
    def detect(
        cls, data: pd.DataFrame | dict[str, pd.DataFrame], *, table_name: str = "table"
    ) -> Metadata:
        """Infer sdtypes, primary keys, foreign keys and PII columns; ``explain()`` says why."""
        from synthohive.metadata.detect import detect_metadata

        return detect_metadata(data, table_name=table_name)

    def validate(  # type: ignore[override]
        self, data: pd.DataFrame | dict[str, pd.DataFrame] | None = None
    ) -> None:
        """Check the metadata (keys exist, FK/PK types match, no cycles) and, given ``data``,
        the data against it (columns, key uniqueness, referential integrity)."""
        from synthohive.metadata.validate import validate_data, validate_metadata

        validate_metadata(self)
        if data is not None:
            validate_data(self, data)

    def explain(self) -> str:
        """A readable account of every detection decision and its evidence."""
        from synthohive.metadata.detect import explain_metadata

        return explain_metadata(self)

    # --- validating edits ----------------------------------------------------------------------
    def set_primary_key(self, table: str, columns: str | list[str] | None) -> None:
        """Set (or clear with ``None``) the primary key of ``table``."""
        t = self.table(table)
        cols = [columns] if isinstance(columns, str) else columns
        for c in cols or []:
            t.column(c)
        t.primary_key = cols

    def add_foreign_key(
        self,
        child: str,
        child_columns: str | list[str],
        parent: str,
        parent_columns: str | list[str] | None = None,
    ) -> ForeignKey:
        """Add a relation; ``parent_columns`` defaults to the parent's primary key."""
        p = self.table(parent)
        c = self.table(child)
        ccols = [child_columns] if isinstance(child_columns, str) else list(child_columns)
        if parent_columns is None:
            if not p.primary_key:
                raise MetadataError(
                    "parent has no primary key to reference",
                    table=parent,
                    fix="set_primary_key first or pass parent_columns",
                )
            pcols = list(p.primary_key)
        else:
            pcols = [parent_columns] if isinstance(parent_columns, str) else list(parent_columns)
        for col in ccols:
            c.column(col)
        for col in pcols:
            p.column(col)
        if len(ccols) != len(pcols):
            raise MetadataError(
                f"foreign key has {len(ccols)} child columns but {len(pcols)} parent columns",
                table=child,
                fix="give one child column per parent key column",
            )
        fk = ForeignKey(child=child, child_columns=ccols, parent=parent, parent_columns=pcols)
        if fk in self.relations:
            raise MetadataError(
                f"duplicate relation {child}{ccols} -> {parent}{pcols}", table=child
            )
        self.relations.append(fk)
        return fk

    def remove_foreign_key(self, child: str, child_columns: str | list[str]) -> None:
        """Remove the relation of ``child`` on ``child_columns``."""
        ccols = [child_columns] if isinstance(child_columns, str) else list(child_columns)
        before = len(self.relations)
        self.relations = [
            r for r in self.relations if not (r.child == child and r.child_columns == ccols)
        ]
        if len(self.relations) == before:
            raise MetadataError(f"no relation on columns {ccols}", table=child)

    def add_constraint(self, table: str, kind: str, **params: Any) -> ConstraintSpec:
        """Add the constraint ``kind`` (a registered name, e.g. ``"inequality"``) on ``table``.

        The parameters are checked now (kind, parameter names, columns of the table), so a
        typo fails here and not at the end of a fit.
        """
        spec = ConstraintSpec(table=table, kind=kind, params=params)
        build_constraint(self, spec)
        self.constraints = [*(self.constraints or []), spec]
        return spec

    def set_sequence(
        self, table: str, index: str, *, parent: str | None = None, anchor: str | None = None
    ) -> SequenceSpec:
        """Generate ``table``'s rows as one ordered sequence per ``parent`` row, ordered by
        ``index`` (a date, a date stored as text, or a number): strictly in order, gaps as
        learned, each row given the previous one; with ``anchor`` (a parent column) no row
        precedes its parent's value. Replaces an earlier sequence on the table."""
        spec = SequenceSpec(table=table, index=index, parent=parent, anchor=anchor)
        check_sequence(self, spec)
        kept = [s for s in self.sequences or [] if s.table != table]
        self.sequences = [*kept, spec]
        return spec

    def sequence_of(self, table: str) -> SequenceSpec | None:
        """The sequence declared on ``table``, if any."""
        return next((s for s in self.sequences or [] if s.table == table), None)

    def update_column(self, table: str, column: str, **changes: Any) -> Column:
        """Change fields of a column (e.g. ``sdtype="categorical"``); validated by pydantic."""
        t = self.table(table)
        old = t.column(column)
        from pydantic import ValidationError

        try:
            new = Column.model_validate({**old.model_dump(), **changes, "reason": "set by user"})
        except ValidationError as exc:
            raise MetadataError(
                f"invalid column update: {exc}", table=table, column=column
            ) from None
        t.columns[column] = new
        return new

    def parents(self, table: str) -> list[ForeignKey]:
        """Relations in which ``table`` is the child."""
        return [r for r in self.relations if r.child == table]

    def children(self, table: str) -> list[ForeignKey]:
        """Relations in which ``table`` is the parent."""
        return [r for r in self.relations if r.parent == table]


def check_sequence(metadata: Metadata, spec: SequenceSpec) -> int:
    """Check ``spec`` against the metadata; the index of the relation to its parent."""
    table = metadata.table(spec.table)
    col = table.column(spec.index)
    fix = "order by a date, a date stored as text, or a number column that is not a key"
    if col.sdtype not in ("datetime", "numerical"):
        raise MetadataError(
            f"sequence index {spec.index!r} is a {col.sdtype} column", table=spec.table, fix=fix
        )
    if spec.index in (table.primary_key or []):
        raise MetadataError(f"sequence index {spec.index!r} is a key", table=spec.table, fix=fix)
    parents = [
        (i, fk)
        for i, fk in enumerate(metadata.relations)
        if fk.child == spec.table and fk.parent != spec.table
        and (spec.parent is None or fk.parent == spec.parent)
    ]  # fmt: skip
    if len(parents) != 1:
        found = sorted({fk.parent for fk in metadata.relations if fk.child == spec.table})
        raise MetadataError(
            f"a sequence needs one parent owning the rows; {spec.table!r} has "
            f"{found if found else 'none'}"
            + ("" if spec.parent is None else f" (asked: {spec.parent!r})"),
            table=spec.table,
            fix="add the foreign key to the owning table, or name it with parent=",
        )
    i, fk = parents[0]
    if spec.index in fk.child_columns:
        raise MetadataError(f"sequence index {spec.index!r} is a key", table=spec.table, fix=fix)
    if spec.anchor is not None:
        anchor = metadata.table(fk.parent).column(spec.anchor)
        if anchor.sdtype not in ("datetime", "numerical"):
            raise MetadataError(
                f"sequence anchor {spec.anchor!r} of {fk.parent!r} is a {anchor.sdtype} column",
                table=spec.table,
                fix="anchor on a date or number column of the parent",
            )
    return i


def build_constraint(metadata: Metadata, spec: ConstraintSpec) -> Any:
    """The :class:`~synthohive.constraints.Constraint` of ``spec``, checked against the
    metadata (table and columns exist; the kind is registered; its parameters are valid)."""
    from synthohive.errors import ConstraintError
    from synthohive.registry import get_registry

    table = metadata.table(spec.table)
    cls = get_registry().get_constraint(spec.kind)
    constraint = cls(spec.table, spec.params)
    missing = [c for c in constraint.columns() if c not in table.columns]
    if missing:
        raise ConstraintError(
            f"constraint {constraint.describe()} names unknown column(s) {missing}",
            table=spec.table,
            fix=f"use columns of the table: {list(table.columns)}",
        )
    from synthohive.constraints.crosstable import RelatedConstraint

    if isinstance(constraint, RelatedConstraint):
        for other, columns in constraint.related().items():
            if other not in metadata.tables:
                raise ConstraintError(
                    f"constraint {constraint.describe()} names unknown table {other!r}",
                    table=spec.table,
                    fix=f"use a table of the metadata: {sorted(metadata.tables)}",
                )
            unknown = [c for c in columns if c not in metadata.tables[other].columns]
            if unknown:
                raise ConstraintError(
                    f"constraint {constraint.describe()} names unknown column(s) {unknown} "
                    f"of {other!r}",
                    table=spec.table,
                    fix=f"use columns of {other!r}: {list(metadata.tables[other].columns)}",
                )
        constraint.bind_metadata(metadata)
    return constraint
