"""Bootstrap of the 240 Chinchilla rows: scalinglaws ensembles against a scipy BFGS loop.

Both sides refit the same weight vectors (multinomial counts drawn by
``scalinglaws.bootstrap.replicate_weights`` from one seed). scipy runs BFGS from the full-data
optimum, one start per replicate, as the replication code does; scalinglaws runs its streamed
solver with 4 starts per replicate (the full-data optimum and the 3 best grid points, raced).
The script prints the speed ratio, the largest difference between the two sets of 95% bounds,
the win rate of the extra starts (run to convergence, unraced), and a table of time against the
number of replicates with compile time apart. ``--million`` adds 1,000,000 replicates streamed
in a subprocess whose peak memory is reported.

    python -m benchmarks.bench_bootstrap [--quick] [--million]

Writes ``benchmarks/results/bootstrap.json`` (``bootstrap-<backend>.json`` off the CPU).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import textwrap
import time

import jax
import jax.numpy as jnp
import numpy as np

import scalinglaws as sl
from scalinglaws import bootstrap as _bootstrap

from . import _common
from .baselines import ChinchillaObjective, chinchilla_public, scipy_bootstrap

LEVEL = 0.95


def _weights(fit, n: int, seed: int) -> np.ndarray:
    base = jnp.asarray(fit.problem.weights)
    gi = jnp.arange(len(base), dtype=jnp.int32)
    return np.asarray(_bootstrap.replicate_weights(jax.random.PRNGKey(seed), jnp.arange(n, dtype=jnp.int32), base,
                                                   gi, len(base), "multinomial"))


def _bounds(public: np.ndarray, names) -> dict:
    lo, hi = np.quantile(public, [(1 - LEVEL) / 2, (1 + LEVEL) / 2], axis=0)
    return {n: [float(a), float(b)] for n, a, b in zip(names, lo, hi)}


def _ours(fit, n, seed, repeats, **kw):
    first = _common.first_call(lambda: fit.bootstrap(n, seed=seed, progress=False, **kw))
    steady = _common.timed(lambda: fit.bootstrap(n, seed=seed, progress=False, **kw), repeats=repeats)
    return first, steady, fit.bootstrap(n, seed=seed, progress=False, **kw)


def _scaling(fit, sizes, seed) -> list[dict]:
    rows = []
    for n in sizes:
        first = _common.first_call(lambda: fit.bootstrap(n, seed=seed + 1, progress=False))
        steady = _common.timed(lambda: fit.bootstrap(n, seed=seed + 2, progress=False), repeats=1 if n >= 10**4 else 3)
        rows.append({"replicates": n, "first_call_s": first, "steady_s": steady["median_s"],
                     "compile_s": max(first - steady["median_s"], 0.0),
                     "replicates_per_s": n / steady["median_s"]})
        print(f"  {n:>8} replicates: {steady['median_s']:8.3f} s  (compile {rows[-1]['compile_s']:.2f} s; "
              f"{rows[-1]['replicates_per_s']:,.0f} replicates/s)", flush=True)
    return rows


def _million(n: int = 1_000_000) -> dict:
    """Stream ``n`` replicates in a fresh process; report its time and peak resident memory."""
    code = textwrap.dedent(
        f"""
        import json, resource, time
        import scalinglaws as sl
        fit = sl.fit(sl.datasets.load("chinchilla-240"), "chinchilla")
        start = time.perf_counter()
        ens = fit.bootstrap({n}, seed=0, progress=False)
        elapsed = time.perf_counter() - start
        iv = ens.interval(0.95)
        print(json.dumps({{"replicates": {n}, "time_s": elapsed,
                          "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
                          "failed": int(ens.diagnostics["failed_to_converge"]),
                          "alpha_95": iv.loc["alpha", ["lower", "upper"]].tolist()}}))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(quick: bool = False, million: bool = False, seed: int = 0) -> dict:
    n = 400 if quick else 4000
    df = sl.datasets.load("chinchilla-240")
    fit = sl.fit(df, "chinchilla")
    names = list(fit.law.params)

    first, steady, ens = _ours(fit, n, seed, repeats=1 if quick else 3)
    ours_pub = np.asarray(fit.law.to_public(ens.theta))

    # The extra starts' win rate, run to convergence without racing.
    unraced = fit.bootstrap(n, seed=seed, progress=False, config=dataclasses.replace(fit.problem.config, abandon_ratio=0))
    warm = unraced._a.start_objective[:, 0]
    better = unraced._a.start_objective[:, 1:] < warm[:, None] * (1 - 1e-9)
    win_rate = {"replicates": n, "extra_starts": int(better.shape[1]),
                "replicates_where_an_extra_start_won": int(better.any(axis=1).sum()),
                "unraced_time_s": unraced.diagnostics["time_s"]}

    W = _weights(fit, n, seed)
    obj = ChinchillaObjective(df.N.values, df.D.values, df.loss.values)
    x0 = np.array([fit.theta[1], fit.theta[2], np.log(fit.theta[0]), fit.theta[3], fit.theta[4]])  # (a, b, e, alpha, beta)
    baselines = {}
    ours_bounds = _bounds(ours_pub, names)
    for gradient in ("fd", "analytic"):
        start = time.perf_counter()
        thetas, fs = scipy_bootstrap(obj, W, x0, gradient)
        elapsed = time.perf_counter() - start
        pub = chinchilla_public(thetas)
        b = _bounds(pub, names)
        diff = {k: max(abs(b[k][0] - ours_bounds[k][0]), abs(b[k][1] - ours_bounds[k][1])) for k in ("alpha", "beta", "E")}
        baselines[gradient] = {
            "time_s": elapsed, "ms_per_replicate": 1e3 * elapsed / n, "speedup": elapsed / steady["median_s"],
            "bounds_95": b, "max_bound_difference": diff,
            "replicates_where_scipy_objective_is_lower": int(np.sum(fs < ens.objective * (1 - 1e-9))),
        }
        print(f"scipy BFGS ({gradient} gradient), one start: {elapsed:.1f} s ({1e3 * elapsed / n:.2f} ms/replicate); "
              f"scalinglaws {steady['median_s']:.3f} s with 4 starts: {elapsed / steady['median_s']:.0f}x; "
              f"largest 95% bound difference alpha {diff['alpha']:.4f}, beta {diff['beta']:.4f}, E {diff['E']:.4f}",
              flush=True)

    print("time against replicates (scalinglaws, 4 starts):", flush=True)
    sizes = [100, 1000] if quick else [100, 1000, 10_000, 100_000]
    scaling = _scaling(fit, sizes, seed)
    result = {
        "data": "chinchilla-240",
        "replicates": n,
        "level": LEVEL,
        "quick": quick,
        "scalinglaws": {
            "starts": ens.diagnostics["starts"],
            "steady_state": steady,
            "first_call_s": first,
            "compile_s": max(first - steady["median_s"], 0.0),
            "bounds_95": ours_bounds,
            "diagnostics": {k: v for k, v in ens.diagnostics.items() if k not in ("time_s", "compile_s")},
        },
        "extra_start_win_rate": win_rate,
        "scipy_bfgs_one_start": baselines,
        "scaling": scaling,
        "notes": "speedup = scipy loop time / scalinglaws steady-state median on the same weight vectors. "
                 "scipy fd: minimize(f, x0, method='BFGS') with finite differences (the replication code's call); "
                 "analytic: exact numpy gradient. compile_s = first call minus steady state.",
    }
    if million:
        print("1,000,000 replicates in a subprocess ...", flush=True)
        result["million"] = _million()
        print(f"  {result['million']}", flush=True)
    return result


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="400 replicates, small scaling table")
    parser.add_argument("--million", action="store_true", help="also stream 1,000,000 replicates (minutes on a CPU)")
    args = parser.parse_args(argv)
    result = run(args.quick, args.million)
    backend = jax.default_backend()
    name = "bootstrap" if backend == "cpu" else f"bootstrap-{backend}"
    path = _common.write(name, result)
    print(f"wrote {path}")
    return result


if __name__ == "__main__":
    main()
