"""Point fit of the 240 Chinchilla rows: scalinglaws against scipy L-BFGS-B over the same grid.

Both start from Hoffmann et al.'s 4,500-point grid. scipy runs L-BFGS-B from every grid point
(the replication code's procedure); scalinglaws evaluates the objective on the whole grid in one
pass and runs its batched solver from the best 32 points. Same data, same objective, one
process. Compile time is reported apart; steady-state times are medians of repeated fits.

    python -m benchmarks.bench_fit [--quick] [--gradient fd|analytic|both]

Writes ``benchmarks/results/fit.json``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import scalinglaws as sl

from . import _common
from .baselines import ChinchillaObjective, chinchilla_grid, scipy_grid_fit


def run(quick: bool = False, gradients=("fd", "analytic"), repeats: int = 21) -> dict:
    df = sl.datasets.load("chinchilla-240")
    grid = chinchilla_grid()
    if quick:  # every 10th start: a smoke run of the harness, not a measurement
        grid = grid[::10]

    compile_s = _common.first_call(lambda: sl.fit(df, "chinchilla"))
    steady = _common.timed(lambda: sl.fit(df, "chinchilla"), repeats=repeats)
    ours = sl.fit(df, "chinchilla")
    compile_s -= steady["median_s"]

    obj = ChinchillaObjective(df.N.values, df.D.values, df.loss.values)
    baselines = {}
    for gradient in gradients:
        start = time.perf_counter()
        best = scipy_grid_fit(obj, grid, "L-BFGS-B", gradient)
        elapsed = time.perf_counter() - start
        if quick:
            elapsed *= 10  # extrapolate the subsample to the full grid
        baselines[gradient] = {
            "time_s": elapsed,
            "objective": float(best.fun),
            "params": {"E": float(np.exp(best.x[2])), "A": float(np.exp(best.x[0])), "B": float(np.exp(best.x[1])),
                       "alpha": float(best.x[3]), "beta": float(best.x[4])},
            "speedup": elapsed / steady["median_s"],
            "objective_rel_diff": (ours.objective - best.fun) / best.fun,
        }
    return {
        "data": "chinchilla-240 (Epoch AI extraction, 240 lowest-loss rows)",
        "grid_points": int(len(grid)) if not quick else 4500,
        "quick": quick,
        "scalinglaws": {
            "steady_state": steady,
            "compile_s": compile_s,
            "objective": ours.objective,
            "params": ours.params,
            "converged": ours.converged,
            "diagnostics": {k: ours.diagnostics[k] for k in ("n_starts", "iterations", "starts_at_best", "starts_converged")},
        },
        "scipy_lbfgsb": baselines,
        "notes": "scipy fd: minimize(f, x0, method='L-BFGS-B') with finite-difference gradients, as the "
                 "replication code calls it; scipy analytic: the exact numpy gradient passed as jac. "
                 "speedup = scipy time / scalinglaws steady-state median; compile_s = first call minus a "
                 "steady-state call.",
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="scipy on every 10th grid point (smoke test)")
    parser.add_argument("--gradient", choices=["fd", "analytic", "both"], default="both")
    args = parser.parse_args(argv)
    gradients = ("fd", "analytic") if args.gradient == "both" else (args.gradient,)
    result = run(args.quick, gradients)
    s = result["scalinglaws"]
    print(f"scalinglaws: {s['steady_state']['median_s'] * 1e3:.1f} ms per fit (median), compile {s['compile_s']:.2f} s, "
          f"objective {s['objective']:.10g}")
    for g, b in result["scipy_lbfgsb"].items():
        print(f"scipy L-BFGS-B ({g} gradient) over {result['grid_points']} starts: {b['time_s']:.1f} s, "
              f"objective {b['objective']:.10g}; speedup {b['speedup']:.0f}x; "
              f"objective difference {b['objective_rel_diff']:+.2e} (relative, ours - scipy)")
    path = _common.write("fit", result)
    print(f"wrote {path}")
    return result


if __name__ == "__main__":
    main()
