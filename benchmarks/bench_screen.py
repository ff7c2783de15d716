"""Start screening on the whole hard-fit suite: which cold starts win, and which the screen skips.

A bootstrap replicate starts from the full-data optimum (the warm start) and from the best grid
points (cold starts). For every case of ``benchmarks/hard_cases.py``, ``--replicates``
replicates are solved twice on the same weights:

- **every start to its end** (no screening, no racing): which cold start finds a lower optimum
  than the warm start ("wins": lower by more than 1e-6 relative and 1e-9 of the full-data
  objective, so that two exact interpolations at 1e-30 do not count), whether the warm start
  converged, in how many iterations, and each cold start's objective at its start;
- **raced only** (``screen_ratio=0``) and **the defaults** (screened and raced): the share of
  cold starts screened, iterations per replicate, time (warm calls, compilation apart), and the
  replicates whose objective is worse than the best of the first run (what the race, and then
  the screen, lost).

From the first run the rule is replayed offline on a grid of (``screen_iterations``,
``screen_ratio``): for each, the replicates whose only winning cold starts would be screened
("lost"), and the share of cold starts screened. The defaults (14 iterations, 8x) are the
largest setting at which no replicate of the suite is lost.

    python -m benchmarks.bench_screen [--replicates 1000] [--only NAME,...]

Writes ``benchmarks/results/screen.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
import warnings

import numpy as np

from scalinglaws import bootstrap as _bootstrap
from scalinglaws import solvers as _solvers

from . import _common
from . import hard_cases as _cases

ITERATIONS = (8, 10, 12, 14, 16, 20, 25, 30)
RATIOS = (2, 3, 5, 8, 10, 16)


def _wins(f_starts: np.ndarray, scale: float) -> np.ndarray:
    """[R, S-1] bool: cold starts that ended meaningfully below the warm start (column 0)."""
    warm = f_starts[:, :1]
    return (warm - f_starts[:, 1:]) > 1e-6 * np.maximum(warm, 0.0) + 1e-9 * scale


def run_case(case: _cases.Case, n_rep: int, seed: int = 0) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = case.fit()
        cfg = fit.problem.config
        every = dataclasses.replace(cfg, abandon_ratio=0.0, screen_ratio=0.0)
        raced = dataclasses.replace(cfg, screen_ratio=0.0)
        run = {name: (lambda c=c: fit.bootstrap(n_rep, seed=seed, progress=False, failed="drop", config=c))
               for name, c in (("every", every), ("raced", raced), ("defaults", cfg))}
        times, out = {}, {}
        for name, call in run.items():
            call()  # compile
            t0 = time.perf_counter()
            out[name] = call()
            times[name] = time.perf_counter() - t0
    full, screened, t_full, t_screened = out["every"], out["defaults"], times["every"], times["defaults"]
    prob = fit.problem
    ranked = fit._ranked_starts if fit._ranked_starts is not None else prob.ranked_starts()
    n_cold = screened._a.start_objective.shape[1] - 1
    starts = np.concatenate([fit.theta[None], ranked[:n_cold]])
    W = _bootstrap.replicate_weight_matrix(prob, seed, "multinomial", None, np.arange(n_rep))
    f_cold = np.stack([prob.grid_values(starts[1:], w) for w in W])  # [R, S-1] objective at each cold start

    a = full._a
    f_end, reason, iters = a.start_objective, a.start_stop_reason, a.start_iterations
    warm = f_end[:, 0]
    warm_converged = np.asarray(_solvers.is_converged(reason[:, 0]))
    win = _wins(f_end, abs(fit.objective))
    grid = []
    for J in ITERATIONS:
        for k in RATIOS:
            skip = (warm_converged & (iters[:, 0] <= J))[:, None] & (f_cold > k * warm[:, None])
            lost = (win & skip).any(axis=1) & ~(win & ~skip).any(axis=1)
            grid.append({"screen_iterations": J, "screen_ratio": k, "lost": int(lost.sum()),
                         "screened_share": float(skip.mean())})

    b = screened._a
    best_full = np.min(f_end, axis=1)
    worse = lambda f: (f - best_full) > 1e-6 * np.abs(best_full) + 1e-9 * abs(fit.objective)  # noqa: E731
    codes = b.start_stop_reason[:, 1:]
    gain = (warm[:, None] - f_end[:, 1:]) / np.maximum(np.abs(warm[:, None]), 1e-300)
    return {
        "name": case.name, "law": case.law_name, "replicates": n_rep, "cold_starts": n_cold,
        "every_start": {
            "replicates_a_cold_start_won": int(win.any(axis=1).sum()),
            "of_them_warm_converged": int((win.any(axis=1) & warm_converged).sum()),
            "largest_relative_gain": float(gain[win].max()) if win.any() else 0.0,
            "warm_iterations_median": float(np.median(iters[:, 0])),
            "iterations_per_replicate": float(iters.sum(axis=1).mean()), "time_s": t_full,
        },
        "defaults": {
            "screened_share": float(np.mean(codes == _solvers.StopReason.SCREENED)),
            "abandoned_share": float(np.mean(codes == _solvers.StopReason.ABANDONED)),
            "iterations_per_replicate": float(b.start_iterations.sum(axis=1).mean()), "time_s": t_screened,
            "replicates_worse_than_every_start": int(worse(b.objective).sum()),
        },
        "raced_only": {"iterations_per_replicate": float(out["raced"]._a.start_iterations.sum(axis=1).mean()),
                       "time_s": times["raced"],
                       "replicates_worse_than_every_start": int(worse(out["raced"]._a.objective).sum())},
        "grid": grid,
    }


def table(rows: list[dict]) -> str:
    lines = ["| case | cold start won (warm converged) | screened | iterations per replicate: every start / raced / "
             "defaults | time: every start / raced / defaults | replicates worse than every start: raced / defaults |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        e, q, d = r["every_start"], r["raced_only"], r["defaults"]
        lines.append(f"| {r['name']} | {e['replicates_a_cold_start_won']} ({e['of_them_warm_converged']}) "
                     f"| {100 * d['screened_share']:.0f}% | {e['iterations_per_replicate']:.1f} / "
                     f"{q['iterations_per_replicate']:.1f} / {d['iterations_per_replicate']:.1f} "
                     f"| {e['time_s']:.2f} / {q['time_s']:.2f} / {d['time_s']:.2f} s "
                     f"| {q['replicates_worse_than_every_start']} / {d['replicates_worse_than_every_start']} |")
    return "\n".join(lines)


def grid_table(rows: list[dict]) -> str:
    """Replicates lost over the suite, and chinchilla-240's screened share, per setting."""
    head = "| iterations \\ ratio | " + " | ".join(f"{k}x" for k in RATIOS) + " |"
    lines = [head, "|---" * (len(RATIOS) + 1) + "|"]
    base = next((r for r in rows if r["name"] == "chinchilla-240"), rows[0])
    for J in ITERATIONS:
        cells = []
        for k in RATIOS:
            lost = sum(g["lost"] for r in rows for g in r["grid"] if (g["screen_iterations"], g["screen_ratio"]) == (J, k))
            share = next(g["screened_share"] for g in base["grid"] if (g["screen_iterations"], g["screen_ratio"]) == (J, k))
            cells.append(f"{lost} lost, {100 * share:.0f}%")
        lines.append(f"| {J} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run(n_rep: int = 1000, only=None) -> dict:
    rows = []
    for case in _cases.CASES:
        if only and case.name not in only:
            continue
        t0 = time.perf_counter()
        rows.append(run_case(case, n_rep))
        print(f"{case.name}: {time.perf_counter() - t0:.1f} s", flush=True)
    md, grid_md = table(rows), grid_table(rows)
    print(md)
    print("\nreplicates lost over the suite, and chinchilla-240's cold starts screened:\n" + grid_md)
    result = {"replicates": n_rep, "cases": rows, "table": md, "grid_table": grid_md,
              "defaults": {"screen_iterations": _solvers.SolverConfig().screen_iterations,
                           "screen_ratio": _solvers.SolverConfig().screen_ratio}}
    _common.write("screen", result)
    return result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--replicates", type=int, default=1000)
    ap.add_argument("--only", default=None, help="comma-separated case names")
    a = ap.parse_args(argv)
    run(a.replicates, set(a.only.split(",")) if a.only else None)


if __name__ == "__main__":
    main()
