"""The figures' common ground: a headless backend where there is no display, and the drawing
helpers every figure shares (log grids, a curve with its band solid over the data and dashed
beyond it, log-axis ticks, band labels).

Without a display (no ``$DISPLAY`` on Linux, no ``$MPLBACKEND``), the non-interactive Agg
backend is selected before pyplot is first imported.
"""

from __future__ import annotations

import os
import sys
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

from ..inputs import positive_values  # noqa: E402

__all__ = ["plt", "Figure", "log_grid", "draw_curve", "edge_line", "band_label", "plain_log_ticks", "new_axes"]


def log_grid(lo: float | None, hi: float | None, extend_decades: float, n_points: int, x: Any) -> np.ndarray:
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


def draw_curve(ax: Any, xs: np.ndarray, est: Any, lower: Any, upper: Any, edge: float | None,
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


def edge_line(ax: Any, edge: float | None, xs: np.ndarray, name: str) -> None:
    if edge is not None and xs[0] <= edge <= xs[-1]:
        ax.axvline(edge, color="0.4", linestyle=":", linewidth=1.2, zorder=2,
                   label=f"edge of data ({name} = {edge:.3g})")


def band_label(ens: Any, level: float) -> str:
    return f"{100 * level:g}% bootstrap band ({int(np.sum(ens.valid))} replicates)"


def plain_log_ticks(axis: Any, limits: tuple[float, float]) -> None:
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


def new_axes(ax: Any, figsize: tuple[float, float] = (6.4, 4.2)) -> tuple[Figure, Any]:
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fig, ax
    return ax.figure, ax
