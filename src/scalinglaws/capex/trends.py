"""Trends fitted on Epoch AI's shipped data (CC-BY 4.0): price-performance, training-cost growth,
MFU quantiles and hardware prices, each with its interval (:class:`TrendFit`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .. import datasets, serialize
from ..inputs import check_level, renamed_arguments
from ..results import Result, Summary
from .hardware import GPU, _gpu


@dataclass(frozen=True)
class TrendFit(Result):
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

    def row(self) -> pd.Series:
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

    def to_dict(self) -> dict:
        """A JSON record of the trend (``scalinglaws.load`` reads it back)."""
        return {**serialize.header("scalinglaws.capex.TrendFit"), "name": self.name, "slope": self.slope,
                "slope_se": self.slope_se, "interval": list(self.interval), "intercept": self.intercept,
                "level": self.level, "n": self.n, "start": self.start.isoformat(), "end": self.end.isoformat()}

    @classmethod
    def from_dict(cls, d: dict) -> TrendFit:
        return cls(name=d["name"], slope=d["slope"], slope_se=d["slope_se"], interval=tuple(d["interval"]),
                   intercept=d["intercept"], level=d["level"], n=d["n"], start=pd.Timestamp(d["start"]),
                   end=pd.Timestamp(d["end"]))

    def summary(self) -> Summary:
        """The trend in one line and :meth:`row` as a one-row table (:class:`~scalinglaws.results.Summary`)."""
        lo, hi = self.interval
        dlo, dhi = self.doubling_interval
        title = (f"{self.name}: {self.slope:.4f} OOM/year [{lo:.4f}, {hi:.4f}] ({self.level:.0%} CI), "
                 f"{self.growth_per_year:.3f}x/year, doubling {self.doubling_years:.2f} years "
                 f"[{dlo:.2f}, {dhi:.2f}]; n = {self.n}, {self.start.date()} to {self.end.date()}")
        table = self.row().to_frame().T
        table.index.name = "trend"
        return Summary(title, table, level=self.level)

    def __repr__(self) -> str:
        return self.summary().title


def _ols_trend(name: str, year: np.ndarray, log10y: np.ndarray, dates: pd.Series,
               level: float) -> TrendFit:
    level = check_level(level)
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


@renamed_arguments(method="cost_basis")
def fit_training_cost_growth(
    costs: pd.DataFrame | None = None,
    models: pd.DataFrame | None = None,
    *,
    cost_basis: str = "amortised",
    start: str | None = "2016-01-01",
    end: str | None = None,
    level: float = 0.90,
) -> TrendFit:
    """Growth of frontier training cost: OLS of log10(cost) on publication date.

    Costs are Epoch AI's estimates for frontier models (``datasets.load("epoch-model-costs")``,
    Cottier et al. 2024 and later updates); publication dates come from the notable-models
    table, joined on the model name. ``cost_basis`` (``method`` is its old name): "amortised"
    (hardware capex + energy, the paper's headline series), "cloud" or "acquisition". Defaults match the paper: models
    published since 2016, 90% interval. Compare ``growth_per_year`` with 2.4x (90% CI 2.0-2.9).
    """
    if cost_basis not in _COST_COLUMNS:
        raise ValueError(f"cost_basis={cost_basis!r}; choose one of {sorted(_COST_COLUMNS)}")
    costs = _load("epoch-model-costs") if costs is None else costs
    models = _load("epoch-notable-models") if models is None else models
    column = _COST_COLUMNS[cost_basis]
    dates = models[["model", "publication_date", "year"]].drop_duplicates("model")
    rows = costs[["model", column]].merge(dates, on="model", how="inner")
    rows = rows.dropna(subset=[column, "publication_date"])
    rows = rows[rows[column] > 0]
    if start is not None:
        rows = rows[rows["publication_date"] >= pd.Timestamp(start)]
    if end is not None:
        rows = rows[rows["publication_date"] < pd.Timestamp(end)]
    return _ols_trend(f"frontier training cost ({cost_basis})", rows["year"].to_numpy(float),
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
