"""The ``autoregressive`` model: every column a token sequence, each column's distribution
predicted from the columns before it (and the parent context) by a masked MLP.

Importing this module does not import torch; torch is imported when the model is fitted,
sampled or loaded.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import Field

from synthohive.artifacts.api import ArtifactReader, ArtifactWriter
from synthohive.errors import IncompatibleArtifactError
from synthohive.log import get_logger
from synthohive.models.base import GenerativeModel, ModelParams
from synthohive.privacy.dp import DPConfig
from synthohive_ar.tokens import ColumnTokens

if TYPE_CHECKING:
    import torch

    from synthohive.transform import DataTransformer
    from synthohive_ar.networks import MADE

log = get_logger(__name__)


class AutoregressiveParams(ModelParams):
    """Hyper-parameters of :class:`AutoregressiveModel`."""

    epochs: int = Field(100, ge=1, description="most passes over the training rows")
    batch_size: int = Field(500, ge=2, description="rows per step (clamped to the data)")
    min_steps: int = Field(
        10, ge=1, description="small tables get smaller batches: at least this many steps/epoch"
    )
    lr: float = Field(2e-3, gt=0, description="Adam learning rate")
    weight_decay: float = Field(0.0, ge=0, description="Adam weight decay")
    embedding_dim: int = Field(2, ge=1, description="embedding size of each column's tokens")
    hidden_dim: int = Field(256, ge=1, description="width of the masked hidden layers")
    blocks: int = Field(2, ge=0, description="masked residual blocks")
    dropout: float = Field(0.1, ge=0, lt=1, description="dropout inside the residual blocks")
    bins: int = Field(64, ge=2, le=4096, description="most quantile bins per continuous column")
    rows_per_bin: int = Field(
        20, ge=1, description="small tables get fewer bins: rows / rows_per_bin (at least 8)"
    )
    max_discrete: int = Field(
        64,
        ge=1,
        le=10_000,
        description="numbers with at most this many values (and no more than bins) are categories",
    )
    max_categories: int = Field(
        500, ge=2, description="tokens per categorical column (the rarest values share one)"
    )
    validation_fraction: float = Field(0.1, ge=0, lt=0.5, description="held-out rows share")
    patience: int | None = Field(
        10, ge=1, description="epochs without a better held-out likelihood before stopping"
    )
    sample_batch_size: int | None = Field(
        None, ge=1, description="rows per chunk when sampling (None: 2,048 CPU, 65,536 CUDA)"
    )
    dp: DPConfig | None = Field(None, description="not supported: a fit with dp is refused")


class AutoregressiveModel(GenerativeModel):
    """Per-column tokens (categories, quantile bins, a null token) generated one column at a
    time from a MADE network; trained by maximum likelihood, the epoch with the best held-out
    likelihood kept. Parent context enters every hidden layer unmasked."""

    name = "autoregressive"
    supports_context = True
    supports_sequences = True  # the previous row arrives as context columns
    supports_conditions = False
    supports_dp = False
    Params = AutoregressiveParams
    params: AutoregressiveParams

    def _init_state(self) -> None:
        self._tokens: list[ColumnTokens] = []
        self._modelled: list[int] = []
        self._context: DataTransformer | None = None
        self._net: MADE | None = None
        self.history: list[dict[str, float]] = []
        """Per epoch: ``epoch``, ``loss`` (training NLL per row), ``val_nll``, ``seconds``."""
        self.best_epoch: int | None = None
        self.batch_size_: int | None = None

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

        from synthohive.nn.data import split_rows
        from synthohive.nn.device import resolve_device, seeded
        from synthohive.nn.state import restore, snapshot
        from synthohive.nn.training import adam, check_finite, effective_batch
        from synthohive.transform import DataTransformer

        p = self.params
        table = self.table
        tname = table.name if table else None
        device = resolve_device(self.device)
        rng = np.random.default_rng(seed)
        self._tokens, codes = [], []
        bins = max(min(p.bins, len(data) // p.rows_per_bin), min(8, p.bins))
        for col in self.columns:
            meta = table.columns.get(str(col)) if table is not None else None
            tokens, ids = ColumnTokens.fit(
                data[col],
                meta,
                table=tname,
                bins=bins,
                max_discrete=min(p.max_discrete, bins),
                max_categories=p.max_categories,
                rng=rng,
            )
            self._tokens.append(tokens)
            codes.append(ids)
        self._modelled = [i for i, t in enumerate(self._tokens) if t.modelled]
        self._context = None
        ctx = np.zeros((len(data), 0), dtype=np.float32)
        if context is not None and self.context_table is not None:
            cols = list(self.context_table.columns)
            self._context = DataTransformer(seed=seed + 1, numeric_encoding="quantile")
            self._context.fit(context[cols], self.context_table)
            ctx = np.asarray(self._context.transform(context[cols], seed=seed), dtype=np.float32)
        self._net, self.history, self.best_epoch = None, [], None
        if not self._modelled:  # every column constant: the marginals restore them alone
            log.info("fit.nothing_to_learn", model=self.name, table=tname)
            return
        matrix = np.stack([codes[i] for i in self._modelled], axis=1)
        train_idx, val_idx = split_rows(len(matrix), p.validation_fraction, rng)
        wanted = min(p.batch_size, max(16, math.ceil(len(train_idx) / p.min_steps)))
        batch, _ = effective_batch(len(train_idx), wanted, model=self.name, table=tname)
        self.batch_size_ = batch
        steps = max(1, math.ceil(len(train_idx) / batch))
        with seeded(seed, device) as gen:
            net = self._build(ctx.shape[1]).to(device)
            opt = adam(net.parameters(), lr=p.lr, weight_decay=p.weight_decay)
            x_all = torch.as_tensor(matrix, device=device)
            c_all = torch.as_tensor(ctx, device=device)
            x_tr, c_tr = x_all[train_idx], c_all[train_idx]
            net.init_marginals(x_tr)
            x_val, c_val = x_all[val_idx], c_all[val_idx]
            best, best_state, stale = math.inf, snapshot({"net": net}), 0
            for epoch in range(p.epochs):
                started = time.perf_counter()
                net.train()
                order = torch.randperm(len(x_tr), generator=gen, device=device)
                total = torch.zeros((), device=device)
                for step in range(steps):
                    rows = order[step * batch : (step + 1) * batch]
                    loss = net.nll(net(x_tr[rows], c_tr[rows]), x_tr[rows]).mean()
                    check_finite(loss, name="loss", epoch=epoch, step=step, table=tname)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    total += loss.detach() * len(rows)
                train_nll = float(total) / len(x_tr)
                val_nll = self._held_out_nll(net, x_val, c_val) if len(x_val) else train_nll
                self.history.append(
                    {
                        "epoch": float(epoch),
                        "loss": train_nll,
                        "val_nll": val_nll,
                        "seconds": time.perf_counter() - started,
                    }
                )
                log.debug("fit.epoch", model=self.name, table=tname, epoch=epoch, val_nll=val_nll)
                if val_nll < best - 1e-4:
                    best, best_state, stale, self.best_epoch = (
                        val_nll,
                        snapshot({"net": net}),
                        0,
                        epoch,
                    )
                else:
                    stale += 1
                    if p.patience is not None and stale >= p.patience:
                        log.info("fit.early_stop", model=self.name, table=tname, epoch=epoch)
                        break
            restore({"net": net}, best_state)
            net.eval()
        self._net = net

    def _build(self, context_dim: int) -> MADE:
        from synthohive_ar.networks import MADE

        p = self.params
        import torch

        cols = [self._tokens[i] for i in self._modelled]
        scores, ordinal = zip(*(t.scores() for t in cols), strict=True)
        return MADE(
            [t.vocab for t in cols],
            torch.as_tensor(np.concatenate(scores)),
            torch.as_tensor(np.concatenate(ordinal)),
            embedding_dim=p.embedding_dim,
            hidden=p.hidden_dim,
            blocks=p.blocks,
            context_dim=context_dim,
            dropout=p.dropout,
        )

    @staticmethod
    def _held_out_nll(net: MADE, x: torch.Tensor, c: torch.Tensor) -> float:
        import torch

        net.eval()
        total = 0.0
        with torch.inference_mode():
            for start in range(0, len(x), 8192):
                xs, cs = x[start : start + 8192], c[start : start + 8192]
                total += float(net.nll(net(xs, cs), xs).sum())
        return total / len(x)

    # --- generation --------------------------------------------------------------------------
    def _sample(
        self,
        n: int,
        *,
        context: pd.DataFrame | None,
        conditions: dict[str, Any] | None,
        seed: int,
    ) -> pd.DataFrame:
        tokens = np.zeros((n, len(self._tokens)), dtype=np.int64)
        if self._net is not None:
            tokens[:, self._modelled] = self._generate(n, context, seed)
        rng = np.random.default_rng(seed)
        out = {
            col: t.decode(tokens[:, i], rng)
            for i, (col, t) in enumerate(zip(self.columns, self._tokens, strict=True))
        }
        return pd.DataFrame(out)

    def _generate(self, n: int, context: pd.DataFrame | None, seed: int) -> np.ndarray:
        """Token ids ``(n, modelled columns)``, column by column, in chunks."""
        import torch

        from synthohive.nn.device import seeded

        net = self._net
        if net is None:
            raise RuntimeError("network is not built")
        device = next(net.parameters()).device
        ctx = np.zeros((n, 0), dtype=np.float32)
        if self._context is not None and context is not None and self.context_table is not None:
            frame = context[list(self.context_table.columns)].reset_index(drop=True)
            ctx = np.asarray(self._context.transform(frame, seed=seed), dtype=np.float32)
        chunk = self.params.sample_batch_size or (65_536 if device.type == "cuda" else 2_048)
        out = np.zeros((n, len(self._modelled)), dtype=np.int64)
        net.eval()
        with seeded(seed, device) as gen, torch.inference_mode():
            for start in range(0, n, chunk):
                c = torch.as_tensor(ctx[start : start + chunk], device=device)
                m = len(c)
                x = torch.zeros((m, len(self._modelled)), dtype=torch.int64, device=device)
                for j in range(len(self._modelled)):
                    logits = net.column_logits(*net.hidden(x, c), j)
                    u = torch.rand(logits.shape, generator=gen, device=device)
                    gumbel = -torch.log(-torch.log(u.clamp_(1e-20, 1.0 - 1e-7)))
                    x[:, j] = torch.argmax(logits + gumbel, dim=1)
                out[start : start + m] = x.cpu().numpy()
        return out

    # --- persistence -------------------------------------------------------------------------
    def _save(self, writer: ArtifactWriter) -> None:
        from synthohive.nn.state import modules_to_numpy

        writer.write_json(
            "autoregressive",
            {
                "tokens": [t.describe() for t in self._tokens],
                "modelled": self._modelled,
                "has_context": self._context is not None,
                "has_network": self._net is not None,
                "best_epoch": self.best_epoch,
            },
        )
        for i, tokens in enumerate(self._tokens):
            tokens.save(writer, f"column_{i}")
        if self._context is not None:
            self._context.save(writer.child("context"))
        if self._net is not None:
            writer.write_tensors("weights", modules_to_numpy({"net": self._net}))

    def _load(self, reader: ArtifactReader) -> None:
        from synthohive.nn.device import resolve_device
        from synthohive.nn.state import load_numpy_into
        from synthohive.transform import DataTransformer

        head = reader.read_json("autoregressive")
        try:
            descs, modelled = list(head["tokens"]), [int(i) for i in head["modelled"]]
            has_context, has_network = bool(head["has_context"]), bool(head["has_network"])
            best = head.get("best_epoch")
        except (KeyError, TypeError, ValueError) as exc:
            raise IncompatibleArtifactError(f"model {self.name!r}: malformed state {exc}") from None
        if len(descs) != len(self.columns):
            raise IncompatibleArtifactError(
                f"model {self.name!r}: {len(descs)} token columns for {len(self.columns)} columns"
            )
        self._tokens = [ColumnTokens.load(reader, f"column_{i}", d) for i, d in enumerate(descs)]
        if modelled != [i for i, t in enumerate(self._tokens) if t.modelled]:
            raise IncompatibleArtifactError(
                f"model {self.name!r}: the modelled columns do not match the vocabularies"
            )
        self._modelled = modelled
        self.best_epoch = int(best) if best is not None else None
        self._context = DataTransformer.load(reader.child("context")) if has_context else None
        if has_context != (self.context_table is not None):
            raise IncompatibleArtifactError(
                f"model {self.name!r}: context state and context table disagree"
            )
        if has_network:
            width = int(self._context.output_dim) if self._context is not None else 0
            net = self._build(width)
            load_numpy_into({"net": net}, reader.read_tensors("weights"), model=self.name)
            self._net = net.to(resolve_device(self.device)).eval()
