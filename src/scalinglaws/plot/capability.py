"""Capability against compute (:func:`plot_capability`): the fitted law with its band, the
data's range, and the compute needed for target values, for :mod:`scalinglaws.capex`."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from ..extrapolate import inverse_input
from ..inputs import check_level, positive_values
from ..intervals import DEFAULT_LEVEL
from .fits import curve_values, data_x, fit_plot_kind, fitted_rows, frontier_values, split_result
from .style import Figure, axis_label, band_label, draw_curve, new_axes, place_legend, plain_log_ticks

__all__ = ["plot_capability"]


def _target_rows(fit: Any, ens: Any, targets: Any, level: float) -> Any:
    """``compute_for`` of each target: columns target, x (point fit), lower, upper, reachable."""
    t = np.atleast_1d(np.asarray(targets, dtype=np.float64))
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)):
        raise ValueError(f"targets must be finite numbers; got {targets!r}")
    name = inverse_input(fit.law)
    if ens is None:
        r = fit.compute_for(t)
        return pd.DataFrame({"target": t, "x": r[name].to_numpy(), "lower": np.nan,
                             "upper": np.nan, "reachable": r["reachable"].astype(float).to_numpy()})
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "All-NaN slice", RuntimeWarning)
        r = ens.compute_for(t, level=level)
    return pd.DataFrame({"target": t, "x": r[name].to_numpy(), "lower": r[f"{name}_lower"].to_numpy(),
                         "upper": r[f"{name}_upper"].to_numpy(),
                         "reachable": r["reachable_fraction"].to_numpy()})


def plot_capability(
    result: Any,
    C_range: Any = None,
    level: float = DEFAULT_LEVEL,
    ax: Any = None,
    targets: Any = None,
    title: str | None = None,
) -> Figure:
    """Capability against compute on log axes, with the bootstrap band, the data's compute range
    and, for each target, the compute needed to reach it.

    ``result``: a :class:`~scalinglaws.fitting.Fit` or :class:`~scalinglaws.ensemble.Ensemble`
    (then the ``level`` band is shaded). For chinchilla the capability is the loss at the
    compute-optimal allocation of each budget ``C = 6 N D`` (``compute_optimal``); for
    one-input laws it is the law at x (``predict``). ``C_range``: ``(low, high)`` compute to draw
    over; default from the data's smallest compute to two decades past its largest, widened to
    show each target's compute and band (at most six decades past the data). The data's range
    is shaded grey; the curve is dashed beyond it.

    ``targets``: one or more target values (losses, or scores): each gets a horizontal line, a
    marker at the point fit's compute (``compute_for``) and, for an ensemble, a thick segment
    over the ``level`` band of compute needed (quantiles over the replicates that reach it; the
    legend gives the share that never does). Returns the Figure.
    """
    fit, ens = split_result(result)
    law = fit.law
    kind = fit_plot_kind(law)
    level = check_level(level)
    used, _ = fitted_rows(fit)
    xd = data_x(fit, used, kind)
    rows = None if targets is None else _target_rows(fit, ens, targets, level)
    if C_range is not None:
        lo, hi = (float(v) for v in positive_values(C_range, "C_range", "for a log axis"))
        if not lo < hi:
            raise ValueError(f"C_range must be (low, high) with low < high; got {C_range!r}")
    elif xd is None:
        raise ValueError("this fit holds no data: pass C_range=(low, high)")
    else:
        lo, hi = float(xd.min()), float(xd.max()) * 100.0
        if rows is not None:
            needed = rows[["x", "upper"]].to_numpy().ravel()
            needed = needed[np.isfinite(needed)]
            if needed.size:
                hi = min(max(hi, 2.0 * float(needed.max())), float(xd.max()) * 1e6)
    xs = np.logspace(np.log10(lo), np.log10(hi), 200)
    edge = None if xd is None else float(xd.max())
    if edge is not None and lo < edge < hi:
        xs = np.union1d(xs, [edge])
    est, lower, upper = (curve_values if kind == "curve" else frontier_values)(fit, ens, level, xs)
    fig, ax = new_axes(ax)
    if xd is not None:
        ax.axvspan(float(xd.min()), float(xd.max()), facecolor="0.88", edgecolor="0.6",
                   linewidth=0.8, zorder=0, label=f"fitted data ({xd.min():.2g} to {xd.max():.2g})")
    what = "compute-optimal" if kind == "frontier" else "fit"
    band = None if ens is None else band_label(ens, level)
    draw_curve(ax, xs, est, lower, upper, edge, "C0", what, band)
    if rows is not None:
        for i, row in enumerate(rows.itertuples()):
            color = f"C{(i + 1) % 10}"
            ax.axhline(row.target, color=color, linestyle=":", linewidth=1.2, zorder=2)
            text = f"target {row.target:.4g}: "
            if np.isfinite(row.x):
                text += f"point fit {row.x:.3g}"
                ax.plot([row.x], [row.target], marker="o", color=color, markersize=6, zorder=5)
            else:
                text += "point fit never reaches it"
            if np.isfinite(row.lower) and np.isfinite(row.upper):
                ax.plot([row.lower, row.upper], [row.target, row.target], color=color,
                        linewidth=5, alpha=0.45, solid_capstyle="butt", zorder=4)
                text += f", {100 * level:g}% band {row.lower:.2g} to {row.upper:.2g}"
            if ens is not None and row.reachable < 1.0:
                text += f"; {100 * (1 - row.reachable):.3g}% of replicates never reach it"
            ax.plot([], [], color=color, linewidth=5, alpha=0.45, label=text)
    ax.set_xscale("log")
    ax.set_xlim(xs[0], xs[-1])
    if law.space == "log":
        ax.set_yscale("log")
        plain_log_ticks(ax.yaxis, ax.get_ylim())
    if kind == "frontier":
        ncol, dcol = fit.x_columns
        ax.set_xlabel(axis_label("C", f"compute C = 6 {ncol} {dcol}"))
        ax.set_ylabel(axis_label(fit.y_column, f"{fit.y_column} at the compute-optimal allocation"))
    else:
        ax.set_xlabel(axis_label(fit.x_columns[0]))
        ax.set_ylabel(axis_label(fit.y_column))
    ax.set_title(title if title is not None else f"capability against compute ({law.name})",
                 fontsize="medium")
    place_legend(ax, fontsize="x-small")
    return fig
