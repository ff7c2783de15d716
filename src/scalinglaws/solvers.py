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
small dense solve per member. docs/performance.md records the measurements.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["SolverConfig", "StopReason", "SolveResult", "solve", "stream", "objective_values",
           "top_k_starts", "stop_reason_counts"]


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
            ``abandon_after`` on, a start (at the real objective) whose objective exceeds
            ``abandon_ratio`` times the lowest objective another start of the same problem has
            converged to is abandoned (done, not converged, stop reason ``ABANDONED``). Local
            descent only ever lowers ``f``, so such a start can win only by falling below a
            finished optimum from more than twice as high. Measured on Chinchilla (4,000
            bootstrap replicates x 3 grid starts run to convergence): none of the abandoned starts
            would have won, and running them costs 8x the time (``benchmarks/bench_bootstrap.py``);
            on the hard-fit suite the point fits racing so match a 128-start scipy reference
            (``benchmarks/bench_hard.py``). ``abandon_ratio=0`` runs every start to the end. The
            point fit and the bootstrap race by the same rule (both run on :func:`stream`).
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
    abandon_after: int = 6
    abandon_ratio: float = 2.0
    retry_factor: int = 5


class StopReason(enum.IntEnum):
    """Why a (problem, start) stopped: the first four are convergence, the rest are not."""

    RUNNING = 0  #: not stopped (never in a result)
    CONVERGED_F = 1  #: actual and predicted relative decrease below ``ftol``
    CONVERGED_STEP = 2  #: scaled step below ``xtol``
    CONVERGED_GRADIENT = 3  #: scaled gradient below ``gtol``
    ON_BOUND = 4  #: converged (any test) with a free parameter held on a bound
    ITERATION_CAP = 5  #: ``max_iter`` reached
    STALLED = 6  #: damping beyond ``lam_max``: no step decreases ``f``
    ABANDONED = 7  #: raced off: far behind another start of its problem (``abandon_ratio``)
    NOT_FINITE = 8  #: the objective is not finite at the start

    @property
    def label(self) -> str:
        return _STOP_LABELS[self]

    @property
    def converged(self) -> bool:
        return bool(is_converged(self))


def is_converged(reason):
    """Whether stop reason codes (an int, numpy or JAX array) are convergence: 1 to 4."""
    return (reason >= StopReason.CONVERGED_F) & (reason <= StopReason.ON_BOUND)


_STOP_LABELS = {
    StopReason.RUNNING: "running",
    StopReason.CONVERGED_F: "converged: f",
    StopReason.CONVERGED_STEP: "converged: step",
    StopReason.CONVERGED_GRADIENT: "converged: gradient",
    StopReason.ON_BOUND: "converged: on a bound",
    StopReason.ITERATION_CAP: "iteration cap",
    StopReason.STALLED: "stalled",
    StopReason.ABANDONED: "abandoned",
    StopReason.NOT_FINITE: "not finite at start",
}


def stop_reason_counts(reasons) -> dict[str, int]:
    """``{label: count}`` of an array of :class:`StopReason` codes (labels with a zero count left out)."""
    codes, counts = np.unique(np.asarray(reasons).ravel(), return_counts=True)
    return {StopReason(int(c)).label: int(k) for c, k in zip(codes, counts)}


class SolveResult(NamedTuple):
    """Per-problem results (best start) and per-start results, as JAX arrays.

    ``theta``: [P, p] internal parameters of the best start; ``objective``, ``grad_norm``,
    ``iterations``, ``converged``, ``on_bound``, ``best_start``, ``stop_reason``: [P];
    ``*_starts``: [P, S(, p)]. ``grad_norm`` is ``max_j |g_j| max(|theta_j|, 1)`` over free
    parameters, the scaled gradient the solver tests. Objectives are always the real
    (unsmoothed) objective. ``stop_reason`` holds :class:`StopReason` codes.
    """

    theta: jax.Array
    objective: jax.Array
    grad_norm: jax.Array
    iterations: jax.Array
    converged: jax.Array
    on_bound: jax.Array
    best_start: jax.Array
    stop_reason: jax.Array
    theta_starts: jax.Array
    objective_starts: jax.Array
    converged_starts: jax.Array
    iterations_starts: jax.Array
    abandoned_starts: jax.Array
    stop_reason_starts: jax.Array


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
    reason: jax.Array  # StopReason code; converged is is_converged(reason)
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
        reason=jnp.asarray(StopReason.RUNNING, jnp.int32),
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
        reason=jnp.where(jnp.isfinite(terms.f), StopReason.RUNNING, StopReason.NOT_FINITE).astype(jnp.int32),
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
    # A restarted slot whose start point is not finite has nothing to descend from.
    not_finite = s.refresh & ~jnp.isfinite(T_trial.f)
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
    theta_next = jnp.where(accept, trial, s.theta)
    # Which test; a convergence on a bound is told apart where the result is filed (``stream``).
    why_converged = jnp.where(small_g, StopReason.CONVERGED_GRADIENT,
                              jnp.where(small_f, StopReason.CONVERGED_F, StopReason.CONVERGED_STEP))
    reason = jnp.where(converged, why_converged,
                       jnp.where(stalled & last_stage, StopReason.STALLED,
                                 jnp.where(not_finite, StopReason.NOT_FINITE, StopReason.RUNNING)))
    new = _State(
        theta=theta_next,
        terms=jax.tree.map(lambda a, b: jnp.where(accept, a, b), T_trial, T),
        # A new smoothing stage starts afresh: IRLS, initial damping, terms refreshed.
        lam=jnp.where(advance, lam0, jnp.where(s.newton | s.refresh, s.lam, lam_irls)),
        lam_newton=jnp.where(advance, config.newton_lam0,
                             jnp.where(s.newton & ~s.refresh, lam_newton, s.lam_newton)),
        newton=newton_next,
        stage=s.stage + advance.astype(jnp.int32),
        refresh=advance | give_up_newton,
        done=converged | (stalled & last_stage) | not_finite,
        reason=reason.astype(jnp.int32),
        k=s.k + 1,
    )
    # Members already done stay frozen while the rest of the batch iterates.
    return jax.tree.map(lambda old, upd: jnp.where(s.done, old, upd), s, new)


class _Stream(NamedTuple):
    """A pool of ``B`` solver slots working through a queue of (problem, start) tasks.

    Per slot: solver state, task id (-1 when free) and weights. Per task (``[T]``, task ``t`` =
    start ``t // P`` of problem ``t % P``): the filed results. Per problem (``[P]``): the lowest
    objective any of its starts has converged to, which its other starts race against.
    """

    state: _State
    task: jax.Array
    W: jax.Array
    next_task: jax.Array
    theta: jax.Array
    reason: jax.Array
    iterations: jax.Array
    grad_norm: jax.Array
    on_bound: jax.Array
    best_f: jax.Array


def stream(law, objective, config: SolverConfig, F, y, W, theta0, stage0, lower, upper, fixed, n_valid=None,
           slots: int | None = None) -> SolveResult:
    """The one solve driver (traceable; :func:`solve` jits it): every (problem, start) task run
    to its stop through a pool of ``slots`` solver slots, then the best start of each problem.

    Tasks are handed out start-major: every problem's first start, then every problem's second,
    and so on; so when the first start is a warm one (a bootstrap replicate started from the
    full-data optimum), its optimum is known by the time the grid starts run and race against
    it (``config.abandon_after``, ``abandon_ratio``). Each iteration refills free slots from the
    queue (a refilled slot's first iteration is its initial evaluation), takes one solver step
    on every slot, stops slots at ``config.max_iter`` or raced off, and files the results of the
    slots that finished. A finished start stops costing work at once, which a plain vmap over
    every task would spend until the slowest was done. With ``slots`` at least the number of
    tasks (the default), every task runs at once.

    Args:
        W: [P, n] weights per problem; theta0: [P, S, p] starts; stage0: [P, S] (``WARM`` for a
            warm start); F, y, lower, upper, fixed: as :func:`solve`.
        n_valid: only the first ``n_valid`` problems are real (a traced int: a block padded to a
            bucket size reuses the program); the others are never solved and report ``inf``.
        slots: solver slots (static).
    """
    P, S, p = theta0.shape
    T = P * S
    B = T if slots is None else min(int(slots), T)
    i32 = jnp.int32
    n_valid = jnp.asarray(P if n_valid is None else n_valid, i32)
    n_tasks = n_valid * S
    last = _n_stages(objective, config) - 1
    dtype = theta0.dtype
    proto = _init_state(law, objective, config, F, y, W[0], lower, upper, theta0[0, 0], jnp.asarray(0, i32))
    state0 = jax.tree.map(lambda a: jnp.broadcast_to(jnp.asarray(a), (B,) + jnp.shape(a)), proto)
    state0 = state0._replace(done=jnp.ones(B, bool))
    zeros = lambda shape, dt=dtype: jnp.zeros(shape, dt)
    c0 = _Stream(state0, jnp.full(B, -1, i32), zeros((B, W.shape[1])), jnp.asarray(0, i32), zeros((T, p)),
                 zeros(T, i32), zeros(T, i32), zeros(T), zeros(T, bool), jnp.full(P, jnp.inf, dtype))
    step = jax.vmap(lambda w, st: _iterate(law, objective, config, F, y, w, lower, upper, fixed, st))
    fresh = jax.vmap(lambda st, th, s0: fresh_state(objective, config, st, th, s0))
    held = jax.vmap(_held, in_axes=(0, 0, None, None, None))

    def body(c: _Stream) -> _Stream:
        # 1. Refill free slots from the queue (no evaluation: that is the next step's refresh).
        free = c.task < 0
        position = (c.next_task + jnp.cumsum(free) - 1).astype(i32)
        take = free & (position < n_tasks)
        pos = jnp.where(take, position, 0)
        s_new, r_new = pos // n_valid, pos % n_valid
        restarted = fresh(c.state, theta0[r_new, s_new], stage0[r_new, s_new])
        pick = lambda a, b: jnp.where(take.reshape((-1,) + (1,) * (a.ndim - 1)), a, b)
        state = jax.tree.map(pick, restarted, c.state)
        w = pick(W[r_new], c.W)
        task = jnp.where(take, s_new * P + r_new, c.task).astype(i32)
        next_task = jnp.minimum(c.next_task + jnp.sum(free), n_tasks).astype(i32)
        problem = jnp.where(task >= 0, task % P, 0)

        # 2. One step on every slot; race, then the iteration cap.
        state = step(w, state)
        behind = (state.stage >= last) & (state.k >= config.abandon_after) & ~state.done
        behind = behind & (config.abandon_ratio > 0) & (state.terms.f > config.abandon_ratio * c.best_f[problem])
        capped = ~state.done & ~behind & (state.k >= config.max_iter)
        ob = on_bound(state.theta, lower, upper, fixed, config.bound_tol)
        converged = is_converged(state.reason)
        reason = jnp.where(behind, StopReason.ABANDONED, jnp.where(capped, StopReason.ITERATION_CAP, state.reason))
        reason = jnp.where(converged & ob, StopReason.ON_BOUND, reason)
        state = state._replace(done=state.done | behind | capped, reason=reason.astype(i32))

        # 3. File the results of finished slots and free them.
        finished = state.done & (task >= 0)
        dest = jnp.where(finished, task, T)  # T is out of range: dropped
        put = lambda arr, v: arr.at[dest].set(v, mode="drop")
        g = state.terms.g
        gn = jax.vmap(_scaled_max)(jnp.where(held(state.theta, g, lower, upper, fixed), 0.0, g), state.theta)
        best_f = c.best_f.at[jnp.where(finished & converged, problem, P)].min(state.terms.f, mode="drop")
        return _Stream(state, jnp.where(finished, -1, task).astype(i32), w, next_task, put(c.theta, state.theta),
                       put(c.reason, state.reason), put(c.iterations, state.k), put(c.grad_norm, gn),
                       put(c.on_bound, ob), best_f)

    c = jax.lax.while_loop(lambda c: (c.next_task < n_tasks) | jnp.any(c.task >= 0), body, c0)
    by_problem = lambda a: jnp.swapaxes(a.reshape((S, P) + a.shape[1:]), 0, 1)  # start-major -> [P, S]
    theta_s = by_problem(c.theta)
    # The real objective at every end point: a start stopped in an intermediate smoothing stage
    # holds a smoothed value, which must neither be reported nor ranked.
    f_s = jax.vmap(lambda w, ts: jax.vmap(lambda t: _objective(law, objective, t, F, y, w))(ts))(W, theta_s)
    f_s = jnp.where((jnp.arange(P) < n_valid)[:, None], f_s, jnp.inf)
    reason_s = by_problem(c.reason)
    converged_s = is_converged(reason_s)
    best = jnp.argmin(f_s, axis=1)
    take = lambda a: jnp.take_along_axis(a, best[:, None], axis=1)[:, 0]
    return SolveResult(
        theta=jnp.take_along_axis(theta_s, best[:, None, None], axis=1)[:, 0, :],
        objective=take(f_s),
        grad_norm=take(by_problem(c.grad_norm)),
        iterations=take(by_problem(c.iterations)),
        converged=take(converged_s),
        on_bound=take(by_problem(c.on_bound)),
        best_start=best.astype(i32),
        stop_reason=take(reason_s),
        theta_starts=theta_s,
        objective_starts=f_s,
        converged_starts=converged_s,
        iterations_starts=by_problem(c.iterations),
        abandoned_starts=reason_s == StopReason.ABANDONED,
        stop_reason_starts=reason_s,
    )


@partial(jax.jit, static_argnames=("law", "objective", "config", "slots"))
def solve(law, objective, config: SolverConfig, F, y, W, theta0, lower, upper, fixed, stage0=None,
          slots: int | None = None) -> SolveResult:
    """Minimise every (problem, start) pair and keep the best start per problem (:func:`stream`).

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
        slots: solver slots (default: every task at once).
    """
    if stage0 is None:
        stage0 = jnp.zeros(theta0.shape[:2], jnp.int32)
    theta0 = jnp.clip(theta0, lower, upper)
    return stream(law, objective, config, F, y, W, theta0, stage0, lower, upper, fixed, slots=slots)


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


def top_k_starts(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` lowest finite objective values (stable order)."""
    v = np.where(np.isfinite(values), values, np.inf)
    k = min(k, len(v))
    return np.argsort(v, kind="stable")[:k]
