"""The compute a target needs, with its band, in GPU-hours, dollars, GPUs and megawatts (:func:`plan`);
:func:`spend_fraction_for` sizes a commitment plan so that one year's run pays for it."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import serialize
from ..extrapolate import inverse_input
from ..fitting import Fit
from ..inputs import check_int, check_level, renamed_arguments
from ..intervals import DEFAULT_LEVEL, percentile_interval
from ..laws.base import UNREACHABLE
from ..results import Result, Summary
from .constants import DEFAULT_MFU, PUE_OTHER, TRAINING_DAYS
from .costs import amortised_cost, electricity_price, gpu_count, gpu_hours, power_mw, rental_cost
from .hardware import GPU, _gpu


@dataclass(frozen=True, repr=False)
class Plan(Result):
    """Compute needed for a target, and what it costs, each with a band.

    - ``table``: rows compute (FLOP), GPU-hours, rental ($), amortised ($), GPUs, power (MW);
      columns ``estimate`` (median over the reachable replicates), ``lower``, ``upper`` (the
      central ``level`` interval over the reachable replicates; ``inf`` when no replicate
      reaches the target) and ``point_fit`` (the point fit's compute, converted the same way;
      ``inf`` where the point fit never reaches the target, NaN when plain draws were given and
      there is no point fit).
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

    def to_dict(self) -> dict:
        """A JSON record of the plan (``scalinglaws.load`` reads it back)."""
        return {**serialize.header("scalinglaws.capex.Plan"), "table": serialize.frame_record(self.table),
                "unreachable_fraction": self.unreachable_fraction, "n_replicates": self.n_replicates,
                "target": self.target, "level": self.level, "assumptions": self.assumptions,
                "draws": None if self.draws is None else serialize.frame_record(self.draws), "source": self.source}

    @classmethod
    def from_dict(cls, d: dict) -> Plan:
        return cls(table=serialize.frame_from_record(d["table"]), unreachable_fraction=d["unreachable_fraction"],
                   n_replicates=d["n_replicates"], target=d["target"], level=d["level"],
                   assumptions=d["assumptions"],
                   draws=None if d["draws"] is None else serialize.frame_from_record(d["draws"]), source=d["source"])

    def summary(self) -> Summary:
        """The plan's table with what it assumed (:class:`~scalinglaws.results.Summary`)."""
        if self.source == "fit":
            head = (f"Plan for target {self.target!r} from a point fit (no band): "
                    + ("unreachable" if self.unreachable_fraction else "reachable"))
        else:
            head = (f"Plan for target {self.target!r}: {self.n_replicates} replicates, "
                    f"{self.unreachable_fraction:.1%} cannot reach it; "
                    f"median and {self.level:.0%} interval over the reachable ones")
        assumed = ", ".join(f"{k}={v}" for k, v in self.assumptions.items())
        table = self.table.copy()
        table.index.name = "quantity"
        return Summary(head, table, footer=[f"assumptions: {assumed}"], level=self.level,
                       formats={c: ".4g" for c in table.columns})

    def __repr__(self) -> str:
        return str(self)


_PLAN_ROWS = ["compute (FLOP)", "GPU-hours", "rental ($)", "amortised ($)", "GPUs", "power (MW)"]


def _point_compute(fit: Any, target: float) -> float:
    """The point fit's compute (or x) for ``target``; inf where it never reaches it."""
    return float(fit.compute_for(target)[inverse_input(fit.law)].iloc[0])


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


@renamed_arguments(price="price_per_gpu_hour")
def plan(
    ensemble: Any,
    target: Any = None,
    *,
    gpu: str | GPU = "H100",
    mfu: float = DEFAULT_MFU,
    price_per_gpu_hour: float | None = None,
    level: float = DEFAULT_LEVEL,
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

    Each replicate's compute goes through :func:`gpu_hours`, :func:`rental_cost`
    (``price_per_gpu_hour``, $/GPU-hour; default the GPU's rental quote; ``price`` is its old
    name), :func:`amortised_cost`, :func:`gpu_count` and
    :func:`power_mw` (over ``wall_clock_days``). The table reports the median and the central
    ``level`` interval of the converted draws, **over the reachable replicates only**;
    ``unreachable_fraction`` says how many were left out, and ``point_fit`` converts the
    ensemble's point fit. ``Plan.draws`` holds the converted draws themselves. Since every
    conversion is increasing in compute, each row's band is also the compute band converted.

    For chinchilla the compute is that of the compute-optimal allocation (``C = 6 N D``).
    """
    level = check_level(level)
    price = price_per_gpu_hour
    for name, value in (("mfu", mfu), ("price_per_gpu_hour", price), ("wall_clock_days", wall_clock_days),
                        ("pue", pue), ("hardware_price", hardware_price),
                        ("electricity", electricity)):
        if value is not None and np.ndim(value) != 0:
            raise ValueError(
                f"{name} must be one number in plan(); to carry its uncertainty, convert the "
                "draws yourself (see docs/capex.md, 'How a band propagates')"
            )
    draws, point, source, target = _compute_draws(ensemble, target)
    spec = _gpu(gpu)
    if price is None and spec.rental_price is None:
        raise ValueError(f"price_per_gpu_hour ($/GPU-hour) is required for gpu={spec.name!r}: no default quote")
    settings = (spec, mfu, price, wall_clock_days, pue, hardware_price, electricity)
    per_draw = pd.DataFrame(_plan_rows(draws, *settings), columns=_PLAN_ROWS)
    per_draw.index.name = "replicate"
    point_rows = _plan_rows(np.array([UNREACHABLE if np.isnan(point) else point]), *settings)
    reachable = np.isfinite(draws)
    if not reachable.any():
        warnings.warn(f"target {target!r} is unreachable for every replicate", stacklevel=2)
    table = _band_table(per_draw, reachable, level)
    # inf: the point fit never reaches the target; NaN: there is no point fit (plain draws given).
    table["point_fit"] = [np.nan if np.isnan(point) else v[0] for v in point_rows.values()]
    assumptions = {
        "gpu": spec.name, "mfu": mfu,
        "price_per_gpu_hour": price if price is not None else spec.rental_price,
        "hardware_price": hardware_price if hardware_price is not None else spec.purchase_price,
        "wall_clock_days": round(float(wall_clock_days), 2), "pue": pue,
        "electricity": electricity if electricity is not None else electricity_price(),
    }
    return Plan(table, 1.0 - float(np.mean(reachable)), int(draws.size), target, level, assumptions, per_draw, source)


def _compute_draws(ensemble: Any, target: Any) -> tuple[np.ndarray, float, str, Any]:
    """(compute per replicate, the point fit's compute or NaN, the source, the checked target)."""
    point = np.nan
    if isinstance(ensemble, Fit):
        target = _check_target(target)
        source = "fit"
        draws = np.array([_point_compute(ensemble, target)])
        point = draws[0]
    elif hasattr(ensemble, "compute_for_draws"):
        target = _check_target(target)
        source = "ensemble"
        draws = ensemble.compute_for_draws(target)
        if isinstance(getattr(ensemble, "fit", None), Fit):
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
    return draws, point, source, target


def _band_table(per_draw: pd.DataFrame, reachable: np.ndarray, level: float) -> pd.DataFrame:
    """Median and central ``level`` interval of each quantity over the reachable replicates
    (``inf`` throughout when none reaches the target)."""
    if not reachable.any():
        return pd.DataFrame(UNREACHABLE, index=_PLAN_ROWS, columns=["estimate", "lower", "upper"])
    columns = {}
    for name in _PLAN_ROWS:
        values = per_draw[name].to_numpy()[reachable]
        lo, hi = percentile_interval(values, level)
        columns[name] = [float(np.median(values)), float(lo), float(hi)]
    return pd.DataFrame(columns, index=["estimate", "lower", "upper"]).T


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
    year = check_int(year, "year", 0)
    return cost / (float(r0) * float(planned_growth) ** year)
