"""The baselines our solver is measured against: plain numpy + scipy, as the papers' code does.

The Chinchilla objective is written the way the Epoch AI replication (Besiroglu et al. 2024) and
the code derived from it write it: ``log_sum_exp`` of the three terms in numpy, summed Huber with
delta = 1e-3, minimised by ``scipy.optimize.minimize``. Two gradient choices:

- ``"fd"``: no gradient passed, so scipy differentiates by finite differences. This is the
  replication code's call (``minimize(huber_loss_objective, init_params, method='L-BFGS-B')``),
  and the setting the first sizing numbers (docs/performance.md) were measured with.
- ``"analytic"``: the exact gradient in numpy (what autograd gives). A stronger baseline than the
  published code; we report the ratio against it too.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.optimize import minimize

DELTA = 1e-3


def chinchilla_grid() -> np.ndarray:
    """The 4,500 starts (a, b, e, alpha, beta) of Hoffmann et al. / Besiroglu et al."""
    alpha = np.arange(0, 2.5, 0.5)
    e = np.arange(-1, 1.5, 0.5)
    ab = np.arange(0, 30, 5)
    return np.array([(a, b, ee, al, be) for al, be, ee, a, b in itertools.product(alpha, alpha, e, ab, ab)], float)


def chinchilla_public(thetas: np.ndarray) -> np.ndarray:
    """[R, 5] (a, b, e, alpha, beta) -> (E, A, B, alpha, beta), the law's public parameters."""
    thetas = np.asarray(thetas)
    return np.column_stack([np.exp(thetas[:, 2]), np.exp(thetas[:, 0]), np.exp(thetas[:, 1]), thetas[:, 3],
                            thetas[:, 4]])


class ChinchillaObjective:
    """Summed Huber(1e-3) of log-loss residuals; parameters (a, b, e, alpha, beta)."""

    def __init__(self, N, D, loss):
        self.lN, self.lD, self.lL = np.log(N), np.log(D), np.log(loss)

    def value(self, p, w=None):
        a, b, e, al, be = p
        u = np.stack([a - al * self.lN, b - be * self.lD, np.full_like(self.lN, e)])
        m = u.max(0)
        pred = m + np.log(np.exp(u - m).sum(0))
        r = pred - self.lL
        ar = np.abs(r)
        h = np.where(ar <= DELTA, 0.5 * r * r, DELTA * (ar - 0.5 * DELTA))
        return float(h.sum() if w is None else w @ h)

    def value_and_grad(self, p, w=None):
        a, b, e, al, be = p
        u = np.stack([a - al * self.lN, b - be * self.lD, np.full_like(self.lN, e)])
        m = u.max(0)
        ex = np.exp(u - m)
        s = ex.sum(0)
        P = ex / s
        r = m + np.log(s) - self.lL
        ar = np.abs(r)
        h = np.where(ar <= DELTA, 0.5 * r * r, DELTA * (ar - 0.5 * DELTA))
        c = np.clip(r, -DELTA, DELTA)
        if w is not None:
            h, c = w * h, w * c
        g = np.array([c @ P[0], c @ P[1], c @ P[2], -(c * self.lN) @ P[0], -(c * self.lD) @ P[1]])
        return float(h.sum()), g


def scipy_grid_fit(obj: ChinchillaObjective, grid: np.ndarray, method: str = "L-BFGS-B", gradient: str = "fd"):
    """Minimise from every grid point; return (best OptimizeResult, number of starts)."""
    best = None
    for x0 in grid:
        if gradient == "fd":
            r = minimize(obj.value, x0, method=method)
        else:
            r = minimize(obj.value_and_grad, x0, jac=True, method=method)
        if np.isfinite(r.fun) and (best is None or r.fun < best.fun):
            best = r
    return best


def scipy_bootstrap(obj: ChinchillaObjective, weights: np.ndarray, x0: np.ndarray, gradient: str = "fd"):
    """One BFGS start (the full-data optimum) per weight vector: [R, 5] parameters, [R] objectives."""
    thetas, fs = [], []
    for w in weights:
        if gradient == "fd":
            r = minimize(obj.value, x0, args=(w,), method="BFGS")
        else:
            r = minimize(obj.value_and_grad, x0, args=(w,), jac=True, method="BFGS")
        thetas.append(r.x)
        fs.append(r.fun)
    return np.array(thetas), np.array(fs)
