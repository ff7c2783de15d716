"""Which law, and how sure (docs/which-law.md): law comparison, the forecast across laws and the
break test on shipped data.

    python examples/which_law.py                     # prints every number quoted in the page
    python examples/which_law.py --figures DIR       # also writes the page's figures into DIR

The data: the 240 Chinchilla runs as Besiroglu et al. (2024) transcribed them (loss of N, D; and
against C = 6 N D), and the data-constrained learning curves of Muennighoff et al. (2023) as
ColPret collected them (loss against tokens seen at a fixed number of unique tokens).
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import scalinglaws as sl

SEED = 0
REPLICATES = 200


def show(title: str, result) -> None:
    print(f"\n=== {title}")
    print(result)


def datablations_curve(epochs: int, size: float = 2.8e9, corpus: str = "c4", start: float = 1e10):
    """One learning curve of the data-constrained runs: loss against tokens seen, from ``start``
    tokens on (the first checkpoints are warm-up)."""
    df = sl.datasets.load("colpret-datablations")
    run = df[(df["dataset"] == corpus) & (df["N"] == size) & (df["epochs"] == epochs)].sort_values("D")
    return run[run["D"] >= start].reset_index(drop=True)


def main(figures: Path | None) -> None:
    warnings.simplefilter("ignore")  # every flag the results carry is printed in their summaries
    chin = sl.datasets.load("chinchilla-240")
    t0 = time.perf_counter()

    # 1. which law extrapolates Chinchilla's runs best: chinchilla against kaplan, split on compute
    runs = sl.compare(chin, ["chinchilla", "kaplan"], n_bootstrap=REPLICATES, seed=SEED)
    show("compare chinchilla and kaplan on chinchilla-240 (rolling-origin folds in C)", runs)

    # 2. the forecast across the two laws at Chinchilla's budget and beyond, and compute for a target
    fc = sl.forecast(None, runs.laws, comparison=runs, C=[5.76e23, 1e25, 1e26])
    show("forecast across laws, equal weights (loss at the compute-optimal split of each budget)", fc)
    stacked = sl.forecast(None, runs.laws, comparison=runs, weights="stacking", C=[5.76e23, 1e25, 1e26])
    show("the same with stacking weights", stacked)
    print("\ncompute for a loss of 1.9, equal weights:")
    print(fc.compute_for([1.9]).to_string(float_format=lambda v: f"{v:.4g}"))

    # 3. the break test where no bend is expected: Chinchilla loss against compute
    flat = sl.break_test(chin, x="C", n_bootstrap=REPLICATES, seed=SEED)
    show("break test: chinchilla-240 loss against compute", flat)

    # 4. where repetition bends the curve: 2.8B parameters on c4, one epoch against fourteen
    bends = {}
    for epochs in (1, 14):
        curve = datablations_curve(epochs)
        bends[epochs] = sl.break_test(curve, x="D", n_bootstrap=REPLICATES, seed=SEED)
        unique = float(curve["U"].iloc[0])
        show(f"break test: 2.8B on c4, {epochs} epoch(s) of {unique:.3g} unique tokens, loss against tokens seen",
             bends[epochs])
        d1 = bends[epochs].table().loc["break location d1"]
        print(f"break at {d1['point_fit'] / unique:.3g} epochs (90% band {d1['lower'] / unique:.3g} to "
              f"{d1['upper'] / unique:.3g})")
    print(f"\nall of it: {time.perf_counter() - t0:.0f} s")

    if figures is not None:
        figures.mkdir(parents=True, exist_ok=True)
        for name, result in (("which_law_compare", runs), ("which_law_forecast", fc),
                             ("which_law_break_chinchilla", flat), ("which_law_break_1epoch", bends[1]),
                             ("which_law_break_14epochs", bends[14])):
            fig = sl.plot.figure(result)
            fig.savefig(figures / f"{name}.png", dpi=110)
            sl.plot.plt.close(fig)
        print(f"figures written to {figures}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=Path, metavar="DIR", help="write the figures into DIR")
    main(parser.parse_args().figures)
