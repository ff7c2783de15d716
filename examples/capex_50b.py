"""The two worked questions of docs/capex.md, with every number the page quotes.

1. What does a $50B data-centre commitment, signed now for delivery two years ahead, buy (GPUs,
   MW, FLOP, predicted loss with a band), and what is its chance of ruin if growth slows from 10x
   to 5x a year?
2. How large may the commitment be if we accept a 5% chance of ruin, up front against staged?

Demand is fitted to revenue of $0.1B, $1B and $10B in 2023-2025 (as reported for one frontier
lab); the spread of yearly growth, the cash, the margin and the plan are stated assumptions, not
estimates. The scaling law is the Chinchilla fit to the 240 shipped runs (Besiroglu et al.), with
1,000 bootstrap replicates.

    python examples/capex_50b.py               # prints every number, and how long each step took
    python examples/capex_50b.py --figures DIR  # also writes the page's figures into DIR (docs/figures)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import scalinglaws as sl
from scalinglaws import capex

HISTORY = ([2023, 2024, 2025], [0.1e9, 1.0e9, 10.0e9])
SIGMA = 0.7            # assumed log-scale spread of one year's growth: 90% of years within x/ 3.2
YEARS = 3              # 2026, 2027, 2028
PATHS = 100_000
COMMITMENT = 50e9      # dollars, paid in 2027 (year 2) when the data centres are delivered
DELIVERY_YEAR = 2
INITIAL_CASH = 20e9    # assumed cash and committed funding now
MARGIN = 0.3           # assumed share of revenue left, after running costs, for new compute
PLANNED_GROWTH = 3.0   # the plan a schedule follows: spend grows 3x a year
REPLICATES = 1000


def timed(label: str, fn):
    start = time.perf_counter()
    out = fn()
    print(f"[time] {label}: {time.perf_counter() - start:.2f} s")
    return out


def main(figures: Path | None) -> None:
    total = time.perf_counter()
    # Demand: three points cannot estimate the spread, so it is assumed.
    try:
        capex.fit_revenue(*HISTORY)
    except ValueError as err:
        print(f"fit_revenue without sigma: {err}")
    demand = timed("fit_revenue", lambda: capex.fit_revenue(*HISTORY, sigma=SIGMA))
    lo, hi = demand.table.loc["growth median next year (x)", ["lower", "upper"]]
    print(f"growth median next year {demand.growth_median:.3g}x, 90% band {lo:.3g}x to {hi:.3g}x")
    lo, hi = demand.table.loc["growth next year (x), predictive", ["lower", "upper"]]
    print(f"next year's growth itself: 90% predictive interval {lo:.3g}x to {hi:.3g}x")
    print(f"P(next year's growth < 5x) = {demand.prob_growth_below(5.0):.3f} "
          f"(plug-in, estimates taken as exact: {demand.prob_growth_below(5.0, parameter_uncertainty=False):.3f})")
    decaying = capex.fit_revenue(*HISTORY, sigma=SIGMA, decay=True)
    lo, hi = decaying.table.loc["decay", ["lower", "upper"]]
    print(f"with decay: decay 90% band {lo:.2f} to {hi:.2f}; growth median next year "
          f"{decaying.growth_median:.3g}x")
    revenue = timed(f"{PATHS:,} predictive revenue paths", lambda: capex.simulate_revenue(
        demand, years=YEARS, n_paths=PATHS, seed=0))
    print(f"revenue in 2027: median ${np.median(revenue[:, 2]) / 1e9:.3g}B, 5th percentile "
          f"${np.percentile(revenue[:, 2], 5) / 1e9:.3g}B")

    # Question 1: what $50B, two years ahead, buys.
    per_gpu = capex.H100_PURCHASE.value / (1.0 - capex.INTERCONNECT_FRACTION.value)
    cheaper = 10.0 ** (capex.PRICE_PERFORMANCE.value * DELIVERY_YEAR)
    gpus = COMMITMENT / per_gpu * cheaper
    flop_year = gpus * capex.flop_per_gpu_hour("H100", capex.MFU_MEDIAN.value) * capex.HOURS_PER_YEAR
    mw = capex.power_mw(flop_year, 365.25, "H100", capex.MFU_MEDIAN.value, pue=capex.PUE_HYPERSCALER.value)
    training = flop_year * capex.TRAINING_SHARE.value
    print(f"H100 all-in price per GPU ${per_gpu:,.0f}; price-performance by 2027 x{cheaper:.3g}")
    print(f"$50B buys {gpus / 1e6:.3g}M H100-equivalents, {mw:,.0f} MW at H100 efficiency, "
          f"{flop_year:.3g} FLOP a year; training share {capex.TRAINING_SHARE.value:.3f}: {training:.3g} FLOP")
    df = sl.datasets.load("chinchilla-240")
    fit = sl.fit(df, "chinchilla")
    ens = timed(f"bootstrap {REPLICATES} replicates", lambda: fit.bootstrap(REPLICATES, seed=0))
    row = ens.compute_optimal([training], level=0.9).iloc[0]
    beyond = np.log10(training / float(np.max(6.0 * df["N"] * df["D"])))
    print(f"loss of a run on a year of the training share: {row['loss']:.4f} [{row['loss_lower']:.4f}, "
          f"{row['loss_upper']:.4f}], {beyond:.1f} orders of magnitude beyond the data")
    spend = np.zeros_like(revenue)
    spend[:, DELIVERY_YEAR] = COMMITMENT
    terms = dict(spend=spend, margin=MARGIN, initial_cash=INITIAL_CASH)
    base = capex.simulate_cash(revenue, **terms)
    slow = capex.simulate_cash(capex.slowdown(revenue, 0.5), **terms)
    late = capex.simulate_cash(capex.slip(revenue, 1), **terms)
    print(f"P(ruin) of $50B in 2027: {base.prob_ruin:.4f}; growth halved (10x -> 5x): {slow.prob_ruin:.4f}; "
          f"one year late: {late.prob_ruin:.4f}")
    print(f"CVaR95 of 2028 cash, growth halved: ${slow.cvar / 1e9:.3g}B")

    # Question 2: the largest commitment at 5% ruin, per policy. Compute is priced at what an owned
    # H100 costs an hour, amortised (Epoch AI's method: depreciation, interconnect, energy).
    mfu = capex.MFU_MEDIAN.value
    owned = float(capex.amortised_cost(1e24, "H100", mfu) / capex.gpu_hours(1e24, "H100", mfu))
    print(f"owned H100, amortised: ${owned:.3g} per GPU-hour (on-demand rental median ${capex.H100_RENTAL_MEDIAN.value:g})")
    decision = timed("optimize_commitments (3 policies, 5 milestones, 12 levels of ruin)", lambda: capex.optimize_commitments(
        revenue, planned_growth=PLANNED_GROWTH, lead_time=DELIVERY_YEAR, max_ruin=0.05, margin=MARGIN,
        initial_cash=INITIAL_CASH, mfu=mfu, price_per_gpu_hour=owned))
    sched = decision.schedules.set_index(["policy", "year"])
    for policy in decision.table.index:
        row = decision.table.loc[policy]
        spend_by_year = [sched.loc[(policy, y), "spend_mean"] / 1e9 for y in range(1, YEARS + 1)]
        print(f"{policy}: f = {row['spend_fraction']:.4f}, mean spend by year $" +
              ", $".join(f"{v:.3g}B" for v in spend_by_year) + f" (total ${row['spend'] / 1e9:.3g}B); "
              f"P(ruin) {row['prob_ruin']:.3f}; training FLOP {row['flop_mean']:.3g}"
              + ("" if policy != "staged" else f"; milestone {row['milestone']:g}"))
    for share in (capex.TRAINING_SHARE.value, 0.3):
        split = capex.optimize_commitments(
            revenue, planned_growth=PLANNED_GROWTH, lead_time=DELIVERY_YEAR, max_ruin=0.05, margin=1.0,
            initial_cash=INITIAL_CASH, mfu=mfu, price_per_gpu_hour=owned, policies=("upfront",),
            training_share=share, inference_margin=capex.INFERENCE_MARGIN.value)
        row = split.table.loc["upfront"]
        print(f"split: training share {share:.3g}, inference margin {capex.INFERENCE_MARGIN.value:g} (a dollar of "
              f"compute serves ${split.settings['capacity']:.3g} of revenue): up front total ${row['spend'] / 1e9:.3g}B, "
              f"P(ruin) {row['prob_ruin']:.3f}, training FLOP {row['flop_mean']:.3g}")
    staged_low = decision.frontier_row("staged", 0.01)
    upfront_low = decision.frontier_row("upfront", 0.01)
    print(f"at 1% ruin: staged buys {staged_low['flop_mean'] / upfront_low['flop_mean']:.2f}x the up-front compute "
          f"(milestone {staged_low['milestone']:g})")
    bought = timed("capability_bought", lambda: capex.capability_bought(decision, ens, target=1.85))
    for policy in bought.table.index:
        r = bought.table.loc[policy]
        print(f"{policy}: final-year run {r['flop']:.3g} FLOP, loss {r['loss']:.4f} [{r['loss_lower']:.4f}, "
              f"{r['loss_upper']:.4f}], P(loss <= 1.85) = {r['p_target']:.3f}")
    inputs = capex.DecisionInputs.from_fit(demand, YEARS, lead_time=DELIVERY_YEAR, planned_growth=PLANNED_GROWTH,
                                           margin=MARGIN, initial_cash=INITIAL_CASH, n_paths=PATHS,
                                           mfu=mfu, price_per_gpu_hour=owned)
    stress = timed("stress_tests", lambda: capex.stress_tests(inputs, decision=decision))
    p = stress.table["prob_ruin"].unstack("policy")
    for name in dict.fromkeys(stress.table.index.get_level_values(0)):
        print(f"stress {name}: " + ", ".join(f"{k} {p.loc[name, k]:.3f}" for k in decision.table.index))
    sens = timed("sensitivity", lambda: capex.sensitivity(inputs, decision=decision))
    sw = sens.swings("staged")
    for name in sw.index:
        print(f"sensitivity staged {name}: P(ruin) {sw.loc[name, 'prob_ruin_low']:.3f} / "
              f"{sw.loc[name, 'prob_ruin_high']:.3f}; compute x{sw.loc[name, 'flop_ratio_low']:.2f} / "
              f"x{sw.loc[name, 'flop_ratio_high']:.2f}")
    if figures is not None:
        import matplotlib.pyplot as plt

        figures.mkdir(parents=True, exist_ok=True)
        for name, fig in (("capex_demand.png", demand.figure()), ("capex_frontier.png", decision.figure()),
                          ("capex_tornado.png", sens.figure("staged")), ("capex_stress.png", stress.figure())):
            fig.savefig(figures / name, dpi=100)
            plt.close(fig)
    print(f"[time] total: {time.perf_counter() - total:.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=Path, help="write the page's figures into this folder")
    main(parser.parse_args().figures)
