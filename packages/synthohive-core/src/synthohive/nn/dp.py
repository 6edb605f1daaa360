"""DP-SGD for the torch models, through opacus (per-row gradients, clipping, noise, accountant).

A torch model fitted with ``dp=DPConfig(...)`` spends its budget in two parts (composed by
adding epsilons and deltas):

1. ``statistics_share`` of epsilon (and half of delta) on noisy per-column statistics
   (:func:`synthohive.privacy.dp.dp_reference`): the transformer, the conditional sampler's
   frequencies and the logit calibration are all fitted on a *reference sample* drawn from
   those noisy marginals, never on the rows - post-processing, free of further cost. The rows
   are then mapped onto what was released (unreleased categories replaced).
2. The rest on DP-SGD: rows are Poisson-sampled with rate ``batch / n`` each step, every
   row's gradient is clipped to ``max_grad_norm`` and Gaussian noise is added (opacus
   ``GradSampleModule`` + ``DPOptimizer``); the noise multiplier is calibrated by opacus so
   that ``epochs`` passes spend exactly the rest of the budget, and opacus's accountant
   (``rdp`` or ``prv``) reports what was spent.

What touches real rows under DP and is therefore switched off: the held-out validation score
and best-epoch restore (the last epoch is kept), the per-category latent statistics of TVAE
(conditions use the fixed one-hot instead), training-by-sampling's row lookup (CTGAN's critic
sees each sampled row with its own category as the condition).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from synthohive.errors import PluginNotFoundError

if TYPE_CHECKING:
    import torch

    from synthohive.privacy.dp import DPConfig


def require_opacus(model: str) -> None:
    """Raise a typed error naming the fix when opacus is not installed."""
    try:
        import opacus  # noqa: F401
    except ImportError:
        raise PluginNotFoundError(
            f"model {model!r}: differential privacy needs opacus, which is not installed",
            fix=f"pip install 'synthohive-{model}[dp]'",
        ) from None


class DPSGD:
    """Opacus DP-SGD over ``modules`` with ``optimizer``: Poisson row sampling, per-row
    clipping and noise, and the accountant.

    Per-row gradient norms come from opacus's ghost clipping (a first backward pass collects
    each row's norm from layer inputs and output gradients without materialising per-row
    gradients, a second one applies the clipped weights): 2x a plain step, where materialised
    per-row gradients cost ~18x on the TVAE networks. In a step: call the modules, pass the
    per-row losses to :meth:`backward`, then :meth:`step`. ``epsilon``/``delta`` is this
    part's budget.
    """

    def __init__(
        self,
        modules: list[torch.nn.Module],
        optimizer: torch.optim.Optimizer,
        *,
        n_rows: int,
        batch: int,
        epochs: int,
        epsilon: float,
        delta: float,
        max_grad_norm: float,
        accountant: str,
        seed: int,
    ) -> None:
        import torch
        from opacus.accountants import PRVAccountant, RDPAccountant
        from opacus.accountants.utils import get_noise_multiplier
        from opacus.grad_sample import GradSampleModuleFastGradientClipping
        from opacus.optimizers import DPOptimizerFastGradientClipping

        self.n_rows = int(n_rows)
        self.batch = int(batch)
        self.sample_rate = min(1.0, self.batch / max(self.n_rows, 1))
        self.steps_per_epoch = max(1, math.ceil(self.n_rows / self.batch))
        self.total_steps = self.steps_per_epoch * int(epochs)
        self.delta = float(delta)
        self.noise_multiplier = float(
            get_noise_multiplier(
                target_epsilon=epsilon,
                target_delta=delta,
                sample_rate=self.sample_rate,
                steps=self.total_steps,
                accountant=accountant,
                epsilon_tolerance=0.005,
            )
        )
        self.accountant_name = accountant
        self.accountant = RDPAccountant() if accountant == "rdp" else PRVAccountant()
        self.module = GradSampleModuleFastGradientClipping(
            torch.nn.ModuleList(modules),
            loss_reduction="sum",
            max_grad_norm=max_grad_norm,
            use_ghost_clipping=True,
        )
        device = next(modules[0].parameters()).device
        self._noise = torch.Generator(device=device)
        self._noise.manual_seed(int(seed) & 0x7FFF_FFFF_FFFF_FFFF)
        self.optimizer = DPOptimizerFastGradientClipping(
            optimizer,
            noise_multiplier=self.noise_multiplier,
            max_grad_norm=max_grad_norm,
            expected_batch_size=self.batch,
            loss_reduction="mean",
            generator=self._noise,
        )
        self.steps_taken = 0

    @classmethod
    def for_config(
        cls,
        modules: list[torch.nn.Module],
        optimizer: torch.optim.Optimizer,
        dp: DPConfig,
        *,
        n_rows: int,
        batch: int,
        epochs: int,
        seed: int,
    ) -> DPSGD:
        """DP-SGD with the DP-SGD share of ``dp`` (see :func:`split_budget`)."""
        _, _, eps_sgd, delta_sgd = split_budget(dp, n_rows)
        return cls(
            modules,
            optimizer,
            n_rows=n_rows,
            batch=batch,
            epochs=epochs,
            epsilon=eps_sgd,
            delta=delta_sgd,
            max_grad_norm=dp.max_grad_norm,
            accountant=dp.accountant,
            seed=seed,
        )

    def rows(self, gen: torch.Generator, device: torch.device) -> torch.Tensor:
        """This step's Poisson sample: each row independently with probability ``batch / n``."""
        import torch

        keep = torch.rand(self.n_rows, generator=gen, device=device) < self.sample_rate
        return torch.nonzero(keep).squeeze(1)

    def zero_grad(self) -> None:
        self.optimizer.zero_grad(set_to_none=True)

    def backward(self, loss_per_row: torch.Tensor) -> None:
        """Gradients of the per-row losses, each row's clipped to ``max_grad_norm``."""
        from opacus.utils.fast_gradient_clipping_utils import DPTensorFastGradientClipping

        DPTensorFastGradientClipping(self.module, self.optimizer, loss_per_row, "sum").backward()

    def hooks(self, on: bool) -> None:
        """Switch opacus's hooks (off for passes that must not touch per-row state, such as
        a GAN generator step through the private critic)."""
        if on:
            self.module.enable_hooks()
        else:
            self.module.disable_hooks()

    def step(self) -> None:
        """Clip, noise and apply the gradient, and book the step with the accountant."""
        self.optimizer.step()
        self.book()

    def book(self) -> None:
        """Book one step without an update (a step whose sample held no row still counts)."""
        self.accountant.step(noise_multiplier=self.noise_multiplier, sample_rate=self.sample_rate)
        self.steps_taken += 1

    def epsilon(self) -> float:
        """Epsilon spent so far at this part's ``delta``."""
        if not self.steps_taken:
            return 0.0
        return float(self.accountant.get_epsilon(delta=self.delta))

    def unwrap(self) -> None:
        """Remove opacus's hooks from the modules (they are saved and sampled bare)."""
        self.module.remove_hooks()
        self.module.cleanup()

    def record(self) -> dict[str, Any]:
        """JSON record of this part: epsilon, delta, accountant, noise, rate and steps."""
        return {
            "epsilon": round(self.epsilon(), 6),
            "delta": self.delta,
            "accountant": f"opacus-{self.accountant_name}",
            "noise_multiplier": round(self.noise_multiplier, 6),
            "sample_rate": round(self.sample_rate, 8),
            "steps": self.steps_taken,
        }


def split_budget(dp: DPConfig, n_rows: int) -> tuple[float, float, float, float]:
    """``(eps_statistics, delta_statistics, eps_sgd, delta_sgd)`` of ``dp`` for ``n_rows``."""
    delta = dp.resolved_delta(n_rows)
    eps_s = dp.epsilon * dp.statistics_share
    return eps_s, delta / 2.0, dp.epsilon - eps_s, delta / 2.0


def combined_record(
    statistics: dict[str, Any], sgd: dict[str, Any], dp: DPConfig
) -> dict[str, Any]:
    """The model's DP record: both parts and their sum (basic composition)."""
    return {
        "rows": statistics.get("rows"),
        "mechanism": "dp-sgd (opacus) + gaussian statistics (zCDP)",
        "accountant": f"{sgd['accountant']} + zcdp, composed by addition",
        "epsilon_target": dp.epsilon,
        "epsilon": round(float(statistics["epsilon"]) + float(sgd["epsilon"]), 6),
        "delta": float(statistics["delta"]) + float(sgd["delta"]),
        "max_grad_norm": dp.max_grad_norm,
        "statistics": statistics,
        "sgd": sgd,
        "accounted": [
            "category lists and frequencies",
            "quantiles, ranges, decimals and time steps",
            "null shares",
            "conditional sampler frequencies and logit calibration (fitted on the noisy "
            "reference sample)",
            "network weights (DP-SGD)",
        ],
        "disabled": [
            "validation score and best-epoch restore",
            "per-category latent statistics (TVAE)",
        ],
    }


def row_slots(matrix: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
    """Each row's global conditional-vector slot per discrete span, ``(n, len(spans))``."""
    out = np.zeros((len(matrix), len(spans)), dtype=np.int64)
    offset = 0
    for j, (start, dim) in enumerate(spans):
        out[:, j] = offset + matrix[:, start : start + dim].argmax(axis=1)
        offset += dim
    return out
