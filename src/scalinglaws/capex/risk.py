"""Buying a target ahead of revenue: :func:`commitment_risk` weighs, per policy, the probability
of ruin against the chance of reaching the target."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..inputs import nonnegative_argument, positive_argument
from .cash import simulate_cash
from .plan import Plan, spend_fraction_for
from .revenue import as_paths


_COST_ROWS = {"rental": "rental ($)", "amortised": "amortised ($)"}
_BUDGET_COLUMNS = {"median": "estimate", "lower": "lower", "upper": "upper",
                   "point_fit": "point_fit"}


def _budget(plan_: Plan, budget: Any, row: str) -> float:
    if isinstance(budget, str):
        if budget not in _BUDGET_COLUMNS:
            raise ValueError(
                f"budget={budget!r}; choose one of {sorted(_BUDGET_COLUMNS)} or give dollars"
            )
        value = float(plan_.table.loc[row, _BUDGET_COLUMNS[budget]])
        if not np.isfinite(value):
            raise ValueError(
                f"budget={budget!r}: the plan has no finite {row} {budget} (the target is "
                f"unreachable for {plan_.unreachable_fraction:.0%} of replicates"
                + (" and for the point fit" if budget == "point_fit" else "") + ")"
            )
        return value
    value = float(positive_argument(budget, "budget", "$"))
    return value


def commitment_risk(
    plan: Plan,
    revenue: Any,
    *,
    planned_growth: float,
    lead_time: int,
    budget: Any = "upper",
    cost: str = "rental",
    spend_fraction: float | None = None,
    milestone: float = 1.0,
    margin: float = 1.0,
    initial_cash: float = 0.0,
    level: float = 0.95,
    policies: tuple[str, ...] = ("upfront", "staged"),
) -> pd.DataFrame:
    """Buying a target's compute ahead of revenue: ruin, and the chance of reaching the target.

    The plan runs one training run a year, each costing ``f`` times that year's planned
    revenue (:func:`commitments`: ``S_t = f r0 g^t``); the run in the last year ``T`` of
    ``revenue`` (shape (n, T + 1), revenue in the same currency as the plan's costs) is the
    one that must reach ``plan``'s target. ``f`` = :func:`spend_fraction_for` (budget, r0, g,
    T), with ``budget`` the year-T run's cost: ``"median"``, ``"lower"`` or ``"upper"`` (the
    plan's band of the ``cost`` row, ``"rental"`` or ``"amortised"``), ``"point_fit"``, or a
    dollar amount. Alternatively give ``spend_fraction`` (then budget = ``f r0 g^T``).

    One row per policy (:func:`simulate_cash`), with the columns of
    :func:`compare_commitments` (``prob_ruin``, ``terminal_cash_median``, ``var``, ``cvar``
    at ``level``, ``mean_total_spend``, ``spend_vs_upfront``) and:

    - ``p_budget_enough``: share of the ensemble's replicates whose cost is within the budget
      (:meth:`Plan.share_within`; unreachable replicates never are). The same for every
      policy: it is the scaling-law uncertainty.
    - ``p_target_run``: share of revenue paths whose year-T spend covers the budget (always 1
      up front; staged: the final tranche was signed).
    - ``p_target_solvent``: ``p_budget_enough`` times the share of paths that buy the target
      run and are never ruined: the chance of reaching the target without going broke,
      treating the fit's uncertainty and revenue as independent.

    ``attrs`` holds ``budget``, ``spend_fraction``, ``year`` (T) and ``cost`` (the plan row).
    """
    if cost not in _COST_ROWS:
        raise ValueError(f"cost={cost!r}; choose one of {sorted(_COST_ROWS)}")
    row = _COST_ROWS[cost]
    rev = as_paths(revenue)
    r0 = float(rev[0, 0])
    if not np.allclose(rev[:, 0], r0, rtol=1e-12, atol=0.0):
        raise ValueError("every revenue path must start from the same r0 (column 0)")
    year = rev.shape[1] - 1
    if spend_fraction is None:
        budget_value = _budget(plan, budget, row)
        f = spend_fraction_for(budget_value, r0, planned_growth, year)
    else:
        f = float(nonnegative_argument(spend_fraction, "spend_fraction", "fraction of planned revenue"))
        budget_value = f * r0 * float(planned_growth) ** year
    enough = plan.share_within(budget_value, row)
    terms = dict(planned_growth=planned_growth, spend_fraction=f, lead_time=lead_time,
                 milestone=milestone, margin=margin, initial_cash=initial_cash, level=level)
    upfront_total = float(f * r0 * np.sum(float(planned_growth) ** np.arange(1, year + 1)))
    rows = []
    for policy in policies:
        result = simulate_cash(rev, policy=policy, **terms)
        out = result.row()
        out["spend_vs_upfront"] = (out["mean_total_spend"] / upfront_total
                                   if upfront_total > 0 else np.nan)
        bought = result.spend[:, -1] >= budget_value * (1.0 - 1e-9)
        out["p_budget_enough"] = enough
        out["p_target_run"] = float(np.mean(bought))
        out["p_target_solvent"] = enough * float(np.mean(bought & (result.ruin_year == 0)))
        rows.append(out)
    table = pd.DataFrame(rows)
    table.index.name = "policy"
    table.attrs.update(budget=budget_value, spend_fraction=f, year=year, cost=row)
    return table
