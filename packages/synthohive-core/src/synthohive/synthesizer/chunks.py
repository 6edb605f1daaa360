"""One table's chunks: :class:`TableGenerator` turns row counts (or parent chunks) into rows.

A root table is made in chunks of ``chunk_rows`` rows; a child table from the spilled chunks
of its context parent, each parent row expanded into its sampled number of children. Per
chunk: modelled columns drawn (:mod:`~synthohive.synthesizer.draws`), keys generated and
assigned (:mod:`~synthohive.synthesizer.linkage`), PII/text filled, children counts drawn
and calibrated, then the caller's labels, order and dtypes restored and the columns children
need cut into a spill frame.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from synthohive.constraints.apply import restore_constraints
from synthohive.constraints.crosstable import RelatedConstraint
from synthohive.synthesizer.cardinality import calibrate, clean_counts
from synthohive.synthesizer.draws import ModelDraws
from synthohive.synthesizer.fill import fill_columns, share_parent_values
from synthohive.synthesizer.keys import cast_like
from synthohive.synthesizer.linkage import ChunkKeys
from synthohive.synthesizer.source_stats import apply_source_stats, match_histogram
from synthohive.synthesizer.spill import SpillStore

if TYPE_CHECKING:
    from synthohive.synthesizer.conditions import TableConditions
    from synthohive.synthesizer.fitted import FittedSchema
    from synthohive.synthesizer.plan import TablePlan


def chunk_rng(seed: int, *path: int) -> np.random.Generator:
    """The random stream of one chunk (``path``: table, chunk and sub-chunk positions)."""
    return np.random.default_rng(np.random.SeedSequence([seed, *path]))


def spill_columns(fitted: FittedSchema, table: str) -> list[str]:
    """Columns of ``table`` that its children need: referenced keys, context, counts."""
    plan = fitted.plans[table]
    cols: list[str] = []
    for i, fk in enumerate(fitted.metadata.relations):
        if fk.parent != table or fk.child == table:
            continue
        cols.extend(fk.parent_columns)
        cols.append(plan.count_columns[i])
        child_plan = fitted.plans[fk.child]
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


class TableGenerator:
    """Generates the chunks of one table."""

    def __init__(
        self,
        fitted: FittedSchema,
        name: str,
        t_index: int,
        spill: SpillStore,
        seed: int,
        row_offset: int = 0,
        conditions: TableConditions | None = None,
    ) -> None:
        self.fitted = fitted
        self.name = name
        self.t_index = t_index
        self.spill = spill
        self.seed = seed
        self.plan: TablePlan = fitted.plans[name]
        self.meta = fitted.metadata
        self.offset = int(row_offset)
        self.conditions = conditions
        self.done = 0  # rows generated so far: the position in a condition frame
        self.carry: dict[int, float] = {}
        self.seen: dict[str, set[Any]] = {}
        self.spill_cols = spill_columns(fitted, name)
        self.copy: pd.DataFrame | None = (
            fitted.copies.get(name) if self.plan.strategy == "copy" else None
        )
        self.copy_pos = 0
        self.copy_factor = 1.0
        self.constraints = restore_constraints(name, self.plan.constraints)
        self.related = [c for c in self.constraints if isinstance(c, RelatedConstraint)]
        self.draws = ModelDraws(self.plan, fitted.models.get(name), self.constraints, conditions)
        self.rows = 0  # rows and chunks written, when made with a parent's chunks
        self.chunks = 0
        self.c_index = 0  # parent chunks whose children this generator made with them
        self.made = 0  # chunks made with a parent's chunks
        self.keys = ChunkKeys(self.meta, fitted.plans, name, spill)

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
        parent_plan = self.fitted.plans[self.meta.relations[rel].parent]
        cap = parent_plan.count_caps.get(rel)
        share = self.plan.null_share.get(rel, 0.0)
        ratio = share / max(1.0 - share, 1e-9)
        counts = clean_counts(chunk[parent_plan.count_columns[rel]], cap)
        # parents whose children would overflow the chunk go to the next sub-chunk, so a
        # child chunk holds about chunk_rows rows however large the fan-out is
        start = np.cumsum(counts) - counts
        group = start // max(chunk_rows, 1)
        for g in np.unique(group):
            rng = chunk_rng(self.seed, self.t_index, c_index, int(g), 7)
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
        kids: dict[str, TableGenerator],
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
        rng = chunk_rng(self.seed, self.t_index, c_index)
        rows = self.offset + np.arange(n, dtype=np.int64)
        self.offset += n
        if self.copy is not None:
            return self._copy_chunk(n, rows, rng)
        start, self.done = self.done, self.done + n
        sampled = self.draws.sample(n, parent_chunk, parent_pos, rng, start)
        if sampled is not None:
            frame = sampled[plan.modelled].reset_index(drop=True)
            if plan.source_stats and self.conditions is None:  # full-data marginals
                apply_source_stats(plan, frame, chunk_rng(self.seed, self.t_index, c_index, 11))
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
        self.keys.assign_foreign_keys(frame, n, parent_chunk, parent_pos, rng)
        self.keys.number_grouped_keys(frame)
        table = self.meta.tables[self.name]
        for col, series in fill_columns(table, plan, rows, rng, self.seen).items():
            frame[col] = series.to_numpy()
        share_parent_values(frame, plan, parent_chunk, parent_pos, rng)
        keep = self.keys.dedupe_primary_key(frame, rng)
        if keep is not None:
            frame = frame[keep].reset_index(drop=True)
            counts = {i: c[keep] for i, c in counts.items()}
            starts = {c: v[keep] for c, v in starts.items()}
        for rule in self.related:
            rule.after_counts(frame, counts)
        self.keys.assign_self_references(frame, counts, rng)
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
            if cap is None and i in plan.count_hist and self.conditions is None:
                counts = match_histogram(counts, plan.count_hist[i], rng)  # full-data shape
            # conditioned rows keep their conditional counts: calibrating them to the learned
            # overall mean would undo the dependence of the children on the conditions
            if cap is None and i in plan.count_means and self.conditions is None:
                counts, self.carry[i] = calibrate(
                    counts, plan.count_means[i], self.carry.get(i, 0.0), rng, top
                )
            out[i] = counts
        return out

    def _restore(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Caller's column order and dtypes (str labels; the caller maps them back)."""
        plan = self.plan
        out = {}
        for col in plan.output_labels:
            values = frame[col].reset_index(drop=True)
            dtype = plan.dtypes.get(col)
            out[col] = values if str(values.dtype) == dtype else cast_like(values, dtype)
        return pd.DataFrame(out, columns=plan.output_labels)
