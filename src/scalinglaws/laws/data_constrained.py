"""``data_constrained``: Muennighoff et al. (2023, arXiv:2305.16264), the loss of a model trained
on repeated data, with its analytic Jacobian and curvature parts."""

from __future__ import annotations

import functools
import itertools
import math

import jax.numpy as jnp
import numpy as np

from ..inputs import check_at_most
from .base import Law, constant_grid, one_group
from .loss import EXPONENT_MAX
from .lse import _assembler, _curvature_from_parts, _irreducible_floor, _log_sum_exp

__all__ = ["make_data_constrained"]


# --------------------------------------------------------------------------------------------
# theta = (E, log A, log B, alpha, beta, log R_D*, log R_N*); F = (log N, log D, log U).
# log L = LSE(u_E, u_N, u_D) with u_E = log E, u_N = a - alpha l_neff, u_D = b - beta l_deff, and
#   l_deff = log U + log(1 + q(R_D, R_D*)),   q(R, R*) = R* (1 - exp(-R / R*)),
#   l_neff = z + log(1 + q(exp(log N - z) - 1, R_N*))  where N > N_for(U) = exp(z), else log N,
#   z = log N_for(U) = (log alpha + a - log beta - b) / alpha + (beta / alpha) log U,
# the compute-optimal parameter count for U tokens under the Chinchilla allocation.
# The analytic Jacobian and curvature use, per term, its gradient g_t and Hessian H_t in theta:
# Hess(log L) = sum_t P_t (H_t + g_t g_t^T) - J J^T (P the softmax weights), so the curvature parts
# are the 18 nonzero entries of sum_t P_t (H_t + g_t g_t^T). Measured against jax.jacfwd and
# jax.hessian on the 182 datablations rows: see docs/performance.md.
_DC_E, _DC_A, _DC_B, _DC_ALPHA, _DC_BETA, _DC_RD, _DC_RN = range(7)


def _repetition(R, log_rstar):
    """``log(1 + q)`` with ``q = R* (1 - exp(-R / R*))`` (the repeated data's worth, in unique
    units), and its first and second derivatives in ``log R*`` and in ``R``: a dict."""
    rstar = jnp.exp(log_rstar)
    x = R / rstar
    eps = jnp.exp(-x)
    q = -rstar * jnp.expm1(-x)
    inv = 1.0 / (1.0 + q)
    q_r, q_rr = q - R * eps, q - R * eps - R * x * eps  # d/d log R*, d^2/d log R*^2
    q_R, q_RR, q_Rr = eps, -eps / rstar, eps * x  # d/dR, d^2/dR^2, d^2/dR d log R*
    return {"value": jnp.log1p(q), "inv": inv, "q_r": q_r, "q_rr": q_rr, "q_R": q_R, "q_RR": q_RR, "q_Rr": q_Rr}


def _data_constrained_terms(theta, F, second_order):
    """Per term t: ``u_t`` [n], its gradient ``{index: [n]}`` and (if ``second_order``) its
    upper-triangle Hessian ``{(i, j): [n]}``; u_E = log E is handled by the callers."""
    E, a, b, alpha, beta, lrd, lrn = (theta[i] for i in range(7))
    lN, lD, lU = F[:, 0], F[:, 1], F[:, 2]
    K = jnp.log(alpha) + a - jnp.log(beta) - b
    z = K / alpha + (beta / alpha) * lU
    excess = lN > z  # the model is larger than U tokens can use: its extra parameters repeat
    lUN = jnp.where(excess, z, lN)
    R_N = jnp.maximum(jnp.expm1(lN - lUN), 0.0)
    Rt = 1.0 + R_N
    rn = _repetition(R_N, lrn)
    rd = _repetition(jnp.maximum(jnp.expm1(lD - lU), 0.0), lrd)
    l_neff = lUN + rn["value"]
    l_deff = lU + rd["value"]
    u_N = a - alpha * l_neff
    u_D = b - beta * l_deff

    # l_deff depends on log R_D* only.
    hD = rd["q_r"] * rd["inv"]
    g_D = {_DC_B: jnp.ones_like(lN), _DC_BETA: -l_deff, _DC_RD: -beta * hD}

    # l_neff = phi(z, log R_N*) past the kink, log N before it; R_N = exp(lN - z) - 1, dR/dz = -Rt.
    inv = rn["inv"]
    q_z = -Rt * rn["q_R"]
    phi_z = jnp.where(excess, 1.0 + q_z * inv, 0.0)
    phi_r = jnp.where(excess, rn["q_r"] * inv, 0.0)
    z_grad = {_DC_A: 1.0 / alpha, _DC_B: -1.0 / alpha, _DC_ALPHA: (1.0 - K - beta * lU) / alpha**2,
              _DC_BETA: (lU - 1.0 / beta) / alpha}
    dl = {i: phi_z * gz for i, gz in z_grad.items()}
    dl[_DC_RN] = phi_r
    g_N = {i: -alpha * v for i, v in dl.items()}
    g_N[_DC_A] = g_N[_DC_A] + 1.0
    g_N[_DC_ALPHA] = g_N[_DC_ALPHA] - l_neff
    if not second_order:
        return (u_N, g_N, None), (u_D, g_D, None)

    q_zz = Rt * Rt * rn["q_RR"] + Rt * rn["q_R"]
    q_zr = -Rt * rn["q_Rr"]
    phi_zz = jnp.where(excess, q_zz * inv - (q_z * inv) ** 2, 0.0)
    phi_zr = jnp.where(excess, q_zr * inv - q_z * rn["q_r"] * inv**2, 0.0)
    phi_rr = jnp.where(excess, rn["q_rr"] * inv - (rn["q_r"] * inv) ** 2, 0.0)
    z_hess = {(_DC_A, _DC_ALPHA): -1.0 / alpha**2, (_DC_B, _DC_ALPHA): 1.0 / alpha**2,
              (_DC_ALPHA, _DC_ALPHA): (2.0 * K + 2.0 * beta * lU - 3.0) / alpha**3,
              (_DC_ALPHA, _DC_BETA): (1.0 / beta - lU) / alpha**2, (_DC_BETA, _DC_BETA): 1.0 / (beta**2 * alpha)}
    idx = sorted(z_grad)
    ddl = {}
    for ii, i in enumerate(idx):
        for j in idx[ii:]:
            ddl[(i, j)] = phi_zz * z_grad[i] * z_grad[j] + phi_z * z_hess.get((i, j), 0.0)
        ddl[(i, _DC_RN)] = phi_zr * z_grad[i]
    ddl[(_DC_RN, _DC_RN)] = phi_rr
    # u_N = a - alpha l_neff: Hessian -alpha ddl - (e_alpha dl^T + dl e_alpha^T).
    H_N = {ij: -alpha * v for ij, v in ddl.items()}
    for i, v in dl.items():
        ij = (min(i, _DC_ALPHA), max(i, _DC_ALPHA))
        H_N[ij] = H_N[ij] - (2.0 * v if i == _DC_ALPHA else v)
    # u_D = b - beta l_deff: d^2/dbeta dlrd = -hD, d^2/dlrd^2 = -beta hD'.
    hD2 = rd["q_rr"] * rd["inv"] - hD**2
    H_D = {(_DC_BETA, _DC_RD): -hD, (_DC_RD, _DC_RD): -beta * hD2}
    return (u_N, g_N, H_N), (u_D, g_D, H_D)


def _data_constrained_softmax(theta, F, second_order=False):
    (u_N, g_N, H_N), (u_D, g_D, H_D) = _data_constrained_terms(theta, F, second_order)
    value, P = _log_sum_exp([jnp.broadcast_to(jnp.log(theta[_DC_E]), u_N.shape), u_N, u_D])
    return value, P, ((g_N, H_N), (g_D, H_D))


def _data_constrained_fn(theta, F):
    return _data_constrained_softmax(theta, F)[0]


def _data_constrained_jac(theta, F):
    pred, P, ((g_N, _), (g_D, _)) = _data_constrained_softmax(theta, F)
    E = theta[_DC_E]
    cols = [jnp.zeros_like(pred) for _ in range(7)]
    cols[_DC_E] = P[0] / jnp.where(E > 0, E, 1.0)  # E held at 0: P = 0, a 0 column, not 0/0
    for Pt, g in ((P[1], g_N), (P[2], g_D)):
        for i, v in g.items():
            cols[i] = cols[i] + Pt * v
    return pred, jnp.stack(cols, axis=-1)


def _data_constrained_curvature_parts(theta, F):
    # log E adds nothing: its H + g g^T is -1/E^2 + 1/E^2.
    _, P, terms = _data_constrained_softmax(theta, F, second_order=True)
    K = {}
    for Pt, (g, H) in zip(P[1:], terms):
        keys = sorted(g)
        for ii, i in enumerate(keys):
            for j in keys[ii:]:
                v = g[i] * g[j] + H.get((i, j), 0.0)
                K[(i, j)] = K.get((i, j), 0.0) + Pt * v
    keys = sorted(K)
    places = [((i, j),) if i == j else ((i, j), (j, i)) for i, j in keys]
    return [K[ij] for ij in keys], _assembler(7, places)


@functools.lru_cache(maxsize=1)
def _data_constrained_points() -> np.ndarray:
    rows = []
    for e, a, b, al, be, rd, rn in itertools.product(
        (0.0, 0.5, 1.0), (0.0, 5.0, 10.0, 15.0, 20.0, 25.0), (0.0, 5.0, 10.0, 15.0, 20.0, 25.0),
        (0.25, 0.5), (0.25, 0.5), (5.0, 15.0, 40.0), (2.0, 5.0, 15.0),
    ):
        rows.append((math.exp(e), a, b, al, be, math.log(rd), math.log(rn)))
    return np.array(rows)


def _data_constrained_grid(F, y):
    return _data_constrained_points().copy()


def make_data_constrained() -> Law:
    return Law(
        name="data_constrained",
        params=("E", "A", "B", "alpha", "beta", "R_D_star", "R_N_star"),
        transforms=("identity", "log", "log", "identity", "identity", "log", "log"),
        inputs=("N", "D", "U"),
        target="loss",
        space="log",
        fit_fn=_data_constrained_fn,
        jacobian=_data_constrained_jac,
        curvature=_curvature_from_parts(_data_constrained_curvature_parts, _data_constrained_jac),
        curvature_parts=_data_constrained_curvature_parts,
        grid=_data_constrained_grid,
        # log(alpha), log(beta) enter N_for(U): keep the exponents away from 0.
        # R_D*, R_N* are repetition half-lives in epochs; past 1e4 the data cannot tell them from
        # infinity, so a fit that runs there ends on the bound and is flagged.
        lower=(0.0, -np.inf, -np.inf, 1e-3, 1e-3, math.log(1e-2), math.log(1e-2)),
        upper=(np.inf, np.inf, np.inf, EXPONENT_MAX, EXPONENT_MAX, math.log(1e4), math.log(1e4)),
        group_grid=constant_grid(_data_constrained_points),
        data_bounds=one_group(_irreducible_floor(7)),
        group_data_bounds=_irreducible_floor(7),
        check_inputs=check_at_most("U", "D", "unique tokens cannot exceed tokens seen"),
        formula=(
            "L = E + A / N_eff^alpha + B / D_eff^beta, D_eff = U + U R_D* (1 - exp(-R_D / R_D*)), "
            "N_eff = U_N + U_N R_N* (1 - exp(-R_N / R_N*)), R_D = max(D/U - 1, 0), "
            "U_N = min(N, N_for(U)), R_N = max(N/U_N - 1, 0)"
        ),
        reference="Muennighoff et al. 2023, 'Scaling Data-Constrained Language Models', arXiv:2305.16264",
    )


