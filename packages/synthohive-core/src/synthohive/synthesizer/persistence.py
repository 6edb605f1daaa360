"""Saving and loading a fitted :class:`~synthohive.synthesizer.Synthesizer` as one model file.

Members (through :mod:`synthohive.artifacts.modelfile`, so the file is hashed, optionally
signed, and never pickled):

* ``synthesizer.json`` - format version, settings, metadata (detection reasons stripped), the
  generation order, one :class:`~synthohive.synthesizer.plan.TablePlan` per table (structure and
  key styles only, never data values) and orphan counts seen at fit;
* ``tables/<k>/...`` - the model of the ``k``-th table in generation order, written by the
  model's own ``save``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from synthohive.errors import ArtifactIntegrityError, NotFittedError
from synthohive.log import get_logger
from synthohive.metadata.schema import Metadata
from synthohive.synthesizer.plan import TablePlan

if TYPE_CHECKING:
    from synthohive.artifacts.api import ArtifactReader, ArtifactWriter
    from synthohive.synthesizer.core import Synthesizer

log = get_logger(__name__)

FORMAT = 1


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

    def write(writer: ArtifactWriter) -> None:
        writer.write_json(
            "synthesizer",
            {
                "format": FORMAT,
                "settings": synth._settings(),
                "metadata": public_metadata(synth.metadata),
                "order": synth._order,
                "plans": [synth._plans[t].to_dict() for t in synth._order],
                "orphans": synth.orphans_,
                "single": synth._single,
            },
        )
        if synth.profile_ is not None:
            writer.write_json("profile", synth.profile_.to_json_obj())
        tables = writer.child("tables")
        for k, name in enumerate(synth._order):
            model = synth._models.get(name)
            if model is not None:
                model.save(tables.child(str(k)))

    names = sorted({m.name for m in synth._models.values()})
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
    raw = reader.read_json("synthesizer")
    try:
        if raw["format"] != FORMAT:
            from synthohive.errors import IncompatibleArtifactError

            raise IncompatibleArtifactError(
                f"synthesizer format {raw['format']!r} is not supported (expected {FORMAT})",
                fix="load it with the synthohive version that saved it",
            )
        metadata = Metadata.model_validate(raw["metadata"])
        settings = dict(raw["settings"])
        order = [str(t) for t in raw["order"]]
        plans = [TablePlan.from_dict(p) for p in raw["plans"]]
        orphans = {str(k): int(v) for k, v in raw["orphans"].items()}
        single = bool(raw["single"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactIntegrityError(f"synthesizer.json is malformed: {exc}") from None
    if sorted(order) != sorted(metadata.tables) or [p.name for p in plans] != order:
        raise ArtifactIntegrityError("synthesizer.json: tables, order and plans disagree")
    synth = cls(metadata, device=device, **settings)
    synth._order = order
    synth._plans = {p.name: p for p in plans}
    synth.orphans_ = orphans
    synth._single = single
    if reader.has("profile"):
        from synthohive.validation.profile import ReferenceProfile

        try:
            synth.profile_ = ReferenceProfile.from_json_obj(reader.read_json("profile"))
        except (TypeError, ValueError) as exc:
            raise ArtifactIntegrityError(f"profile.json is malformed: {exc}") from None
    from synthohive.registry import get_registry

    registry = get_registry()
    tables = reader.child("tables")
    for k, plan in enumerate(plans):
        if not plan.has_model or plan.model_name is None:
            continue
        model_cls = registry.get_model(plan.model_name)
        synth._models[plan.name] = model_cls.load(tables.child(str(k)), device=device)
    synth.fitted = True
    log.info("synthesizer.loaded", tables=len(order), sha256=mf.sha256)
    return synth
