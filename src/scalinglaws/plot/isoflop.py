"""IsoFLOP profiles as a figure (:func:`plot_isoflop`): the profiles with their parabolas and
minima, and the compute-optimal frontier with its bootstrap band."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..inputs import check_level
from ..isoflop import IsoflopResult, budget_label
from .style import Figure, axis_label, plt

__all__ = ["plot_isoflop"]


def plot_isoflop(result: IsoflopResult, ax: Any = None, level: float | None = None) -> Figure:
    """Two panels: the profiles (``y`` against size per budget, log x, parabolas, minima marked) and
    the frontier (``size_opt`` against C, log-log, fitted line, its band, per-budget optima with
    bootstrap bars). ``ax``: None (a new figure) or a pair of Axes. Returns the Figure.
    """
    level = result.level if level is None else check_level(level)
    if ax is None:
        fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11.5, 4.4))
    else:
        try:
            ax0, ax1 = ax
        except (TypeError, ValueError):
            raise ValueError("ax must be None or a pair of Axes (profiles, frontier)") from None
        fig = ax0.figure
    p = result.profiles
    cmap = plt.get_cmap("viridis")
    lc = np.log(p["C"].to_numpy())
    span = max(float(np.ptp(lc)), 1e-12)
    s = result.size
    for g, r in enumerate(p.itertuples(index=False)):
        color = cmap(0.9 * (lc[g] - lc.min()) / span)
        runs = result.budget_runs(g)
        sz, yy = runs["size"].to_numpy(), runs["y"].to_numpy()
        label = f"{budget_label(r.budget)}" + (" (flagged)" if r.flagged else "")
        ax0.scatter(sz, yy, s=16, color=color, alpha=0.85 if not r.flagged else 0.4, label=label, zorder=3)
        if len(sz) == 0 or not np.isfinite(result.parabolas["b2"].iloc[g]):
            continue
        xs = np.exp(np.linspace(np.log(sz.min()), np.log(sz.max()), 100))
        ax0.plot(xs, result.profile_curve(g, xs), color=color,
                 linestyle="--" if r.flagged else "-", linewidth=1.2, zorder=2)
        if np.isfinite(r.size_opt) and r.curvature > 0:
            ax0.plot([r.size_opt], [r.loss_opt], marker="*", markersize=11, color=color,
                     markeredgecolor="k", markeredgewidth=0.6, linestyle="none", zorder=4,
                     fillstyle="full" if r.in_frontier else "none")
    ax0.set_xscale("log")
    ax0.set_xlabel(axis_label(s))
    ax0.set_ylabel(axis_label(result.y))
    ax0.set_title("isoFLOP profiles (stars: parabola minima)")
    ax0.legend(title=result.budget, fontsize="small", frameon=False, ncol=2)

    used = p["in_frontier"].to_numpy()
    C_used = p["C"].to_numpy()[used]
    lo_c, hi_c = np.log10(C_used.min()) - 0.5, np.log10(C_used.max()) + 0.5
    grid = np.logspace(lo_c, hi_c, 120)
    band = result.optimal(grid, level=level)
    if np.isfinite(band[f"{s}_opt_lower"]).all():
        ax1.fill_between(grid, band[f"{s}_opt_lower"], band[f"{s}_opt_upper"], color="C0", alpha=0.2, linewidth=0,
                         label=f"{100 * level:g}% bootstrap band")
    ax1.plot(grid, band[f"{s}_opt"], color="C0",
             label=rf"${s}_{{opt}} = {result.coefficient:.3g}\,C^{{{result.exponent:.3f}}}$")
    pu = p[used]
    yerr = np.vstack([pu["size_opt"] - pu["size_opt_lower"], pu["size_opt_upper"] - pu["size_opt"]])
    yerr = np.where(np.isfinite(yerr), np.maximum(yerr, 0.0), 0.0)
    ax1.errorbar(pu["C"], pu["size_opt"], yerr=yerr, fmt="o", color="k", markersize=4, capsize=3,
                 label="per-budget optimum", zorder=3)
    pf = p[~used & np.isfinite(p["size_opt"].to_numpy())]
    if len(pf):
        ax1.plot(pf["C"], pf["size_opt"], "o", fillstyle="none", color="C3", label="flagged (not fitted)")
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    ax1.set_xlabel(axis_label("C"))
    ax1.set_ylabel(axis_label(s, f"{s}_opt"))
    ax1.set_title("compute-optimal frontier")
    ax1.legend(fontsize="small", frameon=False)
    fig.tight_layout()
    return fig
