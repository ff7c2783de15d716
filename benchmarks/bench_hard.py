"""The hard-fit suite: does the engine converge, and agree with scipy, where the data are weak?

For every case of ``benchmarks/hard_cases.py`` (real sets that are weakly identified, synthetic
ones with known truth), side by side in one process:

- **point fit** against an independent reference optimum: ``scipy.optimize.least_squares`` (trf,
  the exact Jacobian, tolerances 1e-15) from the 64 best and 64 random points of the law's start
  grid, in the same internal parameters and bounds. For the Huber objective
  ``least_squares(loss="huber", f_scale=delta)`` minimises exactly our summed objective; for least
  squares it minimises half of it. Both answers are scored with our objective in float64.
- **bootstrap** of ``--replicates`` multinomial replicates at default settings: the share that
  failed to converge and that ended on a bound, iterations (median, 99th percentile), and time per
  replicate (the first call, with compilation, reported apart).
- **optimistix** Levenberg-Marquardt under ``jax.vmap`` over the same weights (the JAX user's
  alternative; :func:`optimistix_solver`), from the reference optimum, compilation timed apart:
  its time per replicate, how many it did not solve, who found the lower objective, and its
  largest 90% bound gap against ours.
- **one start**, like the loops: the same bootstrap from the full-data optimum alone
  (``n_starts=1``), timed the same way, and in how many replicates it ends above the default's
  answer (a cold start found a lower optimum there);
- **a scipy loop** on the same replicate weights (rows repeated by their counts, which is the
  weighted objective exactly), one ``least_squares`` per replicate from the reference optimum,
  how many replicates each side solved to a lower objective (by more than 1e-9 relative, both
  scored with our objective), and the largest gap between our 90% percentile bounds and the
  loop's, as a share of the loop's interval width, in internal parameters (log amplitudes: an
  amplitude that runs off to 1e300 is then a number, not inf).

    python -m benchmarks.bench_hard [--replicates 1000] [--only NAME,...] [--quick] [--tag before]

Writes ``benchmarks/results/hard[-TAG].json`` and prints the markdown table that
``docs/performance.md`` shows.
"""

from __future__ import annotations

import argparse
import time
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from scipy.optimize import least_squares

from scalinglaws import bootstrap as _bootstrap
from scalinglaws.intervals import percentile_interval
from scalinglaws import objectives as _objectives
from scalinglaws import programs

from . import _common
from . import hard_cases as _cases

LEVEL = 0.9


# --------------------------------------------------------------------------------------------
# scipy reference
# --------------------------------------------------------------------------------------------
class ScipyProblem:
    """``least_squares`` on a fitting.Problem's law, rows, objective and internal bounds."""

    def __init__(self, problem):
        if problem.fixed_mask.any():
            raise NotImplementedError("the scipy reference does not handle fixed parameters")
        self.problem = problem
        self.law = problem.law
        used = problem.weights > 0
        if not np.allclose(problem.weights[used], np.round(problem.weights[used])):
            raise NotImplementedError("the scipy reference repeats rows: integer weights only")
        self.F = np.asarray(problem.F, np.float64)
        self.y = np.asarray(problem.y_fit, np.float64)
        self.lower, self.upper = problem.lower, problem.upper
        obj = problem.objective
        if isinstance(obj, _objectives.Huber):
            self.loss, self.f_scale = "huber", obj.delta
        elif isinstance(obj, _objectives.LeastSquares):
            self.loss, self.f_scale = "linear", 1.0
        else:
            raise NotImplementedError(f"no scipy reference for objective {obj.name!r}")
        law = self.law
        self._res = jax.jit(lambda t, F, y: law.fit_fn(t, F) - y)
        self._jac = jax.jit(lambda t, F: law.value_and_jacobian(t, F)[1])

    def rows(self, counts: np.ndarray):
        idx = np.repeat(np.arange(len(self.y)), np.round(counts).astype(int))
        return self.F[idx], self.y[idx]

    def _x0(self, x0):
        span = np.where(np.isfinite(self.upper - self.lower), self.upper - self.lower, 1.0)
        lo = np.where(np.isfinite(self.lower), self.lower + 1e-10 * span, -np.inf)
        hi = np.where(np.isfinite(self.upper), self.upper - 1e-10 * span, np.inf)
        return np.clip(x0, lo, hi)

    def solve(self, x0, F, y, tol=1e-15, max_nfev=None):
        def fun(t):
            return np.asarray(self._res(t, F, y))

        def jac(t):
            return np.asarray(self._jac(t, F))

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return least_squares(fun, self._x0(x0), jac=jac, bounds=(self.lower, self.upper), method="trf",
                                 loss=self.loss, f_scale=self.f_scale, ftol=tol, xtol=tol, gtol=tol,
                                 max_nfev=max_nfev)

    def objective(self, theta, w=None) -> float:
        """Our objective (float64) at ``theta``."""
        return float(self.problem.grid_values(np.asarray(theta)[None], w)[0])


def reference_fit(sp: ScipyProblem, n_best: int = 64, n_random: int = 64, seed: int = 0) -> dict:
    """The best of ``least_squares`` runs from the grid's best points and random grid points."""
    grid = sp.problem.ranked_starts()
    rng = np.random.default_rng(seed)
    rest = grid[n_best:]
    starts = np.concatenate([grid[:n_best], rest[rng.permutation(len(rest))[:n_random]]])
    F, y = sp.rows(sp.problem.weights)
    t0 = time.perf_counter()
    best, best_f = None, np.inf
    for x0 in starts:
        r = sp.solve(x0, F, y)
        f = sp.objective(r.x)
        if np.isfinite(f) and f < best_f:
            best, best_f = r, f
    return {"theta": best.x, "objective": best_f, "starts": int(len(starts)), "time_s": time.perf_counter() - t0,
            "status": int(best.status)}


def scipy_loop(sp: ScipyProblem, W: np.ndarray, x0: np.ndarray):
    """One ``least_squares`` per replicate weight vector, from ``x0``."""
    thetas, ok = np.empty((len(W), len(x0))), np.empty(len(W), bool)
    t0 = time.perf_counter()
    for i, w in enumerate(W):
        F, y = sp.rows(w)
        r = sp.solve(x0, F, y, tol=1e-12, max_nfev=2000)
        thetas[i], ok[i] = r.x, r.status > 0
    return thetas, ok, time.perf_counter() - t0


def optimistix_solver(sp: ScipyProblem):
    """``solve(W [m, n], x0) -> (thetas [m, p], ok [m])``: optimistix's Levenberg-Marquardt under
    ``jax.vmap`` over weight vectors, jitted (the JAX user's alternative); None without optimistix.

    The residuals are ``sqrt(w) psi(r)``: for the Huber objective ``psi(r) = r`` within ``delta``
    and ``sign(r) sqrt(2 delta |r| - delta^2)`` beyond, so that half their sum of squares is our
    summed objective exactly; for least squares ``psi(r) = r`` (half our objective, the same
    minimiser). optimistix has no bounds: the parameters are clipped into ours inside the
    residuals (a bound then shows as a flat direction), and the answers are clipped the same way.
    """
    try:
        import optimistix as optx
    except ImportError:
        return None
    law, F, y = sp.law, jnp.asarray(sp.F), jnp.asarray(sp.y)
    lo, hi = jnp.asarray(sp.lower), jnp.asarray(sp.upper)
    huber, delta = sp.loss == "huber", sp.f_scale

    def residuals(x, w):
        r = law.fit_fn(jnp.clip(x, lo, hi), F) - y
        if huber:
            a = jnp.abs(r)
            r = jnp.where(a <= delta, r, jnp.sign(r) * jnp.sqrt(jnp.maximum(2 * delta * a - delta**2, 0.0)))
        return jnp.sqrt(w) * r

    solver = optx.LevenbergMarquardt(rtol=1e-10, atol=1e-12)

    def one(w, x0):
        sol = optx.least_squares(residuals, solver, x0, args=w, max_steps=256, throw=False)  # its default
        return jnp.clip(sol.value, lo, hi), sol.result == optx.RESULTS.successful

    return jax.jit(jax.vmap(one, in_axes=(0, None)))


def optimistix_loop(sp: ScipyProblem, W: np.ndarray, x0: np.ndarray):
    """The vmapped optimistix solve of every replicate from ``x0``: ``(thetas, ok, warm_s,
    compile_s)`` (the first call's time beyond the warm one is its compilation), or None."""
    solve = optimistix_solver(sp)
    if solve is None:
        return None
    Wj, x = jnp.asarray(W), jnp.asarray(x0)
    t0 = time.perf_counter()
    jax.block_until_ready(solve(Wj, x))
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    th, ok = jax.block_until_ready(solve(Wj, x))
    warm = time.perf_counter() - t0
    return np.asarray(th), np.asarray(ok), warm, max(first - warm, 0.0)


def _bound_gaps(ours: np.ndarray, ours_ok: np.ndarray, theirs: np.ndarray, theirs_ok: np.ndarray):
    """The largest gap between the two sides' 90% percentile bounds, per parameter, as a share
    of the baseline's interval width (or of the parameter's scale where that width is 0)."""
    lo_o, hi_o = percentile_interval(ours[ours_ok], LEVEL)
    lo_s, hi_s = percentile_interval(theirs[theirs_ok], LEVEL)
    # A parameter pinned on a bound in (nearly) every replicate has a zero-width interval in both:
    # its gap is measured against the parameter's scale instead of that width.
    scale = np.maximum(np.abs(lo_s) + np.abs(hi_s), 1e-12)
    width = np.maximum(hi_s - lo_s, 1e-6 * scale)
    return np.maximum(np.abs(lo_o - lo_s), np.abs(hi_o - hi_s)) / width, (lo_o, hi_o), (lo_s, hi_s)


def _who_lower(sp: ScipyProblem, W: np.ndarray, theirs: np.ndarray, f_ours: np.ndarray) -> dict:
    """Replicate by replicate, who found the lower objective (both scored by our objective);
    ``scipy_lower`` counts the baseline's wins, whichever baseline it is."""
    f_them = np.array([sp.objective(theirs[i], W[i]) for i in range(len(W))])
    rel = (f_ours - f_them) / np.maximum(np.abs(f_them), 1e-300)
    return {"scipy_lower": int(np.sum(rel > 1e-9)), "ours_lower": int(np.sum(rel < -1e-9)),
            "largest_scipy_advantage": float(max(np.nanmax(rel), 0.0))}


# --------------------------------------------------------------------------------------------
# one case
# --------------------------------------------------------------------------------------------
def run_case(case: _cases.Case, n_rep: int, seed: int = 0, scipy_reps: int | None = None,
             optimistix_reps: int = 1000) -> dict:
    out = {"name": case.name, "law": case.law_name, "note": case.note}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fit = case.fit()
        t0 = time.perf_counter()
        fit = case.fit()  # the second call: compiled
        t_fit = time.perf_counter() - t0
    prob = fit.problem
    out["n_points"] = int(np.count_nonzero(prob.weights > 0))
    sp = ScipyProblem(prob)
    ref = reference_fit(sp)
    gap = (fit.objective - ref["objective"]) / max(abs(ref["objective"]), 1e-300)
    out["point"] = {"objective": fit.objective, "reference_objective": ref["objective"], "relative_gap": gap,
                    "converged": fit.converged, "on_bound": fit.on_bound, "iterations": fit.diagnostics["iterations"],
                    "time_s": t_fit, "reference_time_s": ref["time_s"], "reference_starts": ref["starts"],
                    "params": fit.params}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        fit.bootstrap(n_rep, seed=seed, progress=False, failed="drop")
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        ens = fit.bootstrap(n_rep, seed=seed, progress=False, failed="drop")
        steady = time.perf_counter() - t0
    d = ens.diagnostics
    it = np.asarray(ens.iterations)
    out["bootstrap"] = {
        "replicates": n_rep, "failed": d["failed_to_converge"], "failed_fraction": d["failed_fraction"],
        "on_bound": d["on_bound"], "on_bound_fraction": d["on_bound_fraction"],
        "iterations_median": float(np.median(it)), "iterations_p99": float(np.percentile(it, 99)),
        "iterations_max": int(it.max()), "first_call_s": first, "time_s": steady,
        "ms_per_replicate": 1e3 * steady / n_rep, "retried": d["retried"], "recovered": d["recovered"],
        "on_bound_by_parameter": d["on_bound_by_parameter"],
    }
    # Like for like with the loops: the warm start alone (n_starts=1), on the same weights.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit.bootstrap(n_rep, seed=seed, progress=False, failed="drop", n_starts=1)
        t0 = time.perf_counter()
        one = fit.bootstrap(n_rep, seed=seed, progress=False, failed="drop", n_starts=1)
        steady_one = time.perf_counter() - t0
    f_default, f_one = np.asarray(ens.objective), np.asarray(one.objective)
    worse = (f_one - f_default) > 1e-9 * np.abs(f_default)
    out["one_start"] = {"time_s": steady_one, "ms_per_replicate": 1e3 * steady_one / n_rep,
                        "failed": one.diagnostics["failed_to_converge"],
                        "replicates_worse_than_default": int(np.sum(worse)),
                        "default_over_one_start": steady / steady_one}

    m = n_rep if scipy_reps is None else min(scipy_reps, n_rep)
    W = _bootstrap.replicate_weight_matrix(prob, seed, "multinomial", None, np.arange(m))
    th_sp, ok_sp, t_sp = scipy_loop(sp, W, ref["theta"])
    ours = np.asarray(ens.theta)[:m]
    ours_ok = np.asarray(ens.valid)[:m]
    f_ours = np.asarray(ens.objective)[:m]
    gaps, (lo_o, hi_o), (lo_s, hi_s) = _bound_gaps(ours, ours_ok, th_sp, ok_sp)
    j = int(np.nanargmax(gaps))
    out["scipy_loop"] = {"replicates": m, "failed": int(np.sum(~ok_sp)), "time_s": t_sp,
                         **_who_lower(sp, W, th_sp, f_ours),
                         "ms_per_replicate": 1e3 * t_sp / m, "speedup": (t_sp / m) / (steady / n_rep),
                         "speedup_one_start": (t_sp / m) / (steady_one / n_rep),
                         "bound_gap": float(gaps[j]), "bound_gap_param": prob.law.internal_names[j],
                         "bounds_ours": [lo_o.tolist(), hi_o.tolist()], "bounds_scipy": [lo_s.tolist(), hi_s.tolist()]}
    k = min(m, optimistix_reps)
    lm = optimistix_loop(sp, W[:k], ref["theta"])
    if lm is None:
        out["optimistix"] = {"skipped": "optimistix is not installed (pip install -e '.[bench]')"}
    else:
        th_lm, ok_lm, t_lm, c_lm = lm
        gaps_lm = _bound_gaps(ours[:k], ours_ok[:k], th_lm, ok_lm)[0] if ok_lm.any() else np.full(len(gaps), np.nan)
        out["optimistix"] = {"replicates": k, "not_successful": int(np.sum(~ok_lm)), "time_s": t_lm,
                             "compile_s": c_lm, **_who_lower(sp, W[:k], th_lm, f_ours[:k]),
                             "ms_per_replicate": 1e3 * t_lm / k, "speedup": (t_lm / k) / (steady / n_rep),
                             "bound_gap": float(np.nanmax(gaps_lm))}
    if case.truth is not None:
        iv = ens.interval(level=LEVEL)
        out["truth_covered"] = {k: bool(iv.loc[k, "lower"] <= v <= iv.loc[k, "upper"]) for k, v in case.truth.items()}
    return out


# --------------------------------------------------------------------------------------------
# table
# --------------------------------------------------------------------------------------------
def table(rows: list[dict]) -> str:
    base = next((r for r in rows if r["name"] == "chinchilla-240"), None)
    base_ms = base["bootstrap"]["ms_per_replicate"] if base else None
    lines = [
        "| case | law | points | point fit vs scipy reference | failed (retried) | on a bound | iterations median / p99 "
        "| ms per replicate | vs chinchilla-240 | scipy loop ms per replicate (ours x faster) | one start like the "
        "loop: ms per replicate (x faster) | replicates lower: ours / scipy | largest 90% bound gap | optimistix LM "
        "vmapped ms per replicate (ours x faster), not successful | lower: ours / optimistix |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        p, b, s = r["point"], r["bootstrap"], r["scipy_loop"]
        conv = "" if p["converged"] else ", NOT converged"
        rel = f"{p['relative_gap']:+.1e}{conv}"
        ratio = f"{b['ms_per_replicate'] / base_ms:.1f}x" if base_ms else ""
        lines.append(
            f"| {r['name']} | {r['law']} | {r['n_points']} | {rel} | {100 * b['failed_fraction']:.1f}%"
            f"{' (' + str(b['retried']) + ')' if 'retried' in b else ''} "
            f"| {100 * b['on_bound_fraction']:.0f}% | {b['iterations_median']:.0f} / {b['iterations_p99']:.0f} "
            f"| {b['ms_per_replicate']:.2f} | {ratio} | {s['ms_per_replicate']:.1f} ({s['speedup']:.1f}x) "
            f"| {_one_start_cell(r)} | {s.get('ours_lower', '-')} / {s.get('scipy_lower', '-')} "
            f"| {s['bound_gap']:.2f} ({s['bound_gap_param']}) | {_optimistix_cells(r.get('optimistix'))} |"
        )
    return "\n".join(lines)


def _one_start_cell(r: dict) -> str:
    o = r.get("one_start")
    if not o:
        return "-"
    worse = f", {o['replicates_worse_than_default']} worse" if o["replicates_worse_than_default"] else ""
    return f"{o['ms_per_replicate']:.2f} ({r['scipy_loop']['speedup_one_start']:.1f}x{worse})"


def _optimistix_cells(o: dict | None) -> str:
    if not o or "time_s" not in o:
        return "- | -"
    return (f"{o['ms_per_replicate']:.1f} ({o['speedup']:.1f}x), {o['not_successful']} of {o['replicates']} "
            f"| {o['ours_lower']} / {o['scipy_lower']}")


def run(n_rep: int = 1000, only=None, scipy_reps=None, tag: str | None = None) -> dict:
    rows = []
    for case in _cases.CASES:
        if only and case.name not in only:
            continue
        t0 = time.perf_counter()
        row = run_case(case, n_rep, scipy_reps=scipy_reps)
        rows.append(row)
        print(f"{case.name}: {time.perf_counter() - t0:.1f} s", flush=True)
        programs.clear()  # each case compiles its own programs: release them (programs.clear says why)
    md = table(rows)
    print(md)
    result = {"replicates": n_rep, "level": LEVEL, "cases": rows, "table": md}
    _common.write("hard" + (f"-{tag}" if tag else ""), result)
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--replicates", type=int, default=1000)
    ap.add_argument("--scipy-replicates", type=int, default=None, help="replicates in the scipy loop")
    ap.add_argument("--only", default=None, help="comma-separated case names")
    ap.add_argument("--quick", action="store_true", help="200 replicates")
    ap.add_argument("--tag", default=None, help="suffix of the result file (e.g. before)")
    a = ap.parse_args()
    only = set(a.only.split(",")) if a.only else None
    run(200 if a.quick else a.replicates, only, a.scipy_replicates, a.tag)


if __name__ == "__main__":
    main()
