"""An extrapolation check as a figure (:func:`plot_validation`): for one-input laws a panel per
fit, fitted points filled and held-out points hollow, the band solid over the fitted range and
dashed beyond it; for other laws, held-out observed against predicted."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..validate import ExtrapolationValidation
from .style import Figure, axis_label, figure_legend, place_legend, plain_log_ticks, plt, wrap_title

__all__ = ["plot_validation"]


def plot_validation(result: ExtrapolationValidation, ncols: int = 3, n_points: int = 200,
                    title: str | None = None) -> Figure:
    """A matplotlib Figure: one-input laws, one panel per fit (fitted points filled, held-out
    points hollow, the fit with its band, solid over the fitted range and dashed beyond, the
    split as a dotted line); other laws (or leave-one-group-out), held-out observed against
    predicted with the band as error bars."""
    curves = len(result.law.inputs) == 1 and result.by == result.x_columns[0] and \
        not result.holdout.startswith("group:") and result.data is not None
    if not curves:
        fig, ax = plt.subplots(figsize=(5.2, 4.6), layout="constrained")
        _parity(result, ax)
        ax.set_title(wrap_title(title or f"{result.law.name}: held-out {result.y_column}, observed vs predicted", 60),
                     fontsize="medium")
        return fig
    keys = list(result.fits)
    n = len(keys)
    nc = min(ncols, n)
    nr = math.ceil(n / nc)
    fig, axes = plt.subplots(nr, nc, figsize=(4.2 * nc, 3.4 * nr), layout="constrained", squeeze=False)
    for ax, key in zip(axes.ravel(), keys):
        _curve_panel(result, ax, key, n_points)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    figure_legend(fig, axes.ravel()[0])  # below the panels, over no panel's data
    fig.suptitle(wrap_title(title or f"{result.law.name}: fitted below the split, scored above it "
                                     f"({100 * result.level:g}% bootstrap band)", 40 * nc), fontsize="medium")
    return fig


def _curve_panel(result, ax, key, n_points):
    group = key[0]
    fit, ens = result.fits[key], result.ensembles.get(key)
    xcol, ycol = result.x_columns[0], result.y_column
    sub, held = result.subset(key), result.heldout(key)
    fitted = fit.data
    lo = float(min(fitted[xcol].min(), held[xcol].min()))
    hi_fit = float(fitted[xcol].max())
    hi = float(max(sub[xcol].max(), held[xcol].max()))
    logx = bool(result.law.log_inputs) and lo > 0
    xs = np.logspace(np.log10(lo), np.log10(hi), n_points) if logx else np.linspace(lo, hi, n_points)
    xs = np.union1d(xs, [hi_fit])
    if ens is not None:
        b = ens.predict(level=result.level, **{xcol: xs})
        est, lower, upper = b["estimate"].to_numpy(), b["lower"].to_numpy(), b["upper"].to_numpy()
    else:
        est, lower, upper = np.asarray(fit.predict(**{xcol: xs})), None, None
    inner, outer = xs <= hi_fit, xs >= hi_fit
    if lower is not None:
        ax.fill_between(xs[inner], lower[inner], upper[inner], color="C0", alpha=0.3, linewidth=0,
                        label=f"{100 * result.level:g}% band")
        ax.fill_between(xs[outer], lower[outer], upper[outer], color="C0", alpha=0.15, linewidth=0)
    ax.plot(xs[inner], est[inner], color="C0", linewidth=1.8, label="fit")
    ax.plot(xs[outer], est[outer], color="C0", linewidth=1.8, linestyle="--", label="extrapolated")
    ax.scatter(fitted[xcol], fitted[ycol], s=10, color="k", zorder=4, label=f"fitted ({len(fitted)})")
    colors = np.where(held["inside"].fillna(False).to_numpy(bool), "C2", "C3")
    ax.scatter(held[xcol], held[ycol], s=14, facecolors="none", edgecolors=colors, zorder=4,
               label=f"held out ({len(held)}; green inside band)")
    ax.axvline(hi_fit, color="0.4", linestyle=":", linewidth=1)
    if logx:
        ax.set_xscale("log")
    if result.law.space == "log":
        ax.set_yscale("log")
    ax.set_xlabel(axis_label(xcol))
    ax.set_ylabel(axis_label(ycol))
    label = "" if group == "all" else f"{result.group_column} = {group}"
    score = (f"median |err| {held['abs_error'].median():.3g}"
             + (f", cover {held['inside'].astype(float).mean():.2f}" if held["inside"].notna().any() else ""))
    ax.set_title(f"{label}{'; ' if label else ''}{score}", fontsize="small")

def _parity(result, ax):
    t = result.table
    yerr = None
    if t["lower"].notna().any():
        yerr = np.vstack([t["prediction"] - t["lower"], t["upper"] - t["prediction"]]).clip(min=0)
    groups = list(pd.unique(t["group"]))
    for i, g in enumerate(groups):
        s = t["group"] == g
        ax.errorbar(t.loc[s, result.y_column], t.loc[s, "prediction"],
                    yerr=None if yerr is None else yerr[:, s.to_numpy()], fmt="o", ms=3.5, lw=0.8,
                    color=f"C{i % 10}", label=None if len(groups) == 1 else str(g))
    both = np.concatenate([t[result.y_column].to_numpy(float), t["prediction"].to_numpy(float)])
    lo, hi = np.nanmin(both), np.nanmax(both)
    ax.plot([lo, hi], [lo, hi], color="0.4", linestyle=":", linewidth=1, label="prediction = observed")
    if result.law.space == "log" and lo > 0 and hi / lo >= 10:
        ax.set_xscale("log")
        ax.set_yscale("log")
        plain_log_ticks(ax.xaxis, ax.get_xlim())
        plain_log_ticks(ax.yaxis, ax.get_ylim())
    # Under a decade (losses from 2.1 to 2.6) a log axis only crowds its tick labels: linear.
    ax.set_xlabel(axis_label(result.y_column, f"observed {result.y_column} (held out)"))
    ax.set_ylabel(axis_label(result.y_column, f"predicted {result.y_column}"))
    ax.set_aspect("equal", adjustable="datalim")
    place_legend(ax, fontsize="x-small", ncol=2 if len(groups) > 8 else 1)
