"""Batched robust Levenberg-Marquardt / Newton solver over [problems x starts x points].

Each problem minimises ``f(theta) = sum_i w_i rho(r_i(theta))`` with ``r = law(theta, F) - y``
(in the law's fit space), ``w`` the problem's weights (bootstrap counts, user weights, and 0 for
padding), and ``rho`` a robust objective (``objectives``). Problems share ``F`` and ``y``; only
their weights and start points differ, so a whole bootstrap ensemble is one array program.

The iteration (per problem and start, all in lock-step under ``vmap``):

1. IRLS phase: the step solves ``(J^T W_irls J + lam D) s = -g`` with ``W_irls = w psi(r) / r``, the
   curvature of the quadratic majoriser of ``rho``: a reweighted Gauss-Newton step that decreases
   Huber objectives from far away (Holland & Welsch 1977).
2. Newton phase, entered once IRLS steps stall (relative decrease below ``newton_switch``): the
   exact Hessian ``J^T diag(w psi'(r)) J + sum_i w_i psi(r_i) Hess(r_i)``, lightly damped. Huber's
   IRLS converges only linearly on these near-L1 problems (about 0.75 per step on Chinchilla);
   once the set of points inside the quadratic zone is settled, Newton converges in a few steps.
   A Newton step that fails to decrease ``f`` drops the problem back to the IRLS phase.

Steps are accepted only when they decrease ``f`` (a NaN trial is a rejection); the damping ``lam``
shrinks on success and grows on failure (Levenberg 1944, Marquardt 1963). Bounds are handled by
projection with an active set: a parameter at a bound whose gradient points outward is held for
that step. ``lax.while_loop`` runs until every member of the batch is done or ``max_iter``.

Why not L-BFGS or a line search: under ``vmap`` every ``while_loop`` (and each line search) runs
until its slowest batch member is done, so line-search methods batch badly; an LM step is one
small dense solve per member. DESIGN.md records the measurements.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["SolverConfig", "SolveResult", "solve", "objective_values"]


@dataclass(frozen=True)
class SolverConfig:
    """Solver settings (static under ``jit``: changing one recompiles).

    Attributes:
        max_iter: iteration cap per problem; a problem that hits it is flagged not converged.
        ftol: stop when the actual and the predicted relative decrease of ``f`` are both below it.
        xtol: stop when ``max_j |s_j| / max(|theta_j|, 1)`` is below it.
        gtol: stop when ``max_j |g_j| max(|theta_j|, 1)`` is below ``gtol * max(f, tiny)``.
        lam0: initial IRLS damping, relative to the diagonal of the IRLS matrix.
        newton_switch: relative decrease of an accepted IRLS step below which Newton is tried.
        lam_max: damping beyond which the problem is declared stalled.
        bound_tol: a parameter within ``bound_tol * max(1, |bound|)`` of a bound is on it.
    """

    max_iter: int = 200
    ftol: float = 1e-13
    xtol: float = 1e-11
    gtol: float = 1e-10
    lam0: float = 1e-3
    newton_lam0: float = 1e-6
    newton_switch: float = 3e-2
    lam_max: float = 1e10
    bound_tol: float = 1e-8


class SolveResult(NamedTuple):
    """Per-problem results (best start) and per-start results, as JAX arrays.

    ``theta``: [P, p] internal parameters of the best start; ``objective``, ``grad_norm``,
    ``iterations``, ``converged``, ``on_bound``, ``best_start``: [P]; ``*_starts``: [P, S(, p)].
    ``grad_norm`` is ``max_j |g_j| max(|theta_j|, 1)``, the scaled gradient the solver tests.
    """

    theta: jax.Array
    objective: jax.Array
    grad_norm: jax.Array
    iterations: jax.Array
    converged: jax.Array
    on_bound: jax.Array
    best_start: jax.Array
    theta_starts: jax.Array
    objective_starts: jax.Array
    converged_starts: jax.Array
    iterations_starts: jax.Array


class _State(NamedTuple):
    theta: jax.Array
    f: jax.Array
    lam: jax.Array
    lam_newton: jax.Array
    newton: jax.Array
    done: jax.Array
    converged: jax.Array
    k: jax.Array


def _objective(law, objective, theta, F, y, w):
    r = law.fit_fn(theta, F) - y
    v = jnp.sum(w * objective.rho(r))
    return jnp.where(jnp.isfinite(v), v, jnp.inf)


def _derivatives(law, objective, theta, F, y, w):
    """Objective, gradient, IRLS matrix, Newton matrix at ``theta``."""
    pred, J = law.value_and_jacobian(theta, F)
    r = pred - y
    f = jnp.sum(w * objective.rho(r))
    c = w * objective.psi(r)
    g = J.T @ c
    A_irls = (J * (w * objective.irls_weight(r))[:, None]).T @ J
    A_newton = (J * (w * objective.psi_prime(r))[:, None]).T @ J + law.curvature_term(theta, F, c)
    return f, g, A_irls, A_newton


def _scaled_max(v, theta):
    return jnp.max(jnp.abs(v) * jnp.maximum(jnp.abs(theta), 1.0))


def _init_state(law, objective, config, F, y, w, lower, upper, theta0) -> _State:
    theta0 = jnp.clip(theta0, lower, upper)
    f0 = _objective(law, objective, theta0, F, y, w)
    return _State(
        theta=theta0,
        f=f0,
        lam=jnp.asarray(config.lam0, theta0.dtype),
        lam_newton=jnp.asarray(config.newton_lam0, theta0.dtype),
        newton=jnp.asarray(False),
        done=~jnp.isfinite(f0),
        converged=jnp.asarray(False),
        k=jnp.asarray(0, jnp.int32),
    )


def _iterate(law, objective, config, F, y, w, lower, upper, fixed, s: _State) -> _State:
    """One damped IRLS or Newton step for one problem and start (see module docstring)."""
    p = s.theta.shape[0]
    dtype = s.theta.dtype
    tiny = jnp.finfo(dtype).tiny
    f, g, A_irls, A_newton = _derivatives(law, objective, s.theta, F, y, w)
    # Hold parameters that are fixed, or at a bound with the gradient pointing outward.
    held = fixed | ((s.theta <= lower) & (g > 0)) | ((s.theta >= upper) & (g < 0))
    keep = ~held
    g_free = jnp.where(keep, g, 0.0)
    d_irls = jnp.diag(A_irls)
    scale = jnp.maximum(d_irls, 1e-12 * jnp.max(d_irls) + tiny)
    lam = jnp.where(s.newton, s.lam_newton, s.lam)
    A_model = jnp.where(s.newton, A_newton, A_irls)
    A = jnp.where(keep[:, None] & keep[None, :], A_model + lam * jnp.diag(scale), jnp.eye(p, dtype=dtype))
    step = jnp.linalg.solve(A, -g_free)
    step = jnp.where(keep & jnp.isfinite(step), step, 0.0)
    trial = jnp.clip(s.theta + step, lower, upper)
    step = trial - s.theta
    f_trial = _objective(law, objective, trial, F, y, w)
    accept = f_trial < f
    f_new = jnp.where(accept, f_trial, f)
    fscale = jnp.maximum(f, tiny)
    rel = (f - f_new) / fscale

    # Convergence: tiny predicted and actual decrease, or a tiny step, taken with little damping
    # (a step strangled by a large lam says nothing); or a tiny scaled gradient.
    predicted = -(g_free @ step) - 0.5 * step @ (A_model @ step)
    small_f = (jnp.abs(f - f_trial) <= config.ftol * fscale) & (jnp.abs(predicted) <= config.ftol * fscale)
    small_x = jnp.max(jnp.abs(step) / jnp.maximum(jnp.abs(s.theta), 1.0)) <= config.xtol
    small_g = _scaled_max(g_free, s.theta) <= config.gtol * fscale
    converged = small_g | ((small_f | small_x) & (lam <= 1.0))
    stalled = jnp.maximum(s.lam, s.lam_newton) >= config.lam_max

    lam_irls = jnp.where(accept, jnp.maximum(s.lam * 0.3, 1e-12), s.lam * 10.0)
    lam_newton = jnp.where(accept, jnp.maximum(s.lam_newton * 0.1, 1e-15), s.lam_newton * 10.0)
    new = _State(
        theta=jnp.where(accept, trial, s.theta),
        f=f_new,
        lam=jnp.where(s.newton, s.lam, lam_irls),
        lam_newton=jnp.where(s.newton, lam_newton, s.lam_newton),
        # Newton is tried once IRLS stalls, and kept while it keeps decreasing f.
        newton=jnp.where(s.newton, accept, accept & (rel < config.newton_switch)),
        done=converged | stalled,
        converged=converged,
        k=s.k + 1,
    )
    # Members already done stay frozen while the rest of the batch iterates.
    return jax.tree.map(lambda old, upd: jnp.where(s.done, old, upd), s, new)


def _run_batch(law, objective, config, F, y, W, lower, upper, fixed, theta0) -> _State:
    """``theta0`` [P, S, p], ``W`` [P, n] -> final states [P, S]."""
    per_start = lambda fn: jax.vmap(lambda w, t: jax.vmap(lambda t1: fn(w, t1))(t))
    init = per_start(lambda w, t: _init_state(law, objective, config, F, y, w, lower, upper, t))(W, theta0)
    step = per_start(lambda w, s: _iterate(law, objective, config, F, y, w, lower, upper, fixed, s))

    def cond(s):
        return jnp.any(~s.done) & (jnp.max(s.k) < config.max_iter)

    return jax.lax.while_loop(cond, lambda s: step(W, s), init)


@partial(jax.jit, static_argnames=("law", "objective", "config"))
def solve(law, objective, config: SolverConfig, F, y, W, theta0, lower, upper, fixed) -> SolveResult:
    """Minimise every (problem, start) pair and keep the best start per problem.

    Args:
        law: a :class:`~scalinglaws.laws.Law` (static).
        objective: an objective from :mod:`~scalinglaws.objectives` (static).
        config: :class:`SolverConfig` (static).
        F: [n, k] features, shared by all problems. Padded rows must be finite.
        y: [n] targets in fit space (``log y`` for log-space laws).
        W: [P, n] non-negative weights per problem (0 drops a point: padding, resampling).
        theta0: [P, S, p] internal start points.
        lower, upper: [p] internal bounds; fixed: [p] bool, parameters held at their start value.
    """
    final = _run_batch(law, objective, config, F, y, W, lower, upper, fixed, theta0)
    theta_s, f_s = final.theta, final.f
    conv_s = final.converged
    f_rank = jnp.where(jnp.isfinite(f_s), f_s, jnp.inf)
    best = jnp.argmin(f_rank, axis=1)
    take = lambda a: jnp.take_along_axis(a, best[:, None], axis=1)[:, 0]
    theta = jnp.take_along_axis(theta_s, best[:, None, None], axis=1)[:, 0, :]
    objective_best = take(f_s)

    # Gradient at the chosen optimum (free, inward components only), for the diagnostics.
    def grad_norm(w, th):
        f, g, _, _ = _derivatives(law, objective, th, F, y, w)
        held = fixed | ((th <= lower) & (g > 0)) | ((th >= upper) & (g < 0))
        return _scaled_max(jnp.where(held, 0.0, g), th)

    gn = jax.vmap(grad_norm)(W, theta)
    span = jnp.maximum(1.0, jnp.abs(jnp.where(jnp.isfinite(lower), lower, 0.0)))
    span_u = jnp.maximum(1.0, jnp.abs(jnp.where(jnp.isfinite(upper), upper, 0.0)))
    at_lo = jnp.isfinite(lower) & (theta <= lower + config.bound_tol * span)
    at_hi = jnp.isfinite(upper) & (theta >= upper - config.bound_tol * span_u)
    on_bound = jnp.any((at_lo | at_hi) & ~fixed, axis=-1)
    return SolveResult(
        theta=theta,
        objective=objective_best,
        grad_norm=gn,
        iterations=take(final.k),
        converged=take(conv_s),
        on_bound=on_bound,
        best_start=best.astype(jnp.int32),
        theta_starts=theta_s,
        objective_starts=f_s,
        converged_starts=conv_s,
        iterations_starts=final.k,
    )


@partial(jax.jit, static_argnames=("law", "objective"))
def objective_values(law, objective, F, y, w, thetas):
    """Objective at many internal points ``thetas`` [G, p] for one weight vector ``w`` [n]."""
    return jax.vmap(lambda t: _objective(law, objective, t, F, y, w))(thetas)


def top_k_starts(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` lowest finite objective values (stable order)."""
    v = np.where(np.isfinite(values), values, np.inf)
    k = min(k, len(v))
    return np.argsort(v, kind="stable")[:k]
