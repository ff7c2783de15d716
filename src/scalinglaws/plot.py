"""Matplotlib figures: fan charts of simulated paths (and, later, fits with bands).

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
from matplotlib.figure import Figure  # noqa: E402

__all__ = ["fan_chart"]


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
