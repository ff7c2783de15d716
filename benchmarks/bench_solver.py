"""The solver's design choices, each measured against the alternative it replaced.

Every row times the same work both ways in one process (compile excluded, reported apart) on the
240 Chinchilla rows:

- one variadic reduction for all the per-iteration sums, against one reduction per sum;
- the law's analytic Jacobian and curvature, against ``jax.jacfwd`` / ``jax.hessian`` (also on the
  182 datablations rows with ``data_constrained``);
- the streamed slot pool (a finished start stops costing work), against a plain vmap over every
  (replicate, start) pair that runs until the slowest is done;
- the slot pool's size (a sixteenth of the replicates, 8 to 512), against pools of 8 to 512;
- racing the extra starts against the warm start, against running them to convergence;
- screening the cold starts against a quickly converged warm start, against running them all;
- float32 arithmetic, against float64 (time, and the largest change in the 95% bounds);
- padding rows to size buckets, against compiling for every new data size;
- the persistent compilation cache, against compiling in every process.

    python -m benchmarks.bench_solver [--quick] [--only ROW,ROW]

Writes ``benchmarks/results/solver.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time

import jax
import jax.numpy as jnp
import numpy as np

import scalinglaws as sl
from scalinglaws import bootstrap, solvers
from scalinglaws.solvers import step as _step
from scalinglaws import sums

from . import _common


def _timed_call(fn, *args, repeats=5):
    out = fn(*args)
    jax.block_until_ready(out)
    start = time.perf_counter()
    for _ in range(repeats):
        out = fn(*args)
    jax.block_until_ready(out)
    return (time.perf_counter() - start) / repeats


def _pass_inputs(fit, B=1024):
    prob = fit.problem
    F, y, lo, hi = prob.device_arrays()
    base = jnp.asarray(prob.pad_rows(prob.weights, fill=0.0))
    n = F.shape[0]
    gi = jnp.asarray(prob.pad_rows(np.arange(len(prob.weights), dtype=np.int32), fill=0))
    W = bootstrap.replicate_weights(jax.random.PRNGKey(0), jnp.arange(B), base, gi, len(prob.weights), "multinomial")
    TH = jnp.broadcast_to(jnp.asarray(fit.theta), (B, fit.law.n_params)) + 0.01 * jax.random.normal(
        jax.random.PRNGKey(1), (B, fit.law.n_params))
    return F, y, W, TH, n


def variadic_vs_separate(fit, rounds: int = 7) -> dict:
    """The per-iteration sums: one variadic reduce against one reduction per column (the solver
    picks one per machine: :mod:`scalinglaws.sums`).

    Each form is traced with ``solvers.step._sum_all`` (the name ``compute_terms`` reads)
    replaced by it; the two lowered programs are compared, so that a patch which no longer
    reaches the step (as happened when the solver became a package and this row timed one
    program twice) fails here instead of reporting noise. The two run alternately, the median
    of ``rounds`` rounds each. ``speedup`` is per-column time / variadic time."""
    law, obj = fit.law, fit.problem.objective
    F, y, W, TH, n = _pass_inputs(fit)
    make = lambda: jax.jit(jax.vmap(lambda t, w: solvers.compute_terms(law, obj, t, F, y, w, 1.0, True)))  # noqa: E731
    original = _step._sum_all
    built = {}
    try:
        for form, fn in (("variadic", sums.variadic), ("per_sum", sums.per_sum)):
            _step._sum_all = fn
            program = make()
            text = program.lower(TH, W).as_text()
            jax.block_until_ready(program(TH, W))  # traced while patched; later calls reuse that trace
            built[form] = (program, text)
    finally:
        _step._sum_all = original
    (ours, text_ours), (separate, text_separate) = built["variadic"], built["per_sum"]
    if text_ours == text_separate:
        raise RuntimeError("replacing solvers.step._sum_all did not change the program: the row would time one "
                           "program twice")
    t_ours, t_sep = [], []
    for _ in range(rounds):
        t_ours.append(_timed_call(ours, TH, W))
        t_sep.append(_timed_call(separate, TH, W))
    t_ours, t_sep = float(np.median(t_ours)), float(np.median(t_sep))
    pts = TH.shape[0] * n
    return {"variadic_ns_per_point": 1e9 * t_ours / pts, "separate_ns_per_point": 1e9 * t_sep / pts,
            "speedup": t_sep / t_ours, "rounds": rounds, "solver_form": sums.form()}


def analytic_vs_autodiff(fit) -> dict:
    """The fit's law with its hand-written Jacobian/curvature against jax.jacfwd / jax.hessian
    (one solver pass, Newton matrix, 1,024 slots)."""
    law, obj = fit.law, fit.problem.objective
    generic = dataclasses.replace(law, name=f"{law.name}_autodiff", jacobian=None, curvature=None,
                                  curvature_parts=None)
    F, y, W, TH, n = _pass_inputs(fit)
    rows = {}
    for name, lw in (("analytic", law), ("autodiff", generic)):
        fn = jax.jit(jax.vmap(lambda t, w, lw=lw: solvers.compute_terms(lw, obj, t, F, y, w, 1.0, True)))
        start = time.perf_counter()
        fn.lower(TH, W).compile()
        compile_s = time.perf_counter() - start
        rows[name] = {"ns_per_point": 1e9 * _timed_call(fn, TH, W) / (TH.shape[0] * n), "compile_s": compile_s}
    rows["speedup"] = rows["autodiff"]["ns_per_point"] / rows["analytic"]["ns_per_point"]
    return rows


def streaming_vs_vmap(fit, n_rep=2000) -> dict:
    """The slot pool against every (replicate, start) pair in its own slot (lock-step, what one vmap
    over all pairs does), same starts, no racing."""
    prob = fit.problem
    starts = np.concatenate([fit.theta[None], fit._ranked_starts[:3]])
    stage0 = np.array([solvers.WARM, 0, 0, 0], dtype=np.int32)
    cfg = dataclasses.replace(prob.config, abandon_ratio=0.0)
    unraced = prob.with_config(cfg)
    stream = lambda: bootstrap.run_ensemble(unraced, starts, stage0, n_rep, 0, progress=False)
    stream()
    t_stream = _common.timed(stream, repeats=2)["median_s"]
    base = jnp.asarray(prob.weights)
    W = np.asarray(bootstrap.replicate_weights(jax.random.PRNGKey(0), jnp.arange(n_rep), base,
                                               jnp.arange(len(base), dtype=jnp.int32), len(base), "multinomial"))
    th0 = np.broadcast_to(starts, (n_rep,) + starts.shape).copy()
    st0 = np.broadcast_to(stage0, (n_rep, 4)).copy()
    vmapped = lambda: jax.block_until_ready(unraced.solve(W, th0, st0))
    vmapped()
    t_vmap = _common.timed(vmapped, repeats=2)["median_s"]
    return {"replicates": n_rep, "starts": 4, "stream_s": t_stream, "plain_vmap_s": t_vmap, "speedup": t_vmap / t_stream}


POOLS = (8, 16, 32, 64, 128, 256, 512)


def slot_pool(fit, sizes=(50, 200, 1000, 4000), repeats=3) -> dict:
    """The default slot pool (a sixteenth of the replicates, 8 to 512 slots) against every pool
    of ``POOLS``, alternating in one process: the default's time and the fastest pool's."""
    prob = fit.problem
    starts = np.concatenate([fit.theta[None], fit._ranked_starts[:3]])
    stage0 = np.array([solvers.WARM, 0, 0, 0], dtype=np.int32)
    rows = {}
    for n in sizes:
        pools = {"default": None, **{str(B): B for B in POOLS}}
        runs = {k: (lambda B=B: bootstrap.run_ensemble(prob, starts, stage0, n, 0, progress=False, slots=B))
                for k, B in pools.items()}
        for run in runs.values():
            run()  # compile
        times = {k: [] for k in runs}
        for _ in range(repeats):
            for k, run in runs.items():
                start = time.perf_counter()
                run()
                times[k].append(time.perf_counter() - start)
        med = {k: float(np.median(v)) for k, v in times.items()}
        best = min((k for k in med if k != "default"), key=med.get)
        rows[str(n)] = {"default_slots": bootstrap.pool_slots(n, 4, n_rows=prob.n_padded), "default_s": med["default"],
                        "fastest_slots": int(best), "fastest_s": med[best], "default_over_fastest": med["default"] / med[best],
                        "by_slots_s": {k: v for k, v in med.items() if k != "default"}}
    return rows


def _bound_change(a, b) -> float:
    return float(np.max(np.abs(a[["lower", "upper"]].values - b[["lower", "upper"]].values)
                        / np.abs(b[["lower", "upper"]].values)))


def racing(fit, n_rep=4000) -> dict:
    """Racing alone: both sides without screening (``screen_ratio=0``)."""
    cfg = dataclasses.replace(fit.problem.config, screen_ratio=0.0)
    raced = lambda: fit.bootstrap(n_rep, seed=0, progress=False, config=cfg)
    full = lambda: fit.bootstrap(n_rep, seed=0, progress=False, config=dataclasses.replace(cfg, abandon_ratio=0.0))
    raced(), full()
    t_r = _common.timed(raced, repeats=2)["median_s"]
    t_f = _common.timed(full, repeats=2)["median_s"]
    return {"replicates": n_rep, "raced_s": t_r, "unraced_s": t_f, "speedup": t_f / t_r,
            "max_bound_change": _bound_change(raced().interval(0.95), full().interval(0.95))}


def screening(fit, n_rep=4000) -> dict:
    """Screening the cold starts (the defaults) against running them all, raced, on the same replicates."""
    screened = lambda: fit.bootstrap(n_rep, seed=0, progress=False)
    every = lambda: fit.bootstrap(n_rep, seed=0, progress=False,
                                  config=dataclasses.replace(fit.problem.config, screen_ratio=0.0))
    screened(), every()
    t_s = _common.timed(screened, repeats=3)["median_s"]
    t_e = _common.timed(every, repeats=3)["median_s"]
    a, b = screened(), every()
    return {"replicates": n_rep, "screened_s": t_s, "every_start_s": t_e, "speedup": t_e / t_s,
            "iterations_per_replicate": float(a._a.start_iterations.sum(axis=1).mean()),
            "iterations_per_replicate_every_start": float(b._a.start_iterations.sum(axis=1).mean()),
            "cold_starts_screened": int(sum(a.diagnostics["start_screened"])),
            "max_objective_change": float(np.max(np.abs(a.objective - b.objective) / np.abs(b.objective))),
            "max_bound_change": _bound_change(a.interval(0.95), b.interval(0.95))}


def float32_vs_float64(df, n_rep=4000) -> dict:
    out = {}
    for dt in ("float64", "float32"):
        fit = sl.fit(df, "chinchilla", dtype=dt)
        t_fit = _common.timed(lambda: sl.fit(df, "chinchilla", dtype=dt), repeats=5)["median_s"]
        run = lambda: fit.bootstrap(n_rep, seed=0, progress=False)
        run()
        t_boot = _common.timed(run, repeats=2)["median_s"]
        iv = run().interval(0.95)
        out[dt] = {"fit_s": t_fit, "objective": fit.objective, "bootstrap_s": t_boot,
                   "bounds": iv[["lower", "upper"]].to_dict()}
    lo64 = np.array(list(out["float64"]["bounds"]["lower"].values()))
    lo32 = np.array(list(out["float32"]["bounds"]["lower"].values()))
    hi64 = np.array(list(out["float64"]["bounds"]["upper"].values()))
    hi32 = np.array(list(out["float32"]["bounds"]["upper"].values()))
    out["objective_rel_diff"] = (out["float32"]["objective"] - out["float64"]["objective"]) / out["float64"]["objective"]
    out["max_rel_bound_change"] = float(max(np.max(np.abs(lo32 - lo64) / np.abs(lo64)),
                                            np.max(np.abs(hi32 - hi64) / np.abs(hi64))))
    out["fit_speedup"] = out["float64"]["fit_s"] / out["float32"]["fit_s"]
    out["bootstrap_speedup"] = out["float64"]["bootstrap_s"] / out["float32"]["bootstrap_s"]
    return out


def buckets(df) -> dict:
    """A fit on 235 of the rows after one on 240: same bucket (256), no new compile."""
    sl.fit(df, "chinchilla")
    same = _common.first_call(lambda: sl.fit(df.iloc[:235], "chinchilla"))
    new = _common.first_call(lambda: sl.fit(df.iloc[:120], "chinchilla"))
    steady = _common.timed(lambda: sl.fit(df.iloc[:120], "chinchilla"), repeats=3)["median_s"]
    return {"first_fit_same_bucket_s": same, "first_fit_new_bucket_s": new, "steady_fit_s": steady}


def persistent_cache() -> dict:
    """Compile time of a fit and a 4,000-replicate bootstrap in a fresh process, with an empty and
    then a warm persistent cache."""
    code = textwrap.dedent(
        """
        import json, time
        import scalinglaws as sl
        df = sl.datasets.load("chinchilla-240")
        t = time.perf_counter(); f = sl.fit(df, "chinchilla"); first = time.perf_counter() - t
        t = time.perf_counter(); sl.fit(df, "chinchilla"); steady = time.perf_counter() - t
        t = time.perf_counter(); f.bootstrap(4000, seed=0, progress=False); bfirst = time.perf_counter() - t
        t = time.perf_counter(); f.bootstrap(4000, seed=0, progress=False); bsteady = time.perf_counter() - t
        print(json.dumps({"fit_compile_s": first - steady, "bootstrap_compile_s": bfirst - bsteady}))
        """
    )
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, SCALINGLAWS_CACHE_DIR=cache)
        runs = []
        for _ in range(2):
            out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {"cold_process": runs[0], "warm_cache_process": runs[1]}


def run(quick: bool = False, only: set | None = None) -> dict:
    df = sl.datasets.load("chinchilla-240")
    fit = sl.fit(df, "chinchilla")
    n_rep = 500 if quick else 4000
    result = {}
    for name, fn in (
        ("variadic_reduction", lambda: variadic_vs_separate(fit)),
        ("analytic_jacobian", lambda: analytic_vs_autodiff(fit)),
        ("analytic_jacobian_data_constrained",
         lambda: analytic_vs_autodiff(sl.fit(sl.datasets.load("datablations"), "data_constrained"))),
        ("streaming", lambda: streaming_vs_vmap(fit, 500 if quick else 2000)),
        ("slot_pool", lambda: slot_pool(fit, (50, 200, 1000) if quick else (50, 200, 1000, 4000))),
        ("racing", lambda: racing(fit, n_rep)),
        ("screening", lambda: screening(fit, n_rep)),
        ("float32", lambda: float32_vs_float64(df, n_rep)),
        ("size_buckets", lambda: buckets(df)),
        ("persistent_cache", persistent_cache),
    ):
        if only is not None and name not in only:
            continue
        result[name] = fn()
        print(f"{name}: {json.dumps(result[name], default=float)}", flush=True)
    return result


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default=None,
                        help="comma-separated rows to rerun; the others are kept from the last results file, "
                             "and each rerun row records its date")
    args = parser.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    result = run(args.quick, only)
    if only is not None:
        # Each row then carries its own date and machine: the kept rows those of the run that wrote them.
        previous = json.loads((_common.RESULTS / "solver.json").read_text())
        stamp, machine = _common.now(), _common.machine_info()
        kept = {k: {"date": previous["date"], "machine": previous["machine"], **v} for k, v in previous.items()
                if k not in ("benchmark", "date", "machine") and k not in result}
        result = {**kept, **{k: {**v, "date": stamp, "machine": machine} for k, v in result.items()}}
    print(f"wrote {_common.write('solver', result)}")
    return result


if __name__ == "__main__":
    main()
