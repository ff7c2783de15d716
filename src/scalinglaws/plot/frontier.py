"""The efficient frontier of a capex decision: compute bought against the probability of ruin, one
line a commitment policy (:func:`plot_frontier`, for :class:`scalinglaws.capex.CommitmentDecision`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .style import Figure, plt

__all__ = ["plot_frontier"]

_TITLES = {"upfront": "up front", "rolling": "rolling", "staged": "staged (best milestone)"}


def plot_frontier(frontier: pd.DataFrame, chosen: pd.DataFrame | None = None, max_ruin: float | None = None,
                  ax: Any = None, column: str = "flop_mean", ylabel: str = "training FLOP bought (mean over paths)",
                  band: bool = False, log_y: bool = True) -> Figure:
    """``frontier``: rows with ``policy``, ``prob_ruin`` and ``column`` (default the mean training
    FLOP); ``chosen``: one row per policy (indexed by policy) with ``prob_ruin`` and ``column``,
    marked; ``max_ruin``: a vertical line at the accepted probability of ruin. ``band``: shade
    ``{column}_lower`` to ``{column}_upper``. Log x axis; log y unless ``log_y=False``."""
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(6.0, 3.8))
    else:
        fig = ax.figure
    for policy, part in frontier.groupby("policy", sort=False):
        part = part.sort_values("prob_ruin")
        keep = (part[column].to_numpy() > 0 if log_y else np.isfinite(part[column].to_numpy())) & (
            part["prob_ruin"].to_numpy() > 0)
        x = part["prob_ruin"].to_numpy()[keep]
        (line,) = ax.plot(x, part[column].to_numpy()[keep], marker=".", label=_TITLES.get(policy, policy))
        if band:
            ax.fill_between(x, part[f"{column}_lower"].to_numpy()[keep], part[f"{column}_upper"].to_numpy()[keep],
                            color=line.get_color(), alpha=0.15, linewidth=0)
        if chosen is not None and policy in chosen.index and (chosen.loc[policy, column] > 0 or not log_y):
            ax.plot([chosen.loc[policy, "prob_ruin"]], [chosen.loc[policy, column]], "o", markersize=8,
                    markerfacecolor="none", color=line.get_color())
    if max_ruin is not None:
        ax.axvline(max_ruin, color="grey", linestyle="--", linewidth=1, label=f"accepted P(ruin) = {max_ruin:g}")
    ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel("probability of ruin")
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize="small")
    ax.grid(True, which="major", alpha=0.3)
    if own:
        fig.tight_layout()
    return fig
