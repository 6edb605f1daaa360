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
    """Token ids ``(B, C)`` (+ context ``(B, K)``) -> raw outputs; :meth:`nll` and
    :meth:`column_logits` turn them into each column's logits.

    Each column enters as its token's embedding and its token's ``scores`` entry (the normal
    score of an ordinal token's place in the column's distribution, 0 for categories and
    nulls). An ordinal column (bins, numbers) gets two more outputs, a mean and log-scale on
    the normal-score axis: its logits are free logits plus the log-ratio of that normal to the
    standard one, so a linear-Gaussian dependence (what a Gaussian copula captures) is one
    linear output away, and anything else is left to the free logits.
    """

    offsets: torch.Tensor
    scores: torch.Tensor
    ordinal: torch.Tensor

    def __init__(
        self,
        vocab: Sequence[int],
        scores: torch.Tensor,
        ordinal: torch.Tensor,
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
        total = int(sizes.sum())
        self.vocab = [int(v) for v in vocab]
        self.starts = [int(s) for s in starts]
        self.register_buffer("offsets", starts, persistent=False)
        self.register_buffer("scores", scores.reshape(-1).float(), persistent=False)
        self.register_buffer("ordinal", ordinal.reshape(-1).float(), persistent=False)
        # the mean/log-scale outputs of ordinal column j sit at gauss[j], gauss[j] + 1
        self.gauss: list[int | None] = []
        extra = 0
        for lo, v in zip(self.starts, self.vocab, strict=True):
            has = bool(self.ordinal[lo : lo + v].any())
            self.gauss.append(total + extra if has else None)
            extra += 2 * int(has)
        self.embed = nn.Embedding(total, embedding_dim)
        in_deg = torch.arange(1, c + 1).repeat_interleave(embedding_dim + 1)
        hid_deg = torch.arange(hidden) % c
        col_deg = torch.arange(1, c + 1)
        out_deg = torch.cat(
            [col_deg.repeat_interleave(sizes)]
            + [col_deg[j : j + 1].repeat(2) for j, g in enumerate(self.gauss) if g is not None]
        )
        self.inp = MaskedLinear(
            c * (embedding_dim + 1), hidden, hid_deg[:, None] >= in_deg[None, :]
        )
        self.context = nn.Linear(context_dim, hidden) if context_dim else None
        square = hid_deg[:, None] >= hid_deg[None, :]
        self.blocks = nn.ModuleList(_Block(hidden, square, dropout) for _ in range(blocks))
        self.out = MaskedLinear(hidden, total + extra, out_deg[:, None] > hid_deg[None, :])
        # a direct linear path from earlier columns to the outputs: a linear-Gaussian (copula)
        # dependence needs no hidden layer at all
        self.skip = MaskedLinear(
            c * (embedding_dim + 1), total + extra, out_deg[:, None] > in_deg[None, :], bias=False
        )
        with torch.no_grad():
            self.skip.weight.mul_(0.1)

    def hidden(
        self, tokens: torch.Tensor, context: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The input and the last hidden layer for ``tokens`` (columns not yet generated may
        hold anything: no column's logits can see them)."""
        ids = tokens + self.offsets
        x = torch.cat([self.embed(ids), self.scores[ids, None]], dim=2).flatten(1)
        h = self.inp(x)
        if self.context is not None and context is not None:
            h = h + self.context(context)
        for block in self.blocks:
            h = block(h)
        return x, functional.relu(h)

    def forward(self, tokens: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        x, h = self.hidden(tokens, context)
        return self.out(h) + self.skip(x)

    def _logits(self, free: torch.Tensor, gauss: torch.Tensor | None, j: int) -> torch.Tensor:
        if gauss is None:
            return free
        lo, v = self.starts[j], self.vocab[j]
        z, on = self.scores[lo : lo + v], self.ordinal[lo : lo + v]
        mu, log_s = gauss[:, :1], gauss[:, 1:2].clamp(-4.0, 2.0)
        shift = -0.5 * ((z - mu) * torch.exp(-log_s)) ** 2 + 0.5 * z**2 - log_s
        return free + shift * on

    def column_logits(self, x: torch.Tensor, h: torch.Tensor, j: int) -> torch.Tensor:
        """Column ``j``'s logits from :meth:`hidden` (only its rows of the output layers)."""
        lo, hi, g = self.starts[j], self.starts[j] + self.vocab[j], self.gauss[j]
        rows = [slice(lo, hi)] + ([slice(g, g + 2)] if g is not None else [])
        weight = torch.cat([self.out.weight[r] * self.out.mask[r] for r in rows])
        bias = torch.cat([self.out.bias[r] for r in rows])
        skip = torch.cat([self.skip.weight[r] * self.skip.mask[r] for r in rows])
        raw = functional.linear(h, weight, bias) + functional.linear(x, skip)
        return self._logits(raw[:, : hi - lo], raw[:, hi - lo :] if g is not None else None, j)

    def init_marginals(self, tokens: torch.Tensor) -> None:
        """Output biases set to the log frequencies of ``tokens`` ``(n, C)`` (mean and
        log-scale outputs to 0): before any training step every column has its marginal."""
        with torch.no_grad():
            for j, (lo, v) in enumerate(zip(self.starts, self.vocab, strict=True)):
                counts = torch.bincount(tokens[:, j], minlength=v).to(self.out.bias.dtype)
                self.out.bias[lo : lo + v] = torch.log((counts + 0.5) / (counts.sum() + 0.5 * v))
                g = self.gauss[j]
                if g is not None:
                    self.out.bias[g : g + 2] = 0.0

    def nll(self, raw: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Per-row negative log-likelihood ``(B,)`` of :meth:`forward`'s ``raw`` outputs:
        cross-entropy summed over columns."""
        total = torch.zeros(tokens.shape[0], device=tokens.device)
        for j, (lo, v) in enumerate(zip(self.starts, self.vocab, strict=True)):
            g = self.gauss[j]
            logits = self._logits(
                raw[:, lo : lo + v], raw[:, g : g + 2] if g is not None else None, j
            )
            total = total + functional.cross_entropy(logits, tokens[:, j], reduction="none")
        return total
