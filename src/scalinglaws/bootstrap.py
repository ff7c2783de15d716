"""Bootstrap ensembles of fits: resampling weights, chunked and sharded solves, intervals.

A replicate is a weight vector over the fixed data: multinomial counts (Efron's bootstrap), or
Dirichlet(1, ..., 1) weights scaled to the number of units (Rubin's 1981 Bayesian bootstrap).
With ``groups``, whole groups (a model size, a run, a family) are resampled together: the cluster
bootstrap (Davison & Hinkley 1997, section 3.8). Because every replicate shares the data's shape,
the whole ensemble is one compiled array program, streamed in chunks of bounded memory and
sharded over ``jax.devices()``.

Replicate ``i``'s weights are drawn from ``fold_in(PRNGKey(seed), i)``: the same seed gives the
same replicates whatever the chunk size and however many devices share the work.
"""

from __future__ import annotations

import functools
import math
import sys
import time
import warnings
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from . import solvers as _solvers

__all__ = ["replicate_weights", "replicate_weight_matrix", "run_ensemble", "retry_failed", "unidentified_replicates",
           "EnsembleArrays",
           "percentile_interval", "bca_interval", "FAILED_POLICIES"]

FAILED_POLICIES = ("warn", "raise", "drop")

METHODS = ("multinomial", "bayesian")


def _group_index(groups: np.ndarray | None, weights: np.ndarray) -> tuple[np.ndarray, int]:
    """Map rows to resampling units 0..U-1: each row its own unit, or one unit per group label.

    Only rows with positive weight form units, so a weight of 0 is the same as dropping the row:
    the draws go to the real units alone. Zero-weight rows are mapped to unit 0; their base weight
    of 0 keeps them at 0 whatever unit 0 draws.
    """
    weights = np.asarray(weights, dtype=np.float64)
    n = len(weights)
    used = weights > 0
    labels = np.arange(n) if groups is None else np.asarray(groups).astype(str)
    units, inverse = np.unique(labels[used], return_inverse=True)
    index = np.zeros(n, dtype=np.int32)
    index[used] = inverse
    return index, int(len(units))


def _unit_weights(key, n_units: int, method: str, dtype):
    if method == "multinomial":
        # n_units draws with replacement, as counts per unit.
        draws = jax.random.randint(key, (n_units,), 0, n_units)
        return jnp.zeros(n_units, dtype).at[draws].add(1.0)
    # Bayesian bootstrap: Dirichlet(1,...,1), drawn as normalised Exp(1) variables (30x faster
    # than a gamma sampler on the CPU), scaled so the weights sum to n_units like counts do.
    g = jax.random.exponential(key, (n_units,), dtype)
    return g * (n_units / jnp.sum(g))


def replicate_weights(key, indices, base_weights, group_index, n_units: int, method: str):
    """Weights [len(indices), n] for the given replicate indices (pure; JAX arrays in and out).

    Row ``j`` of replicate ``i`` gets ``base_weights[j] * u_i[group_index[j]]``, with ``u_i`` the
    unit weights drawn from ``fold_in(key, i)``.
    """

    def one(i):
        u = _unit_weights(jax.random.fold_in(key, i), n_units, method, base_weights.dtype)
        return base_weights * u[group_index]

    return jax.vmap(one)(indices)


@dataclass
class EnsembleArrays:
    """Raw per-replicate results (numpy), as the solver left them."""

    theta: np.ndarray  # [R, p] internal parameters of the best start
    objective: np.ndarray  # [R]
    converged: np.ndarray  # [R] bool
    on_bound: np.ndarray  # [R] bool
    iterations: np.ndarray  # [R]
    grad_norm: np.ndarray  # [R]
    best_start: np.ndarray  # [R] index into the starts
    start_objective: np.ndarray  # [R, S]
    start_abandoned: np.ndarray  # [R, S] bool
    start_iterations: np.ndarray  # [R, S] solver iterations each start took
    time_s: float
    compile_s: float
    retried: np.ndarray | None = None  # [R] bool: failed in the stream, solved again (retry_failed)
    unidentified: np.ndarray | None = None  # [R] bool: too few distinct x (unidentified_replicates)


class _Stream(NamedTuple):
    """A pool of solver slots working through a queue of (replicate, start) tasks on one device.

    Per slot (``[B]``): solver state, task id (-1 when free) and weights. Per task (``[T]``, task
    ``t`` = start ``t // R`` of replicate ``t % R``): the filed results. Per replicate (``[R]``):
    the objective its first start (the warm start) reached, which the other starts race against.
    """

    state: _solvers._State
    task: jax.Array
    W: jax.Array
    next_task: jax.Array
    theta: jax.Array
    f: jax.Array
    converged: jax.Array
    abandoned: jax.Array
    iterations: jax.Array
    grad_norm: jax.Array
    on_bound: jax.Array
    best_f: jax.Array


class _Data(NamedTuple):
    """The arrays a stream reads: data, bounds and starts (jit arguments, so one compiled program
    serves every data set of the same shape)."""

    F: jax.Array
    y: jax.Array
    base: jax.Array
    lower: jax.Array
    upper: jax.Array
    fixed: jax.Array
    starts: jax.Array
    stage0: jax.Array


def _problem_data(problem, starts, stage0) -> _Data:
    """Device arrays in the problem's dtype, rows padded to its size bucket (weight 0)."""
    F, y, lower, upper = problem.device_arrays()
    base = jnp.asarray(problem.pad_rows(problem.weights, fill=0.0), problem.dtype)
    return _Data(F, y, base, lower, upper, jnp.asarray(problem.fixed_mask), jnp.asarray(starts, problem.dtype),
                 jnp.asarray(stage0, jnp.int32))


def _device_api(mesh):
    """Wrap per-device functions with a leading device axis: plain jit on one device, shard_map
    over the ``replicates`` mesh axis on several. ``wrap(fn, n_rep)``: the first ``n_rep``
    arguments are replicated, the rest (and every output) carry the device axis."""

    def wrap(fn, n_rep, donate=()):
        def per_device(*args):
            rep, dev = args[:n_rep], args[n_rep:]
            out = fn(*rep, *[jax.tree.map(lambda a: a[0], d) for d in dev])
            return jax.tree.map(lambda a: a[None], out)

        if mesh is None:
            return jax.jit(per_device, donate_argnums=donate)
        n_args = fn.__code__.co_argcount
        specs = tuple([PartitionSpec()] * n_rep + [PartitionSpec("replicates")] * (n_args - n_rep))
        return jax.jit(jax.shard_map(per_device, mesh=mesh, in_specs=specs, out_specs=PartitionSpec("replicates"),
                                     check_vma=False), donate_argnums=donate)

    return wrap


@functools.lru_cache(maxsize=32)
def _stream_functions(law, objective, config, n_units, method, n_starts, n_local, slots, race, mesh):
    """Jitted ``run(data, key, group_index, rep_offset) -> _Stream``: ``n_local`` replicates x
    ``n_starts`` starts per device, streamed through ``slots`` solver slots in one while loop.

    Tasks are handed out start-major: every replicate's warm start first, so its objective is
    known (``best_f``) by the time the other starts run and race against it. Each iteration
    refills free slots from the queue (a refilled slot's first iteration is its initial
    evaluation), takes one solver step on every slot, and files the results of slots that
    finished. A finished start stops costing work at once, which a plain vmap over every
    (replicate, start) pair would spend until the slowest was done. Cached: ensembles of the same
    shape reuse the compiled program.
    """
    R = n_local
    T = R * n_starts
    B = slots
    last = _solvers._n_stages(objective, config) - 1
    i32 = jnp.int32
    race_after, race_ratio = race

    def local_run(d: _Data, key, group_index, rep_offset, n_valid) -> _Stream:
        # Only the first n_valid of the R replicate rows are real (the block is padded to a
        # bucket size so other ensemble sizes reuse this program); tasks for the rest are never
        # handed out. Queue position v is replicate v % n_valid from start v // n_valid.
        p = d.starts.shape[1]
        n = d.y.shape[0]
        n_tasks = n_valid * n_starts
        W_all = replicate_weights(key, rep_offset + jnp.arange(R, dtype=i32), d.base, group_index, n_units, method)
        proto = _solvers._init_state(law, objective, config, d.F, d.y, d.base, d.lower, d.upper, d.starts[0],
                                      jnp.asarray(0, i32))
        state0 = jax.tree.map(lambda a: jnp.broadcast_to(jnp.asarray(a), (B,) + jnp.shape(a)), proto)
        state0 = state0._replace(done=jnp.ones(B, bool))
        real = d.y.dtype
        zeros = lambda *shape, dt=real: jnp.zeros(shape, dt)
        c0 = _Stream(state0, jnp.full(B, -1, i32), zeros(B, n), jnp.asarray(0, i32), zeros(T, p),
                     jnp.full(T, jnp.inf, real), zeros(T, dt=bool), zeros(T, dt=bool), zeros(T, dt=i32), zeros(T),
                     zeros(T, dt=bool), jnp.full(R, jnp.inf, real))
        step = jax.vmap(lambda w, st: _solvers._iterate(law, objective, config, d.F, d.y, w, d.lower, d.upper,
                                                         d.fixed, st))
        fresh = jax.vmap(lambda st, th, s0: _solvers.fresh_state(objective, config, st, th, s0))

        def body(c: _Stream) -> _Stream:
            # 1. Refill free slots from the queue (no evaluation: that is the next step's refresh).
            free = c.task < 0
            position = (c.next_task + jnp.cumsum(free) - 1).astype(i32)
            take = free & (position < n_tasks)
            pos = jnp.where(take, position, 0)
            s_new, r_new = pos // n_valid, pos % n_valid
            restarted = fresh(c.state, d.starts[s_new], d.stage0[s_new])
            pick = lambda a, b: jnp.where(take.reshape((-1,) + (1,) * (a.ndim - 1)), a, b)
            state = jax.tree.map(pick, restarted, c.state)
            W = pick(W_all[r_new], c.W)
            task = jnp.where(take, s_new * R + r_new, c.task).astype(i32)  # result slot: start-major
            next_task = jnp.minimum(c.next_task + jnp.sum(free), n_tasks).astype(i32)
            rep = task % R
            is_extra = task >= R

            # 2. One step on every slot; race extra starts against the replicate's warm start.
            state = step(W, state)
            behind = is_extra & (state.stage >= last) & (state.k >= race_after) & ~state.done
            behind = behind & (race_ratio > 0) & (state.terms.f > race_ratio * c.best_f[rep])
            state = state._replace(done=state.done | behind | (state.k >= config.max_iter),
                                   abandoned=state.abandoned | behind)

            # 3. File the results of finished slots and free them.
            finished = state.done & (task >= 0)
            dest = jnp.where(finished, task, T)  # T is out of range: dropped
            put = lambda arr, v: arr.at[dest].set(v, mode="drop")
            g = state.terms.g
            held = jax.vmap(_solvers._held, in_axes=(0, 0, None, None, None))(state.theta, g, d.lower, d.upper,
                                                                               d.fixed)
            gn = jax.vmap(_solvers._scaled_max)(jnp.where(held, 0.0, g), state.theta)
            ob = _solvers.on_bound(state.theta, d.lower, d.upper, d.fixed, config.bound_tol)
            best_f = c.best_f.at[jnp.where(finished & ~is_extra, rep, R)].min(state.terms.f, mode="drop")
            return _Stream(state, jnp.where(finished, -1, task).astype(i32), W, next_task,
                           put(c.theta, state.theta), put(c.f, state.terms.f), put(c.converged, state.converged),
                           put(c.abandoned, state.abandoned), put(c.iterations, state.k), put(c.grad_norm, gn),
                           put(c.on_bound, ob), best_f)

        return jax.lax.while_loop(lambda c: (c.next_task < n_tasks) | jnp.any(c.task >= 0), body, c0)

    return _device_api(mesh)(local_run, 3)


def bucket_size(n: int, smallest: int = 128) -> int:
    """Replicates per device block, rounded up to a power of two so that ensembles of other
    sizes reuse the compiled program (the padding is never solved)."""
    return max(smallest, 1 << (max(int(n), 1) - 1).bit_length())


def _use_progress(progress) -> bool:
    if progress is None:
        return sys.stderr.isatty()
    return bool(progress)


def default_slots() -> int:
    """Solver slots per device: enough lanes to fill a GPU; a cache-sized pool on a CPU."""
    return 16384 if jax.default_backend() in ("gpu", "cuda", "rocm", "tpu") else 1024


def run_ensemble(problem, theta_starts: np.ndarray, stage0: np.ndarray, n: int, seed: int,
                 method: str = "multinomial", groups: np.ndarray | None = None, chunk_size: int = 8192,
                 devices=None, progress=None, slots: int | None = None,
                 race: tuple[int, float] | None = (6, 2.0), first_replicate: int = 0) -> EnsembleArrays:
    """Solve ``n`` bootstrap replicates of ``problem`` from the given starts.

    Replicates are processed in blocks of ``chunk_size`` (memory is bounded by a block, not by
    ``n``), split evenly across devices. Each device streams its (replicate, start) tasks through
    a fixed pool of solver slots (see ``_stream_functions``): the first start of every replicate
    (the full-data optimum, a warm start) first, then the others, each raced against its
    replicate's warm-start optimum. One compiled program serves any ``n``.

    Args:
        problem: a ``fitting.Problem`` (data, law, objective, bounds, solver config).
        theta_starts: [S, p] internal starts shared by every replicate (the warm start first).
        stage0: [S] smoothing stage each start begins at (``solvers.WARM`` for a warm start).
        n, seed, method, groups: the resampling scheme (see module docstring).
        chunk_size: replicates per block, rounded up to a multiple of the device count.
        devices: devices to shard the replicate axis over (default ``jax.devices()``).
        progress: show a tqdm bar (default: when stderr is a terminal).
        slots: solver slots per device (default :func:`default_slots`).
        race: ``(after, ratio)``: an extra start whose objective is still above ``ratio`` times
            its replicate's warm-start optimum after ``after`` iterations is abandoned (counted in
            the result). ``None`` runs every start to convergence. Measured on Chinchilla (4,000
            replicates x 3 grid starts): after 6 iterations the closest extra start was still 7.5x
            the warm optimum; run to convergence, none beat it; running them costs 8x the time
            (``benchmarks/bench_bootstrap.py``, ``docs/performance.md``).
        first_replicate: index of the first replicate: replicates ``first_replicate ..
            first_replicate + n - 1`` of the seed's stream are solved (for splitting one ensemble
            across hosts; see docs/sharding.md).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if n < 1:
        raise ValueError(f"n must be a positive number of replicates, got {n}")
    devices = list(jax.devices() if devices is None else devices)
    D = len(devices)
    R = bucket_size(math.ceil(min(int(chunk_size), n) / D))  # per device
    block = R * D
    mesh = Mesh(np.array(devices), ("replicates",)) if D > 1 else None
    group_index, n_units = _group_index(groups, problem.weights)
    # Padding rows belong to unit 0 but carry base weight 0, so they never count.
    group_index = problem.pad_rows(group_index, fill=0)
    S, p = theta_starts.shape
    B = min(int(slots or default_slots()), R * S)
    race = (0, 0.0) if race is None else (int(race[0]), float(race[1]))
    run = _stream_functions(problem.law, problem.objective, problem.config, n_units, method, S, R, B, race, mesh)
    data = _problem_data(problem, theta_starts, stage0)
    key = jax.random.PRNGKey(seed)
    gi = jnp.asarray(group_index)
    sharding = NamedSharding(mesh, PartitionSpec("replicates")) if mesh is not None else None
    put = (lambda a: jax.device_put(a, sharding)) if sharding is not None else jnp.asarray

    out = dict(
        theta=np.empty((n, p)), objective=np.empty(n), converged=np.empty(n, bool), on_bound=np.empty(n, bool),
        iterations=np.empty(n, np.int32), grad_norm=np.empty(n), best_start=np.empty(n, np.int32),
        start_objective=np.empty((n, S)), start_abandoned=np.empty((n, S), bool),
        start_iterations=np.empty((n, S), np.int32),
    )
    n_blocks = int(math.ceil(n / block))
    bar = None
    if _use_progress(progress):
        from tqdm.auto import tqdm

        bar = tqdm(total=n, unit="replicate", desc="bootstrap")
    t_first = None
    start_all = time.perf_counter()
    for b in range(n_blocks):
        t0 = time.perf_counter()
        lo = b * block
        # The last block keeps the full shape (no recompile): its tail is computed and dropped.
        take = min(block, n - lo)
        # Split the block's real replicates evenly over devices; padding stays at each tail.
        per_dev = np.full(D, take // D) + (np.arange(D) < take % D)
        first_rep = first_replicate + lo + np.concatenate([[0], np.cumsum(per_dev)[:-1]])
        c = jax.block_until_ready(run(data, key, gi, put(jnp.asarray(first_rep, jnp.int32)),
                                      put(jnp.asarray(per_dev, jnp.int32))))
        # [D, T] by task (start-major) -> [D * R, S] by replicate.
        by_rep = lambda a: np.swapaxes(np.asarray(a).reshape((D, S, R) + np.asarray(a).shape[2:]), 1, 2).reshape(
            (D * R, S) + np.asarray(a).shape[2:])
        # Keep each device's real rows, in replicate order.
        real = np.concatenate([d * R + np.arange(per_dev[d]) for d in range(D)])
        by_rep_real = lambda a: by_rep(a)[real]
        f_s = by_rep_real(c.f)
        best = np.argmin(f_s, axis=1)
        rows = slice(lo, lo + take)
        pick = lambda a: np.take_along_axis(a, best.reshape((-1, 1) + (1,) * (a.ndim - 2)), 1)[:, 0]
        out["theta"][rows] = pick(by_rep_real(c.theta))
        out["objective"][rows] = pick(f_s)
        out["converged"][rows] = pick(by_rep_real(c.converged))
        out["iterations"][rows] = pick(by_rep_real(c.iterations))
        out["on_bound"][rows] = pick(by_rep_real(c.on_bound))
        out["grad_norm"][rows] = pick(by_rep_real(c.grad_norm))
        out["best_start"][rows] = best
        out["start_objective"][rows] = f_s
        out["start_abandoned"][rows] = by_rep_real(c.abandoned)
        out["start_iterations"][rows] = by_rep_real(c.iterations)
        if t_first is None:
            t_first = time.perf_counter() - t0
        if bar is not None:
            bar.update(take)
    total = time.perf_counter() - start_all
    if bar is not None:
        bar.close()
    # The first block includes compilation; later blocks of the same shape do not.
    if n_blocks > 1:
        per_block = (total - t_first) / (n_blocks - 1)
        compile_s = max(t_first - per_block, 0.0)
    else:
        compile_s = float("nan")  # not separable from one block; benchmarks/ measure it apart
    return EnsembleArrays(**out, time_s=total - (0.0 if np.isnan(compile_s) else compile_s), compile_s=compile_s)


def replicate_weight_matrix(problem, seed: int, method: str, groups, indices) -> np.ndarray:
    """numpy [len(indices), n]: the weights of the given replicates of ``seed``, exactly as
    :func:`run_ensemble` draws them (n = the problem's rows, unpadded)."""
    group_index, n_units = _group_index(groups, problem.weights)
    W = replicate_weights(jax.random.PRNGKey(seed), jnp.asarray(np.asarray(indices), jnp.int32),
                          jnp.asarray(problem.weights, jnp.float64), jnp.asarray(group_index), n_units, method)
    return np.asarray(W, dtype=np.float64)


RETRY_BLOCK = 4096


def retry_failed(problem, arrays: EnsembleArrays, starts: np.ndarray, seed: int, method: str, groups,
                 first_replicate: int = 0, perturb: float = 0.05) -> int:
    """Solve the replicates that failed to converge again, in place; returns how many recovered.

    A replicate fails when every start hit the iteration cap or stalled. Each is retried with
    ``config.retry_factor`` times the iterations (no retry if it is 1 or less), from its own end
    point, from the full-data optimum, from the grid starts, and from the optimum perturbed by
    ``perturb`` of each parameter's scale (drawn from the seed and the replicate's index, so the same seed gives the same answer). A
    retry that converges replaces the failed result; one that does not keeps the lower objective
    and stays failed. ``arrays.retried`` marks every replicate retried.
    """
    import dataclasses

    R = len(arrays.objective)
    if arrays.retried is None:
        arrays.retried = np.zeros(R, bool)
    failed = np.flatnonzero(~arrays.converged)
    if len(failed) == 0 or problem.config.retry_factor <= 1:
        return 0
    cfg = problem.config
    prob = problem.with_config(dataclasses.replace(cfg, max_iter=int(cfg.max_iter * cfg.retry_factor)))
    lower, upper = problem.lower, problem.upper
    scale = np.maximum(np.abs(starts[0]), 1.0)
    recovered = 0
    for lo in range(0, len(failed), RETRY_BLOCK):
        idx = failed[lo: lo + RETRY_BLOCK]
        W = replicate_weight_matrix(problem, seed, method, groups, first_replicate + idx)
        noise = np.stack([np.random.default_rng([int(seed), int(first_replicate + i)]).standard_normal(len(scale))
                          for i in idx])
        perturbed = np.clip(starts[0] + perturb * scale * noise, lower, upper)
        k = len(idx)
        theta0 = np.concatenate([arrays.theta[idx][:, None], np.broadcast_to(starts, (k,) + starts.shape),
                                 perturbed[:, None]], axis=1)
        stage0 = np.concatenate([np.full((k, 2), _solvers.WARM), np.zeros((k, len(starts) - 1)),
                                 np.full((k, 1), _solvers.WARM)], axis=1).astype(np.int32)
        res = prob.solve(W, theta0, stage0)
        conv, f = np.asarray(res.converged), np.asarray(res.objective)
        better = conv | (f < arrays.objective[idx])
        take = idx[better]
        arrays.theta[take] = np.asarray(res.theta)[better]
        arrays.objective[take] = f[better]
        arrays.converged[take] = conv[better]
        arrays.on_bound[take] = np.asarray(res.on_bound)[better]
        arrays.grad_norm[take] = np.asarray(res.grad_norm)[better]
        arrays.iterations[idx] = arrays.iterations[idx] + np.asarray(res.iterations)
        arrays.retried[idx] = True
        recovered += int(conv.sum())
    return recovered


class ReplicateFailureWarning(UserWarning):
    """Some bootstrap replicates did not converge even after a retry (see ``failed=``)."""


class ReplicateFailureError(RuntimeError):
    """Raised by ``bootstrap(failed="raise")`` when replicates did not converge after a retry."""


def unidentified_replicates(problem, n: int, seed: int, method: str, groups, first_replicate: int = 0,
                            block: int = 65536) -> np.ndarray | None:
    """[n] bool: replicates of a one-input law whose resampled rows hold fewer distinct x values
    than the law has free parameters, so that their optimum is not unique (5 points resampled
    with replacement keep 2 or fewer distinct values 9.8% of the time). None when the data have
    at least 4x as many distinct x values as free parameters: the chance is then below 1e-7."""
    law = problem.law
    if len(law.inputs) != 1:
        return None
    n_free = int(np.sum(~np.asarray(problem.fixed_mask)))
    used = problem.weights > 0
    values, inverse = np.unique(problem.F[used, 0], return_inverse=True)
    if len(values) >= 4 * n_free:
        return None
    codes = np.zeros(len(problem.weights), np.int64)
    codes[used] = inverse
    out = np.zeros(n, bool)
    for lo in range(0, n, block):
        idx = np.arange(lo, min(n, lo + block))
        W = replicate_weight_matrix(problem, seed, method, groups, first_replicate + idx)
        present = np.zeros((len(idx), len(values)), bool)
        rows, cols = np.nonzero(W > 0)
        present[rows, codes[cols]] = True
        out[idx] = present.sum(axis=1) < n_free
    return out


def failure_message(n_left_out: int, n: int, not_converged: int, retried: int, recovered: int,
                    unidentified: int = 0) -> str:
    parts = []
    if not_converged:
        parts.append(f"{not_converged} failed to converge after a retry ({retried} retried with more iterations "
                     f"and other starts, {recovered} recovered)")
    if unidentified:
        parts.append(f"{unidentified} resampled fewer distinct x values than the law has free parameters, so "
                     "their optimum is not unique (with this few distinct x values the band itself is unreliable)")
    return (f"{n_left_out} of {n} bootstrap replicates ({100 * n_left_out / n:.2f}%) are left out of intervals and "
            f"bands: {'; '.join(parts)}. Intervals and bands use the other {n - n_left_out}; a failed replicate is "
            "often one the data cannot pin down: pass include_failed=True to see their end points, or "
            "failed='drop' to silence this")


# --------------------------------------------------------------------------------------------
# intervals
# --------------------------------------------------------------------------------------------
def percentile_interval(draws: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed percentile interval over axis 0 (NaN draws ignored; all-NaN gives NaN)."""
    a = (1.0 - level) / 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column is an answer here
        return np.nanquantile(draws, a, axis=0), np.nanquantile(draws, 1.0 - a, axis=0)


def bca_interval(draws: np.ndarray, estimate: np.ndarray, jackknife: np.ndarray, level: float):
    """Bias-corrected and accelerated interval (Efron 1987; Efron & Tibshirani 1993, ch. 14).

    ``z0 = Phi^-1(P*(theta* < theta_hat))`` corrects median bias, and the acceleration
    ``a = sum (m - t_i)^3 / (6 (sum (m - t_i)^2)^1.5)`` from the jackknife values ``t_i`` (mean
    ``m``) corrects for the standard error changing with the parameter. The endpoints are the
    draws' quantiles at ``Phi(z0 + (z0 + z) / (1 - a (z0 + z)))`` for ``z = Phi^-1(alpha)``.
    """
    from scipy.stats import norm

    draws = np.asarray(draws, dtype=np.float64)
    estimate = np.broadcast_to(np.asarray(estimate, dtype=np.float64), draws.shape[1:])
    valid = np.isfinite(draws)
    n_valid = valid.sum(axis=0)
    below = np.sum(np.where(valid, draws < estimate, False), axis=0) + 0.5 * np.sum(
        np.where(valid, draws == estimate, False), axis=0
    )
    prop = np.clip(below / np.maximum(n_valid, 1), 1e-12, 1 - 1e-12)
    z0 = norm.ppf(prop)
    jk = np.asarray(jackknife, dtype=np.float64)
    d = np.nanmean(jk, axis=0) - jk
    num = np.nansum(d**3, axis=0)
    den = 6.0 * np.nansum(d**2, axis=0) ** 1.5
    accel = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    a = (1.0 - level) / 2.0
    out = []
    for z in (norm.ppf(a), norm.ppf(1.0 - a)):
        q = norm.cdf(z0 + (z0 + z) / (1.0 - accel * (z0 + z)))
        out.append(q)
    lo_q, hi_q = out
    lower = np.empty(draws.shape[1:])
    upper = np.empty(draws.shape[1:])
    flat_draws = draws.reshape(draws.shape[0], -1)
    for j, (ql, qh) in enumerate(zip(np.ravel(lo_q), np.ravel(hi_q))):
        col = flat_draws[:, j]
        col = col[np.isfinite(col)]
        lower.flat[j] = np.quantile(col, ql) if len(col) else np.nan
        upper.flat[j] = np.quantile(col, qh) if len(col) else np.nan
    return lower, upper


def jackknife_weights(base_weights: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    """Leave-one-unit-out weight vectors [U, n] (a unit is a row, or a group)."""
    group_index, n_units = _group_index(groups, base_weights)
    W = np.broadcast_to(base_weights, (n_units, len(base_weights))).copy()
    W[group_index, np.arange(len(base_weights))] = 0.0
    return W
