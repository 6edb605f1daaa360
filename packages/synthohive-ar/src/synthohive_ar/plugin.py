"""Registration of the autoregressive model with SynthoHive (entry point ``synthohive-ar``).

Thin on purpose: heavy imports happen inside the hook bodies, so listing plugins stays cheap.
"""

from __future__ import annotations

from typing import Any

from synthohive.hookspecs import hookimpl


@hookimpl
def register_models() -> list[type[Any]]:
    """The ``autoregressive`` model (torch is imported when it is fitted or loaded)."""
    from synthohive_ar.model import AutoregressiveModel

    return [AutoregressiveModel]
