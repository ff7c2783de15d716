"""One ensemble in shards: shards joined give the one-run ensemble bit for bit, in one process
(``shard=(i, k)`` and ``Ensemble.concatenate``) and across two ``jax.distributed`` processes."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scalinglaws as sl
from scalinglaws import shards

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "two_processes.py"


def _assert_same(a: sl.Ensemble, b: sl.Ensemble) -> None:
    for name in shards.PER_REPLICATE:
        x, y = getattr(a._a, name), getattr(b._a, name)
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), name


@given(n=st.integers(1, 5000), block=st.sampled_from([32, 64, 256, 1024]), count=st.integers(1, 9))
@settings(max_examples=200, deadline=None)
def test_shard_ranges_split_the_ensemble_into_whole_blocks(n, block, count):
    ranges = [shards.shard_range(i, count, n, block) for i in range(count)]
    assert ranges[0][0] == 0 and ranges[-1][1] == n
    for (lo, hi), (lo2, _) in zip(ranges, ranges[1:]):
        assert hi == lo2 and lo <= hi
    for lo, hi in ranges:
        assert lo % block == 0 and (hi % block == 0 or hi == n)
    sizes = [-(-(hi - lo) // block) for lo, hi in ranges]  # blocks per shard, as even as they go
    assert max(sizes) - min(sizes) <= 1


def test_shards_join_to_the_one_run_ensemble(chinchilla_fit):
    # A short iteration cap makes replicates fail, so the per-block retries are part of the check.
    config = dataclasses.replace(chinchilla_fit.problem.config, max_iter=8)
    kw = dict(seed=3, chunk_size=100, progress=False, config=config, failed="drop")
    whole = chinchilla_fit.bootstrap(300, **kw)
    assert whole.diagnostics["retried"] > 0 and whole.shard is None
    parts = [chinchilla_fit.bootstrap(300, shard=(i, 3), **kw) for i in (2, 0, 1)]
    assert [p.shard["first"] for p in parts] == [256, 0, 128]
    np.testing.assert_array_equal(parts[0].replicates, np.arange(256, 300))
    joined = sl.Ensemble.concatenate(parts)
    assert joined.shard is None and joined.n_replicates == 300
    _assert_same(joined, whole)
    for k in ("retried", "recovered"):
        assert joined.diagnostics[k] == whole.diagnostics[k]
    # Two of three shards are a shard again, and say which replicates they hold.
    part = sl.Ensemble.concatenate(parts[1:])
    assert part.shard["first"] == 0 and part.shard["stop"] == 256 and "0..255 of 300" in repr(part)
    assert "a shard" in str(part.summary())


def test_saved_shards_concatenate(chinchilla_fit, tmp_path):
    parts = []
    for i in (0, 1):
        chinchilla_fit.bootstrap(200, seed=1, chunk_size=64, progress=False, shard=(i, 2)).save(tmp_path / f"{i}.json")
        parts.append(sl.load(tmp_path / f"{i}.json"))
    whole = chinchilla_fit.bootstrap(200, seed=1, chunk_size=64, progress=False)
    joined = sl.Ensemble.concatenate(parts)
    np.testing.assert_array_equal(joined.theta, whole.theta)
    np.testing.assert_array_equal(joined.objective, whole.objective)


def test_concatenate_and_shard_refuse_what_is_not_one_ensemble(chinchilla_fit):
    kw = dict(seed=2, chunk_size=64, progress=False)
    a, b = (chinchilla_fit.bootstrap(200, shard=(i, 2), **kw) for i in (0, 1))
    with pytest.raises(ValueError, match="overlap: replicates 0..127"):
        sl.Ensemble.concatenate([a, a])
    c = chinchilla_fit.bootstrap(200, shard=(2, 4), **kw)  # 128..191
    d = chinchilla_fit.bootstrap(200, shard=(3, 4), **kw)  # 192..199
    with pytest.raises(ValueError, match="gap: replicates 128..191"):
        sl.Ensemble.concatenate([a, d])
    np.testing.assert_array_equal(sl.Ensemble.concatenate([d, c]).theta, b.theta)  # shards of another count
    with pytest.raises(ValueError, match="its seed is 9"):
        sl.Ensemble.concatenate([a, chinchilla_fit.bootstrap(200, shard=(1, 2), **{**kw, "seed": 9})])
    with pytest.raises(ValueError, match="total replicates"):
        sl.Ensemble.concatenate([a, chinchilla_fit.bootstrap(300, shard=(1, 2), **kw)])
    other = sl.fit(sl.datasets.load("chinchilla-240").iloc[:200], "chinchilla")
    with pytest.raises(ValueError, match="another point fit"):
        sl.Ensemble.concatenate([a, other.bootstrap(200, shard=(1, 2), **kw)])
    with pytest.raises(TypeError, match="list of Ensembles"):
        sl.Ensemble.concatenate([a, b.theta])
    with pytest.raises(ValueError, match="shard 0 of 4 holds no replicates: 200 replicates make 1 block"):
        chinchilla_fit.bootstrap(200, seed=2, progress=False, shard=(0, 4))
    for bad in ((2, 2), (0, 0), "threads", 3):
        with pytest.raises(ValueError, match="shard"):
            chinchilla_fit.bootstrap(200, seed=2, progress=False, shard=bad)


@pytest.mark.slow
def test_two_processes_share_one_ensemble(tmp_path):
    """Two local processes of one jax.distributed job (CPU collectives) each solve their shard,
    gather the whole ensemble, and match the one-process ensemble exactly (the example checks
    every replicate's numbers and exits non-zero otherwise)."""
    run = subprocess.run([sys.executable, str(EXAMPLE), "--replicates", "600", "--chunk-size", "256",
                          "--out", str(tmp_path)], capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert "600 replicates solved by 2 processes; identical to one process: theta True" in run.stdout
    assert "worker 0 of 2" in run.stdout and "worker 1 of 2" in run.stdout
