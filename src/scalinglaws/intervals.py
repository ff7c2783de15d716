"""Bootstrap intervals over replicate draws: equal-tailed percentile and BCa.

Every band in the package (parameter intervals, prediction bands, compute for a target, isoflop
frontiers, capex plans) is a :func:`percentile_interval` over axis 0 of its draws, so that one
rule decides how NaN (a replicate left out) and an empty set of draws are treated.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["DEFAULT_LEVEL", "percentile_interval", "bca_interval"]

DEFAULT_LEVEL = 0.9
"""The one default coverage of a band or interval, everywhere a ``level`` can be left out: a
central 90% interval (what planners budget against; pass ``level=0.95`` for the 95% intervals
papers usually report)."""


def percentile_interval(draws: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed percentile interval over axis 0 (NaN draws ignored; all-NaN gives NaN)."""
    a = (1.0 - level) / 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column is an answer here
        return np.nanquantile(draws, a, axis=0), np.nanquantile(draws, 1.0 - a, axis=0)


def bca_interval(draws: np.ndarray, estimate: np.ndarray, jackknife: np.ndarray, level: float):
    """Bias-corrected and accelerated interval (Efron 1987; Efron & Tibshirani 1993, ch. 14).

    ``z0 = Phi^-1(P*(theta* < theta_hat))`` corrects median bias, and the acceleration
    ``a = sum (m - t_i)^3 / (6 (sum (m - t_i)^2)^1.5)`` from the jackknife values ``t_i`` (mean
    ``m``) corrects for the standard error changing with the parameter. The endpoints are the
    draws' quantiles at ``Phi(z0 + (z0 + z) / (1 - a (z0 + z)))`` for ``z = Phi^-1(alpha)``.
    """
    from scipy.special import ndtr, ndtri  # loaded on first use: the command line imports DEFAULT_LEVEL

    draws = np.asarray(draws, dtype=np.float64)
    estimate = np.broadcast_to(np.asarray(estimate, dtype=np.float64), draws.shape[1:])
    valid = np.isfinite(draws)
    n_valid = valid.sum(axis=0)
    below = np.sum(np.where(valid, draws < estimate, False), axis=0) + 0.5 * np.sum(
        np.where(valid, draws == estimate, False), axis=0
    )
    prop = np.clip(below / np.maximum(n_valid, 1), 1e-12, 1 - 1e-12)
    z0 = ndtri(prop)
    jk = np.asarray(jackknife, dtype=np.float64)
    d = np.nanmean(jk, axis=0) - jk
    num = np.nansum(d**3, axis=0)
    den = 6.0 * np.nansum(d**2, axis=0) ** 1.5
    accel = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    a = (1.0 - level) / 2.0
    out = []
    for z in (ndtri(a), ndtri(1.0 - a)):
        q = ndtr(z0 + (z0 + z) / (1.0 - accel * (z0 + z)))
        out.append(q)
    lo_q, hi_q = out
    lower = np.empty(draws.shape[1:])
    upper = np.empty(draws.shape[1:])
    flat_draws = draws.reshape(draws.shape[0], -1)
    for j, (ql, qh) in enumerate(zip(np.ravel(lo_q), np.ravel(hi_q))):
        col = flat_draws[:, j]
        col = col[np.isfinite(col)]
        lower.flat[j] = np.quantile(col, ql) if len(col) else np.nan
        upper.flat[j] = np.quantile(col, qh) if len(col) else np.nan
    return lower, upper
