"""The solver's per-iteration sums, one variadic reduction (ours) against one reduction per sum,
in the whole solver on the whole hard-fit suite.

``bench_solver``'s row times one pass of the terms; this times what a user waits for. Each round
runs every case of ``benchmarks/hard_cases.py`` in a fresh process per form (the persistent
compilation cache off, so that each process compiles its own form), alternating the forms:

- the point fit (median of 3 warm calls);
- a 1,000-replicate multinomial bootstrap (the faster of 2 warm calls), its per-replicate
  objectives, failed and on-bound counts, and iterations (median, 99th percentile).

Each worker process picks its form through ``$SCALINGLAWS_SUMS`` (:mod:`scalinglaws.sums`, which
otherwise chooses by machine) and checks that it took. The summary gives, per case, the largest
relative change of the point fit's parameters and of the replicates' objectives, whether the counts
and iterations are the same, and old/new time ratios (the faster of the rounds each). The machine's
vector extensions are recorded with the result: the two forms ranked differently on an AMD EPYC and
an Intel Xeon with AVX-512.

    python -m benchmarks.bench_sums [--rounds 2] [--replicates 1000] [--only NAME,...] [--name sums]

Writes ``benchmarks/results/<name>.json`` (``sums.json`` unless ``--name`` says otherwise, so that
a run on another machine sits beside the first instead of replacing it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from scalinglaws import sums

from . import _common

FORMS = sums.FORMS


def worker(form: str, out: str, n_rep: int, only: list[str] | None) -> None:
    """One process, one form: every case's point fit and bootstrap (see the module docstring)."""
    from scalinglaws import programs

    from . import hard_cases

    if sums.form() != form:
        raise RuntimeError(f"the worker for {form} traces {sums.form()}: {sums.ENV_VAR} did not reach it")
    result = {}
    for case in hard_cases.CASES:
        if only and case.name not in only:
            continue
        fit = case.fit()
        point = []
        for _ in range(3):
            start = time.perf_counter()
            fit = case.fit()
            point.append(time.perf_counter() - start)
        fit.bootstrap(n_rep, seed=0, progress=False)
        boot = []
        for _ in range(2):
            start = time.perf_counter()
            ens = fit.bootstrap(n_rep, seed=0, progress=False)
            boot.append(time.perf_counter() - start)
        it = np.asarray(ens.iterations)
        result[case.name] = {
            "theta": [float(x) for x in np.asarray(fit.theta)],
            "point_s": float(np.median(point)), "bootstrap_s": float(min(boot)),
            "objective": np.asarray(ens.objective).tolist(),
            "failed": int(np.sum(~np.asarray(ens.converged))), "on_bound": int(np.sum(np.asarray(ens.on_bound))),
            "iterations_median": float(np.median(it)), "iterations_p99": float(np.percentile(it, 99)),
        }
        programs.clear()  # the memory mappings of 21 cases' programs (docs/performance.md)
    Path(out).write_text(json.dumps(result))


def _relative(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    ok = np.isfinite(a) & np.isfinite(b)
    if not ok.any():
        return 0.0
    # Exact interpolations score about 1e-30; a change there is rounding, not a different optimum.
    return float(np.max(np.abs(a[ok] - b[ok]) / np.maximum(np.abs(a[ok]), 1e-12)))


def summarise(rounds: list[dict]) -> dict:
    """Per case and in total: agreement of the two forms and their time ratio (variadic / per-sum
    time, the faster of the rounds each: above 1 the per-sum form is faster)."""
    cases = {}
    first = rounds[0]
    for name in first["variadic"]:
        v, p = first["variadic"][name], first["per_sum"][name]
        differ = [k for k in ("failed", "on_bound", "iterations_median", "iterations_p99") if v[k] != p[k]]
        fastest = {f: {k: min(r[f][name][k] for r in rounds) for k in ("point_s", "bootstrap_s")} for f in FORMS}
        cases[name] = {
            "theta_change": _relative(v["theta"], p["theta"]),
            "objective_change": _relative(v["objective"], p["objective"]),
            "same_counts_and_iterations": not differ,
            "differences": {k: [v[k], p[k]] for k in differ},
            "failed": v["failed"], "on_bound": v["on_bound"],
            "iterations_median": v["iterations_median"], "iterations_p99": v["iterations_p99"],
            **{f"{f}_{k}": fastest[f][k] for f in FORMS for k in ("point_s", "bootstrap_s")},
            "bootstrap_ratio": fastest["variadic"]["bootstrap_s"] / fastest["per_sum"]["bootstrap_s"],
            "point_ratio": fastest["variadic"]["point_s"] / fastest["per_sum"]["point_s"],
        }
    total = {f"{f}_{k}": sum(c[f"{f}_{k}"] for c in cases.values()) for f in FORMS for k in ("point_s", "bootstrap_s")}
    boot = [c["bootstrap_ratio"] for c in cases.values()]
    return {
        "cases": cases,
        "summed": {**total, "bootstrap_ratio": total["variadic_bootstrap_s"] / total["per_sum_bootstrap_s"],
                   "point_ratio": total["variadic_point_s"] / total["per_sum_point_s"]},
        "bootstrap_ratio_median": float(np.median(boot)),
        "cases_per_sum_faster": int(sum(r > 1 for r in boot)),
        "all_same_counts_and_iterations": all(c["same_counts_and_iterations"] for c in cases.values()),
    }


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--replicates", type=int, default=1000)
    ap.add_argument("--only", default=None, help="comma-separated case names")
    ap.add_argument("--name", default="sums", help="result file name under benchmarks/results/ (no .json)")
    args = ap.parse_args(argv)
    env = dict(os.environ, SCALINGLAWS_COMPILATION_CACHE="0")
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            rounds.append({})
            for form in FORMS:
                out = Path(tmp) / f"{form}-{r}.json"
                cmd = [sys.executable, "-m", "benchmarks.bench_sums", "--worker", form, str(out),
                       "--replicates", str(args.replicates)]
                if args.only:
                    cmd += ["--only", args.only]
                subprocess.run(cmd, env={**env, sums.ENV_VAR: form}, check=True,
                               cwd=Path(__file__).resolve().parent.parent)
                rounds[-1][form] = json.loads(out.read_text())
                print(f"round {r + 1}, {form}: done", flush=True)
    result = {"replicates": args.replicates, "rounds": args.rounds, **summarise(rounds)}
    s = result["summed"]
    print(f"summed bootstrap: variadic {s['variadic_bootstrap_s']:.2f} s, per sum {s['per_sum_bootstrap_s']:.2f} s "
          f"({s['bootstrap_ratio']:.2f}x); point fits {s['point_ratio']:.2f}x; median case "
          f"{result['bootstrap_ratio_median']:.2f}x; same counts and iterations: "
          f"{result['all_same_counts_and_iterations']}")
    print(f"wrote {_common.write(args.name, result)}")
    return result


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        p = argparse.ArgumentParser()
        p.add_argument("--worker", nargs=2)
        p.add_argument("--replicates", type=int, default=1000)
        p.add_argument("--only", default=None)
        a = p.parse_args()
        worker(a.worker[0], a.worker[1], a.replicates, a.only.split(",") if a.only else None)
    else:
        main()
