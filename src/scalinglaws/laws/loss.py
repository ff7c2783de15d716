"""Loss laws of compute or of model and data size: ``power`` (y = E + A x^-alpha) and
``chinchilla`` (L = E + A N^-alpha + B D^-beta), with their closed-form inverses and the
compute-optimal allocation."""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np

from ..compute import FLOP_PER_PARAM_TOKEN, tokens_for
from ..inputs import check_not_swapped
from .base import UNREACHABLE, Law, constant_grid, group_median, group_min, one_group
from .lse import LINEAR, _irreducible_floor, _lse_functions

__all__ = ["EXPONENT_MAX", "chinchilla_grid", "chinchilla_allocation", "make_power", "make_chinchilla"]


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
