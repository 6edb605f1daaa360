"""TVAE networks: MLP encoder (mean, log-variance) and MLP decoder with learned sigmas."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def _mlp(inp: int, hidden: Sequence[int]) -> tuple[nn.Sequential, int]:
    layers: list[nn.Module] = []
    width = inp
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    return nn.Sequential(*layers), width


class Encoder(nn.Module):
    """Encoded row (+ context) -> ``(mu, logvar)`` of the latent posterior."""

    def __init__(self, in_dim: int, hidden: Sequence[int], latent: int) -> None:
        super().__init__()
        self.body, width = _mlp(in_dim, hidden)
        self.mu = nn.Linear(width, latent)
        self.logvar = nn.Linear(width, latent)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(x)
        return self.mu(h), self.logvar(h)


class Decoder(nn.Module):
    """Latent (+ context) -> raw outputs in the encoded layout; ``sigma`` per output dim."""

    def __init__(self, in_dim: int, hidden: Sequence[int], data_dim: int) -> None:
        super().__init__()
        body, width = _mlp(in_dim, hidden)
        self.net = nn.Sequential(*body, nn.Linear(width, data_dim))
        self.sigma = nn.Parameter(torch.full((data_dim,), 0.1))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)

    def forward_t(self, z: torch.Tensor) -> torch.Tensor:
        """``forward(z).T`` computed directly (``(data_dim, B)``, contiguous) for span-major
        generation."""
        head = self.net[-1]
        if not isinstance(head, nn.Linear):
            raise TypeError(f"unexpected decoder head {type(head).__name__}")
        h = self.net[:-1](z)
        return torch.addmm(head.bias[:, None], head.weight, h.t())
