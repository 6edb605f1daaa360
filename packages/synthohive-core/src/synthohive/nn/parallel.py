"""Data-parallel training: what a torch model does when ``torch.distributed`` is initialised.

One process per rank (launched by ``torchrun``, or by Spark's ``TorchDistributor`` - see
``synthohive_spark.ddp``) fits one table together:

- every rank fits the encoding on *all* rows with the same seed and holds out the same
  validation rows, so the encodings agree (checked: the widths are compared across ranks);
- each rank trains on its own shard of the training rows (``rank::world``), draws
  ``batch // world`` rows per step with its own seed, and ``DistributedDataParallel``
  averages the gradients, so every step sees a global batch of the single-process size and
  an epoch has the single-process number of steps (TVAE). CTGAN draws its rows with
  replacement from all training rows, so each rank draws ``batch // world`` of them with its
  own seed (no shard), and its gradients are averaged by one all-reduce per network and step
  (:meth:`DataParallel.average_gradients`; DDP cannot wrap a WGAN-GP critic);
- rank 0 decides when to score an epoch, scores it and broadcasts the score (and its noise),
  so best-epoch selection and early stopping are identical on every rank.

Nothing here runs in a single-process fit: :meth:`DataParallel.current` is ``None`` unless a
process group of two or more ranks is initialised.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.distributed as dist

from synthohive.errors import DataError, PrivacyError

if TYPE_CHECKING:
    from synthohive.nn.model import NeuralModel
    from synthohive.nn.training import TrainingMonitor


@dataclass(frozen=True)
class DataParallel:
    """This process's place in an initialised process group (``rank`` of ``world``)."""

    rank: int
    world: int

    @classmethod
    def current(cls) -> DataParallel | None:
        """The process group's rank and size, or ``None`` outside data-parallel training."""
        if not dist.is_available() or not dist.is_initialized():
            return None
        world = dist.get_world_size()
        return cls(dist.get_rank(), world) if world > 1 else None

    @property
    def primary(self) -> bool:
        """Whether this is rank 0 (the rank that scores epochs and keeps the result)."""
        return self.rank == 0

    def rank_seed(self, seed: int) -> int:
        """The seed of this rank's batch draws and noise (rank 0 keeps ``seed``)."""
        return seed + 1_000_003 * self.rank

    def check_model(self, model: NeuralModel) -> None:
        """Refuse a model that cannot train data-parallel, and DP-SGD (its per-row clipping
        and privacy accountant assume one process)."""
        tname = model.table.name if model.table else None
        if not model.supports_data_parallel:
            raise DataError(
                f"model {model.name!r} does not support data-parallel training",
                table=tname,
                fix="fit it in one process, or use a model that does (tvae, ctgan)",
            )
        if getattr(model.params, "dp", None) is not None:
            raise PrivacyError(
                "differential privacy is not available with data-parallel training",
                table=tname,
                fix="fit the table in one process, or drop dp",
            )

    def plan(self, n_train: int, batch: int, *, table: str | None) -> tuple[np.ndarray, int, int]:
        """This rank's training rows (indices into the training rows), rows per step on this
        rank, and steps per epoch (the same on every rank)."""
        local = batch // self.world
        if local < 1:
            raise DataError(
                f"batch size {batch} is smaller than the {self.world} training processes",
                table=table,
                fix="raise batch_size, or train with fewer processes",
            )
        steps = max(1, math.ceil(math.ceil(n_train / self.world) / local))
        return np.arange(self.rank, n_train, self.world), local, steps

    def pac_batch(self, batch: int, pac: int, *, table: str | None) -> int:
        """Rows per step on this rank when every process draws its own rows (with
        replacement, as CTGAN's training-by-sampling does): ``batch // world`` rounded down to
        a multiple of ``pac``."""
        local = (batch // self.world) // pac * pac
        if local < pac:
            raise DataError(
                f"batch size {batch} leaves fewer than pac={pac} rows for each of the "
                f"{self.world} training processes",
                table=table,
                fix="raise batch_size, lower pac, or train with fewer processes",
            )
        return local

    def broadcast_modules(self, *modules: torch.nn.Module) -> None:
        """Give every rank rank 0's weights (the start of training without DDP)."""
        for module in modules:
            for tensor in [*module.parameters(), *module.buffers()]:
                dist.broadcast(tensor.data, src=0)

    def average_gradients(self, module: torch.nn.Module) -> None:
        """Replace each gradient of ``module`` by its mean over the ranks (one all-reduce).

        For training loops that ``DistributedDataParallel`` cannot wrap: WGAN-GP's gradient
        penalty differentiates the critic twice in one step, which DDP's reducer refuses."""
        grads = [q.grad for q in module.parameters() if q.grad is not None]
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat /= self.world
        start = 0
        for g in grads:
            g.copy_(flat[start : start + g.numel()].view_as(g))
            start += g.numel()

    def wrap(self, module: torch.nn.Module) -> torch.nn.Module:
        """``module`` in ``DistributedDataParallel`` (rank 0's weights are broadcast)."""
        from torch.nn.parallel import DistributedDataParallel

        device = next(module.parameters()).device
        ids = [device.index] if device.type == "cuda" else None
        return DistributedDataParallel(module, device_ids=ids)

    def agree(self, values: Sequence[float]) -> list[float]:
        """Rank 0's ``values``, on every rank (a broadcast)."""
        device = (
            torch.device("cuda", torch.cuda.current_device())
            if dist.get_backend() == "nccl"
            else torch.device("cpu")
        )
        t = torch.tensor([float(v) for v in values], dtype=torch.float64, device=device)
        dist.broadcast(t, src=0)
        return [float(v) for v in t.cpu().tolist()]

    def check_same(self, what: str, value: int, *, table: str | None) -> None:
        """Raise :class:`DataError` unless every rank holds the same ``value``."""
        t = torch.tensor([value, -value], dtype=torch.float64)
        if dist.get_backend() == "nccl":
            t = t.to(torch.device("cuda", torch.cuda.current_device()))
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        high, low = float(t[0]), -float(t[1])
        if high != low:
            raise DataError(
                f"the training processes disagree on the {what} ({low:g} to {high:g})",
                table=table,
                fix="give every process the same rows in the same order, and the same seed",
            )

    def epoch_score(
        self, monitor: TrainingMonitor, epoch: int, score: Callable[[], float]
    ) -> float | None:
        """Rank 0 decides whether ``epoch`` is scored and scores it (``score()``); every rank
        gets the same answer and the score's noise, so their monitors decide alike."""
        due = monitor.should_evaluate(epoch)
        (agreed,) = self.agree([1.0 if due else 0.0])
        if not agreed:
            return None
        value = score() if self.primary else 0.0
        # every rank needs the noise now (their monitors decide alike): no deferring here
        known = monitor.resolve_score_noise() if self.primary else monitor.score_noise
        noise = known if known is not None else -1.0
        value, noise = self.agree([value, noise])
        if monitor.score_noise is None and noise >= 0:
            monitor.set_score_noise(noise)
        return value
