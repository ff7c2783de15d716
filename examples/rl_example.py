"""The worked RL example behind docs/rl.md: every number and figure on that page comes from here.

    python examples/rl_example.py                        # prints the tables
    python examples/rl_example.py --figures docs/figures   # and writes rl_*.png into that folder

1. Hex (Jones 2021, AlphaZero on Hex; data/boardlaw-hex): Elo against training compute, one
   sigmoid in log compute per board size; RMSE per board; then `validate_extrapolation` per board
   (fit below the median compute, score above it), with the ceiling free, bounded (A <= 0) and
   fixed at perfect play (A = 0).
2. ScaleRL (Khatri et al. 2025) on synthetic pass rates: R0 0.40, A 0.64, C_mid 1.1e4 GPU-hours,
   B 1.7, 40 budgets from 1.5e3 to 1e5 GPU-hours, binomial over 1,000 prompts; fit the budgets up
   to 5e4, bootstrap, compute_for targets (one above the ceiling A), check the extrapolation to
   1e5; then a 100-draw coverage study under three constraint settings.
3. Compute -> loss -> benchmark error: a Chinchilla loss ensemble chained with an
   `error_from_loss` ensemble (synthetic benchmark errors; Gadre et al. 2024's law).
"""

from __future__ import annotations

import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import scalinglaws as sl  # noqa: E402
from scalinglaws.chain import chain  # noqa: E402

FIG: Path | None = None  # --figures DIR: where the figures go (none without it)
RATE = {"R0": (0.0, 1.0), "A": (0.0, 1.0)}
pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 30)


def save(fig, name: str, dpi: int) -> None:
    """Write the figure into --figures DIR (nothing without it)."""
    if FIG is not None:
        fig.savefig(FIG / name, dpi=dpi)


def fmt(df, digits=4):
    return df.to_string(float_format=lambda v: f"{v:.{digits}g}")


def sigmoid(x, R0, A, C_mid, B):
    return R0 + (A - R0) / (1.0 + (C_mid / x) ** B)


# --------------------------------------------------------------------------------------------
def hex_section():
    print("=" * 100)
    print("1. Hex frontier: elo = R0 + (A - R0) / (1 + (C_mid / C)^B), one fit per board size")
    df = sl.datasets.load("hex-frontier")
    rows, fits = [], {}
    for b, g in df.groupby("boardsize"):
        f = sl.fit(g, "sigmoid", x="C", y="elo")
        fb = sl.fit(g, "sigmoid", x="C", y="elo", bounds={"A": (None, 0.0)})
        fits[b] = f
        rows.append({"boardsize": b, **f.params, "rmse": f.diagnostics["rmse"], "r2": f.diagnostics["r2"],
                     "converged": f.converged, "A<=0: A": fb.params["A"], "A<=0: rmse": fb.diagnostics["rmse"],
                     "A<=0: on_bound": fb.on_bound})
    table = pd.DataFrame(rows).set_index("boardsize")
    print(fmt(table))
    print(f"max RMSE {table.rmse.max():.1f} Elo")

    fig, ax = plt.subplots(figsize=(7.2, 4.4), layout="constrained")
    for i, (b, g) in enumerate(df.groupby("boardsize")):
        ax.scatter(g.C, g.elo, s=5, color=f"C{i}", alpha=0.5)
        xs = np.logspace(np.log10(g.C.min()), np.log10(g.C.max()), 200)
        ax.plot(xs, fits[b].predict(C=xs), color=f"C{i}", lw=1.6,
                label=f"{b}x{b}: RMSE {fits[b].diagnostics['rmse']:.0f} Elo")
    ax.set_xscale("log")
    ax.set_xlabel("training compute C [FLOP]")
    ax.set_ylabel("Elo against perfect play")
    ax.set_title("Hex compute frontier (Jones 2021) and one sigmoid in log C per board size", fontsize="medium")
    ax.legend(fontsize="x-small", frameon=False)
    save(fig, "rl_hex_sigmoid.png", 110)
    plt.close(fig)

    print("\nvalidate_extrapolation per board size: fit below the median compute, score the 51 points above it")
    out = {}
    for label, kw in (("A free", {}), ("A <= 0", {"bounds": {"A": (None, 0.0)}}), ("A = 0 (fixed)", {"fixed": {"A": 0.0}})):
        t0 = time.perf_counter()
        v = sl.validate_extrapolation(df, "sigmoid", x="C", y="elo", each="boardsize", n_bootstrap=1000, seed=0, **kw)
        dt = time.perf_counter() - t0
        out[label] = v
        g = v.by_group[["n_heldout", "median_abs_error", "max_abs_error", "rmse", "coverage"]]
        print(f"\n-- {label} ({dt:.1f} s with 7 x 1,000 bootstrap refits): held-out median |error| "
              f"{v.median_abs_error:.1f} Elo, 90% band coverage {v.coverage:.3f}")
        print(fmt(g, 3))
        print("fitted (lower half) ceilings A:", v.folds.set_index("group")["A"].round(1).to_dict())
        print("median |relative error| (not meaningful for Elo, shown for completeness):",
              round(v.median_abs_rel_error, 3))
    fig = sl.plot.figure(out["A free"])
    save(fig, "rl_hex_validate_free.png", 90)
    plt.close(fig)
    fig = sl.plot.figure(out["A = 0 (fixed)"])
    save(fig, "rl_hex_validate_fixed.png", 90)
    plt.close(fig)


# --------------------------------------------------------------------------------------------
TRUTH = dict(R0=0.40, A=0.64, C_mid=1.1e4, B=1.7)
BUDGETS = np.logspace(np.log10(1.5e3), 5.0, 40)


def scalerl_one_draw():
    print("=" * 100)
    print("2. ScaleRL form on synthetic pass rates (truth R0 0.40, A 0.64, C_mid 1.1e4 GPU-hours, B 1.7)")
    rng = np.random.default_rng(7)
    y = rng.binomial(1000, sigmoid(BUDGETS, **TRUTH)) / 1000
    df = pd.DataFrame({"gpu_hours": BUDGETS, "pass_rate": y})
    low = df[df.gpu_hours <= 5e4]
    fit = sl.fit(low, "sigmoid", x="gpu_hours", y="pass_rate", bounds=RATE)
    ens = fit.bootstrap(2000, seed=0)
    print(fit.summary())
    print("\n90% intervals (2,000 bootstrap refits):")
    print(fmt(ens.interval(level=0.9)))
    d = ens.diagnostics
    print(f"replicates failed {d['failed_to_converge']}, on a bound {d['on_bound']} of {d['n_replicates']}")
    targets = [0.55, 0.60, 0.62, 0.70]
    print("\ncompute_for (GPU-hours to reach each pass rate; 0.70 is above the ceiling A):")
    print(fmt(ens.compute_for(targets, level=0.9)))
    print(fmt(fit.compute_for(targets)))
    print("the truth:")
    print(fmt(sl.Fit.from_params("sigmoid", TRUTH).compute_for(targets)))
    print("\npredicted pass rate at 1e5 GPU-hours (2x beyond the fitted budgets):")
    print(fmt(ens.predict(level=0.9, gpu_hours=[5e4, 1e5])))
    print(f"truth at 1e5: {sigmoid(1e5, **TRUTH):.4f}; observed: {y[-1]:.3f}")

    v = sl.validate_extrapolation(df, "sigmoid", x="gpu_hours", y="pass_rate", holdout="above:5e4",
                                  n_bootstrap=2000, bounds=RATE)
    print("\nvalidate_extrapolation(holdout='above:5e4'): the budgets from 5e4 to 1e5 GPU-hours")
    print(fmt(v.table[["gpu_hours", "pass_rate", "prediction", "lower", "upper", "abs_rel_error", "inside"]]))
    print(f"median |relative error| {v.median_abs_rel_error:.4f}, median |error| {v.median_abs_error:.4f}, "
          f"coverage {v.coverage:.2f}")
    fig = sl.plot.plot_fit(ens, level=0.9, extend_decades=0.5)
    ax = fig.axes[0]
    ax.scatter(df.gpu_hours[df.gpu_hours > 5e4], df.pass_rate[df.gpu_hours > 5e4], s=22, facecolors="none",
               edgecolors="C3", zorder=5, label="held out (> 5e4 GPU-hours)")
    ax.axhline(TRUTH["A"], color="C2", ls="--", lw=1, label="true ceiling A = 0.64")
    ax.set_xlabel("RL compute [GPU-hours]")
    ax.legend(frameon=False, fontsize="small")
    save(fig, "rl_scalerl_fit.png", 110)
    plt.close(fig)


def scalerl_study(fit_kw, seed=2025, n_draws=100, n_replicates=300):
    rng = np.random.default_rng(seed)
    keep = BUDGETS <= 5e4
    p = sigmoid(BUDGETS[keep], **TRUTH)
    err, cov, fails, onb, fit_onb = [], [], 0, 0, 0
    t0 = time.perf_counter()
    for d in range(n_draws):
        y = rng.binomial(1000, p) / 1000
        fit = sl.fit({"C": BUDGETS[keep], "y": y}, "sigmoid", **fit_kw)
        ens = fit.bootstrap(n_replicates, seed=d)
        iv = ens.interval(level=0.9).loc["A"]
        err.append(abs(fit.params["A"] - TRUTH["A"]))
        cov.append(iv.lower <= TRUTH["A"] <= iv.upper)
        fails += ens.diagnostics["failed_to_converge"]
        onb += ens.diagnostics["on_bound"]
        fit_onb += fit.on_bound
    return {"median |A error|": np.median(err), "90% coverage of A": np.mean(cov),
            "fits on a bound": fit_onb, "replicates failed": fails, "replicates on a bound": onb,
            "seconds": time.perf_counter() - t0}


def scalerl_study_section():
    print("=" * 100)
    print("ScaleRL study: 100 draws, budgets up to 5e4 GPU-hours (33 of 40), 300 bootstrap refits each")
    rows = {}
    for label, kw in (("bounds R0, A in [0, 1] (the test)", {"bounds": RATE}),
                      ("no constraints", {}),
                      ("R0 fixed at 0.40, A in [0, 1]", {"fixed": {"R0": 0.40}, "bounds": {"A": (0.0, 1.0)}})):
        rows[label] = scalerl_study(kw)
    print(fmt(pd.DataFrame(rows).T))


# --------------------------------------------------------------------------------------------
def chain_section():
    print("=" * 100)
    print("3. compute -> loss -> benchmark error (error_from_loss on SYNTHETIC errors)")
    chin = sl.fit(sl.datasets.load("chinchilla-240"), "chinchilla")
    chin_ens = chin.bootstrap(2000, seed=0)
    rng = np.random.default_rng(11)
    law = sl.laws.get("error_from_loss")
    L = rng.uniform(1.9, 3.2, 40)
    err = law.predict(dict(eps=0.85, k=2.0, gamma=0.6), L=L) + rng.normal(0, 0.01, 40)
    efit = sl.fit(pd.DataFrame({"loss": L, "error": err}), "error_from_loss", x="loss")
    eens = efit.bootstrap(2000, seed=1)
    print(fmt(eens.interval(level=0.9)))
    t = chain(chin_ens, eens, level=0.9, C=[1e21, 5.88e23, 1e25])
    print(fmt(t))
    print(f"pairs: {t.attrs['n_pairs']}")
    print("error fit alone at the point loss (no loss uncertainty):")
    print(fmt(chain(chin, eens, level=0.9, C=[1e21, 5.88e23, 1e25])))


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=Path, metavar="DIR", help="write rl_*.png into DIR")
    FIG = parser.parse_args().figures
    if FIG is not None:
        FIG.mkdir(parents=True, exist_ok=True)
    hex_section()
    scalerl_one_draw()
    scalerl_study_section()
    chain_section()
