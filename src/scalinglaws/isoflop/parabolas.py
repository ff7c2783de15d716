"""Closed-form isoFLOP arithmetic, batched over bootstrap replicates: a weighted parabola per
(replicate, budget), its vertex and why a budget is left out, and the OLS frontier through the
vertices. numpy only; every function takes and returns ``[R, B, ...]`` arrays."""

from __future__ import annotations

import numpy as np

__all__ = ["parabolas", "classify", "frontier", "REASONS"]

REASONS = {
    1: "fewer than 3 distinct sizes",
    2: "no minimum: curvature <= 0",
    3: "minimum outside the sampled sizes",
}


def parabolas(u, y, uid, n_unique, W):
    """Weighted least-squares parabolas ``y = b0 + b1 u + b2 u^2`` for every (replicate, budget).

    ``u``, ``y``, ``uid``: [B, M] (scaled log sizes, targets, index of each run's distinct size
    within its budget; padding carries zero weight). ``W``: [R, B, M] weights. Returns
    ``b`` [R, B, 3] and ``ok`` [R, B] (at least three distinct sizes with positive weight, so
    the normal equations are non-singular).
    """
    R, B, M = W.shape
    p = u[None, :, :] ** np.arange(5)[:, None, None]  # [5, B, M]
    S = np.einsum("rbm,kbm->rbk", W, p)  # sums of w u^k, k = 0..4
    T = np.einsum("rbm,kbm->rbk", W * y[None], p[:3])  # sums of w y u^k, k = 0..2
    onehot = (uid[:, :, None] == np.arange(n_unique)[None, None, :]).astype(np.float64)  # [B, M, U]
    distinct = (np.einsum("rbm,bmu->rbu", (W > 0).astype(np.float64), onehot) > 0).sum(axis=-1)
    ok = distinct >= 3
    A = np.stack([S[..., 0:3], S[..., 1:4], S[..., 2:5]], axis=-2)  # [R, B, 3, 3]
    A = np.where(ok[..., None, None], A, np.eye(3))  # degenerate systems: solve a dummy, mask later
    b = np.linalg.solve(A, T[..., None])[..., 0]
    return b, ok


def classify(b, ok, exclude_outside: bool):
    """Vertex and exclusion reason per (replicate, budget).

    Sizes are scaled so that each budget's sampled range is u in [-1, 1]; a vertex outside it is
    outside the sizes trained at that budget. In a bootstrap replicate the range is the budget's
    design (all its runs), not the resample's: which sizes were trained is fixed, only which runs
    are drawn varies. Returns ``ustar`` (vertex in scaled units; 0 where undefined), ``usable``
    (bool) and ``code``: 0 usable, 1 fewer than three distinct sizes, 2 no minimum
    (curvature <= 0), 3 minimum outside the sampled sizes (usable anyway when
    ``exclude_outside`` is False).
    """
    b2 = b[..., 2]
    has_min = ok & (b2 > 0)
    ustar = np.where(has_min, -b[..., 1] / (2.0 * np.where(has_min, b2, 1.0)), 0.0)
    outside = has_min & (np.abs(ustar) > 1.0 + 1e-12)
    code = np.where(~ok, 1, np.where(~has_min, 2, np.where(outside, 3, 0)))
    usable = has_min & np.isfinite(ustar) & (~outside | (not exclude_outside))
    return ustar, usable, code


def frontier(logC, logS, mask):
    """OLS of ``logS`` on ``logC`` over the budgets in ``mask``, per replicate.

    ``logC`` [B]; ``logS``, ``mask`` [R, B]. Returns slope, intercept (at ln C = 0), the number of
    budgets used and ``valid`` (at least two budgets at distinct C) per replicate.
    """
    m = mask.astype(np.float64)
    n = m.sum(axis=1)
    nn = np.maximum(n, 1.0)
    c0 = logC.mean()
    x = logC - c0  # centred for accuracy; the intercept is moved back below
    ys = np.where(mask, logS, 0.0)
    xbar = (m * x).sum(axis=1) / nn
    ybar = (m * ys).sum(axis=1) / nn
    dx = np.where(mask, x[None, :] - xbar[:, None], 0.0)
    sxx = (dx * dx).sum(axis=1)
    sxy = (dx * (ys - ybar[:, None])).sum(axis=1)
    valid = (n >= 2) & (sxx > 1e-12 * max(float(np.ptp(logC)) ** 2, 1e-300))
    slope = np.where(valid, sxy / np.where(valid, sxx, 1.0), np.nan)
    intercept = np.where(valid, ybar - slope * (xbar + c0), np.nan)
    return slope, intercept, n.astype(int), valid

