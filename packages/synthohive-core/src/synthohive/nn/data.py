"""The encoded view of a table (and its parent context) that the torch models train on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from synthohive.artifacts.api import ArtifactReader, ArtifactWriter
from synthohive.errors import UnknownConditionValueError
from synthohive.metadata.schema import Table
from synthohive.nn.spans import SpanLayout

if TYPE_CHECKING:
    from synthohive.transform import DataTransformer, SpanInfo


class EncodedTable:
    """A fitted :class:`DataTransformer` for the rows, and optionally one for the context.

    ``layout`` is the span layout of the rows, ``width``/``context_width`` the encoded widths;
    ``condition_spans`` are the discrete spans (categorical columns) usable in conditional
    vectors, laid out one after another (``condition_offsets``) in a vector of
    ``condition_width``.
    """

    def __init__(self, transformer: DataTransformer, context: DataTransformer | None) -> None:
        self.transformer = transformer
        self.context = context
        self.output_info: list[SpanInfo] = list(transformer.output_info)
        self.layout = SpanLayout.from_output_info(self.output_info)
        self.width = self.layout.width
        self.context_width = int(context.output_dim) if context is not None else 0
        self.condition_spans = [s for s in self.output_info if s.kind == "discrete"]
        offsets = np.cumsum([0] + [s.dim for s in self.condition_spans])
        self.condition_offsets = [int(o) for o in offsets[:-1]]
        self.condition_width = int(offsets[-1])

    # --- building --------------------------------------------------------------------------
    @classmethod
    def fit(
        cls,
        data: pd.DataFrame,
        table: Table,
        *,
        context: pd.DataFrame | None = None,
        context_table: Table | None = None,
        seed: int = 0,
        numeric_encoding: Literal["modes", "quantile"] = "modes",
    ) -> EncodedTable:
        """Fit the transformer(s) on ``data`` (and ``context``); ``numeric_encoding`` is the
        rows' (the context keeps mode-specific normalisation: it is input, never decoded)."""
        from synthohive.transform import DataTransformer

        dt = DataTransformer(seed=seed, numeric_encoding=numeric_encoding)
        dt.fit(data, table)
        ctx_dt = None
        if context is not None and context_table is not None:
            ctx_dt = DataTransformer(seed=seed + 1)
            ctx_dt.fit(context[list(context_table.columns)], context_table)
        return cls(dt, ctx_dt)

    # --- encoding --------------------------------------------------------------------------
    def encode(self, data: pd.DataFrame) -> np.ndarray:
        """Rows -> float32 matrix ``(n, width)``."""
        return np.ascontiguousarray(self.transformer.transform(data), dtype=np.float32)

    def encode_context(self, context: pd.DataFrame | None, n: int) -> np.ndarray:
        """Context rows -> float32 matrix ``(n, context_width)`` (``(n, 0)`` without context)."""
        if self.context is None or context is None:
            return np.zeros((n, 0), dtype=np.float32)
        cols = list(self.context.columns) if hasattr(self.context, "columns") else None
        frame = context[cols] if cols else context
        return np.ascontiguousarray(self.context.transform(frame), dtype=np.float32)

    def decode(self, matrix: np.ndarray, *, seed: int) -> pd.DataFrame:
        """Encoded matrix -> DataFrame with the fit-time columns and dtypes."""
        return self.transformer.inverse_transform(matrix, seed=seed)

    # --- conditions ------------------------------------------------------------------------
    def condition_positions(self, conditions: dict[str, Any], table: str | None) -> list[int]:
        """Matrix columns of the one-hot slots fixed by ``conditions`` (one per column).

        Raises :class:`UnknownConditionValueError` for continuous columns or unseen values.
        """
        positions: list[int] = []
        discrete = {s.column for s in self.condition_spans}
        for column, value in conditions.items():
            if str(column) not in discrete:
                raise UnknownConditionValueError(
                    "conditions are supported on categorical columns only; categorical "
                    f"columns: {sorted(discrete)}",
                    table=table,
                    column=str(column),
                    fix="condition on a categorical column, or filter the sampled rows",
                )
            start, index = self.transformer.category_span(str(column), value)
            positions.append(int(start) + int(index))
        return positions

    def condition_fixes(self, positions: list[int]) -> list[tuple[int, int, int]]:
        """``(span_start, span_end, position)`` for :func:`synthohive.nn.spans.fix_one_hots_t`."""
        out = []
        for pos in positions:
            for span in self.condition_spans:
                if span.start <= pos < span.start + span.dim:
                    out.append((span.start, span.start + span.dim, pos))
        return out

    def condition_slot(self, position: int) -> int:
        """Index in the conditional vector of the matrix column ``position``."""
        for span, off in zip(self.condition_spans, self.condition_offsets):
            if span.start <= position < span.start + span.dim:
                return off + position - span.start
        raise KeyError(position)

    def condition_to_matrix(self) -> np.ndarray:
        """Matrix column of each slot of the conditional vector."""
        idx = [np.arange(s.start, s.start + s.dim) for s in self.condition_spans]
        return np.concatenate(idx).astype(np.int64) if idx else np.zeros(0, dtype=np.int64)

    # --- persistence -----------------------------------------------------------------------
    def save(self, writer: ArtifactWriter) -> None:
        """Write both transformers."""
        self.transformer.save(writer.child("transformer"))
        writer.write_json("has_context", self.context is not None)
        if self.context is not None:
            self.context.save(writer.child("context_transformer"))

    @classmethod
    def load(cls, reader: ArtifactReader) -> EncodedTable:
        """Read what :meth:`save` wrote."""
        from synthohive.transform import DataTransformer

        dt = DataTransformer.load(reader.child("transformer"))
        ctx = None
        if bool(reader.read_json("has_context")):
            ctx = DataTransformer.load(reader.child("context_transformer"))
        return cls(dt, ctx)


def split_rows(
    n: int, fraction: float, rng: np.random.Generator, *, min_rows: int = 20, cap: int = 5000
) -> tuple[np.ndarray, np.ndarray]:
    """Row indices ``(train, holdout)`` for validation; none held out when under ``min_rows``.

    Rows of one table (for a holdout of whole entity subtrees across tables see
    :func:`synthohive.synthesizer.split_holdout`).
    """
    n_val = min(int(n * fraction), cap)
    if fraction <= 0 or n_val < min_rows or n - n_val < min_rows:
        return np.arange(n), np.zeros(0, dtype=np.int64)
    perm = rng.permutation(n)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def to_device(array: np.ndarray, device: Any) -> Any:
    """Copy a float32 matrix to ``device`` as a tensor (through pinned memory on CUDA)."""
    import torch

    t = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
    if device.type == "cuda":
        return t.pin_memory().to(device, non_blocking=True)
    return t.to(device)
