"""Torch helpers shared by the neural models (CTGAN, TVAE). Needs ``synthohive-core[torch]``.

- :mod:`synthohive.nn.device` — ``resolve_device``, ``seeded``, ``make_generator``
- :mod:`synthohive.nn.spans` — ``SpanLayout``, ``apply_activations``, ``sample_one_hots``,
  ``ConditionIndex``, ``reconstruction_loss``
- :mod:`synthohive.nn.state` — weights <-> numpy with shape checks
- :mod:`synthohive.nn.training` — ``TrainingMonitor``, ``validation_score``, ``check_finite``
- :mod:`synthohive.nn.data` — ``EncodedTable`` (transformer + context transformer + tensors)
"""

from __future__ import annotations

from synthohive.nn.device import make_generator, resolve_device, seeded
from synthohive.nn.spans import (
    ConditionIndex,
    SpanLayout,
    apply_activations,
    discrete_cross_entropy,
    reconstruction_loss,
    sample_one_hots,
)
from synthohive.nn.state import load_numpy_into, modules_to_numpy
from synthohive.nn.training import (
    TrainingMonitor,
    calibrate_logit_bias,
    check_finite,
    effective_batch,
    validation_score,
)

__all__ = [
    "ConditionIndex",
    "SpanLayout",
    "TrainingMonitor",
    "apply_activations",
    "calibrate_logit_bias",
    "check_finite",
    "discrete_cross_entropy",
    "effective_batch",
    "load_numpy_into",
    "make_generator",
    "modules_to_numpy",
    "reconstruction_loss",
    "resolve_device",
    "sample_one_hots",
    "seeded",
    "validation_score",
]
