"""Saving a :class:`~synthohive.synthesizer.fitted.FittedSchema` as one model file, and
loading it back.

Members (through :mod:`synthohive.artifacts.modelfile`, so the file is hashed, optionally
signed, and never pickled):

* ``synthesizer.json`` - settings, metadata, order and plans (see
  :mod:`~synthohive.synthesizer.file_schema`);
* ``profile.json`` and ``dp.json`` - the reference profile and the DP record, when the fit
  has them;
* ``tables/<k>/...`` - the model of the ``k``-th table in generation order, written by the
  model's own ``save``; for a table whose strategy is ``copy``, ``tables/<k>/copy.json``
  holds its rows (see :mod:`~synthohive.synthesizer.copies`).

Loading validates ``synthesizer.json`` before building anything, then each copied table and
each loaded model against its plan. Every problem raises
:class:`~synthohive.errors.ArtifactIntegrityError` naming the field.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from synthohive.errors import (
    ArtifactError,
    ArtifactIntegrityError,
    PluginNotFoundError,
    SynthoHiveError,
)
from synthohive.log import get_logger
from synthohive.metadata.schema import Metadata
from synthohive.synthesizer.copies import copied_rows_from_json, copied_rows_to_json
from synthohive.synthesizer.file_schema import (
    CORRUPT_FIX,
    FORMAT,
    MEMBER,
    parse_synthesizer,
    public_metadata,
)
from synthohive.synthesizer.fitted import FittedSchema
from synthohive.synthesizer.plan import TablePlan
from synthohive.synthesizer.settings import FitOptions, check_options

if TYPE_CHECKING:
    import pandas as pd

    from synthohive.artifacts.api import ArtifactReader, ArtifactWriter
    from synthohive.models.base import GenerativeModel

log = get_logger(__name__)


def save(
    fitted: FittedSchema, path: str | os.PathLike[str], *, signing_key: bytes | str | None = None
) -> str:
    """Write ``fitted`` to the model file ``path``; returns the file's SHA-256."""
    from synthohive.artifacts.modelfile import save_model_file

    names = sorted({m.name for m in fitted.models.values()})
    doc = {
        "format": FORMAT,
        "settings": fitted.options.saved(),
        "metadata": public_metadata(fitted.metadata),
        "order": fitted.order,
        "plans": [fitted.plans[t].to_dict() for t in fitted.order],
        "orphans": fitted.orphans,
        "single": fitted.single,
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
        if fitted.profile is not None:
            writer.write_json("profile", fitted.profile.to_json_obj())
        if fitted.dp is not None:
            writer.write_json("dp", fitted.dp)
        tables = writer.child("tables")
        for k, name in enumerate(fitted.order):
            model = fitted.models.get(name)
            if model is not None:
                model.save(tables.child(str(k)))
            if name in fitted.copies:
                tables.child(str(k)).write_json(
                    "copy", copied_rows_to_json(name, fitted.copies[name])
                )

    digest = save_model_file(path, write, models=names, signing_key=signing_key)
    log.info("synthesizer.saved", path=os.fspath(path), tables=len(fitted.order), sha256=digest)
    return digest


def load(
    path: str | os.PathLike[str] | bytes,
    *,
    expected_sha256: str | None = None,
    signing_key: bytes | str | None = None,
    device: str = "cpu",
) -> FittedSchema:
    """Verify and read a model file written by :func:`save` (no code in it can run); its
    models are loaded on ``device``."""
    from synthohive.artifacts.modelfile import read_model_file

    mf = read_model_file(path, expected_sha256=expected_sha256, signing_key=signing_key)
    reader: ArtifactReader = mf.reader
    doc, metadata = parse_synthesizer(reader.read_json("synthesizer"), models=set(mf.models))
    plans = [TablePlan.from_doc(p) for p in doc.plans]
    try:
        options = check_options(metadata, FitOptions(device=device, **doc.settings.model_dump()))
    except (ArtifactError, PluginNotFoundError):
        raise  # a model plugin missing here is an environment problem, not a corrupt file
    except SynthoHiveError as exc:
        raise ArtifactIntegrityError(
            f"{MEMBER}: settings are not accepted: {exc.bare_message}", fix=CORRUPT_FIX
        ) from None
    dp: dict[str, Any] | None = None
    if reader.has("dp"):
        dp = reader.read_json("dp")
        if not isinstance(dp, dict):
            raise ArtifactIntegrityError("dp.json is not an object")
    profile = None
    if reader.has("profile"):
        from synthohive.validation.profile import ReferenceProfile

        try:
            profile = ReferenceProfile.from_json_obj(reader.read_json("profile"))
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            raise ArtifactIntegrityError(f"profile.json is malformed: {exc}") from None
    from synthohive.registry import get_registry

    registry = get_registry()
    tables = reader.child("tables")
    copies: dict[str, pd.DataFrame] = {}
    models: dict[str, GenerativeModel] = {}
    for k, plan in enumerate(plans):
        where = f"tables/{k} (table {plan.name!r})"
        if plan.strategy == "copy":
            raw_copy = tables.child(str(k)).read_json("copy")
            copies[plan.name] = copied_rows_from_json(plan, raw_copy)
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
                f"{where}: the model state is malformed ({type(exc).__name__}: {exc})",
                fix=CORRUPT_FIX,
            ) from None
        _check_model(model, plan, metadata, where)
        models[plan.name] = model
    log.info("synthesizer.loaded", tables=len(doc.order), sha256=mf.sha256)
    return FittedSchema(
        metadata=metadata,
        order=list(doc.order),
        plans={p.name: p for p in plans},
        models=models,
        options=options,
        copies=copies,
        single=doc.single,
        orphans=dict(doc.orphans),
        profile=profile,
        dp=dp,
    )


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
        raise ArtifactIntegrityError(
            f"{where}: the model {problem}", table=plan.name, fix=CORRUPT_FIX
        )
