"""T-K1: CTGAN passes the SynthoHive model conformance kit unmodified."""

from __future__ import annotations

from synthohive.testing import ModelContract, Requirements
from synthohive_ctgan.model import CTGANModel


class TestCTGANContract(ModelContract):
    model_class = CTGANModel
    params = {
        "epochs": 1,
        "batch_size": 100,
        "embedding_dim": 8,
        "generator_dim": (16,),
        "discriminator_dim": (16,),
        "pac": 5,
    }
    requirements = Requirements(batch_param="batch_size")
