"""Built-in generative model classes (``GenerativeModel`` subclasses) of the core."""

from __future__ import annotations

from typing import Any

from synthohive.hookspecs import hookimpl


@hookimpl
def register_models() -> list[type[Any]]:
    """The core's built-in models."""
    # Owners append their built-in classes here, importing inside this body.
    from synthohive.models.copula import GaussianCopulaModel
    from synthohive.models.independent import IndependentModel

    return [GaussianCopulaModel, IndependentModel]
