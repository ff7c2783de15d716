"""How a commitment holds when its inputs are wrong: named stress tests (:func:`stress_tests`: a
one-year slip, a growth slowdown, both) and one-at-a-time sensitivity with a tornado figure
(:func:`sensitivity`), for the decision :class:`~scalinglaws.capex.DecisionInputs` describe.

Two questions, kept apart. The commitment is signed: if growth, margin, cash or lead time turn
out other than assumed, what is its probability of ruin? (The commitment's size and rule stay
fixed; rolling and staged still react to the revenue they see.) And had the input been known,
how much compute could have been bought at the accepted ruin (the decision re-optimised)? The
price of compute (GPU price, MFU, price-performance trend) cannot change the first (commitments
are in dollars), only the second. Every variant of demand is simulated from the same seed, so
that the differences are the input's, not Monte Carlo noise (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from .. import serialize
from ..results import Result, Summary
from .constants import H100_RENTAL_HIGH, H100_RENTAL_LOW, H100_RENTAL_MEDIAN, MFU_HIGH, MFU_LOW
from .decisions import CommitmentDecision, DecisionInputs
from .revenue import slip, slowdown

_DEMAND = {"growth_median", "growth_sigma", "decay"}
_CASH = {"margin", "initial_cash", "lead_time", "training_share", "inference_margin"}
_PRICE = {"price_per_gpu_hour", "mfu", "price_trend"}
_TITLES = {"growth_median": "growth median (x/year)", "growth_sigma": "growth spread (log sigma)",
           "decay": "growth decay", "margin": "margin", "initial_cash": "initial cash", "lead_time": "lead time (years)",
           "training_share": "training share", "inference_margin": "inference margin",
           "price_per_gpu_hour": "GPU price ($/GPU-hour)", "mfu": "MFU", "price_trend": "price-performance (OOM/year)"}


def _check_inputs(inputs: Any) -> DecisionInputs:
    if not isinstance(inputs, DecisionInputs):
        raise TypeError(f"inputs must be a capex.DecisionInputs; got {type(inputs).__name__}")
    return inputs


@dataclass(frozen=True, repr=False)
class StressTests(Result):
    """The chosen commitments replayed under named stresses (:func:`stress_tests`).

    ``table``: rows (stress, policy): ``prob_ruin``, mean ``spend``, ``var``/``cvar`` of
    terminal cash, ``p_ruin_year_t`` (when ruin comes), and ``flop_if_foreseen`` (the training
    FLOP the best commitment at ``max_ruin`` would buy had the stress been known).
    """

    table: pd.DataFrame
    max_ruin: float
    level: float

    def figure(self, ax=None):
        """P(ruin) per stress and policy, the accepted ruin dashed."""
        from ..plot.sensitivity import plot_stress

        return plot_stress(self.table, self.max_ruin, ax=ax)

    def summary(self) -> Summary:
        worst = self.table["prob_ruin"].idxmax()
        return Summary(f"StressTests: the commitments chosen at P(ruin) <= {self.max_ruin:g}, replayed",
                       self.table.reset_index(), notes=[f"worst: {worst[1]} under {worst[0]}, P(ruin) = "
                                                 f"{self.table['prob_ruin'].max():.3g}"],
                       level=self.level, formats={c: ".4g" for c in self.table.columns})

    def __repr__(self) -> str:
        return str(self.summary())

    def to_dict(self) -> dict:
        return {**serialize.header("scalinglaws.capex.StressTests"),
                "table": serialize.frame_record(self.table.reset_index()), "max_ruin": self.max_ruin, "level": self.level}

    @classmethod
    def from_dict(cls, d: dict) -> StressTests:
        table = serialize.frame_from_record(d["table"]).set_index(["stress", "policy"])
        table.attrs["level"] = d["level"]
        return cls(table=table, max_ruin=d["max_ruin"], level=d["level"])


def stress_tests(inputs: DecisionInputs, *, slip_years: int = 1, slowdown_to: float | None = None,
                 decision: CommitmentDecision | None = None) -> StressTests:
    """Replay the commitments chosen for ``inputs`` under named stresses.

    - ``baseline``: the paths the decision was made on;
    - ``{slip_years}-year slip``: the same revenue, ``slip_years`` late (:func:`~scalinglaws.capex.slip`);
    - ``slowdown to {x}x``: every year's growth scaled so that the median becomes ``slowdown_to``
      (default half the assumed median: 10x becomes 5x; :func:`~scalinglaws.capex.slowdown`);
    - ``slip and slowdown``: both.

    ``decision`` (default ``inputs.decide()``) is the commitment being stressed.
    """
    inputs = _check_inputs(inputs)
    revenue = inputs.revenue()
    decision = inputs.decide(revenue) if decision is None else decision
    target = inputs.growth_median / 2.0 if slowdown_to is None else float(slowdown_to)
    if not (np.isfinite(target) and target > 0):
        raise ValueError(f"slowdown_to must be a positive growth factor (x per year); got {slowdown_to!r}")
    factor = target / inputs.growth_median
    stressed = {"baseline": revenue, f"{slip_years}-year slip": slip(revenue, slip_years),
                f"slowdown to {target:.3g}x": slowdown(revenue, factor),
                "slip and slowdown": slowdown(slip(revenue, slip_years), factor)}
    parts = []
    for name, rev in stressed.items():
        part = decision.evaluate(rev)
        part["flop_if_foreseen"] = inputs.decide(rev).table["flop_mean"]
        part.insert(0, "stress", name)
        parts.append(part.reset_index())
    table = pd.concat(parts, ignore_index=True).set_index(["stress", "policy"])
    table.attrs["level"] = decision.level
    return StressTests(table=table, max_ruin=inputs.max_ruin, level=decision.level)


def default_ranges(inputs: DecisionInputs) -> dict[str, tuple[float, float]]:
    """Low and high values of each input for :func:`sensitivity`: growth median / 1.5 and x 1.5;
    growth spread x 0.5 and x 1.5 and decay +0.3 (10x a year decaying to 5x in one year is 0.30),
    except with demand from a fitted history, whose predictive carries its own;
    margin x 0.75 and x 1.25 (at most 1); lead time -1 and +1 year; initial cash x 0.5 and x 2 (when
    positive); the split's shares -0.1 and +0.1; the GPU price over the shipped range of on-demand
    H100 quotes (other GPUs: x 0.62 and x 3.1, the same ratios); MFU from Epoch AI's low to high
    (0.30, 0.50); the price-performance trend x 0.5 and x 1.5."""
    i = inputs
    price = i.price_per_gpu_hour
    if i.gpu == "H100" and price is None:
        gpu_range = (H100_RENTAL_LOW.value, H100_RENTAL_HIGH.value)
    else:
        from .hardware import _gpu

        base = _gpu(i.gpu).rental_price if price is None else price
        gpu_range = (base * H100_RENTAL_LOW.value / H100_RENTAL_MEDIAN.value,
                     base * H100_RENTAL_HIGH.value / H100_RENTAL_MEDIAN.value)
    ranges = {"growth_median": (i.growth_median / 1.5, i.growth_median * 1.5),
              "growth_sigma": (0.5 * i.sigma, 1.5 * i.sigma),
              "decay": (i.decay, min(1.0, i.decay + 0.3)),
              "margin": (0.75 * i.margin, min(1.0, 1.25 * i.margin) if i.margin <= 1 else 1.25 * i.margin),
              "lead_time": (max(0, i.lead_time - 1), i.lead_time + 1),
              "price_per_gpu_hour": gpu_range, "mfu": (MFU_LOW.value, MFU_HIGH.value),
              "price_trend": (0.5 * i.price_trend, 1.5 * i.price_trend)}
    if i.revenue_fit is not None:  # the predictive's own spread and decay: only its median is varied
        del ranges["growth_sigma"], ranges["decay"]
    if i.initial_cash > 0:
        ranges["initial_cash"] = (0.5 * i.initial_cash, 2.0 * i.initial_cash)
    if i.training_share is not None or i.inference_margin is not None:
        from .constants import INFERENCE_MARGIN, TRAINING_SHARE

        tau = TRAINING_SHARE.value if i.training_share is None else i.training_share
        g = INFERENCE_MARGIN.value if i.inference_margin is None else i.inference_margin
        ranges["training_share"] = (max(0.0, tau - 0.1), min(1.0, tau + 0.1))
        ranges["inference_margin"] = (max(0.0, g - 0.1), min(0.95, g + 0.1))
    return ranges


def _varied(inputs: DecisionInputs, name: str, value: float) -> DecisionInputs:
    if name == "growth_median":
        return inputs.with_growth(median=value)
    if name == "growth_sigma":
        return inputs.with_growth(sigma=value)
    if name == "lead_time":
        return replace(inputs, lead_time=int(value))
    if name in _DEMAND | _CASH | _PRICE:
        return replace(inputs, **{name: value})
    raise ValueError(f"cannot vary {name!r}; inputs: {sorted(_TITLES)}")


@dataclass(frozen=True, repr=False)
class Sensitivity(Result):
    """One input at a time at its low and high value (:func:`sensitivity`).

    ``table``: rows (input, side, policy) with the input's ``value``, ``prob_ruin`` (of the
    commitment chosen on the base inputs, replayed) and ``flop_mean`` (training FLOP the
    re-optimised commitment buys at ``max_ruin``); ``base``: the same two per policy at the base
    inputs.
    """

    table: pd.DataFrame
    base: pd.DataFrame
    max_ruin: float

    def swings(self, policy: str) -> pd.DataFrame:
        """Per input, the low and high side's P(ruin) and compute relative to base (the tornado's
        bars), largest swing in compute first."""
        t = self.table.xs(policy, level="policy")
        base = self.base.loc[policy]
        out = pd.DataFrame({
            "low": t.xs("low", level="side")["value"], "high": t.xs("high", level="side")["value"],
            "prob_ruin_low": t.xs("low", level="side")["prob_ruin"],
            "prob_ruin_high": t.xs("high", level="side")["prob_ruin"],
            "flop_ratio_low": t.xs("low", level="side")["flop_mean"] / base["flop_mean"],
            "flop_ratio_high": t.xs("high", level="side")["flop_mean"] / base["flop_mean"]})
        order = (np.log(out["flop_ratio_high"]) - np.log(out["flop_ratio_low"])).abs().sort_values(ascending=False)
        return out.loc[order.index]

    def figure(self, policy: str | None = None):
        """Tornado: P(ruin) of the signed commitment and compute bought (relative to base) when
        each input is at its low or high value, for ``policy`` (default the first)."""
        from ..plot.sensitivity import plot_tornado

        policy = self.base.index[0] if policy is None else policy
        return plot_tornado(self.swings(policy), self.base.loc[policy, "prob_ruin"], self.max_ruin, policy, _TITLES)

    def summary(self) -> Summary:
        policy = self.base.index[0]
        table = self.swings(policy)
        table.index.name = "input"
        return Summary(f"Sensitivity of the {policy} commitment chosen at P(ruin) <= {self.max_ruin:g}",
                       table, notes=[f"base: P(ruin) {self.base.loc[policy, 'prob_ruin']:.4g}, training FLOP "
                                     f"{self.base.loc[policy, 'flop_mean']:.4g}; prob_ruin: the signed commitment "
                                     "replayed; flop_ratio: what the re-optimised one buys, over base"],
                       level=None, formats={c: ".4g" for c in table.columns})

    def __repr__(self) -> str:
        return str(self.summary())

    def to_dict(self) -> dict:
        return {**serialize.header("scalinglaws.capex.Sensitivity"),
                "table": serialize.frame_record(self.table.reset_index()), "base": serialize.frame_record(self.base),
                "max_ruin": self.max_ruin}

    @classmethod
    def from_dict(cls, d: dict) -> Sensitivity:
        return cls(table=serialize.frame_from_record(d["table"]).set_index(["input", "side", "policy"]),
                   base=serialize.frame_from_record(d["base"]), max_ruin=d["max_ruin"])


def sensitivity(inputs: DecisionInputs, ranges: dict | None = None,
                decision: CommitmentDecision | None = None) -> Sensitivity:
    """Vary each input to its low and high value (``ranges``: ``{input: (low, high)}``, default
    :func:`default_ranges`), one at a time, and report the probability of ruin of the commitment
    chosen on the base inputs and the compute the re-optimised commitment buys.

    Inputs: ``growth_median``, ``growth_sigma``, ``decay``, ``margin``, ``initial_cash``,
    ``lead_time``, ``training_share``, ``inference_margin``, ``price_per_gpu_hour``, ``mfu``,
    ``price_trend``.
    """
    inputs = _check_inputs(inputs)
    ranges = default_ranges(inputs) if ranges is None else dict(ranges)
    revenue = inputs.revenue()
    decision = inputs.decide(revenue) if decision is None else decision
    base = decision.table[["prob_ruin", "flop_mean"]].copy()
    rows = []
    for name, pair in ranges.items():
        if name not in _TITLES:
            raise ValueError(f"cannot vary {name!r}; inputs: {sorted(_TITLES)}")
        if len(pair) != 2 or not all(np.isfinite(v) for v in pair):
            raise ValueError(f"ranges[{name!r}] must be a (low, high) pair of numbers; got {pair!r}")
        for side, value in zip(("low", "high"), pair):
            varied = _varied(inputs, name, value)
            rev = varied.revenue() if name in _DEMAND else revenue
            if name in _CASH:
                replayed = decision.evaluate(rev, **{name: varied.lead_time if name == "lead_time" else value})
            elif name in _DEMAND:
                replayed = decision.evaluate(rev)
            else:  # the price of compute: the same dollars on the same paths, the same ruin
                replayed = base
            flop = varied.decide(rev).table["flop_mean"]
            for policy in decision.table.index:
                rows.append({"input": name, "side": side, "policy": policy, "value": float(value),
                             "prob_ruin": float(replayed.loc[policy, "prob_ruin"]),
                             "flop_mean": float(flop[policy])})
    table = pd.DataFrame(rows).set_index(["input", "side", "policy"])
    return Sensitivity(table=table, base=base, max_ruin=inputs.max_ruin)
