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

Each cold start that won is then traced alone on its replicate's weights (the solver's own step in
a compiled scan): the first iteration at which it is below its replicate's warm optimum, against
the iterations the warm start took. From that, a cold-start **budget** (stop a cold start still
above its replicate's converged warm optimum after ``b`` times the warm start's iterations) is
replayed offline for ``b`` in ``BUDGETS``: the replicates it would lose and the cold-start
iterations it would save.

From the first run the screen is replayed offline on a grid of (``screen_iterations``,
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

import jax
import jax.numpy as jnp
import numpy as np

from scalinglaws import bootstrap as _bootstrap
from scalinglaws import solvers as _solvers
from scalinglaws.solvers import step as _step

from . import _common
from . import hard_cases as _cases

ITERATIONS = (8, 10, 12, 14, 16, 20, 25, 30)
RATIOS = (2, 3, 5, 8, 10, 16)
BUDGETS = (1, 2, 3, 5, 10, 20)


def _wins(f_starts: np.ndarray, scale: float) -> np.ndarray:
    """[R, S-1] bool: cold starts that ended meaningfully below the warm start (column 0)."""
    warm = f_starts[:, :1]
    return (warm - f_starts[:, 1:]) > 1e-6 * np.maximum(warm, 0.0) + 1e-9 * scale


def first_below(prob, starts: np.ndarray, W: np.ndarray, pairs: np.ndarray, f_warm: np.ndarray) -> np.ndarray:
    """For each (replicate, cold start) of ``pairs`` [m, 2]: the first iteration at which the start,
    run alone from its grid point on its replicate's weights, is below its replicate's warm
    optimum ``f_warm`` (-1 if never within ``max_iter``). The trajectories are traced in one
    compiled scan of the solver's own step, vmapped over the pairs."""
    if len(pairs) == 0:
        return np.zeros(0, int)
    law, obj, cfg = prob.law, prob.objective, prob.config
    F, y, lo, hi = prob.host_arrays()
    fixed = jnp.asarray(prob.fixed_mask)
    zero = jnp.asarray(0, jnp.int32)

    def trace(w, th0):
        s = _step._init_state(law, obj, cfg, F, y, w, lo, hi, th0, zero, fixed)

        def body(s, _):
            s = _step._iterate(law, obj, cfg, F, y, w, lo, hi, fixed, s)
            return s, s.terms.f

        return jax.lax.scan(body, s, None, length=cfg.max_iter)[1]

    Wp = prob.pad_rows(W[pairs[:, 0]], axis=1, fill=0.0)
    fs = np.asarray(jax.jit(jax.vmap(trace))(jnp.asarray(Wp), jnp.asarray(starts[pairs[:, 1]])))
    below = fs < f_warm[pairs[:, 0], None]
    return np.where(below.any(axis=1), below.argmax(axis=1) + 1, -1)


def _budget_replay(win, iters, warm_converged, crossing: dict) -> list[dict]:
    """Replays a cold-start budget offline: a cold start not yet below its replicate's converged
    warm optimum after ``b`` times the warm start's iterations is stopped. Per ``b``: the
    replicates whose every winning cold start would be stopped ("lost"), and the cold starts'
    iterations per replicate (every start run to its end, against capped at the budget)."""
    out = []
    R = len(iters)
    for b in BUDGETS:
        cap = np.where(warm_converged, np.maximum(b * iters[:, 0], 1), np.iinfo(np.int32).max)[:, None]
        stopped = np.zeros_like(win)
        for (r, s), k in crossing.items():
            stopped[r, s - 1] = warm_converged[r] and (k < 0 or k > cap[r, 0])
        lost = (win & stopped).any(axis=1) & ~(win & ~stopped).any(axis=1)
        cost = np.where(win & ~stopped, iters[:, 1:], np.minimum(iters[:, 1:], cap))
        out.append({"budget": b, "lost": int(lost.sum()), "cold_iterations_per_replicate": float(cost.sum() / R)})
    return out


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

    # How long a winning cold start takes to fall below its replicate's warm optimum.
    pairs = np.argwhere(win) + [0, 1]
    below = first_below(prob, starts, W, pairs, warm)
    crossing = {(int(r), int(s_)): int(k) for (r, s_), k in zip(pairs, below)}
    conv = warm_converged[pairs[:, 0]]
    ratio = below[conv] / np.maximum(iters[pairs[conv, 0], 0], 1)

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
            "cold_iterations_per_replicate": float(iters[:, 1:].sum(axis=1).mean()),
        },
        "crossing": {
            "winning_starts": int(len(pairs)), "of_them_warm_converged": int(conv.sum()),
            "first_below_max": int(below[conv].max()) if conv.any() else None,
            "times_warm_iterations_max": float(ratio.max()) if conv.any() else None,
            "first_below_and_warm_iterations": [[int(k), int(iters[r, 0])] for (r, _), k, c in zip(pairs, below, conv)
                                                if c],
        },
        "budget": _budget_replay(win, iters, warm_converged, crossing),
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


def budget_table(rows: list[dict]) -> str:
    """Per case: how long its winning cold starts took, and what a budget would lose and save."""
    head = ("| case | winning cold starts (warm converged) | first below the warm optimum: latest iteration, "
            "largest multiple of the warm start's iterations | " + " | ".join(f"budget {b}x: lost, cold its" for b in BUDGETS) + " |")
    lines = [head, "|---|---|---|" + "---|" * len(BUDGETS)]
    for r in rows:
        c = r["crossing"]
        late = (f"{c['first_below_max']}, {c['times_warm_iterations_max']:.1f}x"
                if c["first_below_max"] is not None else "-")
        cells = " | ".join(f"{g['lost']}, {g['cold_iterations_per_replicate']:.0f}" for g in r["budget"])
        lines.append(f"| {r['name']} | {c['winning_starts']} ({c['of_them_warm_converged']}) | {late} | {cells} |")
    return "\n".join(lines)


def run(n_rep: int = 1000, only=None) -> dict:
    rows = []
    for case in _cases.CASES:
        if only and case.name not in only:
            continue
        t0 = time.perf_counter()
        rows.append(run_case(case, n_rep))
        print(f"{case.name}: {time.perf_counter() - t0:.1f} s", flush=True)
    md, grid_md, budget_md = table(rows), grid_table(rows), budget_table(rows)
    print(md)
    print("\nreplicates lost over the suite, and chinchilla-240's cold starts screened:\n" + grid_md)
    print("\na cold-start budget of b x the warm start's iterations, replayed:\n" + budget_md)
    result = {"replicates": n_rep, "cases": rows, "table": md, "grid_table": grid_md, "budget_table": budget_md,
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
