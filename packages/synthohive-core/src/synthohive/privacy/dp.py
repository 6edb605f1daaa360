"""Differential privacy: the budget, its ledger and the noisy statistics every DP model uses.

A model fitted with ``dp=DPConfig(epsilon=...)`` reads the real rows only through the
mechanisms here (and, for the torch models, through DP-SGD in :mod:`synthohive.nn.dp`):

* **What is protected.** One row of the table (add/remove neighbours). The metadata - column
  names, sdtypes, datetime formats, ``min``/``max`` set on a column, keys - is treated as
  public schema, as in every DP synthesizer; set ``Column.min``/``max`` to save the budget a
  range search costs.
* **Statistics.** Each is a Gaussian mechanism (L2 sensitivity 1: one row moves one count by
  one) accounted in zero-concentrated DP (zCDP, Bun & Steinke 2016), where composition is a sum
  of ``rho``. The statistics' share ``(eps_s, delta_s)`` of the budget becomes
  ``rho = (sqrt(ln(1/d) + eps_s) - sqrt(ln(1/d)))**2`` with ``d = delta_s / 2``; the other half
  of ``delta_s`` pays for category discovery: a category is released only when its noisy count
  clears a threshold that a single row passes with probability at most its share of ``d``,
  so a category seen in one row never appears.
* **Numbers and dates**: a noisy histogram on a fixed log-scale grid finds the range (skipped
  when the column sets ``min`` and ``max``), a noisy histogram on an even grid inside it gives
  the quantile function; a third noisy histogram picks decimals (numbers) or the time step
  (dates). Integers with a narrow range get one noisy count per value.
* **Totals**: row and null counts come from the same histograms (no extra query).

:class:`DPLedger` records every query with its ``rho``; the model file keeps the record
(``epsilon_spent``, ``delta``, the accountant and what was accounted), and loading never
changes it. DP-SGD's share is accounted by opacus (``rdp`` or ``prv``) and composed with the
statistics' share by adding epsilons and deltas (basic composition).

The per-column summaries are in :mod:`synthohive.privacy.dp_columns`; this module holds the
budget, the ledger and the reference sample drawn from the summaries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from scipy.special import ndtri

from synthohive.errors import PrivacyBudgetError
from synthohive.log import get_logger

log = get_logger(__name__)


class DPConfig(BaseModel):
    """An explicit ``(epsilon, delta)`` differential-privacy budget for one table's model.

    ``delta`` defaults to ``1 / n**1.1`` for ``n`` training rows (below ``1/n``, as it must
    be). ``statistics_share`` is the part of the budget the torch models spend on the
    transformer's statistics (category lists, quantiles); the rest goes to DP-SGD, clipped at
    ``max_grad_norm`` per row and accounted by opacus's ``accountant``. The copula spends the
    whole budget on statistics: half on the marginals, half on the correlation matrix.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    epsilon: float = Field(gt=0, le=100, description="privacy loss bound (smaller: more private)")
    delta: float | None = Field(None, gt=0, lt=0.01, description="failure probability")
    max_grad_norm: float = Field(1.0, gt=0, description="per-row gradient clip (DP-SGD)")
    accountant: Literal["rdp", "prv"] = Field("rdp", description="opacus accountant")
    statistics_share: float = Field(
        0.2, gt=0, lt=1, description="share of epsilon for statistics (torch models)"
    )
    clip_score: float = Field(2.5, gt=0, le=6, description="normal-score clip (DP copula)")
    public_bounds: bool = Field(
        False,
        description="trust Column.min/max/rounding as public (set by you, not detected from data)",
    )

    def resolved_delta(self, n_rows: int) -> float:
        """``delta``, or ``1 / n**1.1`` when unset."""
        if self.delta is not None:
            return float(self.delta)
        return float(1.0 / max(n_rows, 10) ** 1.1)


def rho_for(epsilon: float, delta: float) -> float:
    """The zCDP ``rho`` whose conversion to ``(eps, delta)``-DP gives ``epsilon``."""
    log_d = math.log(1.0 / delta)
    return (math.sqrt(log_d + epsilon) - math.sqrt(log_d)) ** 2


def epsilon_for(rho: float, delta: float) -> float:
    """``(eps, delta)``-DP of a ``rho``-zCDP mechanism: ``rho + 2 sqrt(rho ln(1/delta))``."""
    return rho + 2.0 * math.sqrt(rho * math.log(1.0 / delta)) if rho > 0 else 0.0


@dataclass
class DPLedger:
    """The statistics' budget in zCDP and the record of what spent it.

    ``rho`` is the total; :meth:`sigma` hands a query its Gaussian noise scale and books its
    ``rho``. ``threshold_delta`` pays for category discovery (see :meth:`threshold`).
    """

    rho: float
    delta: float
    threshold_delta: float
    rng: np.random.Generator
    spent: list[tuple[str, float]] = field(default_factory=list)
    thresholds: int = 0
    unreleased: list[str] = field(default_factory=list)
    """Columns the noise left nothing of (generated as nulls)."""

    @classmethod
    def for_budget(
        cls, epsilon: float, delta: float, rng: np.random.Generator, *, thresholds: int
    ) -> DPLedger:
        """A ledger for ``(epsilon, delta)``: half of ``delta`` converts zCDP, half pays for
        ``thresholds`` category discoveries."""
        return cls(
            rho=rho_for(epsilon, delta / 2.0),
            delta=delta / 2.0,
            threshold_delta=delta / 2.0 / max(thresholds, 1),
            rng=rng,
            thresholds=thresholds,
        )

    @property
    def rho_spent(self) -> float:
        return float(sum(r for _, r in self.spent))

    def sigma(self, what: str, rho: float, sensitivity: float = 1.0) -> float:
        """Book ``rho`` for query ``what``; returns the Gaussian noise scale for an L2
        ``sensitivity``."""
        if rho <= 0:
            raise PrivacyBudgetError(f"differential privacy: no budget left for {what}")
        self.spent.append((what, float(rho)))
        return float(sensitivity / math.sqrt(2.0 * rho))

    def noisy(self, counts: np.ndarray, sigma: float) -> np.ndarray:
        """``counts`` plus Gaussian noise of scale ``sigma``."""
        return np.asarray(counts, dtype=np.float64) + self.rng.normal(0.0, sigma, np.shape(counts))

    def threshold(self, sigma: float) -> float:
        """Noisy count a discovered category must exceed: a count of one passes it with
        probability at most ``threshold_delta``."""
        return 1.0 + sigma * float(ndtri(1.0 - self.threshold_delta))

    def epsilon_spent(self) -> float:
        """``(eps, delta)`` of everything booked so far."""
        return epsilon_for(self.rho_spent, self.delta)

    def record(self, rows: float | None = None) -> dict[str, Any]:
        """JSON record of the spend: epsilon, delta, zCDP rho and each query's share, and
        ``rows``, the noisy row count (the default size of a sample)."""
        return {
            **({"rows": round(rows)} if rows is not None else {}),
            "epsilon": round(self.epsilon_spent(), 6),
            "delta": self.delta + (self.threshold_delta * self.thresholds),
            "rho": round(self.rho_spent, 8),
            "queries": [{"what": w, "rho": round(r, 8)} for w, r in self.spent],
            **({"unreleased": list(self.unreleased)} if self.unreleased else {}),
        }


# --- a reference sample from per-column summaries ------------------------------------------
def dp_reference(
    data: pd.DataFrame,
    table: Any,
    ledger: DPLedger,
    *,
    rows: int,
    public_bounds: bool,
) -> tuple[pd.DataFrame, list[Any]]:
    """Spend the whole ledger on per-column noisy marginals (equal shares) and draw ``rows``
    independent rows from them: a *reference sample* with the columns and dtypes of ``data``
    that anything may be fitted on (transformers, samplers, calibration) at no further
    privacy cost. Returns the sample and the per-column marginals
    (:class:`~synthohive.models.marginals.ColumnModel`)."""
    from synthohive.models.marginals import ColumnModel

    rho_col = ledger.rho / max(data.shape[1], 1)
    tname = getattr(table, "name", None)
    marginals = []
    for i, label in enumerate(data.columns):
        col = table.columns.get(str(label)) if table is not None else None
        marginals.append(
            ColumnModel.fit_dp(
                data.iloc[:, i],
                col,
                table=tname,
                ledger=ledger,
                rho=rho_col,
                public_bounds=public_bounds,
            )
        )
    out = {}
    for i, m in enumerate(marginals):
        out[i] = m.decode(ledger.rng.random((rows, m.n_dims)), rows)
    frame = pd.DataFrame(out)
    frame.columns = data.columns
    return frame, marginals


def noisy_rows(marginals: list[Any]) -> float:
    """The row count the marginals' noisy totals agree on (their median)."""
    return float(np.median([m.spec["n_fit"] for m in marginals])) if marginals else 0.0


def coarsen(
    data: pd.DataFrame, reference: pd.DataFrame, marginals: list[Any], rng: np.random.Generator
) -> pd.DataFrame:
    """``data`` with every category the reference sample lacks replaced by one of the
    reference's values (drawn from it), and nulls likewise where the reference has none, so
    the rows encode with a transformer fitted on the reference. Per row, this depends only on
    the row and on released statistics: DP-SGD on the result keeps its guarantee."""
    out = data.copy()
    for i in range(data.shape[1]):
        s, ref = data.iloc[:, i], reference.iloc[:, i]
        categorical = marginals[i].spec["domain"] == "category"
        nulls = s.isna().to_numpy()
        ref_present = ref[ref.notna()]
        if not len(ref_present):
            continue
        bad = nulls & (not bool(ref.isna().any()))
        if categorical:
            released = pd.Index(ref_present.astype(object).unique(), dtype=object)
            bad |= ~nulls & (released.get_indexer(s.astype(object)) < 0)
        if bad.any():
            col = s.astype(object) if categorical else s.copy()
            idx = np.flatnonzero(bad)
            pool = ref_present.to_numpy(dtype=object) if categorical else ref_present.to_numpy()
            donors = pool[rng.integers(0, len(ref_present), len(idx))]
            col.iloc[idx] = donors
            keep_dtype = not categorical or isinstance(s.dtype, pd.CategoricalDtype)
            out.isetitem(i, (col.astype(s.dtype) if keep_dtype else col).array)
    return out
