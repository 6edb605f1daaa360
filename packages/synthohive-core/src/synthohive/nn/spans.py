"""Span-wise output layers over the DataTransformer's encoded layout.

The encoded matrix is a row of spans (``SpanInfo``): scalar spans (``activation="tanh"``)
and one-hot spans (``activation="softmax"``). :class:`SpanLayout` groups one-hot spans of
equal width into ``(k, w)`` index tensors so activations, sampling and losses run as a few
fused ops per width instead of a Python loop per column.
"""

from __future__ import annotations

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
    scalars = torch.tanh(raw[:, layout.scalar_idx])
    parts: list[torch.Tensor] = []
    for idx in layout.groups:
        logits = raw[:, idx]  # (B, k, w)
        if mode == "gumbel":
            parts.append(F.softmax((logits + gumbel_noise(logits.shape, logits, gen)) / tau, -1))
        elif mode == "softmax":
            parts.append(F.softmax(logits, -1))
        elif mode == "sample":
            pick = (logits + gumbel_noise(logits.shape, logits, gen)).argmax(-1, keepdim=True)
            parts.append(torch.zeros_like(logits).scatter_(-1, pick, 1.0))
        else:
            raise ValueError(f"unknown activation mode {mode!r}")
    return layout._assemble(scalars, parts)


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


def reconstruction_loss(
    raw: torch.Tensor, target: torch.Tensor, sigma: torch.Tensor, layout: SpanLayout
) -> torch.Tensor:
    """Per-span VAE reconstruction loss, averaged over rows.

    Scalars: Gaussian negative log-likelihood of ``target`` around ``tanh(raw)`` with the
    learned per-dimension ``sigma``; one-hot spans: cross-entropy.
    """
    n = raw.shape[0]
    s = layout.scalar_idx
    loss = discrete_cross_entropy(raw, target, layout).sum()
    if s.numel():
        sig = sigma[s]
        diff = target[:, s] - torch.tanh(raw[:, s])
        loss = loss + (diff.pow(2) / (2 * sig.pow(2))).sum() + n * torch.log(sig).sum()
    return loss / n


def span_index(output_info: Sequence[Any], column: str, kind: str | None = None) -> int:
    """Position in ``output_info`` of the first span of ``column`` (optionally of ``kind``)."""
    for i, span in enumerate(output_info):
        if span.column == column and (kind is None or span.kind == kind):
            return i
    raise KeyError(column)


def fix_one_hots(out: torch.Tensor, fixes: Sequence[tuple[int, int, int]]) -> torch.Tensor:
    """Set each span ``[start, end)`` of ``out`` to the one-hot of matrix column ``pos``.

    ``fixes`` holds ``(start, end, pos)``; used to honour sampling conditions exactly.
    """
    for start, end, pos in fixes:
        out[:, start:end] = 0.0
        out[:, pos] = 1.0
    return out
