"""Saving and loading a fitted :class:`~synthohive.synthesizer.Synthesizer` as one model file.

Members (through :mod:`synthohive.artifacts.modelfile`, so the file is hashed, optionally
signed, and never pickled):

* ``synthesizer.json`` - format version, settings, metadata (detection reasons stripped), the
  generation order, one :class:`~synthohive.synthesizer.plan.TablePlan` per table (structure and
  key styles only, never data values) and orphan counts seen at fit;
* ``tables/<k>/...`` - the model of the ``k``-th table in generation order, written by the
  model's own ``save``; for a table whose strategy is ``copy``, ``tables/<k>/copy.json``
  holds its rows (keys and modelled columns, never PII/text, which are filled at sample time).

Loading validates ``synthesizer.json`` before building anything: a strict schema with bounds
for every field (:class:`SynthesizerDoc`, :class:`~synthohive.synthesizer.plan.TablePlanDoc`),
then every cross-reference (the metadata itself, order and plans against its tables and
relations, columns per group and sdtype, relation indexes, models named in the manifest), then
each copied table and each loaded model against its plan. Every problem raises
:class:`~synthohive.errors.ArtifactIntegrityError` naming the field.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from synthohive.artifacts.checks import field_path, schema_error
from synthohive.errors import (
    ArtifactError,
    ArtifactIntegrityError,
    IncompatibleArtifactError,
    NotFittedError,
    PluginNotFoundError,
    SynthoHiveError,
)
from synthohive.log import get_logger
from synthohive.metadata.schema import SCHEMA_VERSION, Metadata
from synthohive.synthesizer.plan import (
    FILLED_SDTYPES,
    MAX_ROWS,
    MAX_TEXT,
    Count,
    ModelName,
    Name,
    TablePlan,
    TablePlanDoc,
)
from synthohive.synthesizer.strategy import DEFAULT_LOOKUP_ROWS, INDEPENDENT_MODEL

if TYPE_CHECKING:
    from synthohive.artifacts.api import ArtifactReader, ArtifactWriter
    from synthohive.synthesizer.core import Synthesizer

log = get_logger(__name__)

FORMAT = 1
MEMBER = "synthesizer.json"
MAX_TABLES = 10_000
MAX_COPY_ROWS = 1_000_000
"""Most rows a copied (reference) table may hold in a model file."""
_FIX = "the file is corrupt or was altered; use a trusted copy or re-save the model"


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


def save_synthesizer(
    synth: Synthesizer, path: str | os.PathLike[str], *, signing_key: bytes | str | None = None
) -> str:
    """Write ``synth`` to ``path``; returns the file's SHA-256."""
    from synthohive.artifacts.modelfile import save_model_file

    if not synth.fitted:
        raise NotFittedError("the synthesizer is not fitted; nothing to save", fix="call fit first")

    names = sorted({m.name for m in synth._models.values()})
    doc = {
        "format": FORMAT,
        "settings": synth._settings(),
        "metadata": public_metadata(synth.metadata),
        "order": synth._order,
        "plans": [synth._plans[t].to_dict() for t in synth._order],
        "orphans": synth.orphans_,
        "single": synth._single,
    }
    try:  # what we write must be what we accept
        parse_synthesizer(json.loads(json.dumps(doc)), models=set(names))
    except ArtifactError as exc:
        raise ArtifactError(
            f"cannot save: the synthesizer's state does not pass the model-file checks "
            f"({exc.bare_message})",
            table=exc.table,
            fix="this is a bug in synthohive; please report it with the metadata",
        ) from None

    def write(writer: ArtifactWriter) -> None:
        writer.write_json("synthesizer", doc)
        if synth.profile_ is not None:
            writer.write_json("profile", synth.profile_.to_json_obj())
        if synth.dp_ is not None:
            writer.write_json("dp", synth.dp_)
        tables = writer.child("tables")
        for k, name in enumerate(synth._order):
            model = synth._models.get(name)
            if model is not None:
                model.save(tables.child(str(k)))
            if name in synth._copies:
                tables.child(str(k)).write_json(
                    "copy", copied_rows_to_json(name, synth._copies[name])
                )

    digest = save_model_file(path, write, models=names, signing_key=signing_key)
    log.info("synthesizer.saved", path=os.fspath(path), tables=len(synth._order), sha256=digest)
    return digest


def load_synthesizer(
    cls: type[Synthesizer],
    path: str | os.PathLike[str] | bytes,
    *,
    expected_sha256: str | None = None,
    signing_key: bytes | str | None = None,
    device: str = "cpu",
) -> Synthesizer:
    """Verify and read a model file written by :func:`save_synthesizer`."""
    from synthohive.artifacts.modelfile import read_model_file

    mf = read_model_file(path, expected_sha256=expected_sha256, signing_key=signing_key)
    reader: ArtifactReader = mf.reader
    doc, metadata = parse_synthesizer(reader.read_json("synthesizer"), models=set(mf.models))
    plans = [TablePlan.from_doc(p) for p in doc.plans]
    settings = doc.settings.model_dump()
    try:
        synth = cls(metadata, device=device, **settings)
    except (ArtifactError, PluginNotFoundError):
        raise  # a model plugin missing here is an environment problem, not a corrupt file
    except SynthoHiveError as exc:
        raise ArtifactIntegrityError(
            f"{MEMBER}: settings are not accepted: {exc.bare_message}", fix=_FIX
        ) from None
    synth._order = list(doc.order)
    synth._plans = {p.name: p for p in plans}
    synth.orphans_ = dict(doc.orphans)
    synth._single = doc.single
    if reader.has("dp"):
        record = reader.read_json("dp")
        if not isinstance(record, dict):
            raise ArtifactIntegrityError("dp.json is not an object")
        synth.dp_ = record
    if reader.has("profile"):
        from synthohive.validation.profile import ReferenceProfile

        try:
            synth.profile_ = ReferenceProfile.from_json_obj(reader.read_json("profile"))
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            raise ArtifactIntegrityError(f"profile.json is malformed: {exc}") from None
    from synthohive.registry import get_registry

    registry = get_registry()
    tables = reader.child("tables")
    for k, plan in enumerate(plans):
        where = f"tables/{k} (table {plan.name!r})"
        if plan.strategy == "copy":
            raw_copy = tables.child(str(k)).read_json("copy")
            synth._copies[plan.name] = copied_rows_from_json(plan, raw_copy)
            continue
        if not plan.has_model or plan.model_name is None:
            continue
        model_cls = registry.get_model(plan.model_name)
        try:
            model = model_cls.load(tables.child(str(k)), device=device)
        except SynthoHiveError:
            raise
        except (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise ArtifactIntegrityError(
                f"{where}: the model state is malformed ({type(exc).__name__}: {exc})", fix=_FIX
            ) from None
        _check_model(model, plan, metadata, where)
        synth._models[plan.name] = model
    synth.fitted = True
    log.info("synthesizer.loaded", tables=len(doc.order), sha256=mf.sha256)
    return synth


def parse_synthesizer(
    raw: Any, *, models: set[str] | None = None
) -> tuple[SynthesizerDoc, Metadata]:
    """Validate a decoded ``synthesizer.json``: schema and bounds, then cross-references.

    ``models`` are the model plugins the manifest lists (a plan may only use those). Raises
    :class:`IncompatibleArtifactError` for another format version and
    :class:`ArtifactIntegrityError` naming the field for anything else.
    """
    if not isinstance(raw, dict):
        raise ArtifactIntegrityError(f"{MEMBER} is not a JSON object", fix=_FIX)
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
        raise ArtifactIntegrityError(f"{MEMBER}: {path}: {message}{more}", table=table, fix=_FIX)
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
            f"{MEMBER}: {long}: text longer than {MAX_TEXT} characters", fix=_FIX
        )
    try:
        metadata = Metadata.model_validate(raw, strict=False)
    except ValidationError as exc:
        err = schema_error(exc, f"{MEMBER} metadata")
        raise ArtifactIntegrityError(err.bare_message, fix=_FIX) from None
    if metadata.schema_version != SCHEMA_VERSION:
        raise IncompatibleArtifactError(
            f"{MEMBER}: metadata schema_version {metadata.schema_version} is not supported "
            f"(this synthohive reads {SCHEMA_VERSION})",
            fix="load it with the synthohive version that saved it",
        )
    tables = metadata.tables
    if len(tables) > MAX_TABLES or any(len(t.columns) > 10_000 for t in tables.values()):
        raise ArtifactIntegrityError(f"{MEMBER}: metadata: too many tables or columns", fix=_FIX)
    try:
        validate_metadata(metadata)
        graph.check_relations(metadata)
        graph.topological_order(metadata)
    except SynthoHiveError as exc:
        raise ArtifactIntegrityError(
            f"{MEMBER}: metadata: {exc.bare_message}",
            table=exc.table,
            column=exc.column,
            fix=_FIX,
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


def learned_columns(plan: TablePlan) -> list[str]:
    """The columns a table's model learns: the plan's model columns as its constraints
    rewrite them, and with an ordered sequence's index replaced by its start and gap."""
    from synthohive.constraints.apply import restore_constraints
    from synthohive.metadata.schema import Column
    from synthohive.synthesizer.sequences import GAP, SequenceState

    columns = {c: Column(sdtype="numerical") for c in plan.model_columns}
    for constraint in restore_constraints(plan.name, plan.constraints):
        columns = constraint.model_columns(columns)
    names = list(columns)
    if plan.sequence is not None:
        index = SequenceState.from_dict(plan.sequence).index
        names = [c for c in names if c != index] + [GAP]
    return names


def context_columns(plan: TablePlan) -> list[str]:
    """The context columns a table's model is conditioned on: the parent's, then an ordered
    sequence's previous-row columns (when its model sees them)."""
    from synthohive.synthesizer.sequences import SequenceState

    out = list(plan.context_columns)
    if plan.sequence is not None:
        state = SequenceState.from_dict(plan.sequence)
        if state.memory:
            out += state.context_columns()
    return out


def _check_model(model: Any, plan: TablePlan, metadata: Metadata, where: str) -> None:
    """A loaded model must learn exactly the plan's columns (and context) under its name."""
    columns = [str(c) for c in getattr(model, "columns", [])]
    problem = None
    if getattr(model, "name", None) != plan.model_name:
        problem = f"holds model {getattr(model, 'name', None)!r}, the plan says {plan.model_name!r}"
    elif columns != learned_columns(plan):
        problem = "learned other columns than the plan's modelled and count columns"
    else:
        ctx = getattr(model, "context_table", None)
        if ctx is not None and (
            plan.context_relation is None or set(ctx.columns) != set(context_columns(plan))
        ):
            problem = "is conditioned on other parent columns than the plan's context_columns"
    if problem:
        raise ArtifactIntegrityError(f"{where}: the model {problem}", table=plan.name, fix=_FIX)


def copied_rows_to_json(table: str, frame: pd.DataFrame) -> dict[str, Any]:
    """The rows of a copied table as strict JSON: per column its null positions and values."""
    from synthohive.models.codecs import values_to_json

    columns = {}
    for col in frame.columns:
        series = frame[col]
        null = series.isna().to_numpy()
        columns[str(col)] = {
            "nulls": [int(i) for i in null.nonzero()[0]],
            "values": values_to_json(series[~null].tolist(), table=table, column=str(col)),
        }
    return {"rows": len(frame), "columns": columns}


class CopyValuesDoc(BaseModel):
    """One copied column's non-null values (see ``models.codecs.values_to_json``)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    type: Literal["str", "bool", "int", "float", "datetime", "timedelta"]
    values: list[Any] = Field(max_length=MAX_COPY_ROWS)
    tz: Annotated[str, StringConstraints(max_length=64)] | None = None


class CopyColumnDoc(BaseModel):
    """One copied column: the row positions of its nulls and its other values in order."""

    model_config = ConfigDict(extra="forbid", strict=True)

    nulls: list[Annotated[int, Field(ge=0, lt=MAX_COPY_ROWS)]] = Field(max_length=MAX_COPY_ROWS)
    values: CopyValuesDoc


class CopyDoc(BaseModel):
    """Schema of ``tables/<k>/copy.json``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    rows: Annotated[int, Field(ge=0, le=MAX_COPY_ROWS)]
    columns: dict[Name, CopyColumnDoc] = Field(max_length=10_000)


_INT64 = (-(2**63), 2**63 - 1)
_VALUE_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "bool": (bool,),
    "int": (int,),
    "float": (float, int),
    "datetime": (int,),
    "timedelta": (int,),
}


def _copy_column_problem(doc: CopyColumnDoc, n: int) -> str | None:
    """Why one copied column cannot be rebuilt with ``n`` rows (None when it can)."""
    nulls, values = doc.nulls, doc.values
    if len(nulls) + len(values.values) != n:
        return f"holds {len(nulls)} nulls and {len(values.values)} values, not {n} rows"
    if any(b <= a for a, b in itertools.pairwise(nulls)) or (nulls and nulls[-1] >= n):
        return "null positions must be increasing row numbers below the row count"
    allowed = _VALUE_TYPES[values.type]
    for v in values.values:
        if not isinstance(v, allowed) or (isinstance(v, bool) and bool not in allowed):
            return f"holds a {type(v).__name__} among {values.type!r} values"
        wide = isinstance(v, int) and not _INT64[0] <= v <= _INT64[1]
        if wide and values.type != "float":
            return "holds an integer outside the 64-bit range"
    if values.tz is not None:
        if values.type != "datetime":
            return "only datetime values have a timezone"
        from synthohive.artifacts.checks import require_timezone

        try:
            require_timezone(values.tz, member="copy.json")
        except ArtifactIntegrityError:
            return f"timezone {values.tz!r} is not a known IANA timezone"
    return None


def copied_rows_from_json(plan: TablePlan, raw: Any) -> pd.DataFrame:
    """Inverse of :func:`copied_rows_to_json`, checked against the table's plan."""
    from synthohive.models.codecs import values_from_json

    member = f"copied rows of {plan.name!r}"
    try:
        doc = CopyDoc.model_validate(raw)
    except ValidationError as exc:
        err = schema_error(exc, member)
        raise ArtifactIntegrityError(err.bare_message, table=plan.name, fix=_FIX) from None
    expected = [c for c in plan.labels if c not in plan.filled]
    expected += list(plan.count_columns.values())
    expected += [c for cols in plan.sequence_columns.values() for c in cols]

    def bad(message: str, column: str | None = None) -> ArtifactIntegrityError:
        return ArtifactIntegrityError(
            f"{member} are malformed: {message}", table=plan.name, column=column, fix=_FIX
        )

    if sorted(doc.columns) != sorted(expected):
        raise bad(f"columns {sorted(doc.columns)[:5]} do not match the plan {sorted(expected)[:5]}")
    n = doc.rows
    if n != plan.n_rows:
        raise bad(f"{n} rows, the plan says {plan.n_rows}")
    out: dict[str, pd.Series] = {}
    for col in expected:
        column = doc.columns[col]
        problem = _copy_column_problem(column, n)
        if problem:
            raise bad(f"{field_path(['columns', col])} {problem}", column=col)
        values = values_from_json(
            column.values.model_dump(exclude_none=True) | {"tz": column.values.tz}
        )
        series = pd.Series([None] * n, dtype=object)
        present = pd.Series(True, index=range(n))
        present.iloc[column.nulls] = False
        series[present.to_numpy()] = pd.Series(values, dtype=object).to_numpy()
        out[col] = series
    frame = pd.DataFrame(out, columns=expected)
    return frame.infer_objects()
