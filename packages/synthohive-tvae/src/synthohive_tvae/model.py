"""The ``tvae`` model: tabular variational autoencoder (Xu et al. 2019) on SynthoHive's transformer.

Importing this module does not import torch; torch is imported when the model is fitted,
sampled or loaded.
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
    import torch

    from synthohive.nn.spans import SpanLayout
    from synthohive.privacy.dp import DPConfig
    from synthohive_tvae.networks import Decoder, Encoder

log = get_logger(__name__)


class TVAEParams(NeuralParams):
    """Hyper-parameters of :class:`TVAEModel` (defaults follow the TVAE paper); training,
    validation, calibration and DP fields come from :class:`NeuralParams`."""

    embedding_dim: int = Field(128, ge=1, description="latent size")
    compress_dims: tuple[int, ...] = Field((128, 128), description="encoder layer widths")
    decompress_dims: tuple[int, ...] = Field((128, 128), description="decoder layer widths")
    lr: float = Field(1e-3, gt=0, description="Adam learning rate")
    l2scale: float = Field(1e-5, ge=0, description="Adam weight decay")
    loss_factor: float = Field(2.0, gt=0, description="weight of reconstruction vs KL")
    numeric_encoding: Literal["quantile", "modes"] = Field(
        "quantile",
        description="numbers as normal scores of their quantiles, or mode-specific normalisation",
    )


class TVAEModel(NeuralModel):
    """TVAE: MLP encoder/decoder, Gaussian scalars with learned sigmas, cross-entropy one-hots.

    Context (parent attributes) enters encoder and decoder (a conditional VAE). Conditions on
    categorical columns draw latents from the aggregated posterior of the training rows that
    hold the value and fix the decoded one-hot span, so no rejection loop is needed.
    """

    name = "tvae"
    supports_context = True
    supports_sequences = True  # the previous row arrives as context columns
    supports_conditions = True
    supports_dp = True  # DP-SGD on encoder and decoder together (opacus)
    supports_data_parallel = True  # DDP over the rows when torch.distributed is initialised
    Params = TVAEParams
    params: TVAEParams

    def _init_state(self) -> None:
        self._encoder: Encoder | None = None
        self._decoder: Decoder | None = None
        self._latent_mean: np.ndarray | None = None
        self._latent_std: np.ndarray | None = None

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
        from synthohive.nn.spans import reconstruction_loss
        from synthohive.nn.training import adam, effective_batch
        from synthohive_tvae.networks import Decoder, Encoder

        p = self.params
        par = DataParallel.current()  # None unless fitted data-parallel (synthohive.nn.parallel)
        if p.dp is not None:
            self._fit_dp(data, context, progress, seed, p.dp)
            return
        tname = self.table.name if self.table else None
        setup = self._start_fit(data, context, seed)
        enc, device = setup.enc, setup.device
        if enc.width == 0:  # every column constant: the transformer restores them alone
            log.info("fit.nothing_to_learn", model=self.name, table=tname)
            return
        n_train = len(setup.train_idx)
        batch, _ = effective_batch(n_train, p.batch_size, model=self.name, table=tname)
        self.batch_size_ = batch
        ctx_w = enc.context_width
        if par is None:
            shard, local, steps = None, batch, max(1, math.ceil(n_train / batch))
        else:  # this rank's rows and share of each step's batch
            shard, local, steps = par.plan(n_train, batch, table=tname)
        with seeded(seed if par is None else par.rank_seed(seed), device) as gen:
            encoder = Encoder(enc.width + ctx_w, p.compress_dims, p.embedding_dim).to(device)
            decoder = Decoder(p.embedding_dim + ctx_w, p.decompress_dims, enc.width).to(device)
            self._encoder, self._decoder = encoder, decoder
            opt = adam(
                [*encoder.parameters(), *decoder.parameters()], lr=p.lr, weight_decay=p.l2scale
            )
            real_all = to_device(setup.train, device)
            ctx_all = to_device(setup.train_ctx, device)
            real_mine, ctx_mine = real_all, ctx_all
            encode: torch.nn.Module = encoder
            decode: torch.nn.Module = decoder
            if par is not None:
                real_mine, ctx_mine = real_all[shard], ctx_all[shard]
                encode, decode = par.wrap(encoder), par.wrap(decoder)
            n_mine = len(real_mine)
            layout = enc.layout.to(device)
            monitor = self._monitor({"encoder": encoder, "decoder": decoder}, progress)
            for epoch in range(p.epochs):
                encoder.train()
                decoder.train()
                order = torch.randperm(n_mine, generator=gen, device=device)
                if steps * local > n_mine:  # top up the last batch so no row is dropped
                    extra = torch.randint(
                        0, n_mine, (steps * local - n_mine,), generator=gen, device=device
                    )
                    order = torch.cat([order, extra])
                sums = torch.zeros(3, device=device)
                for step in range(steps):
                    rows = order[step * local : (step + 1) * local]
                    x, c = real_mine[rows], ctx_mine[rows]
                    mu, logvar = encode(torch.cat([x, c], dim=1))
                    eps = torch.randn(mu.shape, generator=gen, device=device)
                    z = mu + eps * torch.exp(0.5 * logvar)
                    raw = decode(torch.cat([z, c], dim=1))
                    rec = reconstruction_loss(raw, x, decoder.sigma, layout)
                    kld = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum() / x.shape[0]
                    loss = p.loss_factor * rec + kld
                    monitor.check(loss, name="loss", epoch=epoch, step=step)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    with torch.no_grad():
                        decoder.sigma.clamp_(0.01, 1.0)
                    sums += torch.stack([loss.detach(), rec.detach(), kld.detach()])
                score = self._epoch_score(setup, monitor, epoch, seed)
                means = (sums / steps).tolist()
                losses = {
                    "loss": means[0],
                    "reconstruction": means[1],
                    "kl": means[2],
                    "rows": float(steps * local),
                }
                if monitor.end_epoch(epoch, losses, score):
                    break
            monitor.finish()
            encoder.eval()
            decoder.eval()
            if par is None or par.primary:  # the other ranks' models are not kept
                if p.calibrate:
                    self._calibrate(setup.train, setup.train_ctx, setup.rng, seed)
                self._fit_latent_stats(real_all, ctx_all)
        self._end_fit(monitor)

    def _fit_dp(
        self,
        data: pd.DataFrame,
        context: pd.DataFrame | None,
        progress: bool | None,
        seed: int,
        dp: DPConfig,
    ) -> None:
        """DP-TVAE (see :mod:`synthohive.nn.dp`): encoder and decoder train together with
        DP-SGD on Poisson-sampled rows, one clipped gradient per row over both networks; the
        decoder's sigmas stay fixed (a bare parameter has no per-row gradient in opacus)."""
        import torch

        from synthohive.nn.data import to_device
        from synthohive.nn.device import seeded
        from synthohive.nn.dp import DPSGD
        from synthohive.nn.spans import reconstruction_loss
        from synthohive.nn.training import adam, effective_batch
        from synthohive_tvae.networks import Decoder, Encoder

        p = self.params
        tname = self.table.name if self.table else None
        device = self._begin_fit()
        enc, matrix, reference, stats = self._fit_encoding_dp(data, context, seed, dp)
        n = len(matrix)
        if enc.width == 0:
            self.dp_ = {**stats, "epsilon_target": dp.epsilon}
            return
        batch, _ = effective_batch(n, p.batch_size, model=self.name, table=tname)
        self.batch_size_ = batch
        with seeded(seed, device) as gen:
            encoder = Encoder(enc.width, p.compress_dims, p.embedding_dim).to(device)
            decoder = Decoder(p.embedding_dim, p.decompress_dims, enc.width).to(device)
            decoder.sigma.requires_grad_(False)
            self._encoder, self._decoder = encoder, decoder
            trainable = [q for m in (encoder, decoder) for q in m.parameters() if q.requires_grad]
            opt = adam(trainable, lr=p.lr, weight_decay=p.l2scale)
            private = DPSGD.for_config(
                [encoder, decoder], opt, dp, n_rows=n, batch=batch, epochs=p.epochs, seed=seed + 1
            )
            real_all = to_device(matrix, device)
            layout = enc.layout.to(device)
            monitor = self._monitor(
                {"encoder": encoder, "decoder": decoder}, progress, validate=False
            )
            for epoch in range(p.epochs):
                encoder.train()
                decoder.train()
                sums = torch.zeros(3, device=device)
                for step in range(private.steps_per_epoch):
                    rows = private.rows(gen, device)
                    if not len(rows):  # nothing to learn from; the step is still booked
                        private.book()
                        continue
                    x = real_all[rows]
                    mu, logvar = encoder(x)
                    eps = torch.randn(mu.shape, generator=gen, device=device)
                    raw = decoder(mu + eps * torch.exp(0.5 * logvar))
                    rec = reconstruction_loss(raw, x, decoder.sigma, layout, per_row=True)
                    kld = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1)
                    per_row = p.loss_factor * rec + kld  # opacus clips each row's gradient
                    loss, rec, kld = per_row.sum(), rec.sum(), kld.sum()
                    monitor.check(loss, name="loss", epoch=epoch, step=step)
                    private.zero_grad()
                    private.backward(per_row)
                    private.step()
                    sums += torch.stack([loss.detach(), rec.detach(), kld.detach()]) / len(x)
                means = (sums / private.steps_per_epoch).tolist()
                losses = {
                    "loss": means[0],
                    "reconstruction": means[1],
                    "kl": means[2],
                    "rows": float(private.steps_per_epoch * batch),
                    # the accountant takes ~0.1 s: only the last epoch reports what was spent
                    **({"epsilon": private.epsilon()} if epoch == p.epochs - 1 else {}),
                }
                monitor.end_epoch(epoch, losses, None)
            self._finish_dp(private, monitor, reference, stats, dp, seed)

    def _fit_latent_stats(self, real: torch.Tensor, ctx: torch.Tensor) -> None:
        """Per-category mean/std of the aggregated posterior (used by ``conditions``)."""
        import torch

        enc, encoder = self._enc, self._encoder
        if enc is None or encoder is None or not enc.condition_width:
            return
        cols = torch.as_tensor(enc.condition_to_matrix(), device=real.device)
        latent = self.params.embedding_dim
        total = torch.zeros(enc.condition_width, device=real.device)
        s1 = torch.zeros(enc.condition_width, latent, device=real.device)
        s2 = torch.zeros_like(s1)
        with torch.inference_mode():
            for start in range(0, real.shape[0], 65536):
                x = real[start : start + 65536]
                mu, logvar = encoder(torch.cat([x, ctx[start : start + 65536]], dim=1))
                onehot = x[:, cols]  # (b, C)
                total += onehot.sum(0)
                s1 += onehot.T @ mu
                s2 += onehot.T @ (mu.pow(2) + logvar.exp())
        count = total.clamp_min(1.0)[:, None]
        mean = s1 / count
        var = (s2 / count - mean.pow(2)).clamp_min(1e-6)
        empty = total == 0
        mean[empty] = 0.0
        var[empty] = 1.0
        self._latent_mean = mean.cpu().numpy().astype(np.float32)
        self._latent_std = var.sqrt().cpu().numpy().astype(np.float32)

    # --- generation (the chunk loop is NeuralModel._generate) -------------------------------
    def _networks(self) -> list[torch.nn.Module]:
        return [self._decoder] if self._decoder is not None else []

    def _generation_state(self, positions: list[int], device: torch.device) -> Any:
        """Latent mean/std of the conditioned category (``None`` for the standard prior)."""
        import torch

        enc, mean, std = self._enc, self._latent_mean, self._latent_std
        if not positions or enc is None or mean is None or std is None:
            return None
        slot = enc.condition_slot(positions[0])
        return torch.as_tensor(mean[slot], device=device), torch.as_tensor(std[slot], device=device)

    def _raw_chunk(
        self, m: int, ctx: torch.Tensor, state: Any, gen: torch.Generator
    ) -> torch.Tensor:
        import torch

        if self._decoder is None:
            raise RuntimeError("decoder is not built")
        z = torch.randn(m, self.params.embedding_dim, generator=gen, device=ctx.device)
        if state is not None:
            z_mean, z_std = state
            z = z_mean + z * z_std
        return self._decoder.forward_t(torch.cat([z, ctx], dim=1))

    def _activate(
        self, raw_t: torch.Tensor, layout: SpanLayout, gen: torch.Generator
    ) -> torch.Tensor:
        """Hard one-hots, and scalars drawn around ``tanh(raw)`` with the learned sigmas
        (span-major, ``(width, m)``)."""
        import torch

        from synthohive.nn.spans import sample_one_hots_t

        if self._decoder is None:
            raise RuntimeError("decoder is not built")
        out_t = sample_one_hots_t(raw_t, layout, gen)
        s_idx = layout.scalar_idx
        if s_idx.numel():
            noise = torch.randn(s_idx.numel(), raw_t.shape[1], generator=gen, device=raw_t.device)
            noisy = out_t[s_idx] + noise * self._decoder.sigma[s_idx, None]
            out_t[s_idx] = noisy.clamp_(-1, 1)
        return out_t

    # --- persistence -------------------------------------------------------------------------
    def _save(self, writer: ArtifactWriter) -> None:
        from synthohive.nn.state import modules_to_numpy

        has_net = self._decoder is not None and self._encoder is not None
        self._save_common(
            writer, has_networks=has_net, has_latent_stats=self._latent_mean is not None
        )
        if self._encoder is not None and self._decoder is not None:
            writer.write_tensors(
                "weights",
                modules_to_numpy({"encoder": self._encoder, "decoder": self._decoder}),
            )
        if self._latent_mean is not None and self._latent_std is not None:
            writer.write_array("latent_mean", self._latent_mean)
            writer.write_array("latent_std", self._latent_std)

    def _load(self, reader: ArtifactReader) -> None:
        from synthohive.nn.state import load_numpy_into
        from synthohive_tvae.networks import Decoder, Encoder

        head = self._load_common(reader)
        enc, device = self._enc, self._torch_device
        if enc is None or device is None:
            raise RuntimeError("model state is missing")
        p = self.params
        if head.get("has_networks"):
            encoder = Encoder(enc.width + enc.context_width, p.compress_dims, p.embedding_dim)
            decoder = Decoder(p.embedding_dim + enc.context_width, p.decompress_dims, enc.width)
            modules = {"encoder": encoder, "decoder": decoder}
            load_numpy_into(modules, reader.read_tensors("weights"), model=self.name)
            self._encoder = encoder.to(device).eval()
            self._decoder = decoder.to(device).eval()
        if head.get("has_latent_stats"):
            shape = (enc.condition_width, p.embedding_dim)
            mean = np.asarray(reader.read_array("latent_mean"), dtype=np.float32)
            std = np.asarray(reader.read_array("latent_std"), dtype=np.float32)
            for name, arr in (("latent_mean", mean), ("latent_std", std)):
                if arr.shape != shape or not np.isfinite(arr).all():
                    raise IncompatibleArtifactError(
                        f"model {self.name!r}: {name} has shape {arr.shape}, expected {shape}"
                    )
            self._latent_mean, self._latent_std = mean, std
