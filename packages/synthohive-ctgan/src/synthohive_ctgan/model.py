"""The ``ctgan`` model: conditional tabular GAN (Xu et al. 2019) on SynthoHive's transformer.

Importing this module does not import torch; torch is imported when the model is fitted,
sampled or loaded, so ``synthohive plugins`` can list the class cheaply.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from synthohive.artifacts.api import ArtifactReader, ArtifactWriter
from synthohive.errors import IncompatibleArtifactError
from synthohive.log import get_logger
from synthohive.nn.model import NeuralModel
from synthohive.nn.params import NeuralParams

if TYPE_CHECKING:
    from synthohive.privacy.dp import DPConfig

if TYPE_CHECKING:
    import torch

    from synthohive_ctgan.networks import Generator
    from synthohive_ctgan.sampler import ConditionSampler

log = get_logger(__name__)


class CTGANParams(NeuralParams):
    """Hyper-parameters of :class:`CTGANModel` (defaults follow the CTGAN paper); training,
    validation, calibration and DP fields come from :class:`NeuralParams`."""

    embedding_dim: int = Field(128, ge=1, description="size of the generator's noise input")
    generator_dim: tuple[int, ...] = Field((256, 256), description="residual block widths")
    discriminator_dim: tuple[int, ...] = Field((256, 256), description="critic layer widths")
    generator_lr: float = Field(2e-4, gt=0)
    generator_decay: float = Field(1e-6, ge=0)
    discriminator_lr: float = Field(2e-4, gt=0)
    discriminator_decay: float = Field(1e-6, ge=0)
    betas: tuple[float, float] = (0.5, 0.9)
    pac: int = Field(10, ge=1, description="rows per critic pack (PacGAN)")
    discriminator_steps: int = Field(1, ge=1, description="critic updates per generator update")
    log_frequency: bool = Field(True, description="log-frequency training-by-sampling")
    gumbel_tau: float = Field(0.2, gt=0, description="Gumbel-softmax temperature")
    numeric_encoding: Literal["modes", "quantile"] = Field(
        "modes",
        description="numbers by mode-specific normalisation, or as normal scores of quantiles",
    )


class CTGANModel(NeuralModel):
    """CTGAN: residual conditional generator, PacGAN critic with WGAN-GP, training by sampling.

    ``callbacks`` are called as ``fn(epoch, metrics)`` after each epoch (losses, rows seen,
    seconds, and ``val_score`` when evaluated). ``history`` keeps the same records.
    """

    name = "ctgan"
    supports_context = True
    supports_sequences = True  # the previous row arrives as context columns
    supports_conditions = True
    supports_dp = True  # DP-SGD on the critic, the only network that sees rows (opacus)
    supports_data_parallel = True  # gradients averaged over ranks when torch.distributed is up
    Params = CTGANParams
    params: CTGANParams

    def _init_state(self) -> None:
        self.pac_: int | None = None
        self._generator: Generator | None = None
        self._sampler: ConditionSampler | None = None

    # --- training ----------------------------------------------------------------------------
    def _fit(
        self,
        data: pd.DataFrame,
        *,
        context: pd.DataFrame | None,
        progress: bool | None,
        seed: int,
    ) -> None:
        import torch

        from synthohive.nn.data import to_device
        from synthohive.nn.device import seeded
        from synthohive.nn.parallel import DataParallel
        from synthohive.nn.spans import ConditionIndex, apply_activations
        from synthohive.nn.training import adam, effective_batch
        from synthohive_ctgan.networks import Critic, Generator
        from synthohive_ctgan.sampler import ConditionSampler

        p = self.params
        if p.dp is not None:
            self._fit_dp(data, context, progress, seed, p.dp)
            return
        tname = self.table.name if self.table else None
        setup = self._start_fit(data, context, seed)
        enc, device, train = setup.enc, setup.device, setup.train
        spans = [(s.start, s.dim) for s in enc.condition_spans]
        self._sampler = ConditionSampler.from_encoded(
            train, spans, log_frequency=p.log_frequency, device=device
        )
        if enc.width == 0:  # every column constant: the transformer restores them alone
            log.info("fit.nothing_to_learn", model=self.name, table=tname)
            return
        n_train = len(train)
        batch, pac = effective_batch(
            n_train, p.batch_size, multiple=p.pac, model=self.name, table=tname
        )
        self.batch_size_, self.pac_ = batch, pac
        cond_w, ctx_w = enc.condition_width, enc.context_width
        par = DataParallel.current()  # None unless fitted data-parallel (synthohive.nn.parallel)
        local = batch if par is None else par.pac_batch(batch, pac, table=tname)
        with seeded(seed if par is None else par.rank_seed(seed), device) as gen:
            g_net = Generator(p.embedding_dim + cond_w + ctx_w, p.generator_dim, enc.width)
            d_net = Critic(enc.width + cond_w + ctx_w, p.discriminator_dim, pac)
            g_net.to(device)
            d_net.to(device)
            if par is not None:
                par.broadcast_modules(g_net, d_net)
            self._generator = g_net
            opt_g = adam(
                list(g_net.parameters()),
                lr=p.generator_lr,
                betas=p.betas,
                weight_decay=p.generator_decay,
            )
            opt_d = adam(
                list(d_net.parameters()),
                lr=p.discriminator_lr,
                betas=p.betas,
                weight_decay=p.discriminator_decay,
            )
            real_all = to_device(train, device)
            ctx_all = to_device(setup.train_ctx, device)
            layout = enc.layout.to(device)
            cond_index = ConditionIndex.from_spans(spans).to(device)
            d_params = list(d_net.parameters())
            sampler = self._sampler
            steps = max(1, math.ceil(n_train / batch))
            monitor = self._monitor({"generator": g_net}, progress)

            def draw(n: int) -> tuple[torch.Tensor | None, torch.Tensor, torch.Tensor]:
                """``(slots, rows, extra)``: the conditioned slot of each row (``None``
                without discrete columns; ``-1`` where a row carries no condition), the
                real rows that match, and the generator's conditional input."""
                if sampler.n_columns:
                    slots, rows = sampler.sample_train(n, gen)
                    cond = sampler.one_hot(slots)
                    if ctx_w:
                        # with context, half the rows carry no condition and are drawn
                        # uniformly: the generator learns p(row | context) for sampling
                        free = torch.rand(n, generator=gen, device=device) < 0.5
                        uniform = torch.randint(0, n_train, (n,), generator=gen, device=device)
                        rows = torch.where(free, uniform, rows)
                        cond = cond * (~free).unsqueeze(1)
                        slots = torch.where(free, -1, slots)
                    return slots, rows, torch.cat([cond, ctx_all[rows]], dim=1)
                rows = torch.randint(0, n_train, (n,), generator=gen, device=device)
                return None, rows, ctx_all[rows]

            def fake_from(extra: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
                z = torch.randn(extra.shape[0], p.embedding_dim, generator=gen, device=device)
                raw = g_net(torch.cat([z, extra], dim=1))
                return raw, apply_activations(raw, layout, tau=p.gumbel_tau, gen=gen)

            for epoch in range(p.epochs):
                g_net.train()
                d_net.train()
                sum_d = torch.zeros((), device=device)
                sum_g = torch.zeros((), device=device)
                for step in range(steps):
                    for k in range(p.discriminator_steps):
                        slots, rows, extra = draw(local)
                        if k == p.discriminator_steps - 1:
                            # the last critic update's fakes are the generator step's too
                            # (one generator forward per step, as in the DCGAN reference
                            # loop): the critic sees them detached
                            raw, fake = fake_from(extra)
                            fake_d = fake.detach()
                        else:
                            with torch.no_grad():
                                _, fake_d = fake_from(extra)
                        real_in = torch.cat([real_all[rows], extra], dim=1)
                        fake_in = torch.cat([fake_d, extra], dim=1)
                        # one critic pass over fake and real packs (halves the weight reads)
                        scores = d_net(torch.cat([fake_in, real_in]))
                        loss_d = (
                            scores[: len(scores) // 2].mean() - scores[len(scores) // 2 :].mean()
                        )
                        penalty = d_net.gradient_penalty(real_in, fake_in, gen)
                        total_d = loss_d + penalty
                        monitor.check(total_d, name="discriminator loss", epoch=epoch, step=step)
                        opt_d.zero_grad(set_to_none=True)
                        total_d.backward()
                        if par is not None:
                            par.average_gradients(d_net)
                        opt_d.step()
                    # the critic, just updated, is frozen for the generator step: no critic
                    # weight gradients
                    for q in d_params:
                        q.requires_grad_(False)
                    loss_g = -d_net(torch.cat([fake, extra], dim=1)).mean()
                    for q in d_params:
                        q.requires_grad_(True)
                    if slots is not None:
                        has = slots >= 0
                        ce = cond_index.cross_entropy(raw, slots.clamp(min=0))
                        loss_g = loss_g + (ce * has).sum() / local
                    monitor.check(loss_g, name="generator loss", epoch=epoch, step=step)
                    opt_g.zero_grad(set_to_none=True)
                    loss_g.backward()
                    if par is not None:
                        par.average_gradients(g_net)
                    opt_g.step()
                    sum_d += total_d.detach()
                    sum_g += loss_g.detach()
                score = self._epoch_score(setup, monitor, epoch, seed)
                losses = {
                    "loss_d": float(sum_d) / steps,
                    "loss_g": float(sum_g) / steps,
                    "rows": float(steps * batch),
                }
                if monitor.end_epoch(epoch, losses, score):
                    break
            monitor.finish()
            g_net.eval()
            if p.calibrate and (par is None or par.primary):  # only rank 0's model is kept
                self._calibrate(train, setup.train_ctx, setup.rng, seed)
        self._end_fit(monitor)

    def _fit_dp(
        self,
        data: pd.DataFrame,
        context: pd.DataFrame | None,
        progress: bool | None,
        seed: int,
        dp: DPConfig,
    ) -> None:
        """DP-CTGAN (see :mod:`synthohive.nn.dp`): the critic, the only network that reads
        rows, trains with DP-SGD on Poisson-sampled rows (one row per critic input, the
        logistic GAN loss: the gradient penalty's double backward has no per-row gradients);
        each real row is paired with its own category of a random discrete column, the fake
        rows with categories drawn from the noisy frequencies. The generator learns only
        through the private critic."""
        import torch
        from torch.nn import functional

        from synthohive.nn.data import to_device
        from synthohive.nn.device import seeded
        from synthohive.nn.dp import DPSGD, row_slots
        from synthohive.nn.spans import ConditionIndex, apply_activations
        from synthohive.nn.training import adam, effective_batch
        from synthohive_ctgan.networks import Critic, Generator
        from synthohive_ctgan.sampler import ConditionSampler

        p = self.params
        tname = self.table.name if self.table else None
        device = self._begin_fit()
        enc, matrix, reference, stats = self._fit_encoding_dp(data, context, seed, dp)
        spans = [(s.start, s.dim) for s in enc.condition_spans]
        self._sampler = ConditionSampler.from_encoded(
            reference, spans, log_frequency=False, device=device
        )
        n = len(matrix)
        if enc.width == 0:
            self.dp_ = {**stats, "epsilon_target": dp.epsilon}
            return
        batch, _ = effective_batch(n, p.batch_size, model=self.name, table=tname)
        self.batch_size_, self.pac_ = batch, 1
        cond_w = enc.condition_width
        with seeded(seed, device) as gen:
            g_net = Generator(p.embedding_dim + cond_w, p.generator_dim, enc.width).to(device)
            d_net = Critic(enc.width + cond_w, p.discriminator_dim, 1).to(device)
            self._generator = g_net
            opt_g = adam(
                list(g_net.parameters()),
                lr=p.generator_lr,
                betas=p.betas,
                weight_decay=p.generator_decay,
            )
            opt_d = adam(
                list(d_net.parameters()),
                lr=p.discriminator_lr,
                betas=p.betas,
                weight_decay=p.discriminator_decay,
            )
            private = DPSGD.for_config(
                [d_net], opt_d, dp, n_rows=n, batch=batch, epochs=p.epochs, seed=seed + 1
            )
            real_all = to_device(matrix, device)
            slots_all = torch.as_tensor(row_slots(matrix, spans), device=device)
            layout = enc.layout.to(device)
            cond_index = ConditionIndex.from_spans(spans).to(device)
            sampler = self._sampler
            monitor = self._monitor({"generator": g_net}, progress, validate=False)

            def fake_rows(m: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
                """``(raw, activated, slots)`` of ``m`` generated rows with drawn conditions."""
                slots = sampler.sample_slots(m, gen) if sampler.n_columns else None
                cond = sampler.one_hot(slots) if slots is not None else real_all.new_zeros(m, 0)
                z = torch.randn(m, p.embedding_dim, generator=gen, device=device)
                raw = g_net(torch.cat([z, cond], dim=1))
                fake = apply_activations(raw, layout, tau=p.gumbel_tau, gen=gen)
                return raw, torch.cat([fake, cond], dim=1), slots

            for epoch in range(p.epochs):
                g_net.train()
                d_net.train()
                sum_d = torch.zeros((), device=device)
                sum_g = torch.zeros((), device=device)
                for step in range(private.steps_per_epoch):
                    rows = private.rows(gen, device)
                    if sampler.n_columns:
                        pick = torch.randint(
                            0, sampler.n_columns, (len(rows),), generator=gen, device=device
                        )
                        real_cond = sampler.one_hot(slots_all[rows, pick])
                    else:
                        real_cond = real_all.new_zeros(len(rows), 0)
                    with torch.no_grad():
                        _, fake_in, _ = fake_rows(batch)
                    real_in = torch.cat([real_all[rows], real_cond], dim=1)
                    scores = d_net(torch.cat([fake_in, real_in])).squeeze(1)
                    per_row = torch.cat(
                        [functional.softplus(scores[:batch]), functional.softplus(-scores[batch:])]
                    )
                    loss_d = per_row.sum()
                    monitor.check(loss_d, name="discriminator loss", epoch=epoch, step=step)
                    private.zero_grad()
                    private.backward(per_row)
                    private.step()
                    raw, fake_in, slots = fake_rows(batch)
                    private.hooks(False)  # the generator step needs no per-row gradients
                    for q in d_net.parameters():
                        q.requires_grad_(False)
                    loss_g = functional.softplus(-d_net(fake_in)).mean()
                    if slots is not None:
                        loss_g = loss_g + cond_index.cross_entropy(raw, slots).mean()
                    monitor.check(loss_g, name="generator loss", epoch=epoch, step=step)
                    opt_g.zero_grad(set_to_none=True)
                    loss_g.backward()
                    opt_g.step()
                    for q in d_net.parameters():
                        q.requires_grad_(True)
                    private.hooks(True)
                    sum_d += loss_d.detach() / batch
                    sum_g += loss_g.detach()
                losses = {
                    "loss_d": float(sum_d) / private.steps_per_epoch,
                    "loss_g": float(sum_g) / private.steps_per_epoch,
                    "rows": float(private.steps_per_epoch * batch),
                    # the accountant takes ~0.1 s: only the last epoch reports what was spent
                    **({"epsilon": private.epsilon()} if epoch == p.epochs - 1 else {}),
                }
                monitor.end_epoch(epoch, losses, None)
            self._finish_dp(private, monitor, reference, stats, dp, seed)

    # --- generation (the chunk loop is NeuralModel._generate) -------------------------------
    def _networks(self) -> list[torch.nn.Module]:
        return [self._generator] if self._generator is not None else []

    def _generation_state(self, positions: list[int], device: torch.device) -> Any:
        """The generator folded for inference, and the fixed conditional vector if any."""
        import torch

        enc, g_net, sampler = self._enc, self._generator, self._sampler
        if enc is None or g_net is None or sampler is None:
            raise RuntimeError("generator is not built")
        fixed_cond = None
        if positions:
            slot = torch.as_tensor([enc.condition_slot(positions[0])], device=device)
            fixed_cond = sampler.one_hot(slot)
        return g_net.folded(), fixed_cond

    def _raw_chunk(
        self, m: int, ctx: torch.Tensor, state: Any, gen: torch.Generator
    ) -> torch.Tensor:
        import torch

        from synthohive_ctgan.networks import Generator

        folded, fixed_cond = state
        enc, sampler = self._enc, self._sampler
        if enc is None or sampler is None:
            raise RuntimeError("generator is not built")
        if fixed_cond is not None:
            cond = fixed_cond.expand(m, -1)
        elif enc.context_width:  # trained to follow the context without a condition
            cond = ctx.new_zeros(m, sampler.width)
        else:
            drawn = sampler.sample_original(m, gen)
            cond = drawn if drawn is not None else ctx.new_zeros(m, 0)
        z = torch.randn(m, self.params.embedding_dim, generator=gen, device=ctx.device)
        return Generator.run_folded(folded, torch.cat([z, cond, ctx], dim=1), transposed=True)

    # --- persistence -------------------------------------------------------------------------
    def _save(self, writer: ArtifactWriter) -> None:
        from synthohive.nn.state import modules_to_numpy

        if self._sampler is None:
            raise RuntimeError("model state is missing")
        self._save_common(writer, pac=self.pac_, has_generator=self._generator is not None)
        writer.write_array("condition_counts", self._sampler.counts_np)
        if self._generator is not None:
            writer.write_tensors("weights", modules_to_numpy({"generator": self._generator}))

    def _load(self, reader: ArtifactReader) -> None:
        from synthohive.nn.state import load_numpy_into
        from synthohive_ctgan.networks import Generator
        from synthohive_ctgan.sampler import ConditionSampler

        head = self._load_common(reader)
        enc, device = self._enc, self._torch_device
        if enc is None or device is None:
            raise RuntimeError("model state is missing")
        counts = np.asarray(reader.read_array("condition_counts"))
        dims = [s.dim for s in enc.condition_spans]
        if counts.ndim != 1 or counts.shape[0] != enc.condition_width or (counts < 0).any():
            raise IncompatibleArtifactError(
                f"condition_counts has shape {counts.shape}, expected ({enc.condition_width},)"
            )
        self._sampler = ConditionSampler(
            counts, dims, log_frequency=self.params.log_frequency, device=device
        )
        self.pac_ = head.get("pac")
        if head.get("has_generator"):
            p = self.params
            g_net = Generator(
                p.embedding_dim + enc.condition_width + enc.context_width,
                p.generator_dim,
                enc.width,
            )
            load_numpy_into({"generator": g_net}, reader.read_tensors("weights"), model=self.name)
            g_net.to(device)
            g_net.eval()
            self._generator = g_net
