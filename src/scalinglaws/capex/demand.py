"""Yearly revenue growth fitted to a short history: :func:`fit_revenue` and its
:class:`RevenueFit`, whose posterior predictive paths feed :func:`~scalinglaws.capex.simulate_revenue`.

The model is the one :func:`~scalinglaws.capex.simulate_revenue` simulates: independent
lognormal yearly growth, ``ln g_k ~ Normal(a (1 - d)**k, sigma**2)`` for the k-th year of the
history (k = 0 for its first growth), with ``d`` the yearly decay of the log of the median growth
(``d = 0``: constant growth). A history of a handful of points says little, and the fit says so:
it is Bayesian with the reference priors under which its bands are also exact frequentist
intervals when ``d = 0`` (flat on ``a``, ``p(sigma^2) ~ 1/sigma^2``; Gelman et al., *Bayesian
Data Analysis*, 3rd ed., section 3.2: the median's band is Student's t with ``n - 1`` degrees of
freedom), flat on ``d`` in [0, 1], integrated on a grid. Where the data cannot estimate the
spread (one growth, or growths that are all equal) the fit refuses unless a ``sigma`` is
assumed, which the result then reports as assumed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from .. import serialize
from ..inputs import check_int, check_level, check_seed
from ..intervals import DEFAULT_LEVEL, percentile_interval
from ..results import Result, Summary
from .revenue import _Z90, revenue_paths


DECAY_GRID = 2001  # points of the grid over d in [0, 1] (steps of 0.0005)
_ROWS = ["growth median next year (x)", "growth next year (x), predictive", "sigma (log growth)", "decay"]


def _history(years: Any, revenue: Any) -> tuple[np.ndarray, np.ndarray]:
    """Checked (years as whole numbers, strictly increasing; revenue positive and finite)."""
    y = np.asarray(years, dtype=np.float64) if not isinstance(years, pd.Series) else years.to_numpy(np.float64)
    r = np.asarray(revenue, dtype=np.float64) if not isinstance(revenue, pd.Series) else revenue.to_numpy(np.float64)
    if y.ndim != 1 or r.ndim != 1:
        raise ValueError(f"years and revenue must be 1-D; got shapes {y.shape} and {r.shape}")
    if y.shape != r.shape:
        raise ValueError(f"years and revenue must have the same length; got {y.size} and {r.size}")
    if y.size < 2:
        raise ValueError(f"revenue needs at least two years (one growth); got {y.size}")
    for i, (yi, ri) in enumerate(zip(y.tolist(), r.tolist())):
        if not np.isfinite(yi) or yi != round(yi):
            raise ValueError(f"years[{i}] = {yi!r} must be a whole number (a calendar year)")
        if not (np.isfinite(ri) and ri > 0):
            raise ValueError(f"revenue[{i}] = {ri!r} (year {yi:g}) must be positive and finite")
        if i and yi <= y[i - 1]:
            raise ValueError(f"years must increase strictly; years[{i}] = {yi:g} follows {y[i - 1]:g}")
    return y.astype(np.int64), r


def _design(years: np.ndarray, decays: np.ndarray) -> np.ndarray:
    """(G, n) regressors: the sum of ``(1 - d)**k`` over the years each growth spans."""
    k = np.arange(int(years[-1] - years[0]))
    span = (k[:, None] >= (years[:-1] - years[0])[None, :]) & (k[:, None] < (years[1:] - years[0])[None, :])
    powers = np.power((1.0 - decays)[:, None], k[None, :])  # 0 ** 0 = 1: d = 1 keeps the first year
    return powers @ span.astype(np.float64)


def _posterior(years, revenue, decays, sigma, prior_years):
    """Grid posterior of d, and per grid point what a and sigma's conditionals need."""
    y = np.diff(np.log(revenue))
    w = 1.0 / np.diff(years).astype(np.float64)        # a gap of k years has variance k sigma^2
    x = _design(years, decays)
    sxx = (w * x * x).sum(axis=1)
    a_hat = (w * x * y).sum(axis=1) / sxx
    sse = (w * (y - a_hat[:, None] * x) ** 2).sum(axis=1)
    n = y.size
    if sigma is not None and prior_years is None:       # sigma known
        logp = -0.5 * np.log(sxx) - sse / (2.0 * sigma ** 2)
        nu, scale = math.inf, np.full_like(sse, sigma ** 2)
    else:
        nu0 = 0.0 if sigma is None else float(prior_years)
        nu = n - 1 + nu0
        s = sse + (0.0 if sigma is None else nu0 * sigma ** 2)
        logp = -0.5 * np.log(sxx) - 0.5 * nu * np.log(s)
        scale = s / nu
    p = np.exp(logp - logp.max())
    return p / p.sum(), a_hat, sxx, sse, nu, scale


@dataclass(frozen=True, repr=False)
class RevenueFit(Result):
    """Yearly revenue growth fitted by :func:`fit_revenue`: bands, draws and the predictive.

    - ``table``: rows ``growth median next year (x)`` (the median of next year's growth,
      ``exp(a (1 - d)**K)``, K the years since the history's first growth), ``growth next year
      (x), predictive`` (next year's growth itself: the median's uncertainty and the year's own
      spread together), ``sigma (log growth)`` and, with ``decay=True``, ``decay``; columns
      ``estimate`` (posterior median), ``lower``, ``upper`` (central ``level`` interval).
    - ``draws``: posterior draws of ``a`` (log median growth in the history's first year),
      ``decay``, ``sigma`` and ``mu_next`` (log median growth next year).
    - ``dof``: the degrees of freedom behind ``sigma`` (``n - 1``, plus ``sigma_prior_years``;
      ``inf`` when ``sigma`` is assumed known).
    """

    years: np.ndarray
    revenue: np.ndarray
    table: pd.DataFrame
    draws: pd.DataFrame
    level: float
    decay_fitted: bool
    sigma_assumed: float | None
    sigma_prior_years: float | None
    dof: float
    seed: int

    @property
    def n_growths(self) -> int:
        return int(self.years.size - 1)

    @property
    def growth_median(self) -> float:
        """Posterior median of next year's median growth (x per year)."""
        return float(self.table.loc[_ROWS[0], "estimate"])

    def prob_growth_below(self, threshold: float, parameter_uncertainty: bool = True) -> float:
        """P(next year's growth < ``threshold``).

        With ``parameter_uncertainty`` (default) the posterior predictive, the mean over the
        draws of ``Phi((ln threshold - mu_next) / sigma)``; without it the plug-in value at the
        posterior medians, which treats the estimates as exact (and is overconfident when the
        history is short).
        """
        if isinstance(threshold, bool) or not (np.isfinite(threshold) and threshold > 0):
            raise ValueError(f"threshold must be a positive growth factor (x per year); got {threshold!r}")
        t = math.log(float(threshold))
        if not parameter_uncertainty:
            mu, sigma = float(np.median(self.draws["mu_next"])), float(np.median(self.draws["sigma"]))
            return float(stats.norm.cdf((t - mu) / sigma))
        z = (t - self.draws["mu_next"].to_numpy()) / self.draws["sigma"].to_numpy()
        return float(np.mean(special.ndtr(z)))

    def terms(self) -> dict:
        """Plug-in arguments for :func:`~scalinglaws.capex.simulate_revenue` (``r0``, the last
        revenue; ``growth_median``, ``growth_interval90`` and ``decay`` at the posterior
        medians). These drop the parameters' uncertainty; :meth:`simulate` keeps it."""
        sigma = float(np.median(self.draws["sigma"]))
        median = self.growth_median
        k = math.exp(_Z90 * sigma)
        return {"r0": float(self.revenue[-1]), "growth_median": median,
                "growth_interval90": (median / k, median * k),
                "decay": float(np.median(self.draws["decay"])) if self.decay_fitted else 0.0}

    def simulate(self, years: int, n_paths: int, seed: int) -> np.ndarray:
        """Revenue paths from the posterior predictive, shape (n_paths, years + 1), column 0 the
        last revenue of the history. Each path draws its own parameters (a, d, sigma) from
        :attr:`draws` (with replacement) and then its yearly growths, so the paths carry what
        the history does not pin down as well as the year-to-year spread."""
        years = check_int(years, "years", 1)
        n = check_int(n_paths, "n_paths", 1)
        seed = check_seed(seed)
        pick = np.random.default_rng(seed).integers(0, len(self.draws), size=n)
        a, d, sigma = (self.draws[c].to_numpy()[pick] for c in ("a", "decay", "sigma"))
        k0 = int(self.years[-1] - self.years[0])
        t = np.arange(years)
        mu = a[:, None] * np.power((1.0 - d)[:, None], (k0 + t)[None, :])
        return revenue_paths(float(self.revenue[-1]), mu, sigma[:, None], n, seed)

    def figure(self, ax=None, years_ahead: int = 3, n_paths: int = 4000, seed: int = 0):
        """The history (points) and the posterior predictive fan ``years_ahead`` years on (5-95%
        and 25-75% bands), on a log axis; ``sl.plot.figure(result)`` reaches it too."""
        from ..plot.paths import fan_chart

        paths = self.simulate(years_ahead, n_paths, seed)
        x = self.years[-1] + np.arange(years_ahead + 1)
        fig = fan_chart(paths, years=x, ax=ax, label="predictive median", log=True)
        axis = ax if ax is not None else fig.axes[0]
        axis.plot(self.years, self.revenue, "o", color="black", label="history", zorder=5)
        axis.set_xlabel("year")
        axis.set_ylabel("revenue")
        axis.set_title(f"next year's growth median {self.growth_median:.3g}x "
                       f"[{self.table.loc[_ROWS[0], 'lower']:.3g}, {self.table.loc[_ROWS[0], 'upper']:.3g}]",
                       fontsize="medium")
        axis.legend(fontsize="small")
        return fig

    def notes(self) -> list[str]:
        """What the fit can and cannot tell, in words."""
        out = [f"{self.n_growths} yearly growth(s) from {self.years[0]} to {self.years[-1]}; model ln g_k ~ "
               f"Normal(a (1 - d)^k, sigma^2)" + ("" if self.decay_fitted else " with d = 0 (no decay)")]
        if self.sigma_assumed is not None and self.sigma_prior_years is None:
            out.append(f"sigma = {self.sigma_assumed:g} is ASSUMED, not estimated: the bands hold only if it is right")
        elif self.sigma_assumed is not None:
            out.append(f"sigma: prior {self.sigma_assumed:g} worth {self.sigma_prior_years:g} year(s) of data, "
                       f"{self.dof:g} degrees of freedom in all")
        else:
            out.append(f"sigma estimated from the history with {self.dof:g} degree(s) of freedom"
                       + (": so few that the band is wide, and honestly so" if self.dof <= 3 else ""))
        lo, hi = self.table.loc[_ROWS[0], ["lower", "upper"]]
        out.append(f"next year's growth median is {self.growth_median:.3g}x, {self.level:.0%} band "
                   f"{lo:.3g}x to {hi:.3g}x (a factor of {hi / lo:.3g} wide)")
        return out

    def summary(self) -> Summary:
        """The band table, with what the history can tell in the notes."""
        table = self.table.copy()
        table.index.name = "quantity"
        title = (f"RevenueFit: {self.n_growths + 1} years of revenue, "
                 + ("decaying" if self.decay_fitted else "constant") + " lognormal growth")
        return Summary(title, table, notes=self.notes(), level=self.level,
                       footer=[f"P(next year's growth < 5x) = {self.prob_growth_below(5.0):.3g} "
                               f"(plug-in, ignoring parameter uncertainty: "
                               f"{self.prob_growth_below(5.0, parameter_uncertainty=False):.3g})"],
                       formats={c: ".4g" for c in table.columns})

    def __repr__(self) -> str:
        return str(self.summary())

    def to_dict(self) -> dict:
        """A JSON record (``scalinglaws.load`` reads it back)."""
        return {**serialize.header("scalinglaws.capex.RevenueFit"),
                "years": serialize.array_record(self.years), "revenue": serialize.array_record(self.revenue),
                "table": serialize.frame_record(self.table), "draws": serialize.frame_record(self.draws),
                "level": self.level, "decay_fitted": self.decay_fitted, "sigma_assumed": self.sigma_assumed,
                "sigma_prior_years": self.sigma_prior_years, "dof": self.dof, "seed": self.seed}

    @classmethod
    def from_dict(cls, d: dict) -> RevenueFit:
        return cls(years=serialize.array_from_record(d["years"]), revenue=serialize.array_from_record(d["revenue"]),
                   table=serialize.frame_from_record(d["table"]), draws=serialize.frame_from_record(d["draws"]),
                   level=d["level"], decay_fitted=d["decay_fitted"], sigma_assumed=d["sigma_assumed"],
                   sigma_prior_years=d["sigma_prior_years"], dof=d["dof"], seed=d["seed"])


def fit_revenue(
    years: Any,
    revenue: Any,
    *,
    decay: bool = False,
    sigma: float | None = None,
    sigma_prior_years: float | None = None,
    level: float = DEFAULT_LEVEL,
    n_draws: int = 20_000,
    seed: int = 0,
) -> RevenueFit:
    """Fit lognormal yearly growth to a revenue history, with bands and the predictive.

    ``years`` (whole numbers, strictly increasing; gaps allowed: a k-year gap is k growths) and
    ``revenue`` (positive) give the history. The log growth of the k-th year after the first is
    ``Normal(a (1 - d)**k, sigma**2)``, independently; ``d`` = 0 unless ``decay=True``, which
    fits it in [0, 1] (10x a year decaying to 5x is ``d = 1 - ln 5 / ln 10 = 0.30`` a year).

    ``sigma`` (the log-scale spread of one year's growth):

    - ``None`` (default): estimated from the history, which needs at least two growths (three
      with ``decay``) that are not all equal; the bands then have ``n - 1`` degrees of freedom
      (``n - 2``, roughly, with decay) and are exact 90% intervals for the median growth
      without decay;
    - a number: assumed known. Three points growing exactly 10x and 10x say nothing about the
      spread; an assumed sigma is the only way to a band, and the summary says it is assumed;
    - a number with ``sigma_prior_years``: a prior worth that many years of data (a scaled
      inverse chi-square prior on sigma^2 with that many degrees of freedom), combined with the
      history's own spread.

    Posterior draws (``n_draws``, numpy's generator at ``seed``) give the bands of the
    :class:`RevenueFit` at ``level``, :meth:`RevenueFit.prob_growth_below` and
    :meth:`RevenueFit.simulate` (paths for :func:`~scalinglaws.capex.simulate_revenue`, which
    also accepts the fit itself).
    """
    yrs, rev = _history(years, revenue)
    level = check_level(level)
    n_draws = check_int(n_draws, "n_draws", 100)
    seed = check_seed(seed)
    if not isinstance(decay, bool):
        raise ValueError(f"decay must be True or False (fit a decay or not); got {decay!r}")
    if sigma is not None:
        if isinstance(sigma, bool) or not (np.isfinite(sigma) and sigma > 0):
            raise ValueError(f"sigma must be positive and finite (log-scale spread of yearly growth); got {sigma!r}")
        sigma = float(sigma)
    if sigma_prior_years is not None:
        if sigma is None:
            raise ValueError("sigma_prior_years weighs a prior sigma: give sigma too")
        if isinstance(sigma_prior_years, bool) or not (np.isfinite(sigma_prior_years) and sigma_prior_years > 0):
            raise ValueError(f"sigma_prior_years must be positive and finite; got {sigma_prior_years!r}")
        sigma_prior_years = float(sigma_prior_years)
    n = yrs.size - 1
    needed = 3 if decay else 2
    if sigma is None and n < needed:
        raise ValueError(
            f"revenue has {n} growth(s); estimating the spread of growth needs at least {needed}"
            + (" with decay=True" if decay else "") + ". Give sigma= (assumed), or a longer history")
    decays = np.linspace(0.0, 1.0, DECAY_GRID) if decay else np.zeros(1)
    post, a_hat, sxx, sse, nu, scale = _posterior(yrs, rev, decays, sigma, sigma_prior_years)
    if sigma is None:
        log_growth = np.diff(np.log(rev)) / np.diff(yrs)
        if np.ptp(log_growth) <= 1e-12 * max(1.0, np.abs(log_growth).max()):
            raise ValueError(
                f"every growth in the history is the same ({math.exp(log_growth[0]):.6g}x a year): the data "
                "cannot estimate how much growth varies from year to year. Give sigma= (an assumption, "
                "reported as such)")
    rng = np.random.default_rng(seed)
    idx = rng.choice(decays.size, size=n_draws, p=post)
    if math.isinf(nu):
        var = np.full(n_draws, sigma ** 2)
    else:
        var = scale[idx] * nu / rng.chisquare(nu, size=n_draws)
    a = a_hat[idx] + np.sqrt(var / sxx[idx]) * rng.standard_normal(n_draws)
    d = decays[idx]
    mu_next = a * np.power(1.0 - d, float(yrs[-1] - yrs[0]))
    draws = pd.DataFrame({"a": a, "decay": d, "sigma": np.sqrt(var), "mu_next": mu_next})
    draws.index.name = "draw"
    predictive = np.exp(mu_next + np.sqrt(var) * rng.standard_normal(n_draws))
    values = {_ROWS[0]: np.exp(mu_next), _ROWS[1]: predictive, _ROWS[2]: draws["sigma"].to_numpy()}
    if decay:
        values[_ROWS[3]] = d
    rows = []
    for name, v in values.items():
        lo, hi = percentile_interval(v, level)
        rows.append({"estimate": float(np.median(v)), "lower": float(lo), "upper": float(hi)})
    table = pd.DataFrame(rows, index=list(values))
    return RevenueFit(years=yrs, revenue=rev, table=table, draws=draws, level=level, decay_fitted=decay,
                      sigma_assumed=sigma, sigma_prior_years=sigma_prior_years, dof=float(nu), seed=seed)
