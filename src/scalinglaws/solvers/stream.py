"""The one solve driver (:func:`stream`): a fixed pool of solver slots working through a queue
of (problem, start) tasks, warm starts first, the other starts raced against their problem's
best converged objective."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from .config import SolverConfig, SolveResult, StopReason, is_converged
from .step import (
    _held, _init_state, _iterate, _n_stages, _objective, _scaled_max, _State, fresh_state, on_bound,
)

__all__ = ["stream", "TIE_RTOL"]

TIE_RTOL = 1e-12
"""Starts whose objectives are within this relative distance of the best are tied; the first
converged one wins (the first of them if none converged)."""


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
           slots: int | None = None, data_index=None) -> SolveResult:
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
        data_index: [P] int, for problems on different data sets (grouped fits): problem ``r``
            reads data set ``data_index[r]`` of ``F`` [G, n, k], ``y`` [G, n], ``lower`` and
            ``upper`` [G, p] (rows padded to one length with weight 0). None: every problem
            reads the one data set ``F`` [n, k].
    """
    P, S, p = theta0.shape
    T = P * S
    B = T if slots is None else min(int(slots), T)
    i32 = jnp.int32
    n_valid = jnp.asarray(P if n_valid is None else n_valid, i32)
    n_tasks = n_valid * S
    last = _n_stages(objective, config) - 1
    dtype = theta0.dtype
    if data_index is None:
        data = lambda r: (F, y, lower, upper)  # noqa: E731
    else:
        data_index = jnp.asarray(data_index, i32)
        data = lambda r: (F[data_index[r]], y[data_index[r]], lower[data_index[r]], upper[data_index[r]])  # noqa: E731
    F0, y0, lo0, hi0 = data(0)
    proto = _init_state(law, objective, config, F0, y0, W[0], lo0, hi0, theta0[0, 0], jnp.asarray(0, i32))
    state0 = jax.tree.map(lambda a: jnp.broadcast_to(jnp.asarray(a), (B,) + jnp.shape(a)), proto)
    state0 = state0._replace(done=jnp.ones(B, bool))
    zeros = lambda shape, dt=dtype: jnp.zeros(shape, dt)
    c0 = _Stream(state0, jnp.full(B, -1, i32), zeros((B, W.shape[1])), jnp.asarray(0, i32), zeros((T, p)),
                 zeros(T, i32), zeros(T, i32), zeros(T), zeros(T, bool), jnp.full(P, jnp.inf, dtype))
    def one_step(w, r, st):
        Fr, yr, lo, hi = data(r)
        return _iterate(law, objective, config, Fr, yr, w, lo, hi, fixed, st)

    step = jax.vmap(one_step)
    bounds_of = jax.vmap(lambda r: data(r)[2:])
    fresh = jax.vmap(lambda st, th, s0: fresh_state(objective, config, st, th, s0))
    held = jax.vmap(_held, in_axes=(0, 0, None if data_index is None else 0, None if data_index is None else 0, None))

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
        return _Stream(state, jnp.where(finished, -1, task).astype(i32), w, next_task, put(c.theta, state.theta),
                       put(c.reason, state.reason), put(c.iterations, state.k), put(c.grad_norm, gn),
                       put(c.on_bound, ob), best_f)

    c = jax.lax.while_loop(lambda c: (c.next_task < n_tasks) | jnp.any(c.task >= 0), body, c0)
    by_problem = lambda a: jnp.swapaxes(a.reshape((S, P) + a.shape[1:]), 0, 1)  # start-major -> [P, S]
    theta_s = by_problem(c.theta)
    # The real objective at every end point: a start stopped in an intermediate smoothing stage
    # holds a smoothed value, which must neither be reported nor ranked.
    def objectives(w, r, ts):
        Fr, yr = data(r)[:2]
        return jax.vmap(lambda t: _objective(law, objective, t, Fr, yr, w))(ts)

    f_s = jax.vmap(objectives)(W, jnp.arange(P), theta_s)
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
