"""Generative models: the protocol every model keeps, and the built-in Gaussian copula."""

from synthohive.models.base import GenerativeModel, ModelParams, resolve_seed

__all__ = ["GenerativeModel", "ModelParams", "resolve_seed"]
