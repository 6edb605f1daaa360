"""CTGAN behaviour: the shared torch-model checks, batch/pac clamping, divergence, folding."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import torch

from synthohive.testing.data import mixed_table
from synthohive.testing.neural import NeuralModelChecks
from synthohive_ctgan import networks
from synthohive_ctgan.model import CTGANModel

LARGER: dict[str, Any] = {
    "batch_size": 50,
    "pac": 10,
    "generator_dim": (64, 64),
    "discriminator_dim": (64, 64),
    "generator_lr": 1e-3,
    "discriminator_lr": 1e-3,
}


class TestCTGAN(NeuralModelChecks):
    model_class = CTGANModel
    params = {
        "epochs": 2,
        "batch_size": 100,
        "embedding_dim": 16,
        "generator_dim": (32, 32),
        "discriminator_dim": (32, 32),
        "pac": 5,
        "eval_every": 1,
        "eval_budget": None,  # score every epoch, however slow scoring is next to a tiny net
    }
    resized_params = {"generator_dim": [64, 32]}
    resized_tensor = r"generator\.blocks\.0\.fc\.weight"
    diverging_params = {"generator_lr": 1e30, "discriminator_lr": 1e30}
    modules = ("synthohive_ctgan.model", "synthohive_ctgan.plugin")

    def test_batch_and_pac_are_clamped_not_asserted(self, caplog: pytest.LogCaptureFixture) -> None:
        """T-B10: batch > rows and batch not a multiple of pac adapt with a warning; no row lost."""
        df, table = mixed_table()
        seen: list[dict[str, float]] = []
        params = {**self.params, "batch_size": 1000, "pac": 7, "validation_fraction": 0.0}
        with caplog.at_level(logging.WARNING):
            model = self.fit(df, table, params, callbacks=[lambda e, m: seen.append(m)])
        assert model.batch_size_ == 294 and model.pac_ == 7
        assert all(m["rows"] >= len(df) for m in seen)
        text = " ".join(str(r.msg) for r in caplog.records)
        assert "fit.batch_clamped" in text and "fit.batch_rounded" in text
        small = df.iloc[:12]
        params = {**self.params, "pac": 10, "batch_size": 8, "validation_fraction": 0}
        model = self.fit(small, table, params)
        assert model.batch_size_ == 8 and model.pac_ == 8
        assert len(model.sample(30, seed=0)) == 30

    @pytest.mark.parametrize("critic_steps", [1, 3])
    def test_one_generator_forward_per_critic_update(
        self, monkeypatch: pytest.MonkeyPatch, critic_steps: int
    ) -> None:
        """The generator step reuses the last critic update's fakes: a fit runs the generator
        once per critic update (``discriminator_steps`` per step), none more, and only that
        last forward of each step keeps its graph (the others run under ``no_grad``)."""
        df, table = mixed_table()
        real_forward = networks.Generator.forward
        calls: list[bool] = []

        def counted(net: networks.Generator, x: torch.Tensor) -> torch.Tensor:
            calls.append(torch.is_grad_enabled())
            return real_forward(net, x)

        monkeypatch.setattr(networks.Generator, "forward", counted)
        params = {
            **self.params,
            "batch_size": 100,
            "validation_fraction": 0.0,
            "calibrate": False,
            "discriminator_steps": critic_steps,
        }
        model = self.fit(df, table, params)
        steps = 2 * 3  # 2 epochs of ceil(300 rows / 100)
        assert len(calls) == steps * critic_steps
        assert calls == ([False] * (critic_steps - 1) + [True]) * steps
        assert len(model.sample(50, seed=0)) == 50

    def test_divergence_is_raised_at_the_first_non_finite_loss(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """T-B21: a NaN appearing at a known step is reported at that epoch and step."""
        params = {**self.params, "batch_size": 100, "pac": 5, "validation_fraction": 0.0}
        # 3 steps per epoch, 1 generator call per step (its fakes feed the critic update, then
        # the generator's): call 4 is the critic pass of epoch 1 step 0
        self.check_nan_reported(
            monkeypatch,
            networks.Generator,
            4,
            {**params, "epochs": 3},
            r"discriminator loss .* epoch 1, step 0",
        )

    @pytest.mark.slow
    def test_context_conditioning_learns_per_parent_distribution(self) -> None:
        self.check_follows_parent({**self.params, **LARGER, "epochs": 60, "eval_every": 10})

    def test_conditioned_rows_keep_the_correlation(self) -> None:
        """Conditioning on ``kind`` also moves ``value`` (the generator follows the cond vector)."""
        self.check_condition_moves_value({**self.params, **LARGER, "epochs": 40, "eval_every": 20})


def test_folded_generator_equals_the_eval_forward_pass() -> None:
    """BatchNorm folded into the linear layers gives the eval-mode output to float rounding."""
    torch.manual_seed(0)
    g_net = networks.Generator(12, (16, 8), 5)
    g_net.train()
    for _ in range(5):  # move the running statistics away from their initial values
        g_net(torch.randn(64, 12) * 3 + 1)
    g_net.eval()
    x = torch.randn(32, 12)
    with torch.no_grad():
        assert torch.allclose(networks.Generator.run_folded(g_net.folded(), x), g_net(x), atol=1e-5)
        span_major = networks.Generator.run_folded(g_net.folded(), x, transposed=True)
        assert span_major.shape == (5, 32) and span_major.is_contiguous()
        assert torch.allclose(span_major, g_net(x).t(), atol=1e-5)


@pytest.mark.parametrize("shape", [(400, 256), (3, 5)])
def test_half_dropout_is_dropout_at_rate_one_half(shape: tuple[int, int]) -> None:
    """The critic's dropout keeps each unit with probability 1/2, independently of its
    neighbours (which share a random word), scales kept units by 2, passes the same mask to
    the gradient, and is the identity in eval mode."""
    torch.manual_seed(0)
    drop = networks.HalfDropout()
    x = torch.full(shape, 3.0, requires_grad=True)
    y = drop(x)
    assert y.shape == x.shape
    assert set(y.unique().tolist()) <= {0.0, 6.0}
    (grad,) = torch.autograd.grad(y.sum(), x)
    assert torch.equal(grad, (y.detach() != 0).float() * 2)
    if x.numel() > 1000:  # 102,400 coins: sd of the kept share 0.0016, of the lag-1 corr. 0.003
        kept = (y.detach() != 0).float().flatten()
        assert abs(kept.mean().item() - 0.5) < 0.008
        lag1 = ((kept[:-1] - 0.5) * (kept[1:] - 0.5)).mean().item() * 4
        assert abs(lag1) < 0.015
    drop.eval()
    assert torch.equal(drop(x), x)


def test_same_seed_gives_the_pinned_rows() -> None:
    """Output pinned in a fresh process with portable kernels on one thread
    (``portable_model_digest``): the in-process digest depends on the CPU (at two threads it
    differed between an AMD EPYC and an Intel Xeon; with torch portable but numpy's BLAS not,
    the mode-specific normalisation's mixture fit differed between AVX-512 and AVX2)."""
    from synthohive.testing.data import portable_model_digest

    assert portable_model_digest(CTGANModel, {"epochs": 2}) == "d351df2664733a6a"
