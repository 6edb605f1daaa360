"""The autoregressive model passes the SynthoHive model conformance kit unmodified."""

from __future__ import annotations

from synthohive.testing import ModelContract, Requirements
from synthohive_ar.model import AutoregressiveModel


class TestAutoregressiveContract(ModelContract):
    model_class = AutoregressiveModel
    params = {"epochs": 2, "batch_size": 100, "embedding_dim": 4, "hidden_dim": 16, "blocks": 1}
    requirements = Requirements(batch_param="batch_size")
    import_path = "synthohive_ar.model:AutoregressiveModel"
