"""``NeuralParams``: the hyper-parameters every :class:`~synthohive.nn.model.NeuralModel` reads.

Training length and batch, held-out validation and best-epoch selection, calibration, the
generation chunk and differential privacy work the same in every torch model; a model's
``Params`` subclasses this and adds its network's own fields. Importing it does not import
torch.
"""

from __future__ import annotations

from pydantic import Field

from synthohive.models.base import ModelParams
from synthohive.privacy.dp import DPConfig


class NeuralParams(ModelParams):
    """Shared hyper-parameters of the torch models (subclass and add the network's fields)."""

    epochs: int = Field(300, ge=1, description="passes over the training rows")
    batch_size: int = Field(500, ge=2, description="rows per step (clamped to the data)")
    validation_fraction: float = Field(0.1, ge=0, lt=0.5, description="held-out rows share")
    eval_every: int = Field(5, ge=1, description="epochs between validation scores")
    eval_budget: float | None = Field(
        0.1,
        gt=0,
        le=1,
        description="largest share of training time for validation scores (None: no limit)",
    )
    patience: int | None = Field(None, ge=1, description="evaluations without gain to stop")
    restore_margin: float = Field(
        0.01, ge=0, description="validation gain an earlier epoch needs to be restored"
    )
    sample_batch_size: int | None = Field(
        None, ge=1, description="rows per forward pass when sampling (None: 2,048 CPU, 65,536 CUDA)"
    )
    calibrate: bool = Field(
        True, description="after training, fit per-category logit offsets to the marginals"
    )
    dp: DPConfig | None = Field(
        None, description="train under (epsilon, delta)-differential privacy (needs opacus)"
    )
