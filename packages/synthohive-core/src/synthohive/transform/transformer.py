"""The :class:`DataTransformer`: a table <-> float32 matrix, column by column."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from synthohive.errors import (
    ArtifactIntegrityError,
    DataError,
    EmptyTableError,
    IncompatibleArtifactError,
    InvalidDataError,
    MetadataError,
    NotFittedError,
    UnknownConditionValueError,
)
from synthohive.frames import InfPolicy, check_frame, without_infinities
from synthohive.log import get_logger
from synthohive.models.codecs import decode_value, encode_value
from synthohive.transform import datetimes as dtm
from synthohive.transform.base import ColumnCodec
from synthohive.transform.categorical import DiscreteCodec
from synthohive.transform.checks import check_object_column
from synthohive.transform.constant import ConstantCodec
from synthohive.transform.numerical import (
    ContinuousCodec,
    Source,
    int_range_fits,
)
from synthohive.transform.series import null_sentinel
from synthohive.transform.spans import SpanInfo

if TYPE_CHECKING:
    from typing import Self

    from synthohive.artifacts.api import ArtifactReader, ArtifactWriter
    from synthohive.metadata.schema import Column, Table

log = get_logger(__name__)

FORMAT_VERSION = 1
_CODECS: dict[str, type[ColumnCodec]] = {
    c.tag: c for c in (ContinuousCodec, DiscreteCodec, ConstantCodec)
}


class DataTransformer:
    """Reversible, vectorised encoding of a table for neural models (see the package doc).

    ``gmm_sample_rows`` bounds the rows each column's Bayesian GMM is fitted on;
    ``gmm_max_iter`` bounds its variational iterations; ``gmm_backend="fast"`` fits the
    Dirichlet-process mixture with the vectorised 1-d implementation in
    :mod:`synthohive.transform.vbgmm` (milliseconds per column), ``"sklearn"`` with
    scikit-learn's ``BayesianGaussianMixture`` (seconds per column);
    ``max_categories`` caps a discrete column's one-hot width (top-k plus an "other" slot);
    ``max_tail`` bounds how many tail categories are remembered for decoding "other";
    ``inf_policy="as_null"`` turns +-inf into nulls instead of raising. After ``fit``,
    ``notes`` lists the decisions worth reporting (unparseable datetime strings treated as
    nulls, categories capped, huge integers kept exact as discrete).
    """

    def __init__(
        self,
        *,
        max_modes: int = 10,
        gmm_sample_rows: int = 50_000,
        max_categories: int = 100,
        weight_threshold: float = 0.005,
        seed: int = 0,
        inf_policy: InfPolicy = "error",
        gmm_max_iter: int = 100,
        gmm_backend: Literal["fast", "sklearn"] = "fast",
        max_tail: int = 10_000,
        numeric_encoding: Literal["modes", "quantile"] = "modes",
    ) -> None:
        if max_modes < 1 or gmm_sample_rows < 2 or max_categories < 2 or gmm_max_iter < 1:
            raise DataError(
                "invalid DataTransformer settings",
                fix="give max_modes >= 1, gmm_sample_rows >= 2, max_categories >= 2 and "
                "gmm_max_iter >= 1",
            )
        if inf_policy not in ("error", "as_null"):
            raise DataError(f"invalid inf_policy {inf_policy!r}", fix="use 'error' or 'as_null'")
        self.max_modes = int(max_modes)
        self.gmm_sample_rows = int(gmm_sample_rows)
        self.max_categories = int(max_categories)
        self.weight_threshold = float(weight_threshold)
        self.seed = int(seed)
        self.inf_policy: InfPolicy = inf_policy
        self.gmm_max_iter = int(gmm_max_iter)
        self.max_tail = int(max_tail)
        if gmm_backend not in ("fast", "sklearn"):
            raise DataError(f"invalid gmm_backend {gmm_backend!r}", fix="use 'fast' or 'sklearn'")
        self.gmm_backend: Literal["fast", "sklearn"] = gmm_backend
        if numeric_encoding not in ("modes", "quantile"):
            raise DataError(
                f"invalid numeric_encoding {numeric_encoding!r}", fix="use 'modes' or 'quantile'"
            )
        self.numeric_encoding: Literal["modes", "quantile"] = numeric_encoding
        self.table_name: str | None = None
        self.output_info: list[SpanInfo] = []
        self.output_dim: int = 0
        self._labels: list[Any] = []
        self._codecs: list[ColumnCodec] = []
        self._starts: list[int] = []
        self.notes: list[dict[str, Any]] = []

    # --- introspection -------------------------------------------------------------------------
    @property
    def is_fitted(self) -> bool:
        """Whether ``fit`` (or ``load``) has run."""
        return self.table_name is not None

    @property
    def columns(self) -> list[str]:
        """Column names (``str`` of the labels) in output order."""
        return [c.name for c in self._codecs]

    @property
    def discrete_spans(self) -> list[SpanInfo]:
        """Spans of kind ``discrete`` (what conditional vectors are built from)."""
        return [s for s in self.output_info if s.kind == "discrete"]

    @property
    def continuous_spans(self) -> list[SpanInfo]:
        """Spans of kind ``continuous``."""
        return [s for s in self.output_info if s.kind == "continuous"]

    def column_spans(self, column: str) -> list[SpanInfo]:
        """The spans of one column (empty for all-null or constant columns)."""
        self._codec(column)
        return [s for s in self.output_info if s.column == column]

    def category_span(self, column: str, value: object) -> tuple[int, int]:
        """``(span start, index within span)`` of ``value`` in a discrete column."""
        codec = self._codec(column)
        if not isinstance(codec, DiscreteCodec):
            raise UnknownConditionValueError(
                "only discrete (categorical/boolean) columns with a one-hot span can be "
                "conditioned on",
                table=self.table_name,
                column=column,
                fix=f"condition on one of {[c.name for c in self._discrete_codecs()]}",
            )
        span = self.column_spans(column)[0]
        return span.start, codec.category_index(value)

    def value_tolerance(self, column: str) -> float:
        """Largest decoding error (column units, before rounding) of an in-band value."""
        codec = self._codec(column)
        return codec.max_error() if isinstance(codec, ContinuousCodec) else 0.0

    def _discrete_codecs(self) -> list[DiscreteCodec]:
        return [c for c in self._codecs if isinstance(c, DiscreteCodec)]

    def _codec(self, column: str) -> ColumnCodec:
        self._check_fitted()
        for c in self._codecs:
            if c.name == column:
                return c
        raise UnknownConditionValueError(
            f"no such column; known columns: {self.columns}",
            table=self.table_name,
            column=column,
            fix="use one of the fitted column names",
        )

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(
                "the DataTransformer is not fitted", fix="call fit(data, table) or load() first"
            )

    # --- fit -----------------------------------------------------------------------------------
    def fit(self, data: pd.DataFrame, table: Table) -> Self:
        """Learn every column of ``data`` as described by ``table`` (sdtypes, formats)."""
        tname = table.name
        if not isinstance(data, pd.DataFrame):
            raise InvalidDataError(
                f"expected a pandas DataFrame, got {type(data).__name__}", table=tname
            )
        if len(data) == 0:
            raise EmptyTableError("the table has no rows", table=tname, fix="pass data rows")
        data = check_frame(data, tname, inf_policy=self.inf_policy)
        seeds = np.random.SeedSequence(self.seed).generate_state(max(1, data.shape[1]))
        self.notes = []
        self._fit_table = tname
        labels, codecs = [], []
        for i, label in enumerate(data.columns):
            name = str(label)
            try:
                encode_value(label)
            except TypeError:
                raise InvalidDataError(
                    f"column label of type {type(label).__name__} is not supported",
                    table=tname,
                    column=name,
                    fix="use str or int column names",
                ) from None
            col = table.columns.get(name)
            if col is None:
                raise MetadataError(
                    f"column is in the data but not in the metadata; known: {list(table.columns)}",
                    table=tname,
                    column=name,
                    fix="add the column to the metadata or drop it from the data",
                )
            series = data.iloc[:, i]
            check_object_column(series, tname, name)
            codecs.append(self._fit_column(series, col, tname, name, int(seeds[i])))
            labels.append(label)
        self.table_name = tname
        self._labels, self._codecs = labels, codecs
        self._build_spans()
        log.info(
            "transformer_fitted",
            table=tname,
            columns=len(codecs),
            rows=len(data),
            output_dim=self.output_dim,
        )
        return self

    def _fit_column(
        self, series: pd.Series, col: Column, table: str, name: str, seed: int
    ) -> ColumnCodec:
        sentinel = null_sentinel(series)
        source = self._source(series, col)
        if source is None:
            if series.isna().all():
                return ConstantCodec.fit(name, series, sentinel=sentinel, kind="discrete")
            codec = DiscreteCodec.fit(
                name,
                series,
                sentinel=sentinel,
                max_categories=self.max_categories,
                max_tail=self.max_tail,
                table=table,
            )
            codec.check_storable(table)
            if codec.has_other:
                self._note(
                    name,
                    "categories_capped",
                    kept=len(codec.values),
                    tail_kept=len(codec.tail_values),
                )
            return codec
        fmt = col.format
        values = series
        if source == "datetime_str":
            values, fmt, bad = dtm.parse_strings(series, fmt, table=table, column=name, strict=True)
            if bad:
                self._note(name, "unparseable_datetimes", count=bad, format=fmt)
        nulls = values.isna().to_numpy()
        if nulls.all() or values[~nulls].nunique() <= 1:
            return ConstantCodec.fit(name, series, sentinel=sentinel, kind="continuous")
        if source == "number" and not int_range_fits(series):
            self._note(name, "exact_int_as_discrete", reason="integer range exceeds 2**53")
            return DiscreteCodec.fit(
                name,
                series,
                sentinel=sentinel,
                max_categories=self.max_categories,
                max_tail=self.max_tail,
                table=table,
            )
        return ContinuousCodec.fit(
            name,
            values,
            nulls,
            source=source,
            dtype=series.dtype,
            sentinel=sentinel,
            rounding=col.rounding,
            fmt=fmt,
            max_modes=self.max_modes,
            sample_rows=self.gmm_sample_rows,
            max_iter=self.gmm_max_iter,
            weight_threshold=self.weight_threshold,
            seed=seed,
            backend=self.gmm_backend,
            encoding=self.numeric_encoding,
        )

    def _note(self, column: str, event: str, **fields: Any) -> None:
        """Record a fit decision in ``notes`` and log it."""
        self.notes.append({"column": column, "event": event, **fields})
        log.info(event, table=getattr(self, "_fit_table", None), column=column, **fields)

    @staticmethod
    def _source(series: pd.Series, col: Column) -> Source | None:
        """How a column is encoded: a continuous source, or ``None`` for discrete."""
        dtype = series.dtype
        if col.sdtype in ("categorical", "boolean") or pd.api.types.is_bool_dtype(dtype):
            return None
        if isinstance(dtype, pd.CategoricalDtype):
            return None
        if pd.api.types.is_datetime64_any_dtype(dtype):
            return "datetime"
        if pd.api.types.is_timedelta64_dtype(dtype):
            return "timedelta"
        if col.sdtype not in ("numerical", "datetime"):
            return None
        if pd.api.types.is_numeric_dtype(dtype):
            return "number"
        if pd.api.types.is_object_dtype(dtype):
            kind = pd.api.types.infer_dtype(series, skipna=True)
            if kind in ("integer", "floating", "mixed-integer-float"):
                return "number"
        if col.sdtype == "datetime" and pd.api.types.is_string_dtype(dtype):
            return "datetime_str"
        return None

    def _build_spans(self) -> None:
        info: list[SpanInfo] = []
        starts: list[int] = []
        pos = 0
        for codec in self._codecs:
            starts.append(pos)
            for kind, dim, act, role in codec.spans():
                info.append(SpanInfo(codec.name, kind, pos, dim, act, role))
                pos += dim
        self.output_info, self.output_dim, self._starts = info, pos, starts

    # --- transform / inverse -------------------------------------------------------------------
    def transform(self, data: pd.DataFrame, *, seed: int | None = None) -> np.ndarray:
        """Encode ``data`` (same columns as at fit, any order/index) as a float32 matrix."""
        self._check_fitted()
        by_name = {str(label): i for i, label in enumerate(data.columns)}
        missing = [c.name for c in self._codecs if c.name not in by_name]
        if missing:
            raise InvalidDataError(
                f"columns missing from the data: {missing}",
                table=self.table_name,
                fix="pass the same columns the transformer was fitted on",
            )
        rng = np.random.default_rng(self.seed if seed is None else seed)
        out = np.zeros((len(data), self.output_dim), dtype=np.float32)
        for codec, start in zip(self._codecs, self._starts, strict=True):
            if not codec.width:
                continue
            column = data.iloc[:, by_name[codec.name]]
            check_object_column(column, self.table_name, codec.name)
            series = without_infinities(column, self.table_name, codec.name, self.inf_policy)
            codec.encode(series, out[:, start : start + codec.width], rng)
        return out

    def inverse_transform(self, matrix: np.ndarray, *, seed: int | None = None) -> pd.DataFrame:
        """Decode a matrix (e.g. generator output) into a frame with the fitted dtypes."""
        self._check_fitted()
        m = np.asarray(matrix)
        if m.ndim != 2 or m.shape[1] != self.output_dim:
            raise InvalidDataError(
                f"expected a 2-d matrix with {self.output_dim} columns, got shape {m.shape}",
                table=self.table_name,
                fix="pass the output of transform() or of a model trained on it",
            )
        rng = np.random.default_rng(self.seed if seed is None else seed)
        cols = {}
        for label, codec, start in zip(self._labels, self._codecs, self._starts, strict=True):
            cols[label] = codec.decode(m[:, start : start + codec.width], rng)
        return pd.DataFrame(cols, index=pd.RangeIndex(len(m)))

    def quantile_columns(self) -> list[int]:
        """Matrix columns holding the scalar of a quantile-encoded (normal-score) column."""
        from synthohive.transform.modes import QuantileModel

        self._check_fitted()
        return [
            start
            for codec, start in zip(self._codecs, self._starts, strict=True)
            if isinstance(codec, ContinuousCodec) and isinstance(codec.modes, QuantileModel)
        ]

    def column_values(self, matrix: np.ndarray) -> tuple[np.ndarray, list[bool]]:
        """One number per row and column, cheaply, for scoring rather than output.

        Returns ``(values (n, c), continuous flags)`` over the columns that have spans:
        continuous columns give their value in model units (NaN where null), discrete ones the
        index of their hottest slot. Used to score generated rows against real ones at the
        column level without building a DataFrame.
        """
        self._check_fitted()
        m = np.asarray(matrix)
        values, flags = [], []
        for codec, start in zip(self._codecs, self._starts, strict=True):
            if not codec.width:
                continue
            block = m[:, start : start + codec.width]
            if isinstance(codec, ContinuousCodec):
                rel, nulls = codec.decode_relative(block)
                values.append(np.where(nulls, np.nan, rel))
                flags.append(True)
            else:
                values.append(block.argmax(axis=1).astype(np.float64))
                flags.append(False)
        if not values:
            return np.zeros((len(m), 0)), []
        return np.column_stack(values), flags

    # --- persistence ---------------------------------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        """Constructor arguments."""
        return {
            "max_modes": self.max_modes,
            "gmm_sample_rows": self.gmm_sample_rows,
            "max_categories": self.max_categories,
            "weight_threshold": self.weight_threshold,
            "seed": self.seed,
            "inf_policy": self.inf_policy,
            "gmm_max_iter": self.gmm_max_iter,
            "max_tail": self.max_tail,
            "gmm_backend": self.gmm_backend,
            "numeric_encoding": self.numeric_encoding,
        }

    def save(self, writer: ArtifactWriter) -> None:
        """Write the fitted state as one JSON member ``transformer``."""
        self._check_fitted()
        writer.write_json(
            "transformer",
            {
                "format": FORMAT_VERSION,
                "params": self.get_params(),
                "table": self.table_name,
                "columns": [
                    {"label": encode_value(label), "codec": c.tag, "state": c.to_state()}
                    for label, c in zip(self._labels, self._codecs, strict=True)
                ],
            },
        )

    @classmethod
    def load(cls, reader: ArtifactReader) -> Self:
        """Rebuild a fitted transformer written by :meth:`save`."""
        doc = reader.read_json("transformer")
        if not isinstance(doc, dict):
            raise ArtifactIntegrityError("transformer state is not a JSON object")
        if doc.get("format") != FORMAT_VERSION:
            raise IncompatibleArtifactError(
                f"transformer state format {doc.get('format')!r} is not supported "
                f"(expected {FORMAT_VERSION})",
                fix="re-fit the model with this version of synthohive-core",
            )
        try:
            obj = cls(**doc["params"])
            labels, codecs = [], []
            for entry in doc["columns"]:
                label = decode_value(entry["label"])
                codec_cls = _CODECS.get(entry["codec"])
                if codec_cls is None:
                    raise ArtifactIntegrityError(f"unknown column codec {entry['codec']!r}")
                labels.append(label)
                codecs.append(codec_cls.from_state(str(label), entry["state"]))
            table = str(doc["table"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactIntegrityError(f"malformed transformer state: {exc}") from None
        obj.table_name = table
        obj._labels, obj._codecs = labels, codecs
        obj._build_spans()
        return obj
