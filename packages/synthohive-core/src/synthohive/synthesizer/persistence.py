"""Saving and loading a fitted :class:`~synthohive.synthesizer.Synthesizer` as one model file.

Members (through :mod:`synthohive.artifacts.modelfile`, so the file is hashed, optionally
signed, and never pickled):

* ``synthesizer.json`` - format version, settings, metadata (detection reasons stripped), the
  generation order, one :class:`~synthohive.synthesizer.plan.TablePlan` per table (structure and
  key styles only, never data values) and orphan counts seen at fit;
* ``tables/<k>/...`` - the model of the ``k``-th table in generation order, written by the
  model's own ``save``; for a table whose strategy is ``copy``, ``tables/<k>/copy.json``
  holds its rows (keys and modelled columns, never PII/text, which are filled at sample time).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pandas as pd

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
            if name in synth._copies:
                tables.child(str(k)).write_json(
                    "copy", copied_rows_to_json(name, synth._copies[name])
                )

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
        if plan.strategy == "copy":
            raw_copy = tables.child(str(k)).read_json("copy")
            synth._copies[plan.name] = copied_rows_from_json(plan, raw_copy)
            continue
        if not plan.has_model or plan.model_name is None:
            continue
        model_cls = registry.get_model(plan.model_name)
        synth._models[plan.name] = model_cls.load(tables.child(str(k)), device=device)
    synth.fitted = True
    log.info("synthesizer.loaded", tables=len(order), sha256=mf.sha256)
    return synth


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


def copied_rows_from_json(plan: TablePlan, raw: Any) -> pd.DataFrame:
    """Inverse of :func:`copied_rows_to_json`, checked against the table's plan."""
    from synthohive.models.codecs import values_from_json

    expected = [c for c in plan.labels if c not in plan.filled]
    expected += list(plan.count_columns.values())
    try:
        n = int(raw["rows"])
        cols = raw["columns"]
        if sorted(cols) != sorted(expected) or not 0 <= n <= 10_000_000:
            raise ValueError(f"columns {sorted(cols)} do not match the plan {sorted(expected)}")
        out: dict[str, pd.Series] = {}
        for col in expected:
            nulls = [int(i) for i in cols[col]["nulls"]]
            values = values_from_json(cols[col]["values"])
            if len(values) + len(nulls) != n or any(not 0 <= i < n for i in nulls):
                raise ValueError(f"column {col!r} does not hold {n} rows")
            series = pd.Series([None] * n, dtype=object)
            present = pd.Series(True, index=range(n))
            present.iloc[nulls] = False
            series[present.to_numpy()] = pd.Series(values, dtype=object).to_numpy()
            out[col] = series
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactIntegrityError(f"copied rows of {plan.name!r} are malformed: {exc}") from None
    frame = pd.DataFrame(out, columns=expected)
    return frame.infer_objects()
