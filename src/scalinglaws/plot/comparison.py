"""A law comparison as a figure (:func:`plot_comparison`): a panel per rolling-origin fold with
every law's extrapolation against the held-out points, and a panel of each law's
cross-validated error with its band."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.ticker import NullFormatter

from ..compare import LawComparison
from .style import Figure, axis_label, figure_legend, plt, wrap_title

__all__ = ["plot_comparison"]


def plot_comparison(result: LawComparison, ncols: int = 3, n_points: int = 200, title: str | None = None) -> Figure:
    """A matplotlib Figure. Where every law takes the split column as its one input, each fold's
    panel shows the rows fitted (filled), the rows held out (hollow) and each law's fold fit,
    solid up to the cut-off and dashed beyond it; otherwise each held-out row's error against
    the split column, a line per law. The last panel: each law's ``cv_rmse`` with its band,
    best first. Needs the comparison's fold fits (a reloaded comparison has only the tables: its
    fold panels show the held-out errors)."""
    if not isinstance(result, LawComparison):
        raise TypeError(f"plot_comparison draws a LawComparison, got {type(result).__name__}")
    folds = list(dict.fromkeys(result.folds["fold"]))
    curves = (bool(result.fold_fits) and result.data is not None
              and all(cols == (result.by,) for cols in result.x_columns.values()))
    n = len(folds) + 1
    nc = min(ncols, n)
    nr = math.ceil(n / nc)
    fig, axes = plt.subplots(nr, nc, figsize=(4.3 * nc, 3.5 * nr), layout="constrained", squeeze=False)
    colors = {law: f"C{i % 10}" for i, law in enumerate(result.laws)}
    for ax, fold in zip(axes.ravel(), folds):
        if curves:
            _curve_panel(result, ax, fold, colors, n_points)
        else:
            _error_panel(result, ax, fold, colors)
    _score_panel(result, axes.ravel()[len(folds)], colors)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    figure_legend(fig, axes.ravel()[0], ncol=len(result.laws) + 3)  # below the panels, over no data
    fig.suptitle(wrap_title(title or f"which law extrapolates {result.y_column} best: rolling-origin folds in "
                                     f"{result.by}", 40 * nc), fontsize="medium")
    return fig


def _curve_panel(result, ax, fold, colors, n_points):
    rows = result.folds[result.folds["fold"] == fold].iloc[0]
    data, x, y = result.data, result.by, result.y_column
    cut, end = float(rows["cutoff"]), float(rows["end"])
    fitted = data[data[x] < cut]
    held = data[(data[x] >= cut) & (data[x] < end)]
    later = data[data[x] >= end]
    lo, hi = float(data[x].min()), float(data[x].max())
    logx = lo > 0
    xs = np.logspace(np.log10(lo), np.log10(hi), n_points) if logx else np.linspace(lo, hi, n_points)
    xs = np.union1d(xs, [cut])
    for law in result.laws:
        fit = result.fold_fits[law][fold]
        pred = np.asarray(fit.predict(**{x: xs}))
        inner = xs <= cut
        ax.plot(xs[inner], pred[inner], color=colors[law], linewidth=1.6, label=law)
        ax.plot(xs[~inner | (xs == cut)], pred[~inner | (xs == cut)], color=colors[law], linewidth=1.6,
                linestyle="--")
    ax.scatter(fitted[x], fitted[y], s=9, color="k", zorder=4, label=f"fitted ({len(fitted)})")
    ax.scatter(held[x], held[y], s=16, facecolors="none", edgecolors="C3", zorder=4, label=f"held out ({len(held)})")
    if len(later):
        ax.scatter(later[x], later[y], s=7, color="0.75", zorder=3, label="later folds")
    ax.axvline(cut, color="0.4", linestyle=":", linewidth=1)
    if logx:
        ax.set_xscale("log")
    if result.space == "log":
        ax.set_yscale("log")
    ax.set_xlabel(axis_label(x))
    ax.set_ylabel(axis_label(y))
    ax.set_title(f"{fold}: fitted below {cut:.3g}", fontsize="small")


def _error_panel(result, ax, fold, colors):
    pts = result.points[result.points["fold"] == fold]
    logx = bool((pts[result.by] > 0).all())
    n = len(result.laws)
    for i, law in enumerate(result.laws):
        p = pts[pts["law"] == law]
        # laws side by side at each held-out value of the split column (rows often share one: isoFLOPs)
        shift = (i - (n - 1) / 2) * 0.04
        xv = p[result.by].to_numpy(float) * (10**shift if logx else 1.0)
        ax.scatter(xv, p["error"], s=14, alpha=0.8, color=colors[law], label=law)
    ax.axhline(0.0, color="0.4", linestyle=":", linewidth=1)
    if logx:
        ax.set_xscale("log")
        lo, hi = float(pts[result.by].min()), float(pts[result.by].max())
        ax.set_xlim(lo / 10**0.5, hi * 10**0.5)  # at least a decade: a single held-out budget is common
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(axis_label(result.by, f"{result.by} (held out)"))
    ax.set_ylabel("log(predicted / observed)" if result.space == "log" else
                  axis_label(result.y_column, "predicted - observed"))
    rows = result.folds[result.folds["fold"] == fold].iloc[0]
    ax.set_title(f"{fold}: fitted below {float(rows['cutoff']):.3g}", fontsize="small")


def _score_panel(result, ax, colors):
    r = result.ranking
    names = list(r.index)
    pos = np.arange(len(names))
    est = r["cv_rmse"].to_numpy(float)
    err = np.vstack([est - r["cv_rmse_lower"].to_numpy(float), r["cv_rmse_upper"].to_numpy(float) - est]).clip(min=0)
    ax.errorbar(pos, est, yerr=err, fmt="none", ecolor="0.3", capsize=3, linewidth=1)
    ax.scatter(pos, est, s=30, c=[colors[n] for n in names], zorder=3)
    ax.set_xticks(pos, [f"{n}\n({int(r.loc[n, 'n_params'])} p)" for n in names], fontsize="small")
    ax.set_ylabel("held-out RMSE" + (" (log ratio)" if result.space == "log" else ""))
    if np.all(est > 0) and est.max() / est.min() > 20:
        ax.set_yscale("log")
    ax.set_title(f"cross-validated error, {100 * result.level:g}% band; best {result.best}", fontsize="small")
