"""Bootstrap of a grouped fit in one ensemble: every (replicate, group) refit in batched solves.

Resampling (the units a replicate draws, :func:`resampling_units`):

- default: rows within each group. Group ``g`` with ``n_g`` rows draws ``n_g`` of its own rows
  (stratified bootstrap), so every replicate keeps every group at its size;
- ``cluster=COL`` with clusters inside groups (runs, seeds): clusters within each group;
- ``cluster=COL`` whose clusters hold whole groups (the ``by`` column itself, or a family above
  it): whole groups, drawn with replacement: the cluster bootstrap of the groups (Davison &
  Hinkley 1997, section 3.8), which carries the spread between groups into shared parameters.
  A group a replicate leaves out has no data there: its own parameters are marked unidentified in
  that replicate and left out of its bands (shared parameters use every replicate).

Groups fitted separately are refitted as ``replicates x groups`` problems, each reading its own
group's rows (``solvers.solve(..., data_index=...)``), from the group's optimum (a warm start) and
its best grid starts. A fit with shared parameters is refitted as one joint problem per replicate
(:class:`~scalinglaws.laws.shared.SharedLaw`) from the joint optimum and the joint fit's starts.
Replicate ``i``'s weights come from ``fold_in(PRNGKey(seed), i)`` over the stacked rows, so the
same seed gives the same ensemble whatever the block size. Failed refits are retried with more
iterations from their end point and the optimum, as single fits' replicates are.
"""

from __future__ import annotations

import time
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from . import bootstrap as _bootstrap
from . import progress as _progress
from . import solvers as _solvers
from .buckets import bucket_points
from .buckets import pad_rows as _pad
from .inputs import InputError

__all__ = ["resampling_units", "bootstrap_separate", "bootstrap_joint"]


def _block(lo: int, size: int, n: int) -> tuple[np.ndarray, int]:
    """Replicate indices of the block starting at ``lo`` and how many are real: the last block keeps
    the full ``size`` (no recompile), its tail repeating ``lo`` and dropped afterwards."""
    take = min(size, n - lo)
    idx = np.arange(lo, lo + size)
    idx[take:] = lo
    return idx, take


def resampling_units(group_of_row: np.ndarray, weights: np.ndarray, labels=None, name=None):
    """How a replicate draws: ``(unit_index [n], unit_stratum [U], n_strata, whole_groups)``.

    Units are rows, or clusters of ``labels``; a unit lies in one stratum (its group) unless the
    clusters hold whole groups (``whole_groups``: one stratum, the groups drawn whole). Units are
    numbered stratum by stratum, as :func:`scalinglaws.bootstrap.replicate_weights` needs.
    """
    n = len(weights)
    used = np.asarray(weights) > 0
    group = np.asarray(group_of_row, np.int64)
    if labels is None:
        stratum, key, whole = group, np.arange(n), False
    else:
        labels = np.asarray(labels).astype(str)
        if pd.isna(labels).any():
            raise InputError("cluster labels must not be missing", column=name)
        _, key = np.unique(labels, return_inverse=True)
        frame = pd.DataFrame({"g": group[used], "c": key[used]})
        # Clusters that hold whole groups first: clusters that are the groups themselves (the by
        # column) lie inside one group too, and drawing each group's only cluster would change nothing.
        if (frame.groupby("g")["c"].nunique() == 1).all():
            stratum, whole = np.zeros(n, np.int64), True
        elif (frame.groupby("c")["g"].nunique() == 1).all():
            stratum, whole = group, False
        else:
            raise InputError(f"cluster {name or 'labels'!r}: a cluster must lie inside one group (runs, seeds: "
                             "resampled within each group) or hold whole groups (the by column, or a family of "
                             "groups: groups resampled whole); these clusters cut across groups", column=name)
    pairs, inverse = np.unique(np.column_stack([stratum[used], key[used]]), axis=0, return_inverse=True)
    unit_index = np.zeros(n, np.int32)
    unit_index[used] = np.ravel(inverse)
    unit_stratum = pairs[:, 0].astype(np.int32)
    n_strata = int(group.max()) + 1 if not whole else 1
    return unit_index, unit_stratum, n_strata, whole


@partial(jax.jit, static_argnames=("n_units", "resampling", "n_strata"))
def _weights(key, indices, base, unit_index, unit_stratum, n_units: int, resampling: str, n_strata: int):
    return _bootstrap.replicate_weights(key, indices, base, unit_index, n_units, resampling, unit_stratum, n_strata)


class _Draws:
    """Replicate weights over the stacked rows of every group (unpadded, ``[R, n]``): one draw
    over every group's rows (independent between groups)."""

    def __init__(self, base: np.ndarray, units, seed: int, resampling: str):
        self.base = jnp.asarray(base, jnp.float64)
        self.unit_index, self.unit_stratum, self.n_strata, self.whole = units
        self.n_units = len(self.unit_stratum)
        self.key = jax.random.PRNGKey(int(seed))
        self.resampling = resampling

    def __call__(self, indices) -> jax.Array:
        return _weights(self.key, jnp.asarray(np.asarray(indices), jnp.int32), self.base,
                        jnp.asarray(self.unit_index), jnp.asarray(self.unit_stratum), self.n_units,
                        self.resampling, self.n_strata)


class _PerGroupDraws:
    """Replicate weights over the stacked rows where each group's are exactly those its own
    :meth:`Fit.bootstrap` draws with the same seed (``bootstrap.replicate_weights`` from
    ``fold_in(PRNGKey(seed), i)`` over the group's own units): a grouped bootstrap then equals
    the loop of separate bootstraps, replicate by replicate. Groups with the same units share
    their draws, so their replicates must not be combined across groups."""

    def __init__(self, bases: list, labels: list, seed: int, resampling: str):
        self.key = jax.random.PRNGKey(int(seed))
        self.resampling = resampling
        self.parts = []
        for base, lab in zip(bases, labels):
            gi, n_units = _bootstrap._group_index(lab, base)
            self.parts.append((jnp.asarray(base, jnp.float64), jnp.asarray(gi), n_units))

    def __call__(self, indices) -> jax.Array:
        idx = jnp.asarray(np.asarray(indices), jnp.int32)
        return jnp.concatenate([_bootstrap.replicate_weights(self.key, idx, base, gi, n_units, self.resampling)
                                for base, gi, n_units in self.parts], axis=1)


POINT_LANES = 131_072
"""At most this many (slot x padded row) lanes per solver iteration: 512 slots of the 256 padded
rows of chinchilla-240, where ``bootstrap.default_slots`` was tuned. Wider pools of longer data
sets run out of cache: leave-one-board-out on the Hex boards (640 padded rows, 7 folds x 500
replicates) took 26.4 s with 512 slots and 19.1 s with 128."""


def pool_slots(n_problems: int, n_starts: int, n_rows: int) -> int:
    """Solver slots for ``n_problems`` x ``n_starts`` tasks on ``n_rows`` padded rows."""
    return max(32, min(_bootstrap.pool_slots(n_problems, n_starts, n_rows=n_rows), POINT_LANES // max(int(n_rows), 1)))


def _empty(G: int, n: int, p: int, S: int) -> dict:
    return {k: np.stack([v] * G) for k, v in _bootstrap._empty_arrays(n, p, S).items()}


def _per_group_arrays(out: dict, time_s: float, compile_s: float, retried, unidentified) -> list:
    G = out["theta"].shape[0]
    return [_bootstrap.EnsembleArrays(**{k: v[g] for k, v in out.items()}, time_s=time_s, compile_s=compile_s,
                                      retried=retried[g], unidentified=unidentified[g]) for g in range(G)]


def _unidentified(law, problems, W_groups: list, n_free: int) -> list:
    """Per group [R] bool: a one-input law's replicate holding fewer distinct x than free parameters."""
    if len(law.inputs) != 1:
        return [np.zeros(W.shape[0], bool) for W in W_groups]
    return [_bootstrap.fewer_distinct_x(problem.F[:, 0], W, n_free) for problem, W in zip(problems, W_groups)]


# ------------------------------------------------------------------------------------------
# groups fitted separately: replicates x groups problems


def bootstrap_separate(problems, optima, grid_starts, n: int, seed: int, resampling: str, labels, label_name,
                       n_starts: int, chunk_size: int, per_group: bool = False, progress=None):
    """Per group :class:`~scalinglaws.bootstrap.EnsembleArrays` of ``n`` replicates; every
    (replicate, group) refit in blocks of about ``chunk_size`` problems, one solve each.
    ``per_group``: each group's replicates are those of its own ``Fit.bootstrap(seed)``
    (:class:`_PerGroupDraws`). ``progress``: show a bar (default: when stderr is a terminal)."""
    G = len(problems)
    first = problems[0]
    law, objective, config, dtype = first.law, first.objective, first.config, first.dtype
    sizes = np.array([len(p.y_fit) for p in problems])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    base = np.concatenate([p.weights for p in problems])
    units = resampling_units(np.repeat(np.arange(G), sizes), base, labels, label_name)
    if units[3]:
        raise InputError(f"cluster {label_name!r} holds whole groups: resampling whole groups says nothing about "
                         "parameters each group fits on its own data; it bands shared parameters (fit with "
                         "shared=[...]), or resample clusters inside each group", column=label_name)
    if per_group:
        own = [None if labels is None else labels[o:o + k] for o, k in zip(offsets, sizes)]
        draws = _PerGroupDraws([p.weights for p in problems], own, seed, resampling)
    else:
        draws = _Draws(base, units, seed, resampling)
    m = max(bucket_points(s) for s in sizes)
    # gather[g, j]: the stacked row that is group g's j-th row (-1: padding, weight 0)
    gather = np.full((G, m), -1, np.int64)
    for g in range(G):
        gather[g, : sizes[g]] = offsets[g] + np.arange(sizes[g])
    F = np.stack([_pad(p.F, m) for p in problems])
    y = np.stack([_pad(p.y_fit, m) for p in problems])
    starts = []
    for g in range(G):
        s = np.concatenate([optima[g][None], grid_starts[g][: max(n_starts - 1, 0)]])
        starts.append(problems[g].with_fixed(s))
    S = max(len(s) for s in starts)
    theta0 = np.stack([np.concatenate([s, np.repeat(s[-1:], S - len(s), 0)]) for s in starts])  # [G, S, p]
    stage0 = np.array([_solvers.WARM] + [0] * (S - 1), np.int32)
    lower = np.stack([p.lower for p in problems])
    upper = np.stack([p.upper for p in problems])
    dev = dict(F=jnp.asarray(F, dtype), y=jnp.asarray(y, dtype), lower=jnp.asarray(lower, dtype),
               upper=jnp.asarray(upper, dtype), fixed=jnp.asarray(first.fixed_mask))
    R_b = max(1, min(n, int(chunk_size) // G))
    P = R_b * G
    slots = pool_slots(P, S, m)
    out = _empty(G, n, first.law.n_params, S)
    W_groups = [np.empty((n, s)) for s in sizes]
    gather_j = jnp.asarray(np.maximum(gather, 0))
    pad_mask = jnp.asarray(gather >= 0)
    t_first, t0_all = None, time.perf_counter()
    n_blocks = 0
    with _progress.Bar(n, "bootstrap", "replicate", _progress.enabled(progress)) as bar:
        bar.stage("preparing (the first run of a shape compiles)")
        for lo in range(0, n, R_b):
            t0 = time.perf_counter()
            idx, take = _block(lo, R_b, n)
            W = draws(idx)  # [R_b, n_total]
            Wg = jnp.where(pad_mask, W[:, gather_j], 0.0)  # [R_b, G, m]
            res = _solvers.solve_in_segments(
                law, objective, config, dev["F"], dev["y"], Wg.reshape(P, m).astype(dtype),
                jnp.asarray(np.tile(theta0, (R_b, 1, 1)), dtype), dev["lower"], dev["upper"], dev["fixed"],
                jnp.asarray(np.tile(stage0, (P, 1))), slots=slots,
                data_index=jnp.asarray(np.tile(np.arange(G), R_b), jnp.int32), report=bar.block(lo, take))
            res = jax.block_until_ready(res)
            for name, field in _bootstrap.FIELDS.items():
                a = np.asarray(getattr(res, field))
                a = a.reshape((R_b, G) + a.shape[1:])[:take]
                out[name][:, lo:lo + take] = np.swapaxes(a, 0, 1)
            Wh = np.asarray(W)[:take]
            for g in range(G):
                W_groups[g][lo:lo + take] = Wh[:, offsets[g]:offsets[g] + sizes[g]]
            n_blocks += 1
            bar.update_to(lo + take)
            if t_first is None:
                t_first = time.perf_counter() - t0
    total = time.perf_counter() - t0_all
    compile_s = _bootstrap._compile_time(total, t_first, n_blocks)
    time_s = total - (0.0 if np.isnan(compile_s) else compile_s)
    if per_group:  # each group's failed replicates retried and flagged exactly as its own bootstrap does
        arrays = _per_group_arrays(out, time_s, compile_s, [None] * G, [None] * G)
        for g, (problem, a) in enumerate(zip(problems, arrays)):
            lab = None if labels is None else labels[offsets[g]:offsets[g] + sizes[g]]
            _bootstrap.retry_failed(problem, a, starts[g], seed, resampling, lab)
            u = _bootstrap.unidentified_replicates(problem, n, seed, resampling, lab)
            a.unidentified = np.zeros(n, bool) if u is None else u
        return arrays
    retried = _retry_separate(problems, out, W_groups, theta0, dev, m)
    n_free = int(np.sum(~np.asarray(first.fixed_mask)))
    unidentified = _unidentified(law, problems, W_groups, n_free)
    return _per_group_arrays(out, time_s, compile_s, retried, unidentified)


def _retry_separate(problems, out, W_groups, theta0, dev, m) -> list:
    """Failed (replicate, group) refits solved again with ``retry_factor`` times the iterations
    from their end point and the group's starts; in place. Returns per group [R] retried flags."""
    G = len(problems)
    R = out["theta"].shape[1]
    retried = [np.zeros(R, bool) for _ in range(G)]
    first = problems[0]
    config = first.config
    failed = np.argwhere(~out["converged"])  # [k, 2] (group, replicate)
    n_failed = len(failed)
    if n_failed == 0 or config.retry_factor <= 1:
        return retried
    retry = config.for_retry()
    failed = _bootstrap.retry_batch(failed)
    g_idx, r_idx = failed[:, 0], failed[:, 1]
    W = np.stack([_pad(W_groups[g][r], m) * (np.arange(m) < len(problems[g].y_fit)) for g, r in failed])
    S = theta0.shape[1]
    starts = np.concatenate([out["theta"][g_idx, r_idx][:, None], theta0[g_idx]], axis=1)
    stage0 = np.concatenate([np.full((len(failed), 1), _solvers.WARM), np.tile(
        np.array([_solvers.WARM] + [0] * (S - 1)), (len(failed), 1))], axis=1).astype(np.int32)
    dtype = first.dtype
    res = jax.tree.map(np.asarray, _solvers.solve(
        first.law, first.objective, retry, dev["F"], dev["y"], jnp.asarray(W, dtype), jnp.asarray(starts, dtype),
        dev["lower"], dev["upper"], dev["fixed"], jnp.asarray(stage0), data_index=jnp.asarray(g_idx, jnp.int32),
        n_valid=jnp.asarray(n_failed, jnp.int32), slots=pool_slots(len(failed), S + 1, m)))
    better = res.converged | (res.objective < out["objective"][g_idx, r_idx])
    for k, (g, r) in enumerate(failed[:n_failed]):
        retried[g][r] = True
        out["iterations"][g, r] += int(res.iterations[k])
        if better[k]:
            for name in ("theta", "objective", "converged", "on_bound", "grad_norm", "stop_reason"):
                out[name][g, r] = getattr(res, _bootstrap.FIELDS[name])[k]
    return retried


# ------------------------------------------------------------------------------------------
# groups with shared parameters: one joint problem per replicate


def bootstrap_joint(jlaw, problems, joint_theta, joint_starts, n: int, seed: int, resampling: str, labels,
                    label_name, n_starts: int, chunk_size: int, progress=None):
    """Per group EnsembleArrays of ``n`` joint refits (see module docstring), and whether the
    groups were resampled whole. ``progress``: show a bar (default: when stderr is a terminal)."""
    from .joint import joint_arrays

    G = len(problems)
    first = problems[0]
    dtype = first.dtype
    F, y, w, lower, upper, fixed_mask, fixed_values = joint_arrays(jlaw, problems)
    sizes = np.array([len(p.y_fit) for p in problems])
    n_rows = int(sizes.sum())
    group_of_row = np.repeat(np.arange(G), sizes)
    units = resampling_units(group_of_row, w[:n_rows], labels, label_name)
    draws = _Draws(w[:n_rows], units, seed, resampling)
    starts = np.concatenate([joint_theta[None], joint_starts[: max(n_starts - 1, 0)]])
    starts = np.where(fixed_mask, fixed_values, starts)
    S = len(starts)
    stage0 = np.array([_solvers.WARM] + [0] * (S - 1), np.int32)
    R_b = max(1, min(n, int(chunk_size)))
    n_pad = len(y)
    dev = dict(F=jnp.asarray(F, dtype), y=jnp.asarray(y, dtype), lower=jnp.asarray(lower, dtype),
               upper=jnp.asarray(upper, dtype), fixed=jnp.asarray(fixed_mask))
    slots = pool_slots(R_b, S, n_pad)
    p = len(joint_theta)
    out = _bootstrap._empty_arrays(n, p, S)
    W_all = np.empty((n, n_rows))
    t_first, t0_all, n_blocks = None, time.perf_counter(), 0
    with _progress.Bar(n, "bootstrap", "replicate", _progress.enabled(progress)) as bar:
        bar.stage("preparing (the first run of a shape compiles)")
        for lo in range(0, n, R_b):
            t0 = time.perf_counter()
            idx, take = _block(lo, R_b, n)
            W = draws(idx)
            Wp = jnp.pad(W, ((0, 0), (0, n_pad - n_rows))).astype(dtype)
            res = jax.block_until_ready(_solvers.solve_in_segments(
                jlaw, first.objective, first.config, dev["F"], dev["y"], Wp,
                jnp.asarray(np.tile(starts, (R_b, 1, 1)), dtype), dev["lower"], dev["upper"], dev["fixed"],
                jnp.asarray(np.tile(stage0, (R_b, 1))), slots=slots, report=bar.block(lo, take)))
            for name, field in _bootstrap.FIELDS.items():
                out[name][lo:lo + take] = np.asarray(getattr(res, field))[:take]
            W_all[lo:lo + take] = np.asarray(W)[:take]
            n_blocks += 1
            bar.update_to(lo + take)
            if t_first is None:
                t_first = time.perf_counter() - t0
    total = time.perf_counter() - t0_all
    compile_s = _bootstrap._compile_time(total, t_first, n_blocks)
    retried = _retry_joint(jlaw, first, out, W_all, starts, dev, n_pad)
    # Per group: its view of the joint replicates. A group a replicate left out (whole-group
    # resampling) has no data there: its own parameters are not identified in that replicate.
    thetas = jlaw.group_thetas(out["theta"])  # [R, G, p_base]
    g_lo, g_hi = jlaw.group_thetas(lower), jlaw.group_thetas(upper)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    W_groups = [W_all[:, offsets[g]:offsets[g] + sizes[g]] for g in range(G)]
    n_free = int(np.sum(~np.asarray(first.fixed_mask)))
    unidentified = _unidentified(jlaw.base, problems, W_groups, n_free)
    per_group = []
    for g in range(G):
        absent = ~np.any(W_groups[g] > 0, axis=1)
        at_lo, at_hi = _solvers.bound_hits(thetas[:, g], g_lo[g], g_hi[g], first.fixed_mask, first.config.bound_tol)
        fields = {**out, "theta": thetas[:, g], "on_bound": np.any(at_lo | at_hi, axis=1)}
        per_group.append(_bootstrap.EnsembleArrays(**fields, time_s=total - (0.0 if np.isnan(compile_s) else compile_s),
                                                   compile_s=compile_s, retried=retried,
                                                   unidentified=unidentified[g] | absent))
    return per_group, out, units[3]


def _retry_joint(jlaw, first, out, W_all, starts, dev, n_pad) -> np.ndarray:
    R = len(out["objective"])
    retried = np.zeros(R, bool)
    failed = np.flatnonzero(~out["converged"])
    config = first.config
    if len(failed) == 0 or config.retry_factor <= 1:
        return retried
    retry = config.for_retry()
    n_failed = len(failed)
    failed = _bootstrap.retry_batch(failed)
    S = len(starts)
    theta0 = np.concatenate([out["theta"][failed][:, None], np.broadcast_to(starts, (len(failed),) + starts.shape)], axis=1)
    stage0 = np.tile(np.array([_solvers.WARM, _solvers.WARM] + [0] * (S - 1), np.int32), (len(failed), 1))
    W = np.pad(W_all[failed], ((0, 0), (0, n_pad - W_all.shape[1])))
    dtype = first.dtype
    res = jax.tree.map(np.asarray, _solvers.solve(
        jlaw, first.objective, retry, dev["F"], dev["y"], jnp.asarray(W, dtype), jnp.asarray(theta0, dtype),
        dev["lower"], dev["upper"], dev["fixed"], jnp.asarray(stage0), n_valid=jnp.asarray(n_failed, jnp.int32),
        slots=pool_slots(len(failed), S + 1, n_pad)))
    failed, res = failed[:n_failed], jax.tree.map(lambda a: a[:n_failed], res)
    better = res.converged | (res.objective < out["objective"][failed])
    retried[failed] = True
    out["iterations"][failed] += res.iterations
    for name in ("theta", "objective", "converged", "on_bound", "grad_norm", "stop_reason"):
        out[name][failed[better]] = getattr(res, _bootstrap.FIELDS[name])[better]
    return retried
