"""CTGAN networks: residual conditional generator and PacGAN critic with gradient penalty."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class Residual(nn.Module):
    """``x -> [relu(bn(fc(x))), x]``: the output keeps the input (width grows by ``out``)."""

    def __init__(self, inp: int, out: int) -> None:
        super().__init__()
        self.fc = nn.Linear(inp, out)
        self.bn = nn.BatchNorm1d(out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([torch.relu(self.bn(self.fc(x))), x], dim=1)


class Generator(nn.Module):
    """Noise + conditional vector (+ context) -> raw outputs in the encoded layout."""

    def __init__(self, in_dim: int, hidden: Sequence[int], data_dim: int) -> None:
        super().__init__()
        blocks: list[nn.Module] = []
        width = in_dim
        for h in hidden:
            blocks.append(Residual(width, h))
            width += h
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(width, data_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(x))

    @torch.no_grad()
    def folded(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Eval-mode weights with each BatchNorm folded into its linear layer.

        ``(weight.T, bias)`` per residual block, then the head's; for :meth:`run_folded`.
        Equal to ``forward`` in eval mode (running statistics) up to float rounding.
        """
        out: list[tuple[torch.Tensor, torch.Tensor]] = []
        for block in self.blocks:
            if not isinstance(block, Residual):
                raise TypeError(f"unexpected generator block {type(block).__name__}")
            bn = block.bn
            if bn.running_mean is None or bn.running_var is None:
                raise RuntimeError("generator BatchNorm has no running statistics")
            scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
            weight = block.fc.weight * scale[:, None]
            bias = (block.fc.bias - bn.running_mean) * scale + bn.bias
            out.append((weight.T.contiguous(), bias.contiguous()))
        out.append((self.head.weight.T.contiguous(), self.head.bias.detach().clone()))
        return out

    @staticmethod
    def run_folded(
        folded: list[tuple[torch.Tensor, torch.Tensor]],
        x: torch.Tensor,
        *,
        transposed: bool = False,
    ) -> torch.Tensor:
        """Inference forward pass over :meth:`folded` weights (no BatchNorm pass).

        ``transposed=True`` returns the output span-major, ``(data_dim, B)`` (the head runs
        as ``W @ x.T + b``), which is what generation consumes.
        """
        for weight, bias in folded[:-1]:
            x = torch.cat([torch.addmm(bias, x, weight).relu_(), x], dim=1)
        weight, bias = folded[-1]
        if transposed:
            return torch.addmm(bias[:, None], weight.t(), x.t())
        return torch.addmm(bias, x, weight)


class HalfDropout(nn.Module):
    """Dropout at rate 0.5 (the CTGAN critic's): each unit is kept with probability 1/2 and
    scaled by 2 in training, the identity in eval mode.

    Same distribution as ``nn.Dropout(0.5)``, with the mask made from the low bit of each byte
    of random 64-bit words (one generator call per 8 units): on the CPU, ``bernoulli_`` costs
    ~5x more and was ~5% of a CTGAN training step on HI.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        n = x.numel()
        words = torch.empty((n + 7) // 8, dtype=torch.int64, device=x.device).random_()
        keep = words.view(torch.uint8)[:n].bitwise_and(1).view(x.shape)
        return x * (keep * 2).to(x.dtype)


class Critic(nn.Module):
    """PacGAN critic: scores packs of ``pac`` rows (each row = data + cond + context)."""

    def __init__(self, in_dim: int, hidden: Sequence[int], pac: int) -> None:
        super().__init__()
        self.pac = pac
        self.packed = in_dim * pac
        layers: list[nn.Module] = []
        width = self.packed
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2), HalfDropout()]
            width = h
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.reshape(-1, self.packed))

    def gradient_penalty(
        self, real: torch.Tensor, fake: torch.Tensor, gen: torch.Generator, weight: float = 10.0
    ) -> torch.Tensor:
        """WGAN-GP penalty on random interpolates, one mixing weight per pack."""
        packs = real.shape[0] // self.pac
        alpha = torch.rand(packs, 1, 1, generator=gen, device=real.device, dtype=real.dtype)
        alpha = alpha.expand(packs, self.pac, 1).reshape(-1, 1)
        mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        score = self(mixed)
        (grad,) = torch.autograd.grad(
            score.sum(), mixed, create_graph=True, retain_graph=True, only_inputs=True
        )
        norms = grad.reshape(packs, -1).norm(2, dim=1)
        return weight * ((norms - 1.0) ** 2).mean()
