"""Chunked generation of a whole schema, written through to a sink as it goes.

Tables are generated in topological order (parents first). A root table is generated in chunks
of ``chunk_rows`` rows; a child table is generated one chunk of its context parent at a time:
each parent row is expanded into its sampled number of children, the child's model is sampled
with those parents' attributes as context, keys are generated, the other foreign keys are
drawn from the other parents' slots, and the finished chunk is appended to the sink. Only the
keys, context columns and counts children need are kept, in a :class:`SpillStore` on disk, so
peak memory stays flat as the output grows, and every chunk written references only parent
rows already written (100% referential integrity in every chunk).

A root table with conditions (:mod:`synthohive.synthesizer.conditions`) is sampled from its
model conditioned on them, chunk by chunk, and keeps the given values exactly; its children
are generated from those rows as usual, so they follow the conditioned parents.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from synthohive.constraints.apply import restore_constraints, reverse_constraints
from synthohive.constraints.columns import _numeric
from synthohive.constraints.crosstable import RelatedConstraint
from synthohive.errors import ConstraintError
from synthohive.log import get_logger
from synthohive.synthesizer.cardinality import (
    SlotAssigner,
    assign_self_reference,
    calibrate,
    clean_counts,
    distinct_within_groups,
)
from synthohive.synthesizer.fill import fill_columns, share_parent_values
from synthohive.synthesizer.keys import cast_like, drop_duplicate_keys
from synthohive.synthesizer.sequences import (
    SequenceState,
    parent_start_span,
    sample_sequence,
    sequence_columns,
)
from synthohive.synthesizer.spill import SpillStore

if TYPE_CHECKING:
    from synthohive.connectors.base import WriteSession
    from synthohive.synthesizer.conditions import TableConditions
    from synthohive.synthesizer.core import Synthesizer
    from synthohive.synthesizer.plan import TablePlan

log = get_logger(__name__)

DEFAULT_CHUNK_ROWS = 20_000
_REDRAWS = 24
_REJECT_ROUNDS = 20


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


def _fused_children(synth: Synthesizer) -> dict[str, str]:
    """``{child: parent}`` for children made with each chunk of their parent (``child_sum``)."""
    out: dict[str, str] = {}
    for name in synth._order:
        for rule in restore_constraints(name, synth._plans[name].constraints):
            if isinstance(rule, RelatedConstraint) and rule.children_first():
                out[str(rule.children_first())] = name
    return out


def _rng(seed: int, *path: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, *path]))


def spill_columns(synth: Synthesizer, table: str) -> list[str]:
    """Columns of ``table`` that its children need: referenced keys, context, counts."""
    plan = synth._plans[table]
    cols: list[str] = []
    for i, fk in enumerate(synth.metadata.relations):
        if fk.parent != table or fk.child == table:
            continue
        cols.extend(fk.parent_columns)
        cols.append(plan.count_columns[i])
        child_plan = synth._plans[fk.child]
        if child_plan.context_relation == i:
            cols.extend(child_plan.context_columns)
            cols.extend(p for r, p, _ in child_plan.shared_fill.values() if r == i)
            for rule in restore_constraints(fk.child, child_plan.constraints):
                if isinstance(rule, RelatedConstraint) and rule.relation == i:
                    cols.extend(rule.parent_values().values())
            if child_plan.sequence and child_plan.sequence.get("anchor"):
                cols.append(str(child_plan.sequence["anchor"]))
            cols.extend(plan.sequence_columns.get(i, []))
    return list(dict.fromkeys(cols))


def generate(
    synth: Synthesizer,
    *,
    root_rows: dict[str, int],
    sink: MemorySink | WriteSession,
    seed: int,
    chunk_rows: int,
    progress: bool,
    row_offset: int | Mapping[str, int] = 0,
    conditions: Mapping[str, TableConditions] | None = None,
) -> dict[str, Any]:
    """Generate every table into ``sink``; returns rows and chunks per table.

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
        bar = tqdm(total=len(synth._order), desc="sample", unit="table", disable=not progress)
        fused = _fused_children(synth)  # child -> the parent whose chunks it is made with
        kids: dict[str, _TableGenerator] = {}
        for t_index, name in enumerate(synth._order):
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
            gen = _TableGenerator(
                synth, name, t_index, spill, seed, offset, (conditions or {}).get(name)
            )
            for child, parent in fused.items():
                if parent == name:
                    kids[child] = _TableGenerator(
                        synth, child, synth._order.index(child), spill, seed, offset_of(child)
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


class _TableGenerator:
    """Generates the chunks of one table."""

    def __init__(
        self,
        synth: Synthesizer,
        name: str,
        t_index: int,
        spill: SpillStore,
        seed: int,
        row_offset: int = 0,
        conditions: TableConditions | None = None,
    ) -> None:
        self.synth = synth
        self.name = name
        self.t_index = t_index
        self.spill = spill
        self.seed = seed
        self.plan: TablePlan = synth._plans[name]
        self.meta = synth.metadata
        self.offset = int(row_offset)
        self.conditions = conditions
        self.done = 0  # rows generated so far: the position in a condition frame
        self.carry: dict[int, float] = {}
        self.seen: dict[str, set[Any]] = {}
        self.group_seen: dict[tuple[Any, ...], int] = {}
        self.spill_cols = spill_columns(synth, name)
        self.copy: pd.DataFrame | None = (
            synth._copies.get(name) if self.plan.strategy == "copy" else None
        )
        self.copy_pos = 0
        self.copy_factor = 1.0
        self.constraints = restore_constraints(name, self.plan.constraints)
        self.related = [c for c in self.constraints if isinstance(c, RelatedConstraint)]
        self.rows = 0  # rows and chunks written, when made with a parent's chunks
        self.chunks = 0
        self.c_index = 0  # parent chunks whose children this generator made with them
        self.made = 0  # chunks made with a parent's chunks
        # other parents: their keys and slot targets, read once (keys only: compact)
        self.assigners: dict[int, tuple[SlotAssigner, pd.DataFrame]] = {}
        for i, fk in enumerate(self.meta.relations):
            if fk.child != name or fk.parent == name or i == self.plan.context_relation:
                continue
            parent_plan = synth._plans[fk.parent]
            cnt = parent_plan.count_columns[i]
            keys = spill.read_all(fk.parent, [*fk.parent_columns, cnt])
            self.assigners[i] = (SlotAssigner(clean_counts(keys[cnt])), keys[fk.parent_columns])

    # ------------------------------------------------------------------------------------------
    def batches(
        self, root_rows: dict[str, int], chunk_rows: int
    ) -> Iterator[tuple[int, pd.DataFrame | None, np.ndarray | None]]:
        """Yield ``(n_rows, parent_chunk, parent_positions)`` per chunk."""
        rel = self.plan.context_relation
        if self.copy is not None:
            # reference data keeps its rows; the requested size scales its children instead
            asked = int(root_rows.get(self.name, round(self.plan.n_rows)))
            self.copy_factor = asked / max(len(self.copy), 1)
            for start in range(0, len(self.copy), chunk_rows):
                yield min(chunk_rows, len(self.copy) - start), None, None
            return
        if rel is None:
            total = int(root_rows.get(self.name, round(self.plan.n_rows)))
            for start in range(0, total, chunk_rows):
                yield min(chunk_rows, total - start), None, None
            return
        fk = self.meta.relations[rel]
        for c_index, chunk in enumerate(self.spill.chunks(fk.parent)):
            yield from self.child_batches(chunk, c_index, chunk_rows)

    def child_batches(
        self, chunk: pd.DataFrame, c_index: int, chunk_rows: int
    ) -> Iterator[tuple[int, pd.DataFrame, np.ndarray]]:
        """The batches of children of one chunk of context-parent rows (spilled form)."""
        rel = self.plan.context_relation
        assert rel is not None
        parent_plan = self.synth._plans[self.meta.relations[rel].parent]
        cap = parent_plan.count_caps.get(rel)
        share = self.plan.null_share.get(rel, 0.0)
        ratio = share / max(1.0 - share, 1e-9)
        counts = clean_counts(chunk[parent_plan.count_columns[rel]], cap)
        # parents whose children would overflow the chunk go to the next sub-chunk, so a
        # child chunk holds about chunk_rows rows however large the fan-out is
        start = np.cumsum(counts) - counts
        group = start // max(chunk_rows, 1)
        for g in np.unique(group):
            rng = _rng(self.seed, self.t_index, c_index, int(g), 7)
            mask = group == g
            sub = chunk.loc[mask].reset_index(drop=True) if not mask.all() else chunk
            pos = np.repeat(np.arange(len(sub), dtype=np.int64), counts[mask])
            if share > 0:
                n_null = int(rng.poisson(ratio * len(pos)))
                pos = np.concatenate([pos, np.full(n_null, -1, dtype=np.int64)])
            if len(pos):
                yield len(pos), sub, pos

    def make_children(
        self,
        frame: pd.DataFrame,
        spilled: pd.DataFrame | None,
        kids: dict[str, _TableGenerator],
        chunk_rows: int,
    ) -> dict[str, list[tuple[pd.DataFrame, pd.DataFrame | None]]]:
        """The children of this chunk for each ``child_sum`` rule, made before the chunk is
        written; the chunk's totals are filled from them (``frame`` in caller's labels)."""
        out: dict[str, list[tuple[pd.DataFrame, pd.DataFrame | None]]] = {}
        rules = [r for r in self.related if r.children_first() in kids]
        if not rules:
            return out
        for rule in rules:
            child = str(rule.children_first())
            if child not in out:
                gen = kids[child]
                parts: list[tuple[pd.DataFrame, pd.DataFrame | None]] = []
                if spilled is not None and len(frame):
                    for n, sub, pos in gen.child_batches(spilled, self.c_index, chunk_rows):
                        made = gen.make_chunk(n, sub, pos, gen.made)
                        gen.made += 1
                        if len(made[0]):
                            parts.append(made)
                out[child] = parts
        labels = dict(zip(self.plan.output_labels, self.plan.original_output_labels(), strict=True))
        named = frame.set_axis(list(labels), axis=1)
        for rule in rules:
            rule.from_children(named, [f for f, _ in out[str(rule.children_first())]])
            for col in rule.rewrites():
                frame[labels[col]] = named[col].to_numpy()
        self.c_index += 1
        return out

    # ------------------------------------------------------------------------------------------
    def make_chunk(
        self,
        n: int,
        parent_chunk: pd.DataFrame | None,
        parent_pos: np.ndarray | None,
        c_index: int,
    ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """One finished chunk (caller's labels, order and dtypes) and its spill frame."""
        plan = self.plan
        rng = _rng(self.seed, self.t_index, c_index)
        rows = self.offset + np.arange(n, dtype=np.int64)
        self.offset += n
        if self.copy is not None:
            return self._copy_chunk(n, rows, rng)
        start, self.done = self.done, self.done + n
        sampled = self._sample_model(n, parent_chunk, parent_pos, rng, start)
        if sampled is not None:
            frame = sampled[plan.modelled].reset_index(drop=True)
        else:
            frame = pd.DataFrame(index=pd.RangeIndex(n))
        if self.conditions is not None:
            self.conditions.apply(frame, start)
        for col, spec in plan.key_specs.items():
            frame[col] = spec.generate(rows, rng)
        counts = self._counts(sampled, len(frame), rng)
        starts = {
            c: sampled[c].to_numpy(dtype="float64", na_value=np.nan)
            if sampled is not None
            else np.full(len(frame), np.nan)
            for cols in plan.sequence_columns.values()
            for c in cols
        }
        self._assign_foreign_keys(frame, n, parent_chunk, parent_pos, rng)
        self._number_grouped_keys(frame)
        table = self.meta.tables[self.name]
        for col, series in fill_columns(table, plan, rows, rng, self.seen).items():
            frame[col] = series.to_numpy()
        share_parent_values(frame, plan, parent_chunk, parent_pos, rng)
        keep = self._dedupe_primary_key(frame, rng)
        if keep is not None:
            frame = frame[keep].reset_index(drop=True)
            counts = {i: c[keep] for i, c in counts.items()}
            starts = {c: v[keep] for c, v in starts.items()}
        for rule in self.related:
            rule.after_counts(frame, counts)
        self._assign_self_references(frame, counts, rng)
        return self._finish(frame, counts, starts)

    def _copy_chunk(
        self, n: int, rows: np.ndarray, rng: np.random.Generator
    ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """The next ``n`` copied rows; children counts scaled by the requested size."""
        assert self.copy is not None
        part = self.copy.iloc[self.copy_pos : self.copy_pos + n].reset_index(drop=True)
        self.copy_pos += n
        counts: dict[int, np.ndarray] = {}
        for i, col in self.plan.count_columns.items():
            want = part[col].to_numpy(dtype="float64") * self.copy_factor
            base = np.floor(want)
            extra = rng.random(len(want)) < (want - base)
            counts[i] = (base + extra).astype(np.int64)
        seq = [c for cols in self.plan.sequence_columns.values() for c in cols]
        starts = {c: part[c].to_numpy(dtype="float64", na_value=np.nan) for c in seq}
        frame = part.drop(columns=[*self.plan.count_columns.values(), *seq])
        table = self.meta.tables[self.name]
        for col, series in fill_columns(table, self.plan, rows, rng, self.seen).items():
            frame[col] = series.to_numpy()
        return self._finish(frame, counts, starts)

    def _finish(
        self,
        frame: pd.DataFrame,
        counts: dict[int, np.ndarray],
        starts: dict[str, np.ndarray] | None = None,
    ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """Restore labels, order and dtypes; cut the spill frame children need (with the
        children counts and, for ordered child sequences, their ``starts`` and spans)."""
        plan = self.plan
        frame = self._restore(frame)
        spilled: pd.DataFrame | None = None
        if self.spill_cols:
            spilled = pd.DataFrame({c: frame[c] for c in self.spill_cols if c in frame})
            for i, c in plan.count_columns.items():
                if c in self.spill_cols:
                    spilled[c] = counts[i]
            for c, values in (starts or {}).items():
                if c in self.spill_cols:
                    spilled[c] = values
        frame.columns = pd.Index(plan.original_output_labels())
        return frame, spilled

    def _counts(
        self, sampled: pd.DataFrame | None, n: int, rng: np.random.Generator
    ) -> dict[int, np.ndarray]:
        """Children per row for each relation where this table is the parent (calibrated)."""
        plan = self.plan
        out: dict[int, np.ndarray] = {}
        for i, col in plan.count_columns.items():
            cap = plan.count_caps.get(i)
            if sampled is None:
                out[i] = np.zeros(n, dtype=np.int64)
                continue
            top = plan.count_max.get(i)
            counts = clean_counts(sampled[col], cap if cap is not None else top)
            # conditioned rows keep their conditional counts: calibrating them to the learned
            # overall mean would undo the dependence of the children on the conditions
            if cap is None and i in plan.count_means and self.conditions is None:
                counts, self.carry[i] = calibrate(
                    counts, plan.count_means[i], self.carry.get(i, 0.0), rng, top
                )
            out[i] = counts
        return out

    def _sample_model(
        self,
        n: int,
        parent_chunk: pd.DataFrame | None,
        parent_pos: np.ndarray | None,
        rng: np.random.Generator,
        start: int = 0,
    ) -> pd.DataFrame | None:
        model = self.synth._models.get(self.name)
        if model is None:
            return None
        context = None
        if model.context_table is not None and parent_chunk is not None and parent_pos is not None:
            pos = parent_pos.copy()
            null = pos < 0
            if null.any():
                pos[null] = rng.integers(0, len(parent_chunk), size=int(null.sum()))
            context = parent_chunk[self.plan.context_columns].iloc[pos].reset_index(drop=True)
        if self.plan.sequence is not None:
            return self._sample_sequence(model, n, context, parent_chunk, parent_pos, rng)
        positions = np.arange(start, start + n, dtype=np.int64)
        parents = self._parent_values(n, parent_chunk, parent_pos)
        out = self._draw(model, positions, context, rng, parents)
        rejecting = [c for c in self.constraints if c.rejects]
        if rejecting:
            out = self._redraw(model, out, positions, context, rng, rejecting, parents)
        return out

    def _sample_sequence(
        self,
        model: Any,
        n: int,
        context: pd.DataFrame | None,
        parent_chunk: pd.DataFrame | None,
        parent_pos: np.ndarray | None,
        rng: np.random.Generator,
    ) -> pd.DataFrame:
        """One chunk of an ordered sequence table: each parent's rows made step by step."""
        assert self.plan.sequence is not None
        state = SequenceState.from_dict(self.plan.sequence)
        pos = parent_pos if parent_pos is not None else np.full(n, -1, dtype=np.int64)
        ids = pos.astype(np.int64).copy()
        null = ids < 0  # rows without a parent: one-row sequences of their own
        ids[null] = (len(parent_chunk) if parent_chunk is not None else 0) + np.arange(null.sum())
        rel = self.plan.context_relation
        assert rel is not None
        start_col, span_col = sequence_columns(rel)
        if parent_chunk is not None and len(parent_chunk):
            # rows without a parent take a random parent's sequence frame
            take = np.where(null, rng.integers(0, len(parent_chunk), size=n), pos)
            start_raw = parent_chunk[start_col].to_numpy(dtype="float64", na_value=np.nan)[take]
            span_raw = parent_chunk[span_col].to_numpy(dtype="float64", na_value=np.nan)[take]
            anchor = None
            if state.anchor is not None:
                values, _ = _numeric(parent_chunk[state.anchor], self.name, state.anchor_fmt)
                anchor = values[take]
        else:
            start_raw = span_raw = np.full(n, np.nan)
            anchor = None if state.anchor is None else np.full(n, np.nan)
        start, span = parent_start_span(start_raw, span_raw, anchor, state)
        if model.context_table is None:
            context = None
        elif context is None:  # no parent rows to draw context from: the sequence's own only
            context = pd.DataFrame(index=pd.RangeIndex(n))
        out = sample_sequence(model, n, context, ids, start, span, state, rng)
        parents = self._parent_values(n, parent_chunk, parent_pos)
        if parents is not None:
            out = pd.concat([out, parents.reset_index(drop=True)], axis=1)
        return reverse_constraints(self.constraints, out) if self.constraints else out

    def _parent_values(
        self, n: int, parent_chunk: pd.DataFrame | None, parent_pos: np.ndarray | None
    ) -> pd.DataFrame | None:
        """The parent columns the table's rules read, per row (null for rows without parent)."""
        wanted = {a: c for rule in self.related for a, c in rule.parent_values().items()}
        if not wanted:
            return None
        out = pd.DataFrame(index=pd.RangeIndex(n))
        for alias, column in wanted.items():
            if parent_chunk is None or parent_pos is None or not len(parent_chunk):
                out[alias] = pd.Series([None] * n, dtype=object)
                continue
            has = parent_pos >= 0
            values = parent_chunk[column].iloc[np.where(has, parent_pos, 0)].reset_index(drop=True)
            out[alias] = values.where(pd.Series(has), None) if not has.all() else values
        return out

    def _draw(
        self,
        model: Any,
        positions: np.ndarray,
        context: pd.DataFrame | None,
        rng: np.random.Generator,
        parents: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Model rows (condition rows ``positions``, or with ``context``), constraints undone
        (``parents``: the parent values the rules read, row-aligned)."""
        seed = int(rng.integers(0, 2**62))
        if self.conditions is not None:  # a root table: no context
            out = self.conditions.sample_at(model, positions, seed).reset_index(drop=True)
        else:
            out = model.sample(len(positions), context=context, seed=seed).reset_index(drop=True)
        if parents is not None:
            out = pd.concat([out, parents.reset_index(drop=True)], axis=1)
        return reverse_constraints(self.constraints, out) if self.constraints else out

    def _redraw(
        self,
        model: Any,
        out: pd.DataFrame,
        positions: np.ndarray,
        context: pd.DataFrame | None,
        rng: np.random.Generator,
        rejecting: list[Any],
        parents: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Draw again the rows a rejecting constraint (``unique``) refuses, same context and
        conditions, at most ``_REJECT_ROUNDS`` times; then fail with a clear error."""
        for _ in range(_REJECT_ROUNDS):
            keep = np.ones(len(out), dtype=bool)
            for constraint in rejecting:
                keep &= constraint.keep(out).to_numpy()
            bad = np.flatnonzero(~keep)
            if not len(bad):
                break
            ctx = None if context is None else context.iloc[bad].reset_index(drop=True)
            pts = None if parents is None else parents.iloc[bad].reset_index(drop=True)
            again = self._draw(model, positions[bad], ctx, rng, pts)
            for col in out.columns:
                out.loc[bad, col] = again[col].to_numpy()
        else:
            keep = np.ones(len(out), dtype=bool)
            for constraint in rejecting:
                keep &= constraint.keep(out).to_numpy()
            if not keep.all():
                names = ", ".join(c.describe() for c in rejecting)
                raise ConstraintError(
                    f"{int((~keep).sum())} of {len(out)} generated rows still break {names} "
                    f"after {_REJECT_ROUNDS} redraws: the model makes too few distinct values",
                    table=self.name,
                    fix="drop the rule, or make the column a key or PII column (generated "
                    "unique by construction)",
                )
        for constraint in rejecting:
            constraint.accept(out)
        return out

    def _assign_foreign_keys(
        self,
        frame: pd.DataFrame,
        n: int,
        parent_chunk: pd.DataFrame | None,
        parent_pos: np.ndarray | None,
        rng: np.random.Generator,
    ) -> None:
        for i, fk in enumerate(self.meta.relations):
            if fk.child != self.name or fk.parent == self.name:
                continue
            if i == self.plan.context_relation and parent_chunk is not None:
                assert parent_pos is not None
                _put_keys(frame, fk.child_columns, parent_chunk[fk.parent_columns], parent_pos)
                continue
            assigner, keys = self.assigners[i]
            share = self.plan.null_share.get(i, 0.0)
            has = rng.random(n) >= share if share > 0 else np.ones(n, dtype=bool)
            pos = np.full(n, -1, dtype=np.int64)
            pos[has] = assigner.draw(int(has.sum()), rng)
            if parent_pos is not None and self._bridges(fk):
                pos[has] = distinct_within_groups(parent_pos[has], pos[has], rng)
            _put_keys(frame, fk.child_columns, keys, pos)

    def _bridges(self, fk: Any) -> bool:
        """Whether the primary key is (context parent key, ``fk``): pairs must be distinct."""
        rel = self.plan.context_relation
        pk = set(self.plan.primary_key)
        if rel is None or not pk:
            return False
        ctx = self.meta.relations[rel]
        return pk == set(ctx.child_columns) | set(fk.child_columns)

    def _number_grouped_keys(self, frame: pd.DataFrame) -> None:
        plan = self.plan
        if not plan.grouped_keys:
            return
        group = [c for c in plan.primary_key if c not in plan.grouped_keys]
        # numbers continue across chunks: one parent's children may span two chunks
        if group:
            keys = pd.MultiIndex.from_frame(frame[group].astype(object))
            within = frame.groupby(group, sort=False, dropna=False).cumcount().to_numpy()
            before = np.array([self.group_seen.get(k, 0) for k in keys], dtype=np.int64)
            sizes = pd.Series(1, index=keys).groupby(level=list(range(len(group)))).size()
            for k, size in sizes.items():
                key = k if isinstance(k, tuple) else (k,)
                self.group_seen[key] = self.group_seen.get(key, 0) + int(size)
            num = before + within
        else:
            num = self.group_seen.get((), 0) + np.arange(len(frame), dtype=np.int64)
            self.group_seen[()] = int(num[-1]) + 1 if len(num) else self.group_seen.get((), 0)
        for col in plan.grouped_keys:
            frame[col] = num.astype(np.int64) + plan.key_specs[col].start

    def _assign_self_references(
        self, frame: pd.DataFrame, counts: dict[int, np.ndarray], rng: np.random.Generator
    ) -> None:
        n = len(frame)
        for i, fk in enumerate(self.meta.relations):
            if fk.child != self.name or fk.parent != self.name:
                continue
            share = self.plan.null_share.get(i, 0.0)
            # exactly the learned share of roots (stochastically rounded), not a coin per row:
            # small tables (an 8-row employee list) would otherwise lose or gain a root
            n_null = int(np.floor(share * n + rng.random()))
            has = np.ones(n, dtype=bool)
            has[rng.choice(n, size=min(n_null, n), replace=False)] = False
            targets = counts.get(i, np.zeros(n, dtype=np.int64))
            pos = assign_self_reference(targets, has, rng)
            _put_keys(frame, fk.child_columns, frame[fk.parent_columns].copy(), pos)

    def _dedupe_primary_key(
        self, frame: pd.DataFrame, rng: np.random.Generator
    ) -> np.ndarray | None:
        pk = self.plan.primary_key
        if not pk:
            return None
        if any(c in self.plan.key_specs and c not in self.plan.grouped_keys for c in pk):
            return None  # a generated sequence/UUID/pattern column is unique by construction
        null = frame[pk].isna().any(axis=1).to_numpy()  # e.g. a key part whose parent has no rows
        dup = drop_duplicate_keys(frame, pk) | null
        if not dup.any():
            return None
        movable = [
            (i, fk)
            for i, fk in enumerate(self.meta.relations)
            if i in self.assigners and set(fk.child_columns) & set(pk) and len(self.assigners[i][1])
        ]
        for _ in range(_REDRAWS if movable else 0):
            _, fk = movable[0]
            idx = np.flatnonzero(dup & ~null)
            free = np.flatnonzero(~dup & ~null)
            if len(idx) and len(free):
                # swap the movable key of each duplicate with a distinct clean row: both
                # parents keep their number of children (degree-preserving rewiring), which
                # keeps a bridge table's counts on both sides as learned
                k = min(len(idx), len(free))
                a = rng.permutation(idx)[:k]
                b = rng.choice(free, size=k, replace=False)
                cols = frame.columns.get_indexer(pd.Index(fk.child_columns))
                va = frame.iloc[a, cols].to_numpy()
                frame.iloc[a, cols] = frame.iloc[b, cols].to_numpy()
                frame.iloc[b, cols] = va
            for i, fk in movable:  # rows with a null key part get a parent drawn anew
                nulls = np.flatnonzero(null)
                if not len(nulls):
                    break
                assigner, keys = self.assigners[i]
                pos = rng.choice(len(keys), size=len(nulls), p=assigner.weights)
                sub = keys.iloc[pos].reset_index(drop=True)
                for ccol, pcol in zip(fk.child_columns, fk.parent_columns, strict=True):
                    frame.loc[nulls, ccol] = sub[pcol].to_numpy()
            null = frame[pk].isna().any(axis=1).to_numpy()
            dup = drop_duplicate_keys(frame, pk) | null
            if not dup.any():
                return None
        log.info("sample.duplicate_keys_dropped", table=self.name, rows=int(dup.sum()))
        return ~dup

    def _restore(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Caller's column order and dtypes (str labels; the caller maps them back)."""
        plan = self.plan
        out = {}
        for col in plan.output_labels:
            values = frame[col].reset_index(drop=True)
            dtype = plan.dtypes.get(col)
            out[col] = values if str(values.dtype) == dtype else cast_like(values, dtype)
        return pd.DataFrame(out, columns=plan.output_labels)


def _put_keys(
    frame: pd.DataFrame, child_cols: list[str], parent_keys: pd.DataFrame, pos: np.ndarray
) -> None:
    """Set ``child_cols`` to the parent key values at ``pos`` (null where ``pos < 0``)."""
    null = pos < 0
    safe = np.where(null, 0, pos)
    for ccol, pcol in zip(child_cols, parent_keys.columns, strict=True):
        src = parent_keys[pcol]
        if len(src) == 0:
            frame[ccol] = pd.Series([pd.NA] * len(pos), dtype=object)
            continue
        vals = src.iloc[safe].reset_index(drop=True)
        if null.any():
            vals = vals.astype(object) if vals.dtype.kind in "biu" else vals
            vals = vals.where(~pd.Series(null), other=None)
        frame[ccol] = vals.to_numpy()
