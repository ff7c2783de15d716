"""Simulated paths as figures: :func:`fan_chart` (nested percentile bands of revenue or cash
paths) and :func:`plot_revenue_cash` (revenue and cash fans side by side, one cash panel per
commitment policy), for :mod:`scalinglaws.capex`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .style import Figure, plt, ticker

__all__ = ["fan_chart", "plot_revenue_cash"]


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
