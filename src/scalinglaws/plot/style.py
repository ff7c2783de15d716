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

__all__ = ["plt", "Figure", "log_grid", "draw_curve", "edge_line", "band_label", "plain_log_ticks", "new_axes",
           "UNITS", "axis_label", "place_legend", "figure_legend", "wrap_title", "is_rate", "clip_rate"]

UNITS = {
    "C": "FLOP", "compute": "FLOP", "flops": "FLOP", "training_compute_flop": "FLOP",
    "N": "parameters", "params": "parameters", "parameters": "parameters", "param_count": "parameters",
    "D": "tokens", "tokens": "tokens", "U": "unique tokens", "unique_tokens": "unique tokens",
    "loss": "nats/token", "loss_opt": "nats/token",
    "gpu_hours": "GPU-hours", "frames": "frames", "elo": "Elo vs perfect play",
    "error": "fraction wrong", "pass_rate": "fraction passed", "accuracy": "fraction right",
}
"""Units of the columns the shipped data sets and the docs use, for axis labels: a loss is in
nats per token, compute in FLOP (data/README.md gives every column's unit)."""


def axis_label(column: str, what: str | None = None) -> str:
    """``"compute C [FLOP]"``-style label: ``what`` (default the column), then the column's unit
    from :data:`UNITS` when it has one."""
    text = column if what is None else what
    unit = UNITS.get(column)
    return f"{text} [{unit}]" if unit else text


def place_legend(ax: Any, **kwargs: Any) -> Any:
    """A legend where it covers the fewest drawn points (matplotlib's ``loc="best"``)."""
    return ax.legend(**{"loc": "best", "frameon": True, "framealpha": 0.85, "edgecolor": "none", "fontsize": "small",
                        **kwargs})


def figure_legend(fig: Figure, ax: Any, ncol: int = 3) -> None:
    """One legend for a grid of panels, below them (outside every panel, so it covers no data);
    the figure must use the constrained layout."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncol=min(ncol, len(handles)), frameon=False,
                   fontsize="small")


def wrap_title(text: str, width: int = 80) -> str:
    """A long title on several lines, so that the figure's edge does not clip it."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) if len(text) > width else text


def is_rate(values: Any) -> bool:
    """Observed values all within [0, 1]: a rate (an error, a pass rate), drawn within [0, 1]."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    return v.size > 0 and float(v.min()) >= 0.0 and float(v.max()) <= 1.0


def clip_rate(*arrays: Any) -> list:
    """Arrays (None passes) clipped to [0, 1]: a rate's band is drawn within its range."""
    return [None if a is None else np.clip(np.asarray(a, dtype=np.float64), 0.0, 1.0) for a in arrays]


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
                color: Any, label: str, band_label: str | None, start: float | None = None,
                dashed_label: str | None = "") -> None:
    """Estimate solid over the data (``start`` to ``edge``; no ``start``: from the first x) and
    dashed beyond either end; band shaded (lighter beyond the data) when ``lower``/``upper`` are
    given. ``dashed_label``: the dashed pieces' legend entry (default "LABEL, extrapolated"; None
    for none)."""
    est = np.asarray(est, dtype=np.float64)
    lo = -np.inf if start is None else start
    hi = np.inf if edge is None else edge
    inside = (xs >= lo) & (xs <= hi)
    pieces = [(inside, 0.30, "-")] + [(part, 0.15, "--") for part in (xs <= lo, xs >= hi)]
    extrapolated = f"{label}, extrapolated" if dashed_label == "" else dashed_label
    for part, alpha, style in pieces:
        if part.sum() < 2:
            continue
        if lower is not None:
            ax.fill_between(xs[part], np.asarray(lower, np.float64)[part], np.asarray(upper, np.float64)[part],
                            color=color, alpha=alpha, linewidth=0, zorder=1, label=band_label)
            band_label = None  # one legend entry for the band
        name = label if style == "-" else extrapolated
        ax.plot(xs[part], est[part], color=color, linewidth=2, linestyle=style, zorder=3, label=name)
        if style == "--":
            extrapolated = None  # one legend entry for the dashed pieces


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
