"""One ensemble in shards: which replicates a shard solves, and shards joined back into one.

An ensemble of ``n`` replicates is solved in blocks (:class:`scalinglaws.bootstrap.BlockPlan`).
A shard is a run of whole, consecutive blocks: shard ``i`` of ``k`` holds blocks
``floor(i B / k) .. floor((i + 1) B / k) - 1`` of the ``B``. Replicate ``j``'s weights depend on
``(seed, j)`` alone, and every block is solved by the same compiled program with the same
replicates beside it as in one run (its failures retried within the block), so the shards joined
in order are the one-run ensemble exactly, given the same kind and number of devices per process.

Two ways to run the shards (``Fit.bootstrap(shard=...)``): ``(i, k)`` in separate jobs, each
returning its own part, joined later by :meth:`scalinglaws.Ensemble.concatenate`; or
``"processes"``, in the processes of one ``jax.distributed`` job, each solving its shard and
all of them gathering the whole ensemble (:func:`allgather`).
"""

from __future__ import annotations

import math

import numpy as np

from .bootstrap import FIELDS, EnsembleArrays, _empty_arrays

__all__ = ["shard_spec", "shard_range", "join", "empty", "allgather", "PER_REPLICATE"]

PER_REPLICATE = (*FIELDS, "retried", "unidentified")
"""The ``EnsembleArrays`` fields with one row per replicate (the others are timings)."""


def shard_spec(shard) -> tuple[int, int] | str:
    """``shard`` checked: ``(index, count)`` with ``0 <= index < count``, or ``"processes"``."""
    if isinstance(shard, str):
        if shard != "processes":
            raise ValueError(f"shard must be (index, count) or 'processes', got {shard!r}")
        return shard
    try:
        index, count = (int(v) for v in shard)
    except (TypeError, ValueError):
        raise ValueError(f"shard must be (index, count) or 'processes', got {shard!r}") from None
    if count < 1 or not 0 <= index < count:
        raise ValueError(f"shard (index, count) needs 0 <= index < count, got {shard!r}")
    return index, count


def shard_range(index: int, count: int, n: int, block: int) -> tuple[int, int]:
    """Replicates ``[lo, hi)`` of shard ``index`` of ``count`` of an ensemble of ``n`` solved in
    blocks of ``block``: whole blocks, as evenly spread as they go (empty when there are fewer
    blocks than shards)."""
    n_blocks = math.ceil(n / block)
    b0, b1 = index * n_blocks // count, (index + 1) * n_blocks // count
    return min(b0 * block, n), min(b1 * block, n)


def join(parts: list[EnsembleArrays], wall_clock: bool = False) -> EnsembleArrays:
    """Consecutive parts of one ensemble, in order, as one: rows concatenated; solve and compile
    times summed (the parts ran one after another or apart), or their maximum with
    ``wall_clock`` (they ran side by side)."""
    rows = {}
    for name in PER_REPLICATE:
        values = [getattr(a, name) for a in parts]
        rows[name] = None if any(v is None for v in values) else np.concatenate(values, axis=0)
    times = np.array([a.time_s for a in parts], float)
    compiles = np.array([a.compile_s for a in parts], float)
    combine = np.max if wall_clock else np.sum
    compile_s = float("nan") if np.all(np.isnan(compiles)) else float(combine(np.nan_to_num(compiles)))
    return EnsembleArrays(**rows, time_s=float(combine(times)), compile_s=compile_s)


def empty(p: int, n_starts: int) -> EnsembleArrays:
    """The arrays of a shard with no replicates (a process given no block)."""
    return EnsembleArrays(**_empty_arrays(0, p, n_starts), retried=np.zeros(0, bool), unidentified=np.zeros(0, bool),
                          time_s=0.0, compile_s=float("nan"))


def allgather(mine: EnsembleArrays, ranges: list[tuple[int, int]], counts: dict[str, int]) -> tuple[EnsembleArrays,
                                                                                                     dict[str, int]]:
    """Every process's shard (``mine`` is this process's, ``ranges[j]`` process ``j``'s
    replicates), gathered in every process into the whole ensemble, with ``counts`` (integers
    per process, such as the retried replicates) summed over processes.

    Uses ``jax.experimental.multihost_utils.process_allgather``: every process must call it, with
    the same ``ranges``. Shards are padded to the longest for the gather (it needs one shape)."""
    from jax.experimental import multihost_utils

    longest = max(hi - lo for lo, hi in ranges)
    ours = {}
    for name in PER_REPLICATE:
        a = np.asarray(getattr(mine, name))
        pad = np.zeros((longest - len(a),) + a.shape[1:], a.dtype)
        # Booleans travel as int8: a collective moves numbers.
        ours[name] = np.concatenate([a, pad]).astype(np.int8 if a.dtype == bool else a.dtype)
    ours["_times"] = np.array([mine.time_s, mine.compile_s], float)
    ours["_counts"] = np.array([counts[k] for k in sorted(counts)], np.int64)
    every = multihost_utils.process_allgather(ours, tiled=False)
    parts = []
    for j, (lo, hi) in enumerate(ranges):
        if hi == lo:
            continue
        got = {name: np.asarray(every[name][j][: hi - lo]).astype(getattr(mine, name).dtype) for name in PER_REPLICATE}
        parts.append(EnsembleArrays(**got, time_s=float(every["_times"][j][0]), compile_s=float(every["_times"][j][1])))
    summed = np.asarray(every["_counts"]).sum(axis=0)
    return join(parts, wall_clock=True), {k: int(v) for k, v in zip(sorted(counts), summed)}
