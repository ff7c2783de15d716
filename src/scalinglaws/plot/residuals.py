"""A fit's residuals as a figure (:func:`plot_residuals`): scaled residuals against each input,
against the fitted value, and a normal Q-Q plot, the three views that show a wrong functional
form (a trend against x or the fitted value), unequal noise (a funnel) and heavy tails (Q-Q
ends off the line)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..fitting import Fit
from ..inference import Inference
from .style import Figure, axis_label, plt

__all__ = ["plot_residuals"]


def _blom_quantiles(n: int) -> np.ndarray:
    """Expected standard normal order statistics, Blom's (1958) approximation."""
    from scipy.stats import norm

    return norm.ppf((np.arange(1, n + 1) - 0.375) / (n + 0.25))


def plot_residuals(result: Fit | Inference, title: str | None = None) -> Figure:
    """Scaled residuals (fit space: ``log y_hat - log y`` for loss laws, over their standard
    deviation) against each input (log axis), against the fitted value, and their normal Q-Q plot;
    points with weight 0 are left out. ``result`` is a :class:`Fit` or its
    :class:`~scalinglaws.inference.Inference`."""
    if isinstance(result, Fit):
        result = result.inference()
    if not isinstance(result, Inference):
        raise TypeError(f"plot_residuals draws a Fit or an Inference, got {type(result).__name__}")
    table = result.residuals
    table = table[table["weight"] > 0]
    # The residual table's columns: the inputs, the target, then "fitted" and the residuals.
    n_inputs = len(table.columns) - 7
    x_cols, y_col = list(table.columns[:n_inputs]), table.columns[n_inputs]
    r = table["scaled_residual"].to_numpy()
    panels = len(x_cols) + 2
    fig, axes = plt.subplots(1, panels, figsize=(3.6 * panels, 3.4), layout="constrained", squeeze=False)
    axes = axes[0]
    for ax, col in zip(axes, x_cols):
        x = table[col].to_numpy()
        ax.scatter(x, r, s=14, alpha=0.7, color="C0")
        if np.all(x > 0):
            ax.set_xscale("log")
        ax.set_xlabel(axis_label(col))
        _zero_line(ax)
    ax = axes[len(x_cols)]
    ax.scatter(table["fitted"], r, s=14, alpha=0.7, color="C0")
    ax.set_xlabel(axis_label(y_col, f"fitted {y_col}"))
    _zero_line(ax)
    axes[0].set_ylabel("scaled residual (predicted - observed)")
    ax = axes[-1]
    q = _blom_quantiles(len(r))
    ax.scatter(q, np.sort(r), s=14, alpha=0.7, color="C0")
    lim = [float(min(q.min(), np.nanmin(r))), float(max(q.max(), np.nanmax(r)))] if len(r) else [-1.0, 1.0]
    ax.plot(lim, lim, color="0.4", linestyle="--", linewidth=1, label="normal")
    ax.set_xlabel("normal quantile")
    ax.set_ylabel("ordered scaled residual")
    ax.legend(loc="upper left", fontsize="small", frameon=False)
    fig.suptitle(title or f"{result.law_name} fit: residuals (R^2 {result.goodness['r2']:.3f}, "
                          f"MAPE {result.goodness['mape']:.2g}%)", fontsize="medium")
    return fig


def _zero_line(ax: Any) -> None:
    ax.axhline(0.0, color="0.4", linestyle="--", linewidth=1)
