"""One table's data path, decided at fit time and stored in the model file.

Every column of a table falls into exactly one group:

* **keys** (primary-key columns, foreign-key columns, ``id`` sdtype) - generated, never learned;
* **filled** (``pii`` and ``text`` sdtypes) - dropped before training and filled at sample time
  by privacy providers, so no real value ever reaches a model;
* **modelled** - everything else, handed to the table's model (plus one ``__n_<k>`` count column
  per relation in which the table is the parent).

:class:`TablePlan` records that split together with what is needed to restore the caller's
frame exactly: column labels (integer labels round-trip), order and dtypes. Its stored form
is checked by :class:`~synthohive.synthesizer.plan_doc.TablePlanDoc`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from synthohive.log import get_logger
from synthohive.metadata.schema import Column, Metadata
from synthohive.synthesizer.keys import KeySpec, learn_key_spec
from synthohive.synthesizer.plan_doc import TablePlanDoc

log = get_logger(__name__)

FILLED_SDTYPES = ("pii", "text")

V = TypeVar("V")


@dataclass
class TablePlan:
    """How one table is learned and regenerated."""

    name: str
    labels: list[str]
    label_types: list[str]
    dtypes: dict[str, str]
    primary_key: list[str] = field(default_factory=list)
    key_specs: dict[str, KeySpec] = field(default_factory=dict)
    grouped_keys: list[str] = field(default_factory=list)
    filled: list[str] = field(default_factory=list)
    fill_profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    locale: str | None = None
    modelled: list[str] = field(default_factory=list)
    count_columns: dict[int, str] = field(default_factory=dict)
    count_caps: dict[int, int] = field(default_factory=dict)
    count_means: dict[int, float] = field(default_factory=dict)
    count_max: dict[int, int] = field(default_factory=dict)
    count_hist: dict[int, list[list[int]]] = field(default_factory=dict)
    """Exact children-per-parent histogram of the full tables, ``[[children, parents], ...]``
    by relation, when the fit read a sample (:mod:`synthohive.synthesizer.source_stats`)."""
    context_relation: int | None = None
    context_columns: list[str] = field(default_factory=list)
    null_share: dict[int, float] = field(default_factory=dict)
    n_rows: int = 0
    source_rows: int | None = None
    """The table's full row count when ``n_rows`` were a sample of it (see
    :func:`scale_to_source`); root tables are generated at this size at scale 1."""
    source_stats: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Full-data statistics of modelled columns when ``n_rows`` were a sample (see
    :mod:`synthohive.synthesizer.source_stats`); applied to every generated chunk."""
    model_name: str | None = None
    has_model: bool = False
    strategy: str = "model"
    strategy_reason: str = ""
    shared_fill: dict[str, tuple[int, str, float]] = field(default_factory=dict)
    """PII column -> (relation to a parent, parent PII column, share of rows equal to it)."""
    constraints: list[dict[str, Any]] = field(default_factory=list)
    """Fitted constraints of the table, in the order they were applied: ``{"kind", "params",
    "state"}`` (JSON; see :mod:`synthohive.constraints.apply`)."""
    sequence: dict[str, Any] | None = None
    """How an ordered child sequence rebuilds its index (JSON; see
    :mod:`synthohive.synthesizer.sequences`)."""
    sequence_columns: dict[int, list[str]] = field(default_factory=dict)
    """Per relation whose child is an ordered sequence: the parent's learned columns holding
    the sequence's start and span (learned with the parent's attributes and count)."""

    @property
    def model_columns(self) -> list[str]:
        """Columns of the model's training frame: modelled columns then count columns."""
        seq = [c for cols in self.sequence_columns.values() for c in cols]
        return [*self.modelled, *self.count_columns.values(), *seq]

    def original_labels(self) -> list[Any]:
        """Column labels as the caller had them (integers restored)."""
        return [
            int(c) if t == "int" else c for c, t in zip(self.labels, self.label_types, strict=True)
        ]

    @property
    def output_labels(self) -> list[str]:
        """Labels of the synthetic output: all columns but PII left out by privacy ``drop``."""
        return [c for c in self.labels if c not in self.dropped]

    def original_output_labels(self) -> list[Any]:
        """:attr:`output_labels` as the caller had them (integers restored)."""
        keep = set(self.output_labels)
        return [o for c, o in zip(self.labels, self.original_labels(), strict=True) if c in keep]

    # --- JSON ----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (holds no data values, only structure and key styles)."""
        return (
            {
                "name": self.name,
                "labels": self.labels,
                "label_types": self.label_types,
                "dtypes": self.dtypes,
                "primary_key": self.primary_key,
                "key_specs": {k: v.to_dict() for k, v in self.key_specs.items()},
                "grouped_keys": self.grouped_keys,
                "filled": self.filled,
                "fill_profiles": self.fill_profiles,
                "dropped": self.dropped,
                "locale": self.locale,
                "modelled": self.modelled,
                "count_columns": {str(k): v for k, v in self.count_columns.items()},
                "count_caps": {str(k): v for k, v in self.count_caps.items()},
                "count_means": {str(k): v for k, v in self.count_means.items()},
                "count_max": {str(k): v for k, v in self.count_max.items()},
                "context_relation": self.context_relation,
                "context_columns": self.context_columns,
                "null_share": {str(k): v for k, v in self.null_share.items()},
                "n_rows": self.n_rows,
                "model_name": self.model_name,
                "has_model": self.has_model,
                "strategy": self.strategy,
                "strategy_reason": self.strategy_reason,
                "shared_fill": {k: list(v) for k, v in self.shared_fill.items()},
            }
            | ({"source_rows": self.source_rows} if self.source_rows else {})
            | ({"source_stats": self.source_stats} if self.source_stats else {})
            | (
                {"count_hist": {str(k): v for k, v in self.count_hist.items()}}
                if self.count_hist
                else {}
            )
            | ({"constraints": self.constraints} if self.constraints else {})
            | ({"sequence": self.sequence} if self.sequence is not None else {})
            | (
                {"sequence_columns": {str(k): v for k, v in self.sequence_columns.items()}}
                if self.sequence_columns
                else {}
            )
        )

    @classmethod
    def from_dict(cls, raw: Any) -> TablePlan:
        """Inverse of :meth:`to_dict`, validated by :class:`TablePlanDoc`.

        Raises ``pydantic.ValidationError`` whose errors name the bad field.
        """
        return cls.from_doc(TablePlanDoc.model_validate(raw))

    @classmethod
    def from_doc(cls, doc: TablePlanDoc) -> TablePlan:
        """A plan from its validated stored form."""
        return cls(
            name=doc.name,
            labels=list(doc.labels),
            label_types=list(doc.label_types),
            dtypes=dict(doc.dtypes),
            primary_key=list(doc.primary_key),
            key_specs={k: KeySpec(**v.model_dump()) for k, v in doc.key_specs.items()},
            grouped_keys=list(doc.grouped_keys),
            filled=list(doc.filled),
            fill_profiles={
                k: v.model_dump(exclude_none=True) for k, v in doc.fill_profiles.items()
            },
            dropped=list(doc.dropped),
            locale=doc.locale,
            modelled=list(doc.modelled),
            # by relation index, as at fit: stored JSON orders the keys as text ("10" < "9")
            count_columns=_by_index(doc.count_columns),
            count_caps=_by_index(doc.count_caps),
            count_means=_by_index(doc.count_means),
            count_max=_by_index(doc.count_max),
            count_hist={k: [list(p) for p in v] for k, v in _by_index(doc.count_hist).items()},
            context_relation=doc.context_relation,
            context_columns=list(doc.context_columns),
            null_share=_by_index(doc.null_share),
            n_rows=doc.n_rows,
            source_rows=doc.source_rows,
            source_stats={k: v.model_dump(exclude_none=True) for k, v in doc.source_stats.items()},
            model_name=doc.model_name,
            has_model=doc.has_model,
            strategy=doc.strategy,
            strategy_reason=doc.strategy_reason,
            shared_fill={k: (v[0], v[1], v[2]) for k, v in doc.shared_fill.items()},
            constraints=[dict(c) for c in doc.constraints],
            sequence=None if doc.sequence is None else dict(doc.sequence),
            sequence_columns={int(k): list(v) for k, v in doc.sequence_columns.items()},
        )


def _by_index(raw: dict[Any, V]) -> dict[int, V]:
    """A relation-indexed dict with integer keys in index order."""
    return {int(k): raw[k] for k in sorted(raw, key=int)}


def build_plan(
    metadata: Metadata,
    name: str,
    frame: pd.DataFrame,
    label_types: list[str],
    context_relation: int | None,
    drop: set[str] | None = None,
    locale: str | None = None,
) -> TablePlan:
    """Split ``frame``'s columns (already ``str``-labelled) into keys, filled and modelled.

    ``drop`` names PII/text columns left out of the output (privacy strategy ``drop``);
    ``locale`` is the default locale of the fake values.
    """
    table = metadata.tables[name]
    fk_cols: set[str] = set()
    null_share: dict[int, float] = {}
    count_columns: dict[int, str] = {}
    count_caps: dict[int, int] = {}
    pk = list(table.primary_key or [])
    for i, fk in enumerate(metadata.relations):
        if fk.child == name:
            fk_cols.update(fk.child_columns)
            nulls = frame[fk.child_columns].isna().any(axis=1)
            null_share[i] = float(nulls.mean()) if len(frame) else 0.0
        if fk.parent == name:
            from synthohive.synthesizer.cardinality import count_column

            count_columns[i] = count_column(i)
            child_pk = metadata.tables[fk.child].primary_key or []
            if child_pk and set(child_pk) <= set(fk.child_columns):
                count_caps[i] = 1  # one-to-one: the child's key is the foreign key
    key_specs: dict[str, KeySpec] = {}
    grouped: list[str] = []
    filled: list[str] = []
    modelled: list[str] = []
    pk_fk = [c for c in pk if c in fk_cols]
    for col, meta in table.columns.items():
        if col in fk_cols:
            continue
        if col in pk or meta.sdtype == "id":
            if meta.sdtype in FILLED_SDTYPES:
                filled.append(col)  # a PII primary key: unique fake values
                continue
            key_specs[col] = learn_key_spec(frame[col])
            if col in pk and pk_fk and key_specs[col].kind == "int":
                grouped.append(col)  # e.g. (order_id, line_no): numbered within the group
        elif meta.sdtype in FILLED_SDTYPES:
            filled.append(col)
        else:
            modelled.append(col)
    profiles = {c: _profile(frame[c], table.columns[c]) for c in filled}
    dtypes = {str(c): str(frame[c].dtype) for c in frame.columns}
    for col in fk_cols:
        if _whole_floats(frame[col]):
            dtypes[col] = "Int64"  # a nullable integer key read from CSV: keep it an integer
    return TablePlan(
        name=name,
        labels=[str(c) for c in frame.columns],
        label_types=label_types,
        dtypes=dtypes,
        primary_key=pk,
        key_specs=key_specs,
        grouped_keys=grouped,
        filled=filled,
        dropped=[c for c in filled if c in (drop or set()) and c not in pk],
        locale=locale,
        fill_profiles=profiles,
        modelled=modelled,
        count_columns=count_columns,
        count_caps=count_caps,
        context_relation=context_relation,
        null_share=null_share,
        n_rows=len(frame),
    )


def _whole_floats(series: pd.Series) -> bool:
    """A float column whose values are all whole numbers (nulls allowed)."""
    if not pd.api.types.is_float_dtype(series.dtype):
        return False
    values = series.dropna().to_numpy(dtype="float64")
    return bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))


def _profile(series: pd.Series, column: Column) -> dict[str, Any]:
    """Aggregate shape of a PII/text column (never a raw value) for the fake-value providers."""
    from synthohive.privacy.providers import learn_profile

    return dict(learn_profile(series, column))


def dropped_columns(metadata: Metadata, name: str, privacy: Any) -> set[str]:
    """PII/text columns whose privacy strategy is ``drop`` (left out of the output)."""
    strategies = dict(getattr(privacy, "strategies", None) or {})
    default = getattr(privacy, "default_strategy", None)
    keys = {c for fk in metadata.relations if fk.child == name for c in fk.child_columns}
    out = set()
    for col, meta in metadata.tables[name].columns.items():
        if meta.sdtype not in ("pii", "text") or col in keys:
            continue
        strategy = (
            strategies.get(f"{name}.{col}")
            or (strategies.get(col) if len(metadata.tables) == 1 else None)
            or meta.strategy
            or default
        )
        if strategy == "drop":
            out.add(col)
    return out


#: ``DataFrame.attrs`` key a connector sets on a bounded read: the table's full row count.
SOURCE_ROWS = "synthohive.source_rows"


def scale_to_source(
    plans: dict[str, TablePlan], source: dict[str, tuple[int, int]], *, dp: bool
) -> None:
    """Give each plan learned from a sample of its table (``source``: full and read row
    counts) the full count, less the share of rows the fit dropped (orphans), so scale 1
    generates as many rows as the source holds. Not under differential privacy: a table's
    exact size is a statistic of its rows."""
    for name, (total, read) in source.items():
        plan = plans.get(name)
        if plan is None or plan.strategy == "copy" or read <= 0:
            continue
        if dp:
            log.warning(
                "synthesizer.source_rows_ignored",
                table=name,
                reason="the full row count is exact; under DP the noisy count of the sample "
                "is used",
            )
            continue
        plan.source_rows = max(plan.n_rows, round(total * plan.n_rows / read))
        log.info("synthesizer.sampled_source", table=name, rows=plan.n_rows, source=total)
