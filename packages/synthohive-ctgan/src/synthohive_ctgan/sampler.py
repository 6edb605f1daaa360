"""Training-by-sampling: conditional vectors and the real rows that match them.

All state lives in a few tensors on the training device; one call draws a whole batch with
vectorised ops (no Python loop over rows or columns).
"""

from __future__ import annotations

import numpy as np
import torch


class ConditionSampler:
    """Draws conditional vectors and matching training rows.

    ``encoded`` is the training matrix; ``spans`` are ``(start, dim)`` of the discrete spans in
    conditional-vector order. For a batch: pick a discrete column uniformly, pick one of its
    categories with probability proportional to ``log(1 + count)`` (or the count when
    ``log_frequency`` is false), and pick a training row that holds that category.
    """

    def __init__(
        self,
        counts: np.ndarray,
        dims: list[int],
        *,
        log_frequency: bool,
        device: torch.device,
        rows_by_slot: np.ndarray | None = None,
    ) -> None:
        self.n_columns = len(dims)
        self.width = int(sum(dims))
        self.device = device
        self.counts_np = np.asarray(counts, dtype=np.int64)
        self.n_rows = int(self.counts_np[: dims[0]].sum()) if dims else 0
        if not dims:
            return
        max_dim = max(dims)
        train_cum = np.ones((len(dims), max_dim), dtype=np.float64)
        orig_cum = np.ones((len(dims), max_dim), dtype=np.float64)
        col_offsets = np.concatenate([[0], np.cumsum(dims)[:-1]]).astype(np.int64)
        slot_starts = np.zeros(self.width, dtype=np.int64)
        for j, dim in enumerate(dims):
            off = int(col_offsets[j])
            c = self.counts_np[off : off + dim].astype(np.float64)
            weights = np.log1p(c) if log_frequency else c
            train_cum[j, :dim] = np.cumsum(weights / weights.sum())
            orig_cum[j, :dim] = np.cumsum(c / c.sum())
            last = int(np.flatnonzero(c)[-1])  # rounding must never land on an empty slot
            train_cum[j, last:] = 2.0
            orig_cum[j, last:] = 2.0
            within = np.concatenate([[0], np.cumsum(c[:-1])]).astype(np.int64)
            slot_starts[off : off + dim] = j * self.n_rows + within
        self.counts = torch.as_tensor(self.counts_np, device=device)
        self.slot_starts = torch.as_tensor(slot_starts, device=device)
        self.col_offsets = torch.as_tensor(col_offsets, device=device)
        self.train_cum = torch.as_tensor(train_cum, dtype=torch.float32, device=device)
        self.orig_cum = torch.as_tensor(orig_cum, dtype=torch.float32, device=device)
        self.col_dims = torch.as_tensor(dims, device=device)
        self.flat_rows = (
            torch.as_tensor(rows_by_slot, device=device) if rows_by_slot is not None else None
        )

    @classmethod
    def from_encoded(
        cls,
        encoded: np.ndarray,
        spans: list[tuple[int, int]],
        *,
        log_frequency: bool,
        device: torch.device,
    ) -> ConditionSampler:
        """Count categories of the discrete ``spans`` in ``encoded`` and index their rows."""
        counts: list[np.ndarray] = []
        orders: list[np.ndarray] = []
        for start, dim in spans:
            cats = encoded[:, start : start + dim].argmax(axis=1)
            counts.append(np.bincount(cats, minlength=dim))
            orders.append(np.argsort(cats, kind="stable"))
        return cls(
            np.concatenate(counts) if counts else np.zeros(0, dtype=np.int64),
            [d for _, d in spans],
            log_frequency=log_frequency,
            device=device,
            rows_by_slot=np.concatenate(orders) if orders else None,
        )

    def _slots(self, n: int, cum: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        col = torch.randint(0, self.n_columns, (n,), generator=gen, device=self.device)
        u = torch.rand(n, 1, generator=gen, device=self.device)
        local = torch.searchsorted(cum[col], u, right=True).squeeze(1)
        local = torch.minimum(local, self.col_dims[col] - 1)
        return self.col_offsets[col] + local

    def one_hot(self, slots: torch.Tensor) -> torch.Tensor:
        """Conditional vectors for the given slot indices."""
        cond = torch.zeros(slots.shape[0], self.width, device=self.device)
        cond[torch.arange(slots.shape[0], device=self.device), slots] = 1.0
        return cond

    def sample_train(self, n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """``(slots, rows)``: the conditional-vector slot drawn for each row (see
        :meth:`one_hot`) and the training-row indices that hold that category."""
        if self.n_columns == 0:
            raise RuntimeError("sample_train needs discrete columns; draw rows uniformly")
        slots = self._slots(n, self.train_cum, gen)
        pick = torch.rand(n, generator=gen, device=self.device) * self.counts[slots]
        pick = torch.minimum(pick.long(), self.counts[slots] - 1)
        if self.flat_rows is None:
            raise RuntimeError("this sampler was built for generation only")
        rows = self.flat_rows[self.slot_starts[slots] + pick]
        return slots, rows

    def sample_slots(self, n: int, gen: torch.Generator) -> torch.Tensor:
        """Slots drawn like :meth:`sample_train`'s but with the categories' own frequencies
        (the distribution a uniformly drawn row's own category follows)."""
        return self._slots(n, self.orig_cum, gen)

    def sample_original(self, n: int, gen: torch.Generator) -> torch.Tensor | None:
        """Conditional vectors drawn with the data's own category frequencies (for sampling)."""
        if self.n_columns == 0:
            return None
        return self.one_hot(self._slots(n, self.orig_cum, gen))
