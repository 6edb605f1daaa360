"""The model protocol: ``GenerativeModel`` owns public ``fit``/``sample``/``save``/``load``.

A model author subclasses :class:`GenerativeModel`, sets ``name`` (the registry key) and
``Params`` (a pydantic model of hyper-parameters) and writes ``_fit``, ``_sample``, ``_save``
and ``_load``. The base class validates inputs, resolves seeds, logs and raises typed errors,
so every model behaves the same to users.

Data a model sees: ``data`` holds only the table's modelled columns (keys and PII removed by
the synthesizer) described by ``table`` (a :class:`~synthohive.metadata.Table`); ``context``
(optional, row-aligned with ``data``) holds parent attributes described by ``context_table``.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from synthohive.artifacts.api import ArtifactReader, ArtifactWriter
from synthohive.errors import (
    DataError,
    EmptyTableError,
    IncompatibleArtifactError,
    InvalidDataError,
    NotFittedError,
    SynthoHiveError,
    TooFewRowsError,
)
from synthohive.frames import check_frame
from synthohive.log import get_logger
from synthohive.metadata.schema import Table

log = get_logger(__name__)

MIN_ROWS = 10


class ModelParams(BaseModel):
    """Hyper-parameters of a model. Subclass per model; unknown keys are rejected."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def describe_params_error(exc: ValidationError, params: type[ModelParams]) -> str:
    """One line per problem of a parameter ``ValidationError``, with a did-you-mean for
    unknown names (instead of pydantic's multi-line dump with a web address)."""
    import difflib

    fields = sorted(params.model_fields)
    parts = []
    for err in exc.errors():
        name = ".".join(str(x) for x in err.get("loc", ())) or "?"
        if err.get("type") == "extra_forbidden":
            close = difflib.get_close_matches(name, fields, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            parts.append(f"unknown parameter {name!r}{hint}")
        else:
            parts.append(f"{name}: {err.get('msg', 'invalid value')} (got {err.get('input')!r})")
    return "; ".join(parts)


def resolve_seed(seed: int | None) -> int:
    """A concrete 63-bit seed: ``seed`` itself, or fresh entropy when ``None``."""
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0] >> 1)
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise DataError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


_ALLOWED_OBJECT_KINDS = frozenset(
    {"string", "integer", "floating", "mixed-integer-float", "boolean", "empty", "decimal"}
)


def check_values(data: pd.DataFrame, table: str | None) -> None:
    """Reject object columns that mix value types (numbers with strings, dicts, ...); labels
    and ±inf are checked before, by :func:`synthohive.frames.check_frame`."""
    for i in range(data.shape[1]):
        col = data.iloc[:, i]
        if not pd.api.types.is_object_dtype(col.dtype):
            continue
        kind = pd.api.types.infer_dtype(col, skipna=True)
        if kind not in _ALLOWED_OBJECT_KINDS:
            raise InvalidDataError(
                f"object column holds values of mixed or unsupported types ({kind})",
                table=table,
                column=str(data.columns[i]),
                fix="cast the column to one type, e.g. df[col].astype(str) for labels, "
                "pd.to_numeric for numbers or pd.to_datetime for dates",
            )


@dataclass(frozen=True)
class Between:
    """A range condition: ``sample(conditions={"age": Between(30, 40)})`` keeps the column's
    value in ``[low, high]`` (numbers, or dates as timestamps or text). Exact for any model:
    a model with ``supports_range_conditions`` samples inside the range directly (the copula
    truncates its latent dimension), others are sampled and filtered by the synthesizer within
    a bounded budget."""

    low: Any
    high: Any

    def __post_init__(self) -> None:
        try:
            ordered = bool(pd.Timestamp(self.low) <= pd.Timestamp(self.high))
        except (TypeError, ValueError):
            try:
                ordered = bool(self.low <= self.high)
            except TypeError:
                ordered = False
        if not ordered:
            raise DataError(
                f"Between({self.low!r}, {self.high!r}) is not a range: low must not exceed high",
                fix="give the lower bound first",
            )

    def holds(self, values: pd.Series) -> np.ndarray:
        """Which of ``values`` lie in the range (nulls do not)."""
        if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
            values.dtype
        ):
            x = values.to_numpy(dtype="float64", na_value=np.nan)
            with np.errstate(invalid="ignore"):
                return (x >= float(self.low)) & (x <= float(self.high))
        stamps = pd.to_datetime(values, errors="coerce", format="mixed")
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        low, high = (_naive(self.low), _naive(self.high))
        return ((stamps >= low) & (stamps <= high)).fillna(False).to_numpy(dtype=bool)


def _naive(value: Any) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp


class GenerativeModel(ABC):
    """Base class of every generative model (built-in or plugin)."""

    name: ClassVar[str]
    """Registry key, e.g. ``"gaussian_copula"`` or ``"ctgan"``."""
    supports_context: ClassVar[bool] = False
    """Whether ``fit``/``sample`` accept a parent ``context`` frame (needed for child tables)."""
    supports_conditions: ClassVar[bool] = False
    """Whether ``sample(conditions=...)`` fixes categorical values without rejection."""
    supports_sequences: ClassVar[bool] = False
    """Whether the model can learn ordered child sequences: the synthesizer passes the
    previous row's values as extra context columns (context support is all it takes)."""
    supports_range_conditions: ClassVar[bool] = False
    """Whether ``sample(conditions=...)`` also takes :class:`Between` ranges on numbers and
    dates (without it, the synthesizer samples and keeps the rows inside the range)."""
    Params: ClassVar[type[ModelParams]] = ModelParams
    min_rows: ClassVar[int] = MIN_ROWS
    """Fewest training rows ``fit`` accepts (``TooFewRowsError`` below it)."""
    supports_dp: ClassVar[bool] = False
    """Whether the model's ``Params`` take ``dp`` (a :class:`~synthohive.privacy.dp.DPConfig`)
    and every statistic it learns from the rows is then differentially private."""

    def __init__(
        self,
        params: ModelParams | dict[str, Any] | None = None,
        *,
        device: str = "auto",
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        try:
            if isinstance(params, ModelParams):
                merged = {**params.model_dump(), **kwargs}
            else:
                merged = {**(params or {}), **kwargs}
            self.params = self.Params.model_validate(merged)
        except ValidationError as exc:
            problems = describe_params_error(exc, self.Params)
            raise DataError(
                f"invalid parameters for model {self.name!r}: {problems}",
                fix=f"valid parameters: {', '.join(sorted(self.Params.model_fields)) or 'none'}",
            ) from None
        self.device = device
        self.seed = seed
        self.table: Table | None = None
        self.context_table: Table | None = None
        self.columns: list[Any] = []
        self.fitted = False
        self.dp_: dict[str, Any] | None = None
        """What a differentially private fit spent (epsilon, delta, accountant, queries)."""
        self._init_state()

    def _init_state(self) -> None:
        """Set the subclass's own unfitted state (learned arrays, networks); called last by
        ``__init__``, so ``self.params`` is already validated. Override it instead of
        ``__init__``; a model whose ``_fit`` can run twice calls it again to forget."""
        return None  # nothing by default

    # ------------------------------------------------------------------------------------------
    def fit(
        self,
        data: pd.DataFrame,
        *,
        table: Table,
        context: pd.DataFrame | None = None,
        context_table: Table | None = None,
        progress: bool | None = None,
    ) -> Self:
        """Learn ``data`` (modelled columns of ``table``), optionally conditioned on ``context``."""
        self._check_fit_input(data, table, context)
        if context is not None and context_table is None:
            from synthohive.metadata.detect import detect_table

            context_table = detect_table(context, name=f"{table.name}.context")
        self.table = table
        self.context_table = context_table
        self.columns = list(data.columns)
        self.dp_ = None
        if getattr(self.params, "dp", None) is not None and not self.supports_dp:
            raise DataError(
                f"model {self.name!r} does not support differential privacy",
                table=table.name,
                fix="use a model that does (gaussian_copula, ctgan, tvae), or drop dp",
            )
        started = time.perf_counter()
        log.info(
            "fit.start",
            model=self.name,
            table=table.name,
            rows=len(data),
            columns=len(data.columns),
            context=context is not None,
        )
        self._fit(
            data,
            context=context,
            progress=progress,
            seed=resolve_seed(self.seed),
        )
        self.fitted = True
        log.info(
            "fit.end",
            model=self.name,
            table=table.name,
            seconds=round(time.perf_counter() - started, 3),
        )
        return self

    def sample(
        self,
        n: int,
        *,
        context: pd.DataFrame | None = None,
        conditions: dict[str, Any] | None = None,
        seed: int | None = None,
    ) -> pd.DataFrame:
        """Generate ``n`` rows; ``context`` (exactly ``n`` rows) conditions each row."""
        if not self.fitted:
            raise NotFittedError(
                f"model {self.name!r} is not fitted", fix="call fit(data, table=...) first"
            )
        tname = self.table.name if self.table else None
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n <= 0:
            raise DataError(
                f"n must be a positive integer, got {n!r}",
                table=tname,
                fix="ask for at least one row",
            )
        if context is not None:
            if not isinstance(context, pd.DataFrame):
                raise DataError(
                    f"context must be a pandas DataFrame, got {type(context).__name__}",
                    table=tname,
                )
            if not self.supports_context:
                raise DataError(f"model {self.name!r} does not support context", table=tname)
            if self.context_table is None:
                raise DataError("model was fitted without context; sample without it", table=tname)
            if len(context) != n:
                raise DataError(
                    f"context has {len(context)} rows but n={n}",
                    table=tname,
                    fix="pass one context row per requested row",
                )
            have = {str(c) for c in context.columns}
            missing = [c for c in self.context_table.columns if c not in have]
            if missing:
                raise DataError(f"context lacks columns {missing}", table=tname)
        elif self.context_table is not None and self.supports_context:
            raise DataError(
                "model was fitted with context; sample needs a context frame of n rows",
                table=tname,
                fix="pass context=... (the parent rows of the new rows)",
            )
        if conditions:
            self._check_conditions(conditions)
        out = self._sample(
            int(n),
            context=context,
            conditions=conditions,
            seed=resolve_seed(seed if seed is not None else self.seed),
        )
        if len(out) != n:
            raise SynthoHiveError(
                f"model {self.name!r} returned {len(out)} rows, expected {n}", table=tname
            )
        return out[self.columns]

    # --- persistence -------------------------------------------------------------------------
    def save(self, writer: ArtifactWriter) -> None:
        """Write parameters, metadata and learned state through ``writer``."""
        if not self.fitted or self.table is None:
            raise NotFittedError(f"model {self.name!r} is not fitted; nothing to save")
        writer.write_json(
            "model",
            {
                "name": self.name,
                "params": self.params.model_dump(mode="json"),
                "table": self.table.model_dump(mode="json"),
                "context_table": self.context_table.model_dump(mode="json")
                if self.context_table
                else None,
                "columns": [str(c) for c in self.columns],
                "column_types": [type(c).__name__ for c in self.columns],
                "dp": self.dp_,
            },
        )
        self._save(writer.child("state"))

    @classmethod
    def load(cls, reader: ArtifactReader, *, device: str = "cpu") -> Self:
        """Rebuild a fitted model from ``reader`` (no code from the file is executed)."""
        head = reader.read_json("model")
        try:
            if head["name"] != cls.name:
                raise IncompatibleArtifactError(
                    f"model file holds model {head['name']!r}, not {cls.name!r}"
                )
            model = cls(head["params"], device=device)
            model.table = Table.model_validate(head["table"])
            ctx = head.get("context_table")
            model.context_table = Table.model_validate(ctx) if ctx else None
            model.columns = [
                int(c) if t == "int" else c
                for c, t in zip(head["columns"], head["column_types"], strict=True)
            ]
            dp = head.get("dp")
            if dp is not None and not isinstance(dp, dict):
                raise TypeError(f"dp record is a {type(dp).__name__}, not an object")
            model.dp_ = dp
        except (KeyError, TypeError, ValueError, ValidationError) as exc:
            from synthohive.errors import ArtifactIntegrityError

            raise ArtifactIntegrityError(f"model header is malformed: {exc}") from None
        except DataError as exc:
            raise IncompatibleArtifactError(str(exc)) from None
        model._load(reader.child("state"))
        model.fitted = True
        return model

    # --- for authors -------------------------------------------------------------------------
    @abstractmethod
    def _fit(
        self,
        data: pd.DataFrame,
        *,
        context: pd.DataFrame | None,
        progress: bool | None,
        seed: int,
    ) -> None:
        """Learn from validated data. ``self.table``/``self.context_table`` are set."""

    @abstractmethod
    def _sample(
        self,
        n: int,
        *,
        context: pd.DataFrame | None,
        conditions: dict[str, Any] | None,
        seed: int,
    ) -> pd.DataFrame:
        """Return exactly ``n`` rows with the columns (and dtypes) seen at fit."""

    @abstractmethod
    def _save(self, writer: ArtifactWriter) -> None:
        """Write learned state (JSON, arrays, tensors)."""

    @abstractmethod
    def _load(self, reader: ArtifactReader) -> None:
        """Read learned state written by ``_save``; validate shapes and ranges."""

    # --- shared validation -------------------------------------------------------------------
    def _check_fit_input(
        self, data: pd.DataFrame, table: Table, context: pd.DataFrame | None
    ) -> None:
        tname = table.name
        if not isinstance(data, pd.DataFrame):
            raise InvalidDataError(
                f"expected a pandas DataFrame, got {type(data).__name__}", table=tname
            )
        if data.shape[1] == 0:
            raise EmptyTableError(
                "table has no columns to model", table=tname, fix="keep at least one non-key column"
            )
        if len(data) == 0:
            raise EmptyTableError(
                "table has no rows",
                table=tname,
                fix=f"fit on a table with at least {self.min_rows} rows",
            )
        if len(data) < self.min_rows:
            raise TooFewRowsError(
                f"table has {len(data)} rows; at least {self.min_rows} are needed to learn from",
                table=tname,
                fix="fit on more rows",
            )
        check_frame(data, tname)
        unknown = [c for c in data.columns if str(c) not in table.columns]
        if unknown:
            raise InvalidDataError(
                f"columns {unknown} are not described by the metadata",
                table=tname,
                fix="update the metadata or drop the columns",
            )
        check_values(data, tname)
        if context is not None:
            if not isinstance(context, pd.DataFrame):
                raise InvalidDataError(
                    f"context must be a pandas DataFrame, got {type(context).__name__}",
                    table=tname,
                )
            check_frame(context, f"{tname}.context")
            check_values(context, f"{tname}.context")
            if not self.supports_context:
                raise DataError(
                    f"model {self.name!r} does not support context",
                    table=tname,
                    fix="choose a model with supports_context=True",
                )
            if len(context) != len(data):
                raise DataError(
                    f"context has {len(context)} rows but data has {len(data)}",
                    table=tname,
                    fix="pass one context row per data row",
                )

    def _check_conditions(self, conditions: dict[str, Any]) -> None:
        from synthohive.errors import UnknownConditionValueError

        tname = self.table.name if self.table else None
        if not self.supports_conditions:
            raise DataError(f"model {self.name!r} does not support conditions", table=tname)
        for col, value in conditions.items():
            if col not in self.columns:
                raise UnknownConditionValueError(
                    f"unknown condition column; columns: {self.columns}",
                    table=tname,
                    column=str(col),
                )
            if isinstance(value, Between) and not self.supports_range_conditions:
                raise DataError(
                    f"model {self.name!r} does not take range conditions",
                    table=tname,
                    column=str(col),
                    fix="sample through a Synthesizer, which filters to the range",
                )
