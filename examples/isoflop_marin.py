"""IsoFLOP profiles (Hoffmann et al. 2022, Approach 2) on the three Marin isoFLOP data sets.

Produces every number and figure in docs/isoflop.md:

    python examples/isoflop_marin.py                       # prints the tables
    python examples/isoflop_marin.py --figures docs/figures  # and writes isoflop_*.png into that folder

Each data set holds the same grid of (budget, N, D) runs (data/README.md); only the data
mixture, and so the losses, differ.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import scalinglaws as sl
from scalinglaws.isoflop import IsoflopWarning

NAMES = ["marin-comma", "marin-dclm", "marin-nemotron"]
N_BOOT, SEED, LEVEL = 4000, 0, 0.9


def row(name, r, variant):
    iv = r.interval()
    lo, hi = iv.loc["exponent", ["lower", "upper"]]
    d = r.diagnostics
    return {
        "data set": name, "variant": variant, "exponent": r.exponent, "lower": lo, "upper": hi,
        "se": iv.loc["exponent", "se"], "budgets": d["n_in_frontier"], "flagged": d["n_flagged"],
        "excluded %": 100 * d["excluded_fraction"], "failed reps": d["replicates_failed"],
    }


def main(figures: Path | None = None) -> None:
    if figures is not None:
        figures.mkdir(parents=True, exist_ok=True)
    rows, optima = [], []
    import matplotlib.pyplot as plt

    for name in NAMES:
        df = sl.datasets.load(name)
        t0 = time.perf_counter()
        r = sl.isoflop(df, budget="budget", size="N", y="loss", n_bootstrap=N_BOOT, seed=SEED, level=LEVEL)
        wall = time.perf_counter() - t0
        print(f"\n##### {name} ({len(df)} runs; isoflop with {N_BOOT} replicates took {wall:.3f} s, "
              f"of which bootstrap {r.diagnostics['time_bootstrap_s']:.3f} s)\n")
        print(r.summary())
        print("\nbootstrap exclusions by reason:", r.diagnostics["excluded_by_reason"])
        prof = r.profiles[r.profiles["in_frontier"]]
        med = np.nanmedian(r.size_draws[:, r.profiles["in_frontier"].to_numpy()], axis=0)
        gm6nd = df.groupby("budget")["C"].apply(lambda c: float(np.exp(np.log(c).mean())))
        print(pd.DataFrame({"budget": prof["budget"], "size_opt": prof["size_opt"], "median_bootstrap_vertex": med,
                            "median/estimate": med / prof["size_opt"].to_numpy(),
                            "geomean_6ND/budget": gm6nd.loc[prof["budget"]].to_numpy() / prof["budget"].to_numpy()}
                           ).to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        small = df[df["budget"] == df["budget"].min()]
        print(f"smallest budget {small['budget'].iloc[0]:.3g}: N = {small['N'].round(-6).tolist()}, "
              f"loss = {small['loss'].round(4).tolist()}")
        opt = r.optimal([1e21, 1e22, 1e24])
        opt.insert(0, "data set", name)
        optima.append(opt)
        rows.append(row(name, r, "N, budget labels as C (default)"))
        if figures is not None:
            fig = sl.plot.figure(r)
            fig.suptitle(f"{name}: isoFLOP profiles and frontier ({N_BOOT} bootstrap replicates, "
                         f"{100 * LEVEL:g}% bands)", y=1.02)
            fig.savefig(figures / f"isoflop_{name}.png", dpi=110, bbox_inches="tight")
            plt.close(fig)

        # Sensitivity: what the choices in the method do to the exponent.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", IsoflopWarning)
            rows.append(row(name, sl.isoflop(df, compute="C", n_bootstrap=N_BOOT, seed=SEED, level=LEVEL),
                            "N, C = geometric mean of each budget's 6ND"))
            rows.append(row(name, sl.isoflop(df, min_points=6, n_bootstrap=N_BOOT, seed=SEED, level=LEVEL),
                            "N, budgets with >= 6 runs only"))
            rows.append(row(name, sl.isoflop(df, exclude_flagged=False, n_bootstrap=N_BOOT, seed=SEED, level=LEVEL),
                            "N, exclude_flagged=False"))
            rd = sl.isoflop(df, size="D", n_bootstrap=N_BOOT, seed=SEED, level=LEVEL)
            rows.append(row(name, rd, "D (tokens), budget labels as C"))
        # seed stability of the band
        b1 = sl.isoflop(df, n_bootstrap=N_BOOT, seed=1, level=LEVEL).interval().loc["exponent"]
        print(f"\nseed 1 instead of 0: exponent band [{b1.lower:.4f}, {b1.upper:.4f}]")

    table = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print("\n##### exponents (90% percentile bands)\n")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print("\n##### frontier N_opt = k C^a at larger budgets (90% bands)\n")
    print(pd.concat(optima, ignore_index=True).to_string(index=False, float_format=lambda v: f"{v:.4g}"))


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=Path, metavar="DIR", help="write isoflop_*.png into DIR")
    main(parser.parse_args().figures)
