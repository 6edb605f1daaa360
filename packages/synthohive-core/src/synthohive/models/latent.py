"""The copula's latent Gaussian: the correlation of normal scores (pairwise over present rows,
corrected for the attenuation of discretised dimensions by a Hermite expansion, shrunk and made
positive definite) and draws from it, conditional on fixed dimensions and truncated to intervals."""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri

HERMITE_ORDER = 12
"""Hermite terms kept per dimension."""


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


def hermite_coefficients(cum: np.ndarray | None, order: int = HERMITE_ORDER) -> np.ndarray:
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
