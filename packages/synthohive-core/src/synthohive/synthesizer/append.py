"""Appending to a target that already holds rows: generated keys continue after its keys.

``Synthesizer.sample(sink=..., mode="append")`` asks :func:`append_offsets` for a row offset
per table. ``KeySpec.generate`` turns global row ``r`` into key ``start + r`` (integers) or
``prefix + zfill(start + r) + suffix`` (patterns such as ``INV-000123``), so an offset of
``max_existing - start + 1`` makes every new key larger than every key already there; foreign
keys point at parents generated in the same run, so they stay valid too.

* Integer keys: the connector's ``column_max(table, column)`` when it has one (SQL: one
  ``SELECT MAX``), else the maximum of ``read(table, columns=[column])``.
* Pattern keys: the largest number among existing values with the model's prefix and suffix
  (a value in another style can never equal a generated one).
* UUID keys take no offset. So that a second append with the same seed does not draw the
  same UUIDs (and the same rows) again, :meth:`AppendPlan.seed` derives the run's seed from
  the seed and what the target holds whenever it holds rows.
* Copied reference tables (strategy ``copy``, real keys) are written when the target lacks
  them (offset 0) and skipped when it already holds every copied key (offset 1: a
  continuation run, see ``streaming.generate``); a target holding other rows is refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from synthohive.errors import ConnectorError, DataError
from synthohive.log import get_logger

if TYPE_CHECKING:
    from synthohive.connectors.base import Connector
    from synthohive.synthesizer.fitted import FittedSchema
    from synthohive.synthesizer.keys import KeySpec

log = get_logger(__name__)


def existing_tables(connector: Connector) -> set[str]:
    """Tables the target holds now (none when its folder does not exist yet)."""
    try:
        return set(connector.list_tables())
    except ConnectorError:
        if _folder_missing(connector):
            return set()
        raise


def _folder_missing(connector: Connector) -> bool:
    folder = getattr(connector, "folder", None)
    return folder is not None and not folder.exists()


def _column(connector: Connector, table: str, column: str) -> pd.Series:
    return connector.read(table, columns=[column])[column]


def _pattern_max(values: pd.Series, prefix: str, suffix: str) -> int | None:
    """Largest number ``N`` among values written ``prefix + digits + suffix``."""
    text = values.dropna().astype(str)
    if prefix:
        text = text[text.str.startswith(prefix)].str.slice(len(prefix))
    if suffix:
        text = text[text.str.endswith(suffix)].str.slice(0, -len(suffix))
    digits = text[text.str.fullmatch(r"[0-9]+")].str.lstrip("0")
    if digits.empty:
        return None
    lengths = digits.str.len()
    top = str(digits[lengths == lengths.max()].max())
    return int(top) if top else 0


def _as_int(value: Any) -> int | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return math.floor(value)


def key_max(connector: Connector, table: str, column: str, spec: KeySpec) -> int | None:
    """The largest row-derived number among ``table.column``'s values in the target (``None``
    when it holds none, or the key is not derived from row numbers, e.g. UUIDs)."""
    if spec.kind == "uuid":
        return None
    if spec.kind == "int":
        column_max = getattr(connector, "column_max", None)
        if callable(column_max):
            raw = column_max(table, column)
            if not isinstance(raw, str):  # a text column's MAX is not the numeric maximum
                return _as_int(raw)
        values = pd.to_numeric(_column(connector, table, column), errors="coerce")
        return _as_int(values.max())
    return _pattern_max(_column(connector, table, column), spec.prefix, spec.suffix)


def _key_tuples(frame: pd.DataFrame) -> set[tuple[str, ...]]:
    out = frame.copy()
    for col in out.columns:
        num = pd.to_numeric(out[col], errors="coerce")
        if num.notna().all() and len(num) and (num == np.floor(num)).all():
            out[col] = num.astype("int64")
    return set(out.dropna().astype(str).itertuples(index=False, name=None))


def _copy_offset(fitted: FittedSchema, connector: Connector, name: str) -> int:
    """0: write the copied table; 1: the target already holds it (children reuse its keys)."""
    copy = fitted.copies.get(name)
    plan = fitted.plans[name]
    keys = list(plan.primary_key) or [
        c for fk in fitted.metadata.relations if fk.parent == name for c in fk.parent_columns
    ]
    keys = list(dict.fromkeys(keys))
    target = connector.read(name, columns=keys) if keys else connector.read(name)
    if len(target) == 0:
        return 0
    if copy is None or not keys:
        return 1
    missing = _key_tuples(copy[keys]) - _key_tuples(target[keys])
    if missing:
        raise DataError(
            f"cannot append: the target's {name!r} holds other rows than the reference data "
            f"the model copies ({len(missing)} copied key(s) missing), so new rows would "
            "reference keys that are not there",
            table=name,
            fix="append to a target written by this model, or use mode='overwrite'",
        )
    return 1


@dataclass
class AppendPlan:
    """Per-table row offsets for an append, and what the target held (for the seed)."""

    offsets: dict[str, int] = field(default_factory=dict)
    held: list[int] = field(default_factory=list)
    """Per table already in the target: its key offset, or its row count when no key is
    derived from row numbers (UUIDs); empty when the target holds none of the tables."""

    def seed(self, seed: int) -> int:
        """``seed`` when the target held nothing; else one derived from it and :attr:`held`:
        the same target and seed give the same rows, a later append draws new ones (new
        UUIDs and fake values included) instead of repeating them."""
        if not any(self.held):
            return seed
        state = np.random.SeedSequence([seed, *self.held])
        return int(state.generate_state(1, dtype=np.uint64)[0] >> 2)


def append_offsets(fitted: FittedSchema, connector: Connector, base: int = 0) -> AppendPlan:
    """Row offset per table so that keys appended to ``connector`` continue after its keys
    (at least ``base``, the caller's own ``row_offset``)."""
    present = existing_tables(connector)
    plan = AppendPlan()
    for name in fitted.order:
        table = fitted.plans[name]
        if name not in present:
            plan.offsets[name] = base
            continue
        if table.strategy == "copy":
            plan.offsets[name] = max(base, _copy_offset(fitted, connector, name))
            continue
        need = base
        derived = False
        for col, spec in table.key_specs.items():
            if col in table.grouped_keys:
                continue  # numbered within a new parent: unique through the parent's key
            top = key_max(connector, name, col, spec)
            derived = derived or spec.kind != "uuid"
            if top is not None:
                need = max(need, top - spec.start + 1)
        plan.offsets[name] = need
        if derived:
            plan.held.append(need)
        else:
            first = table.output_labels[0] if table.output_labels else None
            frame = connector.read(name, columns=[first]) if first else connector.read(name)
            plan.held.append(len(frame))
    log.info("sample.append_offsets", offsets=plan.offsets)
    return plan


__all__ = ["AppendPlan", "append_offsets", "existing_tables", "key_max"]
