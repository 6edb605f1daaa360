"""``FitSetup``: what a torch model's training loop starts from - the fitted encoding, the
encoded rows and context, the held-out split and the seeded generator that drew it (made by
:meth:`~synthohive.nn.model.NeuralModel._start_fit`). Importing it does not import torch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

    from synthohive.nn.data import EncodedTable


@dataclass
class FitSetup:
    """What a training loop starts from (see :meth:`NeuralModel._start_fit`)."""

    enc: EncodedTable
    device: torch.device
    matrix: np.ndarray
    """Every encoded row, ``(n, width)``."""
    ctx: np.ndarray
    """The encoded context of every row, ``(n, context_width)``."""
    rng: np.random.Generator
    """Seeded by the fit's seed; has drawn the held-out split."""
    train_idx: np.ndarray
    val_idx: np.ndarray

    @property
    def train(self) -> np.ndarray:
        """The encoded training rows."""
        return self.matrix[self.train_idx]

    @property
    def train_ctx(self) -> np.ndarray:
        """The context of the training rows."""
        return self.ctx[self.train_idx]

    @property
    def val_real(self) -> np.ndarray:
        """The held-out rows, or up to 5,000 training rows when nothing is held out."""
        return self.matrix[self.val_idx] if len(self.val_idx) else self.train[:5000]

    @property
    def val_ctx(self) -> np.ndarray:
        """The context of :attr:`val_real`."""
        if len(self.val_idx):
            return self.ctx[self.val_idx]
        return self.train_ctx[: len(self.val_real)]
