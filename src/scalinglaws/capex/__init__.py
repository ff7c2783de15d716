"""Capex planning: from compute to GPU-hours, dollars and megawatts; revenue paths; risk of ruin.

Planners fit scaling laws to decide how much compute to buy, years ahead, against revenue that
is itself an uncertain exponential. This package turns compute (a scalar, an array, or one value
per bootstrap replicate, so that a fit's band propagates) into GPU-hours, rental and amortised
dollars, GPU counts and power; and plays compute commitments against simulated revenue paths to
give the probability of ruin. One concept a module, in the order the data flow:

- :mod:`~scalinglaws.capex.constants`: cited defaults, :class:`Constant` records listed by
  :func:`constants`.
- :mod:`~scalinglaws.capex.hardware`: :class:`GPU` specifications in :data:`GPUS`.
- :mod:`~scalinglaws.capex.costs`: elementwise conversions (:func:`flop_per_gpu_hour`,
  :func:`gpu_hours`, :func:`rental_cost`, :func:`amortised_cost`, :func:`gpu_count`,
  :func:`power_mw`, :func:`cost_in_years`, :func:`electricity_price`).
- :mod:`~scalinglaws.capex.trends`: trends fitted on Epoch AI's shipped data
  (:func:`fit_price_performance`, :func:`fit_training_cost_growth`, :func:`mfu_quantiles`,
  :func:`hardware_price_summary`).
- :mod:`~scalinglaws.capex.plan`: :func:`plan`, the compute a target needs with its band, and
  what it costs; :func:`spend_fraction_for`.
- :mod:`~scalinglaws.capex.revenue`: revenue paths (:func:`simulate_revenue`,
  :func:`planned_revenue`, :func:`slip`, :func:`slowdown`, :func:`growth_sigma`, :func:`growth_probability_below`).
- :mod:`~scalinglaws.capex.demand`: yearly growth fitted to a revenue history, with bands and
  its predictive paths (:func:`fit_revenue`, :class:`RevenueFit`).
- :mod:`~scalinglaws.capex.cash`: commitments against revenue (:func:`commitments`,
  :func:`simulate_cash`, :func:`compare_commitments`).
- :mod:`~scalinglaws.capex.risk`: :func:`commitment_risk`, ruin against the chance of reaching
  the target, per policy.
- :mod:`~scalinglaws.capex.decisions`: :func:`optimize_commitments`, the largest commitment per
  policy whose probability of ruin stays below what is accepted, and the efficient frontier
  (:class:`CommitmentDecision`).
- :mod:`~scalinglaws.capex.capability`: :func:`capability_bought`, what each point of that
  frontier buys through a fitted law (loss or score, band, probability of a target).
- :mod:`~scalinglaws.capex.stress`: :func:`stress_tests` (a slip, a slowdown) and
  :func:`sensitivity` (one input at a time, tornado) of a decision's :class:`DecisionInputs`.
- :mod:`~scalinglaws.capex.scenario`: the ``scalinglaws capex SCENARIO.toml`` command
  (:func:`load_scenario`, :func:`run_scenario`).

Everything random takes an explicit integer ``seed``; the same seed gives the same numbers.
JAX runs in float64 (enabled by ``import scalinglaws``); results come back as numpy arrays and
pandas DataFrames.
"""

from .capability import CapabilityBought, capability_bought, capability_curves
from .cash import CashResult, commitments, compare_commitments, serving_capacity, simulate_cash
from .constants import (
    B200_PEAK, B200_PURCHASE, B200_TDP, CONSTANTS, DEFAULT_ELECTRICITY_YEAR, DEFAULT_MFU, DEPRECIATION,
    ELECTRICITY, H100_PEAK, H100_PURCHASE, H100_RENTAL_HIGH, H100_RENTAL_LOW, H100_RENTAL_MEDIAN,
    H100_SERVER_POWER, H100_TDP, H200_PEAK, H200_PURCHASE, H200_TDP, HOURS_PER_YEAR, HOURS_PER_YEAR_C,
    INTERCONNECT_FRACTION, MFU_HIGH, MFU_LOW, MFU_MEDIAN, OTHER_SERVER_POWER, PRICE_PERFORMANCE,
    PUBLISHED_COST_GROWTH, PUBLISHED_GPU_DOUBLING, PUE_HYPERSCALER, PUE_OTHER, SERVER_OVERHEAD,
    SERVER_TDP_FRACTION, TRAINING_DAYS, TRAINING_SHARE, INFERENCE_MARGIN, Constant, constants,
)
from .costs import (
    amortised_cost, cost_in_years, electricity_price, flop_per_gpu_hour, gpu_count, gpu_hours, power_mw,
    rental_cost,
)
from .decisions import CommitmentDecision, DecisionInputs, optimize_commitments
from .demand import RevenueFit, fit_revenue
from .hardware import GPU, GPUS
from .plan import Plan, plan, spend_fraction_for
from .revenue import growth_probability_below, growth_sigma, planned_revenue, simulate_revenue, slip, slowdown
from .risk import commitment_risk
from .scenario import ScenarioError, ScenarioResult, load_scenario, run_scenario
from .stress import Sensitivity, StressTests, default_ranges, sensitivity, stress_tests
from .trends import TrendFit, fit_price_performance, fit_training_cost_growth, hardware_price_summary, mfu_quantiles

__all__ = [
    "Constant", "GPU", "GPUS", "CONSTANTS", "constants",
    "flop_per_gpu_hour", "gpu_hours", "rental_cost", "amortised_cost", "gpu_count", "power_mw",
    "cost_in_years", "electricity_price",
    "TrendFit", "fit_price_performance", "fit_training_cost_growth", "mfu_quantiles",
    "hardware_price_summary",
    "Plan", "plan", "spend_fraction_for",
    "simulate_revenue", "planned_revenue", "slip", "slowdown", "growth_sigma", "growth_probability_below",
    "RevenueFit", "fit_revenue",
    "CashResult", "commitments", "simulate_cash", "compare_commitments", "serving_capacity",
    "CommitmentDecision", "DecisionInputs", "optimize_commitments", "CapabilityBought", "capability_bought", "capability_curves",
    "StressTests", "stress_tests", "Sensitivity", "sensitivity", "default_ranges",
    "commitment_risk", "ScenarioError", "load_scenario", "run_scenario", "ScenarioResult",
]
