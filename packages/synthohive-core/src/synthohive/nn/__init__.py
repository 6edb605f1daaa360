"""Torch helpers shared by the neural models (CTGAN, TVAE). Needs ``synthohive-core[torch]``.

- :mod:`synthohive.nn.model` — ``NeuralModel``, the base class of the torch models
- :mod:`synthohive.nn.setup` — ``FitSetup``, what ``NeuralModel._start_fit`` prepares
- :mod:`synthohive.nn.params` — ``NeuralParams``, the hyper-parameters every torch model reads
- :mod:`synthohive.nn.device` — ``resolve_device``, ``seeded``, ``make_generator``,
  ``torch_threads``
- :mod:`synthohive.nn.spans` — ``SpanLayout``, ``apply_activations``, ``sample_one_hots``,
  ``sample_one_hots_t``, ``ConditionIndex``, ``reconstruction_loss``
- :mod:`synthohive.nn.state` — weights <-> numpy with shape checks
- :mod:`synthohive.nn.training` — ``TrainingMonitor``, ``column_score``, ``score_noise``,
  ``validation_score``, ``check_finite``
- :mod:`synthohive.nn.data` — ``EncodedTable`` (transformer + context transformer + tensors)
- :mod:`synthohive.nn.parallel` — ``DataParallel``: what a fit does under ``torch.distributed``
  (row shards, DDP, rank 0's validation decisions broadcast)

The names below are loaded lazily (PEP 562): importing ``synthohive.nn`` or
``synthohive.nn.model`` does not import torch, so a plugin's model module can subclass
``NeuralModel`` and still be listed by ``synthohive plugins`` cheaply; torch is imported
when a torch helper is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synthohive.nn.device import make_generator, resolve_device, seeded, torch_threads
    from synthohive.nn.model import NeuralModel
    from synthohive.nn.params import NeuralParams
    from synthohive.nn.setup import FitSetup
    from synthohive.nn.spans import (
        ConditionIndex,
        SpanLayout,
        apply_activations,
        discrete_cross_entropy,
        reconstruction_loss,
        sample_one_hots,
        sample_one_hots_t,
    )
    from synthohive.nn.state import load_numpy_into, modules_to_numpy
    from synthohive.nn.training import (
        TrainingMonitor,
        calibrate_logit_bias,
        check_finite,
        column_score,
        effective_batch,
        score_noise,
        validation_score,
    )

_HOME = {
    "FitSetup": "setup",
    "NeuralModel": "model",
    "NeuralParams": "params",
    "torch_threads": "device",
    "make_generator": "device",
    "resolve_device": "device",
    "seeded": "device",
    "ConditionIndex": "spans",
    "SpanLayout": "spans",
    "apply_activations": "spans",
    "discrete_cross_entropy": "spans",
    "reconstruction_loss": "spans",
    "sample_one_hots": "spans",
    "sample_one_hots_t": "spans",
    "load_numpy_into": "state",
    "modules_to_numpy": "state",
    "TrainingMonitor": "training",
    "calibrate_logit_bias": "training",
    "check_finite": "training",
    "column_score": "training",
    "score_noise": "training",
    "effective_batch": "training",
    "validation_score": "training",
}

__all__ = [
    "ConditionIndex",
    "FitSetup",
    "NeuralModel",
    "NeuralParams",
    "SpanLayout",
    "TrainingMonitor",
    "apply_activations",
    "calibrate_logit_bias",
    "check_finite",
    "column_score",
    "discrete_cross_entropy",
    "effective_batch",
    "load_numpy_into",
    "make_generator",
    "modules_to_numpy",
    "reconstruction_loss",
    "resolve_device",
    "sample_one_hots",
    "sample_one_hots_t",
    "score_noise",
    "seeded",
    "torch_threads",
    "validation_score",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'synthohive.nn' has no attribute {name!r}")
    return getattr(importlib.import_module(f"synthohive.nn.{home}"), name)
