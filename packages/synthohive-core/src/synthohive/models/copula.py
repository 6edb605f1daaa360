"""The built-in Gaussian copula model (numpy/scipy only): fast, seeded, context-aware.

Fit: every column (and every context column) is mapped to normal scores through its marginal
(:mod:`synthohive.models.marginals`); null indicators join as their own dimensions. The
correlation of all scores is estimated pairwise over rows where both are present (on a seeded
subsample of at most ``max_corr_rows``), corrected for the attenuation that discretised
dimensions cause (Hermite expansion of the interval scores), shrunk toward the identity and
projected to the nearest positive-definite correlation matrix (:mod:`synthohive.models.latent`).

Sample: draws from the Gaussian — conditional on each context row's scores when the model was
fitted with context (so child attributes depend on parent attributes), and with categorical
``conditions`` imposed as truncation of the matching dimensions (inverse-CDF draws, no rejection
loop). Scores go back through the marginals, which restore exact dtypes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field
from scipy.special import ndtr, ndtri

from synthohive.artifacts.api import ArtifactReader, ArtifactWriter
from synthohive.errors import ArtifactIntegrityError, DataError, UnknownConditionValueError
from synthohive.log import get_logger
from synthohive.metadata.schema import Table
from synthohive.models.base import Between, GenerativeModel, ModelParams
from synthohive.models.latent import (
    HERMITE_ORDER,
    draw_gaussian,
    hermite_coefficients,
    latent_correlation,
    nearest_correlation,
    pairwise_correlation,
)
from synthohive.models.marginals import ColumnModel
from synthohive.privacy.dp import DPConfig, DPLedger, noisy_rows

log = get_logger(__name__)

STATE_VERSION = 1


class GaussianCopulaParams(ModelParams):
    """Hyper-parameters of :class:`GaussianCopulaModel`."""

    shrinkage: float = Field(0.01, ge=0.0, le=1.0, description="weight of the identity in corr")
    max_knots: int = Field(1001, ge=16, le=100_000, description="quantiles kept per numeric column")
    discrete_threshold: int = Field(
        64,
        ge=1,
        le=10_000,
        description="numeric columns with at most this many values are discrete",
    )
    max_bad_dates: float = Field(
        0.05, ge=0.0, le=1.0, description="tolerated share of unparseable datetime strings"
    )
    max_corr_rows: int = Field(
        250_000, ge=1_000, description="rows (seeded subsample) used to estimate correlations"
    )
    dp: DPConfig | None = Field(
        None, description="fit under (epsilon, delta)-differential privacy (opt-in)"
    )


class GaussianCopulaModel(GenerativeModel):
    """Gaussian copula over per-column marginals; supports context and categorical conditions."""

    name = "gaussian_copula"
    supports_context = True
    supports_conditions = True
    supports_range_conditions = True
    supports_sequences = True
    supports_dp = True
    Params = GaussianCopulaParams
    params: GaussianCopulaParams

    def _init_state(self) -> None:
        self.marginals: list[ColumnModel] = []
        self.context_marginals: list[ColumnModel] = []
        self.context_columns: list[Any] = []
        self.corr = np.zeros((0, 0))

    # ------------------------------------------------------------------------------------------
    def _fit_columns(
        self, frame: pd.DataFrame, table: Table | None, tname: str | None
    ) -> list[ColumnModel]:
        p = self.params
        out = []
        for i, label in enumerate(frame.columns):
            col = table.columns.get(str(label)) if table is not None else None
            out.append(
                ColumnModel.fit(
                    frame.iloc[:, i],
                    col,
                    table=tname,
                    discrete_threshold=p.discrete_threshold,
                    max_knots=p.max_knots,
                    max_bad_dates=p.max_bad_dates,
                )
            )
        return out

    @staticmethod
    def _encode(
        frame: pd.DataFrame, marginals: list[ColumnModel], rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        parts = [m.encode(frame.iloc[:, i], rng) for i, m in enumerate(marginals)]
        n = len(frame)
        if not parts:
            return np.zeros((n, 0)), np.zeros((n, 0), dtype=bool)
        return np.hstack([p[0] for p in parts]), np.hstack([p[1] for p in parts])

    def _fit(
        self,
        data: pd.DataFrame,
        *,
        context: pd.DataFrame | None,
        progress: bool | None,
        seed: int,
    ) -> None:
        rng = np.random.default_rng(seed)
        tname = self.table.name if self.table else None
        if self.params.dp is not None:
            self._fit_dp(data, context, self.params.dp, rng, tname)
            return
        self.marginals = self._fit_columns(data, self.table, tname)
        ctx: pd.DataFrame | None = None
        self.context_columns, self.context_marginals = [], []
        if context is not None:
            known = self.context_table.columns if self.context_table is not None else None
            ctx = context.loc[:, [known is None or str(c) in known for c in context.columns]]
            self.context_columns = list(ctx.columns)
            self.context_marginals = self._fit_columns(ctx, self.context_table, tname)
        if len(data) > self.params.max_corr_rows:  # marginals saw every row; scores need fewer
            keep = np.sort(rng.choice(len(data), self.params.max_corr_rows, replace=False))
            data = data.iloc[keep]
            ctx = ctx.iloc[keep] if ctx is not None else None
        if ctx is not None:
            zc, pc = self._encode(ctx, self.context_marginals, rng)
        else:
            zc, pc = np.zeros((len(data), 0)), np.zeros((len(data), 0), dtype=bool)
        zd, pd_ = self._encode(data, self.marginals, rng)
        z = np.hstack([zc, zd])
        present = np.hstack([pc, pd_])
        observed = pairwise_correlation(z, present)
        bins = [b for m in [*self.context_marginals, *self.marginals] for b in m.dim_bins()]
        # no latent dimension at all when every column is constant or all-null
        coeffs = np.array([hermite_coefficients(b) for b in bins]).reshape(len(bins), HERMITE_ORDER)
        self.corr = nearest_correlation(latent_correlation(observed, coeffs), self.params.shrinkage)

    def _fit_dp(
        self,
        data: pd.DataFrame,
        context: pd.DataFrame | None,
        dp: DPConfig,
        rng: np.random.Generator,
        tname: str | None,
    ) -> None:
        """Differentially private fit: marginals from noisy histograms (half the budget), the
        correlation from the noisy sum of clipped normal scores (the other half; sensitivity
        ``d * clip**2`` for ``d`` latent dimensions), projected to a correlation matrix."""
        if context is not None:
            raise DataError(
                "differential privacy is not available for tables fitted with parent context",
                table=tname,
                fix="fit the table on its own (no context), or drop dp",
            )
        delta = dp.resolved_delta(len(data))
        ledger = DPLedger.for_budget(dp.epsilon, delta, rng, thresholds=data.shape[1])
        share = 0.5 if data.shape[1] > 1 else 1.0
        rho_col = ledger.rho * share / max(data.shape[1], 1)
        self.marginals = []
        for i, label in enumerate(data.columns):
            col = self.table.columns.get(str(label)) if self.table is not None else None
            self.marginals.append(
                ColumnModel.fit_dp(
                    data.iloc[:, i],
                    col,
                    table=tname,
                    ledger=ledger,
                    rho=rho_col,
                    public_bounds=dp.public_bounds,
                )
            )
        self.context_columns, self.context_marginals = [], []
        z, _ = self._encode(data, self.marginals, rng)
        d = z.shape[1]
        if d > 1 and share < 1.0:
            c = dp.clip_score
            z = np.clip(z, -c, c)
            sigma = ledger.sigma(
                "correlation", ledger.rho - ledger.rho_spent, sensitivity=d * c * c
            )
            noise = np.triu(ledger.rng.normal(0.0, sigma, (d, d)))
            s = z.T @ z + noise + np.triu(noise, 1).T
            scale = np.sqrt(np.clip(np.diag(s), 1e-9 * len(z) + 1.0, None))
            observed = np.clip(s / np.outer(scale, scale), -1.0, 1.0)
            np.fill_diagonal(observed, 1.0)
            bins = [b for m in self.marginals for b in m.dim_bins()]
            coeffs = np.array([hermite_coefficients(b) for b in bins]).reshape(
                len(bins), HERMITE_ORDER
            )
            corr = latent_correlation(observed, coeffs)
        else:
            corr = np.eye(d)
        self.corr = nearest_correlation(corr, self.params.shrinkage)
        self.dp_ = {
            "mechanism": "gaussian (zCDP)",
            "accountant": "zcdp",
            "epsilon_target": dp.epsilon,
            **ledger.record(noisy_rows(self.marginals)),
        }

    # ------------------------------------------------------------------------------------------
    def _bounds(self, conditions: dict[str, Any] | None) -> list[tuple[int, float, float]]:
        if not conditions:
            return []
        offsets = np.cumsum([0] + [m.n_dims for m in self.marginals])
        bounds: list[tuple[int, float, float]] = []
        tname = self.table.name if self.table else None
        for label, value in conditions.items():
            i = self.columns.index(label)
            m = self.marginals[i]
            if isinstance(value, Between):
                span = m.range_interval(value.low, value.high)
                if span is None:
                    learned = [m.spec.get("lo"), m.spec.get("hi")]
                    if m.spec["domain"] in ("datetime", "datestr"):
                        learned = [None if x is None else str(pd.Timestamp(x)) for x in learned]
                    raise UnknownConditionValueError(
                        f"no value the model learned lies in [{value.low}, {value.high}] "
                        f"(learned from {learned[0]} to {learned[1]})",
                        table=tname,
                        column=str(label),
                        fix="use a range that overlaps the column's values (numbers or dates)",
                    )
                for dim, lo, hi in span:
                    bounds.append((int(offsets[i]) + dim, float(ndtri(lo)), float(ndtri(hi))))
                continue
            if m.spec["marginal"] == "continuous" or m.spec["domain"] not in ("category", "number"):
                raise DataError(
                    "conditions apply to categorical, boolean and discrete columns only",
                    table=tname,
                    column=str(label),
                    fix="condition on a categorical column, or filter the sampled rows",
                )
            found = m.condition_interval(value)
            if found is None:
                raise UnknownConditionValueError(
                    f"value {value!r} was never seen; valid values: {m.valid_values()}",
                    table=tname,
                    column=str(label),
                    fix="use one of the listed values",
                )
            for dim, lo, hi in found:
                bounds.append((int(offsets[i]) + dim, float(ndtri(lo)), float(ndtri(hi))))
        return bounds

    def _sample(
        self,
        n: int,
        *,
        context: pd.DataFrame | None,
        conditions: dict[str, Any] | None,
        seed: int,
    ) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        bounds = self._bounds(conditions)
        dc = sum(m.n_dims for m in self.context_marginals)
        cov = self.corr
        if dc and context is not None:
            zc, _ = self._encode(context[self.context_columns], self.context_marginals, rng)
            s_cc, s_cd, s_dd = cov[:dc, :dc], cov[:dc, dc:], cov[dc:, dc:]
            w = np.linalg.solve(s_cc, s_cd)
            mean: np.ndarray | None = zc @ w
            cov = s_dd - s_cd.T @ w
        else:
            cov = cov[dc:, dc:]
            mean = None
        z = draw_gaussian(n, mean, cov, bounds, rng)
        u = ndtr(z)
        out: dict[int, pd.Series] = {}
        start = 0
        for i, m in enumerate(self.marginals):
            out[i] = m.decode(u[:, start : start + m.n_dims], n)
            start += m.n_dims
        frame = pd.DataFrame(out)
        frame.columns = pd.Index(self.columns, dtype=object)
        return frame

    # ------------------------------------------------------------------------------------------
    def _save(self, writer: ArtifactWriter) -> None:
        writer.write_json(
            "copula",
            {
                "version": STATE_VERSION,
                "n_columns": len(self.marginals),
                "n_context": len(self.context_marginals),
                "context_columns": [str(c) for c in self.context_columns],
                "context_column_types": [type(c).__name__ for c in self.context_columns],
            },
        )
        for i, m in enumerate(self.marginals):
            m.save(writer, f"col{i}")
        for i, m in enumerate(self.context_marginals):
            m.save(writer, f"ctx{i}")
        writer.write_array("corr", self.corr)

    def _load(self, reader: ArtifactReader) -> None:
        head = reader.read_json("copula")
        try:
            if head["version"] != STATE_VERSION:
                raise ArtifactIntegrityError(f"copula state version {head['version']!r}")
            n_cols, n_ctx = int(head["n_columns"]), int(head["n_context"])
            ctx_cols = [
                int(c) if t == "int" else c
                for c, t in zip(head["context_columns"], head["context_column_types"], strict=True)
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactIntegrityError(f"copula state header is malformed: {exc}") from None
        if n_cols != len(self.columns) or n_ctx != len(ctx_cols) or n_cols > 100_000:
            raise ArtifactIntegrityError("copula state does not match the model's columns")
        self.marginals = [ColumnModel.load(reader, f"col{i}") for i in range(n_cols)]
        self.context_marginals = [ColumnModel.load(reader, f"ctx{i}") for i in range(n_ctx)]
        self.context_columns = ctx_cols
        for m, label in zip(self.marginals, self.columns, strict=True):
            if m.spec.get("name") != str(label):
                raise ArtifactIntegrityError(f"column state order does not match at {label!r}")
        corr = reader.read_array("corr")
        d = sum(m.n_dims for m in self.marginals) + sum(m.n_dims for m in self.context_marginals)
        if corr.shape != (d, d) or corr.dtype.kind != "f":
            raise ArtifactIntegrityError(f"correlation matrix has shape {corr.shape}, expected {d}")
        if d:
            if not np.all(np.isfinite(corr)) or not np.allclose(corr, corr.T, atol=1e-9):
                raise ArtifactIntegrityError("correlation matrix is not finite and symmetric")
            if not np.allclose(np.diag(corr), 1.0, atol=1e-6) or np.abs(corr).max() > 1 + 1e-9:
                raise ArtifactIntegrityError("correlation matrix is not a correlation matrix")
            if np.linalg.eigvalsh(corr).min() < -1e-8:
                raise ArtifactIntegrityError("correlation matrix is not positive semi-definite")
        self.corr = corr.astype("float64")
