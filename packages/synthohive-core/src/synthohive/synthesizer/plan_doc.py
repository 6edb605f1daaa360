"""The schema of a stored :class:`~synthohive.synthesizer.plan.TablePlan` in a model file.

:class:`TablePlanDoc` checks one plan from ``synthesizer.json``: types, bounds (names, row
counts, relation indexes) and the plan's own consistency (:func:`plan_problems`); dtype names
are checked by :func:`check_dtype_name` before anything is cast to them. Checks against the
metadata are made by :mod:`~synthohive.synthesizer.file_schema`, which knows the whole schema.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    field_validator,
)
from pydantic import model_validator as _model_validator

from synthohive.synthesizer.keys import KeySpecDoc

MAX_NAME = 1024
"""Longest table or column name a model file may hold."""
MAX_COLUMNS = 10_000
MAX_RELATIONS = 10_000
MAX_ROWS = 10**12
"""Largest row count (or children per parent) a model file may declare."""
MAX_TEXT = 4096
MAX_CATEGORIES = 100_000
"""Most categories one column's stored full-data shares may hold."""

Name = Annotated[str, StringConstraints(max_length=MAX_NAME)]
Index = Annotated[str, StringConstraints(pattern=r"^(0|[1-9][0-9]{0,5})$")]
Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=MAX_ROWS)]
ModelName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")]
Locale = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}(_[A-Za-z0-9]{2,8}){0,2}$")]
SharedFill = Annotated[
    tuple[
        Annotated[int, Strict(), Field(ge=0, lt=MAX_RELATIONS)],
        Annotated[str, Strict(), StringConstraints(max_length=MAX_NAME)],
        Annotated[float, Strict(), Field(ge=0.0, le=1.0, allow_inf_nan=False)],
    ],
    Field(strict=False),  # a JSON array: (relation, parent column, share); items stay strict
]
_DTYPE_TEXT = re.compile(r"^[A-Za-z][A-Za-z0-9_\[\]<>(), /:+.=-]{0,199}$")
_INT_LABEL = re.compile(r"^-?(0|[1-9][0-9]{0,18})$")


def check_dtype_name(text: str) -> str:
    """``text`` must name a dtype that casting to cannot blow up memory or run foreign code.

    Fixed-width bytes/str/void numpy dtypes (``U100000000``) are refused, also inside pandas'
    ``Sparse``/``interval`` dtypes; extension dtypes must come from pandas itself. An Arrow
    type pandas cannot parse back (``decimal128(10, 2)[pyarrow]``) is kept as written: such a
    column is restored without a cast.
    """
    if not _DTYPE_TEXT.match(text):
        raise ValueError(f"{text!r} is not a dtype name")
    try:
        dtype = pd.api.types.pandas_dtype(text)
    except Exception:  # pandas raises TypeError/ValueError/KeyError/NotImplementedError...
        if text.endswith("[pyarrow]"):
            return text
        raise ValueError(f"{text!r} is not a dtype pandas knows") from None
    inner: Any = dtype
    if not isinstance(dtype, np.dtype):
        if type(dtype).__module__.split(".")[0] != "pandas":
            raise ValueError(f"dtype {text!r} is not a pandas dtype")
        inner = getattr(dtype, "subtype", None)
    if isinstance(inner, np.dtype) and inner.kind not in "biufcmMO":
        raise ValueError(f"dtype {text!r} is not allowed (fixed-width bytes/str/void)")
    return text


class FillProfileDoc(BaseModel):
    """Schema of a PII/text column's fill profile (see ``privacy.providers.learn_profile``)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    null_rate: Share = 0.0
    phone_shapes: (
        list[Annotated[str, StringConstraints(pattern=r"^[0-9d +().-]{1,40}$")]] | None
    ) = Field(default=None, max_length=16)
    phone_weights: list[Share] | None = Field(default=None, max_length=16)
    free_mail_share: Share | None = None
    case: Literal["upper", "lower"] | None = None
    dashes: bool | None = None
    ipv6_share: Share | None = None
    min_year: int | None = Field(default=None, ge=1, le=9999)
    max_year: int | None = Field(default=None, ge=1, le=9999)
    mean_length: float | None = Field(default=None, ge=0.0, le=1e9, allow_inf_nan=False)
    mean_words: float | None = Field(default=None, ge=1.0, le=1e6, allow_inf_nan=False)

    @_model_validator(mode="after")
    def _consistent(self) -> FillProfileDoc:
        shapes, weights = self.phone_shapes, self.phone_weights
        if (shapes is None) != (weights is None) or len(shapes or []) != len(weights or []):
            raise ValueError("phone_shapes and phone_weights must have the same length")
        if weights and abs(sum(weights) - 1.0) > 1e-6:
            raise ValueError("phone_weights must sum to 1")
        low, high = self.min_year, self.max_year
        if low is not None and high is not None and low > high:
            raise ValueError("min_year is after max_year")
        return self


class SourceStatDoc(BaseModel):
    """One column's stored full-data statistics (see :mod:`~synthohive.synthesizer.
    source_stats`): category shares, or ``[full min, sample min, low tail, high tail,
    sample max, full max]`` of a number or datetime (nanoseconds)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    kind: Literal["category", "numerical", "datetime"]
    shares: dict[Annotated[str, StringConstraints(max_length=MAX_TEXT)], Share] | None = Field(
        default=None, max_length=MAX_CATEGORIES
    )
    bounds: list[Annotated[float, Field(allow_inf_nan=False)]] | None = Field(
        default=None, min_length=6, max_length=6
    )
    low: list[Annotated[float, Field(allow_inf_nan=False)]] | None = Field(
        default=None, min_length=1, max_length=64
    )
    high: list[Annotated[float, Field(allow_inf_nan=False)]] | None = Field(
        default=None, min_length=1, max_length=64
    )

    @_model_validator(mode="after")
    def _shape(self) -> SourceStatDoc:
        category = self.kind == "category"
        if category != (self.shares is not None) or category == (self.bounds is not None):
            raise ValueError(f"a {self.kind} statistic holds {'shares' if category else 'bounds'}")
        if self.bounds is not None and self.bounds != sorted(self.bounds):
            raise ValueError("bounds must be in increasing order")
        if (self.low is None) != (self.high is None) or (self.low and self.bounds is None):
            raise ValueError("tail quantiles come as low and high, with bounds")
        if self.low is not None and self.high is not None and self.bounds is not None:
            from synthohive.synthesizer.source_stats import TAIL_GRID

            lo, hi = self.bounds[0], self.bounds[-1]
            for tail in (self.low, self.high):
                if len(tail) != len(TAIL_GRID) or tail != sorted(tail) or tail[0] < lo:
                    raise ValueError("tail quantiles must be increasing, one per grid point")
                if tail[-1] > hi:
                    raise ValueError("tail quantiles must lie within the bounds")
        return self


class TablePlanDoc(BaseModel):
    """Schema of one stored :class:`TablePlan`: types, bounds and the plan's own consistency.

    Checks against the metadata (columns, relations, sdtypes) are made by the loader
    (:mod:`synthohive.synthesizer.persistence`), which knows the whole schema.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    name: Name
    labels: list[Name] = Field(max_length=MAX_COLUMNS)
    label_types: list[Literal["int", "str"]] = Field(max_length=MAX_COLUMNS)
    dtypes: dict[Name, str] = Field(max_length=MAX_COLUMNS)
    primary_key: list[Name] = Field(max_length=MAX_COLUMNS)
    key_specs: dict[Name, KeySpecDoc] = Field(max_length=MAX_COLUMNS)
    grouped_keys: list[Name] = Field(max_length=MAX_COLUMNS)
    filled: list[Name] = Field(max_length=MAX_COLUMNS)
    fill_profiles: dict[Name, FillProfileDoc] = Field(default_factory=dict, max_length=MAX_COLUMNS)
    dropped: list[Name] = Field(default_factory=list, max_length=MAX_COLUMNS)
    locale: Locale | None = None
    modelled: list[Name] = Field(max_length=MAX_COLUMNS)
    count_columns: dict[Index, Name] = Field(max_length=MAX_RELATIONS)
    count_caps: dict[Index, Count] = Field(max_length=MAX_RELATIONS)
    count_means: dict[Index, Annotated[float, Field(ge=0.0, le=MAX_ROWS, allow_inf_nan=False)]] = (
        Field(default_factory=dict, max_length=MAX_RELATIONS)
    )
    count_max: dict[Index, Count] = Field(default_factory=dict, max_length=MAX_RELATIONS)
    count_hist: dict[
        Index,
        Annotated[
            list[Annotated[list[Count], Field(min_length=2, max_length=2)]],
            Field(max_length=MAX_CATEGORIES),
        ],
    ] = Field(default_factory=dict, max_length=MAX_RELATIONS)
    context_relation: Annotated[int, Field(ge=0, lt=MAX_RELATIONS)] | None
    context_columns: list[Name] = Field(max_length=MAX_COLUMNS)
    null_share: dict[Index, Share] = Field(max_length=MAX_RELATIONS)
    n_rows: Count
    source_rows: Count | None = None
    source_stats: dict[Name, SourceStatDoc] = Field(default_factory=dict, max_length=MAX_COLUMNS)
    model_name: ModelName | None
    has_model: bool
    strategy: Literal["model", "copy", "independent"] = "model"
    strategy_reason: str = Field(default="", max_length=MAX_TEXT)
    shared_fill: dict[Name, SharedFill] = Field(default_factory=dict, max_length=MAX_COLUMNS)
    constraints: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_COLUMNS)
    sequence: dict[str, Any] | None = None
    sequence_columns: dict[Index, list[Name]] = Field(
        default_factory=dict, max_length=MAX_RELATIONS
    )

    @field_validator("sequence")
    @classmethod
    def _sequence(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        if v is not None:
            from synthohive.synthesizer.sequences import SequenceState

            try:
                state = SequenceState.from_dict(v)
                check_dtype_name(state.dtype)
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"sequence: {exc}") from None
        return v

    @field_validator("dtypes")
    @classmethod
    def _dtypes(cls, v: dict[str, str]) -> dict[str, str]:
        for col, text in v.items():
            try:
                check_dtype_name(text)
            except ValueError as exc:
                raise ValueError(f"column {col!r}: {exc}") from None
        return v

    @_model_validator(mode="after")
    def _consistent(self) -> TablePlanDoc:
        problems = plan_problems(self)
        if problems:
            raise ValueError("; ".join(problems[:3]))
        return self


def plan_problems(doc: TablePlanDoc) -> list[str]:
    """Contradictions inside one plan (each names the field), without the metadata."""
    out: list[str] = []
    labels = set(doc.labels)

    def unknown(field: str, cols: Any) -> None:
        bad = [c for c in cols if c not in labels]
        if bad:
            out.append(f"{field} names columns {bad[:3]} that are not in labels")

    if len(labels) != len(doc.labels):
        out.append("labels repeat a column")
    if len(doc.label_types) != len(doc.labels):
        out.append("label_types and labels differ in length")
    for label, kind in zip(doc.labels, doc.label_types, strict=False):
        if kind == "int" and not _INT_LABEL.match(label):
            out.append(f"label_types says {label!r} is an integer label")
    if set(doc.dtypes) != labels:
        out.append("dtypes must give one dtype per label")
    if set(doc.source_stats) - set(doc.modelled):
        out.append("source_stats names columns that are not modelled")
    for fieldname in ("primary_key", "key_specs", "filled", "modelled", "fill_profiles"):
        unknown(fieldname, getattr(doc, fieldname))
    for fieldname in ("primary_key", "filled", "modelled", "grouped_keys", "dropped"):
        values = getattr(doc, fieldname)
        if len(set(values)) != len(values):
            out.append(f"{fieldname} repeats a column")
    groups = {"key_specs": set(doc.key_specs), "filled": set(doc.filled)}
    groups["modelled"] = set(doc.modelled)
    names = list(groups)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            both = groups[a] & groups[b]
            if both:
                out.append(f"columns {sorted(both)[:3]} are in both {a} and {b}")
    bad_grouped = [
        c
        for c in doc.grouped_keys
        if c not in doc.key_specs or c not in doc.primary_key or doc.key_specs[c].kind != "int"
    ]
    if bad_grouped:
        out.append(f"grouped_keys {bad_grouped[:3]} must be integer primary-key key_specs")
    if not set(doc.dropped) <= set(doc.filled) or set(doc.dropped) & set(doc.primary_key):
        out.append("dropped must name filled columns outside the primary key")
    if not set(doc.fill_profiles) <= set(doc.filled):
        out.append("fill_profiles must name filled columns")
    if not set(doc.shared_fill) <= set(doc.filled):
        out.append("shared_fill must name filled columns")
    from synthohive.synthesizer.cardinality import count_column

    for k, col in doc.count_columns.items():
        if col != count_column(int(k)) or col in labels:
            out.append(f"count_columns[{k}] must be {count_column(int(k))!r}")
    from synthohive.synthesizer.sequences import sequence_columns

    for k, cols in doc.sequence_columns.items():
        if k not in doc.count_columns or cols != sequence_columns(int(k)):
            out.append(f"sequence_columns[{k}] must be {sequence_columns(int(k))!r}")
    for fieldname in ("count_caps", "count_means", "count_max", "count_hist"):
        extra = sorted(set(getattr(doc, fieldname)) - set(doc.count_columns))
        if extra:
            out.append(f"{fieldname} has relations {extra[:3]} without a count column")
    if doc.context_relation is None and doc.context_columns:
        out.append("context_columns are set but context_relation is null")
    if len(set(doc.context_columns)) != len(doc.context_columns):
        out.append("context_columns repeats a column")
    if doc.has_model and doc.model_name is None:
        out.append("has_model is true but model_name is null")
    if doc.strategy == "copy" and doc.has_model:
        out.append("a copied table (strategy 'copy') has no model")
    if not doc.has_model and doc.strategy != "copy" and doc.modelled and doc.n_rows:
        out.append("modelled columns without a model")
    return out
