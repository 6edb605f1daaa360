"""Training utilities: divergence checks, validation score, best-epoch tracking, progress.

Used by every torch model so they report, stop and checkpoint the same way.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from synthohive.errors import TrainingDivergedError
from synthohive.log import get_logger
from synthohive.nn.state import restore, snapshot
from synthohive.validation.stats import ks_statistic

log = get_logger(__name__)

Callback = Callable[[int, dict[str, float]], Any]


def check_finite(
    loss: torch.Tensor, *, name: str, epoch: int, step: int, table: str | None
) -> None:
    """Raise :class:`TrainingDivergedError` if ``loss`` is NaN or infinite."""
    if not bool(torch.isfinite(loss.detach()).all()):
        raise TrainingDivergedError(
            f"training diverged: {name} became {float(loss.detach().float().mean())} "
            f"at epoch {epoch}, step {step}",
            table=table,
            fix="lower the learning rates, or check the data for extreme values",
        )


def validation_score(real: np.ndarray, fake: np.ndarray, output_info: Sequence[Any]) -> float:
    """Similarity of two encoded matrices in [0, 1] (1 = identical distributions).

    The mean of two parts, each in [0, 1]: marginals (mean over spans of ``1 - KS`` for
    scalar spans and ``1 - TVD`` for one-hot spans, the category taken as the argmax) and
    pairs (``1 - mean |corr_real - corr_fake| / 2`` over the encoded columns, so an epoch
    that keeps marginals but loses the dependence between columns scores lower). Fast enough
    to run every few epochs on a held-out split.
    """
    scores: list[float] = []
    for span in output_info:
        s, d = int(span.start), int(span.dim)
        if span.activation == "softmax":
            ra = np.bincount(real[:, s : s + d].argmax(1), minlength=d) / len(real)
            fa = np.bincount(fake[:, s : s + d].argmax(1), minlength=d) / len(fake)
            scores.append(1.0 - 0.5 * float(np.abs(ra - fa).sum()))
        else:
            for j in range(s, s + d):
                scores.append(1.0 - ks_statistic(real[:, j], fake[:, j]))
    if not scores:
        return 1.0
    marginal = float(np.mean(scores))
    if real.shape[1] < 2 or len(real) < 3 or len(fake) < 3:
        return marginal
    return 0.5 * (marginal + _pair_score(real, fake))


def _pair_score(real: np.ndarray, fake: np.ndarray) -> float:
    """``1 - mean |corr_real - corr_fake| / 2`` over column pairs (constant columns: 0)."""

    def corr(x: np.ndarray) -> np.ndarray:
        x = x.astype(np.float64) - x.mean(axis=0)
        std = np.sqrt((x * x).mean(axis=0))
        z = torch.from_numpy(np.divide(x, std, out=np.zeros_like(x), where=std > 1e-12))
        # the product runs on torch's thread pool: numpy's BLAS threads would spin-wait
        # after it and slow the next training epoch by ~0.1 s on a 2-core machine
        return (z.T @ z).numpy() / len(z)

    diff = np.abs(corr(real) - corr(fake))
    upper = np.triu_indices(diff.shape[0], k=1)
    return 1.0 - 0.5 * float(diff[upper].mean())


def column_score(real: np.ndarray, fake: np.ndarray, continuous: Sequence[bool]) -> float:
    """Similarity in [0, 1] of real and generated rows at the column level (1 = identical).

    ``real``/``fake`` hold one number per row and column
    (:meth:`~synthohive.transform.DataTransformer.column_values`): values for continuous
    columns (NaN = null), slot indices for discrete ones. The score is the mean of two parts,
    as in the quality report: column shapes (``1 - KS - |null-share gap|`` for continuous
    columns, ``1 - TVD`` for discrete ones) and pair trends over every pair of columns
    (``1 - |rho_real - rho_fake| / 2`` with Spearman's rho for two continuous columns,
    ``1 - TVD`` of the joint distribution otherwise, continuous columns cut at the real
    quintiles). Each pair of columns weighs the same, whatever the width of its encoding, so
    an epoch that keeps every marginal but loses the dependence between columns scores clearly
    lower than one that keeps it.
    """
    c = real.shape[1]
    if c == 0:
        return 1.0
    shapes: list[float] = []
    codes_r, codes_f, sizes = [], [], []
    for j in range(c):
        r, f = real[:, j], fake[:, j]
        if continuous[j]:
            rp, fp = r[~np.isnan(r)], f[~np.isnan(f)]
            gap = abs(len(rp) / max(len(r), 1) - len(fp) / max(len(f), 1))
            ks = ks_statistic(rp, fp) if len(rp) and len(fp) else float(len(rp) != len(fp))
            shapes.append(max(0.0, 1.0 - ks - gap))
            edges = np.unique(np.quantile(rp, [0.2, 0.4, 0.6, 0.8])) if len(rp) else np.zeros(0)
            cr = np.where(np.isnan(r), len(edges) + 1, np.searchsorted(edges, r, side="right"))
            cf = np.where(np.isnan(f), len(edges) + 1, np.searchsorted(edges, f, side="right"))
            size = len(edges) + 2
        else:
            size = int(max(r.max(initial=0), f.max(initial=0))) + 1
            cr, cf = r.astype(np.int64), f.astype(np.int64)
            pr = np.bincount(cr, minlength=size) / len(r)
            pf = np.bincount(cf, minlength=size) / len(f)
            shapes.append(1.0 - 0.5 * float(np.abs(pr - pf).sum()))
        codes_r.append(cr.astype(np.int64))
        codes_f.append(cf.astype(np.int64))
        sizes.append(size)
    shape = float(np.mean(shapes))
    if c < 2 or len(real) < 3 or len(fake) < 3:
        return shape
    cont = [j for j in range(c) if continuous[j]]
    rho_r = _spearman(real[:, cont]) if len(cont) > 1 else None
    rho_f = _spearman(fake[:, cont]) if len(cont) > 1 else None
    where = {j: k for k, j in enumerate(cont)}
    pairs: list[float] = []
    for a in range(c):
        for b in range(a + 1, c):
            if rho_r is not None and rho_f is not None and a in where and b in where:
                ia, ib = where[a], where[b]
                pairs.append(1.0 - 0.5 * abs(float(rho_r[ia, ib] - rho_f[ia, ib])))
                continue
            jr = np.bincount(codes_r[a] * sizes[b] + codes_r[b], minlength=sizes[a] * sizes[b])
            jf = np.bincount(codes_f[a] * sizes[b] + codes_f[b], minlength=sizes[a] * sizes[b])
            pairs.append(1.0 - 0.5 * float(np.abs(jr / len(real) - jf / len(fake)).sum()))
    return 0.5 * (shape + float(np.mean(pairs)))


def score_noise(
    real: np.ndarray, fake: np.ndarray, continuous: Sequence[bool], seed: int, rounds: int = 8
) -> float:
    """Bootstrap standard deviation of :func:`column_score` (both row sets resampled).

    It is mostly set by the number of held-out rows: about 0.004 with 400-1,000 of them
    against 2,000 generated rows, several hundredths with 30.
    """
    rng = np.random.default_rng(seed)
    scores = [
        column_score(
            real[rng.integers(0, len(real), len(real))],
            fake[rng.integers(0, len(fake), len(fake))],
            continuous,
        )
        for _ in range(rounds)
    ]
    return float(np.std(scores, ddof=1))


def _spearman(x: np.ndarray) -> np.ndarray:
    """Spearman correlation matrix of the columns of ``x`` (average ranks; a null takes the
    column's mean rank; a constant column correlates 0)."""
    import pandas as pd

    ranks = pd.DataFrame(x).rank(method="average").to_numpy(dtype=np.float64)
    missing = np.isnan(ranks)
    present = (~missing).sum(axis=0, keepdims=True)
    means = np.where(missing, 0.0, ranks).sum(axis=0, keepdims=True) / np.maximum(present, 1)
    ranks = np.where(missing, means, ranks)  # an all-null column becomes constant 0
    z = ranks - ranks.mean(axis=0)
    std = np.sqrt((z * z).mean(axis=0))
    zt = torch.from_numpy(np.divide(z, std, out=np.zeros_like(z), where=std > 1e-12))
    return (zt.T @ zt).numpy() / len(z)  # on torch's pool: see _pair_score


class TrainingMonitor:
    """Per-epoch bookkeeping shared by the torch models.

    Logs one structlog event per epoch, calls ``callbacks(epoch, metrics)``, drives a tqdm bar
    (when ``progress`` is true, or ``None`` and stderr is a terminal), keeps a snapshot of
    ``modules`` at the best validation score and stops early after ``patience`` evaluations
    without improvement.

    At :meth:`finish` the best snapshot is restored only when its score beats the last
    evaluation's by more than :attr:`margin`; otherwise the trained weights stay. The margin
    is ``restore_margin`` or, once the model reports the score's noise
    (:meth:`set_score_noise`, a bootstrap standard deviation ``sd``), two standard deviations
    of the difference of two scores, ``2 * sqrt(2) * sd``, whichever is larger. With 400-1,000
    held-out rows ``sd`` is about 0.004 (measured on TVAE), so the default 0.01 decides; with
    a few dozen held-out rows the noise does, and a lucky early epoch no longer replaces a
    trained one, while a real collapse late in training is still undone. ``best_epoch`` is
    the epoch whose weights are kept. The bootstrap costs several scores, so a model may hand
    it over unmeasured (:meth:`defer_score_noise`): it then runs only at :meth:`finish` and
    only when an earlier epoch beats the last by more than ``restore_margin`` (otherwise the
    noise cannot change the decision).
    """

    def __init__(
        self,
        *,
        model: str,
        table: str | None,
        epochs: int,
        modules: Mapping[str, torch.nn.Module],
        eval_every: int = 1,
        patience: int | None = None,
        callbacks: Sequence[Callback] = (),
        progress: bool | None = None,
        restore_margin: float = 0.01,
        eval_budget: float | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.model = model
        self.table = table
        self.epochs = epochs
        self.modules = modules
        self.eval_every = max(1, eval_every)
        self.patience = patience
        self.callbacks = list(callbacks)
        self.restore_margin = float(restore_margin)
        self.best_score = -math.inf
        self.best_epoch: int | None = None
        self.last_score: float | None = None
        self.last_epoch: int | None = None
        self.score_noise: float | None = None
        self._noise_fn: Callable[[], float] | None = None
        self._best: dict[str, dict[str, torch.Tensor]] | None = None
        self._stale = 0
        self.history: list[dict[str, float]] = []
        self.eval_budget = eval_budget
        self._clock = clock
        self._started = clock()
        self._eval_started: float | None = None
        self._train_s = 0.0  # seconds of epochs outside evaluation
        self._eval_s = 0.0
        self._evals = 0
        self._since_eval = 0
        show = sys.stderr.isatty() if progress is None else progress
        self._bar: Any = None
        if show:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=epochs, desc=f"{model} {table or ''}".strip(), unit="epoch")

    @property
    def margin(self) -> float:
        """Score gain an earlier epoch needs over the last one to be restored."""
        noise = 2.0 * math.sqrt(2.0) * self.score_noise if self.score_noise else 0.0
        return max(self.restore_margin, noise)

    def set_score_noise(self, sd: float) -> None:
        """Record the validation score's standard deviation (sets :attr:`margin`)."""
        self.score_noise = float(sd)
        log.info(
            "fit.score_noise",
            model=self.model,
            table=self.table,
            sd=round(self.score_noise, 5),
            margin=round(self.margin, 5),
        )

    def defer_score_noise(self, measure: Callable[[], float]) -> None:
        """Keep ``measure()`` (the bootstrap of :meth:`set_score_noise`) to run only when its
        answer can change which epoch is kept; the first one handed over is kept."""
        if self.score_noise is None and self._noise_fn is None:
            self._noise_fn = measure

    @property
    def noise_pending(self) -> bool:
        """Whether no noise is known yet (none measured, none deferred)."""
        return self.score_noise is None and self._noise_fn is None

    def resolve_score_noise(self) -> float | None:
        """Measure a deferred noise now (see :meth:`defer_score_noise`); the known noise."""
        if self.score_noise is None and self._noise_fn is not None:
            measure, self._noise_fn = self._noise_fn, None
            self.set_score_noise(measure())
        return self.score_noise

    def check(self, loss: torch.Tensor, *, name: str, epoch: int, step: int) -> None:
        """Divergence check for one loss value."""
        check_finite(loss, name=name, epoch=epoch, step=step, table=self.table)

    @property
    def interval(self) -> int:
        """Epochs between evaluations: ``eval_every``, stretched when ``eval_budget`` is set so
        that scoring costs at most that share of the training time (both measured so far)."""
        if not self.eval_budget or not self._evals or self._train_s <= 0:
            return self.eval_every
        per_eval = self._eval_s / self._evals
        per_epoch = self._train_s / max(1, len(self.history))
        return max(self.eval_every, math.ceil(per_eval / (self.eval_budget * per_epoch)))

    def should_evaluate(self, epoch: int) -> bool:
        """Whether the validation score is due after ``epoch`` (0-based): every
        :attr:`interval` epochs, and always at the last one. Call it right before scoring:
        a ``True`` starts the clock of the evaluation that :meth:`end_epoch` stops."""
        due = epoch + 1 == self.epochs or self._since_eval + 1 >= self.interval
        if due:
            self._eval_started = self._clock()
        return due

    def end_epoch(
        self, epoch: int, losses: Mapping[str, float], score: float | None = None
    ) -> bool:
        """Record ``epoch``; returns ``True`` when training should stop early."""
        metrics = {k: float(v) for k, v in losses.items()}
        now = self._clock()
        metrics["seconds"] = round(now - self._started, 4)
        if self._eval_started is not None:
            self._train_s += self._eval_started - self._started
            self._eval_s += now - self._eval_started
            self._evals += 1
            self._since_eval, self._eval_started = 0, None
        else:
            self._train_s += now - self._started
            self._since_eval += 1
        stop = False
        if score is not None:
            metrics["val_score"] = float(score)
            self.last_score, self.last_epoch = float(score), epoch
            if score > self.best_score:
                self.best_score = float(score)
                self.best_epoch = epoch
                self._best = snapshot(self.modules)
                self._stale = 0
            else:
                self._stale += 1
                if self.patience is not None and self._stale >= self.patience:
                    stop = True
        self.history.append({"epoch": float(epoch), **metrics})
        log.info("fit.epoch", model=self.model, table=self.table, epoch=epoch, **metrics)
        for cb in self.callbacks:
            cb(epoch, dict(metrics))
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix({k: round(v, 3) for k, v in metrics.items()})
        self._started = self._clock()
        if stop:
            log.info(
                "fit.early_stop",
                model=self.model,
                table=self.table,
                epoch=epoch,
                best_epoch=self.best_epoch,
            )
        return stop

    def finish(self) -> None:
        """Close the bar; load the best snapshot back only if it is clearly better than the
        last evaluated weights (see the class), and set ``best_epoch`` to the kept epoch."""
        if self._bar is not None:
            self._bar.close()
        if self._best is None or self.last_score is None:
            return
        gain = self.best_score - self.last_score
        if self.best_epoch != self.last_epoch and gain > self.restore_margin:
            self.resolve_score_noise()  # only here can the noise change the decision
        self._noise_fn = None
        if self.best_epoch != self.last_epoch and gain > self.margin:
            restore(self.modules, self._best)
            log.info(
                "fit.best_epoch",
                model=self.model,
                table=self.table,
                epoch=self.best_epoch,
                val_score=round(self.best_score, 5),
                gain=round(gain, 5),
            )
            return
        log.info(
            "fit.last_epoch_kept",
            model=self.model,
            table=self.table,
            epoch=self.last_epoch,
            val_score=round(self.last_score, 5),
            best_epoch=self.best_epoch,
            gain=round(gain, 5),
            margin=round(self.margin, 5),
        )
        self.best_epoch, self.best_score = self.last_epoch, self.last_score
        self._best = None


def effective_batch(
    n_rows: int, batch_size: int, *, multiple: int = 1, model: str, table: str | None
) -> tuple[int, int]:
    """Clamp ``batch_size`` to the data and to a multiple of ``multiple`` (e.g. CTGAN's pac).

    Returns ``(batch, multiple)``; every adjustment is logged as a warning (never an assert).
    The batch never exceeds ``n_rows``; ``multiple`` shrinks when it exceeds the batch.
    """
    batch = batch_size
    if batch > n_rows:
        log.warning(
            "fit.batch_clamped",
            model=model,
            table=table,
            batch_size=batch_size,
            rows=n_rows,
            reason="batch_size exceeds the training rows",
        )
        batch = n_rows
    if multiple > batch:
        log.warning(
            "fit.pac_clamped",
            model=model,
            table=table,
            pac=multiple,
            batch_size=batch,
            reason="pac exceeds the batch size",
        )
        multiple = batch
    if batch % multiple:
        new = max(multiple, batch // multiple * multiple)
        log.warning(
            "fit.batch_rounded",
            model=model,
            table=table,
            batch_size=batch,
            pac=multiple,
            new_batch_size=new,
            reason="batch_size must be a multiple of pac",
        )
        batch = new
    return batch, multiple


def calibrate_logit_bias(
    sample_fn: Callable[[np.ndarray], np.ndarray],
    real: np.ndarray,
    output_info: Sequence[Any],
    *,
    iters: int = 3,
    limit: float = 8.0,
) -> np.ndarray:
    """Per-category logit offsets that make sampled one-hot marginals match ``real``'s.

    ``sample_fn(bias)`` must return encoded rows (hard one-hots) generated with ``bias`` added
    to the raw outputs, always from the same seed. Each round adds ``log(p_real / p_fake)`` to
    the one-hot positions (scalars keep 0), which corrects marginal frequencies of categories,
    null indicators and modes that a short or small training run leaves off. Returns the bias
    (float32, one entry per encoded column, within ``±limit``).
    """
    width = real.shape[1]
    bias = np.zeros(width, dtype=np.float32)
    mask = np.zeros(width, dtype=bool)
    for span in output_info:
        if span.activation == "softmax" and span.dim > 1:
            mask[int(span.start) : int(span.start) + int(span.dim)] = True
    if not mask.any() or len(real) == 0:
        return bias
    target = real[:, mask].mean(axis=0)
    for _ in range(iters):
        fake = sample_fn(bias)
        eps = 0.5 / max(len(fake), 1)
        freq = fake[:, mask].mean(axis=0)
        step = np.log(target + eps) - np.log(freq + eps)
        bias[mask] = np.clip(bias[mask] + step, -limit, limit)
    return bias


def adam(
    params: Any, *, lr: float, betas: tuple[float, float] = (0.9, 0.999), weight_decay: float = 0.0
) -> torch.optim.Adam:
    """Adam with the fused kernel where this torch build has one (CPU and CUDA), else default."""
    try:
        return torch.optim.Adam(params, lr=lr, betas=betas, weight_decay=weight_decay, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(params, lr=lr, betas=betas, weight_decay=weight_decay)
