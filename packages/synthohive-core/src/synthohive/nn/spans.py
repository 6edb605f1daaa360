"""Span-wise output layers over the DataTransformer's encoded layout.

The encoded matrix is a row of spans (``SpanInfo``): scalar spans (``activation="tanh"``)
and one-hot spans (``activation="softmax"``). :class:`SpanLayout` groups one-hot spans of
equal width into ``(k, w)`` index tensors so activations, sampling and losses run as a few
fused ops per width instead of a Python loop per column.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.nn import functional as F  # noqa: N812

_EPS = 1e-10


@dataclass
class SpanLayout:
    """Index tensors describing the encoded layout of a table."""

    width: int
    scalar_idx: torch.Tensor
    groups: list[torch.Tensor] = field(default_factory=list)
    """One ``(k, w)`` long tensor per distinct softmax width ``w``."""
    inverse: torch.Tensor = field(default_factory=lambda: torch.zeros(0, dtype=torch.long))
    """Permutation that puts ``cat([scalars, group0, group1, ...])`` back in layout order."""

    @classmethod
    def from_output_info(cls, output_info: Sequence[Any]) -> SpanLayout:
        """Build from ``DataTransformer.output_info`` (objects with start/dim/activation)."""
        scalars: list[int] = []
        by_width: dict[int, list[list[int]]] = {}
        width = 0
        for span in output_info:
            start, dim = int(span.start), int(span.dim)
            width = max(width, start + dim)
            if span.activation == "softmax":
                by_width.setdefault(dim, []).append(list(range(start, start + dim)))
            else:
                scalars.extend(range(start, start + dim))
        scalar_idx = torch.tensor(scalars, dtype=torch.long)
        groups = [torch.tensor(by_width[w], dtype=torch.long) for w in sorted(by_width)]
        order = torch.cat([scalar_idx, *[g.reshape(-1) for g in groups]])
        if order.numel() != width or torch.unique(order).numel() != width:
            raise ValueError("output_info spans must tile the encoded width exactly")
        inverse = torch.empty(width, dtype=torch.long)
        inverse[order] = torch.arange(width)
        return cls(width=width, scalar_idx=scalar_idx, groups=groups, inverse=inverse)

    def to(self, device: torch.device) -> SpanLayout:
        """The same layout with its index tensors on ``device``."""
        return SpanLayout(
            width=self.width,
            scalar_idx=self.scalar_idx.to(device),
            groups=[g.to(device) for g in self.groups],
            inverse=self.inverse.to(device),
        )

    def _assemble(self, scalars: torch.Tensor, parts: list[torch.Tensor]) -> torch.Tensor:
        flat = [scalars] + [p.reshape(p.shape[0], -1) for p in parts]
        return torch.cat(flat, dim=1)[:, self.inverse]


def gumbel_noise(
    shape: torch.Size | tuple[int, ...], like: torch.Tensor, gen: torch.Generator | None
) -> torch.Tensor:
    """Standard Gumbel noise drawn with ``gen`` (deterministic when seeded)."""
    u = torch.rand(shape, generator=gen, device=like.device, dtype=like.dtype)
    return -torch.log(-torch.log(u + _EPS) + _EPS)


def apply_activations(
    raw: torch.Tensor,
    layout: SpanLayout,
    *,
    mode: str = "gumbel",
    tau: float = 0.2,
    gen: torch.Generator | None = None,
) -> torch.Tensor:
    """Map raw network outputs to the encoded space.

    Scalars get ``tanh``. One-hot spans get, by ``mode``: ``"gumbel"`` (differentiable
    Gumbel-softmax at temperature ``tau``, for GAN training), ``"softmax"`` (probabilities),
    or ``"sample"`` (a hard one-hot drawn from the softmax, for generation).
    """
    if mode == "sample":
        return sample_one_hots(raw, layout, gen)
    scalars = torch.tanh(raw[:, layout.scalar_idx])
    parts: list[torch.Tensor] = []
    for idx in layout.groups:
        logits = raw[:, idx]  # (B, k, w)
        if mode == "gumbel":
            parts.append(F.softmax((logits + gumbel_noise(logits.shape, logits, gen)) / tau, -1))
        elif mode == "softmax":
            parts.append(F.softmax(logits, -1))
        else:
            raise ValueError(f"unknown activation mode {mode!r}")
    return layout._assemble(scalars, parts)


def sample_one_hots(
    raw: torch.Tensor, layout: SpanLayout, gen: torch.Generator | None
) -> torch.Tensor:
    """Generation-time activations of row-major ``raw`` ``(B, width)``: ``tanh`` scalars and
    one hard one-hot per span. Same draws as :func:`sample_one_hots_t` on ``raw.T``."""
    return sample_one_hots_t(raw.t().contiguous(), layout, gen).t().contiguous()


_LOOP_WIDTH = 64
"""Spans up to this many categories are drawn with a running sum over contiguous slabs."""


def sample_one_hots_t(
    raw_t: torch.Tensor, layout: SpanLayout, gen: torch.Generator | None
) -> torch.Tensor:
    """Generation-time activations in span-major layout: ``raw_t`` is ``(width, B)``.

    Scalars get ``tanh``; each one-hot span gets one category drawn by inverse CDF from its
    softmax, with one uniform per (span, row). Generation runs span-major because every
    entry of a span is then a contiguous row of ``B`` values: the per-span max, ``exp``,
    running sum and comparison are whole-slab ops, where the row-major layout puts a
    2-to-10-wide softmax on the innermost axis (1.5-2x slower on the CPU). Spans wider
    than ``_LOOP_WIDTH`` switch to a row-major softmax for their group. Returns
    ``(width, B)`` with exact 0/1 one-hots.
    """
    n = raw_t.shape[1]
    out = torch.zeros_like(raw_t)
    s = layout.scalar_idx
    if s.numel():
        out[s] = torch.tanh(raw_t[s])
    for idx in layout.groups:  # (k, w)
        k, w = idx.shape
        u = torch.rand((k, n), generator=gen, device=raw_t.device, dtype=raw_t.dtype)
        if w <= _LOOP_WIDTH:
            x = raw_t[idx.t().reshape(-1)].view(w, k, n)  # entry j of every span: x[j]
            x = x.sub_(x.amax(0)).exp_()
            for j in range(1, w):
                x[j] += x[j - 1]
            pick = (x[:-1] < u.mul_(x[-1])).sum(0)  # (k, n)
        else:
            cdf = F.softmax(raw_t[idx.reshape(-1)].view(k, w, n).transpose(1, 2), -1)
            cdf = cdf.cumsum(-1)  # (k, n, w)
            pick = (cdf[..., :-1] < (u * cdf[..., -1]).unsqueeze(-1)).sum(-1)
        rows = idx.gather(1, pick.clamp_(max=w - 1))  # (k, n): matrix column of each draw
        out.scatter_(0, rows, 1.0)
    return out


def discrete_cross_entropy(
    raw: torch.Tensor, target: torch.Tensor, layout: SpanLayout
) -> torch.Tensor:
    """Sum over one-hot spans of the cross-entropy of ``raw`` logits vs one-hot ``target``.

    Returns one value per row (shape ``(B,)``).
    """
    total = raw.new_zeros(raw.shape[0])
    for idx in layout.groups:
        logp = F.log_softmax(raw[:, idx], dim=-1)
        total = total - (target[:, idx] * logp).sum(dim=(1, 2))
    return total


@dataclass
class ConditionIndex:
    """Where each slot of the conditional vector lives in the encoded matrix.

    ``span`` is ``(C, w_max)``: the matrix columns of the span that holds each slot, padded
    with column 0 where ``valid`` is false; ``pos`` is ``(C,)``: the slot's own column.
    """

    span: torch.Tensor
    valid: torch.Tensor
    pos: torch.Tensor

    @classmethod
    def from_spans(cls, spans: Sequence[tuple[int, int]]) -> ConditionIndex:
        """Build from the ``(start, dim)`` of the discrete spans, in conditional order."""
        w_max = max((d for _, d in spans), default=1)
        rows: list[list[int]] = []
        valid: list[list[bool]] = []
        pos: list[int] = []
        for start, dim in spans:
            cols = list(range(start, start + dim)) + [0] * (w_max - dim)
            mask = [True] * dim + [False] * (w_max - dim)
            for j in range(dim):
                rows.append(cols)
                valid.append(mask)
                pos.append(start + j)
        return cls(
            span=torch.tensor(rows, dtype=torch.long).reshape(-1, w_max),
            valid=torch.tensor(valid, dtype=torch.bool).reshape(-1, w_max),
            pos=torch.tensor(pos, dtype=torch.long),
        )

    def to(self, device: torch.device) -> ConditionIndex:
        """The same index with its tensors on ``device``."""
        return ConditionIndex(self.span.to(device), self.valid.to(device), self.pos.to(device))

    def cross_entropy(self, raw: torch.Tensor, slots: torch.Tensor) -> torch.Tensor:
        """Per-row cross-entropy of the conditioned span's logits against the slot drawn.

        Equal to :func:`discrete_cross_entropy` against the one-hot of ``slots`` but touches
        only one span per row (one gather, one ``logsumexp``). Shape ``(B,)``.
        """
        logits = raw.gather(1, self.span[slots]).masked_fill(~self.valid[slots], -math.inf)
        chosen = raw.gather(1, self.pos[slots].unsqueeze(1)).squeeze(1)
        return torch.logsumexp(logits, dim=1) - chosen


def reconstruction_loss(
    raw: torch.Tensor,
    target: torch.Tensor,
    sigma: torch.Tensor,
    layout: SpanLayout,
    *,
    per_row: bool = False,
) -> torch.Tensor:
    """Per-span VAE reconstruction loss, averaged over rows (``per_row``: one per row).

    Scalars: Gaussian negative log-likelihood of ``target`` around ``tanh(raw)`` with the
    learned per-dimension ``sigma``; one-hot spans: cross-entropy.
    """
    n = raw.shape[0]
    if per_row:
        rows = discrete_cross_entropy(raw, target, layout)
        s = layout.scalar_idx
        if s.numel():
            sig = sigma[s]
            diff = target[:, s] - torch.tanh(raw[:, s])
            rows = rows + (diff.pow(2) / (2 * sig.pow(2))).sum(dim=1) + torch.log(sig).sum()
        return rows
    s = layout.scalar_idx
    loss = discrete_cross_entropy(raw, target, layout).sum()
    if s.numel():
        sig = sigma[s]
        diff = target[:, s] - torch.tanh(raw[:, s])
        loss = loss + (diff.pow(2) / (2 * sig.pow(2))).sum() + n * torch.log(sig).sum()
    return loss / n


def fix_one_hots_t(out_t: torch.Tensor, fixes: Sequence[tuple[int, int, int]]) -> torch.Tensor:
    """Set each span ``[start, end)`` of the span-major ``out_t`` ``(width, B)`` to the
    one-hot of matrix column ``pos``; ``fixes`` holds ``(start, end, pos)`` (used to honour
    sampling conditions exactly)."""
    for start, end, pos in fixes:
        out_t[start:end] = 0.0
        out_t[pos] = 1.0
    return out_t
