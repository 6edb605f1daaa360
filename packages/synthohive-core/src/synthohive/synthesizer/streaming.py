"""Chunked generation of a whole schema, written through to a sink as it goes.

Tables are generated in topological order (parents first). A root table is generated in chunks
of ``chunk_rows`` rows; a child table is generated one chunk of its context parent at a time:
each parent row is expanded into its sampled number of children, the child's model is sampled
with those parents' attributes as context, keys are generated, the other foreign keys are
drawn from the other parents' slots, and the finished chunk is appended to the sink. Only the
keys, context columns and counts children need are kept, in a :class:`SpillStore` on disk, so
peak memory stays flat as the output grows, and every chunk written references only parent
rows already written (100% referential integrity in every chunk). One table's chunks are made
by :class:`~synthohive.synthesizer.chunks.TableGenerator`.

A root table with conditions (:mod:`synthohive.synthesizer.conditions`) is sampled from its
model conditioned on them, chunk by chunk, and keeps the given values exactly; its children
are generated from those rows as usual, so they follow the conditioned parents.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from synthohive.constraints.apply import restore_constraints
from synthohive.constraints.crosstable import RelatedConstraint
from synthohive.log import get_logger
from synthohive.synthesizer.chunks import TableGenerator
from synthohive.synthesizer.spill import SpillStore

if TYPE_CHECKING:
    from synthohive.connectors.base import WriteSession
    from synthohive.synthesizer.conditions import TableConditions
    from synthohive.synthesizer.fitted import FittedSchema
    from synthohive.synthesizer.plan import TablePlan

log = get_logger(__name__)

DEFAULT_CHUNK_ROWS = 20_000


class MemorySink:
    """Collects chunks in memory and concatenates them per table."""

    def __init__(self) -> None:
        self.parts: dict[str, list[pd.DataFrame]] = {}

    def append(self, table: str, frame: pd.DataFrame) -> None:
        """Keep one chunk."""
        self.parts.setdefault(table, []).append(frame)

    def result(self, empty: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """One frame per table (``empty[table]`` for tables that got no rows)."""
        out: dict[str, pd.DataFrame] = {}
        for name, proto in empty.items():
            parts = self.parts.get(name)
            out[name] = pd.concat(parts, ignore_index=True) if parts else proto
        return out


def empty_frames(plans: dict[str, TablePlan], order: list[str]) -> dict[str, pd.DataFrame]:
    """Zero-row frames with the output columns and dtypes of every table."""
    out = {}
    for name in order:
        plan = plans[name]
        cols = {}
        for label, orig in zip(plan.output_labels, plan.original_output_labels(), strict=True):
            try:
                cols[orig] = pd.Series(dtype=plan.dtypes[label])
            except (TypeError, ValueError):
                cols[orig] = pd.Series(dtype=object)
        out[name] = pd.DataFrame(cols)
    return out


def _fused_children(fitted: FittedSchema) -> dict[str, str]:
    """``{child: parent}`` for children made with each chunk of their parent (``child_sum``)."""
    out: dict[str, str] = {}
    for name in fitted.order:
        for rule in restore_constraints(name, fitted.plans[name].constraints):
            if isinstance(rule, RelatedConstraint) and rule.children_first():
                out[str(rule.children_first())] = name
    return out


def generate(
    fitted: FittedSchema,
    *,
    root_rows: dict[str, int],
    sink: MemorySink | WriteSession,
    seed: int,
    chunk_rows: int,
    progress: bool,
    row_offset: int | Mapping[str, int] = 0,
    conditions: Mapping[str, TableConditions] | None = None,
) -> dict[str, Any]:
    """Generate every table of ``fitted`` into ``sink``; returns rows and chunks per table.

    ``row_offset`` shifts the row numbers keys are made from, so that independent runs (e.g.
    Spark partitions) produce disjoint key ranges; a mapping gives each table its own offset
    (missing tables: 0), as appending to a target does. A copied reference table is written
    only by a run at offset 0 for that table. ``conditions`` (checked, per root table) fix
    column values of those tables; ``root_rows`` must already hold a condition frame's rows.
    """
    from tqdm.auto import tqdm

    started = time.perf_counter()
    rows_out: dict[str, int] = {}
    chunks_out: dict[str, int] = {}
    with SpillStore() as spill:
        bar = tqdm(total=len(fitted.order), desc="sample", unit="table", disable=not progress)
        fused = _fused_children(fitted)  # child -> the parent whose chunks it is made with
        kids: dict[str, TableGenerator] = {}
        for t_index, name in enumerate(fitted.order):
            if name in fused:
                rows_out[name], chunks_out[name] = kids[name].rows, kids[name].chunks
                log.info("sample.table", table=name, rows=rows_out[name], chunks=chunks_out[name])
                bar.update(1)
                continue

            def offset_of(table: str) -> int:
                if isinstance(row_offset, Mapping):
                    return int(row_offset.get(table, 0))
                return int(row_offset)

            offset = offset_of(name)
            gen = TableGenerator(
                fitted, name, t_index, spill, seed, offset, (conditions or {}).get(name)
            )
            for child, parent in fused.items():
                if parent == name:
                    kids[child] = TableGenerator(
                        fitted, child, fitted.order.index(child), spill, seed, offset_of(child)
                    )
            n_rows = 0
            n_chunks = 0
            for c_index, (n, parent_chunk, parent_pos) in enumerate(
                gen.batches(root_rows, chunk_rows)
            ):
                frame, spilled = gen.make_chunk(n, parent_chunk, parent_pos, c_index)
                made = gen.make_children(frame, spilled, kids, chunk_rows)
                if len(frame) == 0:
                    continue
                if gen.copy is not None and offset:
                    # a copied table is written once, by the run at offset 0; other runs
                    # (e.g. Spark partitions) only keep its keys for their children
                    if spilled is not None:
                        spill.put(name, spilled)
                    continue
                sink.append(name, frame)
                if spilled is not None:
                    spill.put(name, spilled)
                n_rows += len(frame)
                n_chunks += 1
                for child, parts in made.items():  # children after the parents they reference
                    for child_frame, child_spilled in parts:
                        sink.append(child, child_frame)
                        if child_spilled is not None:
                            spill.put(child, child_spilled)
                        kids[child].rows += len(child_frame)
                        kids[child].chunks += 1
            rows_out[name] = n_rows
            chunks_out[name] = n_chunks
            if gen.copy is not None and offset:
                log.info("sample.copy_not_written", table=name, row_offset=offset)
            log.info("sample.table", table=name, rows=n_rows, chunks=n_chunks)
            bar.update(1)
        bar.close()
    return {
        "tables": rows_out,
        "chunks": chunks_out,
        "seconds": round(time.perf_counter() - started, 3),
    }
