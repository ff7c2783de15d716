"""Compute to GPU-hours, dollars, GPU counts and megawatts, elementwise.

Every conversion takes a Python scalar, a numpy array, a JAX array or a pandas Series and
returns the same kind (so one value per bootstrap replicate converts in one call and a band
propagates): :func:`flop_per_gpu_hour`, :func:`gpu_hours`, :func:`rental_cost`,
:func:`amortised_cost`, :func:`gpu_count`, :func:`power_mw`, :func:`cost_in_years`,
:func:`electricity_price`.
"""

from __future__ import annotations

from typing import Any


from ..inputs import check_range, nonnegative_argument, numeric_argument, positive_argument, renamed_arguments
from .constants import (
    DEFAULT_ELECTRICITY_YEAR, DEFAULT_MFU, DEPRECIATION, ELECTRICITY, HOURS_PER_YEAR, INTERCONNECT_FRACTION,
    PRICE_PERFORMANCE, PUE_OTHER, SERVER_TDP_FRACTION, TRAINING_DAYS,
)
from .hardware import GPU, _gpu


def _flops(flops: Any) -> Any:
    flops = numeric_argument(flops, "flops")
    check_range(flops, "flops", low=0.0, what="non-negative (FLOP)")
    return flops


def _mfu(mfu: Any) -> Any:
    mfu = numeric_argument(mfu, "mfu")
    check_range(mfu, "mfu", low=0.0, high=1.0, low_open=True,
                 what="in (0, 1] (a fraction of peak FLOP/s, e.g. 0.4 for 40%)")
    return mfu


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


@renamed_arguments(price_per_hour="price_per_gpu_hour")
def rental_cost(flops: Any, gpu: str | GPU = "H100", mfu: Any = DEFAULT_MFU,
                price_per_gpu_hour: Any = None) -> Any:
    """Dollars to rent the GPU-hours: ``gpu_hours(flops, gpu, mfu) * price_per_gpu_hour``.

    ``price_per_gpu_hour`` ($/GPU-hour; ``price_per_hour`` is its old name) defaults to the GPU's default rental price: for H100 the
    median on-demand quote in Epoch AI's shipped price table (volatile; see
    :func:`constants`). Other GPUs have no default: pass a quote.
    """
    spec = _gpu(gpu)
    if price_per_gpu_hour is None:
        if spec.rental_price is None:
            raise ValueError(
                f"price_per_gpu_hour is required for gpu={spec.name!r}: the shipped price data has "
                "no representative rental quote for it"
            )
        price_per_gpu_hour = spec.rental_price
    price = positive_argument(price_per_gpu_hour, "price_per_gpu_hour", "$/GPU-hour")
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
    hardware_price = positive_argument(hardware_price, "hardware_price", "$/GPU")
    depreciation_per_year = positive_argument(depreciation_per_year, "depreciation_per_year", "1/year")
    q = numeric_argument(interconnect_fraction, "interconnect_fraction")
    check_range(q, "interconnect_fraction", low=0.0, high=1.0, high_open=True,
                 what="in [0, 1) (a fraction of total cluster cost)")
    server_overhead = positive_argument(server_overhead, "server_overhead", "ratio")
    pue = numeric_argument(pue, "pue")
    check_range(pue, "pue", low=1.0, finite=True, what=">= 1 (facility / IT power)")
    if electricity is None:
        electricity = electricity_price()
    electricity = nonnegative_argument(electricity, "electricity", "$/kWh")
    frac = numeric_argument(server_tdp_fraction, "server_tdp_fraction")
    check_range(frac, "server_tdp_fraction", low=0.0, high=1.0, low_open=True,
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
    days = positive_argument(wall_clock_days, "wall_clock_days", "days")
    return gpu_hours(flops, gpu, mfu) / (24.0 * days)


def power_mw(flops: Any, wall_clock_days: Any = TRAINING_DAYS.value, gpu: str | GPU = "H100",
             mfu: Any = DEFAULT_MFU, *, pue: Any = PUE_OTHER.value, average: bool = False) -> Any:
    """Facility power in MW for the cluster of :func:`gpu_count` GPUs.

    ``power = gpus * TDP [kW] * server_power * pue / 1000`` (Epoch AI's
    ``cluster_power_capacity``: the capacity to provision). With ``average=True`` it is
    multiplied by the server TDP fraction 0.75, the average draw used for energy cost.
    """
    spec = _gpu(gpu)
    pue = numeric_argument(pue, "pue")
    check_range(pue, "pue", low=1.0, finite=True, what=">= 1 (facility / IT power)")
    gpus = gpu_count(flops, wall_clock_days, spec, mfu)
    mw = gpus * _server_kw(spec) * pue / 1000.0
    return mw * SERVER_TDP_FRACTION.value if average else mw


def cost_in_years(cost: Any, years: Any, oom_per_year: Any = PRICE_PERFORMANCE.value) -> Any:
    """What the same FLOPs cost ``years`` later on the price-performance trend.

    ``cost * 10 ** (-oom_per_year * years)``; default 0.14 orders of magnitude per year (Epoch
    AI's ML GPU price-performance trend), i.e. the price of a fixed FLOP count halves about
    every 2.15 years. Negative ``years`` look back.
    """
    cost = nonnegative_argument(cost, "cost", "$")
    years = numeric_argument(years, "years")
    check_range(years, "years", finite=True, what="finite")
    oom_per_year = numeric_argument(oom_per_year, "oom_per_year")
    check_range(oom_per_year, "oom_per_year", finite=True, what="finite")
    return cost * 10.0 ** (-(oom_per_year * years))
