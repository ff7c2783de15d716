"""Run the whole benchmark suite and write one result file and one table.

    python -m benchmarks.run [--quick] [--only fit,bootstrap,...] [--update-readme] [--million]

Runs, in one process each after the other (releasing the compiled programs between them,
``scalinglaws.programs.clear``): ``bench_fit`` (point fit against scipy L-BFGS-B over
the grid), ``bench_bootstrap`` (4,000 replicates against a scipy BFGS loop, scaling to 1e5),
``bench_sizes`` (50 to 100,000 replicates against the least_squares, L-BFGS-B and optimistix
loops, each size against its arithmetic roof), ``bench_peers`` (scipy least_squares and the
``chinchilla`` package), ``bench_solver`` (each design choice against its alternative),
``bench_limit`` (achieved against attainable FLOP/s), ``bench_grouped`` (many curves in one
grouped call against loops), ``bench_hard`` (the hard-fit suite against the least_squares loop
and optimistix) and ``bench_capex``. Writes ``benchmarks/results/<machine>-<date>.json`` and the markdown table
``benchmarks/results/<machine>-<date>.md`` (also printed; ``--suffix S`` appends ``-S`` to both
names); ``--update-readme`` replaces the table between the ``<!-- benchmarks -->`` markers in
README.md.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import re
import time
from pathlib import Path

import numpy as np

from scalinglaws import programs

from . import _common

SUITE = ("fit", "bootstrap", "sizes", "peers", "solver", "limit", "grouped", "hard", "cold", "capex", "frontier")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def machine_label(info: dict) -> str:
    parts = [info["cpu_model"] or info["machine"], f"{info['cpu_count']}c"]
    if info.get("gpu"):
        parts.append(info["gpu"])
    return _slug(" ".join(parts))


def _run_one(name: str, quick: bool, million: bool = False) -> dict:
    if name == "fit":
        from . import bench_fit

        return bench_fit.run(quick)
    if name == "bootstrap":
        from . import bench_bootstrap

        return bench_bootstrap.run(quick, million=million)
    if name == "sizes":
        from . import bench_sizes

        return bench_sizes.run(quick)
    if name == "hard":
        from . import bench_hard

        return bench_hard.run(200 if quick else 1000)
    if name == "peers":
        from . import bench_peers

        return bench_peers.run(quick)
    if name == "solver":
        from . import bench_solver

        return bench_solver.run(quick)
    if name == "limit":
        from . import bench_limit

        return bench_limit.run()
    if name == "grouped":
        from . import bench_grouped

        return bench_grouped.run(quick)
    if name == "cold":
        from . import bench_cold

        return bench_cold.run(3 if quick else 7)
    if name == "capex":
        from . import bench_capex

        return bench_capex.run(paths=100_000, years=10, repeats=5 if quick else 20)
    if name == "frontier":
        from . import bench_frontier

        return bench_frontier.run(paths=100_000, years=3, repeats=3 if quick else 5)
    raise ValueError(f"unknown benchmark {name!r}; choose from {SUITE}")


def _ms(s):
    return f"{1e3 * s:.1f} ms" if s < 1 else f"{s:.2f} s"


def table(results: dict, info: dict) -> str:
    """The markdown summary of a suite run."""
    gpu = info.get("gpu") or "no GPU"
    flags = info.get("cpu_vector_flags")  # recorded from 2026-12-06 on
    isa = ""
    if flags:
        widest = next((name for flag, name in (("avx512f", "AVX-512"), ("avx2", "AVX2"), ("avx", "AVX"))
                       if flag in flags), "SSE")
        isa = f" ({widest})"
    lines = [
        f"Machine: {info['cpu_model']}{isa}, {info['cpu_count']} cores, {gpu}; JAX {info['jax']} on {info['backend']}, "
        f"float64. Date: {results.get('date', '')[:10]}.",
        "",
        "| task | scalinglaws | contender | ratio | agreement |",
        "|---|---|---|---|---|",
    ]
    fit = results.get("fit")
    if fit:
        s = fit["scalinglaws"]
        for g, label in (("fd", "finite-difference gradients"), ("analytic", "exact gradient")):
            b = fit["scipy_lbfgsb"].get(g)
            if b:
                lines.append(
                    f"| point fit, 240 rows, 4,500-point grid | {_ms(s['steady_state']['median_s'])} (compile "
                    f"{s['compile_s']:.1f} s) | scipy L-BFGS-B from every grid point, {label}: {_ms(b['time_s'])} "
                    f"| {b['speedup']:,.0f}x | objective {b['objective_rel_diff']:+.1e} relative |")
    peers = results.get("peers")
    if peers:
        p = peers["point_fit"]
        ls = p["least_squares_huber"]
        lines.append(f"| point fit | {_ms(p['scalinglaws_s'])} | scipy least_squares(loss='huber') from every grid "
                     f"point: {_ms(ls['time_s'])} | {ls['speedup']:,.0f}x | objective "
                     f"{(p['scalinglaws_objective'] - ls['objective']) / ls['objective']:+.1e} relative |")
        c = p["chinchilla_package"]
        if "time_s" in c:
            lines.append(f"| point fit | {_ms(p['scalinglaws_s'])} | `chinchilla` package (PyPI 0.2.0), BFGS from every "
                         f"grid point: {_ms(c['time_s'])} | {c['speedup']:,.0f}x | its answer scores "
                         f"{c['objective_rel_diff_vs_ours']:+.1e} relative on the summed objective |")
    boot = results.get("bootstrap")
    if boot:
        s = boot["scalinglaws"]
        for g, label in (("fd", "finite-difference gradients"), ("analytic", "exact gradient")):
            b = boot["scipy_bfgs_one_start"].get(g)
            if b:
                d = b["max_bound_difference"]
                lines.append(
                    f"| bootstrap, {boot['replicates']:,} replicates, 4 starts | {_ms(s['steady_state']['median_s'])} "
                    f"(compile {s['compile_s']:.1f} s) | scipy BFGS loop, 1 start, {label}: {_ms(b['time_s'])} | "
                    f"{b['speedup']:,.0f}x | 95% bounds within {max(d['alpha'], d['beta']):.4f} (alpha, beta) |")
        if peers:
            pb = peers["bootstrap"]
            d = pb["max_bound_difference"]
            lines.append(f"| bootstrap, {pb['replicates']:,} replicates | {_ms(pb['scalinglaws_s'])} | scipy least_squares "
                         f"loop, 1 start: {_ms(pb['least_squares_s'])} | {pb['speedup']:,.0f}x | 95% bounds within "
                         f"{max(d['alpha'], d['beta']):.4f} |")
        for row in boot.get("scaling", []):
            lines.append(f"| bootstrap, {row['replicates']:,} replicates, 4 starts | {_ms(row['steady_s'])} "
                         f"(compile {row['compile_s']:.1f} s) | | {row['replicates_per_s']:,.0f} replicates/s | |")
        w = boot.get("extra_start_win_rate")
        if w:
            lines.append(f"| extra starts run to convergence ({w['replicates']:,} replicates) | "
                         f"{_ms(w['unraced_time_s'])} | | | an extra start beat the warm start in "
                         f"{w['replicates_where_an_extra_start_won']} replicates |")
        m = boot.get("million")
        if m:
            lines.append(f"| bootstrap, 1,000,000 replicates, streamed | {_ms(m['time_s'])} | | | peak memory "
                         f"{m['peak_rss_gib']:.2f} GiB |")
    lines += size_rows(results.get("sizes"))
    lim = results.get("limit")
    if lim:
        st, roof, r = lim["solver_step"], lim["attainable"], lim["times_slower_than"]
        lines.append(f"| solver step: {st['flops_per_point']:.0f} flops + {st['transcendentals_per_point']:.0f} "
                     f"exp/log per point | {st['ns_per_point']:.1f} ns per point, {st['achieved_gflops']:.1f} GFLOP/s | "
                     f"attainable: matmul {roof['matmul_gflops']:.0f}, fused elementwise "
                     f"{roof['fused_elementwise_gflops']:.1f} GFLOP/s | {r['step_vs_fused_elementwise']:.1f}x below "
                     f"elementwise, {r['step_vs_matmul']:.0f}x below matmul | {r['step_vs_op_mix_roof']:.1f}x the "
                     f"op-mix roof |")
    sol = results.get("solver")
    if sol:
        pc = sol["persistent_cache"]
        lines.append(f"| compile, fit / bootstrap, fresh process | {pc['cold_process']['fit_compile_s']:.2f} s / "
                     f"{pc['cold_process']['bootstrap_compile_s']:.2f} s | with the persistent cache warm: "
                     f"{pc['warm_cache_process']['fit_compile_s']:.2f} s / "
                     f"{pc['warm_cache_process']['bootstrap_compile_s']:.2f} s | | |")
        for key, label in (("variadic_reduction", "one variadic reduction vs one per sum"),
                           ("analytic_jacobian", "analytic Jacobian and curvature vs jax.jacfwd/hessian"),
                           ("streaming", "slot-pool streaming vs vmap over all (replicate, start) pairs"),
                           ("racing", "racing extra starts vs running them to the end"),
                           ("screening", "screening cold starts vs running them all (raced)"),
                           ("float32", "float32 vs float64 bootstrap")):
            row = sol.get(key, {})
            if not row:
                continue
            sp = row.get("speedup", row.get("bootstrap_speedup"))
            extra = ""
            if key == "float32":
                extra = f"bounds change {row['max_rel_bound_change']:.1e} relative"
            if key in ("racing", "screening"):
                extra = f"bounds change {row['max_bound_change']:.1e} relative"
            if key == "variadic_reduction":
                extra = f"{row['variadic_ns_per_point']:.1f} vs {row['separate_ns_per_point']:.1f} ns per point"
                if row.get("solver_form"):  # chosen per machine (sums.py)
                    extra += f"; the solver sums {row['solver_form'].replace('_', ' ')} here"
            if row.get("rerun"):  # a row measured again after the suite run, and why
                extra += f"; {row['rerun']}"
            lines.append(f"| design choice: {label} | | | {sp:.2f}x | {extra} |")
    lines += grouped_rows(results.get("grouped"))
    lines += hard_rows(results.get("hard"))
    lines += cold_rows(results.get("cold"))
    cap = results.get("capex")
    if cap:
        st = cap["steady_state"]
        key = next(k for k in st if k.startswith("simulate_revenue + simulate_cash"))
        lines.append(f"| capex: {cap['paths']:,} revenue paths x {cap['years']} years, cash and ruin | "
                     f"{_ms(st[key]['median_s'])} | | | |")
    lines += frontier_rows(results.get("frontier"))
    return "\n".join(lines)


def frontier_rows(fr: dict | None) -> list[str]:
    """Table rows of ``bench_frontier``: the capex decision's whole frontier against numpy."""
    if not fr:
        return []
    what = (f"capex decision: whole frontier, {fr['paths']:,} paths x {fr['years']} years, {fr['variants']} "
            f"policy variants x {len(fr['ruin_levels'])} levels of ruin")
    mine = f"{_ms(fr['contender_s']['median_s'])} (first call {_ms(fr['contender_first_call_s'])})"
    return [f"| {what} | {mine} | numpy bisection on the Monte Carlo ruin: {_ms(fr['numpy_bisection_s']['median_s'])}"
            f" | {fr['ratio_vs_numpy_bisection']:.0f}x | commitments agree to "
            f"{fr['max_relative_difference_bisection_vs_order_statistic']:.0e} |",
            f"| {what} | {mine} | the same order statistic in numpy, commitments only: "
            f"{_ms(fr['numpy_order_statistic_s']['median_s'])} | {fr['ratio_vs_numpy_order_statistic']:.2f}x | ours "
            f"also builds the cash, VaR/CVaR and schedule tables |"]


def size_rows(sizes: dict | None) -> list[str]:
    """Table rows of ``bench_sizes``: each ensemble size against the three loops and its roof."""
    if not sizes:
        return []
    lines = []
    for r in sizes["sizes"]:
        ls, lb, lm = r["least_squares"], r["lbfgsb_exact_gradient"], r["optimistix_lm_vmap"]
        scaled = " (timed on the first {:,}, scaled)".format(ls["measured_replicates"]) \
            if ls["measured_replicates"] < r["replicates"] else ""
        opt = f", optimistix LM vmapped {_ms(lm['time_s'])}" if "time_s" in lm else ""
        opt_ratio = f" / {lm['speedup']:.1f}x" if "time_s" in lm else ""
        lines.append(
            f"| bootstrap at its defaults, {r['replicates']:,} replicates, chinchilla-240 | {_ms(r['time_s'])} (compile "
            f"{r['compile_s']:.1f} s; {r['times_roof']:.1f}x its arithmetic roof) | scipy least_squares loop, exact "
            f"Jacobian: {_ms(ls['time_s'])}{scaled}; L-BFGS-B loop, exact gradient {_ms(lb['time_s'])}{opt} | "
            f"{ls['speedup']:.1f}x / {lb['speedup']:.1f}x{opt_ratio} | 95% bounds within "
            f"{max(ls['bound_gap_95'].values()):.0e} of least_squares' (relative) |")
    return lines


def hard_rows(hard: dict | None) -> list[str]:
    """Table rows of ``bench_hard``: the hard-fit suite's bootstraps against the least_squares loop
    and optimistix, summarised over the cases."""
    if not hard:
        return []
    cases = hard["cases"]
    n, reps = len(cases), hard["replicates"]
    ours = sum(c["bootstrap"]["ms_per_replicate"] for c in cases)
    lines = []
    for key, label in (("scipy_loop", "scipy least_squares loop, exact Jacobian"),
                       ("optimistix", "optimistix LM vmapped")):
        rows = [c for c in cases if "time_s" in c.get(key, {})]
        if not rows:
            continue
        sp = np.array([c[key]["speedup"] for c in rows])
        theirs = sum(c[key]["ms_per_replicate"] for c in rows)
        slow = ", ".join(f"{c['name']} {c[key]['speedup']:.1f}x" for c in rows if c[key]["speedup"] < 10)
        lines.append(
            f"| hard-fit suite, {n} cases x {reps:,} replicates | {ours:.1f} ms per replicate summed over the cases | "
            f"{label}: {theirs:.1f} ms summed | median {np.median(sp):.1f}x; {int(np.sum(sp >= 10))} of {len(rows)} "
            f"cases at 10x or more{' (below: ' + slow + ')' if slow else ''} | lower objective: ours in "
            f"{sum(c[key]['ours_lower'] for c in rows)} replicates, theirs in {sum(c[key]['scipy_lower'] for c in rows)} |")
    rows = [c for c in cases if "one_start" in c and "speedup_one_start" in c.get("scipy_loop", {})]
    if rows:
        sp = np.array([c["scipy_loop"]["speedup_one_start"] for c in rows])
        slow = ", ".join(f"{c['name']} {c['scipy_loop']['speedup_one_start']:.1f}x" for c in rows
                         if c["scipy_loop"]["speedup_one_start"] < 10)
        lines.append(
            f"| hard-fit suite, one start like the loop (`n_starts=1`) | "
            f"{sum(c['one_start']['ms_per_replicate'] for c in rows):.1f} ms per replicate summed | scipy least_squares "
            f"loop, exact Jacobian | median {np.median(sp):.1f}x; {int(np.sum(sp >= 10))} of {len(rows)} cases at 10x or "
            f"more{' (below: ' + slow + ')' if slow else ''} | worse than the default (4 starts) in "
            f"{sum(c['one_start']['replicates_worse_than_default'] for c in rows)} replicates |")
    return lines


def cold_rows(cold: dict | None) -> list[str]:
    """Table rows of ``bench_cold``: fresh processes with warm caches."""
    if not cold:
        return []
    c = cold["commands"]
    fit, jax_ = c["scalinglaws fit --dataset chinchilla-240"], c["import jax"]
    return [f"| `scalinglaws --help` / `--version`, fresh process | {_ms(c['scalinglaws --help']['median_s'])} / "
            f"{_ms(c['scalinglaws --version']['median_s'])} | | | without JAX |",
            f"| `scalinglaws fit --dataset chinchilla-240`, fresh process, warm cache | {_ms(fit['median_s'])} | "
            f"`python -c 'import jax'`: {_ms(jax_['median_s'])} | | ml_dtypes {cold.get('ml_dtypes', '?')} |"]


def grouped_rows(grouped: dict | None) -> list[str]:
    """Table rows of ``bench_grouped``: one grouped call against an ``sl.fit`` loop and a scipy loop."""
    if not grouped:
        return []
    lines = []
    for c in grouped["cases"].values():
        vs = c["vs_scipy"]
        task = f"{c['curves']:,} {c['law']} curves x {c['points_per_curve']} points, {c['n_starts']} start{'s' if c['n_starts'] != 1 else ''}, one grouped call"
        ours = f"{_ms(c['grouped_warm_s'])} (first call {c['grouped_first_call_s']:.1f} s)"
        lines.append(f"| {task} | {ours} | loop of `sl.fit`: {_ms(c['sl_fit_loop_s'])} | {c['speedup_vs_sl_fit_loop']:.1f}x | "
                     f"objectives within {c['max_rel_objective_diff_vs_loop']:.0e} relative |")
        lines.append(f"| {task} | {ours} | loop of scipy least_squares, exact Jacobian, 1 start: "
                     f"{_ms(c['scipy_least_squares_loop_s'])} | {c['speedup_vs_scipy_loop']:.1f}x | same optimum (1e-8) "
                     f"in {vs['same_optimum_1e-8']}, ours lower in {vs['ours_lower']}, scipy's in {vs['scipy_lower']} |")
    for r in grouped.get("stream", []):
        lines.append(f"| {r['curves']:,} power curves, grouped, blocks of 4,096 (fresh process) | {_ms(r['wall_s'])} | | | "
                     f"peak memory {r['peak_rss_mb'] / 1024:.2f} GiB |")
    b = grouped.get("bootstrap")
    if b:
        lines.append(f"| grouped bootstrap, {b['curves']} sigmoid curves x {b['replicates']:,} replicates | "
                     f"{_ms(b['warm_s'])} (first call {b['first_call_s']:.1f} s) | | {b['per_refit_us']:.0f} us per refit | "
                     f"{b['left_out']} refits left out |")
    return lines


def update_readme(md: str, readme: Path) -> bool:
    text = readme.read_text()
    start, end = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"
    if start not in text or end not in text:
        return False
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(f"{head}{start}\n{md}\n{end}{tail}")
    return True


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs: a smoke test of the harness")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(SUITE)}")
    parser.add_argument("--update-readme", action="store_true")
    parser.add_argument("--million", action="store_true", help="also stream 1,000,000 bootstrap replicates")
    parser.add_argument("--suffix", default="", help="appended to the result files' name (a second run on one day)")
    args = parser.parse_args(argv)
    names = SUITE if not args.only else tuple(n.strip() for n in args.only.split(","))
    info = _common.machine_info()
    results = {"date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), "quick": args.quick}
    for name in names:
        start = time.perf_counter()
        print(f"== {name}", flush=True)
        results[name] = _run_one(name, args.quick, args.million)
        print(f"   ({time.perf_counter() - start:.0f} s)", flush=True)
        programs.clear()  # the stages' compiled programs together exhaust a process's memory mappings
    label = machine_label(info) + "-" + results["date"][:10] + (f"-{_slug(args.suffix)}" if args.suffix else "")
    out = _common.RESULTS / f"{label}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({**results, "machine": info}, indent=2, default=str) + "\n")
    md = table(results, info)
    (_common.RESULTS / f"{label}.md").write_text(md + "\n")
    print(md)
    print(f"wrote {out}")
    if args.update_readme:
        readme = Path(__file__).resolve().parents[1] / "README.md"
        print("README updated" if update_readme(md, readme) else "README has no benchmark markers")
    return results


if __name__ == "__main__":
    main()
