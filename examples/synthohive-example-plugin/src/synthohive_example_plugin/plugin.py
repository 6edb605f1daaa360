"""Registration with SynthoHive (entry point ``synthohive-example-plugin``).

Thin on purpose: the model module is imported inside the hook body, so listing plugins stays
cheap even for plugins whose models need heavy libraries.
"""

from __future__ import annotations

from typing import Any

from synthohive.hookspecs import hookimpl


@hookimpl
def register_models() -> list[type[Any]]:
    """The ``example_independent`` model."""
    from synthohive_example_plugin.model import IndependentModel

    return [IndependentModel]
