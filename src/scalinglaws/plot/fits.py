"""Fits and ensembles as figures: :func:`plot_fit` (the law over its data, extrapolated, with the
ensemble's band; for chinchilla-form laws, loss along the compute-optimal frontier) and
:func:`plot_allocation` (compute-optimal ``N_opt`` and ``D_opt`` against compute, with bands)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..compute import training_compute
from ..ensemble import Ensemble
from ..fitting import Fit
from ..inputs import check_level, positive_values
from ..intervals import DEFAULT_LEVEL
from .style import (
    Figure, axis_label, band_label, clip_rate, draw_curve, edge_line, is_rate, log_grid, new_axes, place_legend,
    plain_log_ticks,
)

__all__ = ["plot_fit", "plot_allocation", "fit_plot_kind", "split_result", "fitted_rows", "data_x",
           "curve_values", "frontier_values"]


def split_result(result: Any) -> tuple[Any, Any]:
    """``Fit`` -> (fit, None); ``Ensemble`` -> (its point fit, the ensemble)."""
    if isinstance(result, Ensemble):
        return result.fit, result
    if isinstance(result, Fit):
        return result, None
    raise TypeError(f"expected a scalinglaws Fit or Ensemble, got {type(result).__name__}")


def fit_plot_kind(law: Any) -> str:
    """What :func:`plot_fit` draws for ``law``: ``"curve"`` (one input), ``"frontier"``
    (chinchilla-form N, D laws with a compute-optimal allocation) or ``"curves"`` (other laws of
    several inputs, such as data_constrained's N, D, U: the target against the input that varies
    most, one curve per combination of the others)."""
    if len(law.inputs) == 1:
        return "curve"
    if law.has_allocation:
        return "frontier"
    return "curves"


MAX_CURVES = 8
"""``plot_fit`` of a law of several inputs draws at most this many curves (the most populated
combinations of the other inputs), so the figure stays legible."""


def fitted_rows(fit: Any) -> tuple[Any, Any]:
    """(rows with positive weight, rows with zero weight) of the fitted table; (None, None)
    for a fit that holds no data (built from parameters)."""
    if not fit.has_data:
        return None, None
    data = fit.data
    used = data[fit.weight_column].to_numpy() > 0
    return data[used], data[~used]


def data_x(fit: Any, used: Any, kind: str) -> np.ndarray | None:
    """The fitted rows' x (one-input laws) or compute ``C = 6 N D`` (chinchilla); None without data."""
    if used is None:
        return None
    if kind == "curve":
        col = fit.x_columns[0]
        if not fit.law.log_inputs:
            return used[col].to_numpy(dtype=np.float64)
        return positive_values(used[col], f"column {col!r} (x)", "for a log axis")
    ncol, dcol = fit.x_columns
    n = positive_values(used[ncol], f"column {ncol!r}", "for a log axis")
    return training_compute(n, positive_values(used[dcol], f"column {dcol!r}", "for a log axis"))


def curve_values(fit: Any, ens: Any, level: float, xs: np.ndarray) -> tuple[np.ndarray, Any, Any]:
    """(estimate, lower, upper) of a one-input law at ``xs``; no band for a point fit."""
    col = fit.x_columns[0]
    if ens is None:
        return np.asarray(fit.predict(**{col: xs}), dtype=np.float64), None, None
    t = ens.predict(level=level, **{col: xs})
    return t["estimate"].to_numpy(), t["lower"].to_numpy(), t["upper"].to_numpy()


def frontier_values(fit: Any, ens: Any, level: float, Cs: np.ndarray) -> tuple[np.ndarray, Any, Any]:
    """(loss, lower, upper) at the compute-optimal allocation of each budget in ``Cs``."""
    if ens is None:
        return fit.compute_optimal(Cs)["loss"].to_numpy(), None, None
    t = ens.compute_optimal(Cs, level=level)
    return t["loss"].to_numpy(), t["loss_lower"].to_numpy(), t["loss_upper"].to_numpy()


def _scatter_points(ax: Any, fit: Any, used: Any, dropped: Any) -> None:
    """The fitted points (y against x); rows with weight 0 hollow."""
    xcol, ycol = fit.x_columns[0], fit.y_column
    ax.scatter(used[xcol], used[ycol], s=16, color="k", alpha=0.75, zorder=4, label=f"data ({len(used)} points)")
    if len(dropped):
        ax.scatter(dropped[xcol], dropped[ycol], s=16, facecolors="none", edgecolors="0.5", zorder=4,
                   label=f"weight 0, not fitted ({len(dropped)})")


def _scatter_runs(fig: Figure, ax: Any, fit: Any, used: Any, C: np.ndarray) -> None:
    """Chinchilla runs: loss against compute, coloured by log10 N, with a colorbar."""
    ncol = fit.x_columns[0]
    sc = ax.scatter(C, used[fit.y_column], c=np.log10(used[ncol].to_numpy()), cmap="viridis", s=16, alpha=0.85,
                    zorder=4, label=f"runs ({len(used)})")
    fig.colorbar(sc, ax=ax).set_label(f"log10 {ncol}")


def plot_fit(
    result: Any,
    level: float = DEFAULT_LEVEL,
    extend_decades: float = 2.0,
    ax: Any = None,
    x: Any = None,
    n_points: int = 200,
    show_data: bool = True,
    title: str | None = None,
) -> Figure:
    """A fitted law over its data and beyond, with the bootstrap band of an ensemble.

    ``result``: a :class:`~scalinglaws.fitting.Fit` or an :class:`~scalinglaws.ensemble.Ensemble`
    (then the ``level`` band from ``ens.predict`` / ``ens.compute_optimal`` is shaded).

    - One-input laws (power, loglinear, sigmoid, custom): the data (y against x, log x axis; log
      y axis for loss laws) and the fitted curve from the data's smallest x to ``extend_decades``
      orders of magnitude past its largest, solid over the data and dashed beyond; a dotted
      vertical line marks the edge of the data. Rows with zero weight are drawn hollow.
    - chinchilla (N, D): loss against compute ``C = 6 N D``, the runs coloured by log10 N, and
      the loss along the compute-optimal frontier (``compute_optimal(C)``) from the data's
      smallest C to ``extend_decades`` decades past its largest.
    - Other laws of several inputs (data_constrained: N, D, U): the target against tokens D (or
      the input with the most distinct values), one curve with its band per combination of the
      other inputs in the data (the :data:`MAX_CURVES` most populated).
    - A law that reads its input unlogged (error_from_loss: a loss) is drawn on a linear axis,
      a quarter of the data's span beyond each end (:data:`LINEAR_EXTEND`), not decades.
    - Observed values all within [0, 1] (an error, a pass rate): the curve and band are drawn
      within [0, 1].

    Axes carry units where the column has a known one (:data:`~.style.UNITS`: loss in
    nats/token, compute in FLOP). ``x``: the points (x, or C for chinchilla) to draw the curve
    at instead of the default ``n_points`` ones; needed for a fit that holds no data.
    ``show_data``: draw the fitted points. ``title``: default the law's name and formula.
    Returns the Figure.
    """
    fit, ens = split_result(result)
    law = fit.law
    kind = fit_plot_kind(law)
    if ens is not None:
        level = check_level(level)
    if kind == "curves":
        return _plot_curves(fit, ens, level, extend_decades, ax, n_points, show_data, title)
    used, dropped = fitted_rows(fit)
    xd = data_x(fit, used, kind)
    linear = kind == "curve" and not law.log_inputs
    hi = None if xd is None else float(xd.max())
    start = None
    if linear:
        xs, start = _linear_grid(xd, n_points, x)
    else:
        xs = log_grid(None if xd is None else float(xd.min()), hi, extend_decades, n_points, x)
    est, lower, upper = (curve_values if kind == "curve" else frontier_values)(fit, ens, level, xs)
    rate = used is not None and is_rate(used[fit.y_column])
    if rate:
        est, lower, upper = clip_rate(est, lower, upper)
    fig, ax = new_axes(ax)  # after every check, so a refused call leaves no open figure
    band = None if ens is None else band_label(ens, level)
    if kind == "curve":
        xcol = fit.x_columns[0]
        if show_data and used is not None:
            _scatter_points(ax, fit, used, dropped)
        draw_curve(ax, xs, est, lower, upper, hi, "C0", "fit", band, start=start)
        edge_line(ax, hi, xs, xcol)
        if start is not None:
            edge_line(ax, start, xs, xcol)
        ax.set_xlabel(axis_label(xcol))
    else:
        ncol, dcol = fit.x_columns
        if show_data and used is not None:
            _scatter_runs(fig, ax, fit, used, xd)
        draw_curve(ax, xs, est, lower, upper, hi, "C0", "compute-optimal frontier", band)
        edge_line(ax, hi, xs, "C")
        ax.set_xlabel(axis_label("C", f"compute C = 6 {ncol} {dcol}"))
    if not linear:
        ax.set_xscale("log")
    if law.space == "log":
        ax.set_yscale("log")
        plain_log_ticks(ax.yaxis, ax.get_ylim())
    if rate:
        ax.set_ylim(max(ax.get_ylim()[0], -0.02), min(ax.get_ylim()[1], 1.02))
    ax.set_ylabel(axis_label(fit.y_column))
    if title is None:
        title = f"{law.name}: {law.formula}" if law.formula else law.name
    ax.set_title(title, fontsize="medium")
    place_legend(ax)
    return fig


LINEAR_EXTEND = 0.25
"""A law that reads its input as it is (error_from_loss: a loss, already a log quantity) is drawn
on a linear axis over its data and a quarter of the data's span beyond each end: decades of
extension, right for compute, would reach losses no model has."""


def _linear_grid(xd: np.ndarray | None, n_points: int, x: Any) -> tuple[np.ndarray, float | None]:
    """(points, the data's start) for a linear input axis."""
    if x is not None:
        return np.unique(np.asarray(x, dtype=np.float64)), None
    if xd is None:
        raise ValueError("this fit holds no data: pass x= (the points to draw the curve at)")
    lo, hi = float(xd.min()), float(xd.max())
    pad = LINEAR_EXTEND * (hi - lo)
    left = lo - pad if lo - pad > 0 or lo <= 0 else lo / 2  # a positive input stays positive
    xs = np.union1d(np.linspace(left, hi + pad, int(n_points)), [lo, hi])
    return xs, lo


def _plot_curves(fit, ens, level, extend_decades, ax, n_points, show_data, title) -> Figure:
    """A law of several inputs without an allocation (data_constrained: N, D, U): the target
    against the input that varies most in the data, one curve per combination of the others
    (the :data:`MAX_CURVES` most populated), each with its band."""
    used, _ = fitted_rows(fit)
    if used is None:
        raise ValueError(f"plot_fit draws a {fit.law.name} fit against its data; this fit holds none")
    cols = list(fit.x_columns)
    if "D" in fit.law.inputs:  # tokens seen: loss falls along them at fixed model and unique data
        xcol = cols[list(fit.law.inputs).index("D")]
    else:
        xcol = max(cols, key=lambda c: used[c].nunique())
    others = [c for c in cols if c != xcol]
    groups = used.groupby(others, sort=True)
    keys = sorted(groups.groups, key=lambda k: -len(groups.groups[k]))[:MAX_CURVES]
    fig, ax = new_axes(ax, figsize=(7.2, 4.6))
    band = None if ens is None else band_label(ens, level)
    for i, key in enumerate(sorted(keys)):
        rows = groups.get_group(key)
        key = key if isinstance(key, tuple) else (key,)
        xv = positive_values(rows[xcol], f"column {xcol!r}", "for a log axis")
        hi = float(xv.max())
        xs = log_grid(float(xv.min()), hi, extend_decades, n_points, None)
        inputs = {xcol: xs, **{c: np.full(xs.shape, float(v)) for c, v in zip(others, key)}}
        if ens is None:
            est, lower, upper = np.asarray(fit.predict(**inputs), dtype=np.float64), None, None
        else:
            t = ens.predict(level=level, **inputs)
            est, lower, upper = t["estimate"].to_numpy(), t["lower"].to_numpy(), t["upper"].to_numpy()
        name = ", ".join(f"{c}={v:.3g}" for c, v in zip(others, key))
        color = f"C{i % 10}"
        if show_data:
            ax.scatter(rows[xcol], rows[fit.y_column], s=14, color=color, zorder=4)
        draw_curve(ax, xs, est, lower, upper, hi, color, name, band if i == 0 else None,
                   dashed_label="extrapolated (dashed)" if i == 0 else None)
    ax.set_xscale("log")
    if fit.law.space == "log":
        ax.set_yscale("log")
        plain_log_ticks(ax.yaxis, ax.get_ylim())
    ax.set_xlabel(axis_label(xcol))
    ax.set_ylabel(axis_label(fit.y_column))
    shown = f"; {len(keys)} of {groups.ngroups} ({', '.join(others)}) combinations" if groups.ngroups > len(keys) else ""
    ax.set_title(title if title is not None else f"{fit.law.name}: {fit.y_column} against {xcol}{shown}",
                 fontsize="medium")
    # Many curves: the legend beside the axes, where it covers none of them.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize="x-small")
    return fig


def plot_allocation(result: Any, C: Any, level: float = DEFAULT_LEVEL, ax: Any = None, title: str | None = None) -> Figure:
    """Compute-optimal model size ``N_opt`` and tokens ``D_opt`` against compute, log-log.

    ``result``: a chinchilla-form :class:`~scalinglaws.fitting.Fit` or
    :class:`~scalinglaws.ensemble.Ensemble` (then with ``level`` bands). ``C``: the budgets a
    planner asks about [FLOP]; the lines run over their range (one decade either side of a single
    budget) and the budgets themselves are marked. The subtitle says how far the largest budget
    lies beyond the fitted data. Returns the Figure.
    """
    fit, ens = split_result(result)
    law = fit.law
    if not law.has_allocation:
        raise ValueError(
            f"plot_allocation needs a law with a compute-optimal allocation of C = 6 N D (chinchilla); "
            f"law {law.name!r} has none"
        )
    if ens is not None:
        level = check_level(level)
    budgets = np.unique(positive_values(C, "C", "for a log axis"))
    lo, hi = float(budgets[0]), float(budgets[-1])
    if lo == hi:
        lo, hi = lo / 10.0, hi * 10.0
    Cs = np.union1d(np.logspace(np.log10(lo), np.log10(hi), 100), budgets)
    t = ens.compute_optimal(Cs, level=level) if ens is not None else fit.compute_optimal(Cs)
    fig, ax = new_axes(ax)
    at = np.isin(Cs, budgets)
    ncol, dcol = fit.x_columns
    band_label = None if ens is None else f"{100 * level:g}% bootstrap band"
    for name, color, label in (("N_opt", "C0", f"N_opt ({ncol}, parameters)"),
                               ("D_opt", "C1", f"D_opt ({dcol}, tokens)")):
        v = t[name].to_numpy()
        if ens is not None:
            ax.fill_between(Cs, t[f"{name}_lower"], t[f"{name}_upper"], color=color, alpha=0.25,
                            linewidth=0, zorder=1, label=f"{name}: {band_label}")
        ax.plot(Cs, v, color=color, linewidth=2, zorder=3, label=label)
        ax.scatter(Cs[at], v[at], color=color, s=28, zorder=4)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(axis_label("C", "compute C"))
    ax.set_ylabel("compute-optimal size [parameters N, tokens D]")
    used, _ = fitted_rows(fit)
    sub = ""
    if used is not None and len(used):
        cmax = float(np.max(training_compute(used[ncol].to_numpy(), used[dcol].to_numpy())))
        beyond = np.log10(budgets[-1] / cmax)
        sub = f"\nfitted runs reach C = {cmax:.3g}" + (
            f"; largest budget {beyond:.1f} orders of magnitude beyond" if beyond > 0 else "")
        if Cs[0] <= cmax <= Cs[-1]:
            ax.axvline(cmax, color="0.4", linestyle=":", linewidth=1.2, label="edge of data")
    if title is None:
        title = f"compute-optimal allocation ({law.name})"
    ax.set_title(title + sub, fontsize="medium")
    place_legend(ax)
    return fig
