"""The accelerator run: bootstrap ensembles of 100,000 and 1,000,000 replicates, 100,000 grouped
curves, float32 against float64, and the baselines of the same machine side by side.

    bash benchmarks/gpu.sh [--out DIR]             # on a GPU machine (PYTHONPATH=src, no install)
    python -m benchmarks.bench_gpu --quick          # small sizes, any machine: checks the harness

Targets (issue 13, H100/H200 class GPU): 100,000 replicates under 1 s after compilation,
1,000,000 under 10 s, 100,000 grouped curves under 2 s. On chinchilla-240, 4 starts, float64
unless stated. Each ensemble size is timed warm (the median of repeats after a first call whose
excess is its compilation, reported apart), with ``chunk_size`` at its default and at 65,536 (a
GPU holds far more replicates a block than the CPU default). Baselines: scipy ``least_squares``
with the exact Jacobian looped over the first replicates on this machine's CPU (scaled to the
size), and optimistix's Levenberg-Marquardt under ``jax.vmap`` on the accelerator. Writes
``gpu-<machine>-<date>.json`` (the machine named inside) after every step, so a run cut short
keeps what it measured.
"""

from __future__ import annotations

import argparse
import json
import time
import traceback
import warnings
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import scalinglaws as sl
from scalinglaws import bootstrap as _bootstrap

from . import _common
from .baselines import chinchilla_public
from .bench_grouped import power_curves
from .bench_peers import least_squares_bootstrap
from .bench_sizes import _bound_gap, optimistix_lm

LEVEL = 0.95


def _bounds(ens) -> dict:
    lo, hi = np.quantile(np.asarray(ens.law.to_public(ens.theta[ens.valid])), [(1 - LEVEL) / 2, (1 + LEVEL) / 2],
                         axis=0)
    return {k: [float(a), float(b)] for k, a, b in zip(ens.law.params, lo, hi)}


def _ensemble(fit, n: int, repeats: int, **kw) -> tuple[dict, object]:
    run = lambda: fit.bootstrap(n, seed=0, progress=False, failed="drop", **kw)  # noqa: E731
    first = _common.first_call(run)
    steady = _common.timed(run, repeats=repeats)
    ens = run()
    d = ens.diagnostics
    row = {"replicates": n, **{k: str(v) for k, v in kw.items()}, "first_call_s": first, "time_s": steady["median_s"],
           "min_s": steady["min_s"], "repeats": repeats, "compile_s": max(first - steady["median_s"], 0.0),
           "replicates_per_s": n / steady["median_s"], "failed": d["failed_to_converge"], "on_bound": d["on_bound"],
           "iterations_median": d["iterations_median"], "bounds_95": _bounds(ens)}
    print(f"{n:>9,} replicates {kw or ''}: {steady['median_s']:.3f} s warm (first call {first:.2f} s), "
          f"{n / steady['median_s']:,.0f} replicates/s, {d['failed_to_converge']} failed", flush=True)
    return row, ens


def run(quick: bool = False, out: Path | None = None) -> dict:
    info = _common.machine_info()
    label = "gpu-" + _machine_label(info) + "-" + _common.now()[:10] + ("-quick" if quick else "")
    path = (out or _common.RESULTS) / f"{label}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    result = {"machine": info, "when": _common.now(), "quick": quick, "steps": {}}

    def save():
        path.write_text(json.dumps(result, indent=1, default=str) + "\n")

    def step(name, fn):
        start = time.perf_counter()
        try:
            result["steps"][name] = fn()
        except Exception as e:  # a step that fails is recorded, and the others still run
            traceback.print_exc()
            result["steps"][name] = {"error": f"{type(e).__name__}: {e}"}
        result["steps"][name + "_wall_s"] = time.perf_counter() - start
        save()

    df = sl.datasets.load("chinchilla-240")
    fit = sl.fit(df, "chinchilla")
    sizes = (1_000, 10_000) if quick else (1_000, 100_000, 1_000_000)
    big = sizes[-2]
    ensembles = {}

    def point_fit():
        t = _common.timed(lambda: sl.fit(df, "chinchilla"), repeats=5, warmup=1)
        return {"time_s": t["median_s"], "min_s": t["min_s"]}

    def ensembles_f64():
        rows = []
        for n in sizes:
            for chunk in (8192, 65536):
                if chunk > n and chunk != 8192:
                    continue
                row, ens = _ensemble(fit, n, repeats=1 if n >= 1_000_000 else 3, chunk_size=chunk)
                rows.append(row)
                ensembles.setdefault(n, ens)
        return rows

    def float32():
        row, ens32 = _ensemble(fit, big, repeats=3, dtype="float32", chunk_size=65536)
        ref = ensembles.get(big)
        if ref is not None:
            row["bound_gap_95_vs_float64"] = _bound_gap(np.asarray(fit.law.to_public(ens32.theta[ens32.valid])),
                                                        np.asarray(fit.law.to_public(ref.theta[ref.valid])),
                                                        list(fit.law.params))
        return row

    def grouped():
        G = 10_000 if quick else 100_000
        curves = power_curves(G)
        kw = dict(x="C", y="loss", by="curve", n_starts=8)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            first = _common.first_call(lambda: sl.fit(curves, "power", **kw))
            steady = _common.timed(lambda: sl.fit(curves, "power", **kw), repeats=2)
            fs = sl.fit(curves, "power", **kw)
        d = fs.diagnostics
        print(f"{G:,} grouped power curves: {steady['median_s']:.2f} s warm (set-up {d['setup_s']:.2f} s, solve "
              f"{d['solve_s']:.2f} s; first call {first:.2f} s)", flush=True)
        return {"curves": G, "points_per_curve": 8, "n_starts": 8, "first_call_s": first, "time_s": steady["median_s"],
                "setup_s": d["setup_s"], "solve_s": d["solve_s"], "not_converged": int(np.sum(~fs.converged))}

    def baselines():
        x0 = np.array([fit.theta[1], fit.theta[2], np.log(fit.theta[0]), fit.theta[3], fit.theta[4]])
        m = 200 if quick else 2000
        W = _bootstrap.replicate_weight_matrix(fit.problem, 0, "multinomial", None, np.arange(m))
        start = time.perf_counter()
        ls = chinchilla_public(least_squares_bootstrap(df, W, x0))
        per_ls = (time.perf_counter() - start) / m
        out = {"least_squares_cpu": {"measured_replicates": m, "s_per_replicate": per_ls}}
        if big in ensembles:
            ours = np.asarray(fit.law.to_public(ensembles[big].theta[:m]))
            out["least_squares_cpu"]["bound_gap_95"] = _bound_gap(ours, ls, list(fit.law.params))
        lm = optimistix_lm(df, x0)
        if lm is None:
            out["optimistix_lm_vmap"] = {"skipped": "optimistix is not installed"}
        else:
            m_lm = 1000 if quick else 10_000
            Wj = jnp.asarray(_bootstrap.replicate_weight_matrix(fit.problem, 0, "multinomial", None, np.arange(m_lm)))
            first = _common.first_call(lambda: jax.block_until_ready(lm(Wj)))
            t = _common.timed(lambda: jax.block_until_ready(lm(Wj)), repeats=2)["median_s"]
            ok = np.asarray(lm(Wj)[1])
            out["optimistix_lm_vmap"] = {"measured_replicates": m_lm, "s_per_replicate": t / m_lm,
                                         "compile_s": max(first - t, 0.0), "not_successful": int(np.sum(~ok))}
        for row in result["steps"].get("ensembles_float64", []):
            n = row["replicates"]
            row["speedup_vs_least_squares_cpu"] = per_ls * n / row["time_s"]
            if "s_per_replicate" in out["optimistix_lm_vmap"]:
                row["speedup_vs_optimistix_lm_vmap"] = out["optimistix_lm_vmap"]["s_per_replicate"] * n / row["time_s"]
        print(f"least_squares loop on the CPU {1e3 * per_ls:.2f} ms/replicate; optimistix LM vmapped "
              + (f"{1e3 * out['optimistix_lm_vmap']['s_per_replicate']:.3f} ms/replicate"
                 if "s_per_replicate" in out["optimistix_lm_vmap"] else "skipped"), flush=True)
        return out

    step("point_fit", point_fit)
    step("ensembles_float64", ensembles_f64)
    step("float32", float32)
    step("grouped", grouped)
    step("baselines", baselines)
    result["targets"] = ({"note": "a quick run: the targets are for 100,000 and 1,000,000 replicates and 100,000 "
                                   "curves on a GPU"} if quick else _targets(result, big, sizes[-1]))
    save()
    print(json.dumps(result["targets"], indent=1))
    print(f"wrote {path}")
    return result


def _targets(result: dict, big: int, largest: int) -> dict:
    """Each GPU target against the best measured time (any chunk size)."""
    rows = result["steps"].get("ensembles_float64")
    rows = rows if isinstance(rows, list) else []

    def best(n):
        times = [r["time_s"] for r in rows if r["replicates"] == n]
        return min(times) if times else None

    g = result["steps"].get("grouped", {})
    return {f"{big}_replicates_s": best(big), f"{big}_replicates_target_s": 1.0,
            f"{largest}_replicates_s": best(largest), f"{largest}_replicates_target_s": 10.0,
            "grouped_curves_s": g.get("time_s"), "grouped_curves_target_s": 2.0}


def _machine_label(info: dict) -> str:
    from .run import machine_label

    return machine_label(info)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1,000 and 10,000 replicates, 10,000 curves")
    ap.add_argument("--out", type=Path, default=None, help="folder for the JSON (default benchmarks/results)")
    args = ap.parse_args(argv)
    run(args.quick, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
