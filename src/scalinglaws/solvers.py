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
3. Continuation (smoothable objectives only): stage ``k`` of ``K`` solves with Huber's quadratic
   zone widened by ``smoothing_factor ** (K - 1 - k)``; each stage starts from the last one's
   solution, and only the final stage is the real objective.

Steps are accepted only when they decrease ``f`` (a NaN trial is a rejection); the damping ``lam``
shrinks on success and grows on failure (Levenberg 1944, Marquardt 1963), scaled by the diagonal
of ``J^T diag(w) J``. Bounds are handled by projection with an active set: a parameter at a bound
whose gradient points outward is held for that step.

One pass over the data per iteration: the objective, gradient and both matrices are computed
together at the trial point (one variadic reduction), and kept if the step is accepted.
``lax.while_loop`` runs until every member of the batch is done or ``max_iter``.

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

__all__ = ["SolverConfig", "SolveResult", "solve", "objective_values", "top_k_starts"]


@dataclass(frozen=True)
class SolverConfig:
    """Solver settings (static under ``jit``: changing one recompiles).

    Attributes:
        max_iter: iteration cap per problem; a problem that hits it is flagged not converged.
        ftol: stop when the actual and the predicted relative decrease of ``f`` are both below it.
        xtol: stop when ``max_j |s_j| / max(|theta_j|, 1)`` is below it.
        gtol: stop when ``max_j |g_j| max(|theta_j|, 1)`` is below ``gtol * max(f, tiny)``.
        lam0, newton_lam0: initial damping of the IRLS and the Newton phase.
        newton_switch: relative decrease of an accepted IRLS step below which Newton is tried.
        lam_max: damping beyond which the problem is declared stalled.
        bound_tol: a parameter within ``bound_tol * max(1, |bound|)`` of a bound is on it.
        smoothing_stages, smoothing_factor: continuation for smoothable objectives (Huber).
        stage_tol: the (looser) ftol/xtol/gtol that ends an intermediate stage.
        abandon_after, abandon_ratio: racing between the starts of one problem. From iteration
            ``abandon_after`` on, a start whose objective exceeds ``abandon_ratio`` times the best
            start's current objective is abandoned (done, not converged, counted in the result).
            Local descent only ever lowers ``f``, so such a start can still win only by falling
            below its rival's end point from far above; on Chinchilla none of the abandoned
            starts would have (``benchmarks/``). ``abandon_ratio=0`` runs every start to the end.
        retry_factor: a point fit or bootstrap replicate that failed to converge is solved again
            with ``retry_factor * max_iter`` iterations from more starts (``fitting``,
            ``bootstrap.retry_failed``); 1 or less turns the retry off.
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
    smoothing_stages: int = 1
    smoothing_factor: float = 10.0
    stage_tol: float = 1e-6
    abandon_after: int = 40
    abandon_ratio: float = 2.0
    retry_factor: int = 5


class SolveResult(NamedTuple):
    """Per-problem results (best start) and per-start results, as JAX arrays.

    ``theta``: [P, p] internal parameters of the best start; ``objective``, ``grad_norm``,
    ``iterations``, ``converged``, ``on_bound``, ``best_start``: [P]; ``*_starts``: [P, S(, p)].
    ``grad_norm`` is ``max_j |g_j| max(|theta_j|, 1)`` over free parameters, the scaled gradient
    the solver tests. Objectives are always the real (unsmoothed) objective.
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
    abandoned_starts: jax.Array


class Terms(NamedTuple):
    """Everything one iteration needs at a point: f, gradient, the step matrix (the IRLS or the
    Newton matrix, whichever the next step uses) and the damping scale."""

    f: jax.Array
    g: jax.Array
    A: jax.Array
    scale: jax.Array


class _State(NamedTuple):
    theta: jax.Array
    terms: Terms
    lam: jax.Array
    lam_newton: jax.Array
    newton: jax.Array
    stage: jax.Array
    refresh: jax.Array
    done: jax.Array
    converged: jax.Array
    abandoned: jax.Array
    k: jax.Array


def _sum_all(columns):
    """Sum each [n] column in ONE pass (a variadic reduce): XLA otherwise emits one loop per sum."""
    zeros = tuple(jnp.zeros((), c.dtype) for c in columns)
    return jax.lax.reduce(tuple(columns), zeros, lambda a, b: tuple(x + y for x, y in zip(a, b)), (0,))


def _symmetric(p, upper_entries, dtype):
    iu = np.triu_indices(p)
    M = jnp.zeros((p, p), dtype).at[iu].set(jnp.stack(upper_entries))
    return M + jnp.triu(M, 1).T


def compute_terms(law, objective, theta, F, y, w, smooth=1.0, newton=False) -> Terms:
    """Objective, gradient, step matrix and damping scale, in one pass over the data.

    ``newton`` (a traced bool) picks the matrix: the exact Hessian
    ``J^T diag(w psi') J + sum_i w_i psi_i Hess(pred_i)``, or the IRLS matrix
    ``J^T diag(w psi / r) J``. Choosing per lane with a weight vector, rather than reducing both,
    keeps the pass at one matrix's worth of sums (33 instead of 48 for Chinchilla: 25% faster).
    """
    p = theta.shape[0]
    pred, J = law.value_and_jacobian(theta, F)
    r = pred - y
    rho = objective.rho(r, smooth)
    c = w * objective.psi(r, smooth)
    # Newton: J^T diag(w psi' - c) J here, plus sum c (M^T diag(P) M) from the curvature parts.
    v = jnp.where(newton, w * objective.psi_prime(r, smooth) - c, w * objective.irls_weight(r, smooth))
    cols = [J[:, j] for j in range(p)]
    iu = list(zip(*np.triu_indices(p)))
    columns = [jnp.where(w > 0, w * rho, 0.0)]  # a weight of 0 drops the point, even a NaN one
    columns += [c * cj for cj in cols]
    columns += [v * cols[i] * cols[j] for i, j in iu]
    columns += [w * cj * cj for cj in cols]
    parts = law.curvature_parts(theta, F) if law.curvature_parts is not None else None
    if parts is not None:
        curv_cols, assemble = parts
        columns += [c * k for k in curv_cols]
    sums = _sum_all(columns)
    f = sums[0]
    g = jnp.stack(sums[1 : 1 + p])
    m = len(iu)
    A = _symmetric(p, sums[1 + p : 1 + p + m], theta.dtype)
    scale = jnp.stack(sums[1 + p + m : 1 + 2 * p + m])
    if parts is not None:
        curvature = assemble(sums[1 + 2 * p + m :])
    else:
        # J^T diag(-c) J is already in A; add sum_i c_i Hess(pred_i) + J^T diag(c) J.
        curvature = law.curvature_term(theta, F, c) + (J * c[:, None]).T @ J
    A = A + jnp.where(newton, curvature, jnp.zeros_like(curvature))
    f = jnp.where(jnp.isfinite(f), f, jnp.inf)
    return Terms(f, g, A, scale)


def _objective(law, objective, theta, F, y, w, smooth=1.0):
    r = law.fit_fn(theta, F) - y
    v = jnp.sum(jnp.where(w > 0, w * objective.rho(r, smooth), 0.0))
    return jnp.where(jnp.isfinite(v), v, jnp.inf)


def _n_stages(objective, config) -> int:
    return max(1, config.smoothing_stages) if getattr(objective, "smoothable", False) else 1


def _smoothing(objective, config, stage, dtype):
    last = _n_stages(objective, config) - 1
    return jnp.asarray(config.smoothing_factor, dtype) ** (last - stage)


def _scaled_max(v, theta):
    return jnp.max(jnp.abs(v) * jnp.maximum(jnp.abs(theta), 1.0))


def _held(theta, g, lower, upper, fixed):
    """Parameters that are fixed, or at a bound with the gradient pointing outward."""
    return fixed | ((theta <= lower) & (g > 0)) | ((theta >= upper) & (g < 0))


WARM = 2**30
"""``stage0 >= WARM`` marks a warm start (already at an optimum of a nearby problem, such as a
bootstrap replicate started from the full-data fit): it begins at the real objective, in the
Newton phase, where a few steps converge it; IRLS from there would crawl at its linear rate."""


def fresh_state(objective, config, old: _State, theta0, stage0) -> _State:
    """A slot restarted at ``theta0`` without evaluating anything: the next iteration is a
    refresh (zero step, terms evaluated and accepted), which is the initial evaluation."""
    dtype = theta0.dtype
    return old._replace(
        theta=theta0,
        lam=jnp.asarray(config.lam0, dtype),
        lam_newton=jnp.asarray(config.newton_lam0, dtype),
        newton=stage0 >= WARM,
        stage=jnp.minimum(stage0, _n_stages(objective, config) - 1).astype(jnp.int32),
        refresh=jnp.asarray(True),
        done=jnp.asarray(False),
        converged=jnp.asarray(False),
        abandoned=jnp.asarray(False),
        k=jnp.asarray(0, jnp.int32),
        terms=old.terms._replace(f=jnp.asarray(jnp.inf, dtype)),
    )


def _init_state(law, objective, config, F, y, w, lower, upper, theta0, stage0) -> _State:
    theta0 = jnp.clip(theta0, lower, upper)
    warm = stage0 >= WARM
    stage0 = jnp.minimum(stage0, _n_stages(objective, config) - 1).astype(jnp.int32)
    dtype = theta0.dtype
    terms = compute_terms(law, objective, theta0, F, y, w, _smoothing(objective, config, stage0, dtype), warm)
    return _State(
        theta=theta0,
        terms=terms,
        lam=jnp.asarray(config.lam0, dtype),
        lam_newton=jnp.asarray(config.newton_lam0, dtype),
        newton=jnp.asarray(warm),
        stage=stage0,
        refresh=jnp.asarray(False),
        done=~jnp.isfinite(terms.f),
        converged=jnp.asarray(False),
        abandoned=jnp.asarray(False),
        k=jnp.asarray(0, jnp.int32),
    )


def _iterate(law, objective, config, F, y, w, lower, upper, fixed, s: _State) -> _State:
    """One damped IRLS or Newton step for one problem and start (see module docstring).

    ``s.newton`` says which matrix ``s.terms.A`` holds and so which step this is. The trial
    point's terms are computed for the step after: Newton if this is a Newton step, or an IRLS
    step whose model predicts a small relative decrease (the switch); IRLS otherwise. A rejected
    Newton step re-evaluates the current point as IRLS (a refresh: no step) and carries on there.
    """
    p = s.theta.shape[0]
    dtype = s.theta.dtype
    tiny = jnp.finfo(dtype).tiny
    T = s.terms
    f = T.f
    last_stage = s.stage >= _n_stages(objective, config) - 1
    held = _held(s.theta, T.g, lower, upper, fixed)
    keep = ~held
    g_free = jnp.where(keep, T.g, 0.0)
    scale = jnp.maximum(T.scale, 1e-12 * jnp.max(T.scale) + tiny)
    lam = jnp.where(s.newton, s.lam_newton, s.lam)
    A = jnp.where(keep[:, None] & keep[None, :], T.A + lam * jnp.diag(scale), jnp.eye(p, dtype=dtype))
    step = jnp.linalg.solve(A, -g_free)
    step = jnp.where(keep & jnp.isfinite(step) & ~s.refresh, step, 0.0)
    trial = jnp.clip(s.theta + step, lower, upper)
    step = trial - s.theta
    predicted = -(g_free @ step) - 0.5 * step @ (T.A @ step)
    fscale = jnp.maximum(f, tiny)
    # A refresh (new stage, restarted slot, Newton given up) re-evaluates in place as s.newton says.
    trial_newton = jnp.where(s.refresh, s.newton, s.newton | (predicted < config.newton_switch * fscale))
    T_trial = compute_terms(law, objective, trial, F, y, w, _smoothing(objective, config, s.stage, dtype),
                            trial_newton)
    accept = (T_trial.f < f) | s.refresh

    # Convergence: tiny predicted and actual decrease, or a tiny step, taken with little damping
    # (a step strangled by a large lam says nothing); or a tiny scaled gradient.
    # Tolerances below what the dtype resolves are raised to a floor (float32 runs).
    eps = float(jnp.finfo(dtype).eps)
    ftol = jnp.where(last_stage, max(config.ftol, 10 * eps), config.stage_tol)
    xtol = jnp.where(last_stage, max(config.xtol, 100 * eps), config.stage_tol)
    gtol = jnp.where(last_stage, max(config.gtol, 100 * eps), config.stage_tol)
    small_f = (jnp.abs(f - T_trial.f) <= ftol * fscale) & (jnp.abs(predicted) <= ftol * fscale)
    small_x = jnp.max(jnp.abs(step) / jnp.maximum(jnp.abs(s.theta), 1.0)) <= xtol
    small_g = _scaled_max(g_free, s.theta) <= gtol * fscale
    stage_converged = (small_g | ((small_f | small_x) & (lam <= 1.0))) & ~s.refresh
    stalled = jnp.maximum(s.lam, s.lam_newton) >= config.lam_max
    converged = stage_converged & last_stage
    # An intermediate stage only supplies a start for the next: move on when it settles or stalls.
    advance = (stage_converged | stalled) & ~last_stage
    # A rejected Newton step falls back to IRLS (a refresh: one pass to get its matrix). Retrying
    # Newton with more damping first was measured: warm starts save 2 iterations, but starts
    # from the grid take twice as many and the bootstrap is no faster.
    give_up_newton = s.newton & ~accept & ~converged

    lam_irls = jnp.where(accept, jnp.maximum(s.lam * 0.3, 1e-12), s.lam * 10.0)
    lam_newton = jnp.where(accept, jnp.maximum(s.lam_newton * 0.1, 1e-15), s.lam_newton * 10.0)
    lam0 = jnp.asarray(config.lam0, dtype)
    newton_next = jnp.where(accept, trial_newton, s.newton) & ~give_up_newton & ~advance
    new = _State(
        theta=jnp.where(accept, trial, s.theta),
        terms=jax.tree.map(lambda a, b: jnp.where(accept, a, b), T_trial, T),
        # A new smoothing stage starts afresh: IRLS, initial damping, terms refreshed.
        lam=jnp.where(advance, lam0, jnp.where(s.newton | s.refresh, s.lam, lam_irls)),
        lam_newton=jnp.where(advance, config.newton_lam0,
                             jnp.where(s.newton & ~s.refresh, lam_newton, s.lam_newton)),
        newton=newton_next,
        stage=s.stage + advance.astype(jnp.int32),
        refresh=advance | give_up_newton,
        done=converged | (stalled & last_stage),
        converged=converged,
        abandoned=s.abandoned,
        k=s.k + 1,
    )
    # Members already done stay frozen while the rest of the batch iterates.
    return jax.tree.map(lambda old, upd: jnp.where(s.done, old, upd), s, new)


def _run_batch(law, objective, config, F, y, W, lower, upper, fixed, theta0, stage0) -> _State:
    """``theta0`` [P, S, p], ``stage0`` [P, S], ``W`` [P, n] -> final states [P, S]."""
    init_one = lambda w, t, st: _init_state(law, objective, config, F, y, w, lower, upper, t, st)
    step_one = lambda w, s: _iterate(law, objective, config, F, y, w, lower, upper, fixed, s)
    init = jax.vmap(lambda w, t, st: jax.vmap(lambda t1, st1: init_one(w, t1, st1))(t, st))(W, theta0, stage0)
    step = jax.vmap(lambda w, s: jax.vmap(lambda s1: step_one(w, s1))(s))
    last = _n_stages(objective, config) - 1

    def race(s: _State) -> _State:
        # Abandon starts far behind the best start of their problem (real objective only).
        f = jnp.where(s.stage >= last, s.terms.f, jnp.inf)
        best = jnp.min(f, axis=1, keepdims=True)
        behind = (s.stage >= last) & (s.terms.f > config.abandon_ratio * best) & (s.k >= config.abandon_after)
        drop = behind & ~s.done
        return s._replace(done=s.done | drop, abandoned=s.abandoned | drop)

    def body(s):
        s = step(W, s)
        return race(s) if config.abandon_ratio > 0 else s

    def cond(s):
        return jnp.any(~s.done) & (jnp.max(s.k) < config.max_iter)

    return jax.lax.while_loop(cond, body, init)


@partial(jax.jit, static_argnames=("law", "objective", "config"))
def solve(law, objective, config: SolverConfig, F, y, W, theta0, lower, upper, fixed, stage0=None) -> SolveResult:
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
        stage0: [P, S] int, the smoothing stage each start begins at (default 0, the widest);
            ``WARM`` (or more) for a warm start (see ``WARM``).
    """
    if stage0 is None:
        stage0 = jnp.zeros(theta0.shape[:2], jnp.int32)
    final = _run_batch(law, objective, config, F, y, W, lower, upper, fixed, theta0, stage0)
    theta_s = final.theta
    # The real objective at every end point: a start stopped by max_iter in an intermediate
    # smoothing stage holds a smoothed value, which must neither be reported nor ranked.
    f_s = jax.vmap(lambda w, ts: jax.vmap(lambda t: _objective(law, objective, t, F, y, w))(ts))(W, theta_s)
    best = jnp.argmin(f_s, axis=1)
    take = lambda a: jnp.take_along_axis(a, best[:, None], axis=1)[:, 0]
    theta = jnp.take_along_axis(theta_s, best[:, None, None], axis=1)[:, 0, :]

    def grad_norm(w, th):
        g = compute_terms(law, objective, th, F, y, w).g
        return _scaled_max(jnp.where(_held(th, g, lower, upper, fixed), 0.0, g), th)

    gn = jax.vmap(grad_norm)(W, theta)
    return SolveResult(
        theta=theta,
        objective=take(f_s),
        grad_norm=gn,
        iterations=take(final.k),
        converged=take(final.converged),
        on_bound=on_bound(theta, lower, upper, fixed, config.bound_tol),
        best_start=best.astype(jnp.int32),
        theta_starts=theta_s,
        objective_starts=f_s,
        converged_starts=final.converged,
        iterations_starts=final.k,
        abandoned_starts=final.abandoned,
    )


def on_bound(theta, lower, upper, fixed, bound_tol):
    """[...] bool: a free parameter within ``bound_tol * max(1, |bound|)`` of a finite bound."""
    span_lo = jnp.maximum(1.0, jnp.abs(jnp.where(jnp.isfinite(lower), lower, 0.0)))
    span_hi = jnp.maximum(1.0, jnp.abs(jnp.where(jnp.isfinite(upper), upper, 0.0)))
    at_lo = jnp.isfinite(lower) & (theta <= lower + bound_tol * span_lo)
    at_hi = jnp.isfinite(upper) & (theta >= upper - bound_tol * span_hi)
    return jnp.any((at_lo | at_hi) & ~fixed, axis=-1)


def bound_hits(theta, lower, upper, fixed, bound_tol) -> tuple[np.ndarray, np.ndarray]:
    """numpy ``(at_lower, at_upper)`` [..., p]: which free parameters sit on which finite bound
    (the per-parameter form of :func:`on_bound`, same tolerance)."""
    theta = np.asarray(theta, dtype=np.float64)
    lower, upper = np.asarray(lower, np.float64), np.asarray(upper, np.float64)
    span_lo = np.maximum(1.0, np.abs(np.where(np.isfinite(lower), lower, 0.0)))
    span_hi = np.maximum(1.0, np.abs(np.where(np.isfinite(upper), upper, 0.0)))
    free = ~np.asarray(fixed, bool)
    at_lo = np.isfinite(lower) & (theta <= lower + bound_tol * span_lo) & free
    at_hi = np.isfinite(upper) & (theta >= upper - bound_tol * span_hi) & free
    return at_lo, at_hi


@partial(jax.jit, static_argnames=("law", "objective"))
def objective_values(law, objective, F, y, w, thetas):
    """Objective at many internal points ``thetas`` [G, p] for one weight vector ``w`` [n]."""
    return jax.vmap(lambda t: _objective(law, objective, t, F, y, w))(thetas)


def bucket_points(n: int, smallest: int = 8) -> int:
    """Rows padded up to a size bucket (2^k times 1, 1.25, 1.5 or 1.75): data sets of nearby sizes
    share one compiled program, at most 25% of the rows are padding (weight 0, never counted)."""
    n = max(int(n), smallest)
    base = 1 << (n.bit_length() - 1)
    for m in (1.0, 1.25, 1.5, 1.75, 2.0):
        if base * m >= n:
            return int(base * m)
    return 2 * base


def top_k_starts(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` lowest finite objective values (stable order)."""
    v = np.where(np.isfinite(values), values, np.inf)
    k = min(k, len(v))
    return np.argsort(v, kind="stable")[:k]
