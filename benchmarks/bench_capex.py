"""Benchmark the capex simulations: 100,000 revenue paths x 10 years, and the cash/ruin pass.

Compilation is timed separately (ahead-of-time ``lower().compile()`` of the jitted kernels, and
the first public call, which traces and compiles); steady-state times are the median and
minimum of repeated calls after that, each ending in ``block_until_ready`` (the kernels) or a
host numpy array (the public functions, which return numpy). Writes
``benchmarks/results/capex.json``.

    PYTHONPATH=src python benchmarks/bench_capex.py [--paths 100000] [--years 10] [--repeats 20]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from scalinglaws import capex

try:
    from . import _common
except ImportError:  # run as a script: benchmarks/bench_capex.py
    import _common

RESULTS = Path(__file__).resolve().parent / "results" / "capex.json"


def run(paths: int = 100_000, years: int = 10, repeats: int = 20) -> dict:
    """Time the simulations; returns the result dict (see main for the CLI)."""
    n = paths

    # Scenario: growth of median 10x a year, 90% interval [3.16x, 31.6x] (docs/capex.md).
    r0, median, interval = 1.0, 10.0, (3.16, 31.6)
    sigma = capex.growth_sigma(median, interval)
    mu = jnp.asarray(capex.revenue._log_growth_medians(median, years, 0.0))
    key = jax.random.key(0)
    cash_kw = dict(planned_growth=10.0, spend_fraction=0.5, lead_time=1, margin=0.8,
                   initial_cash=1.0)

    # Compilation, ahead of time.
    start = time.perf_counter()
    revenue_kernel = capex.revenue._revenue_paths.lower(key, jnp.float64(r0), mu, jnp.float64(sigma),
                                                n=n).compile()
    compile_revenue = time.perf_counter() - start
    revenue_dev = revenue_kernel(key, jnp.float64(r0), mu, jnp.float64(sigma)).block_until_ready()
    spend_dev = jnp.asarray(capex.commitments(np.asarray(revenue_dev), planned_growth=10.0,
                                              spend_fraction=0.5, lead_time=1))
    start = time.perf_counter()
    cash_kernel = capex.cash._cash_paths.lower(revenue_dev, spend_dev, jnp.float64(0.8), jnp.float64(1.0),
                                               jnp.float64(jnp.inf)).compile()
    compile_cash = time.perf_counter() - start

    # First public calls (trace + compile + run).
    start = time.perf_counter()
    revenue = capex.simulate_revenue(r0, median, interval, years, n, seed=0)
    first_revenue = time.perf_counter() - start
    start = time.perf_counter()
    capex.simulate_cash(revenue, **cash_kw)
    first_cash = time.perf_counter() - start

    # Steady state.
    kernel_revenue = _common.timed(
        lambda: revenue_kernel(key, jnp.float64(r0), mu, jnp.float64(sigma)).block_until_ready(),
        repeats,
    )
    kernel_cash = _common.timed(
        lambda: jax.block_until_ready(cash_kernel(revenue_dev, spend_dev, jnp.float64(0.8),
                                                  jnp.float64(1.0), jnp.float64(jnp.inf))),
        repeats,
    )
    public_revenue = _common.timed(lambda: capex.simulate_revenue(r0, median, interval, years, n, seed=1),
                                   repeats)
    public_cash = _common.timed(lambda: capex.simulate_cash(revenue, **cash_kw), repeats)
    end_to_end = _common.timed(
        lambda: capex.simulate_cash(capex.simulate_revenue(r0, median, interval, years, n, seed=2),
                                    **cash_kw),
        repeats,
    )

    result = {
        "benchmark": "capex simulations",
        "paths": n,
        "years": years,
        "scenario": {"r0": r0, "growth_median": median, "growth_interval90": list(interval),
                     **cash_kw, "policy": "rolling"},
        "compile_s": {"revenue_kernel": compile_revenue, "cash_kernel": compile_cash},
        "notes": "compile_s: jit(...).lower(...).compile() of each kernel, done first in the "
                 "process. first_call_s: the first public call after that (it may reuse the "
                 "compiled kernel, as simulate_cash's does). steady_state: repeated calls.",
        "first_call_s": {"simulate_revenue": first_revenue, "simulate_cash": first_cash},
        "steady_state": {
            "revenue_kernel (block_until_ready)": kernel_revenue,
            "cash_kernel (block_until_ready)": kernel_cash,
            "simulate_revenue (returns numpy)": public_revenue,
            "simulate_cash (returns numpy, incl. commitments and checks)": public_cash,
            "simulate_revenue + simulate_cash": end_to_end,
        },
        "machine": _common.machine_info(),
    }
    return result


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = run(args.paths, args.years, args.repeats)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(json.dumps({k: result[k] for k in ("paths", "years", "compile_s", "first_call_s",
                                             "steady_state")}, indent=2))
    print(f"wrote {args.out}")
    return result


if __name__ == "__main__":
    main()
