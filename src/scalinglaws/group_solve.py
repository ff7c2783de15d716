"""Separate fits of one law to many groups of rows, as arrays: set up, scored and solved in
blocks of groups (what :func:`scalinglaws.fit` with ``by=`` runs).

A group's fit is what :func:`scalinglaws.fitting.fit` does on its rows: the same checks, the
same bounds from its own data, the same start grid, the same best ``n_starts`` starts, the same
solver and the same retry of a best start that did not converge. Here no group becomes a Python
object. Per block of ``chunk_size`` groups:

1. the block's rows are gathered into padded arrays ``F`` [B, n, k], ``y``, ``W`` [B, n] (rows
   past a group's count carry weight 0);
2. bounds and start grids come from the law's batched hooks (``Law.group_grid``,
   ``Law.group_data_bounds``) in one call for the block, and the checks of
   :func:`scalinglaws.fitting.build_problem` run vectorised (a group that fails one is set up
   alone, which raises the error that names it); a law without the hooks is set up group by
   group, as a point fit is;
3. every group's grid is scored in one call (sub-blocks of at most ``SCORE_LANES`` values), the
   best ``n_starts`` of each picked by a stable sort;
4. every (group, start) pair is solved in one call of :func:`scalinglaws.solvers.solve`
   (``data_index``), and the groups whose best start did not converge are solved again in one
   call, warm, with ``retry_factor`` times the iterations.

Memory is bounded by a block; what is kept per group is a few numbers per start. Every block has
the same shape (the last repeats its first group), so one compiled program serves them all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from . import group_bootstrap as _gb
from . import laws as _laws
from . import solvers as _solvers
from .buckets import bucket_points
from .fitting import best_starts
from .inputs import Prepared, subset
from .problem import Problem, combine_bounds, default_config, law_fit_space, user_bounds

__all__ = ["GroupLayout", "SeparateFits", "fit_separately", "SCORE_LANES", "POOL_FROM", "POOL_ONE_START_FROM"]

SCORE_LANES = 1 << 21
"""Grid values (groups x grid points x rows) scored per call: bounds the memory of scoring."""

POOL_FROM = 2048
"""From this many (group, start) tasks a block runs through a slot pool (``group_bootstrap.pool_slots``)
instead of every task at once: lanes that finish early are refilled instead of idling until the
slowest is done (1,000 sigmoid curves x 32 starts: 0.30 s with 512 slots, 1.27 s all at once).
Below it every start of every group runs at once, as a point fit runs its starts, so the racing
between a group's starts (``SolverConfig.abandon_ratio``) abandons the same ones as in the point
fit (in a pool a group's first start may finish before its others begin)."""

POOL_ONE_START_FROM = 256
"""With one start per group there is no racing, and the pool pays from this many groups:
1,000 power laws x 1 start, 22 ms with 62 slots, 87 ms all at once (one curve in 1,000 takes
150 iterations where the median takes 20)."""


@dataclass(frozen=True)
class GroupLayout:
    """Where each group's rows are: ``order`` [N] the table's row positions sorted by group
    (stable, so a group's rows keep the table's order), ``offsets`` [G + 1]."""

    order: np.ndarray
    offsets: np.ndarray

    @classmethod
    def from_codes(cls, codes: np.ndarray, n_groups: int) -> GroupLayout:
        order = np.argsort(codes, kind="stable")
        offsets = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=n_groups))])
        return cls(order, offsets)

    @property
    def n_groups(self) -> int:
        return len(self.offsets) - 1

    @property
    def counts(self) -> np.ndarray:
        return np.diff(self.offsets)

    def rows(self, g: int) -> np.ndarray:
        return self.order[self.offsets[g]:self.offsets[g + 1]]

    def padded(self, groups: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``(positions, real)`` [len(groups), n]: each group's row positions, padded with its
        first row (finite features) where ``real`` is False."""
        j = np.arange(n)[None, :]
        count = self.counts[groups][:, None]
        real = j < count
        return self.order[self.offsets[groups][:, None] + np.where(real, j, 0)], real


@dataclass
class SeparateFits:
    """Every group's separate fit, as arrays (``G`` groups, ``S`` start slots, ``p`` parameters).

    A group with fewer starts than ``S`` (a small grid) has ``n_starts[g]`` real ones; its other
    slots repeat its last start.
    """

    law: object
    objective_fn: object
    config: _solvers.SolverConfig
    dtype: np.dtype
    lower: np.ndarray
    upper: np.ndarray
    fixed_mask: np.ndarray
    fixed_values: np.ndarray
    theta: np.ndarray
    objective: np.ndarray
    grad_norm: np.ndarray
    iterations: np.ndarray
    best_start: np.ndarray
    stop_reason: np.ndarray
    converged: np.ndarray
    on_bound: np.ndarray
    retried: np.ndarray
    objective_starts: np.ndarray
    converged_starts: np.ndarray
    stop_reason_starts: np.ndarray
    ranked_starts: np.ndarray
    n_starts: np.ndarray
    grid_size: np.ndarray
    n_points: np.ndarray
    setup_s: float = 0.0
    solve_s: float = 0.0

    def problem(self, prepared: Prepared, rows: np.ndarray, g: int) -> Problem:
        """Group ``g``'s :class:`Problem` (its rows ``rows`` of the checked table)."""
        sub = subset(prepared, rows, self.law, check_columns=False)
        return Problem(self.law, sub, self.objective_fn, self.lower[g], self.upper[g], self.fixed_mask,
                       self.fixed_values, self.config, self.dtype)

    def solve_result(self, g: int) -> _solvers.SolveResult:
        """Group ``g``'s one-problem :class:`~scalinglaws.solvers.SolveResult` (its own starts)."""
        k = int(self.n_starts[g])
        one = lambda a: a[g:g + 1]  # noqa: E731
        starts = lambda a: a[g:g + 1, :k]  # noqa: E731
        return _solvers.SolveResult(
            theta=one(self.theta), objective=one(self.objective), grad_norm=one(self.grad_norm),
            iterations=one(self.iterations), converged=one(self.converged), on_bound=one(self.on_bound),
            best_start=one(self.best_start), stop_reason=one(self.stop_reason), theta_starts=None,
            objective_starts=starts(self.objective_starts), converged_starts=starts(self.converged_starts),
            iterations_starts=None, abandoned_starts=None, stop_reason_starts=starts(self.stop_reason_starts))


def fit_separately(prepared: Prepared, layout: GroupLayout, law, objective, *, n_starts: int, chunk_size: int,
                   grid=None, fixed=None, bounds=None, config=None, dtype="float64", check_columns: bool = True,
                   setup_one: Callable, in_group: Callable) -> SeparateFits:
    """Fit ``law`` to every group of ``prepared``'s rows separately (module docstring).

    Args:
        prepared: the whole table, checked once (:func:`scalinglaws.inputs.prepare`).
        layout: which rows are each group's.
        setup_one: ``g -> (Problem, start grid)``, group ``g`` set up alone as a point fit (errors
            name the group): the set-up of laws without batched hooks, and of a group that fails
            a vectorised check (it raises there).
        in_group: ``g -> context manager`` that re-raises an error naming group ``g``.
    """
    config = default_config(law, config)
    dtype = np.dtype(dtype)
    user = user_bounds(law, bounds, fixed)
    fixed_mask, fixed_values = user[2], user[3]
    user_grid = None
    if grid is not None:
        user_grid = law.from_public(_laws.product_grid(grid, law.params) if isinstance(grid, Mapping)
                                    else np.asarray(grid, dtype=np.float64))
    bounds_in_batch = law.data_bounds is None or law.group_data_bounds is not None
    batched = bounds_in_batch and (user_grid is not None or law.group_grid is not None)
    F_all = law.features(prepared.inputs)
    y_all = law_fit_space(law, prepared.y)
    w_all = prepared.weights
    G = layout.n_groups
    n = bucket_points(int(layout.counts.max()))
    block = min(int(chunk_size), G)
    p = law.n_params
    S = n_starts
    parts: list[dict] = []
    t_setup = t_solve = 0.0
    for lo in range(0, G, block):
        t0 = time.perf_counter()
        real = np.arange(lo, min(lo + block, G))
        groups = np.concatenate([real, np.full(block - len(real), lo)])
        pos, in_rows = layout.padded(groups, n)
        F, y = F_all[pos], y_all[pos]
        W = np.where(in_rows, w_all[pos], 0.0)
        if batched:
            X = np.stack([prepared.inputs[name][pos] for name in law.inputs], axis=-1)
            lower, upper, grids, K = _batched_setup(law, user, user_grid, groups, len(real), X, F, y, W,
                                                    check_columns, setup_one)
        else:
            lower, upper, grids, K = _setup_each(setup_one, groups, len(real), p)
        values = _score(law, objective, F, y, W, grids)
        values[np.arange(grids.shape[1])[None, :] >= K[:, None]] = np.inf
        for j in np.flatnonzero(~np.isfinite(values[:len(real)]).any(axis=1)):
            with in_group(int(groups[j])):  # raises the point fit's error, naming the group
                best_starts(values[j, :K[j]], grids[j, :K[j]], law, S)
        ranked = _top_k(values, min(S, grids.shape[1]))
        k_g = np.minimum(S, K)
        # A group with fewer starts than the widest repeats its last one (same end point, same rank).
        slot = np.minimum(np.arange(ranked.shape[1])[None, :], k_g[:, None] - 1)
        ranked = np.take_along_axis(ranked, slot, axis=1)
        starts = np.take_along_axis(grids, ranked[:, :, None], axis=1)
        t_setup += time.perf_counter() - t0
        t0 = time.perf_counter()
        res = _solve(law, objective, config, dtype, F, y, W, starts, lower, upper, fixed_mask)
        res, retried = _retry(law, objective, config, dtype, F, y, W, lower, upper, fixed_mask, res, len(real))
        objective_real = res["objective"]
        if dtype != np.float64:  # the reported objective is always float64
            objective_real = _score(law, objective, F, y, W, res["theta"][:, None, :].astype(np.float64))[:, 0]
        keep = slice(0, len(real))
        parts.append({
            "lower": lower[keep], "upper": upper[keep], "ranked_starts": starts[keep], "n_starts": k_g[keep],
            "grid_size": K[keep], "n_points": np.sum(W[keep] > 0, axis=1), "retried": retried[keep],
            **{name: res[name][keep] for name in _KEPT}, "objective": objective_real[keep],
        })
        t_solve += time.perf_counter() - t0
    cat = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    return SeparateFits(law=law, objective_fn=objective, config=config, dtype=dtype, fixed_mask=fixed_mask,
                        fixed_values=fixed_values, setup_s=t_setup, solve_s=t_solve, **cat)


_KEPT = ("theta", "grad_norm", "iterations", "best_start", "stop_reason", "converged", "on_bound",
         "objective_starts", "converged_starts", "stop_reason_starts")


def _batched_setup(law, user, user_grid, groups, n_real, X, F, y, W, check_columns, setup_one):
    """Bounds and start grids of a block of groups from the law's batched hooks; the checks of a
    point fit's set-up, vectorised (a group failing one is set up alone, which raises)."""
    used = W > 0
    lo_law, hi_law = law.bounds_by_group(F, y, used)
    lower, upper, empty = combine_bounds(lo_law, hi_law, user)
    suspect = empty.any(axis=1) | _fails_checks(law, X, y, used, user)
    for j in np.flatnonzero(suspect[:n_real]):
        setup_one(int(groups[j]))
    if law.check_inputs is not None and check_columns:
        for g in groups[:n_real]:  # the law's plausibility check looks at each group's own table
            setup_one(int(g), checks_only=True)
    if user_grid is None:
        grids = law.start_grids(F, y, used)
    else:
        grids = np.broadcast_to(user_grid, (len(groups),) + user_grid.shape)
    # np.minimum(np.maximum(.)) is np.clip's result, several times faster on broadcast bounds
    grids = np.minimum(np.maximum(grids, lower[:, None, :]), upper[:, None, :])
    if user[2].any():
        grids = np.where(user[2], user[3], grids)
    return lower, upper, grids, np.full(len(groups), grids.shape[1])


def _fails_checks(law, X, y, used, user) -> np.ndarray:
    """[B] groups that may fail one of a point fit's set-up checks (``check_enough_points``,
    ``check_identifiable`` on the inputs ``X`` [B, n, m], ``check_fixed_floor``); such a group
    is set up alone, where the check itself decides."""
    fixed_mask = user[2]
    bad = np.sum(used, axis=1) <= law.n_params
    n_free = int(np.sum(~fixed_mask))
    for c in range(X.shape[2]):
        s = np.sort(np.where(used, X[..., c], np.inf), axis=1)
        distinct = 1 + np.sum((s[:, 1:] != s[:, :-1]) & np.isfinite(s[:, 1:]), axis=1)
        bad |= distinct < 2
        if X.shape[2] == 1:
            bad |= distinct < n_free
    names = list(law.params)
    if law.space == "log" and "E" in names and fixed_mask[names.index("E")]:
        top = np.max(np.where(used, np.exp(y), -np.inf), axis=1)
        bad |= top <= user[3][names.index("E")] * (1 + 1e-9)
    return bad


def _top_k(values: np.ndarray, k: int) -> np.ndarray:
    """[B, k] indices of each row's ``k`` lowest finite values, in stable order: what
    ``solvers.top_k_starts`` gives per row. Only the candidates (values at or below the k-th
    smallest) are sorted, not the whole grid."""
    v = np.where(np.isfinite(values), values, np.inf)
    B, K = v.shape
    if k >= K:
        return np.argsort(v, axis=1, kind="stable")[:, :k]
    kth = np.partition(v, k - 1, axis=1)[:, k - 1:k]
    rows, cols = np.nonzero(v <= kth)  # row-major: each row's candidates in ascending index
    counts = np.bincount(rows, minlength=B)
    at = np.arange(len(rows)) - np.concatenate([[0], np.cumsum(counts)[:-1]])[rows]
    idx = np.zeros((B, int(counts.max())), dtype=np.int64)
    cand = np.full(idx.shape, np.inf)
    idx[rows, at], cand[rows, at] = cols, v[rows, cols]
    order = np.argsort(cand, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(idx, order, axis=1)


def _setup_each(setup_one, groups, n_real, p):
    """Bounds and start grids of a block, group by group (laws without batched hooks)."""
    setups = [setup_one(int(g)) for g in groups[:n_real]]
    setups += [setups[0]] * (len(groups) - n_real)
    K = np.array([len(grid) for _, grid in setups])
    width = int(K.max())
    grids = np.stack([np.concatenate([grid, np.repeat(grid[:1], width - len(grid), 0)]) for _, grid in setups])
    lower = np.stack([problem.lower for problem, _ in setups])
    upper = np.stack([problem.upper for problem, _ in setups])
    return lower, upper, grids, K


def _score(law, objective, F, y, W, thetas) -> np.ndarray:
    """[B, K] float64 objective of each group at its points ``thetas`` [B, K, p], in sub-blocks
    of at most ``SCORE_LANES`` values (every sub-block the same shape)."""
    B, K = thetas.shape[:2]
    step = max(1, min(B, SCORE_LANES // max(K * F.shape[1], 1)))
    out = np.empty((B, K))
    for lo in range(0, B, step):
        idx = np.arange(lo, lo + step) % B
        v = _solvers.grouped_objective_values(law, objective, jnp.asarray(F[idx]), jnp.asarray(y[idx]),
                                              jnp.asarray(W[idx]), jnp.asarray(thetas[idx], jnp.float64))
        out[lo:lo + step] = np.asarray(v)[: min(step, B - lo)]
    return out


def _solve(law, objective, config, dtype, F, y, W, theta0, lower, upper, fixed_mask, stage0=None) -> dict:
    """One solver call for a block: every (group, start) pair; numpy out."""
    B, S = theta0.shape[:2]
    res = _solvers.solve(law, objective, config, jnp.asarray(F, dtype), jnp.asarray(y, dtype), jnp.asarray(W, dtype),
                         jnp.asarray(theta0, dtype), jnp.asarray(lower, dtype), jnp.asarray(upper, dtype),
                         jnp.asarray(fixed_mask), None if stage0 is None else jnp.asarray(stage0, jnp.int32),
                         data_index=jnp.arange(B, dtype=jnp.int32), slots=_slots(B, S, F.shape[1]))
    return dict(zip(_solvers.SolveResult._fields, jax.tree.map(np.asarray, jax.block_until_ready(res))))


def _retry(law, objective, config, dtype, F, y, W, lower, upper, fixed_mask, res, n_real):
    """The groups whose best start did not converge, solved again in one call from every start's
    end point, warm, with ``retry_factor`` times the iterations (a point fit's retry); the better
    of the two results is kept. The batch is padded to a row bucket (few compiled shapes)."""
    retried = np.zeros(len(res["theta"]), dtype=bool)
    bad = np.flatnonzero(~res["converged"][:n_real])
    if len(bad) == 0 or config.retry_factor <= 1:
        return res, retried
    again = config.for_retry()
    idx = np.concatenate([bad, np.repeat(bad[:1], bucket_points(len(bad), smallest=1) - len(bad))])
    theta0 = res["theta_starts"][idx]
    stage0 = np.full(theta0.shape[:2], _solvers.WARM, np.int32)
    res2 = _solve(law, objective, again, dtype, F[idx], y[idx], W[idx], theta0, lower[idx], upper[idx], fixed_mask,
                  stage0)
    take = res2["converged"][:len(bad)] | (res2["objective"][:len(bad)] < res["objective"][bad])
    out = {name: a.copy() for name, a in res.items()}
    for name in out:
        out[name][bad[take]] = res2[name][:len(bad)][take]
    retried[bad] = True
    return out, retried


def _slots(n_groups: int, n_starts: int, n_rows: int) -> int | None:
    if n_groups * n_starts <= (POOL_ONE_START_FROM if n_starts == 1 else POOL_FROM):
        return None
    return _gb.pool_slots(n_groups, n_starts, n_rows)
