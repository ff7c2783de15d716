"""Loss laws of compute or of model and data size: ``power`` (y = E + A x^-alpha),
``chinchilla`` (L = E + A N^-alpha + B D^-beta) and ``kaplan`` (L = [(N_c / N)^(alpha_N /
alpha_D) + D_c / D]^alpha_D), with their closed-form inverses and compute-optimal allocations."""

from __future__ import annotations

import functools
import itertools
import math

import jax.numpy as jnp
import numpy as np

from ..compute import FLOP_PER_PARAM_TOKEN, tokens_for
from ..inputs import check_not_swapped
from .base import UNREACHABLE, Law, constant_grid, group_median, group_min, one_group
from .lse import LINEAR, _irreducible_floor, _log_sum_exp, _lse_functions

__all__ = ["EXPONENT_MAX", "chinchilla_grid", "chinchilla_allocation", "kaplan_allocation", "make_power",
           "make_chinchilla", "make_kaplan"]


# power: y = E + A x^-alpha
# --------------------------------------------------------------------------------------------
_POWER_TERMS = ((0, None, LINEAR), (1, 2, 0))  # (log E), (log A - alpha log x)
EXPONENT_MAX = 10.0
"""Upper bound on power-law exponents: past it a term is a step between neighbouring sizes (three
model sizes let alpha run to 30-3000 with A overflowing to inf), so the fit ends on the bound and
is flagged rather than reporting an amplitude of 1e300."""


def _power_inverse(P, target):
    """x with E + A x^-alpha = target: x = (A / (target - E))^(1/alpha); ``inf`` if target <= E (unreachable)."""
    E, A, alpha = P["E"], P["A"], P["alpha"]
    gap = target - E
    ok = (gap > 0) & (alpha > 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        x = np.exp(np.log(A / np.where(ok, gap, 1.0)) / np.where(ok, alpha, 1.0))
    return np.where(ok, x, UNREACHABLE)


def chinchilla_allocation(P, C):
    """Compute-optimal N, D for C = 6 N D (Hoffmann et al. 2022, eq. 4):
    N_opt = G (C/6)^(beta/(alpha+beta)), D_opt = C / (6 N_opt), G = (alpha A / (beta B))^(1/(alpha+beta))."""
    A, B, alpha, beta = P["A"], P["B"], P["alpha"], P["beta"]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        G = (alpha * A / (beta * B)) ** (1.0 / (alpha + beta))
        N = G * (C / FLOP_PER_PARAM_TOKEN) ** (beta / (alpha + beta))
    return N, tokens_for(C, N)


def _chinchilla_inverse(P, target):
    """Compute C whose compute-optimal loss is ``target``.

    At the optimum L(C) = E + K (C/6)^-gamma with gamma = alpha beta / (alpha + beta) and
    K = A G^-alpha + B G^beta, so C = 6 (K / (target - E))^(1/gamma); ``inf`` if target <= E (unreachable).
    """
    E, A, B, alpha, beta = P["E"], P["A"], P["B"], P["alpha"], P["beta"]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        G = (alpha * A / (beta * B)) ** (1.0 / (alpha + beta))
        K = A * G**-alpha + B * G**beta
        gamma = alpha * beta / (alpha + beta)
        gap = target - E
        ok = (gap > 0) & (gamma > 0) & np.isfinite(K)
        C = FLOP_PER_PARAM_TOKEN * np.exp(np.log(K / np.where(ok, gap, 1.0)) / np.where(ok, gamma, 1.0))
    return np.where(ok, C, UNREACHABLE)


_POWER_ALPHAS = (0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5)
_POWER_FRACS = (0.01, 0.3, 0.6, 0.8, 0.9, 0.97)
_POWER_SHIFTS = (-1.0, 0.0, 1.0)


def _power_grids(F, y, used):
    """Per data set: E a fraction of the smallest loss; A through the median point for each
    exponent, shifted by e^-1, 1, e. [G, 162, 3] in (alpha, frac, shift) order."""
    lx_mid = group_median(F[..., 0], used)[:, None, None, None]
    loss = np.exp(y)
    ymin = group_min(loss, used)[:, None, None, None]
    ymed = group_median(loss, used)[:, None, None, None]
    alpha = np.array(_POWER_ALPHAS)[None, :, None, None]
    E = np.array(_POWER_FRACS)[None, None, :, None] * ymin
    a = np.log(np.maximum(ymed - E, 1e-12 * ymed)) + alpha * lx_mid + np.array(_POWER_SHIFTS)[None, None, None, :]
    shape = a.shape
    cols = [np.broadcast_to(E, shape), a, np.broadcast_to(alpha, shape)]
    return np.stack(cols, axis=-1).reshape(shape[0], -1, 3)


def make_power() -> Law:
    terms = _POWER_TERMS
    return Law(
        name="power",
        params=("E", "A", "alpha"),
        transforms=("identity", "log", "identity"),
        lower=(0.0, -np.inf, -np.inf),
        upper=(np.inf, np.inf, EXPONENT_MAX),
        inputs=("C",),
        target="loss",
        space="log",
        **_lse_functions(terms, 3),
        data_bounds=one_group(_irreducible_floor(3)),
        group_data_bounds=_irreducible_floor(3),
        grid=one_group(_power_grids),
        group_grid=_power_grids,
        inverse=_power_inverse,
        formula="y = E + A * x^-alpha",
        reference="Kaplan et al. 2020, arXiv:2001.08361; Hoffmann et al. 2022, arXiv:2203.15556",
    )


# theta = (E, log A, log B, alpha, beta); F = (log N, log D)
# --------------------------------------------------------------------------------------------
# theta = (E, log A, log B, alpha, beta); F = (log N, log D)
_CHINCHILLA_TERMS = ((0, None, LINEAR), (1, 3, 0), (2, 4, 1))


def chinchilla_grid() -> np.ndarray:
    """Hoffmann et al.'s 4,500-point start grid in internal units (see ``_chinchilla_grid``); a copy."""
    return _chinchilla_grid().copy()


@functools.lru_cache(maxsize=1)
def _chinchilla_grid() -> np.ndarray:
    """Hoffmann et al.'s grid as used by Besiroglu et al.: alpha, beta in {0, 0.5, ..., 2},
    e = log E in {-1, -0.5, ..., 1}, a, b in {0, 5, ..., 25}; 4,500 internal points (E, log A,
    log B, alpha, beta)."""
    alphas = np.arange(0.0, 2.01, 0.5)
    es = np.arange(-1.0, 1.01, 0.5)
    abs_ = np.arange(0.0, 25.01, 5.0)
    rows = [(math.exp(e), a, b, al, be) for al, be, e, a, b in itertools.product(alphas, alphas, es, abs_, abs_)]
    return np.array(rows, dtype=np.float64)


def make_chinchilla() -> Law:
    terms = _CHINCHILLA_TERMS
    return Law(
        name="chinchilla",
        params=("E", "A", "B", "alpha", "beta"),
        transforms=("identity", "log", "log", "identity", "identity"),
        lower=(0.0, -np.inf, -np.inf, -np.inf, -np.inf),
        upper=(np.inf, np.inf, np.inf, EXPONENT_MAX, EXPONENT_MAX),
        inputs=("N", "D"),
        target="loss",
        space="log",
        **_lse_functions(terms, 5),
        data_bounds=one_group(_irreducible_floor(5)),
        group_data_bounds=_irreducible_floor(5),
        grid=lambda F, y: chinchilla_grid(),
        group_grid=constant_grid(_chinchilla_grid),
        check_inputs=check_not_swapped("N", "D", "language-model runs see more tokens than parameters"),
        allocation=chinchilla_allocation,
        inverse=_chinchilla_inverse,
        inverse_input="C",
        formula="L = E + A * N^-alpha + B * D^-beta",
        reference="Hoffmann et al. 2022, arXiv:2203.15556 (Approach 3); Besiroglu et al. 2024, arXiv:2404.10102",
    )


# kaplan: L(N, D) = [(N_c / N)^(alpha_N / alpha_D) + D_c / D]^alpha_D
# --------------------------------------------------------------------------------------------
# theta = (log N_c, log D_c, alpha_N, alpha_D); F = (log N, log D)
EXPONENT_MIN = 1e-4
"""Lower bound on kaplan's exponents: the law divides by alpha_D, and its allocation by alpha_N."""


def _kaplan_fn(theta, F):
    # log L = alpha_D * LSE(k (log N_c - log N), log D_c - log D), k = alpha_N / alpha_D
    k = theta[2] / theta[3]
    return theta[3] * _log_sum_exp([k * (theta[0] - F[:, 0]), theta[1] - F[:, 1]])[0]


def _kaplan_jacobian(theta, F):
    # With softmax weights P1, P2 of the two terms and S = LSE: d/d log N_c = alpha_N P1,
    # d/d log D_c = alpha_D P2, d/d alpha_N = P1 (log N_c - log N),
    # d/d alpha_D = S - k P1 (log N_c - log N).
    k = theta[2] / theta[3]
    gap = theta[0] - F[:, 0]
    S, (P1, P2) = _log_sum_exp([k * gap, theta[1] - F[:, 1]])
    cols = [theta[2] * P1, theta[3] * P2, P1 * gap, S - k * P1 * gap]
    return theta[3] * S, jnp.stack(cols, axis=-1)


def kaplan_allocation(P, C):
    """Compute-optimal N, D for C = 6 N D under Kaplan et al.'s L(N, D): minimising
    (N_c / N)^k + 6 D_c N / C over N (k = alpha_N / alpha_D) gives
    N_opt = (k N_c^k C / (6 D_c))^(1 / (k + 1))."""
    Nc, Dc, aN, aD = P["N_c"], P["D_c"], P["alpha_N"], P["alpha_D"]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        k = aN / aD
        logN = (np.log(k) + k * np.log(Nc) + np.log(C / FLOP_PER_PARAM_TOKEN) - np.log(Dc)) / (k + 1)
        N = np.exp(logN)
    return N, tokens_for(C, N)


def _kaplan_inverse(P, target):
    """Compute C whose compute-optimal loss is ``target``: at the optimum the bracket is
    (1 + k) (N_c / N_opt)^k, so N_opt = N_c ((1 + k) / target^(1/alpha_D))^(1/k) and
    C = 6 D_c N_opt^(k+1) / (k N_c^k). Every positive target is reachable (the law has no floor)."""
    Nc, Dc, aN, aD = P["N_c"], P["D_c"], P["alpha_N"], P["alpha_D"]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        k = aN / aD
        ok = (target > 0) & (k > 0)
        log_t = np.log(np.where(ok, target, 1.0))
        logN = np.log(Nc) + (np.log1p(k) - log_t / aD) / k
        logC = math.log(FLOP_PER_PARAM_TOKEN) + np.log(Dc) + (k + 1) * logN - np.log(k) - k * np.log(Nc)
        C = np.exp(logC)
    return np.where(ok, C, UNREACHABLE)


_KAPLAN_ALPHAS_N = (0.03, 0.076, 0.15, 0.3, 0.6)
_KAPLAN_ALPHAS_D = (0.03, 0.095, 0.2, 0.4, 0.8)
_KAPLAN_SHARES = (0.1, 0.3, 0.5, 0.7, 0.9)


def _kaplan_grids(F, y, used):
    """Per data set, for each pair of exponents: N_c and D_c such that at the median N and D the
    N term holds a share s of the bracket L^(1/alpha_D) and the D term the rest. [G, 125, 4]."""
    lN, lD = group_median(F[..., 0], used), group_median(F[..., 1], used)
    lL = np.log(group_median(np.exp(y), used))
    aN, aD, s = (a.ravel()[None, :] for a in np.meshgrid(_KAPLAN_ALPHAS_N, _KAPLAN_ALPHAS_D, _KAPLAN_SHARES,
                                                         indexing="ij"))
    bracket = lL[:, None] / aD  # log of L^(1/alpha_D)
    lNc = lN[:, None] + (np.log(s) + bracket) / (aN / aD)
    lDc = lD[:, None] + np.log(1 - s) + bracket
    G, K = F.shape[0], aN.shape[1]
    return np.stack([lNc, lDc, np.broadcast_to(aN, (G, K)), np.broadcast_to(aD, (G, K))], axis=-1)


def make_kaplan() -> Law:
    return Law(
        name="kaplan",
        params=("N_c", "D_c", "alpha_N", "alpha_D"),
        transforms=("log", "log", "identity", "identity"),
        lower=(-np.inf, -np.inf, EXPONENT_MIN, EXPONENT_MIN),
        upper=(np.inf, np.inf, EXPONENT_MAX, EXPONENT_MAX),
        inputs=("N", "D"),
        target="loss",
        space="log",
        fit_fn=_kaplan_fn,
        jacobian=_kaplan_jacobian,
        grid=one_group(_kaplan_grids),
        group_grid=_kaplan_grids,
        check_inputs=check_not_swapped("N", "D", "language-model runs see more tokens than parameters"),
        allocation=kaplan_allocation,
        inverse=_kaplan_inverse,
        inverse_input="C",
        formula="L = [(N_c / N)^(alpha_N / alpha_D) + D_c / D]^alpha_D",
        reference="Kaplan et al. 2020, arXiv:2001.08361, eq. 1.5",
    )
