"""Matplotlib figures: fits with bootstrap bands, compute-optimal allocation, fan charts.

- :func:`plot_fit`: a fitted law over its data, extrapolated beyond it (with the ensemble's band);
  for chinchilla, loss against compute ``C = 6 N D`` along the compute-optimal frontier.
- :func:`plot_allocation`: compute-optimal ``N_opt`` and ``D_opt`` against compute, with bands.
- :func:`fan_chart`: nested percentile bands of simulated paths (revenue, cash).
- :func:`plot_capability`: capability against compute with the band, the data's range and the
  compute needed for target values; :func:`plot_revenue_cash`: revenue and cash fans side by
  side, one cash panel per commitment policy (both for :mod:`scalinglaws.capex`).

Every function takes data and an optional ``ax`` and returns the :class:`~matplotlib.figure.Figure`
it drew on, so figures compose (draw two fans on one axis) and save with ``fig.savefig(...)``.
Without a display (no ``$DISPLAY`` on Linux, no ``$MPLBACKEND``), the non-interactive Agg
backend is selected before pyplot is first imported.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import matplotlib
import numpy as np

if (
    "matplotlib.pyplot" not in sys.modules
    and not os.environ.get("MPLBACKEND")
    and sys.platform.startswith("linux")
    and not os.environ.get("DISPLAY")
    and not os.environ.get("WAYLAND_DISPLAY")
):
    matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import ticker  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .inputs import check_level, positive_values  # noqa: E402

__all__ = ["fan_chart", "plot_fit", "plot_allocation", "plot_capability", "plot_revenue_cash"]


def _check_quantiles(quantiles: Sequence[float]) -> np.ndarray:
    q = np.asarray(quantiles, dtype=np.float64)
    if q.ndim != 1 or q.size % 2 != 1:
        raise ValueError(f"quantiles must be an odd number of percentiles; got {quantiles!r}")
    if np.any(np.diff(q) <= 0) or q[0] <= 0 or q[-1] >= 100:
        raise ValueError(f"quantiles must increase strictly within (0, 100); got {quantiles!r}")
    if not np.allclose(q + q[::-1], 100.0):
        raise ValueError(
            f"quantiles must be symmetric about the median (q and 100 - q); got {quantiles!r}"
        )
    return q


def fan_chart(
    paths: Any,
    years: Any = None,
    quantiles: Sequence[float] = (5, 25, 50, 75, 95),
    ax: Any = None,
    label: str | None = None,
    log: bool = False,
    color: Any = None,
) -> Figure:
    """Fan chart of simulated paths: nested percentile bands and the median over time.

    ``paths``: array (n_paths, n_times), e.g. revenue or cash from :mod:`scalinglaws.capex`.
    ``years``: x values (default 0..n_times - 1). ``quantiles``: percentiles, symmetric about
    the median (default 5, 25, 50, 75, 95: a 90% band, a 50% band and the median line).
    ``log``: log-scale y axis (all plotted percentiles must then be positive). ``label`` names
    the median line; band labels give their coverage. Returns the Figure.
    """
    arr = np.asarray(paths, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] < 1:
        raise ValueError(f"paths must have shape (n_paths, n_times); got {np.shape(paths)}")
    x = np.arange(arr.shape[1]) if years is None else np.asarray(years)
    if x.shape != (arr.shape[1],):
        raise ValueError(f"years must have length {arr.shape[1]} (one per column); got {x.shape}")
    q = _check_quantiles(quantiles)
    bands = np.percentile(arr, q, axis=0)
    if log and not np.all(bands > 0):
        raise ValueError(
            "log=True needs positive percentiles; cash paths can be negative: use log=False"
        )

    if ax is None:
        fig, ax = plt.subplots(figsize=(6.0, 3.6))
    else:
        fig = ax.figure
    k = q.size // 2
    (median,) = ax.plot(x, bands[k], color=color, linewidth=1.8, zorder=3,
                        label=f"{label} (median)" if label is not None else None)
    color = median.get_color()
    for i in range(k):
        alpha = 0.15 + 0.25 * i / max(k - 1, 1)
        coverage = q[-1 - i] - q[i]
        band_label = f"{label}: {coverage:g}% band" if label is not None else None
        ax.fill_between(x, bands[i], bands[-1 - i], color=color, alpha=alpha, linewidth=0,
                        zorder=2, label=band_label)
    if log:
        ax.set_yscale("log")
    if label is not None:
        ax.legend(frameon=False, fontsize="small")
    ax.set_xlabel("year")
    return fig


# --------------------------------------------------------------------------------------------
# Fits, extrapolations and compute-optimal allocation


def _split(result: Any) -> tuple[Any, Any]:
    """``Fit`` -> (fit, None); ``Ensemble`` -> (its point fit, the ensemble)."""
    from .ensemble import Ensemble
    from .fitting import Fit

    if isinstance(result, Ensemble):
        return result.fit, result
    if isinstance(result, Fit):
        return result, None
    raise TypeError(f"expected a scalinglaws Fit or Ensemble, got {type(result).__name__}")


def _has_allocation(law: Any) -> bool:
    return bool(law.extras) and law.extras.get("allocation") is not None and len(law.inputs) == 2


def fit_plot_kind(law: Any) -> str:
    """What :func:`plot_fit` draws for ``law``: ``"curve"`` (one input) or ``"frontier"``
    (chinchilla-form N, D laws with a compute-optimal allocation); ValueError otherwise."""
    if len(law.inputs) == 1:
        return "curve"
    if _has_allocation(law):
        return "frontier"
    raise ValueError(
        f"plot_fit supports one-input laws (power, loglinear, sigmoid, or a custom law with one input) "
        f"and chinchilla (N, D, drawn against compute C = 6 N D); law {law.name!r} has inputs "
        f"{list(law.inputs)}"
    )


def _fitted_rows(fit: Any) -> tuple[Any, Any]:
    """(rows with positive weight, rows with zero weight) of the fitted table; (None, None)
    for a fit that holds no data (built from parameters)."""
    try:
        data = fit.data
    except AttributeError:
        return None, None
    used = data[fit.weight_column].to_numpy() > 0
    return data[used], data[~used]


def _grid(lo: float | None, hi: float | None, extend_decades: float, n_points: int, x: Any) -> np.ndarray:
    """Log-spaced points from the data's ``lo`` to ``extend_decades`` decades past its ``hi``
    (``hi`` itself included, so the solid and dashed pieces meet), or the given ``x``."""
    if x is not None:
        xs = np.unique(positive_values(x, "x", "for a log axis"))
    else:
        if lo is None:
            raise ValueError("this fit holds no data: pass x= (the points to draw the curve at)")
        if not (np.isfinite(extend_decades) and extend_decades >= 0):
            raise ValueError(f"extend_decades must be >= 0, got {extend_decades}")
        if int(n_points) < 2:
            raise ValueError(f"n_points must be >= 2, got {n_points}")
        xs = np.logspace(np.log10(lo), np.log10(hi) + extend_decades, int(n_points))
    if hi is not None and xs[0] < hi < xs[-1]:
        xs = np.union1d(xs, [hi])
    return xs


def _draw_curve(ax: Any, xs: np.ndarray, est: Any, lower: Any, upper: Any, edge: float | None,
                color: Any, label: str, band_label: str | None) -> None:
    """Estimate solid up to ``edge`` (the data's end) and dashed beyond it; band shaded (lighter
    beyond the data) when ``lower``/``upper`` are given."""
    est = np.asarray(est, dtype=np.float64)
    inside = np.ones(xs.shape, bool) if edge is None else xs <= edge
    beyond = np.zeros(xs.shape, bool) if edge is None else xs >= edge
    if lower is not None:
        lower, upper = np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)
        for part, alpha in ((inside, 0.30), (beyond, 0.15)):
            if part.sum() >= 2:
                ax.fill_between(xs[part], lower[part], upper[part], color=color, alpha=alpha,
                                linewidth=0, zorder=1, label=band_label)
                band_label = None  # one legend entry for the band
    if inside.sum() >= 2:
        ax.plot(xs[inside], est[inside], color=color, linewidth=2, zorder=3, label=label)
    if beyond.sum() >= 2:
        ax.plot(xs[beyond], est[beyond], color=color, linewidth=2, linestyle="--", zorder=3,
                label=f"{label}, extrapolated")


def _edge_line(ax: Any, edge: float | None, xs: np.ndarray, name: str) -> None:
    if edge is not None and xs[0] <= edge <= xs[-1]:
        ax.axvline(edge, color="0.4", linestyle=":", linewidth=1.2, zorder=2,
                   label=f"edge of data ({name} = {edge:.3g})")


def _band_label(ens: Any, level: float) -> str:
    return f"{100 * level:g}% bootstrap band ({int(np.sum(ens.valid))} replicates)"


def _plain_log_ticks(axis: Any, limits: tuple[float, float]) -> None:
    """On a log axis spanning less than a decade (losses from 1.9 to 3.5), label ticks 2, 3
    rather than 2x10^0, 3x10^0."""
    lo, hi = sorted(limits)
    if not (lo > 0 and hi / lo < 10.0):
        return
    keep = None if hi / lo < 4.0 else (1, 2, 3, 5)  # wider spans: label fewer minor ticks

    def minor(v: float, _pos: Any) -> str:
        if v <= 0:
            return ""
        lead = int(round(v / 10.0 ** np.floor(np.log10(v))))
        return f"{v:.3g}" if keep is None or lead in keep else ""

    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: f"{v:.3g}"))
    axis.set_minor_formatter(ticker.FuncFormatter(minor))


def _axes(ax: Any, figsize: tuple[float, float] = (6.4, 4.2)) -> tuple[Figure, Any]:
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fig, ax
    return ax.figure, ax


def _data_x(fit: Any, used: Any, kind: str) -> np.ndarray | None:
    """The fitted rows' x (one-input laws) or compute ``C = 6 N D`` (chinchilla); None without data."""
    if used is None:
        return None
    if kind == "curve":
        col = fit.x_columns[0]
        return positive_values(used[col], f"column {col!r} (x)", "for a log axis")
    ncol, dcol = fit.x_columns
    n = positive_values(used[ncol], f"column {ncol!r}", "for a log axis")
    return 6.0 * n * positive_values(used[dcol], f"column {dcol!r}", "for a log axis")


def _curve_values(fit: Any, ens: Any, level: float, xs: np.ndarray) -> tuple[np.ndarray, Any, Any]:
    """(estimate, lower, upper) of a one-input law at ``xs``; no band for a point fit."""
    col = fit.x_columns[0]
    if ens is None:
        return np.asarray(fit.predict(**{col: xs}), dtype=np.float64), None, None
    t = ens.predict(level=level, **{col: xs})
    return t["estimate"].to_numpy(), t["lower"].to_numpy(), t["upper"].to_numpy()


def _frontier_values(fit: Any, ens: Any, level: float, Cs: np.ndarray) -> tuple[np.ndarray, Any, Any]:
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
    level: float = 0.9,
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

    ``x``: the points (x, or C for chinchilla) to draw the curve at instead of the default
    ``n_points`` log-spaced ones; needed for a fit that holds no data. ``show_data``: draw the
    fitted points. ``title``: default the law's name and formula. Other multi-input laws raise
    ValueError. Returns the Figure.
    """
    fit, ens = _split(result)
    law = fit.law
    kind = fit_plot_kind(law)
    if ens is not None:
        level = check_level(level)
    used, dropped = _fitted_rows(fit)
    xd = _data_x(fit, used, kind)
    hi = None if xd is None else float(xd.max())
    xs = _grid(None if xd is None else float(xd.min()), hi, extend_decades, n_points, x)
    est, lower, upper = (_curve_values if kind == "curve" else _frontier_values)(fit, ens, level, xs)
    fig, ax = _axes(ax)  # after every check, so a refused call leaves no open figure
    band = None if ens is None else _band_label(ens, level)
    if kind == "curve":
        xcol = fit.x_columns[0]
        if show_data and used is not None:
            _scatter_points(ax, fit, used, dropped)
        _draw_curve(ax, xs, est, lower, upper, hi, "C0", "fit", band)
        _edge_line(ax, hi, xs, xcol)
        ax.set_xlabel(xcol)
    else:
        ncol, dcol = fit.x_columns
        if show_data and used is not None:
            _scatter_runs(fig, ax, fit, used, xd)
        _draw_curve(ax, xs, est, lower, upper, hi, "C0", "compute-optimal frontier", band)
        _edge_line(ax, hi, xs, "C")
        ax.set_xlabel(f"compute C = 6 {ncol} {dcol} [FLOP]")
    ax.set_xscale("log")
    if law.space == "log":
        ax.set_yscale("log")
        _plain_log_ticks(ax.yaxis, ax.get_ylim())
    ax.set_ylabel(fit.y_column)
    if title is None:
        title = f"{law.name}: {law.formula}" if law.formula else law.name
    ax.set_title(title, fontsize="medium")
    ax.legend(frameon=False, fontsize="small")
    return fig


def plot_allocation(result: Any, C: Any, level: float = 0.9, ax: Any = None, title: str | None = None) -> Figure:
    """Compute-optimal model size ``N_opt`` and tokens ``D_opt`` against compute, log-log.

    ``result``: a chinchilla-form :class:`~scalinglaws.fitting.Fit` or
    :class:`~scalinglaws.ensemble.Ensemble` (then with ``level`` bands). ``C``: the budgets a
    planner asks about [FLOP]; the lines run over their range (one decade either side of a single
    budget) and the budgets themselves are marked. The subtitle says how far the largest budget
    lies beyond the fitted data. Returns the Figure.
    """
    fit, ens = _split(result)
    law = fit.law
    if not _has_allocation(law):
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
    fig, ax = _axes(ax)
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
    ax.set_xlabel("compute C [FLOP]")
    ax.set_ylabel("compute-optimal size")
    used, _ = _fitted_rows(fit)
    sub = ""
    if used is not None and len(used):
        cmax = float(np.max(6.0 * used[ncol].to_numpy() * used[dcol].to_numpy()))
        beyond = np.log10(budgets[-1] / cmax)
        sub = f"\nfitted runs reach C = {cmax:.3g}" + (
            f"; largest budget {beyond:.1f} orders of magnitude beyond" if beyond > 0 else "")
        if Cs[0] <= cmax <= Cs[-1]:
            ax.axvline(cmax, color="0.4", linestyle=":", linewidth=1.2, label="edge of data")
    if title is None:
        title = f"compute-optimal allocation ({law.name})"
    ax.set_title(title + sub, fontsize="medium")
    ax.legend(frameon=False, fontsize="small")
    return fig


# --------------------------------------------------------------------------------------------
# Capex: capability against compute, revenue and cash fans


def _target_rows(fit: Any, ens: Any, targets: Any, level: float) -> Any:
    """``compute_for`` of each target: columns target, x (point fit), lower, upper, reachable."""
    import pandas as pd

    from .extrapolate import inverse_input

    t = np.atleast_1d(np.asarray(targets, dtype=np.float64))
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)):
        raise ValueError(f"targets must be finite numbers; got {targets!r}")
    name = inverse_input(fit.law)
    if ens is None:
        r = fit.compute_for(t)
        return pd.DataFrame({"target": t, "x": r[name].to_numpy(), "lower": np.nan,
                             "upper": np.nan, "reachable": r["reachable"].astype(float).to_numpy()})
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "All-NaN slice", RuntimeWarning)
        r = ens.compute_for(t, level=level)
    return pd.DataFrame({"target": t, "x": r[name].to_numpy(), "lower": r[f"{name}_lower"].to_numpy(),
                         "upper": r[f"{name}_upper"].to_numpy(),
                         "reachable": r["reachable_fraction"].to_numpy()})


def plot_capability(
    result: Any,
    C_range: Any = None,
    level: float = 0.9,
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
    fit, ens = _split(result)
    law = fit.law
    kind = fit_plot_kind(law)
    level = check_level(level)
    used, _ = _fitted_rows(fit)
    xd = _data_x(fit, used, kind)
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
    est, lower, upper = (_curve_values if kind == "curve" else _frontier_values)(fit, ens, level, xs)
    fig, ax = _axes(ax)
    if xd is not None:
        ax.axvspan(float(xd.min()), float(xd.max()), facecolor="0.88", edgecolor="0.6",
                   linewidth=0.8, zorder=0, label=f"fitted data ({xd.min():.2g} to {xd.max():.2g})")
    what = "compute-optimal" if kind == "frontier" else "fit"
    band = None if ens is None else _band_label(ens, level)
    _draw_curve(ax, xs, est, lower, upper, edge, "C0", what, band)
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
        _plain_log_ticks(ax.yaxis, ax.get_ylim())
    if kind == "frontier":
        ncol, dcol = fit.x_columns
        ax.set_xlabel(f"compute C = 6 {ncol} {dcol} [FLOP]")
        ax.set_ylabel(f"{fit.y_column} at the compute-optimal allocation")
    else:
        ax.set_xlabel(fit.x_columns[0])
        ax.set_ylabel(fit.y_column)
    ax.set_title(title if title is not None else f"capability against compute ({law.name})",
                 fontsize="medium")
    ax.legend(frameon=False, fontsize="x-small", loc="upper right")
    return fig


def _symlog_ticks(linthresh: float, bound: float) -> list[float]:
    """0 and +-10^k for the decades from ``linthresh`` to ``bound`` (every other one if many)."""
    if not (linthresh > 0 and bound > linthresh):
        return [0.0]
    decades = np.arange(np.ceil(np.log10(linthresh)), np.floor(np.log10(bound)) + 1)
    if decades.size > 4:
        decades = decades[(decades - decades[-1]) % 2 == 0]
    pos = [float(10.0 ** k) for k in decades]
    return [-v for v in pos[::-1]] + [0.0] + pos


def plot_revenue_cash(
    revenue: Any,
    results: Any,
    planned: Any = None,
    years: Any = None,
    unit: str = "",
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Revenue fan chart (with the plan) next to one cash fan chart per commitment policy.

    ``revenue``: (n, years + 1) paths (:func:`scalinglaws.capex.simulate_revenue`);
    ``results``: a mapping ``{title: CashResult}`` (:func:`scalinglaws.capex.simulate_cash`),
    drawn left to right, each titled with its probability of ruin; ``planned``: the plan's
    revenue (:func:`scalinglaws.capex.planned_revenue`), dotted. Cash is drawn on a
    symmetric-log axis (linear within today's revenue of zero) with a line at zero, since ruin
    is cash below it. ``unit`` labels the y axes (e.g. "$"). Returns the Figure.
    """
    arr = np.asarray(revenue, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise ValueError(f"revenue must have shape (n, years + 1); got {np.shape(revenue)}")
    items = list(dict(results).items())
    if not items:
        raise ValueError("results must hold at least one CashResult")
    x = np.arange(arr.shape[1]) if years is None else np.asarray(years)
    n = 1 + len(items)
    fig, axes = plt.subplots(1, n, figsize=figsize or (3.6 * n, 3.4), layout="constrained")
    suffix = f" [{unit}]" if unit else ""
    fan_chart(arr, years=x, ax=axes[0], label="revenue", log=True)
    if planned is not None:
        axes[0].plot(x, np.asarray(planned, dtype=np.float64), "k:", linewidth=1.5, label="plan")
    axes[0].legend(frameon=False, fontsize="x-small")
    axes[0].set_ylabel(f"revenue per year{suffix}")
    axes[0].set_title("revenue", fontsize="medium")
    linthresh = float(np.median(arr[:, 0]))
    bound = max(float(np.max(np.abs(np.percentile(r.cash, [5, 95], axis=0)))) for _, r in items)
    for i, (name, result) in enumerate(items):
        ax = axes[i + 1]
        fan_chart(result.cash, years=x, ax=ax, label="cash", color=f"C{3 if i == 0 else i - 1}")
        ax.axhline(0.0, color="k", linewidth=0.8)
        ax.set_yscale("symlog", linthresh=linthresh)
        ax.set_ylim(-1.3 * bound, 1.3 * bound)
        ax.yaxis.set_major_locator(ticker.FixedLocator(_symlog_ticks(linthresh, 1.3 * bound)))
        ax.yaxis.set_minor_locator(ticker.NullLocator())
        ax.set_title(f"{name}: P(ruin) = {result.prob_ruin:.3f}", fontsize="medium")
        ax.legend(frameon=False, fontsize="x-small", loc="upper left")
    axes[1].set_ylabel(f"cash{suffix}")
    for ax in axes:
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    return fig
