"""Capex planning: from compute to GPU-hours, dollars and megawatts; revenue paths; risk of ruin.

Planners fit scaling laws to decide how much compute to buy, years ahead, against revenue that
is itself an uncertain exponential. This module turns compute (a scalar, an array, or one value
per bootstrap replicate, so that a fit's band propagates) into GPU-hours, rental and amortised
dollars, GPU counts and power; and plays compute commitments against simulated revenue paths to
give the probability of ruin.

Sections, in order:

1. Cited constants: :class:`Constant` records (value, unit, source, link, date, note) listed by
   :func:`constants`; GPU specifications in :data:`GPUS`.
2. Conversions, elementwise over Python scalars, numpy arrays, JAX arrays and pandas Series:
   :func:`flop_per_gpu_hour`, :func:`gpu_hours`, :func:`rental_cost`, :func:`amortised_cost`,
   :func:`gpu_count`, :func:`power_mw`, :func:`cost_in_years`, :func:`electricity_price`.
3. Trends fitted on Epoch AI's shipped data (CC-BY 4.0): :func:`fit_price_performance`,
   :func:`fit_training_cost_growth`, :func:`mfu_quantiles`, :func:`hardware_price_summary`.
4. :func:`plan`: compute needed for a target (from an ``Ensemble``, a ``Fit`` or an array of
   draws), with its band, in GPU-hours, dollars, GPUs and MW; :func:`spend_fraction_for` sizes
   a commitment plan so that one year's run pays for it.
5. Revenue paths in JAX: :func:`simulate_revenue`, :func:`planned_revenue`, :func:`slip`,
   :func:`growth_probability_below`.
6. Commitments against revenue: :func:`commitments`, :func:`simulate_cash`,
   :func:`compare_commitments`.
7. Buying a target ahead of revenue: :func:`commitment_risk` (ruin against the chance of
   reaching the target, per policy).
8. Scenarios for the ``scalinglaws capex SCENARIO.toml`` command: :func:`load_scenario`,
   :func:`run_scenario`.

Everything random takes an explicit integer ``seed``; the same seed gives the same numbers.
JAX runs in float64 (enabled by ``import scalinglaws``); results come back as numpy arrays and
pandas DataFrames.
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from scipy import stats

import scalinglaws  # noqa: F401  (enables float64 in JAX)

__all__ = [
    "Constant", "GPU", "GPUS", "CONSTANTS", "constants",
    "flop_per_gpu_hour", "gpu_hours", "rental_cost", "amortised_cost", "gpu_count", "power_mw",
    "cost_in_years", "electricity_price",
    "TrendFit", "fit_price_performance", "fit_training_cost_growth", "mfu_quantiles",
    "hardware_price_summary",
    "Plan", "plan", "spend_fraction_for",
    "simulate_revenue", "planned_revenue", "slip", "growth_sigma", "growth_probability_below",
    "CashResult", "commitments", "simulate_cash", "compare_commitments",
    "commitment_risk", "ScenarioError", "load_scenario", "run_scenario", "ScenarioResult",
]


# ============================================================================================
# 1. Cited constants


@dataclass(frozen=True)
class Constant:
    """One cited default: a value with its unit, source, link and date.

    ``volatile`` flags market prices that move month to month (rental and purchase prices):
    treat them as a snapshot, and pass your own quote for a real decision.
    """

    name: str
    value: float
    unit: str
    source: str
    link: str
    date: str
    note: str = ""
    volatile: bool = False


# Links to the epoch-research/training-cost-trends files each value was read from, pinned to
# the commit that was read.
_EPOCH_TCT = "https://github.com/epoch-research/training-cost-trends/blob"
_PKG = "176b66a769efb258d6197c8e1b3e63f839fe1d4e/training_cost_trends"
_EPOCH_CONSTANTS = f"{_EPOCH_TCT}/{_PKG}/constants.py"
_EPOCH_HARDWARE = f"{_EPOCH_TCT}/{_PKG}/hardware.py"
_EPOCH_COST = (
    f"{_EPOCH_TCT}/62d66d8f997e9168d43df848467567757818fad9/training_cost_trends/cost_estimation.py"
)
_EPOCH_ENERGY = f"{_EPOCH_TCT}/2663ad6f2e465825ea5703801d1b0dd8b23ddc51/energy.py"
_EPOCH_UNCERTAINTY = f"{_EPOCH_TCT}/312c7ed5322351f74c308700329a62ef01f33221/uncertainty.ipynb"
_DATA_263 = f"{_EPOCH_TCT}/263c40a159307e917213d1dc433c617e47d55bfe/data"
_EPOCH_PRICES_CSV = f"{_DATA_263}/Hardware%20prices.csv"
_EPOCH_CHIPS_CSV = f"{_DATA_263}/Chip%20dataset-Grid%20view.csv"
_EPOCH_MODELS_CSV = (
    f"{_EPOCH_TCT}/39afc3de1beb16ee18dbe89f925759fa713dc744/data/All%20ML%20Systems%20-%20full%20view.csv"
)
_COTTIER = (
    "Cottier, Rahman, Fattorini, Maslej, Besiroglu, Owen 2024, 'The rising costs of training "
    "frontier AI models', arXiv:2405.21015"
)
_COTTIER_LINK = "https://arxiv.org/abs/2405.21015"
_SHIPPED_PRICES = (
    "Epoch AI hardware prices (CC-BY 4.0), shipped as data/epoch-ml-hardware/hardware_prices.csv"
)
_SHIPPED_CHIPS = "Epoch AI chip database (CC-BY 4.0), shipped as data/epoch-ml-hardware/chips.csv"

HOURS_PER_YEAR_C = Constant(
    "hours_per_year", 24 * 365.25, "h/year",
    "Epoch AI training-cost-trends, constants.py (HOURS_PER_YEAR = 24 * 365.25)",
    _EPOCH_CONSTANTS, "2024-05", "Julian year, as in Epoch's amortisation.",
)

H100_PEAK = Constant(
    "h100_sxm_bf16_dense_flop_per_s", 989.4e12, "FLOP/s",
    "NVIDIA H100 Tensor Core GPU Architecture whitepaper (H100 SXM5: BF16 Tensor 989.4 TFLOPS "
    "dense, 1978.9 with 2:4 sparsity); the H100 datasheet lists 1,979 TFLOPS with sparsity",
    "https://www.nvidia.com/en-us/data-center/h100/", "2022-03-22",
    "Dense (no sparsity) peak; date: announcement. Epoch AI's shipped chip database gives "
    "9.894e14 for 'NVIDIA H100 SXM5 80GB' (checked by the tests), released 2022-09-20.",
)
H200_PEAK = Constant(
    "h200_sxm_bf16_dense_flop_per_s", 989.4e12, "FLOP/s",
    "NVIDIA H200 datasheet (BF16 Tensor Core 1,979 TFLOPS with sparsity; same GH100 compute "
    "as H100 SXM)", "https://www.nvidia.com/en-us/data-center/h200/", "2023-11-13",
    "Dense peak = half the sparse figure; date: announcement (SC23). Epoch AI's shipped chip "
    "database lists 9.895e14 ('NVIDIA H200 SXM', 1,979/2 rounded up); the 0.01% difference "
    "is rounding.",
)
B200_PEAK = Constant(
    "b200_bf16_dense_flop_per_s", 2.25e15, "FLOP/s",
    f"{_SHIPPED_CHIPS}, 'NVIDIA B200' Tensor-FP16/BF16; NVIDIA HGX B200 (1,000 W) lists "
    "4.5 PFLOPS BF16 with sparsity per GPU", _EPOCH_CHIPS_CSV, "2024-03-18",
    "Dense peak at the 1,000 W HGX configuration; the GB200 (1,200 W) variant is faster.",
)
H100_TDP = Constant(
    "h100_sxm_tdp_w", 700.0, "W", _SHIPPED_CHIPS + ", 'NVIDIA H100 SXM5 80GB'",
    _EPOCH_CHIPS_CSV, "2022-09-20", "Maximum board power; also NVIDIA's H100 datasheet.",
)
H200_TDP = Constant(
    "h200_sxm_tdp_w", 700.0, "W", _SHIPPED_CHIPS + ", 'NVIDIA H200 SXM'",
    _EPOCH_CHIPS_CSV, "2024-11-18", "Maximum board power; also NVIDIA's H200 datasheet.",
)
B200_TDP = Constant(
    "b200_tdp_w", 1000.0, "W", _SHIPPED_CHIPS + ", 'NVIDIA B200'",
    _EPOCH_CHIPS_CSV, "2024-03-18", "HGX B200 configuration.",
)

MFU_LOW = Constant(
    "mfu_low", 0.30, "fraction of peak",
    "25th percentile of the 58 MFU values in Epoch AI's notable-models snapshot shipped as "
    "data/epoch-ai-models/notable_ai_models_compute.csv (measured: 0.300, see mfu_quantiles())",
    _EPOCH_MODELS_CSV, "2025-08-07",
    "Also Epoch AI's 2022 recommendation for large language models (Sevilla et al., "
    "'Estimating training compute of deep learning models': 30% for LLMs, 40% otherwise, "
    "https://epoch.ai/blog/estimating-training-compute).",
)
MFU_MEDIAN = Constant(
    "mfu_median", 0.375, "fraction of peak",
    "Epoch AI training-cost-trends constants.py, MEDIAN_UTILIZATION = 0.375, 'median of 33 "
    "known values' (used by Cottier et al. 2024 when a run's utilisation is unknown)",
    _EPOCH_CONSTANTS, "2024-05",
    "The median of the 58 values in the shipped 2025-08-07 snapshot is also 0.375.",
)
MFU_HIGH = Constant(
    "mfu_high", 0.50, "fraction of peak",
    "Upper planning value (rounded); the shipped Epoch AI snapshot's 75th percentile is 0.479 "
    "and 90th 0.562 (n = 58, see mfu_quantiles()); Epoch's uncertainty analysis notes that "
    "its known values range over 0.19-0.56",
    _EPOCH_UNCERTAINTY, "2025-08-07",
    "0.50 itself is a round value between the measured 75th and 90th percentiles, not a "
    "published statistic.",
)

PRICE_PERFORMANCE = Constant(
    "ml_gpu_price_performance_oom_per_year", 0.14, "orders of magnitude (log10) per year",
    "Epoch AI training-cost-trends constants.py, ML_GPU_PRICE_PERFORMANCE_OOMS_PER_YEAR = 0.14, "
    "citing Epoch AI 'Trends in machine learning hardware' (Hobbhahn, Heim, Aydos 2023: ML "
    "hardware FLOP/s per $ doubles about every 2.1 years)", _EPOCH_CONSTANTS, "2023",
    "0.14 OOM/year is a doubling time of log10(2)/0.14 = 2.15 years. Epoch's uncertainty "
    "analysis uses a 90% interval of 0.10-0.18. fit_price_performance() re-fits the trend on "
    "the shipped chip data (see docs/capex.md for the measured values).",
)
DEPRECIATION = Constant(
    "hardware_depreciation_per_year", 0.14 * math.log(10), "1/year (continuous rate)",
    f"{_COTTIER}: hardware value decays at the ML GPU price-performance rate, "
    "r = 0.14 ln(10) per year (cost_estimation.py: hardware_replacement_per_year)",
    _EPOCH_COST, "2024-05",
    "Amortised hardware cost per chip-hour = price x r / hours_per_year.",
)
INTERCONNECT_FRACTION = Constant(
    "cluster_interconnect_cost_fraction", 0.19, "fraction of total cluster cost",
    "Epoch AI training-cost-trends constants.py, CLUSTER_INTERCONNECT_COST_FRACTION = 0.19 "
    "(Cottier et al. 2024)", _EPOCH_CONSTANTS, "2024-05",
    "Interconnect adds hardware x q / (1 - q), i.e. x 1.235 on servers.",
)
SERVER_OVERHEAD = Constant(
    "server_cost_overhead", 1.64, "server cost / accelerator cost",
    "Epoch AI training-cost-trends hardware.py, get_server_cost_overhead (average; A100 1.66, "
    "V100 1.69, P100 1.54)", _EPOCH_HARDWARE, "2024-05",
    "Apply only to chip-only prices; the default GPU prices here are per-GPU shares of 8-GPU "
    "DGX/HGX systems and already include the server (Epoch treats them the same way).",
)
PUE_HYPERSCALER = Constant(
    "pue_hyperscaler", 1.1, "facility power / IT power",
    "Epoch AI training-cost-trends power_usage_effectiveness(): 1.1 for Google, Microsoft, "
    "Amazon, Meta (Patterson et al. 2021, arXiv:2104.10350, Table 4: close to 1.1; Meta "
    "reports 1.09 for data centres completed in 2022)", _EPOCH_ENERGY, "2024-05",
)
PUE_OTHER = Constant(
    "pue_other", 1.25, "facility power / IT power",
    "Epoch AI training-cost-trends power_usage_effectiveness(): 1.25 for other operators "
    "(SemiAnalysis, 'AI datacenter energy dilemma': most AI data-centre specs aim below 1.3)",
    _EPOCH_ENERGY, "2024-05", "Default here: the conservative of the two.",
)
SERVER_TDP_FRACTION = Constant(
    "server_tdp_fraction_gpu", 0.75, "average power / server TDP",
    "Epoch AI training-cost-trends server_TDP_fraction() for GPUs (Patterson et al. 2021; "
    "Barroso et al. 'The datacenter as a computer' assume 75% of peak)", _EPOCH_ENERGY,
    "2024-05", "Epoch's 90% interval: 0.56-1.0.",
)
H100_SERVER_POWER = Constant(
    "h100_server_power_per_chip_tdp", (10.2 / 8) / 0.7, "server W per GPU TDP W",
    "Epoch AI training-cost-trends chip_to_server_power(): DGX H100 draws 10.2 kW max for 8 "
    "GPUs of 0.7 kW", _EPOCH_ENERGY, "2024-05",
)
OTHER_SERVER_POWER = Constant(
    "server_power_per_chip_tdp_default", 1.8, "server W per GPU TDP W",
    "Epoch AI training-cost-trends chip_to_server_power(): average of H100, A100 and V100 "
    "ratios, used for other GPUs", _EPOCH_ENERGY, "2024-05",
    "Used here for H200 and B200, as Epoch's function does for names without 'H100'.",
)
TRAINING_DAYS = Constant(
    "median_training_time_days", 793.5 / 24, "days",
    "Epoch AI training-cost-trends constants.py, MEDIAN_TRAINING_TIME_DAYS = 793.5 / 24, "
    "'median of the running top-10 models'", _EPOCH_CONSTANTS, "2024-05",
    "Default wall-clock time for GPU counts and power.",
)

# US average industrial electricity price by year, $/kWh, as tabulated by Epoch AI
# (training-cost-trends hardware.py, energy_price()), which cites EIA Electric Power Monthly
# table 5.6.A and Statista's EIA series.
_ELECTRICITY = {
    2010: 0.0677, 2011: 0.0682, 2012: 0.0667, 2013: 0.0689, 2014: 0.0710, 2015: 0.0691,
    2016: 0.0676, 2017: 0.0688, 2018: 0.0692, 2019: 0.0681, 2020: 0.0667, 2021: 0.0718,
    2022: 0.0832, 2023: 0.0806, 2024: 0.0771, 2025: 0.0826,
}
_ELECTRICITY_NOTES = {
    2022: "Matches EIA's 8.3 cents/kWh via Statista (retrieved 2025-01).",
    2023: "Matches EIA's 8.06 cents/kWh via Statista (retrieved 2025-01). Default year.",
    2024: "As in Epoch's table; not checked against EIA's annual figure here.",
    2025: "As in Epoch's table; a partial year when tabulated; not checked against EIA here.",
}
ELECTRICITY = {
    year: Constant(
        f"us_industrial_electricity_{year}", price, "$/kWh",
        "US average industrial electricity price, EIA (Electric Power Monthly table 5.6.A), "
        "as tabulated in Epoch AI training-cost-trends hardware.py energy_price()",
        "https://www.eia.gov/electricity/monthly/epm_table_grapher.php?t=epmt_5_6_a",
        str(year), _ELECTRICITY_NOTES.get(year, "As in Epoch's table."),
    )
    for year, price in _ELECTRICITY.items()
}
DEFAULT_ELECTRICITY_YEAR = 2023

# Market prices measured on the shipped Epoch AI hardware-prices table by
# hardware_price_summary(); the tests recompute them from the data.
H100_RENTAL_LOW = Constant(
    "h100_rental_on_demand_low", 2.45, "$/GPU-hour",
    f"{_SHIPPED_PRICES}: minimum of 19 on-demand H100 SXM5 quotes dated 2024-01-29 to 2025-03-17",
    _EPOCH_PRICES_CSV, "2025-03-17", "Cudo Compute, 2025-03-03.", volatile=True,
)
H100_RENTAL_MEDIAN = Constant(
    "h100_rental_on_demand_median", 3.95, "$/GPU-hour",
    f"{_SHIPPED_PRICES}: median of 19 on-demand H100 SXM5 quotes dated 2024-01-29 to 2025-03-17",
    _EPOCH_PRICES_CSV, "2025-03-17",
    "List on-demand prices; committed-use contracts are cheaper (Google Cloud 3-year CUD "
    "$4.86 vs $11.06 on demand in the same table). Default rental price for H100.",
    volatile=True,
)
H100_RENTAL_HIGH = Constant(
    "h100_rental_on_demand_high", 12.29, "$/GPU-hour",
    f"{_SHIPPED_PRICES}: maximum of 19 on-demand H100 SXM5 quotes dated 2024-01-29 to 2025-03-17",
    _EPOCH_PRICES_CSV, "2025-03-17", "AWS p5 on demand ($98.32 / 8 GPUs), 2025-03-17.",
    volatile=True,
)
H100_PURCHASE = Constant(
    "h100_purchase_price_per_gpu", 33819.37, "$/GPU (server-inclusive)",
    f"{_SHIPPED_PRICES}: median of 13 H100 SXM5 purchase prices (per-GPU shares of 8-GPU "
    "DGX/HGX systems) dated 2022-09-29 to 2025-03-03", _EPOCH_PRICES_CSV, "2025-03-03",
    "Range 28,750-46,875. Used as the hardware value at the start of training.", volatile=True,
)
H200_PURCHASE = Constant(
    "h200_purchase_price_per_gpu", 36452.015, "$/GPU (server-inclusive)",
    f"{_SHIPPED_PRICES}: median of 2 H200 SXM purchase prices (8-GPU HGX systems / 8) dated "
    "2024-03-27 and 2025-01-31", _EPOCH_PRICES_CSV, "2025-01-31",
    "Only two quotes (33,820.65 and 39,083.38).", volatile=True,
)
B200_PURCHASE = Constant(
    "b200_purchase_price_per_gpu", 47409.13, "$/GPU (server-inclusive)",
    f"{_SHIPPED_PRICES}: the single B200 purchase price (8-GPU DGX / 8, converted from EUR) "
    "dated 2024-12-17", _EPOCH_PRICES_CSV, "2024-12-17", "One quote only.", volatile=True,
)

# Published trend values, for comparison with the fits (not used as defaults).
PUBLISHED_GPU_DOUBLING = Constant(
    "published_gpu_price_performance_doubling_years", 2.46, "years",
    "Hobbhahn & Besiroglu 2022, 'Trends in GPU price-performance' (Epoch AI): FLOP/s per $ "
    "doubles every 2.46 years, 95% CI [2.24, 2.72], n = 470 GPUs released 2006-2021; ML GPUs "
    "2.07 years [1.54, 3.13], n = 26", "https://epoch.ai/blog/trends-in-gpu-price-performance",
    "2022",
)
PUBLISHED_COST_GROWTH = Constant(
    "published_frontier_training_cost_growth_per_year", 2.4, "x per year",
    f"{_COTTIER}: amortised hardware + energy cost of frontier training runs grows 2.4x per "
    "year since 2016, 90% CI 2.0x-2.9x (arXiv v2; v1 and Epoch's blog post give a 95% CI of "
    "2.0x-3.1x)", _COTTIER_LINK, "2024-05",
)

CONSTANTS: dict[str, Constant] = {
    c.name: c
    for c in [
        H100_PEAK, H200_PEAK, B200_PEAK, H100_TDP, H200_TDP, B200_TDP,
        MFU_LOW, MFU_MEDIAN, MFU_HIGH,
        PRICE_PERFORMANCE, DEPRECIATION, INTERCONNECT_FRACTION, SERVER_OVERHEAD,
        PUE_HYPERSCALER, PUE_OTHER, SERVER_TDP_FRACTION, H100_SERVER_POWER, OTHER_SERVER_POWER,
        HOURS_PER_YEAR_C, TRAINING_DAYS,
        *ELECTRICITY.values(),
        H100_RENTAL_LOW, H100_RENTAL_MEDIAN, H100_RENTAL_HIGH,
        H100_PURCHASE, H200_PURCHASE, B200_PURCHASE,
        PUBLISHED_GPU_DOUBLING, PUBLISHED_COST_GROWTH,
    ]
}

HOURS_PER_YEAR = HOURS_PER_YEAR_C.value
DEFAULT_MFU = MFU_MEDIAN.value


def constants() -> pd.DataFrame:
    """Every cited default as a table: name, value, unit, source, link, date, note, volatile.

    Volatile rows are market prices (rental and purchase) that move month to month.
    """
    rows = [
        {"name": c.name, "value": c.value, "unit": c.unit, "source": c.source, "link": c.link,
         "date": c.date, "note": c.note, "volatile": c.volatile}
        for c in CONSTANTS.values()
    ]
    return pd.DataFrame(rows, columns=["name", "value", "unit", "source", "link", "date", "note",
                                       "volatile"])


@dataclass(frozen=True)
class GPU:
    """An accelerator: dense BF16 peak, board power and (optional) default prices.

    ``purchase_price`` is the hardware value per GPU including its share of the server
    (Epoch's convention for DGX/HGX prices); ``rental_price`` is a default $/GPU-hour (None when
    the shipped data has no representative quote: pass ``price_per_hour`` yourself).
    ``server_power`` multiplies the GPU's TDP to give its server's power.
    ``epoch_name`` is the name in Epoch AI's chip and price tables.
    """

    name: str
    peak_flop_per_s: float
    tdp_w: float
    purchase_price: float | None = None
    rental_price: float | None = None
    server_power: float = OTHER_SERVER_POWER.value
    epoch_name: str | None = None


GPUS: dict[str, GPU] = {
    "H100": GPU("H100", H100_PEAK.value, H100_TDP.value, H100_PURCHASE.value,
                H100_RENTAL_MEDIAN.value, H100_SERVER_POWER.value, "NVIDIA H100 SXM5 80GB"),
    "H200": GPU("H200", H200_PEAK.value, H200_TDP.value, H200_PURCHASE.value, None,
                OTHER_SERVER_POWER.value, "NVIDIA H200 SXM"),
    "B200": GPU("B200", B200_PEAK.value, B200_TDP.value, B200_PURCHASE.value, None,
                OTHER_SERVER_POWER.value, "NVIDIA B200"),
}


def _gpu(gpu: str | GPU) -> GPU:
    if isinstance(gpu, GPU):
        return gpu
    if isinstance(gpu, str) and gpu.strip().upper() in GPUS:
        return GPUS[gpu.strip().upper()]
    known = ", ".join(GPUS)
    raise ValueError(
        f"gpu={gpu!r} is not a known GPU; known: {known} (or pass a scalinglaws.capex.GPU)"
    )


# ============================================================================================
# 2. Conversions (elementwise)


def _is_tracer(x: Any) -> bool:
    return isinstance(x, jax.core.Tracer)


def _values(x: Any, name: str) -> Any:
    """Validate a numeric argument and return it in a form that keeps its container type.

    Python scalars become float, lists and tuples become numpy arrays; numpy arrays, JAX
    arrays and pandas Series pass through (so the result has the caller's type and index).
    NaN is rejected; JAX tracers are not inspected (inside ``jit`` nothing can be checked).
    """
    if isinstance(x, bool):
        raise TypeError(f"{name} must be numeric, got a bool")
    if isinstance(x, (list, tuple)):
        x = np.asarray(x, dtype=np.float64)
    elif isinstance(x, (int, np.integer)):
        x = float(x)
    if _is_tracer(x):
        return x
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be numeric, got {type(x).__name__}") from None
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN")
    return x


def _check_range(x: Any, name: str, *, low: float = -np.inf, high: float = np.inf,
                 low_open: bool = False, high_open: bool = False, finite: bool = False,
                 what: str = "") -> None:
    if _is_tracer(x):
        return
    arr = np.asarray(x, dtype=np.float64)
    bad = (arr <= low) if low_open else (arr < low)
    bad = bad | ((arr >= high) if high_open else (arr > high))
    if finite:
        bad = bad | ~np.isfinite(arr)
    if bad.any():
        example = arr[bad].ravel()[0] if arr.ndim else float(arr)
        raise ValueError(f"{name} must be {what}; got {example!r}")


def _flops(flops: Any) -> Any:
    flops = _values(flops, "flops")
    _check_range(flops, "flops", low=0.0, what="non-negative (FLOP)")
    return flops


def _mfu(mfu: Any) -> Any:
    mfu = _values(mfu, "mfu")
    _check_range(mfu, "mfu", low=0.0, high=1.0, low_open=True,
                 what="in (0, 1] (a fraction of peak FLOP/s, e.g. 0.4 for 40%)")
    return mfu


def _positive(x: Any, name: str, unit: str) -> Any:
    x = _values(x, name)
    _check_range(x, name, low=0.0, low_open=True, finite=True, what=f"positive and finite ({unit})")
    return x


def _nonneg(x: Any, name: str, unit: str) -> Any:
    x = _values(x, name)
    _check_range(x, name, low=0.0, finite=True, what=f"non-negative and finite ({unit})")
    return x


def flop_per_gpu_hour(gpu: str | GPU = "H100", mfu: Any = DEFAULT_MFU) -> Any:
    """Useful FLOP one GPU delivers per hour: ``peak_flop_per_s * mfu * 3600``.

    H100 (989.4e12 FLOP/s dense BF16) at mfu = 0.4 gives 1.4248e18 FLOP per GPU-hour.
    ``mfu`` (model FLOP utilisation, in (0, 1]) may be an array, to carry its uncertainty.
    Default mfu: 0.375, Epoch AI's median of 33 known training runs (see :func:`constants`).
    """
    spec = _gpu(gpu)
    return spec.peak_flop_per_s * _mfu(mfu) * 3600.0


def gpu_hours(flops: Any, gpu: str | GPU = "H100", mfu: Any = DEFAULT_MFU) -> Any:
    """GPU-hours to execute ``flops``: ``flops / (peak_flop_per_s * mfu * 3600)``.

    Elementwise over scalars, numpy arrays, JAX arrays and pandas Series (the result has the
    input's type; a Series keeps its index). 1e26 FLOP on H100 at mfu = 0.4 is 7.02e7 GPU-hours.
    """
    return _flops(flops) / flop_per_gpu_hour(gpu, mfu)


def rental_cost(flops: Any, gpu: str | GPU = "H100", mfu: Any = DEFAULT_MFU,
                price_per_hour: Any = None) -> Any:
    """Dollars to rent the GPU-hours: ``gpu_hours(flops, gpu, mfu) * price_per_hour``.

    ``price_per_hour`` ($/GPU-hour) defaults to the GPU's default rental price: for H100 the
    median on-demand quote in Epoch AI's shipped price table (volatile; see
    :func:`constants`). Other GPUs have no default: pass a quote.
    """
    spec = _gpu(gpu)
    if price_per_hour is None:
        if spec.rental_price is None:
            raise ValueError(
                f"price_per_hour is required for gpu={spec.name!r}: the shipped price data has "
                "no representative rental quote for it"
            )
        price_per_hour = spec.rental_price
    price = _positive(price_per_hour, "price_per_hour", "$/GPU-hour")
    return gpu_hours(flops, spec, mfu) * price


def electricity_price(year: int = DEFAULT_ELECTRICITY_YEAR) -> float:
    """US average industrial electricity price in $/kWh for ``year`` (EIA, via Epoch AI).

    Years 2010-2025 are tabulated; 2023 (0.0806 $/kWh) is the default elsewhere.
    """
    if year not in ELECTRICITY:
        raise ValueError(
            f"year={year!r} has no electricity price; available: "
            f"{min(ELECTRICITY)}-{max(ELECTRICITY)}"
        )
    return ELECTRICITY[year].value


def _server_kw(spec: GPU) -> float:
    return spec.tdp_w / 1000.0 * spec.server_power


def amortised_cost(
    flops: Any,
    gpu: str | GPU = "H100",
    mfu: Any = DEFAULT_MFU,
    *,
    hardware_price: Any = None,
    depreciation_per_year: Any = DEPRECIATION.value,
    interconnect_fraction: float = INTERCONNECT_FRACTION.value,
    server_overhead: float = 1.0,
    pue: Any = PUE_OTHER.value,
    electricity: Any = None,
    server_tdp_fraction: float = SERVER_TDP_FRACTION.value,
    components: bool = False,
) -> Any:
    """Amortised hardware + energy cost of a training run (Cottier et al. 2024, Epoch AI).

    With H = :func:`gpu_hours` (flops, gpu, mfu):

    - hardware = hardware_price * server_overhead * r / 8766 h * H, where r =
      ``depreciation_per_year`` = 0.14 ln(10) per year (hardware loses value at the ML GPU
      price-performance rate, 0.14 orders of magnitude a year), 8766 = hours in a year;
    - interconnect = hardware * q / (1 - q), q = ``interconnect_fraction`` = 0.19;
    - energy = TDP [kW] * server_power * server_tdp_fraction * pue * H * electricity [$/kWh]
      (server_power: server W per GPU TDP W, (10.2/8)/0.7 for H100 from the DGX H100, 1.8
      otherwise; server_tdp_fraction 0.75; pue 1.25 by default, 1.1 for hyperscalers);
    - total = hardware + interconnect + energy.

    This is the "amortized hardware CapEx + energy" method of Cottier et al. 2024
    (arXiv:2405.21015; code: epoch-research/training-cost-trends, cost_estimation.py), with
    ``hardware_price`` taken as the GPU's value at the start of training. Defaults come from
    :func:`constants`: the GPU's server-inclusive purchase price (so ``server_overhead`` = 1;
    use 1.64 with a chip-only price) and the 2023 US industrial electricity price.

    Returns the total, elementwise like :func:`gpu_hours`; with ``components=True`` a dict of
    ``hardware``, ``interconnect``, ``energy`` and ``total``.
    """
    spec = _gpu(gpu)
    if hardware_price is None:
        if spec.purchase_price is None:
            raise ValueError(f"hardware_price is required for gpu={spec.name!r}")
        hardware_price = spec.purchase_price
    hardware_price = _positive(hardware_price, "hardware_price", "$/GPU")
    depreciation_per_year = _positive(depreciation_per_year, "depreciation_per_year", "1/year")
    q = _values(interconnect_fraction, "interconnect_fraction")
    _check_range(q, "interconnect_fraction", low=0.0, high=1.0, high_open=True,
                 what="in [0, 1) (a fraction of total cluster cost)")
    server_overhead = _positive(server_overhead, "server_overhead", "ratio")
    pue = _values(pue, "pue")
    _check_range(pue, "pue", low=1.0, finite=True, what=">= 1 (facility / IT power)")
    if electricity is None:
        electricity = electricity_price()
    electricity = _nonneg(electricity, "electricity", "$/kWh")
    frac = _values(server_tdp_fraction, "server_tdp_fraction")
    _check_range(frac, "server_tdp_fraction", low=0.0, high=1.0, low_open=True,
                 what="in (0, 1]")

    hours = gpu_hours(flops, spec, mfu)
    hardware = hardware_price * server_overhead * depreciation_per_year / HOURS_PER_YEAR * hours
    interconnect = hardware * q / (1.0 - q)
    energy = _server_kw(spec) * frac * pue * hours * electricity
    total = hardware + interconnect + energy
    if components:
        return {"hardware": hardware, "interconnect": interconnect, "energy": energy,
                "total": total}
    return total


def gpu_count(flops: Any, wall_clock_days: Any = TRAINING_DAYS.value, gpu: str | GPU = "H100",
              mfu: Any = DEFAULT_MFU) -> Any:
    """GPUs needed to finish ``flops`` in ``wall_clock_days``: ``gpu_hours / (24 * days)``.

    Fractional (round up yourself). Default wall-clock time: 33.1 days, the median training
    time of Epoch AI's running top-10 models (Cottier et al. 2024).
    """
    days = _positive(wall_clock_days, "wall_clock_days", "days")
    return gpu_hours(flops, gpu, mfu) / (24.0 * days)


def power_mw(flops: Any, wall_clock_days: Any = TRAINING_DAYS.value, gpu: str | GPU = "H100",
             mfu: Any = DEFAULT_MFU, *, pue: Any = PUE_OTHER.value, average: bool = False) -> Any:
    """Facility power in MW for the cluster of :func:`gpu_count` GPUs.

    ``power = gpus * TDP [kW] * server_power * pue / 1000`` (Epoch AI's
    ``cluster_power_capacity``: the capacity to provision). With ``average=True`` it is
    multiplied by the server TDP fraction 0.75, the average draw used for energy cost.
    """
    spec = _gpu(gpu)
    pue = _values(pue, "pue")
    _check_range(pue, "pue", low=1.0, finite=True, what=">= 1 (facility / IT power)")
    gpus = gpu_count(flops, wall_clock_days, spec, mfu)
    mw = gpus * _server_kw(spec) * pue / 1000.0
    return mw * SERVER_TDP_FRACTION.value if average else mw


def cost_in_years(cost: Any, years: Any, oom_per_year: Any = PRICE_PERFORMANCE.value) -> Any:
    """What the same FLOPs cost ``years`` later on the price-performance trend.

    ``cost * 10 ** (-oom_per_year * years)``; default 0.14 orders of magnitude per year (Epoch
    AI's ML GPU price-performance trend), i.e. the price of a fixed FLOP count halves about
    every 2.15 years. Negative ``years`` look back.
    """
    cost = _nonneg(cost, "cost", "$")
    years = _values(years, "years")
    _check_range(years, "years", finite=True, what="finite")
    oom_per_year = _values(oom_per_year, "oom_per_year")
    _check_range(oom_per_year, "oom_per_year", finite=True, what="finite")
    return cost * 10.0 ** (-(oom_per_year * years))


# ============================================================================================
# 3. Trends fitted on Epoch AI's shipped data


@dataclass(frozen=True)
class TrendFit:
    """OLS fit of log10(y) on decimal year: ``log10 y = intercept + slope * year``.

    ``slope`` is in orders of magnitude per year; ``interval`` is its two-sided ``level``
    confidence interval from the OLS standard error and Student's t with n - 2 degrees of
    freedom. ``growth_per_year`` = 10**slope; ``doubling_years`` = log10(2) / slope.
    """

    name: str
    slope: float
    slope_se: float
    interval: tuple[float, float]
    intercept: float
    level: float
    n: int
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def growth_per_year(self) -> float:
        return 10.0 ** self.slope

    @property
    def growth_interval(self) -> tuple[float, float]:
        return (10.0 ** self.interval[0], 10.0 ** self.interval[1])

    @property
    def doubling_years(self) -> float:
        return math.log10(2.0) / self.slope if self.slope > 0 else math.inf

    @property
    def doubling_interval(self) -> tuple[float, float]:
        lo, hi = self.interval
        to_doubling = lambda s: math.log10(2.0) / s if s > 0 else math.inf  # noqa: E731
        return (to_doubling(hi), to_doubling(lo))

    def summary(self) -> pd.Series:
        """One row: slope (OOM/year) with its interval, growth x/year, doubling time, n, dates."""
        return pd.Series(
            {
                "slope_oom_per_year": self.slope,
                "slope_lower": self.interval[0],
                "slope_upper": self.interval[1],
                "growth_per_year": self.growth_per_year,
                "growth_lower": self.growth_interval[0],
                "growth_upper": self.growth_interval[1],
                "doubling_years": self.doubling_years,
                "doubling_lower": self.doubling_interval[0],
                "doubling_upper": self.doubling_interval[1],
                "level": self.level,
                "n": self.n,
                "start": self.start,
                "end": self.end,
            },
            name=self.name,
        )

    def __str__(self) -> str:
        lo, hi = self.interval
        dlo, dhi = self.doubling_interval
        return (
            f"{self.name}: {self.slope:.4f} OOM/year [{lo:.4f}, {hi:.4f}] ({self.level:.0%} CI), "
            f"{self.growth_per_year:.3f}x/year, doubling {self.doubling_years:.2f} years "
            f"[{dlo:.2f}, {dhi:.2f}]; n = {self.n}, {self.start.date()} to {self.end.date()}"
        )


def _ols_trend(name: str, year: np.ndarray, log10y: np.ndarray, dates: pd.Series,
               level: float) -> TrendFit:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1); got {level!r}")
    n = len(year)
    if n < 3:
        raise ValueError(f"{name}: need at least 3 rows to fit a trend with an interval, got {n}")
    x = year - year.mean()
    sxx = float(np.sum(x * x))
    slope = float(np.sum(x * (log10y - log10y.mean())) / sxx)
    intercept = float(log10y.mean() - slope * year.mean())
    resid = log10y - (intercept + slope * year)
    s2 = float(np.sum(resid * resid) / (n - 2))
    se = math.sqrt(s2 / sxx)
    t = float(stats.t.ppf(0.5 + level / 2.0, n - 2))
    return TrendFit(name, slope, se, (slope - t * se, slope + t * se), intercept, level, n,
                    pd.Timestamp(dates.min()), pd.Timestamp(dates.max()))


def _load(name: str) -> pd.DataFrame:
    from scalinglaws import datasets

    return datasets.load(name)


_PRECISION_COLUMNS = {"fp32": "fp32_flop_per_s", "tensor16": "tensor_fp16_bf16_flop_per_s"}


def fit_price_performance(
    chips: pd.DataFrame | None = None,
    *,
    precision: str = "fp32",
    ml_only: bool = False,
    start: str | None = None,
    end: str | None = None,
    level: float = 0.95,
) -> TrendFit:
    """Price-performance trend: OLS of log10(FLOP/s per $ at release) on release date.

    Uses Epoch AI's chip database (``datasets.load("epoch-chips")`` unless ``chips`` is given):
    rows with a release price and a FLOP/s figure for ``precision`` ("fp32": FP32 FLOP/s, the
    metric of Hobbhahn & Besiroglu 2022; "tensor16": tensor FP16/BF16), optionally only rows
    Epoch marks as ML hardware, released in [start, end). Prices are nominal USD (the shipped
    data has no price index, so unlike Hobbhahn & Besiroglu there is no inflation
    adjustment). Compare the doubling time with the published 2.46 years (all GPUs) and about
    2.1 years (ML hardware).
    """
    if precision not in _PRECISION_COLUMNS:
        raise ValueError(f"precision={precision!r}; choose one of {sorted(_PRECISION_COLUMNS)}")
    frame = _load("epoch-chips") if chips is None else chips
    column = _PRECISION_COLUMNS[precision]
    rows = frame.dropna(subset=["release_price_usd", column, "release_date"])
    rows = rows[(rows["release_price_usd"] > 0) & (rows[column] > 0)]
    if ml_only:
        rows = rows[rows["ml_hardware"].astype(bool)]
    if start is not None:
        rows = rows[rows["release_date"] >= pd.Timestamp(start)]
    if end is not None:
        rows = rows[rows["release_date"] < pd.Timestamp(end)]
    name = f"price-performance ({precision}{', ML hardware' if ml_only else ''})"
    return _ols_trend(name, rows["year"].to_numpy(float),
                      np.log10(rows[column] / rows["release_price_usd"]).to_numpy(float),
                      rows["release_date"], level)


_COST_COLUMNS = {
    "amortised": "hardware_capex_energy_cost_usd",
    "cloud": "cloud_cost_usd",
    "acquisition": "hardware_acquisition_cost_usd",
}


def fit_training_cost_growth(
    costs: pd.DataFrame | None = None,
    models: pd.DataFrame | None = None,
    *,
    method: str = "amortised",
    start: str | None = "2016-01-01",
    end: str | None = None,
    level: float = 0.90,
) -> TrendFit:
    """Growth of frontier training cost: OLS of log10(cost) on publication date.

    Costs are Epoch AI's estimates for frontier models (``datasets.load("epoch-model-costs")``,
    Cottier et al. 2024 and later updates); publication dates come from the notable-models
    table, joined on the model name. ``method``: "amortised" (hardware capex + energy, the
    paper's headline series), "cloud" or "acquisition". Defaults match the paper: models
    published since 2016, 90% interval. Compare ``growth_per_year`` with 2.4x (90% CI 2.0-2.9).
    """
    if method not in _COST_COLUMNS:
        raise ValueError(f"method={method!r}; choose one of {sorted(_COST_COLUMNS)}")
    costs = _load("epoch-model-costs") if costs is None else costs
    models = _load("epoch-notable-models") if models is None else models
    column = _COST_COLUMNS[method]
    dates = models[["model", "publication_date", "year"]].drop_duplicates("model")
    rows = costs[["model", column]].merge(dates, on="model", how="inner")
    rows = rows.dropna(subset=[column, "publication_date"])
    rows = rows[rows[column] > 0]
    if start is not None:
        rows = rows[rows["publication_date"] >= pd.Timestamp(start)]
    if end is not None:
        rows = rows[rows["publication_date"] < pd.Timestamp(end)]
    return _ols_trend(f"frontier training cost ({method})", rows["year"].to_numpy(float),
                      np.log10(rows[column]).to_numpy(float), rows["publication_date"], level)


def mfu_quantiles(models: pd.DataFrame | None = None,
                  q: tuple[float, ...] = (0.10, 0.25, 0.50, 0.75, 0.90)) -> pd.Series:
    """Quantiles of reported model FLOP utilisation in Epoch AI's notable-models table.

    Index: ``q``; ``attrs["n"]`` holds the number of runs with a reported value.
    """
    models = _load("epoch-notable-models") if models is None else models
    values = models["hardware_utilization_mfu"].dropna().to_numpy(float)
    out = pd.Series(np.quantile(values, q), index=pd.Index(q, name="q"), name="mfu")
    out.attrs["n"] = int(values.size)
    return out


_PRICE_KINDS = {
    "on_demand": "price_per_chip_hour_on_demand_usd",
    "1y_commit": "price_per_chip_hour_1y_commit_usd",
    "3y_commit": "price_per_chip_hour_3y_commit_usd",
    "purchase": "purchase_price_usd",
}


def hardware_price_summary(gpu: str | GPU = "H100", kind: str = "on_demand", *,
                           since: str | None = None, prices: pd.DataFrame | None = None
                           ) -> pd.Series:
    """Summary (n, first/last date, min, quartiles, max) of a GPU's prices in Epoch AI's table.

    ``kind``: "on_demand", "1y_commit", "3y_commit" ($/GPU-hour) or "purchase" ($/GPU).
    The rental and purchase defaults in :func:`constants` are this function's output:
    H100 on-demand since 2024-01-01 (min / median / max) and the purchase medians.
    """
    spec = _gpu(gpu)
    if kind not in _PRICE_KINDS:
        raise ValueError(f"kind={kind!r}; choose one of {sorted(_PRICE_KINDS)}")
    if spec.epoch_name is None:
        raise ValueError(f"gpu={spec.name!r} has no epoch_name to look up prices")
    prices = _load("epoch-hardware-prices") if prices is None else prices
    column = _PRICE_KINDS[kind]
    rows = prices[prices["hardware_model"] == spec.epoch_name]
    rows = rows.dropna(subset=[column, "price_date"])
    if since is not None:
        rows = rows[rows["price_date"] >= pd.Timestamp(since)]
    values = rows[column].to_numpy(float)
    if values.size == 0:
        after = f" since {since}" if since else ""
        raise ValueError(f"no {kind} prices for {spec.epoch_name!r}{after}")
    return pd.Series(
        {
            "n": int(values.size),
            "first": rows["price_date"].min(),
            "last": rows["price_date"].max(),
            "min": float(values.min()),
            "q25": float(np.quantile(values, 0.25)),
            "median": float(np.median(values)),
            "q75": float(np.quantile(values, 0.75)),
            "max": float(values.max()),
        },
        name=f"{spec.name} {kind}",
    )


# ============================================================================================
# 4. Plan


@dataclass(frozen=True, repr=False)
class Plan:
    """Compute needed for a target, and what it costs, each with a band.

    - ``table``: rows compute (FLOP), GPU-hours, rental ($), amortised ($), GPUs, power (MW);
      columns ``estimate`` (median over the reachable replicates), ``lower``, ``upper`` (the
      central ``level`` interval over the reachable replicates) and ``point_fit`` (the point
      fit's compute, converted the same way; NaN where the point fit never reaches the target
      or when plain draws were given).
    - ``draws``: one row per replicate, the same six quantities (``inf`` where the target is
      unreachable): the converted draws whose quantiles make the table. The band of a row is
      the quantiles of its converted draws, not a conversion of the compute quantiles; the two
      coincide here because every conversion is increasing in compute.
    - ``unreachable_fraction``: share of replicates for which the target cannot be reached
      (compute = inf), excluded from the quantiles.
    - ``source``: ``"ensemble"``, ``"fit"`` (one value, no band) or ``"draws"``.
    """

    table: pd.DataFrame
    unreachable_fraction: float
    n_replicates: int
    target: Any
    level: float
    assumptions: dict = field(default_factory=dict)
    draws: pd.DataFrame | None = None
    source: str = "draws"

    def share_within(self, budget: float, row: str = "rental ($)") -> float:
        """Share of all replicates whose requirement in ``row`` is at most ``budget``.

        Unreachable replicates count as not within any budget, so this is the probability,
        under the ensemble, that ``budget`` is enough to reach the target. A budget set at the
        upper end of a 90% band covers 0.95 x (1 - unreachable_fraction) of the replicates.
        """
        if self.draws is None:
            raise ValueError("this plan holds no per-replicate draws")
        if row not in self.draws.columns:
            raise KeyError(f"row {row!r} is not one of {list(self.draws.columns)}")
        return float(np.mean(self.draws[row].to_numpy() <= float(budget)))

    def __str__(self) -> str:
        if self.source == "fit":
            head = (f"Plan for target {self.target!r} from a point fit (no band): "
                    + ("unreachable" if self.unreachable_fraction else "reachable"))
        else:
            head = (f"Plan for target {self.target!r}: {self.n_replicates} replicates, "
                    f"{self.unreachable_fraction:.1%} cannot reach it; "
                    f"median and {self.level:.0%} interval over the reachable ones")
        fmt = self.table.copy()
        for col in fmt.columns:
            fmt[col] = [f"{v:.4g}" if np.isfinite(v) else str(v) for v in self.table[col]]
        assumed = ", ".join(f"{k}={v}" for k, v in self.assumptions.items())
        return "\n".join([head, fmt.to_string(), f"assumptions: {assumed}"])

    __repr__ = __str__


_PLAN_ROWS = ["compute (FLOP)", "GPU-hours", "rental ($)", "amortised ($)", "GPUs", "power (MW)"]


def _is_fit(obj: Any) -> bool:
    from .fitting import Fit

    return isinstance(obj, Fit)


def _point_compute(fit: Any, target: float) -> float:
    """The point fit's compute (or x) for ``target``; inf where it never reaches it."""
    from .extrapolate import inverse_input

    value = float(fit.compute_for(target)[inverse_input(fit.law)].iloc[0])
    return value if np.isfinite(value) else np.inf


def _check_target(target: Any) -> float:
    if isinstance(target, bool) or np.ndim(target) != 0:
        raise ValueError(f"target must be one number (a loss or score); got {target!r}")
    try:
        value = float(target)
    except (TypeError, ValueError):
        raise ValueError(f"target must be a number; got {target!r}") from None
    if not np.isfinite(value):
        raise ValueError(f"target must be finite; got {target!r}")
    return value


def _plan_rows(flops: np.ndarray, spec: GPU, mfu: float, price: float | None,
               wall_clock_days: float, pue: float, hardware_price: float | None,
               electricity: float | None) -> dict[str, np.ndarray]:
    """The six plan quantities for each compute value; ``inf`` in, ``inf`` out."""
    finite = np.isfinite(flops)
    reach = flops[finite]
    converted = {
        "compute (FLOP)": reach,
        "GPU-hours": gpu_hours(reach, spec, mfu),
        "rental ($)": rental_cost(reach, spec, mfu, price),
        "amortised ($)": amortised_cost(reach, spec, mfu, hardware_price=hardware_price,
                                        pue=pue, electricity=electricity),
        "GPUs": gpu_count(reach, wall_clock_days, spec, mfu),
        "power (MW)": power_mw(reach, wall_clock_days, spec, mfu, pue=pue),
    }
    out = {}
    for name, values in converted.items():
        full = np.full(flops.shape, np.inf)
        full[finite] = np.asarray(values, dtype=np.float64)
        out[name] = full
    return out


def plan(
    ensemble: Any,
    target: Any = None,
    *,
    gpu: str | GPU = "H100",
    mfu: float = DEFAULT_MFU,
    price: float | None = None,
    level: float = 0.9,
    wall_clock_days: float = TRAINING_DAYS.value,
    pue: float = PUE_OTHER.value,
    hardware_price: float | None = None,
    electricity: float | None = None,
) -> Plan:
    """Compute needed to reach ``target``, with its band, in GPU-hours, dollars, GPUs and MW.

    ``ensemble`` is one of:

    - an :class:`~scalinglaws.ensemble.Ensemble` (``fit.bootstrap(...)``), or any object with
      ``compute_for_draws(target)``: one compute value (FLOP) per bootstrap replicate, ``inf``
      where the target is below that replicate's asymptote;
    - a :class:`~scalinglaws.fitting.Fit`: one value from ``fit.compute_for(target)``, no band
      (``estimate = lower = upper``; ``unreachable_fraction`` is 0 or 1);
    - an array of compute draws (FLOP, ``inf`` for unreachable), with ``target=None``.

    Each replicate's compute goes through :func:`gpu_hours`, :func:`rental_cost` (``price``
    $/GPU-hour; default the GPU's rental quote), :func:`amortised_cost`, :func:`gpu_count` and
    :func:`power_mw` (over ``wall_clock_days``). The table reports the median and the central
    ``level`` interval of the converted draws, **over the reachable replicates only**;
    ``unreachable_fraction`` says how many were left out, and ``point_fit`` converts the
    ensemble's point fit. ``Plan.draws`` holds the converted draws themselves. Since every
    conversion is increasing in compute, each row's band is also the compute band converted.

    For chinchilla the compute is that of the compute-optimal allocation (``C = 6 N D``).
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1); got {level!r}")
    for name, value in (("mfu", mfu), ("price", price), ("wall_clock_days", wall_clock_days),
                        ("pue", pue), ("hardware_price", hardware_price),
                        ("electricity", electricity)):
        if value is not None and np.ndim(value) != 0:
            raise ValueError(
                f"{name} must be one number in plan(); to carry its uncertainty, convert the "
                "draws yourself (see docs/capex.md, 'How a band propagates')"
            )
    point = np.nan
    if _is_fit(ensemble):
        target = _check_target(target)
        source = "fit"
        draws = np.array([_point_compute(ensemble, target)])
        point = draws[0]
    elif hasattr(ensemble, "compute_for_draws"):
        target = _check_target(target)
        source = "ensemble"
        draws = ensemble.compute_for_draws(target)
        if _is_fit(getattr(ensemble, "fit", None)):
            point = _point_compute(ensemble.fit, target)
    elif target is None:
        source = "draws"
        draws = ensemble
    else:
        raise TypeError(
            "ensemble must be an Ensemble or a Fit (or provide compute_for_draws(target)), or "
            "be an array of compute draws with target=None"
        )
    draws = np.asarray(draws, dtype=np.float64).ravel()
    if draws.size == 0:
        raise ValueError("ensemble returned no compute draws")
    if np.isnan(draws).any():
        raise ValueError("compute draws contain NaN (use inf for an unreachable target)")
    if (draws < 0).any():
        raise ValueError("compute draws must be non-negative FLOP")
    spec = _gpu(gpu)
    if price is None and spec.rental_price is None:
        raise ValueError(f"price ($/GPU-hour) is required for gpu={spec.name!r}: no default quote")
    settings = (spec, mfu, price, wall_clock_days, pue, hardware_price, electricity)
    per_draw = pd.DataFrame(_plan_rows(draws, *settings), columns=_PLAN_ROWS)
    per_draw.index.name = "replicate"
    point_rows = _plan_rows(np.array([point if np.isfinite(point) else np.inf]), *settings)
    reachable = np.isfinite(draws)
    unreachable = 1.0 - float(np.mean(reachable))
    tail = (1.0 - level) / 2.0
    qs = [0.5, tail, 1.0 - tail]
    if not reachable.any():
        warnings.warn(f"target {target!r} is unreachable for every replicate", stacklevel=2)
        table = pd.DataFrame(np.nan, index=_PLAN_ROWS, columns=["estimate", "lower", "upper"])
    else:
        table = pd.DataFrame(
            {name: np.quantile(per_draw[name].to_numpy()[reachable], qs) for name in _PLAN_ROWS},
            index=["estimate", "lower", "upper"],
        ).T
    table["point_fit"] = [v[0] if np.isfinite(v[0]) else np.nan for v in point_rows.values()]
    assumptions = {
        "gpu": spec.name, "mfu": mfu,
        "price_per_hour": price if price is not None else spec.rental_price,
        "hardware_price": hardware_price if hardware_price is not None else spec.purchase_price,
        "wall_clock_days": round(float(wall_clock_days), 2), "pue": pue,
        "electricity": electricity if electricity is not None else electricity_price(),
    }
    return Plan(table, unreachable, int(draws.size), target, level, assumptions, per_draw, source)


def spend_fraction_for(cost: float, r0: float, planned_growth: float, year: int) -> float:
    """Spend fraction ``f`` whose planned spend in ``year`` pays ``cost``: ``cost / (r0 g^year)``.

    Under :func:`commitments` the plan spends ``f * r0 * g^t`` in year t: a run each year,
    growing with planned revenue. Sizing ``f`` this way makes the year-``year`` run the one
    that costs ``cost`` (e.g. a :class:`Plan`'s median or upper rental cost for a target).
    ``f`` above 1 means the plan spends more than that year's planned revenue.
    """
    cost = float(cost)
    if not (np.isfinite(cost) and cost >= 0):
        raise ValueError(f"cost must be non-negative and finite ($); got {cost!r}")
    if not (np.isfinite(r0) and r0 > 0):
        raise ValueError(f"r0 must be positive and finite (revenue now); got {r0!r}")
    if not (np.isfinite(planned_growth) and planned_growth > 0):
        raise ValueError(f"planned_growth must be positive and finite; got {planned_growth!r}")
    year = _check_int(year, "year", 0)
    return cost / (float(r0) * float(planned_growth) ** year)


# ============================================================================================
# 5. Revenue paths

_Z90 = float(stats.norm.ppf(0.95))  # 1.6449: a central 90% interval is median * exp(+-z sigma)


def growth_sigma(growth_median: float, growth_interval90: tuple[float, float],
                 rtol: float = 0.01) -> float:
    """Log-scale sigma of lognormal yearly growth from its median and central 90% interval.

    ``sigma = (ln hi - ln lo) / (2 * 1.6449)``. The interval must be geometrically symmetric
    about the median, ``lo * hi = median**2`` (within ``rtol`` relative), as a lognormal's is:
    e.g. median 10x with [3.16x, 31.6x]. ``lo = hi = median`` gives sigma = 0 (no noise).
    """
    med = float(growth_median)
    if not (med > 0 and np.isfinite(med)):
        raise ValueError(
            f"growth_median must be positive and finite (x per year); got {growth_median!r}"
        )
    try:
        lo, hi = (float(v) for v in growth_interval90)
    except (TypeError, ValueError):
        raise ValueError(
            f"growth_interval90 must be a pair (low, high); got {growth_interval90!r}"
        ) from None
    if not (0 < lo <= med <= hi and np.isfinite(hi)):
        raise ValueError(
            f"growth_interval90 must satisfy 0 < low <= growth_median <= high; got "
            f"({lo!r}, {hi!r}) around median {med!r}"
        )
    centre = math.sqrt(lo * hi)
    if abs(math.log(centre / med)) > math.log1p(rtol):
        raise ValueError(
            f"growth_interval90 ({lo}, {hi}) is not geometrically symmetric about the median "
            f"{med}: its geometric centre is {centre:.4g}; a lognormal's 90% interval is "
            f"(median / k, median * k)"
        )
    return (math.log(hi) - math.log(lo)) / (2.0 * _Z90)


def growth_probability_below(threshold: float, growth_median: float,
                             growth_interval90: tuple[float, float]) -> float:
    """P(one year's growth < threshold) under the lognormal: ``Phi(ln(threshold/median) / sigma)``.

    Median 10x with 90% interval [3.16x, 31.6x]: P(growth < 5x) = 0.161.
    """
    sigma = growth_sigma(growth_median, growth_interval90)
    if not threshold > 0:
        raise ValueError(f"threshold must be positive; got {threshold!r}")
    if sigma == 0.0:
        return float(threshold > growth_median)
    return float(stats.norm.cdf(math.log(threshold / growth_median) / sigma))


def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def _log_growth_medians(growth_median: float, years: int, decay: float) -> np.ndarray:
    """ln(median growth) in years 1..T: ``ln(growth_median) * (1 - decay) ** (t - 1)``."""
    t = np.arange(years, dtype=np.float64)
    return math.log(growth_median) * (1.0 - decay) ** t


@functools.partial(jax.jit, static_argnames=("n",))
def _revenue_paths(key: jax.Array, r0: jax.Array, mu: jax.Array, sigma: jax.Array,
                   n: int) -> jax.Array:
    """(n, T+1) revenue: ``r0 * exp(cumsum(mu_t + sigma * z_t))`` with z standard normal."""
    z = jax.random.normal(key, (n, mu.shape[0]), dtype=jnp.float64)
    log_growth = mu[None, :] + sigma * z
    log_path = jnp.concatenate([jnp.zeros((n, 1)), jnp.cumsum(log_growth, axis=1)], axis=1)
    return r0 * jnp.exp(log_path)


def simulate_revenue(r0: float, growth_median: float, growth_interval90: tuple[float, float],
                     years: int, n: int, seed: int, decay: float = 0.0) -> np.ndarray:
    """Yearly revenue paths with lognormal yearly growth, shape (n, years + 1).

    Column 0 is ``r0``; column t is ``R_t = R_{t-1} * g_t`` with independent
    ``ln g_t ~ Normal(mu_t, sigma)``:

    - ``mu_t = ln(growth_median) * (1 - decay) ** (t - 1)`` for t = 1..years: ``decay`` in
      [0, 1] shrinks the log of the median growth geometrically each year (decay = 0: constant
      median; decay = 0.5 with a 10x median gives medians 10x, 3.16x, 1.78x, ...; decay = 1:
      median 1x after the first year);
    - ``sigma`` from the central 90% interval of one year's growth in the first year,
      :func:`growth_sigma` (constant over years). The interval must be geometric-symmetric
      about the median; ``(m, m)`` gives deterministic growth.

    Random numbers come from ``jax.random.key(seed)``: the same seed gives the same paths.
    """
    if not (np.isfinite(r0) and r0 > 0):
        raise ValueError(f"r0 must be positive and finite (revenue now); got {r0!r}")
    sigma = growth_sigma(growth_median, growth_interval90)
    years = _check_int(years, "years", 1)
    n = _check_int(n, "n", 1)
    seed = _check_int(seed, "seed", 0)
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"decay must be in [0, 1]; got {decay!r}")
    mu = jnp.asarray(_log_growth_medians(growth_median, years, decay))
    paths = _revenue_paths(jax.random.key(seed), jnp.float64(r0), mu, jnp.float64(sigma), n)
    return np.asarray(paths)


def planned_revenue(r0: float, planned_growth: float, years: int) -> np.ndarray:
    """The plan: ``P_t = r0 * planned_growth ** t`` for t = 0..years (shape (years + 1,))."""
    if not (np.isfinite(r0) and r0 > 0):
        raise ValueError(f"r0 must be positive and finite; got {r0!r}")
    if not (np.isfinite(planned_growth) and planned_growth > 0):
        raise ValueError(f"planned_growth must be positive and finite; got {planned_growth!r}")
    years = _check_int(years, "years", 0)
    return r0 * float(planned_growth) ** np.arange(years + 1, dtype=np.float64)


def slip(revenue: Any, years: int = 1) -> np.ndarray:
    """Revenue realised ``years`` late: ``R'_t = R_{max(t - years, 0)}``.

    The same paths, shifted right along the time axis, with revenue flat at R_0 until the slip
    has passed. Planning 10x a year and realising 10x a year one year late leaves year-2
    revenue at a tenth of plan.
    """
    arr = np.asarray(revenue, dtype=np.float64)
    if arr.ndim not in (1, 2):
        raise ValueError(f"revenue must be (years + 1,) or (n, years + 1); got shape {arr.shape}")
    years = _check_int(years, "years", 0)
    idx = np.maximum(np.arange(arr.shape[-1]) - years, 0)
    return arr[..., idx]


# ============================================================================================
# 6. Commitments against revenue: cash and ruin

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
    rev = _revenue_array(revenue)
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
    lead_time = _check_int(lead_time, "lead_time", 0)
    out = _spend(jnp.asarray(rev), jnp.float64(planned_growth), jnp.float64(spend_fraction),
                 jnp.float64(milestone), lead_time, policy)
    return np.asarray(out)


def _revenue_array(revenue: Any) -> np.ndarray:
    arr = np.asarray(revenue, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise ValueError(
            f"revenue must have shape (n, years + 1) with years >= 1; got {np.shape(revenue)}"
        )
    if not np.isfinite(arr).all() or (arr <= 0).any():
        raise ValueError("revenue must be positive and finite")
    return arr


@jax.jit
def _cash(revenue: jax.Array, spend: jax.Array, margin: jax.Array, initial_cash: jax.Array,
          level: jax.Array):
    n, cols = revenue.shape
    flows = margin * revenue[:, 1:] - spend[:, 1:]
    cash = initial_cash + jnp.concatenate([jnp.zeros((n, 1)), jnp.cumsum(flows, axis=1)], axis=1)
    negative = cash[:, 1:] < 0.0
    ruined = negative.any(axis=1)
    ruin_year = jnp.where(ruined, jnp.argmax(negative, axis=1) + 1, 0)
    counts = jnp.bincount(ruin_year, length=cols)
    terminal = cash[:, -1]
    var = jnp.quantile(terminal, 1.0 - level)
    tail = terminal <= var
    cvar = jnp.sum(jnp.where(tail, terminal, 0.0)) / jnp.sum(tail)
    return cash, ruin_year, counts, var, cvar


@dataclass(frozen=True, repr=False)
class CashResult:
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

    @property
    def terminal(self) -> np.ndarray:
        return self.cash[:, -1]

    def summary(self) -> pd.Series:
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

    def __str__(self) -> str:
        n, cols = self.cash.shape
        return (
            f"CashResult({self.policy}, {n} paths x {cols - 1} years): P(ruin) = "
            f"{self.prob_ruin:.4f}; terminal cash median {np.median(self.terminal):.4g}, "
            f"VaR{self.level:.0%} {self.var:.4g}, CVaR{self.level:.0%} {self.cvar:.4g}"
        )

    __repr__ = __str__


def simulate_cash(
    revenue: Any,
    *,
    planned_growth: float,
    spend_fraction: float,
    lead_time: int,
    policy: str = "rolling",
    milestone: float = 1.0,
    margin: float = 1.0,
    initial_cash: float = 0.0,
    level: float = 0.95,
    spend: Any = None,
) -> CashResult:
    """Play compute commitments against revenue paths: cash, probability and year of ruin.

    ``cash_t = initial_cash + sum_{s=1..t} (margin * R_s - S_s)`` for t = 1..years, with R the
    revenue paths (e.g. from :func:`simulate_revenue`, or :func:`slip` of them) and S the spend
    from :func:`commitments` (``policy``, ``planned_growth``, ``spend_fraction``,
    ``lead_time``, ``milestone``), or an explicit ``spend`` array broadcastable to R.
    ``margin`` is the share of revenue left to pay for compute (1: all of it; the default,
    i.e. no other costs) and ``initial_cash`` the cash at the start (default 0: no buffer).
    A path is ruined when its cash is negative at the end of any year.

    Returns a :class:`CashResult` with ``prob_ruin``, ``ruin_years`` (distribution of the
    year of ruin), ``var`` and ``cvar`` of terminal cash at ``level`` and the cash paths.
    """
    rev = _revenue_array(revenue)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1); got {level!r}")
    for name, value in (("margin", margin), ("initial_cash", initial_cash)):
        if not np.isfinite(value):
            raise ValueError(f"{name} must be finite; got {value!r}")
    if spend is None:
        spend_arr = commitments(rev, planned_growth=planned_growth, spend_fraction=spend_fraction,
                                lead_time=lead_time, policy=policy, milestone=milestone)
    else:
        spend_arr = np.broadcast_to(np.asarray(spend, dtype=np.float64), rev.shape)
        policy = "given"
    cash, ruin_year, counts, var, cvar = _cash(
        jnp.asarray(rev), jnp.asarray(spend_arr), jnp.float64(margin), jnp.float64(initial_cash),
        jnp.float64(level),
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
        cvar=float(cvar), level=float(level), policy=policy,
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
) -> pd.DataFrame:
    """One row per commitment policy: ruin probability, terminal cash (median, VaR, CVaR),
    mean total spend and spend as a share of the up-front plan's.

    Staged commitments trade compute for safety: the ``spend_vs_upfront`` column says how
    much of the planned compute each policy actually buys, on average over paths.
    """
    rev = _revenue_array(revenue)
    upfront = commitments(rev, planned_growth=planned_growth, spend_fraction=spend_fraction,
                          lead_time=lead_time, policy="upfront")
    upfront_total = float(upfront[:, 1:].sum(axis=1).mean())
    rows = []
    for policy in policies:
        result = simulate_cash(rev, planned_growth=planned_growth, spend_fraction=spend_fraction,
                               lead_time=lead_time, policy=policy, milestone=milestone,
                               margin=margin, initial_cash=initial_cash, level=level)
        row = result.summary()
        share = row["mean_total_spend"] / upfront_total if upfront_total > 0 else np.nan
        row["spend_vs_upfront"] = share
        rows.append(row)
    table = pd.DataFrame(rows)
    table.index.name = "policy"
    return table


# ============================================================================================
# 7. Buying a target ahead of revenue

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
    value = float(_positive(budget, "budget", "$"))
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
    rev = _revenue_array(revenue)
    r0 = float(rev[0, 0])
    if not np.allclose(rev[:, 0], r0, rtol=1e-12, atol=0.0):
        raise ValueError("every revenue path must start from the same r0 (column 0)")
    year = rev.shape[1] - 1
    if spend_fraction is None:
        budget_value = _budget(plan, budget, row)
        f = spend_fraction_for(budget_value, r0, planned_growth, year)
    else:
        f = float(_nonneg(spend_fraction, "spend_fraction", "fraction of planned revenue"))
        budget_value = f * r0 * float(planned_growth) ** year
    enough = plan.share_within(budget_value, row)
    terms = dict(planned_growth=planned_growth, spend_fraction=f, lead_time=lead_time,
                 milestone=milestone, margin=margin, initial_cash=initial_cash, level=level)
    upfront_total = float(f * r0 * np.sum(float(planned_growth) ** np.arange(1, year + 1)))
    rows = []
    for policy in policies:
        result = simulate_cash(rev, policy=policy, **terms)
        out = result.summary()
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


# ============================================================================================
# 8. Scenarios: the `scalinglaws capex SCENARIO.toml` command


class ScenarioError(ValueError):
    """A scenario file that cannot be read or is missing or misspelling a key."""


_REQUIRED = object()

# section -> {key: (kind, default)}; kinds: number, int, str, pair, strings, str_or_strings,
# budget (a name or a number). _REQUIRED marks keys without a default.
_SCENARIO_SCHEMA: dict[str, dict[str, tuple[str, Any]]] = {
    "fit": {"dataset": ("str", None), "csv": ("str", None), "file": ("str", None),
            "law": ("str", "chinchilla"), "x": ("str_or_strings", None), "y": ("str", None)},
    "bootstrap": {"replicates": ("int", 1000), "seed": ("int", 0), "level": ("number", 0.9),
                  "method": ("str", "multinomial")},
    "target": {"loss": ("number", None), "score": ("number", None)},
    "hardware": {"gpu": ("str", "H100"), "mfu": ("number", DEFAULT_MFU),
                 "price_per_gpu_hour": ("number", None),
                 "wall_clock_days": ("number", TRAINING_DAYS.value),
                 "pue": ("number", PUE_OTHER.value), "hardware_price": ("number", None),
                 "electricity": ("number", None)},
    "revenue": {"r0": ("number", _REQUIRED), "growth_median": ("number", _REQUIRED),
                "growth_interval90": ("pair", _REQUIRED), "years": ("int", _REQUIRED),
                "paths": ("int", 100_000), "seed": ("int", 0), "decay": ("number", 0.0),
                "slip": ("int", 0)},
    "commitments": {"planned_growth": ("number", _REQUIRED), "lead_time": ("int", _REQUIRED),
                    "budget": ("budget", None), "spend_fraction": ("number", None),
                    "cost": ("str", "rental"), "milestone": ("number", 1.0),
                    "margin": ("number", 1.0), "initial_cash": ("number", 0.0),
                    "level": ("number", 0.95), "policies": ("strings", ["upfront", "staged"])},
    "output": {"dir": ("str", None), "dpi": ("int", 100)},
}
_SCENARIO_SECTIONS_REQUIRED = ("fit", "target", "revenue", "commitments")


def _scenario_value(where: str, key: str, value: Any, kind: str) -> Any:
    def bad(what: str) -> ScenarioError:
        return ScenarioError(f"{where} {key} must be {what}; got {value!r}")

    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad("a number")
        if not math.isfinite(value):
            raise bad("finite")
        return float(value)
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad("a whole number")
        return int(value)
    if kind == "str":
        if not isinstance(value, str) or not value:
            raise bad("a non-empty string")
        return value
    if kind == "pair":
        if (not isinstance(value, list) or len(value) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
            raise bad("a pair of numbers, e.g. [1.6, 10.0]")
        return (float(value[0]), float(value[1]))
    if kind in ("strings", "str_or_strings"):
        if kind == "str_or_strings" and isinstance(value, str) and value:
            return value
        if not isinstance(value, list) or not value or not all(
                isinstance(v, str) and v for v in value):
            raise bad("a list of strings")
        return list(value)
    if kind == "budget":
        if isinstance(value, str):
            if value not in _BUDGET_COLUMNS:
                raise bad(f"one of {sorted(_BUDGET_COLUMNS)} or a dollar amount")
            return value
        return _scenario_value(where, key, value, "number")
    raise AssertionError(kind)


def load_scenario(path: Any) -> dict:
    """Read and check a capex scenario (TOML; schema in docs/capex.md).

    Returns ``{section: {key: value}}`` with every default filled in, plus ``"path"`` (the
    file) and ``"base"`` (its folder: ``csv`` and ``file`` paths are relative to it). Raises
    :class:`ScenarioError` (a ValueError) naming the file, section and key for unreadable
    TOML, unknown sections or keys, missing keys and values of the wrong type.
    """
    import tomllib
    from pathlib import Path

    path = Path(path)
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{path}: not valid TOML: {err}") from None
    unknown = sorted(set(raw) - set(_SCENARIO_SCHEMA))
    if unknown:
        raise ScenarioError(
            f"{path}: unknown section [{unknown[0]}]; sections: {', '.join(_SCENARIO_SCHEMA)}"
        )
    out: dict[str, Any] = {"path": str(path), "base": str(path.resolve().parent)}
    for section, schema in _SCENARIO_SCHEMA.items():
        given = raw.get(section)
        if given is None:
            if section in _SCENARIO_SECTIONS_REQUIRED:
                raise ScenarioError(f"{path}: missing section [{section}]")
            given = {}
        if not isinstance(given, dict):
            raise ScenarioError(f"{path}: [{section}] must be a table of keys")
        where = f"{path}: [{section}]"
        extra = sorted(set(given) - set(schema))
        if extra:
            raise ScenarioError(f"{where} unknown key {extra[0]!r}; keys: {', '.join(schema)}")
        values = {}
        for key, (kind, default) in schema.items():
            if key in given:
                values[key] = _scenario_value(where, key, given[key], kind)
            elif default is _REQUIRED:
                raise ScenarioError(f"{where} missing key {key!r}")
            else:
                values[key] = default
        out[section] = values
        if section == "bootstrap":
            out["bootstrap"]["enabled"] = "bootstrap" in raw
    fit_s = out["fit"]
    sources = [k for k in ("dataset", "csv", "file") if fit_s[k] is not None]
    if len(sources) != 1:
        raise ScenarioError(f"{path}: [fit] needs exactly one of dataset, csv or file; "
                            f"got {sources or 'none'}")
    target = [k for k in ("loss", "score") if out["target"][k] is not None]
    if len(target) != 1:
        raise ScenarioError(f"{path}: [target] needs exactly one of loss or score")
    com = out["commitments"]
    if (com["budget"] is None) == (com["spend_fraction"] is None):
        raise ScenarioError(f"{path}: [commitments] needs exactly one of budget (\"median\", "
                            "\"upper\", \"lower\", \"point_fit\" or dollars) or spend_fraction")
    if com["cost"] not in _COST_ROWS:
        raise ScenarioError(f"{path}: [commitments] cost must be one of {sorted(_COST_ROWS)}; "
                            f"got {com['cost']!r}")
    bad = [p for p in com["policies"] if p not in _POLICIES]
    if bad:
        raise ScenarioError(f"{path}: [commitments] policies: {bad[0]!r} is not one of "
                            f"{list(_POLICIES)}")
    return out


_POLICY_TITLES = {"upfront": "up front", "staged": "staged", "rolling": "rolling"}


@dataclass(repr=False)
class ScenarioResult:
    """Everything :func:`run_scenario` computed, and :meth:`report`, the text the command prints."""

    scenario: dict
    fit: Any
    ensemble: Any
    plan: Plan
    revenue: np.ndarray
    risk: pd.DataFrame
    risk_slipped: pd.DataFrame | None
    cash: dict
    figures: list

    @property
    def target(self) -> float:
        return float(self.plan.target)

    def report(self) -> str:
        s = self.scenario
        fs, rv, com = s["fit"], s["revenue"], s["commitments"]
        target_name = "loss" if s["target"]["loss"] is not None else "score"
        source = fs["dataset"] or fs["csv"] or fs["file"]
        lines = [f"scenario {s['path']}"]
        fit_line = f"fit: {self.fit.law.name} to {source}"
        try:
            fit_line += f" ({len(self.fit.data)} rows), objective {self.fit.objective:.6g}"
        except AttributeError:
            pass
        if self.ensemble is not None:
            ens = self.ensemble
            fit_line += (f"; bootstrap: {ens.n_replicates} {ens.method} replicates, seed "
                         f"{ens.seed} ({int(np.sum(~ens.valid))} failed, left out)")
        else:
            fit_line += "; no bootstrap (point fit: no band)"
        lines.append(fit_line)
        plan_ = self.plan
        point = plan_.table.loc["compute (FLOP)", "point_fit"]
        from .extrapolate import inverse_input

        xname = inverse_input(self.fit.law)
        t_line = f"target {target_name} {self.target:g}: "
        if np.isfinite(point):
            t_line += f"the point fit reaches it at {xname} = {point:.4g}"
            hi = _data_max(self.fit)
            if hi is not None:
                t_line += (f", {np.log10(point / hi):.2f} orders of magnitude beyond the "
                           f"data's largest {xname} ({hi:.4g})")
        else:
            t_line += "the point fit never reaches it"
        lines.append(t_line)
        lines.append("")
        a = plan_.assumptions
        band = (f"median and {plan_.level:.0%} interval over the replicates that reach it"
                if plan_.source != "fit" else "point fit, no band")
        lines.append(f"plan: {a['gpu']} at mfu {a['mfu']:g}, ${a['price_per_hour']:g} per "
                     f"GPU-hour, {a['wall_clock_days']:g} days of wall-clock time, pue "
                     f"{a['pue']:g}; {band}")
        lines.append(_format_table(plan_.table, index_name="quantity"))
        lines.append(f"unreachable: {100 * plan_.unreachable_fraction:.2f}% of "
                     f"{plan_.n_replicates} replicates never reach {target_name} "
                     f"{self.target:g}")
        lines.append("")
        lo, hi = rv["growth_interval90"]
        lines.append(
            f"revenue: {self.revenue.shape[0]} paths over {rv['years']} years from {rv['r0']:g} "
            f"a year; growth median {rv['growth_median']:g}x, 90% interval {lo:g}x to {hi:g}x"
            + (f", decay {rv['decay']:g}" if rv["decay"] else "") + f" (seed {rv['seed']})")
        at = self.risk.attrs
        sized = (f"sized so that the year-{at['year']} run costs {at['budget']:.4g} "
                 f"({com['cost']}" + (f", {com['budget']} of the plan)" if isinstance(
                     com["budget"], str) else ")")
                 if com["spend_fraction"] is None
                 else f"given; the year-{at['year']} run gets {at['budget']:.4g} ({com['cost']})")
        lines.append(
            f"commitments: plan {com['planned_growth']:g}x a year; a run a year at spend "
            f"fraction {at['spend_fraction']:.4g} of planned revenue, {sized}; lead time "
            f"{com['lead_time']} year(s), milestone {com['milestone']:g} x plan, margin "
            f"{com['margin']:g}, initial cash {com['initial_cash']:g}")
        lines.append(f"P(the year-{at['year']} budget reaches the target, under the fit) = "
                     f"{self.risk['p_budget_enough'].iloc[0]:.4g}")
        lines.append(_format_table(self.risk[_RISK_COLUMNS], index_name="policy"))
        if self.risk_slipped is not None:
            lines.append(f"revenue {rv['slip']} year(s) late (slip):")
            lines.append(_format_table(self.risk_slipped[_RISK_COLUMNS], index_name="policy"))
        lines.append(f"(VaR and CVaR of terminal cash at {com['level']:.0%}; "
                     "p_target_solvent = p_budget_enough x P(target run bought and never ruined))")
        if self.figures:
            lines.append("")
            lines.append("figures: " + ", ".join(str(p) for p in self.figures))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()

    __repr__ = __str__


def _data_max(fit: Any) -> float | None:
    """Largest compute (``6 N D`` for two-input laws) or x in the fitted data; None without data."""
    try:
        data = fit.data
    except AttributeError:
        return None
    used = data[fit.weight_column].to_numpy() > 0
    if len(fit.x_columns) == 2:
        ncol, dcol = fit.x_columns
        return float(np.max(6.0 * data[ncol].to_numpy()[used] * data[dcol].to_numpy()[used]))
    if len(fit.x_columns) == 1:
        return float(np.max(data[fit.x_columns[0]].to_numpy()[used]))
    return None


_RISK_COLUMNS = ["prob_ruin", "terminal_cash_median", "var", "cvar", "spend_vs_upfront",
                 "p_target_run", "p_target_solvent"]


def _format_table(table: pd.DataFrame, index_name: str) -> str:
    fmt = table.copy()
    for col in fmt.columns:
        fmt[col] = [f"{v:.4g}" if np.isfinite(v) else "nan" for v in table[col]]
    fmt.index.name = index_name
    return fmt.reset_index().to_string(index=False)


def run_scenario(scenario: dict, out: Any = None, *, replicates: int | None = None,
                 paths: int | None = None, figures: bool = True) -> ScenarioResult:
    """Run a scenario from :func:`load_scenario`: fit, bootstrap, plan, revenue, commitments.

    ``out`` (a folder; default ``[output] dir``, relative to the current directory) receives
    ``capability.png`` (capability against compute with the target) and ``revenue_cash.png``
    (revenue fan and one cash fan per policy); no figures without a folder or with
    ``figures=False``. ``replicates`` and ``paths`` override the file's counts.
    """
    from pathlib import Path

    from . import fitting

    s = scenario
    base = Path(s["base"])
    fs, bs, hw, rv, com = (s["fit"], s["bootstrap"], s["hardware"], s["revenue"],
                           s["commitments"])
    target = s["target"]["loss"] if s["target"]["loss"] is not None else s["target"]["score"]
    ensemble = None
    if fs["file"] is not None:
        loaded = fitting.load(base / fs["file"])
        if hasattr(loaded, "compute_for_draws"):
            ensemble, fit_ = loaded, loaded.fit
        else:
            fit_ = loaded
    else:
        if fs["dataset"] is not None:
            from . import datasets

            table = datasets.load(fs["dataset"])
        else:
            table = pd.read_csv(base / fs["csv"])
        fit_ = fitting.fit(table, fs["law"], x=fs["x"], y=fs["y"])
    n_rep = bs["replicates"] if replicates is None else int(replicates)
    if ensemble is None and (bs["enabled"] or replicates is not None):
        if n_rep < 1:
            raise ScenarioError(f"{s['path']}: [bootstrap] replicates must be >= 1; got {n_rep}")
        ensemble = fit_.bootstrap(n_rep, seed=bs["seed"], method=bs["method"])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "target .* is unreachable", UserWarning)
        plan_ = plan(ensemble if ensemble is not None else fit_, target, gpu=hw["gpu"],
                     mfu=hw["mfu"], price=hw["price_per_gpu_hour"], level=bs["level"],
                     wall_clock_days=hw["wall_clock_days"], pue=hw["pue"],
                     hardware_price=hw["hardware_price"], electricity=hw["electricity"])
    n_paths = rv["paths"] if paths is None else int(paths)
    revenue = simulate_revenue(rv["r0"], rv["growth_median"], rv["growth_interval90"],
                               rv["years"], n=n_paths, seed=rv["seed"], decay=rv["decay"])
    terms = dict(planned_growth=com["planned_growth"], lead_time=com["lead_time"],
                 budget=com["budget"], cost=com["cost"], spend_fraction=com["spend_fraction"],
                 milestone=com["milestone"], margin=com["margin"],
                 initial_cash=com["initial_cash"], level=com["level"],
                 policies=tuple(com["policies"]))
    risk = commitment_risk(plan_, revenue, **terms)
    risk_slipped = None
    if rv["slip"] > 0:
        slipped_terms = dict(terms, budget=None if com["spend_fraction"] is not None else
                             risk.attrs["budget"])
        risk_slipped = commitment_risk(plan_, slip(revenue, rv["slip"]), **slipped_terms)
    cash_terms = dict(planned_growth=com["planned_growth"], lead_time=com["lead_time"],
                      spend_fraction=risk.attrs["spend_fraction"], milestone=com["milestone"],
                      margin=com["margin"], initial_cash=com["initial_cash"], level=com["level"])
    cash = {p: simulate_cash(revenue, policy=p, **cash_terms) for p in com["policies"]}
    written = []
    out_dir = out if out is not None else s["output"]["dir"]
    if figures and out_dir is not None:
        import matplotlib.pyplot as plt

        from . import plot

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        dpi = s["output"]["dpi"]
        fig = plot.plot_capability(ensemble if ensemble is not None else fit_,
                                   level=bs["level"], targets=[target])
        written.append(out_dir / "capability.png")
        fig.savefig(written[-1], dpi=dpi)
        plt.close(fig)
        fig = plot.plot_revenue_cash(
            revenue, {_POLICY_TITLES[p]: r for p, r in cash.items()},
            planned=planned_revenue(rv["r0"], com["planned_growth"], rv["years"]), unit="$")
        written.append(out_dir / "revenue_cash.png")
        fig.savefig(written[-1], dpi=dpi)
        plt.close(fig)
    return ScenarioResult(s, fit_, ensemble, plan_, revenue, risk, risk_slipped, cash, written)
