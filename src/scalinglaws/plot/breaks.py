"""A break test as a figure (:func:`plot_break`): the curve with its power-law and broken-power-
law fits, and the break's location band."""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import ScalarFormatter

from ..breaks import BreakTest
from .style import Figure, axis_label, place_legend, plt, wrap_title

__all__ = ["plot_break"]


def plot_break(result: BreakTest, n_points: int = 200, ax=None, title: str | None = None) -> Figure:
    """The data, ``power`` and ``bnsl`` fitted on every row, the break's ``level`` band over the
    replicates that put one inside the data (shaded) and the point fit's break (dotted)."""
    if not isinstance(result, BreakTest):
        raise TypeError(f"plot_break draws a BreakTest, got {type(result).__name__}")
    comp = result.comparison
    x, y = comp.by, comp.y_column
    lo, hi = result.data_range
    xs = np.logspace(np.log10(lo), np.log10(hi), n_points)
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
    else:
        fig = ax.figure
    table = result.table()
    row = table.loc["break location d1"]
    if np.isfinite(row["lower"]):
        ax.axvspan(row["lower"], row["upper"], color="C1", alpha=0.15, linewidth=0,
                   label=f"break, {100 * result.level:g}% band ({100 * result.break_share:.0f}% of replicates)")
    r = comp.ranking
    for name, color in (("power", "C0"), ("bnsl", "C1")):
        ax.plot(xs, comp.fits[name].predict(**{x: xs}), color=color, linewidth=1.6,
                label=f"{name} (held-out RMSE {r.loc[name, 'cv_rmse']:.3g})")
    ax.axvline(comp.fits["bnsl"].params["d1"], color="C1", linestyle=":", linewidth=1)
    if comp.data is not None:
        ax.scatter(comp.data[x], comp.data[y], s=8, color="k", zorder=4, label=f"data ({len(comp.data)})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    if comp.data is not None and comp.data[y].max() / comp.data[y].min() < 10:
        ax.yaxis.set_major_formatter(ScalarFormatter())  # under a decade: plain numbers, not 3x10^0
        ax.yaxis.set_minor_formatter(ScalarFormatter())
    ax.set_xlabel(axis_label(x))
    ax.set_ylabel(axis_label(y))
    ax.set_title(wrap_title(title or f"break test: {result.verdict}", 70), fontsize="medium")
    place_legend(ax, fontsize="x-small")
    return fig
