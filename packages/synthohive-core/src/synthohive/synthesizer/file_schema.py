"""The schema of ``synthesizer.json``, the model file's description of a fitted schema.

``synthesizer.json`` holds the format version, the fit's settings, the metadata (detection
reasons stripped), the generation order, one :class:`~synthohive.synthesizer.plan.TablePlan`
per table (structure and key styles only, never data values) and orphan counts seen at fit.
:func:`parse_synthesizer` validates it before anything is built: a strict schema with bounds
for every field (:class:`SynthesizerDoc`, :class:`~synthohive.synthesizer.plan_doc.
TablePlanDoc`), then every cross-reference (the metadata itself, order and plans against its
tables and relations, columns per group and sdtype, relation indexes, models named in the
manifest). Every problem raises :class:`~synthohive.errors.ArtifactIntegrityError` naming
the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from synthohive.artifacts.checks import schema_error
from synthohive.errors import ArtifactIntegrityError, IncompatibleArtifactError, SynthoHiveError
from synthohive.metadata.schema import SCHEMA_VERSION, Metadata
from synthohive.synthesizer.plan import FILLED_SDTYPES
from synthohive.synthesizer.plan_doc import (
    MAX_ROWS,
    MAX_TEXT,
    Count,
    ModelName,
    Name,
    TablePlanDoc,
)
from synthohive.synthesizer.strategy import DEFAULT_LOOKUP_ROWS, INDEPENDENT_MODEL

FORMAT = 1
MEMBER = "synthesizer.json"
MAX_TABLES = 10_000
MAX_COPY_ROWS = 1_000_000
"""Most rows a copied (reference) table may hold in a model file."""
CORRUPT_FIX = "the file is corrupt or was altered; use a trusted copy or re-save the model"


class TableParamsDoc(BaseModel):
    """Per-table settings stored with the synthesizer."""

    model_config = ConfigDict(extra="forbid", strict=True)

    strategy: Literal["auto", "model", "copy", "independent"] = "auto"


class SettingsDoc(BaseModel):
    """Constructor settings stored in ``synthesizer.json`` (never the privacy config)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    model: ModelName | dict[Name, ModelName] = Field(union_mode="left_to_right")
    model_params: dict[str, Any] | None = None
    seed: Annotated[int, Field(ge=0, lt=2**128)] | None = None
    context_parent: dict[Name, Name] = Field(default_factory=dict, max_length=MAX_TABLES)
    context_columns: dict[Name, list[Name]] = Field(default_factory=dict, max_length=MAX_TABLES)
    orphans: Literal["drop", "null"] = "drop"
    table_params: dict[Name, TableParamsDoc] = Field(default_factory=dict, max_length=MAX_TABLES)
    lookup_rows: Annotated[int, Field(ge=0, le=MAX_ROWS)] = DEFAULT_LOOKUP_ROWS


class SynthesizerDoc(BaseModel):
    """Schema of ``synthesizer.json`` (metadata is validated by its own model afterwards)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    format: int
    settings: SettingsDoc
    metadata: dict[str, Any]
    order: list[Name] = Field(max_length=MAX_TABLES)
    plans: list[TablePlanDoc] = Field(max_length=MAX_TABLES)
    orphans: dict[Annotated[str, StringConstraints(max_length=MAX_TEXT)], Count] = Field(
        default_factory=dict, max_length=MAX_TABLES * 10
    )
    single: bool = False


def public_metadata(metadata: Metadata) -> dict[str, Any]:
    """Metadata as JSON with the detection ``reason`` texts removed (they may quote values)."""
    raw = metadata.model_dump(mode="json", exclude_none=True)
    raw.pop("reason", None)
    for table in raw.get("tables", {}).values():
        table.pop("reason", None)
        for col in table.get("columns", {}).values():
            col.pop("reason", None)
    for rel in raw.get("relations", []):
        rel.pop("reason", None)
    return raw


def parse_synthesizer(
    raw: Any, *, models: set[str] | None = None
) -> tuple[SynthesizerDoc, Metadata]:
    """Validate a decoded ``synthesizer.json``: schema and bounds, then cross-references.

    ``models`` are the model plugins the manifest lists (a plan may only use those). Raises
    :class:`IncompatibleArtifactError` for another format version and
    :class:`ArtifactIntegrityError` naming the field for anything else.
    """
    if not isinstance(raw, dict):
        raise ArtifactIntegrityError(f"{MEMBER} is not a JSON object", fix=CORRUPT_FIX)
    version = raw.get("format")
    if isinstance(version, int) and not isinstance(version, bool) and version != FORMAT:
        raise IncompatibleArtifactError(
            f"synthesizer format {version!r} is not supported (expected {FORMAT})",
            fix="load it with the synthohive version that saved it",
        )
    try:
        doc = SynthesizerDoc.model_validate(raw)
    except ValidationError as exc:
        raise schema_error(exc, MEMBER, names=_plan_names(raw)) from None
    if doc.format != FORMAT:
        raise IncompatibleArtifactError(
            f"synthesizer format {doc.format!r} is not supported (expected {FORMAT})",
            fix="load it with the synthohive version that saved it",
        )
    metadata = _parse_metadata(doc.metadata)
    problems = list(_cross_problems(doc, metadata, models))
    if problems:
        path, message, table = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise ArtifactIntegrityError(
            f"{MEMBER}: {path}: {message}{more}", table=table, fix=CORRUPT_FIX
        )
    return doc, metadata


def _plan_names(raw: dict[str, Any]) -> dict[str, str]:
    """``plans[k]`` -> ``table 'name'`` for error messages (short string names only)."""
    plans = raw.get("plans")
    out: dict[str, str] = {}
    if isinstance(plans, list):
        for k, plan in enumerate(plans[:MAX_TABLES]):
            name = plan.get("name") if isinstance(plan, dict) else None
            if isinstance(name, str) and len(name) <= 200:
                out[f"plans[{k}]"] = f"table {name!r}"
    return out


def _parse_metadata(raw: dict[str, Any]) -> Metadata:
    """The stored metadata: its own schema and validation (keys, relations, no cycles)."""
    from synthohive.metadata.validate import validate_metadata
    from synthohive.synthesizer import graph

    long = next(_long_strings(raw, "metadata"), None)
    if long is not None:
        raise ArtifactIntegrityError(
            f"{MEMBER}: {long}: text longer than {MAX_TEXT} characters", fix=CORRUPT_FIX
        )
    try:
        metadata = Metadata.model_validate(raw, strict=False)
    except ValidationError as exc:
        err = schema_error(exc, f"{MEMBER} metadata")
        raise ArtifactIntegrityError(err.bare_message, fix=CORRUPT_FIX) from None
    if metadata.schema_version != SCHEMA_VERSION:
        raise IncompatibleArtifactError(
            f"{MEMBER}: metadata schema_version {metadata.schema_version} is not supported "
            f"(this synthohive reads {SCHEMA_VERSION})",
            fix="load it with the synthohive version that saved it",
        )
    tables = metadata.tables
    if len(tables) > MAX_TABLES or any(len(t.columns) > 10_000 for t in tables.values()):
        raise ArtifactIntegrityError(
            f"{MEMBER}: metadata: too many tables or columns", fix=CORRUPT_FIX
        )
    try:
        validate_metadata(metadata)
        graph.check_relations(metadata)
        graph.topological_order(metadata)
    except SynthoHiveError as exc:
        raise ArtifactIntegrityError(
            f"{MEMBER}: metadata: {exc.bare_message}",
            table=exc.table,
            column=exc.column,
            fix=CORRUPT_FIX,
        ) from None
    return metadata


def _long_strings(obj: Any, path: str) -> Iterator[str]:
    """Paths of strings (values or keys) over :data:`MAX_TEXT` characters."""
    if isinstance(obj, str):
        if len(obj) > MAX_TEXT:
            yield path
    elif isinstance(obj, dict):
        for key, value in obj.items():
            if len(key) > MAX_TEXT:
                yield f"{path}.<key>"
            yield from _long_strings(value, f"{path}.{key[:64]}")
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from _long_strings(value, f"{path}[{i}]")


Problem = tuple[str, str, str | None]


def _cross_problems(
    doc: SynthesizerDoc, metadata: Metadata, models: set[str] | None
) -> Iterator[Problem]:
    """Contradictions between settings, order, plans and the metadata (path, message, table)."""
    tables = metadata.tables
    relations = metadata.relations
    if sorted(doc.order) != sorted(tables) or len(set(doc.order)) != len(doc.order):
        yield "order", "must list every metadata table exactly once", None
        return
    position = {name: k for k, name in enumerate(doc.order)}
    for i, fk in enumerate(relations):
        if fk.child != fk.parent and position[fk.parent] > position[fk.child]:
            yield "order", f"parent {fk.parent!r} comes after its child (relation {i})", fk.child
    if len(doc.plans) != len(doc.order):
        yield "plans", f"{len(doc.plans)} plans for {len(doc.order)} tables", None
        return
    if doc.single and len(tables) != 1:
        yield "single", "a single-table synthesizer must have exactly one table", None
    yield from _settings_problems(doc.settings, metadata)
    by_name: dict[str, TablePlanDoc] = {}
    for k, plan in enumerate(doc.plans):
        path = f"plans[{k}]"
        if plan.name != doc.order[k]:
            yield f"{path}.name", f"is {plan.name!r}, order[{k}] is {doc.order[k]!r}", None
            return
        for field, message in _plan_problems(plan, metadata, by_name, models):
            yield f"{path}.{field}", message, plan.name
        by_name[plan.name] = plan


def _settings_problems(settings: SettingsDoc, metadata: Metadata) -> Iterator[Problem]:
    tables = set(metadata.tables)
    if isinstance(settings.model, dict):
        extra = sorted(set(settings.model) - tables - {"*"})
        if extra:
            yield "settings.model", f"names unknown tables {extra[:3]}", None
    extra = sorted(set(settings.table_params) - tables - {"*"})
    if extra:
        yield "settings.table_params", f"names unknown tables {extra[:3]}", None
    for field, names in (
        ("context_parent", [*settings.context_parent, *settings.context_parent.values()]),
        ("context_columns", list(settings.context_columns)),
    ):
        extra = sorted(set(names) - tables)
        if extra:
            yield f"settings.{field}", f"names unknown tables {extra[:3]}", None


def _plan_problems(
    plan: TablePlanDoc,
    metadata: Metadata,
    earlier: dict[str, TablePlanDoc],
    models: set[str] | None,
) -> Iterator[tuple[str, str]]:
    """One plan against the metadata and the plans of its parents (field, message)."""
    from synthohive.synthesizer.cardinality import count_column

    table = metadata.tables[plan.name]
    columns = table.columns
    relations = metadata.relations
    if set(plan.labels) != set(columns):
        yield "labels", "must list exactly the metadata columns of the table"
        return
    if plan.primary_key != list(table.primary_key or []):
        yield "primary_key", "differs from the metadata's primary key"
    fk_cols = {c for fk in relations if fk.child == plan.name for c in fk.child_columns}
    groups = {"key_specs": set(plan.key_specs), "filled": set(plan.filled)}
    groups["modelled"] = set(plan.modelled)
    for field, cols in groups.items():
        if cols & fk_cols:
            yield field, f"holds foreign-key columns {sorted(cols & fk_cols)[:3]}"
    covered = fk_cols.union(*groups.values())
    if covered != set(plan.labels):
        yield "labels", f"columns {sorted(set(plan.labels) - covered)[:3]} have no role"
    pk = set(plan.primary_key)
    for col in plan.filled:
        if columns[col].sdtype not in FILLED_SDTYPES:
            yield "filled", f"column {col!r} is not a pii/text column"
    for col in plan.modelled:
        if columns[col].sdtype in (*FILLED_SDTYPES, "id") or col in pk:
            yield "modelled", f"column {col!r} is a key or pii/text column"
    for col in plan.key_specs:
        if columns[col].sdtype in FILLED_SDTYPES or not (col in pk or columns[col].sdtype == "id"):
            yield "key_specs", f"column {col!r} is not a generated key column"
    parent_of = {i for i, fk in enumerate(relations) if fk.parent == plan.name}
    child_of = {i for i, fk in enumerate(relations) if fk.child == plan.name}
    context = {i for i in child_of if relations[i].parent != plan.name}
    expected = {i: count_column(i) for i in parent_of}
    if {int(k): v for k, v in plan.count_columns.items()} != expected:
        yield (
            "count_columns",
            f"must be one per relation of which the table is the parent: {expected}",
        )
    extra = sorted(int(k) for k in plan.null_share if int(k) not in child_of)
    if extra:
        yield "null_share", f"relations {extra[:3]} are not foreign keys of this table"
    rel = plan.context_relation
    if context and rel not in context:
        yield "context_relation", f"must be one of the table's parent relations {sorted(context)}"
    elif not context and rel is not None:
        yield "context_relation", "the table has no parent"
    elif rel is not None:
        parent = earlier.get(relations[rel].parent)
        bad = [c for c in plan.context_columns if parent is None or c not in parent.modelled]
        if bad:
            yield "context_columns", f"{bad[:3]} are not modelled columns of the parent"
    for col, (i, pcol, _) in plan.shared_fill.items():
        parent = earlier.get(relations[i].parent) if i in context else None
        if parent is None or pcol not in parent.filled:
            yield "shared_fill", f"column {col!r} names no filled column of a parent"
    if plan.has_model:
        assert plan.model_name is not None
        if models is not None and plan.model_name not in models:
            yield "model_name", f"model {plan.model_name!r} is not listed in the manifest"
        if plan.strategy == "independent" and plan.model_name != INDEPENDENT_MODEL:
            yield "model_name", f"an independent table uses model {INDEPENDENT_MODEL!r}"
    if plan.strategy == "copy":
        if context:
            yield "strategy", "a copied table cannot have parents"
        if plan.n_rows > MAX_COPY_ROWS:
            yield "n_rows", f"a copied table holds at most {MAX_COPY_ROWS} rows"
