"""Shared benchmark plumbing: machine description, timing, JSON results.

Timing rules (the project's): the contender and the baseline run side by side in one process
on the same data; compile time is measured and reported apart from steady-state time; every
timed JAX call ends in ``block_until_ready`` or a host numpy array.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import statistics
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def cpu_model() -> str:
    """The CPU model from /proc/cpuinfo (platform.processor() is often empty on Linux)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


# The vector extensions that decide how XLA:CPU vectorises a reduction: the solver's per-iteration
# sums measured 1.5x faster as one reduction per sum on the AMD EPYC machine and slower on an Intel
# Xeon with AVX-512 (docs/performance.md), so a result has to say which the machine had.
_VECTOR_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512vl", "avx512_bf16", "amx_tile")


def cpu_vector_flags() -> list[str]:
    """The vector extensions of ``_VECTOR_FLAGS`` that /proc/cpuinfo lists (empty where it is absent)."""
    from scalinglaws.sums import cpu_flags

    return [f for f in _VECTOR_FLAGS if f in cpu_flags()]


def gpu_model() -> str | None:
    import jax

    gpus = [d for d in jax.devices() if d.platform == "gpu"]
    return getattr(gpus[0], "device_kind", str(gpus[0])) if gpus else None


def machine_info() -> dict:
    import jax

    import scalinglaws
    from scalinglaws import sums

    return {
        "cpu_model": cpu_model(),
        "cpu_vector_flags": cpu_vector_flags(),
        "solver_sums": sums.form(),
        "cpu_count": os.cpu_count(),
        "gpu": gpu_model(),
        "machine": platform.machine(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "jax": jax.__version__,
        "backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "scalinglaws": scalinglaws.__version__,
        "x64": bool(jax.config.jax_enable_x64),
    }


def timed(fn, repeats: int = 5, warmup: int = 0) -> dict:
    """Median and min wall time of ``fn()`` over ``repeats`` calls (after ``warmup`` calls)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times), "min_s": min(times), "repeats": repeats}


def first_call(fn) -> float:
    """Wall time of a first call (trace + compile + run)."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def now() -> str:
    """The UTC time, as result files record it."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def write(name: str, result: dict, out: Path | None = None) -> Path:
    """Write ``result`` (plus machine and date) to ``benchmarks/results/<name>.json``."""
    out = out or RESULTS / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": name,
        "date": now(),
        **result,
        "machine": machine_info(),
    }
    out.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return out
