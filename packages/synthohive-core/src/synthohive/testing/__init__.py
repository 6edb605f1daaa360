"""Conformance kit for SynthoHive plugins (needs pytest).

Subclass :class:`ModelContract` in a plugin's tests and set ``model_class``; declare what the
model does not support with :class:`Requirements`. Connector plugins subclass
:class:`ConnectorContract` and implement ``make_connector(tmp_path)``; constraint plugins
subclass :class:`ConstraintContract` and implement ``real_rows()``. Data builders live in
:mod:`synthohive.testing.data`. Torch models also subclass
:class:`synthohive.testing.neural.NeuralModelChecks`. The kit never imports torch itself.
"""

from synthohive.testing.base import Requirements
from synthohive.testing.connectors import ConnectorContract, ConnectorRequirements
from synthohive.testing.constraints import ConstraintContract
from synthohive.testing.contract import ModelContract

__all__ = [
    "ConnectorContract",
    "ConnectorRequirements",
    "ConstraintContract",
    "ModelContract",
    "Requirements",
]
