"""Cited constants: every default the capex layer uses, with its unit, source, link and date.

:class:`Constant` records are listed by :func:`constants` (one row each); the GPU
specifications built from them live in :mod:`scalinglaws.capex.hardware`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd


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

# The split of a lab's compute between training and serving, and what serving earns: defaults of
# the capex decisions (capex.cash, capex.decisions). One lab, one or two years: treat them as
# anchors for a sensitivity range, not as estimates of any other lab.
TRAINING_SHARE = Constant(
    "training_share_of_compute", 5.0 / 7.0, "fraction of compute spend",
    "Epoch AI (J. You, 'Most of OpenAI's 2024 compute went to experiments', 2025-10-10): OpenAI's "
    "2024 cloud compute was about $5B of R&D (training and research) and about $2B of inference, "
    "from reports in The Information and The New York Times",
    "https://epoch.ai/data-insights/openai-compute-spend", "2025-10-10",
    "5 / 7 = 0.714: the share of compute that serves no customer (final training runs, "
    "experiments, research). One lab, one year.",
)
INFERENCE_MARGIN = Constant(
    "inference_gross_margin", 0.52, "fraction of serving revenue",
    "The Information, 'OpenAI Is Getting More Efficient at Running Its AI, Internal Financials "
    "Show' (Dec 2025), as reposted: OpenAI's compute margin (revenue less the cost of running "
    "models for paying users) was about 35% in January 2024, 52% at the end of 2024 and 70% in "
    "October 2025; Anthropic on track for about 53% at the end of 2025",
    "https://thechek.posthaven.com/the-information-openai-is-getting-more-efficient-at-running-its-ai-internal-f",
    "2025-12",
    "End-2024 value. Paying users only: free users' serving cost is left out, so the whole "
    "fleet's margin is lower; a reported, not audited, figure.",
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
        TRAINING_SHARE, INFERENCE_MARGIN,
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
