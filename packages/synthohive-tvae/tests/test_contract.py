"""T-K1: TVAE passes the SynthoHive model conformance kit unmodified."""

from __future__ import annotations

from synthohive.testing import ModelContract, Requirements
from synthohive_tvae.model import TVAEModel


class TestTVAEContract(ModelContract):
    model_class = TVAEModel
    params = {
        "epochs": 1,
        "batch_size": 100,
        "embedding_dim": 8,
        "compress_dims": (16,),
        "decompress_dims": (16,),
    }
    requirements = Requirements(batch_param="batch_size")
