"""Many curves in one grouped call, side by side with the loops a user would write otherwise.

    python -m benchmarks.bench_grouped [--quick]

Cases (synthetic curves with known parameters and noise, seeded):

- 1,000 sigmoid curves of 20 points (RL or benchmark score against compute; least squares);
- 1,000 power laws of 8 points (loss against compute; Huber(1e-3) on log loss);

each with the default 32 starts per curve, and with 1 start (the best grid point: what the scipy
loop is given).

Contenders, in one process on the same data:

- ``sl.fit(df, law, by="curve")``: every (curve, start) pair in one batched solve;
- a Python loop of ``sl.fit`` on each curve's rows (the same starts, so the same optima);
- a loop of ``scipy.optimize.least_squares`` with the exact (closed-form numpy) Jacobian, from the
  best point of our start grid for that curve (given for free: its set-up is not timed), in the
  same internal parameters and bounds; for the power law with ``loss="huber", f_scale=1e-3``,
  which is our objective exactly. Its answer is scored with our objective.

Compile time is reported apart (the first grouped call); warm times are the median of repeats.
Also: 100,000 power-law curves through the grouped path (blocks of ``chunk_size`` curves; wall
time and the process's peak resident memory (VmHWM), measured in a fresh process per size), and a grouped bootstrap
of 100 sigmoid curves x 1,000 replicates. Writes ``benchmarks/results/grouped.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

import scalinglaws as sl

from . import _common

DELTA = 1e-3


def sigmoid_curves(G: int, m: int = 20, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = np.geomspace(1e18, 1e23, m)
    R0 = rng.uniform(0.0, 0.1, G)
    A = rng.uniform(0.6, 0.9, G)
    Cm = 10 ** rng.uniform(19.5, 21.5, G)
    B = rng.uniform(0.5, 1.5, G)
    y = R0[:, None] + (A - R0)[:, None] / (1 + (Cm[:, None] / x) ** B[:, None]) + 0.01 * rng.standard_normal((G, m))
    return pd.DataFrame({"C": np.tile(x, G), "score": y.ravel(), "curve": np.repeat(np.arange(G), m)})


def power_curves(G: int, m: int = 8, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = np.geomspace(1e18, 1e22, m)
    E = rng.uniform(1.5, 2.5, G)
    A = 10 ** rng.uniform(6.0, 8.0, G)
    alpha = rng.uniform(0.25, 0.4, G)
    y = (E[:, None] + A[:, None] * x ** -alpha[:, None]) * np.exp(0.01 * rng.standard_normal((G, m)))
    return pd.DataFrame({"C": np.tile(x, G), "loss": y.ravel(), "curve": np.repeat(np.arange(G), m)})


CASES = {
    "sigmoid": (sigmoid_curves, "sigmoid", {"x": "C", "y": "score"}),
    "power": (power_curves, "power", {"x": "C", "y": "loss"}),
}


# scipy's residuals and Jacobians in our internal parameters (F = log x; y in the fit space)
def _sigmoid_res(t, lx, y):
    return t[0] + (t[1] - t[0]) / (1 + np.exp(-t[3] * (lx - t[2]))) - y


def _sigmoid_jac(t, lx, y):
    s = 1 / (1 + np.exp(-t[3] * (lx - t[2])))
    amp, ds = t[1] - t[0], s * (1 - s)
    return np.stack([1 - s, s, -amp * ds * t[3], amp * ds * (lx - t[2])], axis=1)


def _power_res(t, lx, y):
    return np.log(t[0] + np.exp(t[1] - t[2] * lx)) - y


def _power_jac(t, lx, y):
    a = np.exp(t[1] - t[2] * lx)
    tot = t[0] + a
    return np.stack([1 / tot, a / tot, -lx * a / tot], axis=1)


SCIPY = {"sigmoid": (_sigmoid_res, _sigmoid_jac, {}), "power": (_power_res, _power_jac, {"loss": "huber", "f_scale": DELTA})}


def scipy_loop(fits, law: str):
    """least_squares per curve from our best grid point; returns seconds and end points."""
    res_fn, jac_fn, kw = SCIPY[law]
    jobs = []
    for f in fits:
        p = f.problem
        lo, hi = np.asarray(p.lower, float), np.asarray(p.upper, float)
        x0 = np.clip(f._ranked_starts[0], lo, hi)
        jobs.append((x0, p.F[:, 0].copy(), p.y_fit.copy(), lo, hi))
    out = []
    t0 = time.perf_counter()
    for x0, lx, y, lo, hi in jobs:
        r = least_squares(res_fn, x0, jac=jac_fn, args=(lx, y), bounds=(lo, hi), method="trf", **kw)
        out.append(r.x)
    return time.perf_counter() - t0, np.array(out)


def _our_objectives(fits, thetas) -> np.ndarray:
    return np.array([float(f.problem.grid_values(np.asarray(t)[None])[0]) for f, t in zip(fits, thetas)])


def _rel(a, b):
    return np.abs(a - b) / np.maximum(np.abs(b), 1e-300)


def run_case(name: str, G: int, repeats: int, n_starts: int) -> dict:
    make, law, kw = CASES[name]
    df = make(G)
    grouped = lambda: sl.fit(df, law, by="curve", n_starts=n_starts, **kw)  # noqa: E731
    compile_s = _common.first_call(grouped)
    fs = grouped()
    warm = _common.timed(grouped, repeats=repeats)
    curves = [df[df.curve == g] for g in range(G)]
    sl.fit(curves[0], law, n_starts=n_starts, **kw)  # warm the single-curve program
    t0 = time.perf_counter()
    loop = [sl.fit(c, law, n_starts=n_starts, **kw) for c in curves]
    loop_s = time.perf_counter() - t0
    fits = list(fs.fits.values())
    scipy_s, scipy_theta = scipy_loop(fits, law)
    f_grouped = np.array([f.objective for f in fits])
    f_loop = np.array([f.objective for f in loop])
    f_scipy = _our_objectives(fits, scipy_theta)
    theta_rel = max(float(np.max(_rel(f.theta, g.theta))) for f, g in zip(fits, loop))
    same = _rel(f_grouped, f_scipy) <= 1e-8
    ours_better = f_grouped < f_scipy * (1 - 1e-8)
    scipy_better = f_scipy < f_grouped * (1 - 1e-8)
    out = {
        "law": law, "curves": G, "points_per_curve": int(len(df) / G), "n_starts": n_starts,
        "grouped_first_call_s": compile_s, "grouped_warm_s": warm["median_s"], "grouped_warm_min_s": warm["min_s"],
        "grouped_setup_s": fs.diagnostics["setup_s"], "grouped_solve_s": fs.diagnostics["solve_s"],
        "sl_fit_loop_s": loop_s, "scipy_least_squares_loop_s": scipy_s,
        "speedup_vs_sl_fit_loop": loop_s / warm["median_s"],
        "speedup_vs_scipy_loop": scipy_s / warm["median_s"],
        "max_rel_objective_diff_vs_loop": float(np.max(_rel(f_grouped, f_loop))),
        "max_rel_theta_diff_vs_loop": theta_rel,
        "vs_scipy": {"same_optimum_1e-8": int(same.sum()), "ours_lower": int(ours_better.sum()),
                     "scipy_lower": int(scipy_better.sum()),
                     "max_rel_diff_where_same": float(np.max(_rel(f_grouped, f_scipy)[same])) if same.any() else None,
                     "worst_ours_vs_scipy": float(np.max((f_grouped - f_scipy) / np.abs(f_scipy)))},
        "not_converged": int(np.sum(~fs.converged)), "on_bound": int(np.sum(fs.on_bound)),
    }
    print(f"{name}: {G} curves x {out['points_per_curve']} points, {n_starts} starts: grouped {warm['median_s']:.3f} s "
          f"(first call {compile_s:.2f} s; set-up {out['grouped_setup_s']:.3f} s, solve {out['grouped_solve_s']:.3f} s), "
          f"sl.fit loop {loop_s:.2f} s ({out['speedup_vs_sl_fit_loop']:.0f}x), scipy least_squares loop {scipy_s:.2f} s "
          f"({out['speedup_vs_scipy_loop']:.1f}x); vs loop max rel diff {out['max_rel_objective_diff_vs_loop']:.1e}; "
          f"vs scipy same {same.sum()}, ours lower {ours_better.sum()}, scipy lower {scipy_better.sum()}")
    return out


_STREAM = """
import time, json, warnings, sys
warnings.simplefilter("ignore")


def peak_mb():
    # VmHWM belongs to this process's memory map, made afresh at exec; ru_maxrss would start at
    # the forking parent's size
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024


sys.path.insert(0, {root!r})
import scalinglaws as sl
from benchmarks.bench_grouped import power_curves
df = power_curves({G})
before = peak_mb()
t0 = time.perf_counter()
fs = sl.fit(df, "power", x="C", y="loss", by="curve", n_starts={n_starts}, chunk_size={chunk})
t = time.perf_counter() - t0
print(json.dumps({{"curves": {G}, "wall_s": t, "peak_rss_mb": peak_mb(),
                  "rss_before_fit_mb": before,
                  "setup_s": fs.diagnostics["setup_s"], "solve_s": fs.diagnostics["solve_s"],
                  "not_converged": int((~fs.converged).sum())}}))
"""


def stream_case(G: int, n_starts: int, chunk: int) -> dict:
    from pathlib import Path

    root = str(Path(__file__).resolve().parent.parent)
    code = _STREAM.format(root=root, G=G, n_starts=n_starts, chunk=chunk)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    rec = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"stream: {G} power curves in blocks of {chunk}: {rec['wall_s']:.1f} s (first call in a fresh process), "
          f"peak RSS {rec['peak_rss_mb']:.0f} MB ({rec['rss_before_fit_mb']:.0f} MB with the table made, before the fit)")
    return rec


def bootstrap_case(G: int, n: int) -> dict:
    df = sigmoid_curves(G)
    fs = sl.fit(df, "sigmoid", x="C", y="score", by="curve")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = _common.first_call(lambda: fs.bootstrap(n, seed=0))
        warm = _common.timed(lambda: fs.bootstrap(n, seed=0), repeats=2)
        ens = fs.bootstrap(n, seed=0)
    left = sum(v["left_out"] for v in ens.diagnostics["groups"].values())
    print(f"grouped bootstrap: {G} sigmoid curves x {n} replicates: {warm['median_s']:.2f} s warm "
          f"(first call {first:.2f} s); {left} of {G * n} refits left out")
    return {"curves": G, "replicates": n, "first_call_s": first, "warm_s": warm["median_s"], "left_out": int(left),
            "per_refit_us": 1e6 * warm["median_s"] / (G * n)}


def run(quick: bool = False) -> dict:
    G = 100 if quick else 1000
    result = {"machine": _common.machine_info(), "when": _common.now(), "cases": {}}
    for name in CASES:
        result["cases"][name] = run_case(name, G, repeats=2 if quick else 3, n_starts=32)
    for name in CASES:  # scipy's protocol: one start, the best grid point
        result["cases"][f"{name}_1_start"] = run_case(name, G, repeats=2 if quick else 3, n_starts=1)
    sizes = (1000, 10000) if quick else (1000, 10000, 100000)
    result["stream"] = [stream_case(s, n_starts=8, chunk=4096) for s in sizes]
    result["bootstrap"] = bootstrap_case(20 if quick else 100, 200 if quick else 1000)
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="100 curves, smaller streams and bootstrap")
    args = ap.parse_args(argv)
    result = run(args.quick)
    path = _common.RESULTS / ("grouped-quick.json" if args.quick else "grouped.json")
    path.write_text(json.dumps(result, indent=1))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
