"""SynthoHive: learn real tables (one or a whole relational schema) and generate synthetic data.

The public API is imported lazily so that ``import synthohive`` stays light::

    from synthohive import Metadata, Synthesizer
    meta = Metadata.detect(df)
    synth = Synthesizer(meta).fit(df)
    fake = synth.sample(1000)
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "Metadata": "synthohive.metadata.schema",
    "Table": "synthohive.metadata.schema",
    "Column": "synthohive.metadata.schema",
    "ForeignKey": "synthohive.metadata.schema",
    "Synthesizer": "synthohive.synthesizer",
    "connect": "synthohive.connectors",
    "evaluate": "synthohive.validation",
    "QualityGate": "synthohive.validation",
    "sanitize": "synthohive.privacy",
    "PrivacyConfig": "synthohive.privacy",
    "DataTransformer": "synthohive.transform",
    "GenerativeModel": "synthohive.models.base",
    "Between": "synthohive.models.base",
    "hookimpl": "synthohive.hookspecs",
    "get_registry": "synthohive.registry",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'synthohive' has no attribute {name!r}")
    return getattr(import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = sorted([*_LAZY, "__version__"])
