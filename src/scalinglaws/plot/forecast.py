"""A forecast across laws as a fan chart (:func:`plot_forecast`): the pooled ensemble's nested
bands over compute, each law's own fit, and the data."""

from __future__ import annotations

import numpy as np

from ..forecast import Forecast
from .style import Figure, axis_label, place_legend, plt

__all__ = ["plot_forecast"]


def plot_forecast(result: Forecast, x: str | None = None, upto: float | None = None, decades: float = 2.0,
                  levels=(0.5,), n_points: int = 200, ax=None, title: str | None = None) -> Figure:
    """The cone: over ``x`` (default the comparison's split column, compute) from the smallest
    data value to ``upto`` (default the largest forecast input, else ``decades`` beyond the
    data), the pooled ensemble's median and its bands at ``levels`` and the forecast's level
    (nested, lighter outward), each law's fit (solid over the data, dashed beyond, its weight in
    the legend), the data and the forecast points. Laws whose inputs are N and D are drawn at
    the compute-optimal split of each budget ``C``."""
    if not isinstance(result, Forecast):
        raise TypeError(f"plot_forecast draws a Forecast, got {type(result).__name__}")
    comp = result.comparison
    x = x or comp.by
    data = comp.data
    lo = float(data[x].min()) if data is not None else None
    hi_data = float(data[x].max()) if data is not None else None
    if lo is None:
        ranges = [f.input_ranges() for f in result.fits.values() if f.has_data]
        lo = min(r[next(iter(r))][0] for r in ranges)
        hi_data = max(r[next(iter(r))][1] for r in ranges)
    if upto is None:
        upto = float(np.max(result.inputs[x])) if x in result.inputs else hi_data * 10**decades
    xs = np.logspace(np.log10(lo), np.log10(max(upto, hi_data)), n_points)
    xs = np.union1d(xs, [hi_data])
    pooled = result.draws(**{x: xs})
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
    else:
        fig = ax.figure
    for i, level in enumerate(sorted({*levels, result.level}, reverse=True)):
        a = (1 - level) / 2
        band_lo, band_hi = np.nanquantile(pooled, a, axis=0), np.nanquantile(pooled, 1 - a, axis=0)
        ax.fill_between(xs, band_lo, band_hi, color="C0", alpha=0.18 + 0.17 * i, linewidth=0,
                        label=f"{100 * level:g}% across laws")
    ax.plot(xs, np.nanmedian(pooled, axis=0), color="C0", linewidth=2.0, label="median across laws")
    inner = xs <= hi_data
    for j, name in enumerate(result.laws):
        line = result._law_values(name, result.fits[name].theta[None, :], {x: xs})[0]
        color = f"C{(j + 1) % 10}"
        ax.plot(xs[inner], line[inner], color=color, linewidth=1.2,
                label=f"{name} (weight {result.weights[name]:.2f})")
        ax.plot(xs[~inner | (xs == hi_data)], line[~inner | (xs == hi_data)], color=color, linewidth=1.2,
                linestyle="--")
    if data is not None:
        ax.scatter(data[x], data[comp.y_column], s=10, color="k", zorder=4, label=f"data ({len(data)})")
    if x in result.inputs:
        table = result.table
        ax.errorbar(table[x], table["estimate"], yerr=np.vstack([table["estimate"] - table["lower"],
                                                                 table["upper"] - table["estimate"]]),
                    fmt="D", ms=5, color="C3", capsize=3, zorder=5, label="forecast")
    ax.axvline(hi_data, color="0.4", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    if comp.space == "log":
        ax.set_yscale("log")
    ax.set_xlabel(axis_label(x))
    ax.set_ylabel(axis_label(comp.y_column))
    ax.set_title(title or f"forecast across laws ({result.weighting} weights)", fontsize="medium")
    place_legend(ax, fontsize="x-small")
    return fig
