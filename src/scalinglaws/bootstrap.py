"""Bootstrap ensembles of fits: resampling weights, chunked and sharded solves, intervals.

A replicate is a weight vector over the fixed data: multinomial counts (Efron's bootstrap), or
Dirichlet(1, ..., 1) weights scaled to the number of units (Rubin's 1981 Bayesian bootstrap).
With ``cluster``, whole groups (a model size, a run, a family) are resampled together: the cluster
bootstrap (Davison & Hinkley 1997, section 3.8). Because every replicate shares the data's shape,
the whole ensemble is one compiled array program, streamed in chunks of bounded memory and
sharded over ``jax.devices()``.

Replicate ``i``'s weights are drawn from ``fold_in(PRNGKey(seed), i)``: the same seed gives the
same replicates whatever the chunk size and however many devices share the work.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from . import progress as _progress
from . import solvers as _solvers
from .solvers.batch import advance_in_segments, pool_status
from .solvers.stream import advance as pool_advance
from .solvers.stream import finish as pool_finish
from .solvers.stream import start as pool_start

__all__ = ["replicate_weights", "replicate_weight_matrix", "run_ensemble", "retry_failed", "unidentified_replicates",
           "EnsembleArrays", "BlockPlan",
           "FAILED_POLICIES"]

FAILED_POLICIES = ("warn", "raise", "drop")

RESAMPLINGS = ("multinomial", "bayesian")


def _group_index(cluster: np.ndarray | None, weights: np.ndarray) -> tuple[np.ndarray, int]:
    """Map rows to resampling units 0..U-1: each row its own unit, or one unit per group label.

    Only rows with positive weight form units, so a weight of 0 is the same as dropping the row:
    the draws go to the real units alone. Zero-weight rows are mapped to unit 0; their base weight
    of 0 keeps them at 0 whatever unit 0 draws.
    """
    weights = np.asarray(weights, dtype=np.float64)
    n = len(weights)
    used = weights > 0
    labels = np.arange(n) if cluster is None else np.asarray(cluster).astype(str)
    units, inverse = np.unique(labels[used], return_inverse=True)
    index = np.zeros(n, dtype=np.int32)
    index[used] = inverse
    return index, int(len(units))


def _unit_weights(key, n_units: int, resampling: str, dtype):
    if resampling == "multinomial":
        # n_units draws with replacement, as counts per unit.
        draws = jax.random.randint(key, (n_units,), 0, n_units)
        return jnp.zeros(n_units, dtype).at[draws].add(1.0)
    # Bayesian bootstrap: Dirichlet(1,...,1), drawn as normalised Exp(1) variables (30x faster
    # than a gamma sampler on the CPU), scaled so the weights sum to n_units like counts do.
    g = jax.random.exponential(key, (n_units,), dtype)
    return g * (n_units / jnp.sum(g))


def _stratified_unit_weights(key, unit_stratum, n_strata: int, resampling: str, dtype):
    """Unit weights drawn within each stratum: stratum ``s`` with ``n_s`` units draws ``n_s``
    times from its own units (multinomial), or Dirichlet weights scaled to ``n_s`` (Bayesian).
    Units must be numbered stratum by stratum (a stratum's units contiguous)."""
    U = unit_stratum.shape[0]
    size = jax.ops.segment_sum(jnp.ones(U, dtype), unit_stratum, n_strata)
    first = jnp.cumsum(size) - size
    s_size, s_first = size[unit_stratum], first[unit_stratum]
    if resampling == "multinomial":
        u = jax.random.uniform(key, (U,), dtype)
        pick = (s_first + jnp.minimum(jnp.floor(u * s_size), s_size - 1)).astype(jnp.int32)
        return jnp.zeros(U, dtype).at[pick].add(1.0)
    g = jax.random.exponential(key, (U,), dtype)
    return g * s_size / jax.ops.segment_sum(g, unit_stratum, n_strata)[unit_stratum]


def replicate_weights(key, indices, base_weights, group_index, n_units: int, resampling: str, unit_stratum=None,
                      n_strata: int = 1):
    """Weights [len(indices), n] for the given replicate indices (pure; JAX arrays in and out).

    Row ``j`` of replicate ``i`` gets ``base_weights[j] * u_i[group_index[j]]``, with ``u_i`` the
    unit weights drawn from ``fold_in(key, i)``. With ``unit_stratum`` ([n_units] int, units
    numbered stratum by stratum), units are drawn within their stratum (the stratified bootstrap
    of a grouped fit: each group keeps its own number of rows or clusters).
    """

    def one(i):
        k = jax.random.fold_in(key, i)
        if unit_stratum is None:
            u = _unit_weights(k, n_units, resampling, base_weights.dtype)
        else:
            u = _stratified_unit_weights(k, unit_stratum, n_strata, resampling, base_weights.dtype)
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
    stop_reason: np.ndarray | None = None  # [R] solvers.StopReason code of the best start
    start_stop_reason: np.ndarray | None = None  # [R, S] solvers.StopReason code of each start
    retried: np.ndarray | None = None  # [R] bool: failed in the stream, solved again (retry_failed)
    unidentified: np.ndarray | None = None  # [R] bool: too few distinct x (unidentified_replicates)


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
    """Host arrays in the problem's dtype, rows padded to its size bucket (weight 0): the
    compiled call moves them itself, at a fraction of ``jnp.asarray``'s cost per array."""
    F, y, lower, upper = problem.host_arrays()
    base = problem.pad_rows(problem.weights, fill=0.0).astype(problem.dtype)
    return _Data(F, y, base, lower, upper, np.asarray(problem.fixed_mask, bool), np.asarray(starts, problem.dtype),
                 np.asarray(stage0, np.int32))


@functools.lru_cache(maxsize=64)
def _seed_key(seed: int) -> jax.Array:
    """``PRNGKey(seed)``, made once per seed (a tenth of a millisecond each time otherwise)."""
    return jax.random.PRNGKey(seed)


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


class _Programs(NamedTuple):
    """The compiled per-device steps of a block (:func:`_stream_functions`)."""

    init: Any
    advance: Any
    finish: Any


@functools.lru_cache(maxsize=32)
def _stream_functions(law, objective, config, n_units, resampling, n_starts, n_local, slots, mesh) -> _Programs:
    """Jitted steps of one block: ``n_local`` replicates x ``n_starts`` starts per device, their
    weights drawn on the device and streamed through ``slots`` solver slots by
    :mod:`solvers.stream`, the driver the point fit runs on too.

    ``init(data, key, group_index, rep_offset, n_valid) -> (setup, pool)``,
    ``advance(max_steps, setup, pool) -> (pool, [filed, tasks, running])`` (at most
    ``max_steps`` iterations; the pool is donated), ``finish(setup, pool) -> SolveResult``.
    Cached: ensembles of the same shape reuse the compiled programs."""
    R = n_local

    def local_init(d: _Data, key, group_index, rep_offset, n_valid):
        # Only the first n_valid of the R replicate rows are real (the block is padded to a
        # bucket size so other ensemble sizes reuse this program); the rest are never solved.
        W = replicate_weights(key, rep_offset + jnp.arange(R, dtype=jnp.int32), d.base, group_index, n_units, resampling)
        theta0 = jnp.broadcast_to(d.starts, (R,) + d.starts.shape)
        stage0 = jnp.broadcast_to(d.stage0, (R,) + d.stage0.shape)
        return pool_start(law, objective, config, d.F, d.y, W, theta0, stage0, d.lower, d.upper, d.fixed,
                          n_valid, slots, shared_starts=True)

    def local_advance(max_steps, setup, pool):
        pool = pool_advance(law, objective, config, setup, pool, max_steps)
        return pool, pool_status(setup, pool)

    def local_finish(setup, pool) -> _solvers.SolveResult:
        return pool_finish(law, objective, config, setup, pool)

    wrap = _device_api(mesh)
    return _Programs(wrap(local_init, 3), wrap(local_advance, 1, donate=(2,)), wrap(local_finish, 0))


def bucket_size(n: int, smallest: int = 32) -> int:
    """Replicates per device block, rounded up to a power of two so that ensembles of other
    sizes reuse the compiled program (the padding is never solved)."""
    return max(smallest, 1 << (max(int(n), 1) - 1).bit_length())


LOOP_LANES = 4096
"""A CPU slot pool holds at least this many (slot x padded row) lanes: every loop iteration has
a fixed cost of about as many row-iterations, which a pool of few slots on few rows would pay
once per handful of them (marin-comma, 8 padded rows, 1,000 replicates: 64 slots 385 ms, 512
slots 264 ms)."""


def default_slots(n_problems: int | None = None, n_rows: int = 1) -> int:
    """Solver slots per device for ``n_problems`` problems (replicates) on ``n_rows`` padded rows.

    On a GPU, 16,384 lanes (enough to fill one). On a CPU every slot costs its share of every
    iteration, including the iterations at the end where the queue is empty and the slowest
    tasks finish while the other slots idle, and every loop iteration has a fixed cost: the
    best pool grows with the work. With the cold starts screened (``SolverConfig.screen_ratio``)
    the work is about one warm start per replicate, so the pool is a sixteenth of the
    replicates, and at least :data:`LOOP_LANES` lanes, between 8 and 512 slots. Measured on
    chinchilla-240 (4 starts, 256 padded rows): the fastest pool was 8 slots at 50 replicates,
    16 at 200, 64 at 1,000 (16-128 alike), 256 at 4,000 (``benchmarks/bench_solver.py``, row
    ``slot_pool``).
    """
    if jax.default_backend() in ("gpu", "cuda", "rocm", "tpu"):
        return 16384
    if n_problems is None:
        return 512
    return int(min(512, max(8, n_problems // 16, LOOP_LANES // max(int(n_rows), 1))))


def pool_slots(n_replicates: int, n_starts: int, slots: int | None = None, n_rows: int = 1) -> int:
    """Solver slots one device runs ``n_replicates`` x ``n_starts`` tasks on ``n_rows`` padded
    rows with: ``slots`` (default :func:`default_slots` of the block padded to its bucket size, so
    that the sizes of one bucket share one compiled program), at most one per task of that block."""
    R = bucket_size(n_replicates)
    return min(int(slots or default_slots(R, n_rows)), R * n_starts)


FIELDS = {"theta": "theta", "objective": "objective", "converged": "converged", "on_bound": "on_bound",
          "iterations": "iterations", "grad_norm": "grad_norm", "best_start": "best_start",
          "stop_reason": "stop_reason", "start_objective": "objective_starts",
          "start_abandoned": "abandoned_starts", "start_iterations": "iterations_starts",
          "start_stop_reason": "stop_reason_starts"}
"""``EnsembleArrays`` field -> ``solvers.SolveResult`` field."""


def run_ensemble(problem, theta_starts: np.ndarray, stage0: np.ndarray, n: int, seed: int,
                 resampling: str = "multinomial", cluster: np.ndarray | None = None, chunk_size: int = 8192,
                 devices=None, progress=None, slots: int | None = None,
                 first_replicate: int = 0, plan: BlockPlan | None = None) -> EnsembleArrays:
    """Solve ``n`` bootstrap replicates of ``problem`` from the given starts.

    Replicates are processed in blocks of ``chunk_size`` (memory is bounded by a block, not by
    ``n``), split evenly across devices. Each device streams its (replicate, start) tasks through
    a fixed pool of solver slots (:func:`solvers.stream`): the first start of every replicate
    (the full-data optimum, a warm start) first, then the others, each raced against its
    replicate's converged optimum as ``problem.config`` says (``abandon_after``,
    ``abandon_ratio``). One compiled program serves any ``n``.

    Args:
        problem: a ``fitting.Problem`` (data, law, objective, bounds, solver config).
        theta_starts: [S, p] internal starts shared by every replicate (the warm start first).
        stage0: [S] smoothing stage each start begins at (``solvers.WARM`` for a warm start).
        n, seed, resampling, cluster: the resampling scheme (see module docstring).
        chunk_size: replicates per block, rounded up to a multiple of the device count.
        devices: devices to shard the replicate axis over (default ``jax.devices()``).
        progress: show a tqdm bar (default: when stderr is a terminal).
        slots: solver slots per device (default :func:`default_slots`).
        first_replicate: index of the first replicate: replicates ``first_replicate ..
            first_replicate + n - 1`` of the seed's stream are solved (a shard of a larger
            ensemble, :mod:`scalinglaws.shards`).
        plan: the blocks to solve in (default :meth:`BlockPlan.make` for ``n``); a shard is solved
            in the blocks of its whole ensemble, so that its replicates come out as in one run
            (``chunk_size``, ``devices`` and ``slots`` are then the plan's).
    """
    if resampling not in RESAMPLINGS:
        raise ValueError(f"resampling must be one of {RESAMPLINGS}, got {resampling!r}")
    if n < 1:
        raise ValueError(f"n must be a positive number of replicates, got {n}")
    S, p = theta_starts.shape
    blocks = plan or BlockPlan.make(n, chunk_size, devices, S, slots, problem.n_padded)
    group_index, n_units = _group_index(cluster, problem.weights)
    # Padding rows belong to unit 0 but carry base weight 0, so they never count.
    group_index = problem.pad_rows(group_index, fill=0)
    run = _stream_functions(problem.law, problem.objective, problem.config, n_units, resampling, S, blocks.R,
                            blocks.slots, blocks.mesh)
    data = _problem_data(problem, theta_starts, stage0)
    key = _seed_key(int(seed))
    gi = np.asarray(group_index, np.int32)
    out = _empty_arrays(n, p, S)
    t_first = None
    start_all = time.perf_counter()
    with _progress.Bar(n, "bootstrap", "replicate", _progress.enabled(progress)) as bar:
        for lo in range(0, n, blocks.size):
            t0 = time.perf_counter()
            take = min(blocks.size, n - lo)
            if bar.shown and run not in _STARTED:
                bar.stage("compiling (first run of this shape)")
            rows = blocks.solve(run, data, key, gi, first_replicate + lo, take, bar.block(lo, take))
            _STARTED.add(run)
            for name, field in FIELDS.items():
                out[name][lo:lo + take] = rows(field)
            if t_first is None:
                t_first = time.perf_counter() - t0
            bar.update_to(lo + take)
    total = time.perf_counter() - start_all
    compile_s = _compile_time(total, t_first, math.ceil(n / blocks.size))
    return EnsembleArrays(**out, time_s=total - (0.0 if np.isnan(compile_s) else compile_s), compile_s=compile_s)


@dataclass(frozen=True)
class BlockPlan:
    """How an ensemble is cut into blocks: ``R`` replicates per device, ``size = R x devices``
    per block, ``slots`` solver slots per device, and the device ``mesh`` (None on one device).

    A block is the unit of work: one compiled program solves it, and where a replicate's
    (replicate, start) tasks run in it depends on the block's layout alone, so the same block
    gives the same numbers wherever it is solved."""

    devices: list
    R: int
    size: int
    slots: int
    mesh: Any

    @classmethod
    def make(cls, n: int, chunk_size: int, devices, n_starts: int, slots: int | None, n_rows: int = 1) -> BlockPlan:
        devices = list(jax.devices() if devices is None else devices)
        D = len(devices)
        per_device = math.ceil(min(int(chunk_size), n) / D)
        R = bucket_size(per_device)
        mesh = Mesh(np.array(devices), ("replicates",)) if D > 1 else None
        return cls(devices, R, R * D, pool_slots(per_device, n_starts, slots, n_rows), mesh)

    def solve(self, run: _Programs, data, key, gi, first: int, take: int, report=None):
        """Solve the block of replicates ``first .. first + take - 1``; returns a function giving
        a solver field's rows for those replicates, in order. With ``report``, the block is run in
        segments (:func:`solvers.batch.advance_in_segments`) and ``report(share)`` gets the share of its tasks
        filed after each; the numbers are the same either way."""
        D, R = len(self.devices), self.R
        if self.mesh is not None:
            sharding = NamedSharding(self.mesh, PartitionSpec("replicates"))
            put = lambda a: jax.device_put(a, sharding)  # noqa: E731
        else:
            put = lambda a: a  # noqa: E731  (numpy: the call moves it)
        # The last block keeps the full shape (no recompile): its tail is computed and dropped.
        # The block's real replicates are split evenly over devices; padding stays at each tail.
        per_dev = np.full(D, take // D) + (np.arange(D) < take % D)
        first_rep = first + np.concatenate([[0], np.cumsum(per_dev)[:-1]])
        setup, pool = run.init(data, key, gi, put(np.asarray(first_rep, np.int32)), put(np.asarray(per_dev, np.int32)))
        pool = advance_in_segments(run.advance, setup, pool, report)
        c = run.finish(setup, pool)
        # One transfer of every field (it waits for the block), not one per field.
        c = jax.device_get(c)
        # [D, R, ...] -> each device's real rows, in replicate order.
        real = np.concatenate([d * R + np.arange(per_dev[d]) for d in range(D)])

        def rows(field: str) -> np.ndarray:
            a = np.asarray(getattr(c, field))
            return a.reshape((D * R,) + a.shape[2:])[real]

        return rows


_STARTED: set = set()
"""The block programs this process has run (a first run compiles them: the bar says so)."""

def _empty_arrays(n: int, p: int, S: int) -> dict:
    """Host arrays for ``n`` replicates of ``p`` parameters from ``S`` starts (filled block by block)."""
    return dict(
        theta=np.empty((n, p)), objective=np.empty(n), converged=np.empty(n, bool), on_bound=np.empty(n, bool),
        iterations=np.empty(n, np.int32), grad_norm=np.empty(n), best_start=np.empty(n, np.int32),
        start_objective=np.empty((n, S)), start_abandoned=np.empty((n, S), bool),
        start_iterations=np.empty((n, S), np.int32), stop_reason=np.empty(n, np.int32),
        start_stop_reason=np.empty((n, S), np.int32),
    )


def _compile_time(total: float, t_first: float, n_blocks: int) -> float:
    """The first block's time beyond a later block's (its compilation); NaN from one block,
    where the two cannot be told apart (the benchmarks measure compilation apart)."""
    if n_blocks > 1:
        per_block = (total - t_first) / (n_blocks - 1)
        return max(t_first - per_block, 0.0)
    return float("nan")


def replicate_weight_matrix(problem, seed: int, resampling: str, cluster, indices) -> np.ndarray:
    """numpy [len(indices), n]: the weights of the given replicates of ``seed``, exactly as
    :func:`run_ensemble` draws them (n = the problem's rows, unpadded)."""
    group_index, n_units = _group_index(cluster, problem.weights)
    W = replicate_weights(_seed_key(int(seed)), jnp.asarray(np.asarray(indices), jnp.int32),
                          jnp.asarray(problem.weights, jnp.float64), jnp.asarray(group_index), n_units, resampling)
    return np.asarray(W, dtype=np.float64)


RETRY_BLOCK = 4096


def retry_batch(failed: np.ndarray) -> np.ndarray:
    """The failed items (rows of ``failed``) padded to a power of two, at least 8, by repeating
    the first: solved with ``n_valid=len(failed)`` the padding is never dispatched, and retries
    of other counts in the same bucket reuse one compiled program."""
    failed = np.asarray(failed)
    return np.concatenate([failed, np.repeat(failed[:1], bucket_size(len(failed), 8) - len(failed), axis=0)])


def retry_failed(problem, arrays: EnsembleArrays, starts: np.ndarray, seed: int, resampling: str, cluster,
                 first_replicate: int = 0, perturb: float = 0.05, block: int | None = None) -> int:
    """Solve the replicates that failed to converge again, in place; returns how many recovered.

    A replicate fails when every start hit the iteration cap or stalled. Each is retried with
    ``config.retry_factor`` times the iterations (no retry if it is 1 or less), from its own end
    point, from the full-data optimum, from the grid starts, and from the optimum perturbed by
    ``perturb`` of each parameter's scale (drawn from the seed and the replicate's index, so the same seed gives the same answer). A
    retry that converges replaces the failed result; one that does not keeps the lower objective
    and stays failed. ``arrays.retried`` marks every replicate retried.

    With ``block`` (the run's block size), the failures of each block of replicates
    (``first_replicate + i`` over ``block``) are retried apart, in batches of at most
    :data:`RETRY_BLOCK`: a shard made of whole blocks then retries exactly as one run does.
    """
    R = len(arrays.objective)
    if arrays.retried is None:
        arrays.retried = np.zeros(R, bool)
    failed = np.flatnonzero(~arrays.converged)
    if len(failed) == 0 or problem.config.retry_factor <= 1:
        return 0
    prob = problem.for_retry()
    lower, upper = problem.lower, problem.upper
    scale = np.maximum(np.abs(starts[0]), 1.0)
    recovered = 0
    # Each batch lies within one block: a batch's racing depends on which replicates share it.
    owner = (first_replicate + failed) // (block or (first_replicate + R))
    cuts = np.flatnonzero(np.diff(owner)) + 1
    batches = [b[lo: lo + RETRY_BLOCK] for b in np.split(failed, cuts) for lo in range(0, len(b), RETRY_BLOCK)]
    for idx in batches:
        k = len(idx)
        padded = retry_batch(idx)
        W = replicate_weight_matrix(problem, seed, resampling, cluster, first_replicate + padded)
        noise = np.stack([np.random.default_rng([int(seed), int(first_replicate + i)]).standard_normal(len(scale))
                          for i in padded])
        perturbed = np.clip(starts[0] + perturb * scale * noise, lower, upper)
        m = len(padded)
        theta0 = np.concatenate([arrays.theta[padded][:, None], np.broadcast_to(starts, (m,) + starts.shape),
                                 perturbed[:, None]], axis=1)
        stage0 = np.concatenate([np.full((m, 2), _solvers.WARM), np.zeros((m, len(starts) - 1)),
                                 np.full((m, 1), _solvers.WARM)], axis=1).astype(np.int32)
        # Through a slot pool: the padding is never dispatched, and a retry's starts take very
        # different numbers of iterations (up to retry_factor x max_iter).
        slots = pool_slots(m, theta0.shape[1], n_rows=problem.n_padded)
        res = jax.tree.map(lambda a: np.asarray(a)[:k], prob.solve(W, theta0, stage0, n_valid=k, slots=slots))
        conv, f = np.asarray(res.converged), np.asarray(res.objective)
        better = conv | (f < arrays.objective[idx])
        take = idx[better]
        arrays.theta[take] = np.asarray(res.theta)[better]
        arrays.objective[take] = f[better]
        arrays.converged[take] = conv[better]
        arrays.on_bound[take] = np.asarray(res.on_bound)[better]
        arrays.grad_norm[take] = np.asarray(res.grad_norm)[better]
        if arrays.stop_reason is not None:
            arrays.stop_reason[take] = np.asarray(res.stop_reason)[better]
        arrays.iterations[idx] = arrays.iterations[idx] + np.asarray(res.iterations)
        arrays.retried[idx] = True
        recovered += int(conv.sum())
    return recovered


class ReplicateFailureWarning(UserWarning):
    """Some bootstrap replicates did not converge even after a retry (see ``failed=``)."""


class ReplicateFailureError(RuntimeError):
    """Raised by ``bootstrap(failed="raise")`` when replicates did not converge after a retry."""


def unidentified_replicates(problem, n: int, seed: int, resampling: str, cluster, first_replicate: int = 0,
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
    if len(np.unique(problem.F[used, 0])) >= 4 * n_free:
        return None
    out = np.zeros(n, bool)
    for lo in range(0, n, block):
        idx = np.arange(lo, min(n, lo + block))
        W = replicate_weight_matrix(problem, seed, resampling, cluster, first_replicate + idx)
        out[idx] = fewer_distinct_x(problem.F[:, 0], W, n_free)
    return out


def fewer_distinct_x(x: np.ndarray, W: np.ndarray, n_free: int) -> np.ndarray:
    """[R] bool: replicates (weights ``W`` [R, n] over the rows of ``x`` [n]) whose rows with
    positive weight hold fewer than ``n_free`` distinct x values."""
    values, codes = np.unique(x, return_inverse=True)
    present = np.zeros((W.shape[0], len(values)), bool)
    rows, cols = np.nonzero(W > 0)
    present[rows, np.ravel(codes)[cols]] = True
    return present.sum(axis=1) < n_free


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


def jackknife_weights(base_weights: np.ndarray, cluster: np.ndarray | None) -> np.ndarray:
    """Leave-one-unit-out weight vectors [U, n] (a unit is a row, or a group)."""
    group_index, n_units = _group_index(cluster, base_weights)
    W = np.broadcast_to(base_weights, (n_units, len(base_weights))).copy()
    W[group_index, np.arange(len(base_weights))] = 0.0
    return W
