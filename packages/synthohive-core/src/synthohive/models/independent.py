"""The built-in ``independent`` model: every column drawn on its own from its learned marginal.

It is the Gaussian copula with the identity as correlation: the same per-column marginals
(:class:`~synthohive.models.marginals.ColumnModel`: exact dtypes, nulls, discrete values,
interpolated quantiles of numbers and dates, category frequencies) and the same file format,
but no dependence between columns and no context. It needs no minimum number of rows, which
is what the synthesizer's small-table strategy relies on: a 6-row table of employees cannot
teach a joint distribution, but it can give each column a plausible marginal.

Draws are stratified: ``n`` rows take one uniform from each of ``n`` equal slices of every
column's distribution (in random order), so a sample as large as the training table repeats
each discrete value, null share and count as often as the data had it, instead of whatever a
handful of independent draws happen to give (an 8-row table of sales reps keeps exactly three
reps with customers).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from synthohive.models.copula import GaussianCopulaModel


class IndependentModel(GaussianCopulaModel):
    """Columns sampled independently from their empirical marginals (no minimum rows)."""

    name = "independent"
    supports_context = False
    supports_sequences = False
    supports_conditions = True
    min_rows: ClassVar[int] = 1

    def _fit(
        self,
        data: pd.DataFrame,
        *,
        context: pd.DataFrame | None,
        progress: bool | None,
        seed: int,
    ) -> None:
        tname = self.table.name if self.table else None
        dp = self.params.dp
        if dp is not None:  # the whole budget on the marginals: no correlation to pay for
            from synthohive.privacy.dp import DPLedger, dp_reference, noisy_rows

            delta = dp.resolved_delta(len(data))
            ledger = DPLedger.for_budget(
                dp.epsilon, delta, np.random.default_rng(seed), thresholds=data.shape[1]
            )
            _, self.marginals = dp_reference(
                data, self.table, ledger, rows=1, public_bounds=dp.public_bounds
            )
            self.dp_ = {
                "mechanism": "gaussian (zCDP)",
                "accountant": "zcdp",
                "epsilon_target": dp.epsilon,
                **ledger.record(noisy_rows(self.marginals)),
            }
        else:
            self.marginals = self._fit_columns(data, self.table, tname)
        self.context_columns, self.context_marginals = [], []
        self.corr = np.eye(sum(m.n_dims for m in self.marginals))

    def _sample(
        self,
        n: int,
        *,
        context: pd.DataFrame | None,
        conditions: dict[str, Any] | None,
        seed: int,
    ) -> pd.DataFrame:
        if conditions:
            return super()._sample(n, context=None, conditions=conditions, seed=seed)
        rng = np.random.default_rng(seed)
        out: dict[int, pd.Series] = {}
        for i, m in enumerate(self.marginals):
            u = np.empty((n, m.n_dims))
            for d in range(m.n_dims):
                u[:, d] = (rng.permutation(n) + rng.random(n)) / n
            out[i] = m.decode(u, n)
        frame = pd.DataFrame(out, index=pd.RangeIndex(n))
        frame.columns = pd.Index(self.columns, dtype=object)
        return frame
