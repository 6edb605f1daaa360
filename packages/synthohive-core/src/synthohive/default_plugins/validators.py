"""Built-in validator classes (report metrics) of the core."""

from __future__ import annotations

from typing import Any

from synthohive.hookspecs import hookimpl


@hookimpl
def register_validators() -> list[type[Any]]:
    """The core's built-in validators."""
    from synthohive.validation.privacy import PrivacyMetrics
    from synthohive.validation.validators import BUILTIN_QUALITY_VALIDATORS

    return [*BUILTIN_QUALITY_VALIDATORS, PrivacyMetrics]
