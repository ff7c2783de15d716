"""The point fit on the whole hard-fit suite: the float32 grid screen.

For every case of ``benchmarks/hard_cases.py``:

- **the start grid**: the ``k`` best grid points by the float64 objective on the whole grid,
  against those :meth:`~scalinglaws.problem.Problem.start_values` picks (float32 on the whole
  grid, float64 on its ``SCREEN_FACTOR * k`` best); the deepest float32 rank any of the ``k``
  best sits at (the screen keeps ranks below ``SCREEN_FACTOR * k``), and the time of both;
- **the whole point fit** (``sl.fit``), as a user calls it.

Times are medians of warm calls; compilation is apart (a first call, not timed).

    python -m benchmarks.bench_point [--repeats 7] [--only NAME,...]

Writes ``benchmarks/results/point.json``.
"""

from __future__ import annotations

import argparse

import numpy as np

from scalinglaws import fitting
from scalinglaws import problem as _problem
from scalinglaws.solvers import top_k_starts

from . import _common
from . import hard_cases as _cases


def _case(case, repeats: int) -> dict:
    prob, grid, _ = fitting.setup(case.data(), case.law, **case.kwargs)
    k = fitting.resolve_law(case.law, None, None, None, None)[2]
    full = prob.grid_values(grid)
    ref = top_k_starts(full, k)
    screened = prob.start_values(grid, k)
    got = top_k_starts(screened, k)
    screens = _problem.screens_grid(len(grid), k)
    row = {"grid_points": int(len(grid)), "starts": int(k), "rows_padded": int(prob.n_padded), "screened": screens,
           "same_starts": bool(np.array_equal(ref, got)),
           "grid_f64_ms": 1e3 * _common.timed(lambda: prob.grid_values(grid), repeats, warmup=1)["median_s"],
           "grid_screened_ms": 1e3 * _common.timed(lambda: prob.start_values(grid, k), repeats, warmup=1)["median_s"]}
    if screens:
        from scalinglaws import solvers as _solvers

        F, y, _, _ = prob.host_arrays(np.float32)
        w = prob.pad_rows(prob.weights, fill=0.0).astype(np.float32)
        rough = np.asarray(_solvers.objective_values(prob.law, prob.objective, F, y, w, grid.astype(np.float32)))
        rank = np.empty(len(grid), int)
        rank[top_k_starts(rough, len(grid))] = np.arange(len(grid))
        row["deepest_f32_rank_of_best"] = int(rank[ref].max())
        row["kept"] = int(_problem.SCREEN_FACTOR * k)
    fit = case.fit()
    row["fit_ms"] = 1e3 * _common.timed(case.fit, repeats, warmup=1)["median_s"]
    row["fit_converged"], row["fit_retried"] = fit.converged, fit.diagnostics["retried"]
    return row


def run(repeats: int = 7, only=None) -> dict:
    out = {}
    for case in _cases.CASES:
        if only and case.name not in only:
            continue
        r = out[case.name] = _case(case, repeats)
        print(f"{case.name[:36]:36s} grid {r['grid_f64_ms']:7.2f} -> {r['grid_screened_ms']:6.2f} ms "
              f"{'same' if r['same_starts'] else 'DIFFERENT'} starts (f32 rank {r.get('deepest_f32_rank_of_best', '-')})"
              f" | fit {r['fit_ms']:7.2f} ms (converged {r['fit_converged']}, retried {r['fit_retried']})", flush=True)
    total = {key: sum(r[key] for r in out.values()) for key in ("grid_f64_ms", "grid_screened_ms", "fit_ms")}
    print("summed:", {k: round(v, 1) for k, v in total.items()})
    result = {"cases": out, "summed": total, "screen_factor": _problem.SCREEN_FACTOR, "screen_min_grid": _problem.SCREEN_MIN_GRID,
              "repeats": repeats,
              "notes": "grid_f64_ms: the float64 objective on the whole grid (the engine before); grid_screened_ms: "
                       "Problem.start_values. fit_ms: sl.fit as a user calls it (the default slots and screen). Medians of "
                       "warm calls; compilation apart."}
    if not only:
        _common.write("point", result)
    return result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--only", default=None, help="comma-separated case names")
    a = ap.parse_args(argv)
    run(a.repeats, set(a.only.split(",")) if a.only else None)


if __name__ == "__main__":
    main()
