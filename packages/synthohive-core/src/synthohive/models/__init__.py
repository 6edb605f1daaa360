"""Generative models: the protocol every model keeps, and the built-in Gaussian copula."""

from synthohive.models.base import GenerativeModel, ModelParams, resolve_seed
from synthohive.models.copula import GaussianCopulaModel

__all__ = ["GaussianCopulaModel", "GenerativeModel", "ModelParams", "resolve_seed"]
