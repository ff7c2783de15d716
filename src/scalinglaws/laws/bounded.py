"""Laws for bounded metrics (pass rates, scores, Elo, benchmark error): ``loglinear``
(y = a + b log10 x), ``sigmoid`` (y = R0 + (A - R0) / (1 + (C_mid / x)^B)) and ``error_from_loss``
(y = eps - k exp(-gamma L), Gadre et al. 2024), with their closed-form inverses."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from .base import LN10, UNREACHABLE, Law, group_max, group_min, one_group

__all__ = ["SIGMOID_REACH", "make_loglinear", "make_sigmoid", "make_error_from_loss"]


def _loglinear_inverse(P, target):
    """x = 10^((target - a) / b); ``inf`` where no finite x reaches it (b = 0, a flat line, or
    an x past float range)."""
    a, b = P["a"], P["b"]
    ok = b != 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        x = 10.0 ** ((target - a) / np.where(ok, b, 1.0))
    return np.where(ok & np.isfinite(x), x, UNREACHABLE)


def _sigmoid_inverse(P, target):
    """x = C_mid (s / (1 - s))^(1/B) with s = (target - R0) / (A - R0), the share of the way from
    the start level R0 to the ceiling A.

    A target at or beyond the ceiling (s >= 1) is unreachable: ``inf`` (no finite compute gets
    there; ``compute_for`` reports it as not reachable, and ``capex`` prices it as infinite). A
    target at or before the start level (s <= 0) is met with no compute: ``0``, the true answer. A
    degenerate curve (B <= 0 or A = R0: flat) reaches no target: ``inf``. Either direction works
    (A < R0: a falling curve).
    """
    R0, A, C_mid, B = P["R0"], P["A"], P["C_mid"], P["B"]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        s = (target - R0) / (A - R0)
        live = (B > 0) & (A != R0) & np.isfinite(s)
        ok = live & (s > 0) & (s < 1)
        x = C_mid * np.exp(np.log(np.where(ok, s / (1 - s), 1.0)) / np.where(ok, B, 1.0))
    x = np.where(live & (s >= 1), UNREACHABLE, x)
    x = np.where(live & (s <= 0), 0.0, x)
    return np.where(live, x, UNREACHABLE)


# loglinear: y = a + b log10 x
# --------------------------------------------------------------------------------------------
def _loglinear_fn(theta, F):
    return theta[0] + theta[1] * F[:, 0] / LN10


def _loglinear_jac(theta, F):
    pred = _loglinear_fn(theta, F)
    return pred, jnp.stack([jnp.ones_like(pred), F[:, 0] / LN10], axis=-1)


def _loglinear_curvature_parts(theta, F):
    # The law is linear in theta, so sum_i c_i Hess(pred_i) = 0. The parts contract is
    # assemble(c-weighted sums) - J^T diag(c) J = that, so assemble must give J^T diag(c) J
    # (returning zeros there made the Newton matrix J^T diag(w psi' - c) J: wrong wherever the
    # residuals are not small, and the solver then crawled to max_iter on, e.g., Elo data).
    x = F[:, 0] / LN10
    return [jnp.ones_like(x), x, x * x], lambda s: jnp.stack([jnp.stack([s[0], s[1]]), jnp.stack([s[1], s[2]])])


def _loglinear_grids(F, y, used):
    """Per data set: the unweighted least-squares line (the optimum when every weight is 1; the
    solver polishes it for weights) and the flat line at the mean. [G, 2, 2]."""
    u = used.astype(np.float64)
    n = np.sum(u, axis=-1)
    x = F[..., 0] / LN10
    xbar = np.sum(u * x, axis=-1) / n
    ybar = np.sum(u * y, axis=-1) / n
    dx = np.where(used, x - xbar[:, None], 0.0)
    b = np.sum(dx * (y - ybar[:, None]), axis=-1) / np.sum(dx * dx, axis=-1)
    a = ybar - b * xbar
    return np.stack([np.stack([a, b], axis=-1), np.stack([ybar, np.zeros_like(ybar)], axis=-1)], axis=1)


def make_loglinear() -> Law:
    return Law(
        name="loglinear",
        params=("a", "b"),
        transforms=("identity", "identity"),
        inputs=("C",),
        target="y",
        space="linear",
        fit_fn=_loglinear_fn,
        jacobian=_loglinear_jac,
        curvature=lambda theta, F, c: jnp.zeros((2, 2), dtype=F.dtype),
        curvature_parts=_loglinear_curvature_parts,
        grid=one_group(_loglinear_grids),
        group_grid=_loglinear_grids,
        inverse=_loglinear_inverse,
        formula="y = a + b * log10(x)",
        reference="log-linear RL compute curves, e.g. Khatri et al. 2025 (ScaleRL), arXiv:2510.13786",
    )


# sigmoid
# --------------------------------------------------------------------------------------------
# theta = (R0, A, log C_mid, B); (C_mid / x)^B = exp(-B (log x - log C_mid)).
def _sigmoid_fn(theta, F):
    z = theta[3] * (F[:, 0] - theta[2])
    return theta[0] + (theta[1] - theta[0]) * jax.nn.sigmoid(z)


def _sigmoid_jac(theta, F):
    lx = F[:, 0]
    d = lx - theta[2]
    s = jax.nn.sigmoid(theta[3] * d)
    amp = theta[1] - theta[0]
    ds = s * (1.0 - s)
    pred = theta[0] + amp * s
    J = jnp.stack([1.0 - s, s, -amp * ds * theta[3], amp * ds * d], axis=-1)
    return pred, J


_SIGMOID_Q = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.5)
_SIGMOID_SLOPES = (1.0, 2.0, 4.0, 8.0, 16.0)


def _sigmoid_grids(F, y, used):
    """Per data set: levels around the data's range, the midpoint across (and past) the range of
    log x, slopes from 1 to 16 over that range. [G, 315, 4] in (R0, A, C_mid, B) order."""
    lx = F[..., 0]
    lo, hi = group_min(lx, used), group_max(lx, used)
    span = np.maximum(hi - lo, 1e-6)
    ymin, ymax = group_min(y, used), group_max(y, used)
    yr = np.maximum(ymax - ymin, 1e-12)
    R0 = np.stack([ymin - 0.1 * yr, ymin, ymin + 0.2 * yr], axis=-1)[:, :, None, None, None]
    A = np.stack([ymax, ymax + 0.25 * yr, ymax + yr], axis=-1)[:, None, :, None, None]
    mid = (lo[:, None] + np.array(_SIGMOID_Q)[None, :] * span[:, None])[:, None, None, :, None]
    slope = (np.array(_SIGMOID_SLOPES)[None, :] / span[:, None])[:, None, None, None, :]
    shape = (len(lo), 3, 3, len(_SIGMOID_Q), len(_SIGMOID_SLOPES))
    cols = [np.broadcast_to(c, shape) for c in (R0, A, mid, slope)]
    return np.stack(cols, axis=-1).reshape(len(lo), -1, 4)


SIGMOID_REACH = 2.0
"""How far beyond the data the sigmoid's levels and midpoint may go, in multiples of the data's
range (of y for R0 and A, of log x for C_mid). With the data on one flank only, the curve can
otherwise slide off to infinity: the lower level R0 to -150 and C_mid to 1e-8 while the visible
flank stays a straight line in log x (obsscaling HellaSwag: 2.6% of replicates crawling to the
1,200-iteration cap). On the bound the fit converges and is flagged: the data do not identify it."""


def _sigmoid_bounds(F, y, used):
    lx = F[..., 0]
    lo_x, hi_x = group_min(lx, used), group_max(lx, used)
    span = np.maximum(hi_x - lo_x, 1e-6)
    ymin, ymax = group_min(y, used), group_max(y, used)
    yr = np.maximum(ymax - ymin, 1e-12 * np.maximum(np.abs(ymax), 1.0))
    k = SIGMOID_REACH
    inf = np.full_like(ymin, np.inf)
    lo = np.stack([ymin - k * yr, ymin - k * yr, lo_x - k * span, -inf], axis=-1)
    hi = np.stack([ymax + k * yr, ymax + k * yr, hi_x + k * span, inf], axis=-1)
    return lo, hi


def make_sigmoid() -> Law:
    return Law(
        name="sigmoid",
        params=("R0", "A", "C_mid", "B"),
        transforms=("identity", "identity", "log", "identity"),
        inputs=("C",),
        target="y",
        space="linear",
        fit_fn=_sigmoid_fn,
        jacobian=_sigmoid_jac,
        grid=one_group(_sigmoid_grids),
        group_grid=_sigmoid_grids,
        data_bounds=one_group(_sigmoid_bounds),
        group_data_bounds=_sigmoid_bounds,
        inverse=_sigmoid_inverse,
        lower=(-np.inf, -np.inf, -np.inf, 0.0),
        formula="y = R0 + (A - R0) / (1 + (C_mid / x)^B)",
        reference="Khatri et al. 2025, 'The Art of Scaling RL Compute' (ScaleRL), arXiv:2510.13786",
    )


# error_from_loss
# y = eps - k exp(-gamma L)
# --------------------------------------------------------------------------------------------
# theta = (eps, log k, gamma); F = L itself (log_inputs=False: a loss is already a log quantity).
def _error_from_loss_fn(theta, F):
    return theta[0] - jnp.exp(theta[1] - theta[2] * F[:, 0])


def _error_from_loss_jac(theta, F):
    L = F[:, 0]
    e = jnp.exp(theta[1] - theta[2] * L)
    return theta[0] - e, jnp.stack([jnp.ones_like(e), -e, L * e], axis=-1)


def _error_from_loss_curvature(theta, F, c):
    # pred = eps - exp(u), u = log k - gamma L: Hess = -e [[0, 0, 0], [0, 1, -L], [0, -L, L^2]].
    L = F[:, 0]
    ce = c * jnp.exp(theta[1] - theta[2] * L)
    s0, s1, s2 = jnp.sum(ce), jnp.sum(ce * L), jnp.sum(ce * L * L)
    z = jnp.zeros((), dtype=F.dtype)
    return -jnp.stack([jnp.stack([z, z, z]), jnp.stack([z, s0, -s1]), jnp.stack([z, -s1, s2])])


def _error_from_loss_grid(F, y):
    """Variable projection: for each gamma on a log grid the law is linear in (eps, k), so solve
    that least-squares problem exactly; the starts are then the best (eps, k) per gamma. Works
    whatever the losses' range (L is centred before exponentiating) and the errors' scale."""
    L = F[:, 0]
    Lc = float(np.median(L))
    yr = max(float(np.ptp(y)), 1e-12)
    rows = []
    for gamma in np.geomspace(0.01, 30.0, 40):
        e = np.exp(-gamma * (L - Lc))  # k exp(-gamma L) = (k exp(-gamma Lc)) e
        X = np.stack([np.ones_like(e), -e], axis=-1)
        (eps, kc), *_ = np.linalg.lstsq(X, y, rcond=None)
        if not (np.isfinite(eps) and np.isfinite(kc)):
            continue
        kc = max(float(kc), 1e-6 * yr / max(float(np.max(e)), 1e-300))
        rows.append((float(eps), math.log(kc) + gamma * Lc, float(gamma)))
    ymax = float(np.max(y))
    for gamma in (0.3, 1.0, 3.0):  # data-free fallbacks: ceiling just above the data
        rows.append((ymax + 0.1 * yr, math.log(yr) + gamma * float(np.min(L)), gamma))
    return np.array(rows)


def _error_from_loss_inverse(P, target):
    """The loss at which the error equals ``target``: L = (log k - log(eps - target)) / gamma.
    ``inf`` where no positive, finite loss gives that error (target >= eps, the error approached
    only as L -> inf, or target <= eps - k, the error at zero loss)."""
    eps, k, gamma = P["eps"], P["k"], P["gamma"]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        gap = eps - target
        ok = (gap > 0) & (gamma > 0)
        L = (np.log(k) - np.log(np.where(ok, gap, 1.0))) / np.where(ok, gamma, 1.0)
        ok = ok & np.isfinite(L) & (L > 0)
    return np.where(ok, L, UNREACHABLE)


def make_error_from_loss() -> Law:
    return Law(
        name="error_from_loss",
        params=("eps", "k", "gamma"),
        transforms=("identity", "log", "identity"),
        inputs=("L",),
        target="error",
        space="linear",
        fit_fn=_error_from_loss_fn,
        jacobian=_error_from_loss_jac,
        curvature=_error_from_loss_curvature,
        grid=_error_from_loss_grid,
        log_inputs=False,
        # gamma = 0 is a flat line (eps - k everywhere): a fit that runs there is flagged on a bound.
        lower=(-np.inf, -np.inf, 0.0),
        inverse=_error_from_loss_inverse,
        formula="y = eps - k * exp(-gamma * L)",
        reference="Gadre et al. 2024, 'Language models scale reliably with over-training and on downstream "
                  "tasks', arXiv:2403.08540 (eq. 4: top-1 error from loss)",
    )
