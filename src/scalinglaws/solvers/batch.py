"""Solving a batch of problems from many starts (:func:`solve`, compiled), and choosing starts
from a grid (:func:`top_k_starts`)."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from .config import SolverConfig, SolveResult
from .stream import stream

__all__ = ["solve", "top_k_starts"]


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
    screen = stage0 is not None  # no warm start, nothing to screen against
    if stage0 is None:
        stage0 = jnp.zeros(theta0.shape[:2], jnp.int32)
    if data_index is None:
        theta0 = jnp.clip(theta0, lower, upper)
    else:
        theta0 = jnp.clip(theta0, lower[data_index][:, None], upper[data_index][:, None])
    return stream(law, objective, config, F, y, W, theta0, stage0, lower, upper, fixed, slots=slots,
                  data_index=data_index, screen=screen, n_valid=n_valid)


def top_k_starts(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` lowest finite objective values (stable order)."""
    v = np.where(np.isfinite(values), values, np.inf)
    k = min(k, len(v))
    return np.argsort(v, kind="stable")[:k]
