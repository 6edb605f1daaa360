"""The built-in Gaussian copula model (numpy/scipy only): fast, seeded, context-aware.

Fit: every column (and every context column) is mapped to normal scores through its marginal
(:mod:`synthohive.models.marginals`); null indicators join as their own dimensions. The
correlation of all scores is estimated pairwise over rows where both are present (on a seeded
subsample of at most ``max_corr_rows``), corrected for the attenuation that discretised
dimensions cause (Hermite expansion of the interval scores), shrunk toward the identity and
projected to the nearest positive-definite correlation matrix.

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
from synthohive.models.marginals import ColumnModel
from synthohive.privacy.dp import DPConfig, DPLedger, noisy_rows

log = get_logger(__name__)

STATE_VERSION = 1
_ORDER = 12  # Hermite terms kept per dimension


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


def nearest_correlation(c: np.ndarray, shrinkage: float, floor: float = 1e-6) -> np.ndarray:
    """Symmetric, unit-diagonal, positive-definite version of ``c`` (shrunk toward I)."""
    d = len(c)
    if d == 0:
        return np.zeros((0, 0))
    c = np.nan_to_num((c + c.T) / 2.0)
    c = (1.0 - shrinkage) * c + shrinkage * np.eye(d)
    np.fill_diagonal(c, 1.0)
    w, v = np.linalg.eigh(c)
    if w.min() < floor:
        c = (v * np.maximum(w, floor)) @ v.T
        s = np.sqrt(np.diag(c))
        c = c / np.outer(s, s)
        c = (c + c.T) / 2.0
        np.fill_diagonal(c, 1.0)
    return c


def pairwise_correlation(z: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Correlation of normal scores over rows where both dimensions are present."""
    zz = np.where(present, z, 0.0)
    s = zz.T @ zz
    if present.all():
        sq = np.diag(s)[:, None] * np.ones((1, len(s)))
        counts = np.full(s.shape, float(len(z)))
    else:
        pf = present.astype("float32")
        counts = (pf.T @ pf).astype("float64")
        sq = ((zz * zz).astype("float32").T @ pf).astype("float64")  # z_i^2 where j present
    with np.errstate(invalid="ignore", divide="ignore"):
        c = s / np.sqrt(sq * sq.T)
    c[counts < 3] = 0.0
    return np.nan_to_num(c)


def hermite_coefficients(cum: np.ndarray | None, order: int = _ORDER) -> np.ndarray:
    """Hermite coefficients ``a_k = E[S He_k(Z)] / sqrt(k!)``, k = 1..order, of a dimension's
    score ``S``: ``Z`` itself when continuous, else the bin mean of ``Z`` over the intervals
    ``cum`` (the jittered score has that conditional mean)."""
    a = np.zeros(order)
    if cum is None:
        a[0] = 1.0
        return a
    edges = ndtri(np.clip(cum, 0.0, 1.0))  # -inf ... +inf
    p = np.diff(cum)
    phi = np.exp(-0.5 * np.where(np.isfinite(edges), edges, 0.0) ** 2) / np.sqrt(2 * np.pi)
    phi = np.where(np.isfinite(edges), phi, 0.0)
    x = np.where(np.isfinite(edges), edges, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.where(p > 0, (phi[:-1] - phi[1:]) / p, 0.0)
    he_prev, he = np.zeros_like(x), np.ones_like(x)  # He_{-1}, He_0
    fact = 1.0
    for k in range(1, order + 1):
        # E[He_k(Z) 1{lo<Z<hi}] = phi(lo) He_{k-1}(lo) - phi(hi) He_{k-1}(hi)
        g = phi * he
        a[k - 1] = float(np.sum(m * (g[:-1] - g[1:]))) / np.sqrt(fact * k)
        fact *= k
        he_prev, he = he, x * he - (k - 1) * he_prev
    return a


def latent_correlation(observed: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """Invert ``r = sum_k a_ik a_jk rho^k`` per pair, undoing the attenuation that discretised
    dimensions (categories, null indicators) put on observed score correlations.

    Pairs with a continuous dimension (``a = (1, 0, ...)``) have the closed form
    ``rho = r / a_1``; pairs of two discretised dimensions are solved by bisection.
    """
    d = len(observed)
    if d == 0:
        return observed
    cont = (np.abs(coeffs[:, 0] - 1.0) < 1e-12) & ~np.any(coeffs[:, 1:] != 0, axis=1)
    a1 = np.where(np.abs(coeffs[:, 0]) > 1e-6, coeffs[:, 0], 1.0)
    rho = observed / np.outer(a1, a1)  # exact when at least one side is continuous
    rho = np.where(np.outer(cont, cont), observed, rho)
    disc = np.flatnonzero(~cont)
    if len(disc):
        a = coeffs[disc]
        target = observed[np.ix_(disc, disc)]
        lo, hi = np.full(target.shape, -0.999), np.full(target.shape, 0.999)
        for _ in range(40):
            mid = (lo + hi) / 2.0
            f = np.zeros_like(mid)
            for k in range(a.shape[1] - 1, -1, -1):  # Horner: sum_k c_k mid^(k+1)
                f = (f + np.outer(a[:, k], a[:, k])) * mid
            below = f < target
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        rho[np.ix_(disc, disc)] = (lo + hi) / 2.0
    rho = np.clip(rho, -0.999, 0.999)
    np.fill_diagonal(rho, 1.0)
    return rho


def truncated_normal(
    mean: np.ndarray | float, sd: float, lo: float, hi: float, u: np.ndarray
) -> np.ndarray:
    """Inverse-CDF draws from N(mean, sd²) truncated to [lo, hi] (vectorised, tail-safe)."""
    a = (lo - np.asarray(mean)) / sd
    b = (hi - np.asarray(mean)) / sd
    flip = a > 0  # work in the lower tail, where ndtr keeps precision
    a2 = np.where(flip, -b, a)
    b2 = np.where(flip, -a, b)
    pa, pb = ndtr(a2), ndtr(b2)
    x = ndtri(np.clip(pa + u * (pb - pa), 1e-300, 1 - 1e-16))
    x = np.clip(np.where(flip, -x, x), a, b)
    x = np.where(np.isfinite(x), x, np.where(np.isfinite(a), a, b))
    return mean + sd * x


def draw_gaussian(
    n: int,
    mean: np.ndarray | None,
    cov: np.ndarray,
    bounds: list[tuple[int, float, float]],
    rng: np.random.Generator,
) -> np.ndarray:
    """``n`` rows from N(mean_row, cov) (mean 0 when ``None``) with dimensions in ``bounds``
    truncated to [lo, hi].

    Bounded dimensions are drawn one after another from their conditional given the ones before
    (exact for one bound, a close approximation for several), then the rest jointly.
    """
    d = len(cov)
    if not bounds:
        chol = np.linalg.cholesky((cov + cov.T) / 2.0 + 1e-9 * np.eye(d))
        out = rng.standard_normal((n, d)) @ chol.T
        if mean is not None:
            out += mean
        return out
    if mean is None:
        mean = np.zeros((n, d))
    z = np.zeros((n, d))
    fixed: list[int] = []
    for j, lo, hi in bounds:
        if fixed:
            s_ff = cov[np.ix_(fixed, fixed)]
            s_fj = cov[fixed, j]
            w = np.linalg.solve(s_ff, s_fj)
            m = mean[:, j] + (z[:, fixed] - mean[:, fixed]) @ w
            v = cov[j, j] - s_fj @ w
        else:
            m, v = mean[:, j], cov[j, j]
        uniform = np.asarray(rng.random(n), dtype="float64")
        z[:, j] = truncated_normal(m, float(np.sqrt(max(v, 1e-12))), lo, hi, uniform)
        fixed.append(j)
    rest = [j for j in range(d) if j not in fixed]
    if not rest:
        return z
    s_ff = cov[np.ix_(fixed, fixed)]
    s_fr = cov[np.ix_(fixed, rest)]
    w = np.linalg.solve(s_ff, s_fr)
    m = mean[:, rest] + (z[:, fixed] - mean[:, fixed]) @ w
    c = cov[np.ix_(rest, rest)] - s_fr.T @ w
    chol = np.linalg.cholesky((c + c.T) / 2.0 + 1e-9 * np.eye(len(rest)))
    z[:, rest] = m + rng.standard_normal((n, len(rest))) @ chol.T
    return z


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

    def __init__(
        self,
        params: ModelParams | dict[str, Any] | None = None,
        *,
        device: str = "auto",
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(params, device=device, seed=seed, **kwargs)
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
        coeffs = np.array([hermite_coefficients(b) for b in bins]).reshape(len(bins), _ORDER)
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
            coeffs = np.array([hermite_coefficients(b) for b in bins]).reshape(len(bins), _ORDER)
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
