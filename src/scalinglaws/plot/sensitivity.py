"""How a capex decision holds when its inputs are wrong: :func:`plot_stress` (probability of ruin
per named stress and policy) and :func:`plot_tornado` (one input at a time, for
:class:`scalinglaws.capex.Sensitivity`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .style import Figure, plt, ticker

__all__ = ["plot_stress", "plot_tornado"]


def plot_stress(table: pd.DataFrame, max_ruin: float, ax: Any = None) -> Figure:
    """Grouped bars: P(ruin) (``table`` indexed by (stress, policy)) per stress, one bar a policy;
    the accepted probability of ruin dashed."""
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(6.5, 3.6))
    else:
        fig = ax.figure
    stresses = list(dict.fromkeys(table.index.get_level_values(0)))
    policies = list(dict.fromkeys(table.index.get_level_values(1)))
    width = 0.8 / len(policies)
    x = np.arange(len(stresses))
    for j, policy in enumerate(policies):
        values = [table.loc[(s, policy), "prob_ruin"] for s in stresses]
        ax.bar(x + (j - (len(policies) - 1) / 2) * width, values, width, label=policy)
    ax.axhline(max_ruin, color="grey", linestyle="--", linewidth=1, label=f"accepted {max_ruin:g}")
    ax.set_xticks(x, stresses, fontsize="small")
    ax.set_ylabel("probability of ruin")
    ax.set_ylim(0, 1)
    ax.legend(frameon=False, fontsize="small")
    if own:
        fig.tight_layout()
    return fig


def plot_tornado(swings: pd.DataFrame, base_ruin: float, max_ruin: float, policy: str,
                 titles: Mapping[str, str] | None = None) -> Figure:
    """Two tornado panels for ``policy``: the signed commitment's P(ruin) at each input's low and
    high value (around ``base_ruin``), and the compute the re-optimised commitment buys, relative
    to base (log axis). ``swings``: one row per input with ``low``, ``high``, ``prob_ruin_low``,
    ``prob_ruin_high``, ``flop_ratio_low``, ``flop_ratio_high``, largest first."""
    titles = dict(titles or {})
    n = len(swings)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.0, 0.45 * n + 1.6), sharey=True)
    y = np.arange(n)[::-1]
    labels = [titles.get(k, k) for k in swings.index]
    for ax, (lo, hi), base, scale in ((left, ("prob_ruin_low", "prob_ruin_high"), base_ruin, "linear"),
                                      (right, ("flop_ratio_low", "flop_ratio_high"), 1.0, "log")):
        for side, color, name in ((lo, "tab:blue", "input low"), (hi, "tab:orange", "input high")):
            v = swings[side].to_numpy()
            ax.barh(y, v - base, left=base, height=0.35 if side == lo else 0.25, color=color, alpha=0.8, label=name)
        ax.axvline(base, color="black", linewidth=1)
        ax.set_xscale(scale)
    ratios = swings[["flop_ratio_low", "flop_ratio_high"]].to_numpy()
    ratios = ratios[np.isfinite(ratios) & (ratios > 0)]
    if ratios.size:
        lo_exp = np.floor(np.log2(min(ratios.min(), 1.0)))
        hi_exp = np.ceil(np.log2(max(ratios.max(), 1.0)))
        right.xaxis.set_major_locator(ticker.FixedLocator(2.0 ** np.arange(lo_exp, hi_exp + 1)))
        right.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"x{v:g}"))
        right.xaxis.set_minor_formatter(ticker.NullFormatter())
    left.axvline(max_ruin, color="grey", linestyle="--", linewidth=1, label=f"accepted {max_ruin:g}")
    left.set_yticks(y, [f"{t}\n{swings.loc[k, 'low']:.3g} / {swings.loc[k, 'high']:.3g}"
                        for t, k in zip(labels, swings.index)], fontsize="small")
    left.set_xlabel("P(ruin) of the signed commitment")
    right.set_xlabel("compute bought at the accepted ruin, x base")
    left.legend(frameon=False, fontsize="small", loc="lower right")
    fig.suptitle(f"{policy}: one input at a time (low / high)", fontsize="medium")
    fig.tight_layout()
    return fig
