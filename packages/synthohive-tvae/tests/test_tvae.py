"""TVAE behaviour: the shared torch-model checks, batch clamping, divergence, span-major head."""

from __future__ import annotations

import logging

import pytest
import torch

from synthohive.testing.data import mixed_table
from synthohive.testing.neural import NeuralModelChecks
from synthohive_tvae import networks
from synthohive_tvae.model import TVAEModel


class TestTVAE(NeuralModelChecks):
    model_class = TVAEModel
    params = {
        "epochs": 2,
        "batch_size": 100,
        "embedding_dim": 8,
        "compress_dims": (32, 32),
        "decompress_dims": (32, 32),
        "eval_every": 1,
        "eval_budget": None,  # score every epoch, however slow scoring is next to a tiny net
    }
    resized_params = {"decompress_dims": [64, 32]}
    resized_tensor = r"decoder\.net\.0\.weight"
    diverging_params = {"lr": 1e3}
    modules = ("synthohive_tvae.model", "synthohive_tvae.plugin")

    def test_batch_is_clamped_not_asserted(self, caplog: pytest.LogCaptureFixture) -> None:
        """T-B10: batch > rows adapts with a warning; every row is seen each epoch."""
        df, table = mixed_table()
        seen: list[dict[str, float]] = []
        params = {**self.params, "batch_size": 1000, "validation_fraction": 0.0}
        with caplog.at_level(logging.WARNING):
            model = self.fit(df, table, params, callbacks=[lambda e, m: seen.append(m)])
        assert model.batch_size_ == len(df)
        assert all(m["rows"] >= len(df) for m in seen)
        assert "fit.batch_clamped" in " ".join(str(r.msg) for r in caplog.records)
        model = self.fit(
            df,
            table,
            {**self.params, "batch_size": 64, "validation_fraction": 0.0},
            callbacks=[lambda e, m: seen.append(m)],
        )
        assert seen[-1]["rows"] == 5 * 64  # ceil(300 / 64) steps: the last batch is topped up

    def test_divergence_is_raised_at_the_first_non_finite_loss(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """T-B21: a NaN appearing at a known step is reported at that epoch and step."""
        params = {**self.params, "batch_size": 100, "validation_fraction": 0.0, "eval_every": 9}
        # 3 steps per epoch, one decoder call per step: call 5 is epoch 1, step 1
        self.check_nan_reported(
            monkeypatch,
            networks.Decoder,
            5,
            {**params, "epochs": 3},
            r"loss became nan at epoch 1, step 1",
        )

    def test_context_conditioning_learns_per_parent_distribution(self) -> None:
        self.check_follows_parent(
            {**self.params, "epochs": 100, "batch_size": 200, "eval_every": 10}
        )

    def test_conditioned_rows_keep_the_correlation(self) -> None:
        """Conditioning on ``kind`` also moves ``value`` (latents come from that kind's rows)."""
        self.check_condition_moves_value(
            {**self.params, "epochs": 100, "batch_size": 50, "eval_every": 20}
        )


def test_span_major_decoder_head_equals_the_forward_pass() -> None:
    """Generation reads the decoder span-major; it must be the training forward, transposed."""
    torch.manual_seed(0)
    decoder = networks.Decoder(6, (16, 8), 11)
    z = torch.randn(40, 6)
    with torch.no_grad():
        out_t = decoder.forward_t(z)
        assert out_t.shape == (11, 40) and out_t.is_contiguous()
        assert torch.allclose(out_t, decoder(z).t(), atol=1e-6)


def test_same_seed_gives_the_pinned_rows() -> None:
    """Output pinned in a fresh process with torch's portable kernels on one thread
    (``portable_model_digest``): the in-process digest depends on the CPU, and at two threads
    the CTGAN digest differed between an AMD EPYC and an Intel Xeon machine."""
    from synthohive.testing.data import portable_model_digest

    assert portable_model_digest(TVAEModel, {"epochs": 2}) == "c133d65694804fd3"
