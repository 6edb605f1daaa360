"""Mode-specific normalisation: a Bayesian GMM per continuous column, fitted on a subsample,
plus exact point masses.

A value that holds at least :data:`POINT_SHARE` of a column's rows (a zero in a spend column, a
default date), and every value of a column with at most :data:`MAX_POINTS` distinct values,
becomes an *exact* mode: it encodes as that mode with a zero scalar and decodes to exactly that
value, whatever scalar a network generates. The GMM is fitted on the remaining values only, so a
neural model no longer smears a 41% spike at zero into a bump of nearby values.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np

from synthohive.errors import ArtifactIntegrityError
from synthohive.transform.vbgmm import fit_dp_gmm

_CHUNK = 65_536
_BAND = 0.99  # |(x - mu) / (4 sigma)| kept inside this
POINT_SHARE = 0.05
"""A value holding at least this share of the present rows is an exact mode."""
MAX_POINTS = 20
"""Columns with at most this many distinct values are all exact modes (no GMM)."""


def _fit_sklearn(
    z: np.ndarray, k: int, max_iter: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import BayesianGaussianMixture

    gmm = BayesianGaussianMixture(
        n_components=k,
        weight_concentration_prior_type="dirichlet_process",
        weight_concentration_prior=1e-3,
        max_iter=max_iter,
        n_init=1,
        random_state=int(rng.integers(0, 2**31 - 1)),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gmm.fit(z.reshape(-1, 1))
    return (
        np.asarray(gmm.weights_, dtype=np.float64),
        np.asarray(gmm.means_, dtype=np.float64).reshape(-1),
        np.asarray(gmm.covariances_, dtype=np.float64).reshape(-1),
    )


def _covered(x: np.ndarray, means: np.ndarray, stds: np.ndarray) -> np.ndarray:
    """(n, k) whether each value lies inside each mode's band."""
    return np.abs(x[:, None] - means) <= 4 * _BAND * stds


def _rescue_uncovered(
    x: np.ndarray, means: np.ndarray, stds: np.ndarray, weights: np.ndarray, keep: np.ndarray
) -> np.ndarray:
    """Keep light modes that are the only home of some values (rare outliers), so those
    values are not clamped onto a heavy mode."""
    vals = np.unique(x)
    cover = _covered(vals, means, stds)
    orphan = ~cover[:, keep].any(axis=1)
    if not orphan.any():
        return keep
    home = cover[orphan]
    homed = home.any(axis=1)
    best = np.where(home[homed], weights, -1.0).argmax(axis=1)
    keep = keep.copy()
    keep[np.unique(best)] = True
    return keep


def _points(x: np.ndarray) -> np.ndarray:
    """The values of ``x`` that become exact modes, sorted (heaviest :data:`MAX_POINTS`)."""
    values, counts = np.unique(x, return_counts=True)
    if len(values) <= MAX_POINTS:
        return values
    heavy = np.flatnonzero(counts >= POINT_SHARE * len(x))
    heavy = heavy[np.argsort(-counts[heavy], kind="stable")][:MAX_POINTS]
    return np.sort(values[heavy])


def all_points(x: np.ndarray) -> bool:
    """Whether every value of ``x`` is a point mass (at most :data:`MAX_POINTS` distinct)."""
    return len(np.unique(x)) <= MAX_POINTS


class ModeModel:
    """Kept modes with encode/decode of scalar values: GMM modes (sorted by weight, heaviest
    first), then exact point masses (``exact`` is true for those; their ``means`` hold the
    values, their ``stds`` a tiny floor). ``weights`` are shares of all present rows."""

    def __init__(
        self,
        means: np.ndarray,
        stds: np.ndarray,
        weights: np.ndarray,
        exact: np.ndarray | None = None,
    ) -> None:
        self.means = np.asarray(means, dtype=np.float64)
        self.stds = np.asarray(stds, dtype=np.float64)
        self.weights = np.asarray(weights, dtype=np.float64)
        self.exact = (
            np.zeros(len(self.means), dtype=bool)
            if exact is None
            else np.asarray(exact, dtype=bool)
        )

    @property
    def n_modes(self) -> int:
        """Number of kept modes (width of the mode one-hot)."""
        return len(self.means)

    @classmethod
    def fit(
        cls,
        x: np.ndarray,
        *,
        max_modes: int,
        sample_rows: int,
        weight_threshold: float,
        seed: int,
        max_iter: int = 100,
        backend: Literal["fast", "sklearn"] = "fast",
    ) -> ModeModel:
        """Fit on the finite values ``x`` (at least two distinct values).

        Point masses are taken first (see the module); the GMM is fitted on the rest.
        ``backend="fast"`` uses :func:`~synthohive.transform.vbgmm.fit_dp_gmm` (the same
        variational DP mixture as scikit-learn's, on compressed data); ``"sklearn"`` runs
        ``BayesianGaussianMixture`` itself (slower, for comparison).
        """
        points = _points(x)
        rest = x[~np.isin(x, points)]
        if len(np.unique(rest)) == 1:  # a lone leftover value is a point mass too
            points = np.sort(np.append(points, rest[0]))
            rest = rest[:0]
        shares = np.array([np.mean(x == p) for p in points]) if len(points) else np.zeros(0)
        floor = max(float(np.std(x)) * 1e-9, np.finfo(np.float64).tiny)
        if len(rest) == 0:
            return cls(points, np.full(len(points), floor), shares, np.ones(len(points), bool))
        gmm = cls._fit_gmm(
            rest, (max_modes, sample_rows, weight_threshold, seed, max_iter, backend)
        )
        return cls(
            np.concatenate([gmm.means, points]),
            np.concatenate([gmm.stds, np.full(len(points), floor)]),
            np.concatenate([gmm.weights * (len(rest) / len(x)), shares]),
            np.concatenate([np.zeros(gmm.n_modes, bool), np.ones(len(points), bool)]),
        )

    @classmethod
    def _fit_gmm(
        cls, x: np.ndarray, settings: tuple[int, int, float, int, int, Literal["fast", "sklearn"]]
    ) -> ModeModel:
        """GMM modes of ``x`` (at least two distinct values); ``settings`` are ``fit``'s
        (max_modes, sample_rows, weight_threshold, seed, max_iter, backend)."""
        max_modes, sample_rows, weight_threshold, seed, max_iter, backend = settings
        rng = np.random.default_rng(seed)
        if len(x) > sample_rows:
            idx = rng.choice(len(x), size=sample_rows, replace=False)
            idx[:2] = [np.argmin(x), np.argmax(x)]  # the extremes always take part
            x = x[idx]
        center = float(np.mean(x))
        scale = float(np.std(x))
        if not np.isfinite(scale) or scale <= 0:
            scale = 1.0
        z = (x - center) / scale
        n_distinct = len(np.unique(z))
        k = int(max(1, min(max_modes, n_distinct)))
        if k == 1:
            return cls(np.array([center]), np.array([max(scale, 1e-12)]), np.array([1.0]))
        if backend == "sklearn":
            weights, gmm_means, gmm_vars = _fit_sklearn(z, k, max_iter, rng)
        else:
            weights, gmm_means, gmm_vars = fit_dp_gmm(z, k, max_iter=max_iter)
        means = center + scale * gmm_means
        stds = scale * np.sqrt(gmm_vars)
        keep = weights > weight_threshold
        if not keep.any():
            keep[np.argmax(weights)] = True
        keep = _rescue_uncovered(x, means, stds, weights, keep)
        order = np.argsort(-weights[keep], kind="stable")
        floor = max(scale * 1e-9, np.finfo(np.float64).tiny)
        return cls(
            means[keep][order],
            np.maximum(stds[keep][order], floor),
            weights[keep][order] / weights[keep].sum(),
        )

    def encode(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scaled value in [-0.99, 0.99] and mode index for each finite ``x``.

        A value equal to a point mass takes that exact mode (scalar 0). Otherwise the mode is
        the most probable GMM mode among those whose band holds ``x``; a value outside every
        band takes the most probable one and is clamped (without GMM modes: the nearest point).
        """
        n = len(x)
        value = np.zeros(n, dtype=np.float64)
        mode = np.empty(n, dtype=np.int64)
        gmm = np.flatnonzero(~self.exact)
        point = np.flatnonzero(self.exact)
        means, stds = self.means[gmm], self.stds[gmm]
        log_w = np.log(self.weights[gmm]) - np.log(stds)
        for lo in range(0, n, _CHUNK):
            xs = x[lo : lo + _CHUNK, None]
            rows = np.arange(len(xs))
            if len(gmm):
                z = (xs - means) / stds
                score = log_w - 0.5 * z * z
                outside = np.abs(z) > 4 * _BAND
                score = np.where(outside, score - 1e6, score)
                k = np.argmax(score, axis=1)
                mode[lo : lo + _CHUNK] = gmm[k]
                value[lo : lo + _CHUNK] = z[rows, k] / 4
            if len(point):
                dist = np.abs(xs - self.means[point])
                near = np.argmin(dist, axis=1)
                hit = dist[rows, near] == 0 if len(gmm) else np.ones(len(xs), dtype=bool)
                block = slice(lo, lo + len(xs))
                mode[block] = np.where(hit, point[near], mode[block])
                value[block] = np.where(hit, 0.0, value[block])
        np.clip(value, -_BAND, _BAND, out=value)
        return value, mode

    def decode(self, value: np.ndarray, mode: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`encode` (values clipped to [-1, 1] first)."""
        v = np.clip(np.asarray(value, dtype=np.float64), -1.0, 1.0)
        out = v * 4 * self.stds[mode] + self.means[mode]
        if self.exact.any():
            out = np.where(self.exact[mode], self.means[mode], out)
        return out

    def max_error(self) -> float:
        """Largest decoding error of an in-band value caused by the float32 matrix."""
        return float(4 * np.max(self.stds) * 2.0**-23)

    def to_state(self) -> dict[str, Any]:
        """JSON-safe state."""
        return {
            "means": self.means.tolist(),
            "stds": self.stds.tolist(),
            "weights": self.weights.tolist(),
            "exact": self.exact.tolist(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ModeModel:
        """Inverse of :meth:`to_state`."""
        exact = state.get("exact") if isinstance(state, dict) else None
        if exact is not None and (
            not isinstance(exact, list) or not all(isinstance(e, bool) for e in exact)
        ):
            raise ArtifactIntegrityError("malformed mode state: 'exact' must be a list of booleans")
        try:
            m = cls(
                np.array(state["means"], dtype=np.float64),
                np.array(state["stds"], dtype=np.float64),
                np.array(state["weights"], dtype=np.float64),
                None if exact is None else np.array(exact, dtype=bool),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactIntegrityError(f"malformed mode state: {exc}") from None
        sizes = {len(m.means), len(m.stds), len(m.weights), len(m.exact)}
        if len(sizes) != 1 or len(m.means) < 1 or np.any(m.stds <= 0):
            raise ArtifactIntegrityError("malformed mode state: inconsistent mode arrays")
        return m


QUANTILE_KNOTS = 1001
"""Grid points of a :class:`QuantileModel` (including the minimum and the maximum)."""
_Z_SCALE = 4.0  # normal scores / 4 lie in the tanh range


class QuantileModel:
    """Normal-score encoding of a continuous column: one scalar, ``Phi^-1(F(x)) / 4``.

    ``F`` is the column's empirical distribution on a grid of :data:`QUANTILE_KNOTS` quantiles
    taken from the data (grid values are data values, so a point mass is a flat run of equal
    knots and decodes exactly); tied values encode to the middle of their run. Decoding maps a
    generated scalar back through ``Phi`` and the quantile grid, so any generator output gives
    a value with the column's marginal, and a network only has to learn the dependence between
    columns on a Gaussian scale - what makes the copula strong. Same interface as
    :class:`ModeModel` (one mode, never exact).
    """

    def __init__(self, grid: np.ndarray) -> None:
        self.grid = np.asarray(grid, dtype=np.float64)
        self.levels = np.linspace(0.0, 1.0, len(self.grid))
        self.exact = np.zeros(1, dtype=bool)

    @property
    def n_modes(self) -> int:
        """One (constant) mode: the scalar carries everything."""
        return 1

    @classmethod
    def fit(cls, x: np.ndarray, *, sample_rows: int, seed: int) -> QuantileModel:
        """Quantile grid of the finite values ``x`` (a seeded subsample of ``sample_rows``)."""
        if len(x) > sample_rows:
            rng = np.random.default_rng(seed)
            idx = rng.choice(len(x), size=sample_rows, replace=False)
            idx[:2] = [np.argmin(x), np.argmax(x)]
            x = x[idx]
        knots = min(QUANTILE_KNOTS, max(2, len(x)))
        grid = np.quantile(x, np.linspace(0.0, 1.0, knots), method="inverted_cdf")
        return cls(grid)

    def encode(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scaled normal scores in [-0.99, 0.99] and mode 0."""
        from scipy.special import ndtri

        g, lv = self.grid, self.levels
        lo = np.searchsorted(g, x, side="left")
        hi = np.searchsorted(g, x, side="right")
        tie = hi > lo
        u = np.empty(len(x), dtype=np.float64)
        u[tie] = 0.5 * (lv[lo[tie]] + lv[hi[tie] - 1])
        j = np.clip(lo[~tie], 1, len(g) - 1)
        x0, x1 = g[j - 1], g[j]
        frac = np.clip((x[~tie] - x0) / np.where(x1 > x0, x1 - x0, 1.0), 0.0, 1.0)
        u[~tie] = lv[j - 1] + frac * (lv[j] - lv[j - 1])
        eps = 0.5 / (len(g) - 1)
        z = ndtri(np.clip(u, eps, 1.0 - eps)) / _Z_SCALE
        return np.clip(z, -_BAND, _BAND), np.zeros(len(x), dtype=np.int64)

    def decode(self, value: np.ndarray, mode: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`encode`: ``F^-1(Phi(4 v))`` on the grid."""
        from scipy.special import ndtr

        u = ndtr(np.clip(np.asarray(value, dtype=np.float64), -1.0, 1.0) * _Z_SCALE)
        return np.interp(u, self.levels, self.grid)

    def max_error(self) -> float:
        """Largest decoding error of an encoded training value (float32 matrix, interpolation)."""
        gaps = np.diff(self.grid)
        return float(np.max(gaps)) if len(gaps) else 0.0

    def to_state(self) -> dict[str, Any]:
        """JSON-safe state."""
        return {"kind": "quantile", "grid": self.grid.tolist()}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> QuantileModel:
        """Inverse of :meth:`to_state`."""
        try:
            grid = np.array(state["grid"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactIntegrityError(f"malformed quantile state: {exc}") from None
        if (
            grid.ndim != 1
            or len(grid) < 2
            or not np.all(np.isfinite(grid))
            or np.any(np.diff(grid) < 0)
        ):
            raise ArtifactIntegrityError("malformed quantile state: the grid must be sorted")
        return cls(grid)


def modes_from_state(state: dict[str, Any]) -> ModeModel | QuantileModel:
    """The mode or quantile model a codec state holds."""
    if isinstance(state, dict) and state.get("kind") == "quantile":
        return QuantileModel.from_state(state)
    return ModeModel.from_state(state)
