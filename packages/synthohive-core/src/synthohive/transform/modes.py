"""Mode-specific normalisation: a Bayesian GMM per continuous column, fitted on a subsample."""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np

from synthohive.errors import ArtifactIntegrityError
from synthohive.transform.vbgmm import fit_dp_gmm

_CHUNK = 65_536
_BAND = 0.99  # |(x - mu) / (4 sigma)| kept inside this


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


class ModeModel:
    """Kept GMM modes (sorted by weight, heaviest first) with encode/decode of scalar values."""

    def __init__(self, means: np.ndarray, stds: np.ndarray, weights: np.ndarray) -> None:
        self.means = np.asarray(means, dtype=np.float64)
        self.stds = np.asarray(stds, dtype=np.float64)
        self.weights = np.asarray(weights, dtype=np.float64)

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

        ``backend="fast"`` uses :func:`~synthohive.transform.vbgmm.fit_dp_gmm` (the same
        variational DP mixture as scikit-learn's, on compressed data); ``"sklearn"`` runs
        ``BayesianGaussianMixture`` itself (slower, for comparison).
        """
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

        The mode is the most probable one among those whose band holds ``x``; a value outside
        every band takes the most probable mode and is clamped.
        """
        n = len(x)
        value = np.empty(n, dtype=np.float64)
        mode = np.empty(n, dtype=np.int64)
        log_w = np.log(self.weights) - np.log(self.stds)
        for lo in range(0, n, _CHUNK):
            xs = x[lo : lo + _CHUNK, None]
            z = (xs - self.means) / self.stds
            score = log_w - 0.5 * z * z
            outside = np.abs(z) > 4 * _BAND
            score = np.where(outside, score - 1e6, score)
            k = np.argmax(score, axis=1)
            mode[lo : lo + _CHUNK] = k
            value[lo : lo + _CHUNK] = z[np.arange(len(k)), k] / 4
        np.clip(value, -_BAND, _BAND, out=value)
        return value, mode

    def decode(self, value: np.ndarray, mode: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`encode` (values clipped to [-1, 1] first)."""
        v = np.clip(np.asarray(value, dtype=np.float64), -1.0, 1.0)
        return v * 4 * self.stds[mode] + self.means[mode]

    def max_error(self) -> float:
        """Largest decoding error of an in-band value caused by the float32 matrix."""
        return float(4 * np.max(self.stds) * 2.0**-23)

    def to_state(self) -> dict[str, Any]:
        """JSON-safe state."""
        return {
            "means": self.means.tolist(),
            "stds": self.stds.tolist(),
            "weights": self.weights.tolist(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ModeModel:
        """Inverse of :meth:`to_state`."""
        try:
            m = cls(
                np.array(state["means"], dtype=np.float64),
                np.array(state["stds"], dtype=np.float64),
                np.array(state["weights"], dtype=np.float64),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactIntegrityError(f"malformed mode state: {exc}") from None
        if not (len(m.means) == len(m.stds) == len(m.weights) >= 1) or np.any(m.stds <= 0):
            raise ArtifactIntegrityError("malformed mode state: inconsistent mode arrays")
        return m
