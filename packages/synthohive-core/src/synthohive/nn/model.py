"""``NeuralModel``: what every torch model over an :class:`EncodedTable` shares.

CTGAN and TVAE differ in their networks and training loops and nothing else: both keep
callbacks and history, generate in large eval-mode chunks, fit per-category logit offsets
after training, decode through the same transformer and persist the same header, logit
bias and transformers. That common part lives here; a subclass writes ``_fit``, the
network-specific hooks ``_generation_state``/``_raw_chunk`` (and optionally ``_activate``),
and the weights part of ``_save``/``_load``.

Importing this module does not import torch (``synthohive.nn`` loads its helpers lazily);
the methods import it when they run, so plugin model modules stay cheap to list.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from synthohive.artifacts.api import ArtifactReader, ArtifactWriter
from synthohive.errors import DataError, IncompatibleArtifactError, NotFittedError
from synthohive.models.base import GenerativeModel, ModelParams
from synthohive.nn.params import NeuralParams
from synthohive.nn.setup import FitSetup

if TYPE_CHECKING:
    import torch

    from synthohive.nn.data import EncodedTable
    from synthohive.nn.dp import DPSGD
    from synthohive.nn.spans import SpanLayout
    from synthohive.nn.training import TrainingMonitor
    from synthohive.privacy.dp import DPConfig

Callback = Callable[[int, dict[str, float]], Any]


DP_REFERENCE_ROWS = 20_000
"""Rows of the reference sample a DP transformer is fitted on (see :mod:`synthohive.nn.dp`)."""

SCALAR_MAP_KNOTS = 201
"""Quantiles of the generator's output kept per quantile-encoded column (see ``_remap_scalars``)."""


def sample_chunk(device_type: str) -> int:
    """Default rows per generation pass: small chunks stay in a CPU's cache (2,048 rows
    sampled ~1.5x faster than 65,536 on the 2-core benchmark machine); a GPU wants large
    batches to fill its cores."""
    return 65_536 if device_type == "cuda" else 2_048


class NeuralModel(GenerativeModel):
    """Base of the torch models: callbacks, chunked generation, calibration, persistence.

    ``callbacks`` are called as ``fn(epoch, metrics)`` after each epoch (losses, rows seen,
    seconds, and ``val_score`` when evaluated); ``history`` keeps the same records.
    Subclasses set ``state_format`` (the version of their saved header).
    """

    state_format: int = 1
    supports_data_parallel: ClassVar[bool] = False
    """Whether ``_fit`` trains data-parallel when ``torch.distributed`` is initialised
    (see :mod:`synthohive.nn.parallel`)."""

    def __init__(
        self,
        params: ModelParams | dict[str, Any] | None = None,
        *,
        device: str = "auto",
        seed: int | None = None,
        callbacks: Sequence[Callback] | None = None,
        **kwargs: Any,
    ) -> None:
        # the shared state is set first: the base ``__init__`` ends with ``_init_state()``
        self.callbacks = list(callbacks or [])
        self.history: list[dict[str, float]] = []
        self.best_epoch: int | None = None
        self.selection_margin: float | None = None  # score gain needed to restore an epoch
        self.batch_size_: int | None = None
        self._enc: EncodedTable | None = None
        self._torch_device: torch.device | None = None
        self._logit_bias: np.ndarray | None = None
        self._scalar_maps: np.ndarray | None = None
        super().__init__(params, device=device, seed=seed, **kwargs)

    # --- abstract hooks ----------------------------------------------------------------
    @abstractmethod
    def _networks(self) -> list[torch.nn.Module]:
        """The modules used for generation (put in eval mode while generating)."""

    @abstractmethod
    def _generation_state(self, positions: list[int], device: torch.device) -> Any:
        """Per-call state for :meth:`_raw_chunk` (e.g. the fixed condition of ``positions``)."""

    @abstractmethod
    def _raw_chunk(
        self, m: int, ctx: torch.Tensor, state: Any, gen: torch.Generator
    ) -> torch.Tensor:
        """Raw network outputs for ``m`` rows with context rows ``ctx``, span-major:
        shape ``(width, m)`` (compute the last layer as ``W @ h.T + b``)."""

    def _activate(
        self, raw_t: torch.Tensor, layout: SpanLayout, gen: torch.Generator
    ) -> torch.Tensor:
        """Span-major raw outputs -> encoded rows ``(width, m)`` with hard one-hots (TVAE
        adds scalar noise)."""
        from synthohive.nn.spans import sample_one_hots_t

        return sample_one_hots_t(raw_t, layout, gen)

    # --- fit set-up shared by the training loops ---------------------------------------------
    @property
    def _neural_params(self) -> NeuralParams:
        """``self.params`` when it is a :class:`NeuralParams`, else its defaults."""
        return self.params if isinstance(self.params, NeuralParams) else NeuralParams()

    def _begin_fit(self) -> torch.device:
        """Forget what an earlier fit learned (shared state and :meth:`_init_state`) and
        resolve the device; the first step of every ``_fit``."""
        from synthohive.nn.device import resolve_device
        from synthohive.nn.parallel import DataParallel

        par = DataParallel.current()
        if par is not None:
            par.check_model(self)
        self._init_state()
        self._logit_bias = self._scalar_maps = None
        self.best_epoch = None
        self._torch_device = resolve_device(self.device)
        return self._torch_device

    def _start_fit(self, data: pd.DataFrame, context: pd.DataFrame | None, seed: int) -> FitSetup:
        """:meth:`_begin_fit`, then fit the encoding, encode the rows and their context, and
        hold out ``validation_fraction`` of them (drawn from ``np.random.default_rng(seed)``)."""
        from synthohive.nn.data import split_rows
        from synthohive.nn.parallel import DataParallel

        device = self._begin_fit()
        enc = self._fit_encoding(data, context, seed)
        par = DataParallel.current()
        if par is not None:  # every rank fitted the encoding on all rows, with the same seed
            tname = self.table.name if self.table else None
            par.check_same("encoded width", enc.width + enc.context_width, table=tname)
        matrix = enc.encode(data)
        ctx = enc.encode_context(context, len(data))
        rng = np.random.default_rng(seed)
        train_idx, val_idx = split_rows(len(data), self._neural_params.validation_fraction, rng)
        return FitSetup(enc, device, matrix, ctx, rng, train_idx, val_idx)

    def _monitor(
        self,
        modules: Mapping[str, torch.nn.Module],
        progress: bool | None,
        *,
        validate: bool = True,
    ) -> TrainingMonitor:
        """The :class:`~synthohive.nn.training.TrainingMonitor` of a fit, keeping the best
        epoch of ``modules``; ``validate=False`` (DP training) scores no epoch."""
        from synthohive.nn.training import TrainingMonitor

        p = self._neural_params
        selection: dict[str, Any] = {}
        if validate:
            selection = {
                "eval_every": p.eval_every,
                "patience": p.patience,
                "restore_margin": p.restore_margin,
                "eval_budget": p.eval_budget,
            }
        return TrainingMonitor(
            model=self.name,
            table=self.table.name if self.table else None,
            epochs=p.epochs,
            modules=modules,
            callbacks=self.callbacks,
            progress=progress,
            **selection,
        )

    def _epoch_score(
        self, setup: FitSetup, monitor: TrainingMonitor, epoch: int, seed: int
    ) -> float | None:
        """The validation score of ``epoch`` when the monitor asks for one, else ``None``
        (in data-parallel training rank 0's decision and score, on every rank)."""
        from synthohive.nn.parallel import DataParallel

        par = DataParallel.current()
        if par is not None:
            return par.epoch_score(
                monitor,
                epoch,
                lambda: self._validation_score(
                    setup.val_real, setup.val_ctx, seed + epoch + 1, monitor
                ),
            )
        if not monitor.should_evaluate(epoch):
            return None
        return self._validation_score(setup.val_real, setup.val_ctx, seed + epoch + 1, monitor)

    def _end_fit(self, monitor: TrainingMonitor) -> None:
        """Keep the monitor's history, best epoch and selection margin."""
        self.history = monitor.history
        self.best_epoch, self.selection_margin = monitor.best_epoch, monitor.margin

    def _fit_encoding(
        self, data: pd.DataFrame, context: pd.DataFrame | None, seed: int
    ) -> EncodedTable:
        """Fit and keep the :class:`EncodedTable` of ``data`` (and ``context``), with the
        model's ``numeric_encoding`` parameter (``"modes"`` when it has none)."""
        from synthohive.nn.data import EncodedTable

        if self.table is None:
            raise NotFittedError(
                f"model {self.name!r}: no table before _fit",
                fix="call fit(), which sets the table before it calls _fit",
            )
        self._enc = EncodedTable.fit(
            data,
            self.table,
            context=context,
            context_table=self.context_table,
            seed=seed,
            numeric_encoding=getattr(self.params, "numeric_encoding", "modes"),
        )
        return self._enc

    def _fit_encoding_dp(
        self, data: pd.DataFrame, context: pd.DataFrame | None, seed: int, dp: DPConfig
    ) -> tuple[EncodedTable, np.ndarray, np.ndarray, dict[str, Any]]:
        """The differentially private counterpart of :meth:`_fit_encoding` (see
        :mod:`synthohive.nn.dp`): spend the statistics' share of ``dp`` on noisy marginals,
        fit the transformer on a reference sample drawn from them, and map the rows onto what
        was released. Returns the encoding, the encoded rows, the encoded reference sample and
        the statistics' DP record."""
        from synthohive.nn.data import EncodedTable
        from synthohive.nn.dp import require_opacus, split_budget
        from synthohive.privacy.dp import DPLedger, coarsen, dp_reference, noisy_rows

        require_opacus(self.name)
        if self.table is None:
            raise NotFittedError(
                f"model {self.name!r}: no table before _fit",
                fix="call fit(), which sets the table before it calls _fit",
            )
        if context is not None:
            raise DataError(
                "differential privacy is not available for tables fitted with parent context",
                table=self.table.name,
                fix="fit the table on its own (no context), or drop dp",
            )
        eps_s, delta_s, _, _ = split_budget(dp, len(data))
        rng = np.random.default_rng([seed, 104_729])
        ledger = DPLedger.for_budget(eps_s, delta_s, rng, thresholds=data.shape[1])
        reference, marginals = dp_reference(
            data, self.table, ledger, rows=DP_REFERENCE_ROWS, public_bounds=dp.public_bounds
        )
        self._enc = EncodedTable.fit(
            reference,
            self.table,
            seed=seed,
            numeric_encoding=getattr(self.params, "numeric_encoding", "modes"),
        )
        rows = coarsen(data, reference, marginals, rng)
        record = ledger.record(noisy_rows(marginals))
        return self._enc, self._enc.encode(rows), self._enc.encode(reference), record

    def _finish_dp(
        self,
        private: DPSGD,
        monitor: TrainingMonitor,
        reference: np.ndarray,
        stats: dict[str, Any],
        dp: DPConfig,
        seed: int,
    ) -> None:
        """After DP-SGD: drop opacus's hooks, calibrate on the reference sample (free), keep
        the last epoch and record what was spent (statistics + DP-SGD)."""
        from synthohive.nn.dp import combined_record

        monitor.finish()
        private.unwrap()
        for net in self._networks():
            net.eval()
        if getattr(self.params, "calibrate", False):
            ctx = np.zeros((len(reference), 0), np.float32)
            self._calibrate(reference, ctx, np.random.default_rng(seed), seed)
        self.history = monitor.history
        self.best_epoch, self.selection_margin = len(monitor.history) - 1, None
        self.dp_ = combined_record(stats, private.record(), dp)

    # --- generation --------------------------------------------------------------------------
    def _generate(
        self,
        n: int,
        ctx: np.ndarray,
        positions: list[int],
        seed: int,
        bias: np.ndarray | None = None,
    ) -> np.ndarray:
        """``n`` encoded rows (hard one-hots), generated in eval mode in large chunks.

        Generation runs span-major (see :func:`~synthohive.nn.spans.sample_one_hots_t`), so
        the result is the ``(n, width)`` matrix in Fortran order: each encoded column is
        contiguous, which is also what the transformer's per-column decoding reads.
        """
        import torch

        from synthohive.nn.data import to_device
        from synthohive.nn.device import make_generator
        from synthohive.nn.spans import fix_one_hots_t

        enc, device, nets = self._enc, self._torch_device, self._networks()
        if enc is None or device is None or not nets:
            raise NotFittedError(
                f"model {self.name!r}: networks are not built", fix="call fit() or load() first"
            )
        gen = make_generator(seed, device)
        layout = enc.layout.to(device)
        fixes = enc.condition_fixes(positions)
        state = self._generation_state(positions, device)
        modes = [net.training for net in nets]
        for net in nets:
            net.eval()
        out_t = np.empty((enc.width, n), dtype=np.float32)
        chunk = getattr(self.params, "sample_batch_size", None) or sample_chunk(device.type)
        try:
            with torch.inference_mode():
                ctx_t = to_device(ctx, device)
                bias_t = torch.as_tensor(bias, device=device) if bias is not None else None
                for start in range(0, n, chunk):
                    m = min(chunk, n - start)
                    raw_t = self._raw_chunk(m, ctx_t[start : start + m], state, gen)
                    if bias_t is not None:
                        raw_t += bias_t[:, None]
                    rows_t = fix_one_hots_t(self._activate(raw_t, layout, gen), fixes)
                    out_t[:, start : start + m] = rows_t.float().cpu().numpy()
        finally:
            for net, mode in zip(nets, modes):
                net.train(mode)
        return out_t.T

    def _validation_score(
        self, real: np.ndarray, ctx: np.ndarray, seed: int, monitor: TrainingMonitor | None = None
    ) -> float:
        """:func:`~synthohive.nn.training.column_score` of the held-out ``real`` rows against
        at least 2,000 generated ones (their context ``ctx`` repeated), so the score's own
        noise stays well below the differences between epochs it has to rank. The first call
        with a ``monitor`` hands it that noise's bootstrap, run only if it can change the
        decision (:meth:`~synthohive.nn.training.TrainingMonitor.defer_score_noise`)."""
        from synthohive.nn.training import column_score, score_noise

        if self._enc is None:
            raise NotFittedError(
                f"model {self.name!r}: its state is missing", fix="call fit() or load() first"
            )
        reps = max(1, -(-2000 // max(len(real), 1)))
        fake = self._generate(len(real) * reps, np.tile(ctx, (reps, 1)), [], seed)
        transformer = self._enc.transformer
        real_values, continuous = transformer.column_values(real)
        fake_values, _ = transformer.column_values(fake)
        if monitor is not None and monitor.noise_pending:
            monitor.defer_score_noise(
                lambda: score_noise(real_values, fake_values, continuous, seed)
            )
        return column_score(real_values, fake_values, continuous)

    def _calibrate(
        self, train: np.ndarray, ctx: np.ndarray, rng: np.random.Generator, seed: int
    ) -> None:
        """Fit the per-category logit offsets on up to 10,000 training rows, then the scalar
        maps of quantile-encoded columns (see :meth:`_remap_scalars`)."""
        from synthohive.nn.training import calibrate_logit_bias

        if self._enc is None:
            return
        rows = rng.permutation(len(train))[:10_000]
        real, real_ctx = train[rows], ctx[rows]
        self._logit_bias = calibrate_logit_bias(
            lambda b: self._generate(len(real), real_ctx, [], seed + 7919, b),
            real,
            self._enc.output_info,
        )
        cols = self._enc.transformer.quantile_columns()
        if cols:
            reps = max(1, -(-10_000 // max(len(real), 1)))
            fake = self._generate(
                len(real) * reps, np.tile(real_ctx, (reps, 1)), [], seed + 7920, self._logit_bias
            )
            levels = np.linspace(0.0, 1.0, SCALAR_MAP_KNOTS)
            self._scalar_maps = np.quantile(fake[:, cols], levels, axis=0).T.astype(np.float64)

    def _remap_scalars(self, matrix: np.ndarray) -> np.ndarray:
        """Map each quantile-encoded scalar through the distribution of the generator's own
        output (measured after training) onto the normal scores of the real data, so every
        such column keeps the real marginal exactly while the rank order - the dependence
        the network learned - is untouched (histogram matching, a monotone map per column)."""
        if self._scalar_maps is None or self._enc is None:
            return matrix
        from scipy.special import ndtri

        levels = np.linspace(0.0, 1.0, self._scalar_maps.shape[1])
        eps = 0.5 / (len(levels) - 1)
        for grid, col in zip(self._scalar_maps, self._enc.transformer.quantile_columns()):
            u = np.interp(matrix[:, col], grid, levels)
            matrix[:, col] = np.clip(ndtri(np.clip(u, eps, 1.0 - eps)) / 4.0, -0.99, 0.99)
        return matrix

    def _sample(
        self,
        n: int,
        *,
        context: pd.DataFrame | None,
        conditions: dict[str, Any] | None,
        seed: int,
    ) -> pd.DataFrame:
        enc = self._enc
        if enc is None:
            raise NotFittedError(
                f"model {self.name!r}: its state is missing", fix="call fit() or load() first"
            )
        tname = self.table.name if self.table else None
        positions = enc.condition_positions(conditions, tname) if conditions else []
        if enc.width == 0:  # every column constant: the transformer restores them alone
            return enc.decode(np.zeros((n, 0), dtype=np.float32), seed=seed)
        ctx = enc.encode_context(context, n)
        raw = self._generate(n, ctx, positions, seed, self._logit_bias)
        return enc.decode(self._remap_scalars(raw), seed=seed)

    # --- persistence -------------------------------------------------------------------------
    def _save_common(self, writer: ArtifactWriter, **header: Any) -> None:
        """Write the transformers, the header (``header`` plus the shared fields) and the
        logit bias. The header is stored under the model's name."""
        if self._enc is None:
            raise NotFittedError(
                f"model {self.name!r}: its state is missing", fix="call fit() or load() first"
            )
        self._enc.save(writer.child("data"))
        writer.write_json(
            self.name,
            {
                "format": self.state_format,
                "has_logit_bias": self._logit_bias is not None,
                "has_scalar_maps": self._scalar_maps is not None,
                "batch_size": self.batch_size_,
                "best_epoch": self.best_epoch,
                **header,
            },
        )
        if self._logit_bias is not None:
            writer.write_array("logit_bias", self._logit_bias)
        if self._scalar_maps is not None:
            writer.write_array("scalar_maps", self._scalar_maps)

    def _load_common(self, reader: ArtifactReader) -> dict[str, Any]:
        """Read what :meth:`_save_common` wrote (checked); returns the header."""
        from synthohive.nn.data import EncodedTable
        from synthohive.nn.device import resolve_device

        head = reader.read_json(self.name)
        if not isinstance(head, dict) or head.get("format") != self.state_format:
            raise IncompatibleArtifactError(
                f"unsupported {self.name} state format",
                fix=f"re-save the model with this version of the {self.name!r} plugin",
            )
        self._torch_device = resolve_device(self.device)
        enc = EncodedTable.load(reader.child("data"))
        self._enc = enc
        if head.get("has_logit_bias"):
            bias = np.asarray(reader.read_array("logit_bias"), dtype=np.float32)
            if bias.shape != (enc.width,) or not np.isfinite(bias).all():
                raise IncompatibleArtifactError(
                    f"model {self.name!r}: logit_bias has shape {bias.shape}, "
                    f"expected ({enc.width},)"
                )
            self._logit_bias = bias
        if head.get("has_scalar_maps"):
            maps = np.asarray(reader.read_array("scalar_maps"), dtype=np.float64)
            cols = enc.transformer.quantile_columns()
            if (
                maps.ndim != 2
                or maps.shape[0] != len(cols)
                or maps.shape[1] < 2
                or not np.isfinite(maps).all()
                or np.any(np.diff(maps, axis=1) < 0)
            ):
                raise IncompatibleArtifactError(
                    f"model {self.name!r}: scalar_maps has shape {maps.shape} or unsorted rows, "
                    f"expected ({len(cols)}, k) sorted quantiles"
                )
            self._scalar_maps = maps
        self.batch_size_ = head.get("batch_size")
        self.best_epoch = head.get("best_epoch")
        return head
