"""Commitments played against revenue paths: spend per policy (:func:`commitments`), cash and
ruin (:func:`simulate_cash`, :class:`CashResult`), and policies side by side
(:func:`compare_commitments`)."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from .. import serialize
from ..inputs import check_int, check_level
from ..results import Result, Summary
from .constants import INFERENCE_MARGIN, TRAINING_SHARE
from .revenue import as_paths


_POLICIES = ("rolling", "upfront", "staged")


@functools.partial(jax.jit, static_argnames=("lead_time", "policy"))
def _spend(revenue: jax.Array, planned_growth: jax.Array, spend_fraction: jax.Array,
           milestone: jax.Array, lead_time: int, policy: str) -> jax.Array:
    t = jnp.arange(revenue.shape[1])
    planned = revenue[:, :1] * planned_growth ** t[None, :]       # P_t = R_0 g^t, per path
    if policy == "upfront":
        return spend_fraction * planned
    decision = jnp.maximum(t - lead_time, 0)                      # year the commitment is made
    if policy == "rolling":
        horizon = jnp.minimum(t, lead_time)
        return spend_fraction * revenue[:, decision] * planned_growth ** horizon[None, :]
    # staged: tranche t released iff it was signed before the simulation (t <= L) or revenue at
    # the decision year has reached milestone x plan; spend = the latest released tranche.
    on_track = revenue[:, decision] >= milestone * planned[:, decision]
    released = (t[None, :] <= lead_time) | on_track
    latest = jax.lax.cummax(jnp.where(released, t[None, :], 0), axis=1)
    return spend_fraction * jnp.take_along_axis(planned, latest, axis=1)


def commitments(revenue: Any, *, planned_growth: float, spend_fraction: float, lead_time: int,
                policy: str = "rolling", milestone: float = 1.0) -> np.ndarray:
    """Compute spend S_t for each path and year, shape (n, years + 1), under a policy.

    With R the revenue paths, P_t = R_0 g^t the plan (g = ``planned_growth``), f =
    ``spend_fraction`` and L = ``lead_time`` (years between signing and paying):

    - ``"rolling"``: each year's spend is committed L years ahead, sized from the revenue seen
      then and the planned growth: ``S_t = f * R_{t-L} * g**L``; for t < L (signed before
      the start) ``S_t = f * R_0 * g**t``. L = 0 spends f of actual revenue.
    - ``"upfront"``: everything is signed now on the plan: ``S_t = f * P_t``.
    - ``"staged"``: the up-front plan in yearly tranches; tranche t (size f * P_t) is signed at
      year t - L only if revenue then has passed ``milestone * P_{t-L}`` (tranches with
      t <= L are signed now). Spend is the latest signed tranche: ``S_t = f * P_k``, k the
      last signed tranche up to t (k = 0: today's spend f * R_0). For g >= 1 staged spend never
      exceeds up-front spend, path by path.

    Column 0 is this year's spend for reference; cash is charged from year 1 on.
    """
    rev = as_paths(revenue)
    if policy not in _POLICIES:
        raise ValueError(f"policy={policy!r}; choose one of {_POLICIES}")
    if not (np.isfinite(planned_growth) and planned_growth > 0):
        raise ValueError(
            f"planned_growth must be positive and finite (x per year); got {planned_growth!r}"
        )
    if not (np.isfinite(spend_fraction) and spend_fraction >= 0):
        raise ValueError(f"spend_fraction must be non-negative and finite; got {spend_fraction!r}")
    if not (np.isfinite(milestone) and milestone >= 0):
        raise ValueError(
            f"milestone must be non-negative and finite (fraction of plan); got {milestone!r}"
        )
    lead_time = check_int(lead_time, "lead_time", 0)
    out = _spend(jnp.asarray(rev), jnp.float64(planned_growth), jnp.float64(spend_fraction),
                 jnp.float64(milestone), lead_time, policy)
    return np.asarray(out)


def serving_capacity(training_share: float | None, inference_margin: float | None) -> float:
    """Revenue one dollar of committed compute can serve: ``(1 - training_share) / (1 -
    inference_margin)``; ``inf`` without a split (both None: revenue is served whatever the
    commitment, and ``margin`` already nets out the cost of serving it).

    With a split the commitment is all of the lab's compute: ``training_share`` of it trains
    (and earns nothing), the rest serves, and serving a dollar of revenue costs ``1 -
    inference_margin`` dollars of compute. Giving one of the two takes the other's cited default
    (:data:`~scalinglaws.capex.TRAINING_SHARE`, :data:`~scalinglaws.capex.INFERENCE_MARGIN`).
    """
    if training_share is None and inference_margin is None:
        return math.inf
    tau = TRAINING_SHARE.value if training_share is None else training_share
    g = INFERENCE_MARGIN.value if inference_margin is None else inference_margin
    if isinstance(tau, bool) or not (np.isfinite(tau) and 0.0 <= tau <= 1.0):
        raise ValueError(f"training_share must be in [0, 1] (share of committed compute that trains); got {tau!r}")
    if isinstance(g, bool) or not (np.isfinite(g) and 0.0 <= g < 1.0):
        raise ValueError(f"inference_margin must be in [0, 1) (gross margin on serving); got {g!r}")
    return (1.0 - float(tau)) / (1.0 - float(g))


def served_revenue(revenue: jax.Array, spend: jax.Array, capacity: jax.Array) -> jax.Array:
    """Revenue earned: demand, capped at what the serving share of the spend can serve."""
    return jnp.where(jnp.isinf(capacity), revenue, jnp.minimum(revenue, capacity * spend))


@jax.jit
def _cash_paths(revenue: jax.Array, spend: jax.Array, margin: jax.Array, initial_cash: jax.Array,
                capacity: jax.Array):
    n, cols = revenue.shape
    served = served_revenue(revenue, spend, capacity)
    flows = margin * served[:, 1:] - spend[:, 1:]
    cash = initial_cash + jnp.concatenate([jnp.zeros((n, 1)), jnp.cumsum(flows, axis=1)], axis=1)
    negative = cash[:, 1:] < 0.0
    ruined = negative.any(axis=1)
    ruin_year = jnp.where(ruined, jnp.argmax(negative, axis=1) + 1, 0)
    counts = jnp.bincount(ruin_year, length=cols)
    return cash, ruin_year, counts, served


def _cash(revenue: jax.Array, spend: jax.Array, margin: jax.Array, initial_cash: jax.Array,
          level: jax.Array, capacity: jax.Array):
    """Cash paths, year of ruin, its counts, VaR and CVaR of terminal cash, served revenue. The
    tail statistics are taken on the host: numpy's quantile partitions, where XLA's CPU quantile
    sorts, about 40 times slower at 100,000 paths."""
    cash, ruin_year, counts, served = _cash_paths(revenue, spend, margin, initial_cash, capacity)
    cash = np.asarray(cash)
    terminal = cash[:, -1]
    var = float(np.quantile(terminal, 1.0 - float(level)))
    tail = terminal <= var
    cvar = float(terminal[tail].sum() / tail.sum())
    return cash, ruin_year, counts, var, cvar, served


@dataclass(frozen=True, repr=False)
class CashResult(Result):
    """Cash paths and ruin statistics from :func:`simulate_cash`.

    - ``cash``: (n, years + 1); column 0 is the initial cash, column t the cash at the end of
      year t.
    - ``spend``: (n, years + 1) compute spend (column 0: this year's, not charged).
    - ``ruin_year``: (n,) first year with negative cash, 0 if never.
    - ``prob_ruin``: share of paths ruined in some year 1..years.
    - ``ruin_years``: DataFrame indexed by year 1..years: ``p_first_ruin`` (share of all paths
      first ruined that year) and ``p_ruined_by`` (cumulative).
    - ``var``: the (1 - level) quantile of terminal cash: with probability ``level`` terminal
      cash is at least this (a cash amount; negative means a loss).
    - ``cvar``: mean terminal cash over the paths at or below ``var`` (expected shortfall).
    - ``capacity``: revenue a dollar of commitment serves (:func:`serving_capacity`; ``inf``:
      no split, all demand served); ``served_share``: served over demanded revenue, years 1 on.
    """

    cash: np.ndarray
    spend: np.ndarray
    ruin_year: np.ndarray
    prob_ruin: float
    ruin_years: pd.DataFrame
    var: float
    cvar: float
    level: float
    policy: str
    capacity: float = math.inf
    served_share: float = 1.0

    @property
    def terminal(self) -> np.ndarray:
        return self.cash[:, -1]

    def row(self) -> pd.Series:
        """prob_ruin, median terminal cash, VaR and CVaR of terminal cash, mean total spend."""
        return pd.Series(
            {
                "prob_ruin": self.prob_ruin,
                "terminal_cash_median": float(np.median(self.terminal)),
                "var": self.var,
                "cvar": self.cvar,
                "mean_total_spend": float(self.spend[:, 1:].sum(axis=1).mean()),
            },
            name=self.policy,
        )

    def figure(self, ax=None, log: bool = False):
        """A fan chart of the cash paths (5/25/50/75/95th percentiles by year), titled with the
        probability of ruin; ``sl.plot.figure(result)`` reaches it too."""
        from ..plot import fan_chart

        fig = fan_chart(self.cash, ax=ax, label=f"cash ({self.policy})", log=log)
        (ax if ax is not None else fig.axes[0]).set_title(f"{self.policy}: P(ruin) = {self.prob_ruin:.3f}",
                                                          fontsize="medium")
        return fig

    def to_dict(self) -> dict:
        """A JSON record of the paths and statistics (``scalinglaws.load`` reads it back)."""
        return {**serialize.header("scalinglaws.capex.CashResult"),
                **{k: serialize.array_record(getattr(self, k)) for k in ("cash", "spend", "ruin_year")},
                "prob_ruin": self.prob_ruin, "ruin_years": serialize.frame_record(self.ruin_years), "var": self.var,
                "cvar": self.cvar, "level": self.level, "policy": self.policy, "capacity": self.capacity,
                "served_share": self.served_share}

    @classmethod
    def from_dict(cls, d: dict) -> CashResult:
        return cls(**{k: serialize.array_from_record(d[k]) for k in ("cash", "spend", "ruin_year")},
                   prob_ruin=d["prob_ruin"], ruin_years=serialize.frame_from_record(d["ruin_years"]), var=d["var"],
                   cvar=d["cvar"], level=d["level"], policy=d["policy"], capacity=d.get("capacity", math.inf),
                   served_share=d.get("served_share", 1.0))

    def summary(self) -> Summary:
        """The policy's row (:meth:`row`) as a one-row table, and the year of ruin distribution in
        the notes (:class:`~scalinglaws.results.Summary`)."""
        n, cols = self.cash.shape
        title = (f"CashResult({self.policy}, {n} paths x {cols - 1} years): P(ruin) = "
                 f"{self.prob_ruin:.4f}; terminal cash median {np.median(self.terminal):.4g}, "
                 f"VaR{self.level:.0%} {self.var:.4g}, CVaR{self.level:.0%} {self.cvar:.4g}")
        table = self.row().to_frame().T
        table.index.name = "policy"
        notes = ["first ruined in year " + ", ".join(
            f"{y}: {p:.4f}" for y, p in self.ruin_years["p_first_ruin"].items())]
        if np.isfinite(self.capacity):
            notes.append(f"a dollar of commitment serves {self.capacity:.4g} of revenue; "
                         f"{self.served_share:.1%} of demand served")
        return Summary(title, table, notes=notes, level=self.level, formats={"prob_ruin": ".4f"})

    def __repr__(self) -> str:
        return self.summary().title


def simulate_cash(
    revenue: Any,
    *,
    planned_growth: float | None = None,
    spend_fraction: float | None = None,
    lead_time: int | None = None,
    policy: str = "rolling",
    milestone: float = 1.0,
    margin: float = 1.0,
    initial_cash: float = 0.0,
    level: float = 0.95,
    spend: Any = None,
    training_share: float | None = None,
    inference_margin: float | None = None,
) -> CashResult:
    """Play compute commitments against revenue paths: cash, probability and year of ruin.

    ``cash_t = initial_cash + sum_{s=1..t} (margin * R_s - S_s)`` for t = 1..years, with R the
    revenue paths (e.g. from :func:`simulate_revenue`, or :func:`slip` of them) and S the spend
    from :func:`commitments` (``policy``, ``planned_growth``, ``spend_fraction``,
    ``lead_time``, ``milestone``), or an explicit ``spend`` array broadcastable to R (then the
    policy's terms are not needed).
    ``margin`` is the share of revenue left to pay for compute (1: all of it; the default,
    i.e. no other costs) and ``initial_cash`` the cash at the start (default 0: no buffer).
    A path is ruined when its cash is negative at the end of any year.

    Training against serving: with ``training_share`` and/or ``inference_margin`` (see
    :func:`serving_capacity`) the commitment is all the lab's compute and the revenue earned is
    ``min(R_t, (1 - training_share) S_t / (1 - inference_margin))``: demand the serving share
    cannot serve is lost, so committing too little also costs. ``margin`` is then the share of
    earned revenue left after costs other than compute.

    Returns a :class:`CashResult` with ``prob_ruin``, ``ruin_years`` (distribution of the
    year of ruin), ``var`` and ``cvar`` of terminal cash at ``level`` and the cash paths.
    """
    rev = as_paths(revenue)
    level = check_level(level)
    for name, value in (("margin", margin), ("initial_cash", initial_cash)):
        if not np.isfinite(value):
            raise ValueError(f"{name} must be finite; got {value!r}")
    capacity = serving_capacity(training_share, inference_margin)
    if spend is None:
        missing = [k for k, v in (("planned_growth", planned_growth), ("spend_fraction", spend_fraction),
                                  ("lead_time", lead_time)) if v is None]
        if missing:
            raise ValueError(f"simulate_cash needs {', '.join(missing)} (the policy's terms), or an explicit spend")
        spend_arr = commitments(rev, planned_growth=planned_growth, spend_fraction=spend_fraction,
                                lead_time=lead_time, policy=policy, milestone=milestone)
    else:
        spend_arr = np.broadcast_to(np.asarray(spend, dtype=np.float64), rev.shape)
        policy = "given"
    cash, ruin_year, counts, var, cvar, served = _cash(
        jnp.asarray(rev), jnp.asarray(spend_arr), jnp.float64(margin), jnp.float64(initial_cash),
        jnp.float64(level), jnp.float64(capacity),
    )
    n, cols = rev.shape
    first = np.asarray(counts, dtype=np.float64)[1:] / n
    ruin_years = pd.DataFrame(
        {"p_first_ruin": first, "p_ruined_by": np.cumsum(first)},
        index=pd.Index(np.arange(1, cols), name="year"),
    )
    ruin_year = np.asarray(ruin_year)
    return CashResult(
        cash=np.asarray(cash), spend=np.asarray(spend_arr), ruin_year=ruin_year,
        prob_ruin=float(np.mean(ruin_year > 0)), ruin_years=ruin_years, var=float(var),
        cvar=float(cvar), level=float(level), policy=policy, capacity=capacity,
        served_share=float(np.asarray(served)[:, 1:].sum() / rev[:, 1:].sum()),
    )


def compare_commitments(
    revenue: Any,
    *,
    planned_growth: float,
    spend_fraction: float,
    lead_time: int,
    milestone: float = 1.0,
    margin: float = 1.0,
    initial_cash: float = 0.0,
    level: float = 0.95,
    policies: tuple[str, ...] = ("upfront", "staged", "rolling"),
    training_share: float | None = None,
    inference_margin: float | None = None,
) -> pd.DataFrame:
    """One row per commitment policy: ruin probability, terminal cash (median, VaR, CVaR),
    mean total spend and spend as a share of the up-front plan's.

    Staged commitments trade compute for safety: the ``spend_vs_upfront`` column says how
    much of the planned compute each policy actually buys, on average over paths.
    """
    rev = as_paths(revenue)
    upfront = commitments(rev, planned_growth=planned_growth, spend_fraction=spend_fraction,
                          lead_time=lead_time, policy="upfront")
    upfront_total = float(upfront[:, 1:].sum(axis=1).mean())
    rows = []
    for policy in policies:
        result = simulate_cash(rev, planned_growth=planned_growth, spend_fraction=spend_fraction,
                               lead_time=lead_time, policy=policy, milestone=milestone,
                               margin=margin, initial_cash=initial_cash, level=level,
                               training_share=training_share, inference_margin=inference_margin)
        row = result.row()
        share = row["mean_total_spend"] / upfront_total if upfront_total > 0 else np.nan
        row["spend_vs_upfront"] = share
        rows.append(row)
    table = pd.DataFrame(rows)
    table.index.name = "policy"
    return table
