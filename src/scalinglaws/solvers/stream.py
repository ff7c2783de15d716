"""The one solve driver (:func:`stream`): a fixed pool of solver slots working through a queue
of (problem, start) tasks, warm starts first, the other starts screened against their problem's
quickly converged warm start and raced against its best converged objective.

The driver is three pure functions with explicit state, so that a long solve can be run in
segments (a progress bar moves between them): :func:`start` computes what every iteration reads
(:class:`Setup`) and the pool's first state, :func:`advance` runs the pool for at most a given
number of iterations, :func:`finish` picks each problem's best start. The state after ``k``
iterations is the same however the ``k`` are cut into segments (one compiled :func:`advance`
runs them all), so a segmented solve gives the numbers of an uncut one bit for bit.
:func:`stream` is the three in one trace."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from .config import WARM, SolverConfig, SolveResult, StopReason, is_converged
from .step import (
    _held, _init_state, _iterate, _n_stages, _objective, _scaled_max, _smoothing, _State, first_plan, fresh_state,
    on_bound, shared_objective_values, shared_start_terms, shares_terms,
)

__all__ = ["stream", "start", "advance", "finish", "Setup", "TIE_RTOL", "ALL_STEPS"]

TIE_RTOL = 1e-12
"""Starts whose objectives are within this relative distance of the best are tied; the first
converged one wins (the first of them if none converged)."""


class _Stream(NamedTuple):
    """A pool of ``B`` solver slots working through a queue of (problem, start) tasks.

    Per slot: solver state, task id (-1 when free) and weights. Per task (``[T]``, task ``t`` =
    start ``t // P`` of problem ``t % P``): the filed results. Per problem (``[P]``): the lowest
    objective any of its starts has converged to, which its other starts race against; the
    objective its warm first start converged to within ``screen_iterations`` (``inf`` while
    there is none), which its cold starts are screened against; and whether that warm start has
    finished.
    """

    state: _State
    task: jax.Array
    W: jax.Array
    next_task: jax.Array
    theta: jax.Array
    f: jax.Array
    reason: jax.Array
    iterations: jax.Array
    grad_norm: jax.Array
    on_bound: jax.Array
    best_f: jax.Array
    quick_f: jax.Array
    warm_done: jax.Array


ALL_STEPS = 2**31 - 1
"""An iteration budget for :func:`advance` that no solve reaches: run to the end."""


class Setup(NamedTuple):
    """What every iteration of a stream reads, computed once by :func:`start`: the data and the
    problems' weights, starts (clipped into the bounds) and stages, how many problems are real,
    and (None where unused) the tasks' shared first evaluations and steps (``first_terms``,
    ``first_steps``) and the cold starts' objectives the screen compares (``f_cold``)."""

    F: jax.Array
    y: jax.Array
    W: jax.Array
    theta0: jax.Array
    stage0: jax.Array
    lower: jax.Array
    upper: jax.Array
    fixed: jax.Array
    data_index: jax.Array | None
    n_valid: jax.Array
    first_terms: Any
    first_steps: Any
    f_cold: jax.Array | None


def _data(setup: Setup):
    """``data(r)``: problem ``r``'s ``(F, y, lower, upper)``."""
    F, y, lower, upper, data_index = setup.F, setup.y, setup.lower, setup.upper, setup.data_index
    if data_index is None:
        return lambda r: (F, y, lower, upper)
    return lambda r: (F[data_index[r]], y[data_index[r]], lower[data_index[r]], upper[data_index[r]])


def _real_objectives(law, objective, setup: Setup):
    data = _data(setup)

    def real(w, r, ts):
        Fr, yr = data(r)[:2]
        return jax.vmap(lambda t: _objective(law, objective, t, Fr, yr, w))(ts)

    return real


def stream(law, objective, config: SolverConfig, F, y, W, theta0, stage0, lower, upper, fixed, n_valid=None,
           slots: int | None = None, data_index=None, screen: bool = True, shared_starts: bool = False) -> SolveResult:
    """The one solve driver (traceable; :func:`solve` jits it): every (problem, start) task run
    to its stop through a pool of ``slots`` solver slots, then the best start of each problem.

    Tasks are handed out start-major: every problem's first start, then every problem's second,
    and so on; so when the first start is a warm one (a bootstrap replicate started from the
    full-data optimum), its optimum is known by the time the cold (grid) starts come up. A cold
    start is then screened (filed as it is, never run) when its objective at the start exceeds
    ``config.screen_ratio`` times the optimum its warm start converged to within
    ``config.screen_iterations`` iterations; the queue waits for a warm start that is still
    within that many iterations rather than run its problem's cold starts blind. The cold
    starts that run race against their problem's best converged objective
    (``config.abandon_after``, ``abandon_ratio``). Each iteration refills free slots from the
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
        data_index: [P] int, for problems on different data sets (grouped fits): problem ``r``
            reads data set ``data_index[r]`` of ``F`` [G, n, k], ``y`` [G, n], ``lower`` and
            ``upper`` [G, p] (rows padded to one length with weight 0). None: every problem
            reads the one data set ``F`` [n, k].
        screen: whether cold starts may be screened (static; False where no start is warm,
            which spares the screen's one evaluation per cold start).
        shared_starts: every problem has the same starts and stages (``theta0[r]`` and
            ``stage0[r]`` equal for all ``r``: a bootstrap's) and reads the one data set (static).
            Then every task's first evaluation, and the cold starts' screening objectives, are
            matrix products over the weights (:func:`~.step.shared_start_terms`) before the
            loop, and a slot's first iteration is already a step. Ignored for laws whose terms
            are not linear in the weights (:func:`~.step.shares_terms`).
    """
    setup, c = start(law, objective, config, F, y, W, theta0, stage0, lower, upper, fixed, n_valid, slots, data_index,
                     screen, shared_starts)
    return finish(law, objective, config, setup, advance(law, objective, config, setup, c))


def start(law, objective, config: SolverConfig, F, y, W, theta0, stage0, lower, upper, fixed, n_valid=None,
          slots: int | None = None, data_index=None, screen: bool = True,
          shared_starts: bool = False) -> tuple[Setup, _Stream]:
    """The :class:`Setup` of a stream and its pool's first state: every slot free, nothing
    filed (arguments as :func:`stream`; traceable)."""
    P, S, p = theta0.shape
    T = P * S
    B = T if slots is None else min(int(slots), T)
    i32 = jnp.int32
    n_valid = jnp.asarray(P if n_valid is None else n_valid, i32)
    last = _n_stages(objective, config) - 1
    dtype = theta0.dtype
    if data_index is not None:
        data_index = jnp.asarray(data_index, i32)
    # Starts begin inside the bounds (the first step is planned from there, not projected onto them).
    theta0 = jnp.clip(theta0, lower if data_index is None else lower[data_index][:, None],
                      upper if data_index is None else upper[data_index][:, None])
    setup = Setup(F, y, W, theta0, stage0, lower, upper, fixed, data_index, n_valid, None, None, None)
    F0, y0, lo0, hi0 = _data(setup)(0)
    proto = _init_state(law, objective, config, F0, y0, W[0], lo0, hi0, theta0[0, 0], jnp.asarray(0, i32))
    state0 = jax.tree.map(lambda a: jnp.broadcast_to(jnp.asarray(a), (B,) + jnp.shape(a)), proto)
    state0 = state0._replace(done=jnp.ones(B, bool))
    zeros = lambda shape, dt=dtype: jnp.zeros(shape, dt)  # noqa: E731
    c0 = _Stream(state0, jnp.full(B, -1, i32), zeros((B, W.shape[1])), jnp.asarray(0, i32), zeros((T, p)),
                 jnp.full(T, jnp.inf, dtype), zeros(T, i32), zeros(T, i32), zeros(T), zeros(T, bool),
                 jnp.full(P, jnp.inf, dtype), jnp.full(P, jnp.inf, dtype), zeros(P, bool))

    screening = screen and config.screen_ratio > 0 and S > 1
    shared = shared_starts and data_index is None and shares_terms(law)
    first_terms = first_steps = f_cold = None
    if shared:
        # Every task's first evaluation, for all problems at once: a matrix product per start.
        stages = jnp.minimum(stage0[0], last)
        first_terms = jax.vmap(
            lambda th, st, nw: shared_start_terms(law, objective, th, F, y, W, _smoothing(objective, config, st, dtype),
                                                  nw), out_axes=1)(theta0[0], stages, stage0[0] >= WARM)  # [P, S]
        plan = lambda T, th, warm: first_plan(config, T, th, warm, lower, upper, fixed)  # noqa: E731
        first_steps = jax.vmap(jax.vmap(plan, in_axes=(0, None, None)), in_axes=(1, 0, 0), out_axes=1)(
            first_terms, theta0[0], stage0[0] >= WARM)
        if screening:
            f_cold = jax.vmap(lambda th: shared_objective_values(law, objective, th, F, y, W), out_axes=1)(theta0[0, 1:])
    elif screening:
        # Evaluated for the padding too: a loop over chunks of real problems measured slower
        # (marin-comma, 8 padded rows, 1,000 replicates: 266 against 240 ms, the loop's fixed cost
        # above the work it saves).
        f_cold = jax.vmap(_real_objectives(law, objective, setup))(W, jnp.arange(P), theta0[:, 1:])
    return setup._replace(first_terms=first_terms, first_steps=first_steps, f_cold=f_cold), c0


def active(setup: Setup, c: _Stream) -> jax.Array:
    """Whether tasks are still queued or running."""
    return (c.next_task < setup.n_valid * setup.theta0.shape[1]) | jnp.any(c.task >= 0)


def tasks_filed(c: _Stream) -> jax.Array:
    """How many tasks have their result filed (handed out and finished, or screened)."""
    return c.next_task - jnp.sum(c.task >= 0).astype(c.next_task.dtype)


def advance(law, objective, config: SolverConfig, setup: Setup, c: _Stream, max_steps=None) -> _Stream:
    """The pool after at most ``max_steps`` more iterations (None: until every task is filed).

    Each iteration refills free slots from the queue (a refilled slot's first iteration is its
    initial evaluation), takes one solver step on every slot, stops slots at
    ``config.max_iter`` or raced off, and files the results of the slots that finished (see
    :func:`stream`). ``max_steps`` is traced: one compiled program runs every segment."""
    P, S, p = setup.theta0.shape
    T = P * S
    B = c.task.shape[0]
    i32 = jnp.int32
    W, theta0, stage0 = setup.W, setup.theta0, setup.stage0
    lower, upper, fixed, data_index = setup.lower, setup.upper, setup.fixed, setup.data_index
    n_valid = setup.n_valid
    n_tasks = n_valid * S
    last = _n_stages(objective, config) - 1
    dtype = theta0.dtype
    data = _data(setup)
    screening = setup.f_cold is not None
    shared = setup.first_terms is not None
    first_terms, first_steps, f_cold = setup.first_terms, setup.first_steps, setup.f_cold
    # Screening applies to problems whose first start is warm.
    warm_first = stage0[:, 0] >= WARM
    # The queue is read through a window of L positions a step.
    L = min(T, 4 * B)

    def one_step(w, r, st):
        Fr, yr, lo, hi = data(r)
        return _iterate(law, objective, config, Fr, yr, w, lo, hi, fixed, st)

    step = jax.vmap(one_step)
    bounds_of = jax.vmap(lambda r: data(r)[2:])
    fresh = jax.vmap(lambda st, th, s0: fresh_state(objective, config, st, th, s0))
    held = jax.vmap(_held, in_axes=(0, 0, None if data_index is None else 0, None if data_index is None else 0, None))

    def body(c: _Stream) -> _Stream:
        # 1. Refill free slots from the queue (no evaluation: that is the next step's refresh).
        # The window is consumed in order up to the task that fills the last free slot: screened
        # tasks are filed as they stand, the others handed to the free slots. A cold task whose
        # warm start may still turn out quick stops the window there.
        free = c.task < 0
        window = c.next_task + jnp.arange(L, dtype=i32)
        queued = window < n_tasks
        s_w, r_w = jnp.where(queued, window // n_valid, 0), jnp.where(queued, window % n_valid, 0)
        if screening:
            cold = queued & warm_first[r_w] & (s_w > 0)
            f0_w = f_cold[r_w, jnp.maximum(s_w - 1, 0)]
            screened = cold & (f0_w > config.screen_ratio * c.quick_f[r_w])
            running = (c.task >= 0) & (c.task < P)  # slots on a first start
            warm_age = jnp.zeros(P, i32).at[jnp.where(running, c.task, P)].set(c.state.k, mode="drop")
            undecided = cold & ~c.warm_done[r_w] & (warm_age[r_w] <= config.screen_iterations)
            queued = queued & (jnp.cumsum(undecided) == 0)
        else:
            f0_w, screened = jnp.full(L, jnp.inf, dtype), jnp.zeros(L, bool)
        runnable = queued & ~screened
        consumed = queued & (jnp.cumsum(runnable) - runnable < jnp.sum(free))
        handed = runnable & consumed
        order = jnp.nonzero(handed, size=B, fill_value=0)[0]  # window index of the k-th handed task
        slot_rank = (jnp.cumsum(free) - 1).astype(i32)
        take = free & (slot_rank < jnp.sum(handed))
        k = order[jnp.where(take, slot_rank, 0)]
        s_new, r_new = s_w[k], r_w[k]
        restarted = fresh(c.state, theta0[r_new, s_new], stage0[r_new, s_new])
        if shared:
            # The first evaluation is done: the slot's first iteration is a step (k counts it).
            T_new = jax.tree.map(lambda a: a[r_new, s_new], first_terms)
            bad = ~jnp.isfinite(T_new.f)
            restarted = restarted._replace(
                terms=T_new, step=first_steps[0][r_new, s_new], predicted=first_steps[1][r_new, s_new],
                refresh=jnp.zeros_like(bad), done=bad, k=jnp.ones_like(restarted.k),
                reason=jnp.where(bad, StopReason.NOT_FINITE, StopReason.RUNNING).astype(i32))
        pick = lambda a, b: jnp.where(take.reshape((-1,) + (1,) * (a.ndim - 1)), a, b)
        state = jax.tree.map(pick, restarted, c.state)
        w = pick(W[r_new], c.W)
        task = jnp.where(take, s_new * P + r_new, c.task).astype(i32)
        next_task = (c.next_task + jnp.sum(consumed)).astype(i32)
        problem = jnp.where(task >= 0, task % P, 0)
        # A screened task ends where it started, with its objective there.
        skip = jnp.where(screened & consumed, s_w * P + r_w, T)
        filed_theta = c.theta.at[skip].set(theta0[r_w, s_w], mode="drop")
        filed_f = c.f.at[skip].set(f0_w, mode="drop")
        filed_reason = c.reason.at[skip].set(StopReason.SCREENED, mode="drop")

        # 2. One step on every slot; race, then the iteration cap.
        state = step(w, problem, state)
        lo, hi = (lower, upper) if data_index is None else bounds_of(problem)
        behind = (state.stage >= last) & (state.k >= config.abandon_after) & ~state.done
        behind = behind & (config.abandon_ratio > 0) & (state.terms.f > config.abandon_ratio * c.best_f[problem])
        capped = ~state.done & ~behind & (state.k >= config.max_iter)
        ob = on_bound(state.theta, lo, hi, fixed, config.bound_tol)
        converged = is_converged(state.reason)
        reason = jnp.where(behind, StopReason.ABANDONED, jnp.where(capped, StopReason.ITERATION_CAP, state.reason))
        reason = jnp.where(converged & ob, StopReason.ON_BOUND, reason)
        state = state._replace(done=state.done | behind | capped, reason=reason.astype(i32))

        # 3. File the results of finished slots and free them.
        finished = state.done & (task >= 0)
        dest = jnp.where(finished, task, T)  # T is out of range: dropped
        put = lambda arr, v: arr.at[dest].set(v, mode="drop")
        g = state.terms.g
        gn = jax.vmap(_scaled_max)(jnp.where(held(state.theta, g, lo, hi, fixed), 0.0, g), state.theta)
        best_f = c.best_f.at[jnp.where(finished & converged, problem, P)].min(state.terms.f, mode="drop")
        first = finished & (task < P)
        quick = first & warm_first[problem] & converged & (state.k <= config.screen_iterations)
        quick_f = c.quick_f.at[jnp.where(quick, problem, P)].min(state.terms.f, mode="drop")
        warm_done = c.warm_done.at[jnp.where(first, problem, P)].set(True, mode="drop")
        return _Stream(state, jnp.where(finished, -1, task).astype(i32), w, next_task, put(filed_theta, state.theta),
                       put(filed_f, state.terms.f), put(filed_reason, state.reason), put(c.iterations, state.k),
                       put(c.grad_norm, gn), put(c.on_bound, ob), best_f, quick_f, warm_done)

    if max_steps is None:
        return jax.lax.while_loop(lambda c: active(setup, c), body, c)
    budget = jnp.asarray(max_steps, i32)
    c, _ = jax.lax.while_loop(lambda ci: active(setup, ci[0]) & (ci[1] < budget),
                              lambda ci: (body(ci[0]), ci[1] + 1), (c, jnp.asarray(0, i32)))
    return c


def finish(law, objective, config: SolverConfig, setup: Setup, c: _Stream) -> SolveResult:
    """Each problem's best start, from the pool once every task is filed (:func:`advance`)."""
    P, S, p = setup.theta0.shape
    i32 = jnp.int32
    last = _n_stages(objective, config) - 1
    n_valid, W = setup.n_valid, setup.W
    by_problem = lambda a: jnp.swapaxes(a.reshape((S, P) + a.shape[1:]), 0, 1)  # start-major -> [P, S]
    theta_s = by_problem(c.theta)
    f_s = by_problem(c.f)
    if last > 0:
        # A start stopped in an intermediate smoothing stage holds a smoothed value, which must
        # neither be reported nor ranked: every end point gets the real objective.
        f_s = jax.vmap(_real_objectives(law, objective, setup))(W, jnp.arange(P), theta_s)
    f_s = jnp.where((jnp.arange(P) < n_valid)[:, None], f_s, jnp.inf)
    reason_s = by_problem(c.reason)
    converged_s = is_converged(reason_s)
    # Starts that tie at the optimum (to TIE_RTOL) differ by rounding alone; the first of them is
    # the answer, so that rounding (another batch width, other padding) cannot pick another one,
    # which on a flat valley would move the weakly identified parameters.
    # A converged start is preferred among the tied: one stopped by the cap at the optimum's value
    # must not make the problem read as failed.
    f_min = jnp.min(f_s, axis=1, keepdims=True)
    tied = f_s <= f_min + TIE_RTOL * jnp.abs(f_min)
    tied_converged = tied & converged_s
    best = jnp.where(jnp.any(tied_converged, axis=1), jnp.argmax(tied_converged, axis=1), jnp.argmax(tied, axis=1))
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
