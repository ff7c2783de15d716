"""Benchmark the capex decision: the whole efficient frontier (every policy, every staged milestone,
every level of ruin) for 100,000 revenue paths, against what a careful user writes without it.

- contender: ``capex.optimize_commitments`` (each path's critical commitment in closed form, or by
  vectorised bisection with a training/serving split; the frontier is one sort);
- baseline ``numpy bisection``: for each policy, milestone and level of ruin, bisect the commitment
  on the Monte Carlo probability of ruin, each probe a vectorised numpy cash simulation over all
  paths (60 halvings: float64 resolution of the commitment);
- baseline ``numpy order statistic``: the contender's own algorithm written in numpy (closed-form
  critical fractions, a sort), to show what JAX adds beyond the algorithm.

All three answer the same question on the same paths; the answers are compared. The contender's
first call (trace and compile) is reported apart from its steady state; every JAX result is on the
host (numpy) when the timer stops. Writes ``benchmarks/results/frontier.json``.

    SCALINGLAWS_COMPILATION_CACHE=0 python -m benchmarks.bench_frontier [--paths 100000] [--years 3] [--repeats 5]

(with the persistent compilation cache off, the first call's time includes compiling.)
"""

from __future__ import annotations

import argparse
import json
import os
import numpy as np

from scalinglaws import capex
from scalinglaws.capex.decisions import MILESTONES, RUIN_LEVELS

from . import _common

TERMS = dict(planned_growth=10.0, lead_time=1, margin=0.5, initial_cash=1.0)
POLICIES = ("upfront", "rolling", "staged")


def _variants(revenue):
    for policy in POLICIES:
        for m in (MILESTONES if policy == "staged" else (1.0,)):
            unit = capex.commitments(revenue, planned_growth=TERMS["planned_growth"], spend_fraction=1.0,
                                     lead_time=TERMS["lead_time"], policy=policy, milestone=m)
            yield policy, m, unit


def _ruin(revenue, unit, f):
    cash = TERMS["initial_cash"] + np.cumsum(TERMS["margin"] * revenue[:, 1:] - f * unit[:, 1:], axis=1)
    return np.mean((cash < 0).any(axis=1))


def numpy_bisection(revenue, levels):
    """Largest f per (policy, milestone, level) with P(ruin) <= level, by bisection."""
    out = {}
    for policy, m, unit in _variants(revenue):
        cum_r = np.cumsum(revenue[:, 1:], axis=1)
        hi0 = float(np.max((TERMS["initial_cash"] + TERMS["margin"] * cum_r) / np.cumsum(unit[:, 1:], axis=1)))
        for level in levels:
            lo, hi = 0.0, hi0
            for _ in range(60):
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if _ruin(revenue, unit, mid) <= level else (lo, mid)
            out[(policy, m, level)] = lo
    return out


def numpy_order_statistic(revenue, levels):
    out = {}
    n = revenue.shape[0]
    for policy, m, unit in _variants(revenue):
        f_star = np.min((TERMS["initial_cash"] + TERMS["margin"] * np.cumsum(revenue[:, 1:], axis=1))
                        / np.cumsum(unit[:, 1:], axis=1), axis=1)
        ordered = np.sort(f_star)
        for level in levels:
            out[(policy, m, level)] = ordered[int(np.floor(level * n))] * (1 - 1e-12)
    return out


def run(paths: int = 100_000, years: int = 3, repeats: int = 5) -> dict:
    revenue = capex.simulate_revenue(1.0, 10.0, (3.16, 31.6), years=years, n_paths=paths, seed=0)
    levels = sorted(set(RUIN_LEVELS) | {0.05})

    def contender():
        return capex.optimize_commitments(revenue, max_ruin=0.05, **TERMS)

    first = _common.first_call(contender)
    steady = _common.timed(contender, repeats)
    split_first = _common.first_call(lambda: capex.optimize_commitments(
        revenue, max_ruin=0.05, training_share=0.3, inference_margin=0.6, **TERMS))
    split = _common.timed(lambda: capex.optimize_commitments(
        revenue, max_ruin=0.05, training_share=0.3, inference_margin=0.6, **TERMS), repeats)
    bisect = _common.timed(lambda: numpy_bisection(revenue, levels), 1)
    order = _common.timed(lambda: numpy_order_statistic(revenue, levels), repeats)

    # the same answers: every variant and level
    decision = contender()
    by_bisection = numpy_bisection(revenue, levels)
    by_order = numpy_order_statistic(revenue, levels)
    worst_order = worst_bisect = 0.0
    for policy, m, unit in _variants(revenue):
        for level in levels:
            f_o, f_b = by_order[(policy, m, level)], by_bisection[(policy, m, level)]
            worst_bisect = max(worst_bisect, abs(f_b / f_o - 1))
    staged = decision.frontier[decision.frontier["policy"] == "staged"]
    for _, row in decision.frontier.iterrows():
        f_o = by_order[(row["policy"], row["milestone"], row["target_ruin"])]
        worst_order = max(worst_order, abs(row["spend_fraction"] / f_o - 1))
    result = {
        "paths": paths, "years": years, "ruin_levels": levels, "policies": list(POLICIES),
        "staged_milestones": list(MILESTONES), "terms": TERMS,
        "variants": len(POLICIES) - 1 + len(MILESTONES),
        "contender_first_call_s": first,
        "contender_s": steady,
        "contender_split_first_call_s": split_first,
        "contender_split_s": split,
        "numpy_bisection_s": bisect,
        "numpy_order_statistic_s": order,
        "ratio_vs_numpy_bisection": bisect["median_s"] / steady["median_s"],
        "ratio_vs_numpy_order_statistic": order["median_s"] / steady["median_s"],
        "max_relative_difference_vs_numpy_order_statistic": worst_order,
        "max_relative_difference_bisection_vs_order_statistic": worst_bisect,
        "staged_milestones_chosen": sorted(set(staged["milestone"].tolist())),
        "compilation_cache": os.environ.get("SCALINGLAWS_COMPILATION_CACHE", "on (default)"),
        "notes": "contender_s includes the cash, VaR/CVaR and schedule tables at max_ruin and returns numpy; "
                 "the baselines return only the commitments. Bisection resolves f to 2^-60 of its bracket.",
    }
    return result


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    result = run(args.paths, args.years, args.repeats)
    path = _common.write("frontier", result)
    show = {k: v for k, v in result.items() if k not in ("terms", "ruin_levels")}
    print(json.dumps(show, indent=2, default=str))
    print(f"wrote {path}")
    return result


if __name__ == "__main__":
    main()
