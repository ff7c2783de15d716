"""The figure of a grouped fit (:class:`~scalinglaws.grouped.FitSet`) or of its bootstrap
(:class:`~scalinglaws.ensemble_set.EnsembleSet`, each panel with its group's band): one panel per
group."""

from __future__ import annotations

import math
from typing import Any

from .fits import fit_plot_kind, plot_fit
from .style import Figure, plt

__all__ = ["plot_groups"]


def plot_groups(groups: Any, max_panels: int = 16, columns: int = 4, extend_decades: float = 1.0,
                **options) -> Figure:
    """A grid of :func:`~scalinglaws.plot.plot_fit` panels, one per group (the first
    ``max_panels`` groups in key order; the figure's title says how many are left out).
    ``groups`` is a ``FitSet`` or an ``EnsembleSet``; ``options`` go to each panel's
    :func:`plot_fit`."""
    fit_plot_kind(groups.law)  # refuse a law that cannot be drawn before opening a figure
    if max_panels < 1:
        raise ValueError(f"max_panels must be >= 1, got {max_panels}")
    keys = groups.keys[:max_panels]
    cols = min(columns, len(keys))
    rows = math.ceil(len(keys) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.0 * rows), layout="constrained", squeeze=False)
    for ax, key in zip(axes.ravel(), keys):
        item = groups[key]
        fit = getattr(item, "fit", item)  # an Ensemble's point fit
        label = ", ".join(f"{c}={v}" for c, v in zip(groups.by, key if isinstance(key, tuple) else (key,)))
        flag = "" if fit.converged and not fit.on_bound else (" (NOT CONVERGED)" if not fit.converged else " (on a bound)")
        plot_fit(item, ax=ax, extend_decades=extend_decades, title=label + flag, **options)
    for ax in axes.ravel()[len(keys):]:
        ax.set_visible(False)
    left = len(groups) - len(keys)
    shared = f" sharing {', '.join(groups.shared)}" if getattr(groups, "shared", ()) else ""
    fig.suptitle(f"{groups.law.name} by {', '.join(groups.by)}{shared}: {len(groups)} groups"
                 + (f" ({left} not shown)" if left else ""))
    return fig
