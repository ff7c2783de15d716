"""Capex walk-through on the Chinchilla ensemble (docs/capex.md, "End to end on the Chinchilla
ensemble"): what does reaching a loss of 1.96 cost, with its band, and what is the chance that
buying it ahead of revenue ruins us?

    python examples/capex_walkthrough.py            # prints every number quoted in the docs
    python examples/capex_walkthrough.py --figures DIR  # also writes capex_*.png into DIR (docs/figures for the page)

Every number in that section of docs/capex.md is printed by this script (4,000 bootstrap
replicates, seed 0; 100,000 revenue paths, seed 0). The revenue and commitment inputs are
illustrative choices, not estimates.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import scalinglaws as sl
from scalinglaws import capex

TARGET = 1.96
REPLICATES = 4000
LEVEL = 0.9
CHINCHILLA_C = 5.76e23  # Chinchilla's training budget (Hoffmann et al. 2022: 70B parameters, 1.4T tokens)
HARDWARE = dict(gpu="H100", mfu=capex.MFU_MEDIAN.value, price_per_gpu_hour=capex.H100_RENTAL_MEDIAN.value,
                wall_clock_days=capex.TRAINING_DAYS.value)
REVENUE = dict(r0=1e6, growth_median=4.0, growth_interval90=(1.6, 10.0), years=2, n=100_000, seed=0)
TERMS = dict(planned_growth=4.0, lead_time=1, milestone=1.0, margin=0.5, initial_cash=1e6, level=0.95,
             cost="rental", policies=("upfront", "staged"))


def show(title: str, table: pd.DataFrame) -> None:
    print(f"\n{title}")
    print(table.to_string(float_format=lambda v: f"{v:.4g}"))


def main(figures: bool) -> None:
    pd.set_option("display.width", 160)
    df = sl.datasets.load("chinchilla-240")
    fit = sl.fit(df, "chinchilla")
    t0 = time.perf_counter()
    ens = fit.bootstrap(REPLICATES, seed=0)
    print(f"bootstrap: {REPLICATES} replicates in {time.perf_counter() - t0:.1f} s (including compilation), "
          f"{int(np.sum(~ens.valid))} failed to converge")
    c_data = float(np.max(6.0 * df["N"] * df["D"]))
    print(f"largest compute in the data: C = {c_data:.4g} FLOP")

    # 1. The target: a little below what Chinchilla's own budget buys.
    at_chinchilla = ens.compute_optimal([CHINCHILLA_C], level=LEVEL).iloc[0]
    print(f"loss at Chinchilla's budget {CHINCHILLA_C:.3g} (compute-optimal): {at_chinchilla['loss']:.4f} "
          f"[{at_chinchilla['loss_lower']:.4f}, {at_chinchilla['loss_upper']:.4f}], "
          f"{np.log10(CHINCHILLA_C / c_data):.2f} orders of magnitude beyond the data")
    show("compute for target losses (90% band over the replicates that reach them)",
         ens.compute_for([2.0, TARGET, 1.9, 1.85, 1.82, 1.80], level=LEVEL))
    need = ens.compute_for(TARGET, level=LEVEL).iloc[0]
    print(f"target {TARGET}: point fit C = {need['C']:.4g}, {np.log10(need['C'] / c_data):.2f} orders of "
          f"magnitude beyond the data; band {need['C_lower']:.3g} to {need['C_upper']:.3g} "
          f"(x{need['C_upper'] / need['C_lower']:.1f})")
    print(f"E (irreducible loss), {LEVEL:.0%} interval: {ens.interval(LEVEL).loc['E', ['lower', 'upper']].round(4).tolist()}")

    # 2. The plan: compute -> GPU-hours, dollars, GPUs, MW, each with its band.
    plan = capex.plan(ens, TARGET, level=LEVEL, **HARDWARE)
    print()
    print(plan)
    print(f"flop per GPU-hour: {capex.flop_per_gpu_hour('H100', HARDWARE['mfu']):.6g}")
    print("amortised cost at the median, by component:",
          {k: f"{v:.4g}" for k, v in capex.amortised_cost(plan.table.loc['compute (FLOP)', 'estimate'],
                                                          'H100', HARDWARE['mfu'], components=True).items()})
    rental = plan.table.loc["rental ($)"]
    print(f"rental, median and band, two years later on the 0.14 OOM/year trend: "
          f"{capex.cost_in_years(rental['estimate'], 2):.4g} [{capex.cost_in_years(rental['lower'], 2):.4g}, "
          f"{capex.cost_in_years(rental['upper'], 2):.4g}]")
    for name, mfu in (("low", capex.MFU_LOW.value), ("high", capex.MFU_HIGH.value)):
        other = capex.plan(ens, TARGET, level=LEVEL, **dict(HARDWARE, mfu=mfu)).table.loc["rental ($)"]
        print(f"rental at mfu {mfu} ({name}): {other['estimate']:.4g} [{other['lower']:.4g}, {other['upper']:.4g}]")
    # A band propagates as the quantiles of the converted draws. With one mfu these equal the converted
    # quantiles of compute (every conversion is increasing); an uncertain mfu, one draw per replicate,
    # must be converted draw by draw.
    draws = ens.compute_for_draws(TARGET)
    q = [0.5, 0.05, 0.95]
    hours = capex.gpu_hours(draws, "H100", HARDWARE["mfu"])
    print("GPU-hours, quantiles of converted draws:", np.round(np.quantile(hours, q), 1).tolist(),
          "| converted quantiles:", np.round(capex.gpu_hours(np.quantile(draws, q), "H100", HARDWARE["mfu"]), 1).tolist())
    reported = sl.datasets.load("epoch-notable-models")["hardware_utilization_mfu"].dropna().to_numpy()
    mfu_draws = np.random.default_rng(0).choice(reported, size=draws.size)
    hours_mfu = capex.gpu_hours(draws, "H100", mfu_draws)
    print(f"GPU-hours with mfu resampled from the {reported.size} reported values (seed 0): "
          f"median {np.median(hours_mfu):.4g}, 90% band {np.quantile(hours_mfu, 0.05):.4g} to "
          f"{np.quantile(hours_mfu, 0.95):.4g}")
    for harder in (1.85, 1.80, 1.5):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "target .* is unreachable", UserWarning)
            p = capex.plan(ens, harder, level=LEVEL, **HARDWARE)
        print(f"target {harder}: unreachable for {p.unreachable_fraction:.4f} of replicates "
              f"(compute_for: reachable_fraction {ens.compute_for(harder)['reachable_fraction'].iloc[0]:.4f}); "
              f"rental median over the rest {p.table.loc['rental ($)', 'estimate']:.3g}")

    # 3. Buying it ahead of revenue.
    revenue = capex.simulate_revenue(**REVENUE)
    rows = []
    for budget in ("median", "upper"):
        for label, rev in (("on time", revenue), ("1 year late", capex.slip(revenue, 1))):
            risk = capex.commitment_risk(plan, rev, budget=budget, **TERMS)
            for policy, r in risk.iterrows():
                rows.append({"budget": budget, "budget $": risk.attrs["budget"],
                             "f": risk.attrs["spend_fraction"], "revenue": label, "policy": policy,
                             **r[["p_budget_enough", "prob_ruin", "terminal_cash_median", "var", "cvar",
                                  "spend_vs_upfront", "p_target_run", "p_target_solvent"]].to_dict()})
    show("buying the target ahead of revenue", pd.DataFrame(rows).set_index(["budget", "revenue", "policy"]))
    upper = capex.commitment_risk(plan, revenue, budget="upper", **TERMS)
    f = upper.attrs["spend_fraction"]
    cash_terms = {k: TERMS[k] for k in ("planned_growth", "lead_time", "milestone", "margin", "initial_cash", "level")}
    results = {p: capex.simulate_cash(revenue, policy=p, spend_fraction=f, **cash_terms) for p in TERMS["policies"]}
    for p, r in results.items():
        print(f"{p}: year of first ruin (share of paths) {r.ruin_years['p_first_ruin'].round(4).tolist()}")
    # Year 1 by hand: cash_1 = initial_cash + margin R_1 - f P_1 < 0 exactly when growth in year 1 is below
    # (f P_1 - initial_cash) / (margin r0); the year-1 tranche is signed before any revenue is seen.
    g_star = (f * REVENUE["r0"] * TERMS["planned_growth"] - TERMS["initial_cash"]) / (TERMS["margin"] * REVENUE["r0"])
    print(f"year-1 ruin by hand (upper budget): growth below {g_star:.4f}x, probability "
          f"{capex.growth_probability_below(g_star, REVENUE['growth_median'], REVENUE['growth_interval90']):.4f}")

    if figures:
        import matplotlib.pyplot as plt

        from scalinglaws import plot

        figures.mkdir(parents=True, exist_ok=True)
        fig = plot.plot_capability(ens, level=LEVEL, targets=[TARGET, 1.85])
        fig.savefig(figures / "capex_capability.png", dpi=80)
        plt.close(fig)
        fig = plot.plot_revenue_cash(
            revenue, {"up front": results["upfront"], "staged": results["staged"]},
            planned=capex.planned_revenue(REVENUE["r0"], TERMS["planned_growth"], REVENUE["years"]), unit="$")
        fig.savefig(figures / "capex_chinchilla_ruin.png", dpi=80)
        plt.close(fig)
        print(f"\nfigures written to {figures}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=Path, metavar="DIR", help="write capex_*.png into DIR")
    main(parser.parse_args().figures)
