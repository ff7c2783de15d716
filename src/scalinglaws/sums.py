"""The per-iteration sums of the solver: one variadic reduction or one reduction per sum, chosen
per machine.

Each iteration reduces a few dozen ``[n]`` columns over the data's rows (the objective, the
gradient, the step matrix's upper triangle, the curvature terms and the damping scales: 33 for
Chinchilla). XLA:CPU can emit them as **one variadic reduce** (one loop over the rows carrying
every accumulator, :func:`variadic`) or as **one reduction per column** (:func:`per_sum`). The
answers agree to rounding; the speed depends on the CPU. Measured with
``benchmarks/bench_sums.py`` (the 21 hard-fit cases, a 1,000-replicate bootstrap each, fresh
processes, two alternating rounds, the faster of each):

- AMD EPYC, AVX2 without AVX-512: bootstraps summed 40.2 s variadic against 29.2 s per sum
  (per sum 1.37x faster; 12 of 21 cases faster, the slowest cases most: 1.6x), point fits 1.05x;
- Intel Xeon (Sapphire Rapids), AVX-512: 52.4 against 56.2 s (per sum 0.93x as fast; 4 of 21
  cases faster), point fits 0.85x.

The answers agree to 1e-11 relative. So on the CPU backend an x86 processor with AVX2 and without
AVX-512 sums per column, and everything else keeps the variadic reduce: AVX-512, where it was
measured faster, and the machines where neither was measured (other architectures, GPUs, a CPU
whose flags cannot be read), where it is the form the solver always had.
``SCALINGLAWS_SUMS=variadic`` or ``per_sum`` overrides the choice (for benchmarks, and for a
machine where the other form measures faster).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import jax
import jax.numpy as jnp

__all__ = ["FORMS", "ENV_VAR", "cpu_flags", "form", "per_sum", "sum_columns", "variadic"]

FORMS = ("variadic", "per_sum")
ENV_VAR = "SCALINGLAWS_SUMS"


def variadic(columns):
    """Sum each ``[n]`` column in one pass: a single variadic ``lax.reduce``."""
    zeros = tuple(jnp.zeros((), c.dtype) for c in columns)
    return jax.lax.reduce(tuple(columns), zeros, lambda a, b: tuple(x + y for x, y in zip(a, b)), (0,))


def per_sum(columns):
    """Sum each ``[n]`` column with its own reduction (XLA fuses their producers into each)."""
    return tuple(jnp.sum(c) for c in columns)


@functools.cache
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags from ``/proc/cpuinfo`` (empty where it cannot be read)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def form() -> str:
    """The form this process traces: ``$SCALINGLAWS_SUMS`` where set, else the machine's (see the
    module docstring)."""
    chosen = os.environ.get(ENV_VAR, "").strip().lower()
    if chosen:
        if chosen not in FORMS:
            raise ValueError(f"{ENV_VAR}={os.environ[ENV_VAR]!r}: expected one of {', '.join(FORMS)} "
                             "(or unset, to choose by machine)")
        return chosen
    flags = cpu_flags()
    if jax.default_backend() == "cpu" and "avx2" in flags and "avx512f" not in flags:
        return "per_sum"
    return "variadic"


def sum_columns(columns):
    """Each column's sum, in the form :func:`form` names."""
    return (per_sum if form() == "per_sum" else variadic)(columns)
