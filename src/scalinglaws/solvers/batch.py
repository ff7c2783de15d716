"""Solving a batch of problems from many starts (:func:`solve`, compiled; :func:`solve_in_segments`,
the same solve cut into segments for a progress bar), and choosing starts from a grid
(:func:`top_k_starts`)."""

from __future__ import annotations

import time
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from .. import progress as _progress
from .config import SolverConfig, SolveResult
from .stream import ALL_STEPS, Setup, active, advance, finish, start, stream, tasks_filed

__all__ = ["solve", "solve_in_segments", "advance_in_segments", "pool_status", "top_k_starts"]


@partial(jax.jit, static_argnames=("law", "objective", "config", "slots"))
def solve(law, objective, config: SolverConfig, F, y, W, theta0, lower, upper, fixed, stage0=None,
          slots: int | None = None, data_index=None, n_valid=None) -> SolveResult:
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
        data_index: [P] int: problems on different data sets (grouped fits), ``F`` [G, n, k],
            ``y`` [G, n], ``lower``/``upper`` [G, p]; see :func:`stream`.
        n_valid: only the first ``n_valid`` problems are solved (a batch padded to a bucket
            size: the rest report ``inf``); default all.
    """
    theta0, stage0, screen = _solve_args(theta0, lower, upper, stage0, data_index)
    return stream(law, objective, config, F, y, W, theta0, stage0, lower, upper, fixed, slots=slots,
                  data_index=data_index, screen=screen, n_valid=n_valid)


def _solve_args(theta0, lower, upper, stage0, data_index):
    """:func:`solve`'s defaults: starts clipped into the bounds, stage 0 where none is given,
    and whether cold starts may be screened (only against a warm start)."""
    screen = stage0 is not None
    if stage0 is None:
        stage0 = jnp.zeros(theta0.shape[:2], jnp.int32)
    if data_index is None:
        theta0 = jnp.clip(theta0, lower, upper)
    else:
        theta0 = jnp.clip(theta0, lower[data_index][:, None], upper[data_index][:, None])
    return theta0, stage0, screen


def pool_status(setup: Setup, pool) -> jax.Array:
    """int32 ``[tasks filed, tasks, running]`` of a stream's pool (``running`` 0 or 1)."""
    return jnp.stack([tasks_filed(pool), setup.n_valid * setup.theta0.shape[1], active(setup, pool).astype(jnp.int32)])


@partial(jax.jit, static_argnames=("law", "objective", "config", "slots"))
def _start(law, objective, config, F, y, W, theta0, lower, upper, fixed, stage0=None, slots=None, data_index=None,
           n_valid=None):
    theta0, stage0, screen = _solve_args(theta0, lower, upper, stage0, data_index)
    return start(law, objective, config, F, y, W, theta0, stage0, lower, upper, fixed, n_valid, slots, data_index,
                 screen)


@partial(jax.jit, static_argnames=("law", "objective", "config"), donate_argnames=("pool",))
def _advance(law, objective, config, max_steps, setup, pool):
    pool = advance(law, objective, config, setup, pool, max_steps)
    return pool, pool_status(setup, pool)


@partial(jax.jit, static_argnames=("law", "objective", "config"))
def _finish(law, objective, config, setup, pool) -> SolveResult:
    return finish(law, objective, config, setup, pool)


def solve_in_segments(law, objective, config: SolverConfig, F, y, W, theta0, lower, upper, fixed, stage0=None,
                      slots: int | None = None, data_index=None, n_valid=None, report=None) -> SolveResult:
    """:func:`solve` as three compiled steps (:func:`~.stream.start`, :func:`~.stream.advance`,
    :func:`~.stream.finish`), the pool run in segments with ``report(share of tasks filed)``
    after each (:func:`advance_in_segments`), or in one call without ``report``: the numbers are
    the same either way. For solves long enough to want a progress bar."""
    setup, pool = _start(law, objective, config, F, y, W, theta0, lower, upper, fixed, stage0, slots, data_index,
                         n_valid)
    pool = advance_in_segments(lambda k, s, p: _advance(law, objective, config, k, s, p), setup, pool, report)
    return _finish(law, objective, config, setup, pool)


FIRST_SEGMENT = 16
"""Iterations of a block's first segment; later ones are sized to :data:`progress.SEGMENT_S`."""


def advance_in_segments(step, setup, pool, report=None):
    """The pool run until every task is filed by ``step(max_steps, setup, pool) -> (pool,
    status)`` (a compiled :func:`~.stream.advance` and :func:`pool_status`): in one call, or, with ``report``, in segments
    of about :data:`progress.SEGMENT_S` seconds with ``report(share of the tasks filed)`` after
    each. The first segment's time holds any compilation, so sizing starts from the second;
    a segment grows or shrinks at most four-fold at a time."""
    if report is None:
        return step(np.int32(ALL_STEPS), setup, pool)[0]
    budget, timed = FIRST_SEGMENT, False
    while True:
        t0 = time.perf_counter()
        pool, status = step(np.int32(budget), setup, pool)
        filed, tasks, running = np.asarray(status).reshape(-1, 3).sum(axis=0)
        report(filed / max(int(tasks), 1))
        if not running:
            return pool
        took = time.perf_counter() - t0
        if timed:
            budget = int(min(max(budget * _progress.SEGMENT_S / max(took, 1e-4), max(budget // 4, 1)),
                             budget * 4, ALL_STEPS))
        timed = True


def top_k_starts(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` lowest finite objective values (stable order)."""
    v = np.where(np.isfinite(values), values, np.inf)
    k = min(k, len(v))
    return np.argsort(v, kind="stable")[:k]
