"""Peers on the same data, grid and replicate weights: scipy's least_squares and the `chinchilla`
package from PyPI, next to scalinglaws.

- ``scipy.optimize.least_squares(loss="huber", f_scale=1e-3)`` minimises exactly our objective
  (for |r| <= f_scale its rho is r^2 / 2, beyond it f_scale |r| - f_scale^2 / 2): run from every
  grid point for the point fit, and once per replicate (rows repeated by their counts, which is
  the weighted objective exactly) from the full-data optimum for the bootstrap.
- ``chinchilla`` (kyo-takano/chinchilla, 0.2.0), the package a researcher would pick today: its
  ``Chinchilla.fit`` runs scipy BFGS from every point of a parameter grid in a process pool, in
  ``numpy.longdouble``, on the MEAN of its loss function. We give it the same 240 rows, the same
  4,500-point grid (as log-amplitudes e, a, b) and its own ``log_huber`` with delta 1e-3 (the
  paper's loss), then score its answer with our summed objective. Install it with
  ``pip install -e ".[bench]"``; the benchmark says so and skips it when it is missing. It is
  timed on every 10th grid point (450 starts, about 2 minutes) and scaled to the 4,500.

    python -m benchmarks.bench_peers [--quick]

Writes ``benchmarks/results/peers.json``.
"""

from __future__ import annotations

import argparse
import functools
import tempfile
import time

import jax
import jax.numpy as jnp
import numpy as np
from scipy.optimize import least_squares

import scalinglaws as sl
from scalinglaws import bootstrap as _bootstrap

from . import _common
from .baselines import DELTA, ChinchillaObjective, chinchilla_grid


def _residuals(p, lN, lD, lL):
    a, b, e, al, be = p
    u = np.stack([a - al * lN, b - be * lD, np.full_like(lN, e)])
    m = u.max(0)
    return m + np.log(np.exp(u - m).sum(0)) - lL


def _jac(p, lN, lD, lL):
    a, b, e, al, be = p
    u = np.stack([a - al * lN, b - be * lD, np.full_like(lN, e)])
    P = np.exp(u - u.max(0))
    P /= P.sum(0)
    return np.stack([P[0], P[1], P[2], -P[0] * lN, -P[1] * lD], axis=1)


def least_squares_grid(df, grid):
    lN, lD, lL = np.log(df.N.values), np.log(df.D.values), np.log(df.loss.values)
    best = None
    for x0 in grid:
        r = least_squares(_residuals, x0, jac=_jac, args=(lN, lD, lL), loss="huber", f_scale=DELTA)
        if best is None or r.cost < best.cost:
            best = r
    return best


def least_squares_bootstrap(df, W, x0):
    lN, lD, lL = np.log(df.N.values), np.log(df.D.values), np.log(df.loss.values)
    out = []
    for w in W:
        idx = np.repeat(np.arange(len(w)), w.astype(int))  # counts: the weighted sum exactly
        r = least_squares(_residuals, x0, jac=_jac, args=(lN[idx], lD[idx], lL[idx]), loss="huber", f_scale=DELTA)
        out.append(r.x)
    return np.array(out)


def chinchilla_package(df, grid):
    try:
        from chinchilla import Chinchilla
        from chinchilla._metrics import log_huber
    except ImportError:
        return {"skipped": "the `chinchilla` package is not installed: pip install -e '.[bench]'"}
    with tempfile.TemporaryDirectory() as project:
        # Its grid keys e, a, b are logs of E, A, B; its fit divides every start by the grid's range.
        param_grid = {"e": sorted(set(grid[:, 2])), "a": sorted(set(grid[:, 0])), "b": sorted(set(grid[:, 1])),
                      "alpha": sorted(set(grid[:, 3])), "beta": sorted(set(grid[:, 4]))}
        cc = Chinchilla(project, param_grid=param_grid, loss_fn=functools.partial(log_huber, delta=DELTA),
                        log_level=40)
        for row in df.itertuples():
            cc.database.append(N=row.N, D=row.D, loss=row.loss, C=row.C)
        start = time.perf_counter()
        cc.fit(parallel=True)
        elapsed = time.perf_counter() - start
    params = {"E": float(cc.E), "A": float(cc.A), "B": float(cc.B), "alpha": float(cc.alpha), "beta": float(cc.beta)}
    ours = sl.Fit.from_params("chinchilla", params, data=df)
    return {"time_s": elapsed, "params": params, "objective_sum": ours.objective,
            "note": "fits the MEAN of log_huber in longdouble with BFGS from every grid point (multiprocessing pool)"}


def run(quick: bool = False) -> dict:
    df = sl.datasets.load("chinchilla-240")
    grid = chinchilla_grid()
    if quick:
        grid = grid[::50]
    scale = 4500 / len(grid)
    fit = sl.fit(df, "chinchilla")
    t_fit = _common.timed(lambda: sl.fit(df, "chinchilla"), repeats=5)["median_s"]

    start = time.perf_counter()
    ls = least_squares_grid(df, grid)
    t_ls = (time.perf_counter() - start) * scale
    obj = ChinchillaObjective(df.N.values, df.D.values, df.loss.values)
    point = {
        "scalinglaws_s": t_fit,
        "scalinglaws_objective": fit.objective,
        "least_squares_huber": {"time_s": t_ls, "extrapolated_from_starts": len(grid), "objective": obj.value(ls.x),
                                "speedup": t_ls / t_fit},
    }
    print(f"point fit: scalinglaws {t_fit * 1e3:.1f} ms; least_squares(huber) over the grid {t_ls:.1f} s "
          f"({t_ls / t_fit:.0f}x), objective {obj.value(ls.x):.10g} vs ours {fit.objective:.10g}", flush=True)
    # The package takes ~0.3 s per start (BFGS in longdouble): time it on every 10th grid point
    # (every 50th in --quick) and scale by the number of starts; each start is independent.
    sub = chinchilla_grid()[:: 50 if quick else 10]
    peer = chinchilla_package(df, sub)
    if "time_s" in peer:
        peer["timed_starts"] = len(sub)
        peer["time_s"] *= 4500 / len(sub)
        peer["speedup"] = peer["time_s"] / t_fit
        peer["objective_rel_diff_vs_ours"] = (peer["objective_sum"] - fit.objective) / fit.objective
        print(f"chinchilla package over the grid: {peer['time_s']:.1f} s ({peer['speedup']:.0f}x); its parameters "
              f"score {peer['objective_sum']:.10g} on the summed objective ({peer['objective_rel_diff_vs_ours']:+.2e} "
              "relative to ours)", flush=True)
    else:
        print(f"chinchilla package: {peer['skipped']}", flush=True)
    point["chinchilla_package"] = peer

    n = 200 if quick else 4000
    base = jnp.asarray(fit.problem.weights)
    W = np.asarray(_bootstrap.replicate_weights(jax.random.PRNGKey(0), jnp.arange(n), base,
                                                jnp.arange(len(base), dtype=jnp.int32), len(base), "multinomial"))
    t_boot = _common.timed(lambda: fit.bootstrap(n, seed=0, progress=False), repeats=2)["median_s"]
    x0 = np.array([fit.theta[1], fit.theta[2], np.log(fit.theta[0]), fit.theta[3], fit.theta[4]])
    start = time.perf_counter()
    thetas = least_squares_bootstrap(df, W, x0)
    t_lsb = time.perf_counter() - start
    ours = np.asarray(fit.law.to_public(fit.bootstrap(n, seed=0, progress=False).theta))
    theirs = np.column_stack([np.exp(thetas[:, 2]), np.exp(thetas[:, 0]), np.exp(thetas[:, 1]), thetas[:, 3], thetas[:, 4]])
    q = [0.025, 0.975]
    diff = np.max(np.abs(np.quantile(ours, q, axis=0) - np.quantile(theirs, q, axis=0)), axis=0)
    boot = {"replicates": n, "scalinglaws_s": t_boot, "least_squares_s": t_lsb, "speedup": t_lsb / t_boot,
            "max_bound_difference": dict(zip(fit.law.params, diff.tolist()))}
    print(f"bootstrap {n}: scalinglaws {t_boot:.2f} s (4 starts); least_squares loop {t_lsb:.1f} s (1 start): "
          f"{t_lsb / t_boot:.0f}x; largest 95% bound difference alpha {diff[3]:.4f}, beta {diff[4]:.4f}", flush=True)
    return {"point_fit": point, "bootstrap": boot, "quick": quick}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every 50th grid point, 200 replicates")
    args = parser.parse_args(argv)
    result = run(args.quick)
    print(f"wrote {_common.write('peers', result)}")
    return result


if __name__ == "__main__":
    main()
