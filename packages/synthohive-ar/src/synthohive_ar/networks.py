"""The autoregressive network: a masked MLP (MADE) over per-column token embeddings.

Column ``j``'s logits depend only on the tokens of columns ``0..j-1`` (and the context), so
one forward pass gives every column's conditional distribution for training, and generation
fills the columns one after another. Hidden units carry a degree ``0..C-1``: a unit of degree
``d`` sees the inputs of columns ``< d`` (degree-0 units see only the context), and column
``j``'s logits see units of degree ``<= j``. Residual blocks keep the masks; there is no
normalisation layer (it would mix units of different degrees).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional


class MaskedLinear(nn.Linear):
    """A linear layer whose weight is multiplied by a fixed 0/1 mask (rebuilt, never stored)."""

    mask: torch.Tensor

    def __init__(self, inp: int, out: int, mask: torch.Tensor, bias: bool = True) -> None:
        super().__init__(inp, out, bias=bias)
        self.register_buffer("mask", mask.to(self.weight.dtype), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return functional.linear(x, self.weight * self.mask, self.bias)


class _Block(nn.Module):
    def __init__(self, width: int, mask: torch.Tensor, dropout: float) -> None:
        super().__init__()
        self.a = MaskedLinear(width, width, mask)
        self.b = MaskedLinear(width, width, mask)
        self.drop = nn.Dropout(dropout)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h + self.b(self.drop(functional.relu(self.a(functional.relu(h)))))


class MADE(nn.Module):
    """Token ids ``(B, C)`` (+ context ``(B, K)``) -> logits ``(B, sum(vocab))``."""

    offsets: torch.Tensor

    def __init__(
        self,
        vocab: Sequence[int],
        *,
        embedding_dim: int,
        hidden: int,
        blocks: int,
        context_dim: int,
        dropout: float,
    ) -> None:
        super().__init__()
        c = len(vocab)
        sizes = torch.tensor(list(vocab), dtype=torch.int64)
        starts = torch.cumsum(sizes, 0) - sizes
        self.vocab = [int(v) for v in vocab]
        self.starts = [int(s) for s in starts]
        self.register_buffer("offsets", starts, persistent=False)
        self.embed = nn.Embedding(int(sizes.sum()), embedding_dim)
        in_deg = torch.arange(1, c + 1).repeat_interleave(embedding_dim)
        hid_deg = torch.arange(hidden) % c
        out_deg = torch.arange(1, c + 1).repeat_interleave(sizes)
        self.inp = MaskedLinear(c * embedding_dim, hidden, hid_deg[:, None] >= in_deg[None, :])
        self.context = nn.Linear(context_dim, hidden) if context_dim else None
        square = hid_deg[:, None] >= hid_deg[None, :]
        self.blocks = nn.ModuleList(_Block(hidden, square, dropout) for _ in range(blocks))
        self.out = MaskedLinear(hidden, int(sizes.sum()), out_deg[:, None] > hid_deg[None, :])

    def hidden(self, tokens: torch.Tensor, context: torch.Tensor | None) -> torch.Tensor:
        """The last hidden layer for ``tokens`` (columns not yet generated may hold anything:
        no column's logits can see them)."""
        x = self.embed(tokens + self.offsets).flatten(1)
        h = self.inp(x)
        if self.context is not None and context is not None:
            h = h + self.context(context)
        for block in self.blocks:
            h = block(h)
        return functional.relu(h)

    def forward(self, tokens: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        return self.out(self.hidden(tokens, context))

    def column_logits(self, h: torch.Tensor, j: int) -> torch.Tensor:
        """Column ``j``'s logits from :meth:`hidden` (only its rows of the output layer)."""
        lo, hi = self.starts[j], self.starts[j] + self.vocab[j]
        weight = self.out.weight[lo:hi] * self.out.mask[lo:hi]
        return functional.linear(h, weight, self.out.bias[lo:hi])

    def init_marginals(self, tokens: torch.Tensor) -> None:
        """Output biases set to the log frequencies of ``tokens`` ``(n, C)``: before any
        training step every column already has its marginal distribution."""
        with torch.no_grad():
            for j, (lo, v) in enumerate(zip(self.starts, self.vocab, strict=True)):
                counts = torch.bincount(tokens[:, j], minlength=v).to(self.out.bias.dtype)
                self.out.bias[lo : lo + v] = torch.log((counts + 0.5) / (counts.sum() + 0.5 * v))

    def nll(self, logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Per-row negative log-likelihood ``(B,)``: cross-entropy summed over columns."""
        total = torch.zeros(tokens.shape[0], device=tokens.device)
        for j, (lo, v) in enumerate(zip(self.starts, self.vocab, strict=True)):
            total = total + functional.cross_entropy(
                logits[:, lo : lo + v], tokens[:, j], reduction="none"
            )
        return total
