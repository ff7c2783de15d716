"""The commitment a planner can sign: :func:`optimize_commitments` finds, per policy, the largest
compute commitment whose probability of ruin stays at or below ``max_ruin``, and the efficient
frontier of compute bought against the probability of ruin (:class:`CommitmentDecision`).

Every policy of :func:`~scalinglaws.capex.commitments` spends ``f`` times a unit schedule ``H``
that does not depend on ``f`` (the plan ``r0 g^t`` up front; the revenue seen ``lead_time`` years
earlier, rolling; the plan's tranches released at milestones, staged). Cash is concave in ``f``
path by path and equals ``initial_cash >= 0`` at ``f = 0``, so each path is solvent exactly for
``f`` up to its own critical fraction ``f*``:

- without a training/serving split, ``f* = min_t (initial_cash + margin * sum_{s<=t} R_s) /
  sum_{s<=t} H_s``, in closed form;
- with a split (revenue capped at what the serving share of ``f H`` can serve) the cash is a
  minimum of linear functions in ``f`` less a linear one, still concave: ``f*`` by bisection,
  vectorised over paths.

The probability of ruin at ``f`` is the share of paths with ``f* < f``, so the largest ``f``
with ruin at most ``alpha`` is an order statistic of ``f*``, and the whole frontier is one sort.
No search over ``f``, and the in-sample probability of ruin never exceeds ``alpha``.

Staged commitments are also optimised over their milestone: milestone 0 signs every tranche on
schedule, which is the up-front policy, so the staged frontier (the best milestone at each level
of ruin) dominates the up-front one at every level, by construction; it does strictly where a
milestone can cut the spending of the paths that would be ruined: growth that varies (sigma > 0)
and a ``lead_time`` shorter than the horizon (with ``lead_time >= years`` every tranche is signed
today and staged is up front).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from .. import serialize
from ..inputs import check_int, check_level
from ..intervals import DEFAULT_LEVEL
from ..results import Result, Summary
from .cash import _POLICIES, _cash, _spend, serving_capacity
from .constants import DEFAULT_MFU, INFERENCE_MARGIN, PRICE_PERFORMANCE, TRAINING_SHARE
from .costs import flop_per_gpu_hour
from .hardware import _gpu
from .revenue import _Z90, as_paths, growth_sigma, simulate_revenue, slowdown


_REPLAYABLE = {"margin", "initial_cash", "lead_time", "training_share", "inference_margin"}
RUIN_LEVELS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3)
MILESTONES = (0.0, 0.25, 0.5, 0.75, 1.0)
MIN_RUINED_PATHS = 10  # a level of ruin the paths resolve: at least this many ruined paths
_BISECTIONS = 60       # halvings of [0, f_upper]: 2^-60 of it, below float64 resolution
_SAFE = 1.0 - 1e-12    # just below a critical fraction, so that rounding cannot ruin its path


@functools.partial(jax.jit, static_argnames=("split",))
def _critical_fraction(revenue, unit, margin, initial_cash, capacity, split: bool):
    """Per path, the largest ``f`` at which cash never goes negative (``inf``: never spends)."""
    cum_r = jnp.cumsum(revenue[:, 1:], axis=1)
    cum_h = jnp.cumsum(unit[:, 1:], axis=1)
    safe_h = jnp.where(cum_h > 0, cum_h, 1.0)
    bound = jnp.where(cum_h > 0, (initial_cash + margin * cum_r) / safe_h, jnp.inf).min(axis=1)
    if not split:
        return bound

    def lowest_cash(f):
        served = jnp.minimum(revenue[:, 1:], capacity * f[:, None] * unit[:, 1:])
        return (initial_cash + jnp.cumsum(margin * served - f[:, None] * unit[:, 1:], axis=1)).min(axis=1)

    def halve(_, bracket):
        lo, hi = bracket
        mid = 0.5 * (lo + hi)
        ok = lowest_cash(mid) >= 0.0
        return jnp.where(ok, mid, lo), jnp.where(ok, hi, mid)

    finite = jnp.isfinite(bound)
    hi = jnp.where(finite, bound, 1.0)
    lo, _ = jax.lax.fori_loop(0, _BISECTIONS, halve, (jnp.zeros_like(hi), hi))
    return jnp.where(finite, lo, jnp.inf)


def _frontier(f_star: np.ndarray, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At each ruin level, the largest f with at most that share of paths below their critical
    fraction, and the in-sample P(ruin) there. On the host: numpy sorts 100,000 values in about
    0.5 ms where XLA's CPU sort takes about 20 ms."""
    ordered = np.sort(f_star)
    f = ordered[np.floor(levels * f_star.size).astype(np.int64)] * _SAFE
    return f, np.searchsorted(ordered, f, side="left") / f_star.size


def _price_per_flop(gpu, mfu: float, price_per_gpu_hour: float | None, price_trend: float, years: int):
    """Dollars per useful FLOP in years 0..years: the GPU-hour price over FLOP per GPU-hour,
    falling ``price_trend`` orders of magnitude a year (price-performance)."""
    spec = _gpu(gpu)
    price = spec.rental_price if price_per_gpu_hour is None else price_per_gpu_hour
    if price is None:
        raise ValueError(f"price_per_gpu_hour ($/GPU-hour) is required for gpu={spec.name!r}: no default quote")
    if isinstance(price, bool) or not (np.isfinite(price) and price > 0):
        raise ValueError(f"price_per_gpu_hour must be positive and finite ($/GPU-hour); got {price!r}")
    if isinstance(price_trend, bool) or not np.isfinite(price_trend):
        raise ValueError(f"price_trend must be finite (orders of magnitude a year); got {price_trend!r}")
    base = float(price) / float(flop_per_gpu_hour(spec, mfu))
    return base * 10.0 ** (-float(price_trend) * np.arange(years + 1)), spec.name, float(price)


@dataclass(frozen=True, repr=False)
class CommitmentDecision(Result):
    """What :func:`optimize_commitments` found.

    - ``table``: one row per policy at ``max_ruin``: the ``spend_fraction`` f (of the unit
      schedule, see :func:`~scalinglaws.capex.commitments`), the ``milestone`` (staged), the
      in-sample ``prob_ruin``, mean total ``spend``, training FLOP bought in all (``flop_mean``
      with ``flop_lower``/``flop_upper`` over paths at ``level``) and in the final year's run
      (``final_flop_*``), VaR and CVaR of terminal cash at ``var_level``, and ``p_ruin_year_t``
      columns (the year of ruin distribution).
    - ``frontier``: one row per policy and level of ruin: f, milestone, ``prob_ruin``, the mean
      training FLOP (all years and final year) and mean spend.
    - ``schedules``: per policy and year: when it is signed (``signed_year``), spend (mean,
      median, band), ``p_signed`` (share of paths whose tranche for that year is signed) and
      mean training FLOP.
    - ``unit_flop``: per path training FLOP bought per unit of f, for every policy and milestone
      tried (columns ``{policy}@{milestone}:total`` over all years and ``...:final`` for the
      final year's run); :meth:`flop_draws` scales them to any point of the frontier, which is
      what :func:`~scalinglaws.capex.capability_bought` carries through a scaling law.
    - ``settings``: every input that fixes the decision; :meth:`evaluate` replays it on other
      revenue paths.
    """

    table: pd.DataFrame
    frontier: pd.DataFrame
    schedules: pd.DataFrame
    unit_flop: pd.DataFrame
    settings: dict
    n_paths: int
    years: int

    @property
    def level(self) -> float:
        return float(self.settings["level"])

    def frontier_row(self, policy: str, target_ruin: float | None = None) -> pd.Series:
        """The frontier's row of ``policy`` at ``target_ruin`` (default ``max_ruin``)."""
        if policy not in self.table.index:
            raise ValueError(f"policy {policy!r} was not optimised; policies: {list(self.table.index)}")
        target = self.settings["max_ruin"] if target_ruin is None else float(target_ruin)
        rows = self.frontier[(self.frontier["policy"] == policy) & np.isclose(self.frontier["target_ruin"], target)]
        if rows.empty:
            raise ValueError(f"no frontier point at target_ruin={target:g}; levels: "
                             f"{sorted(set(self.frontier['target_ruin']))}")
        return rows.iloc[0]

    def flop_draws(self, policy: str, target_ruin: float | None = None, run: str = "final") -> np.ndarray:
        """Per path training FLOP of ``policy`` at a point of the frontier (default the chosen
        one): of the final year's run (``run="final"``) or all years together (``"total"``)."""
        if run not in ("final", "total"):
            raise ValueError(f"run must be 'final' or 'total'; got {run!r}")
        row = self.frontier_row(policy, target_ruin)
        return float(row["spend_fraction"]) * self.unit_flop[_unit_column(policy, row["milestone"], run)].to_numpy()

    def spend(self, policy: str, revenue: Any, lead_time: int | None = None) -> np.ndarray:
        """The chosen schedule of ``policy`` played on ``revenue``: spend per path and year (with
        another ``lead_time`` if given: the same commitment signed earlier or later)."""
        choice = self.table.loc[policy]
        s = self.settings
        lead = s["lead_time"] if lead_time is None else check_int(lead_time, "lead_time", 0)
        unit = _spend(jnp.asarray(as_paths(revenue)), jnp.float64(s["planned_growth"]), jnp.float64(1.0),
                      jnp.float64(choice["milestone"]), lead, policy)
        return float(choice["spend_fraction"]) * np.asarray(unit)

    def evaluate(self, revenue: Any, **changes) -> pd.DataFrame:
        """Each policy's chosen schedule replayed on other revenue paths (fresh draws, a slip, a
        slowdown): ``prob_ruin``, mean spend, VaR and CVaR of terminal cash, and the year of ruin
        distribution, as in :attr:`table`. ``changes`` replay it under other terms too:
        ``margin``, ``initial_cash``, ``lead_time``, ``training_share``, ``inference_margin``."""
        rev = as_paths(revenue)
        if rev.shape[1] != self.years + 1:
            raise ValueError(f"revenue must cover {self.years} years (shape (n, {self.years + 1})); got {rev.shape}")
        unknown = sorted(set(changes) - _REPLAYABLE)
        if unknown:
            raise ValueError(f"evaluate cannot change {unknown[0]!r}; it can change {sorted(_REPLAYABLE)}")
        settings = dict(self.settings, **changes)
        if {"training_share", "inference_margin"} & set(changes):
            settings["capacity"] = serving_capacity(settings["training_share"], settings["inference_margin"])
        return pd.DataFrame([_cash_row(settings, rev, self.spend(p, rev, settings["lead_time"]), p)
                             for p in self.table.index], index=pd.Index(self.table.index, name="policy"))

    def figure(self, ax=None):
        """The efficient frontier: mean training FLOP against the probability of ruin, one line a
        policy, the chosen points at ``max_ruin`` marked; ``sl.plot.figure(result)`` too."""
        from ..plot.frontier import plot_frontier

        return plot_frontier(self.frontier, self.table, self.settings["max_ruin"], ax=ax)

    def summary(self) -> Summary:
        s = self.settings
        title = (f"CommitmentDecision: the largest commitment with P(ruin) <= {s['max_ruin']:g}, "
                 f"{self.n_paths} revenue paths over {self.years} years")
        split = ("no training/serving split (all demand served; margin nets out serving)"
                 if not math.isfinite(s["capacity"]) else
                 f"training share {s['training_share']:g}, inference margin {s['inference_margin']:g}: "
                 f"a dollar of commitment serves {s['capacity']:.4g} of revenue")
        notes = [f"unit schedule: plan {s['planned_growth']:g}x a year from r0, signed {s['lead_time']} year(s) ahead; "
                 f"margin {s['margin']:g}, initial cash {s['initial_cash']:.4g}", split,
                 f"compute: {s['gpu']} at mfu {s['mfu']:g}, ${s['price_per_gpu_hour']:g} per GPU-hour now, "
                 f"{s['price_trend']:g} orders of magnitude cheaper a year"]
        cols = ["spend_fraction", "milestone", "prob_ruin", "spend", "flop_mean", "flop_lower", "flop_upper",
                "final_flop_mean", "var", "cvar"]
        table = self.table[cols].copy()
        footer = [f"flop: training FLOP bought over all years ({self.level:.0%} band over paths); final_flop: the "
                  f"final year's; VaR/CVaR of terminal cash at {s['var_level']:.0%}"]
        if "staged" in self.table.index and "upfront" in self.table.index:
            footer.append("staged includes milestone 0, which is up front: its frontier is never below "
                          "up front's")
        return Summary(title, table, notes=notes, footer=footer, level=self.level,
                       formats={c: ".4g" for c in cols})

    def __repr__(self) -> str:
        return str(self.summary())

    def to_dict(self) -> dict:
        return {**serialize.header("scalinglaws.capex.CommitmentDecision"),
                **{k: serialize.frame_record(getattr(self, k)) for k in ("table", "frontier", "schedules", "unit_flop")},
                "settings": self.settings, "n_paths": self.n_paths, "years": self.years}

    @classmethod
    def from_dict(cls, d: dict) -> CommitmentDecision:
        return cls(**{k: serialize.frame_from_record(d[k]) for k in ("table", "frontier", "schedules", "unit_flop")},
                   settings=d["settings"], n_paths=d["n_paths"], years=d["years"])


def _unit_column(policy: str, milestone: float, run: str) -> str:
    return f"{policy}@{float(milestone):g}:{run}"


def _cash_row(settings: dict, rev: np.ndarray, spend: np.ndarray, policy: str) -> dict:
    """P(ruin), mean spend, VaR, CVaR and the year of ruin distribution of one spend array."""
    cash, ruin_year, counts, var, cvar, _ = _cash(
        jnp.asarray(rev), jnp.asarray(spend), jnp.float64(settings["margin"]),
        jnp.float64(settings["initial_cash"]), jnp.float64(settings["var_level"]),
        jnp.float64(settings["capacity"]))
    n = rev.shape[0]
    row = {"prob_ruin": float(np.mean(np.asarray(ruin_year) > 0)), "spend": float(spend[:, 1:].sum(axis=1).mean()),
           "var": float(var), "cvar": float(cvar)}
    for year, c in enumerate(np.asarray(counts)[1:], start=1):
        row[f"p_ruin_year_{year}"] = float(c) / n
    return row


def _check_fraction(value: Any, name: str) -> float:
    if isinstance(value, bool) or not np.isfinite(value) or not (0.0 < value < 1.0):
        raise ValueError(f"{name} must be in (0, 1); got {value!r}")
    return float(value)


def optimize_commitments(
    revenue_paths: Any,
    *,
    planned_growth: float,
    lead_time: int,
    max_ruin: float = 0.05,
    policies: tuple[str, ...] = ("upfront", "rolling", "staged"),
    milestones: tuple[float, ...] = MILESTONES,
    margin: float = 1.0,
    initial_cash: float = 0.0,
    training_share: float | None = None,
    inference_margin: float | None = None,
    gpu: Any = "H100",
    mfu: float = DEFAULT_MFU,
    price_per_gpu_hour: float | None = None,
    price_trend: float = PRICE_PERFORMANCE.value,
    ruin_levels: tuple[float, ...] = RUIN_LEVELS,
    level: float = DEFAULT_LEVEL,
    var_level: float = 0.95,
) -> CommitmentDecision:
    """The largest commitment per policy whose probability of ruin is at most ``max_ruin``.

    ``revenue_paths`` (n, years + 1): demand, e.g. from :func:`~scalinglaws.capex.simulate_revenue`
    or a fitted :class:`~scalinglaws.capex.RevenueFit`. Each policy spends ``f`` times its unit
    schedule (:func:`~scalinglaws.capex.commitments` with ``spend_fraction=1``: the plan ``r0
    planned_growth**t``, signed ``lead_time`` years ahead); cash follows
    :func:`~scalinglaws.capex.simulate_cash` (``margin``, ``initial_cash``, and the training /
    serving split ``training_share`` and ``inference_margin``). The answer is the largest ``f``
    with at most ``max_ruin`` of the paths ruined (an order statistic of each path's critical
    fraction; see the module's docstring). Staged policies try every ``milestones`` value and keep
    the one that buys the most compute at each level of ruin.

    Compute bought: ``training_share`` (1 without a split) of each year's spend, at ``gpu`` and
    ``mfu``, priced ``price_per_gpu_hour`` now (default the GPU's rental quote) and falling
    ``price_trend`` orders of magnitude a year. The frontier is computed at ``ruin_levels`` (and
    ``max_ruin``) that the paths resolve: at least 10 ruined paths. Bands over paths are central
    ``level`` intervals; VaR and CVaR of terminal cash are at ``var_level``.
    """
    rev = as_paths(revenue_paths)
    n, cols = rev.shape
    years = cols - 1
    max_ruin = _check_fraction(max_ruin, "max_ruin")
    if max_ruin * n < MIN_RUINED_PATHS:
        raise ValueError(f"max_ruin={max_ruin:g} with {n} paths is {max_ruin * n:.3g} ruined paths: too few to "
                         f"resolve; give at least {math.ceil(MIN_RUINED_PATHS / max_ruin)} paths")
    if not policies or any(p not in _POLICIES for p in policies) or len(set(policies)) != len(policies):
        raise ValueError(f"policies={policies!r}: give distinct names among {_POLICIES}")
    ms = tuple(float(m) for m in milestones)
    if not ms or any(not (np.isfinite(m) and m >= 0) for m in ms):
        raise ValueError(f"milestones must be non-negative numbers (fractions of plan); got {milestones!r}")
    if not (np.isfinite(planned_growth) and planned_growth > 0) or isinstance(planned_growth, bool):
        raise ValueError(f"planned_growth must be positive and finite (x per year); got {planned_growth!r}")
    lead_time = check_int(lead_time, "lead_time", 0)
    if isinstance(margin, bool) or not (np.isfinite(margin) and margin >= 0):
        raise ValueError(f"margin must be non-negative and finite; got {margin!r}")
    if isinstance(initial_cash, bool) or not (np.isfinite(initial_cash) and initial_cash >= 0):
        raise ValueError(f"initial_cash must be non-negative and finite (ruin at f = 0 otherwise); got {initial_cash!r}")
    level, var_level = check_level(level), check_level(var_level, "var_level")
    capacity = serving_capacity(training_share, inference_margin)
    split = math.isfinite(capacity)
    tau = (TRAINING_SHARE.value if training_share is None else float(training_share)) if split else 1.0
    g = (INFERENCE_MARGIN.value if inference_margin is None else float(inference_margin)) if split else None
    price, gpu_name, hour_price = _price_per_flop(gpu, mfu, price_per_gpu_hour, price_trend, years)
    levels = sorted({float(a) for a in ruin_levels if 0 < a < 1 and a * n >= MIN_RUINED_PATHS} | {max_ruin})
    settings = {"planned_growth": float(planned_growth), "lead_time": lead_time, "max_ruin": max_ruin,
                "margin": float(margin), "initial_cash": float(initial_cash), "capacity": capacity,
                "training_share": tau if split else None,
                "inference_margin": g,
                "gpu": gpu_name, "mfu": float(mfu), "price_per_gpu_hour": hour_price,
                "price_trend": float(price_trend), "level": level, "var_level": var_level,
                "milestones": list(ms), "policies": list(policies)}
    jrev = jnp.asarray(rev)
    flop_per_dollar = tau / price
    levels_np = np.asarray(levels)
    rows, frontier_parts, schedule_parts, flop_columns = [], [], [], {}
    for policy in policies:
        best, units = None, {}
        for m in (ms if policy == "staged" else (1.0,)):
            unit = _spend(jrev, jnp.float64(planned_growth), jnp.float64(1.0), jnp.float64(m), lead_time, policy)
            f_star = _critical_fraction(jrev, unit, jnp.float64(margin), jnp.float64(initial_cash),
                                        jnp.float64(capacity), split)
            f, ruined = _frontier(np.asarray(f_star), levels_np)
            unit = units[m] = np.asarray(unit)
            per_year = unit[:, 1:] * flop_per_dollar[1:]
            total = flop_columns[_unit_column(policy, m, "total")] = per_year.sum(axis=1)
            final = flop_columns[_unit_column(policy, m, "final")] = per_year[:, -1]
            flop, final, spend = f * total.mean(), f * final.mean(), f * unit[:, 1:].sum(axis=1).mean()
            if not np.isfinite(f).all():
                raise ValueError(f"policy {policy!r} never spends on some paths at some levels of ruin: "
                                 "the schedule is empty (planned_growth, r0?)")
            part = pd.DataFrame({"policy": policy, "target_ruin": levels, "spend_fraction": f, "milestone": m,
                                 "prob_ruin": ruined, "flop_mean": flop, "final_flop_mean": final, "spend": spend})
            best = part if best is None else _better(best, part)
        frontier_parts.append(best)
        at = best.loc[best["target_ruin"] == max_ruin].iloc[0]
        f, m = float(at["spend_fraction"]), float(at["milestone"])
        spend = f * units[m]
        flop_years = spend[:, 1:] * flop_per_dollar[1:]
        row = {"spend_fraction": f, "milestone": m if policy == "staged" else np.nan}
        row.update(_band("flop", flop_years.sum(axis=1), level))
        row.update(_band("final_flop", flop_years[:, -1], level))
        row.update(_cash_row(settings, rev, spend, policy))
        rows.append(row)
        schedule_parts.append(_schedule(policy, rev, spend, flop_years, planned_growth, m, lead_time, level))
    table = pd.DataFrame(rows, index=pd.Index(policies, name="policy"))
    first = ["spend_fraction", "milestone", "prob_ruin", "spend"]
    table = table[first + [c for c in table.columns if c not in first]]
    frontier = pd.concat(frontier_parts, ignore_index=True)
    unit_flop = pd.DataFrame(flop_columns)
    unit_flop.index.name = "path"
    for t in (table, frontier):
        t.attrs["level"] = level
    return CommitmentDecision(table=table, frontier=frontier, schedules=pd.concat(schedule_parts, ignore_index=True),
                              unit_flop=unit_flop, settings=settings, n_paths=n, years=years)


def _better(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Row by row (one row a level of ruin), the variant that buys more training FLOP."""
    take_b = (b["flop_mean"].to_numpy() > a["flop_mean"].to_numpy())[:, None]
    return pd.DataFrame(np.where(take_b, b.to_numpy(dtype=object), a.to_numpy(dtype=object)),
                        columns=a.columns).astype(a.dtypes.to_dict())


def _band(name: str, values: np.ndarray, level: float) -> dict:
    tail = (1.0 - level) / 2.0
    return {f"{name}_mean": float(values.mean()), f"{name}_lower": float(np.quantile(values, tail)),
            f"{name}_upper": float(np.quantile(values, 1.0 - tail))}


def _schedule(policy, rev, spend, flop_years, planned_growth, milestone, lead_time, level) -> pd.DataFrame:
    """Per year: when it is signed, its spend (mean, median, band), P(signed), mean FLOP."""
    years = rev.shape[1] - 1
    t = np.arange(1, years + 1)
    if policy == "staged":
        decision = np.maximum(t - lead_time, 0)
        plan = rev[:, :1] * float(planned_growth) ** decision[None, :]
        signed = (t[None, :] <= lead_time) | (rev[:, decision] >= milestone * plan)
        p_signed = signed.mean(axis=0)
    else:
        p_signed = np.ones(years)
    tail = (1.0 - level) / 2.0
    body = spend[:, 1:]
    return pd.DataFrame({
        "policy": policy, "year": t,
        "signed_year": np.zeros(years, dtype=int) if policy == "upfront" else np.maximum(t - lead_time, 0),
        "spend_mean": body.mean(axis=0), "spend_median": np.median(body, axis=0),
        "spend_lower": np.quantile(body, tail, axis=0), "spend_upper": np.quantile(body, 1.0 - tail, axis=0),
        "p_signed": p_signed, "flop_mean": flop_years.mean(axis=0)})


@dataclass(frozen=True)
class DecisionInputs:
    """Everything a commitment decision depends on, in one record: demand (lognormal growth, as
    :func:`~scalinglaws.capex.simulate_revenue`: ``r0``, ``growth_median``, ``growth_interval90``,
    ``decay``, over ``years``, ``n_paths`` paths from ``seed``), the plan (``planned_growth``,
    default the growth median; ``lead_time``; ``policies`` and ``milestones``), the accepted
    ``max_ruin``, cash (``margin``, ``initial_cash``, the ``training_share`` and
    ``inference_margin`` split) and the price of compute (``gpu``, ``mfu``,
    ``price_per_gpu_hour``, ``price_trend``). :mod:`~scalinglaws.capex.stress` varies one input
    at a time; :meth:`decide` runs :func:`optimize_commitments` on them."""

    r0: float
    growth_median: float
    growth_interval90: tuple[float, float]
    years: int
    decay: float = 0.0
    planned_growth: float | None = None
    lead_time: int = 1
    max_ruin: float = 0.05
    policies: tuple[str, ...] = ("upfront", "rolling", "staged")
    milestones: tuple[float, ...] = MILESTONES
    margin: float = 1.0
    initial_cash: float = 0.0
    training_share: float | None = None
    inference_margin: float | None = None
    gpu: str = "H100"
    mfu: float = DEFAULT_MFU
    price_per_gpu_hour: float | None = None
    price_trend: float = PRICE_PERFORMANCE.value
    n_paths: int = 100_000
    seed: int = 0
    revenue_fit: Any = None

    @classmethod
    def from_fit(cls, revenue_fit: Any, years: int, **terms) -> DecisionInputs:
        """Inputs whose demand is a :class:`~scalinglaws.capex.RevenueFit`'s posterior predictive
        (parameter uncertainty included): ``r0``, ``growth_median``, ``growth_interval90`` and
        ``decay`` record its plug-in terms; a different ``growth_median`` (a sensitivity) scales
        every predictive growth by ``growth_median / fit median``."""
        return cls(**{**revenue_fit.terms(), "years": years, **terms, "revenue_fit": revenue_fit})

    @property
    def plan_growth(self) -> float:
        return float(self.growth_median if self.planned_growth is None else self.planned_growth)

    @property
    def sigma(self) -> float:
        """Log-scale spread of one year's growth (:func:`~scalinglaws.capex.growth_sigma`)."""
        return growth_sigma(self.growth_median, self.growth_interval90)

    def with_growth(self, median: float | None = None, sigma: float | None = None) -> DecisionInputs:
        """The same inputs with another growth median and/or spread (the interval moves with them)."""
        m = self.growth_median if median is None else float(median)
        s = self.sigma if sigma is None else float(sigma)
        k = math.exp(_Z90 * s)
        return replace(self, growth_median=m, growth_interval90=(m / k, m * k))

    def revenue(self) -> np.ndarray:
        """``n_paths`` revenue paths over ``years`` from ``seed``."""
        if self.revenue_fit is not None:
            paths = self.revenue_fit.simulate(self.years, self.n_paths, self.seed)
            base = self.revenue_fit.terms()["growth_median"]
            return paths if self.growth_median == base else slowdown(paths, self.growth_median / base)
        return simulate_revenue(self.r0, self.growth_median, self.growth_interval90, years=self.years,
                                n_paths=self.n_paths, seed=self.seed, decay=self.decay)

    def decide(self, revenue: Any = None) -> CommitmentDecision:
        """:func:`optimize_commitments` on these inputs (on ``revenue`` if given, else on
        :meth:`revenue`)."""
        return optimize_commitments(
            self.revenue() if revenue is None else revenue, planned_growth=self.plan_growth,
            lead_time=self.lead_time, max_ruin=self.max_ruin, policies=tuple(self.policies),
            milestones=tuple(self.milestones), margin=self.margin, initial_cash=self.initial_cash,
            training_share=self.training_share, inference_margin=self.inference_margin, gpu=self.gpu, mfu=self.mfu,
            price_per_gpu_hour=self.price_per_gpu_hour, price_trend=self.price_trend)
