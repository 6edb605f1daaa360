"""The built-in Gaussian copula passes the whole conformance kit (T-K1 for the copula)."""

from __future__ import annotations

from synthohive.models.copula import GaussianCopulaModel
from synthohive.testing import ModelContract, Requirements


class TestGaussianCopulaContract(ModelContract):
    model_class = GaussianCopulaModel
    requirements = Requirements(null_rows=2000)
