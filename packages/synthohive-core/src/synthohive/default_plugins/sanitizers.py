"""Built-in sanitizer classes (PII strategies) of the core."""

from __future__ import annotations

from typing import Any

from synthohive.hookspecs import hookimpl


@hookimpl
def register_sanitizers() -> list[type[Any]]:
    """The core's built-in sanitizers."""
    from synthohive.privacy.sanitizers import BUILTIN_SANITIZERS

    return list(BUILTIN_SANITIZERS)
