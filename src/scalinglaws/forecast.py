"""One forecast across laws: :func:`forecast` pools each law's bootstrap replicates, weighted by
how well the law predicted held-out data, into one predictive ensemble, so that the band holds
the uncertainty of the law's form as well as of its parameters.

A single law's bootstrap band answers "how sure are we, if this law is right". Where several
laws fit the data about equally well and part beyond them, each band can be narrow and still
miss the truth. The forecast takes every law's replicates of the fit on all rows
(:func:`~scalinglaws.compare` bootstraps them with the folds) and pools them in proportion to
the law's weight: law ``k`` contributes ``round(w_k M)`` of the ``M`` pooled draws (its valid
replicates repeated or subsampled without replacement, by the seed), so every band, the
compute needed for a target and the ``capex.plan`` of it are plain percentiles over one
equally weighted ensemble.

Weights (``weights=``):

- ``"equal"`` (default): every law listed shares the forecast equally. The laws you list are the
  forms you find plausible; the held-out data of a rolling-origin comparison test extrapolations
  a few tenths of a decade long, and a forecast one or two decades out is a different question.
  Measured (40 synthetic curves, half drawn from ``power`` and half from the ``loglinear`` line
  that best matches it over the data, 30 points, 2% noise, a forecast 1.5 decades beyond the
  data, 90% bands): over one decade of data the pooled band covers the truth in 0.90 of draws
  with equal weights, 0.75 with stacking and 0.82 with pseudo-BMA, where each single law's band
  covers 0.45-0.47; over half a decade, 0.90 against 0.57 and 0.62 (single laws 0.47-0.62).
  Where the data decide (two decades, 0.5% noise) every rule covers 0.90, and stacking's band is
  4.8 times narrower (0.076 against 0.366): use ``"stacking"`` when the comparison's folds
  already test the distance you forecast over.
- ``"stacking"``: stacking of predictive distributions (Yao, Vehtari, Simpson & Gelman 2018,
  "Using stacking to average Bayesian predictive distributions"): the weights on the simplex
  that maximise ``sum_i log sum_k w_k p_k(y_i)`` over the held-out rows of the rolling-origin
  folds, ``p_k`` law ``k``'s predictive density of a held-out row (:mod:`scalinglaws.compare`:
  normal in the comparison space, the replicates' spread plus the fold fit's noise). Solved by
  EM from equal weights (each step multiplies ``w_k`` by the mean responsibility of law ``k``),
  which never decreases the objective; laws that predict alike keep the equal shares they
  start from.
- ``"pseudo-bma"``: pseudo Bayesian model averaging with the Bayesian bootstrap (Yao et al.
  2018, "pseudo-BMA+"): ``w_k`` the mean over Dirichlet(1) reweightings of the held-out rows of
  ``exp(elpd_k) / sum_j exp(elpd_j)``.
- ``"best"`` (all weight on the comparison's first law: the single-law answer), or a mapping
  from law name to weight.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from . import extrapolate as _extrapolate
from . import serialize
from .compare import LawComparison, compare
from .inputs import check_level, check_seed, check_targets
from .intervals import DEFAULT_LEVEL, percentile_interval
from .laws import UNREACHABLE
from .results import Result, Summary

__all__ = ["forecast", "Forecast", "WEIGHTINGS", "stacking_weights", "pseudo_bma_weights"]

WEIGHTINGS = ("equal", "stacking", "pseudo-bma", "best")

EM_STEPS = 2000
EM_TOL = 1e-10


def stacking_weights(lpd: np.ndarray) -> np.ndarray:
    """[L] weights maximising ``sum_i log sum_k w_k exp(lpd[i, k])`` on the simplex (EM from
    equal weights; ``lpd`` [n, L] log predictive densities of held-out rows)."""
    lpd = np.asarray(lpd, dtype=np.float64)
    n, L = lpd.shape
    dens = np.exp(lpd - np.max(lpd, axis=1, keepdims=True))  # per-row scale cancels in the responsibilities
    w = np.full(L, 1.0 / L)
    for _ in range(EM_STEPS):
        mix = dens @ w
        new = w * np.mean(dens / mix[:, None], axis=0)
        new /= new.sum()
        if np.max(np.abs(new - w)) < EM_TOL:
            w = new
            break
        w = new
    return w


def pseudo_bma_weights(lpd: np.ndarray, n_draws: int = 1000, seed: int = 0) -> np.ndarray:
    """[L] pseudo-BMA+ weights: the mean over Bayesian-bootstrap draws ``alpha ~ Dirichlet(1)``
    of the held-out rows of ``softmax_k(n sum_i alpha_i lpd[i, k])``."""
    lpd = np.asarray(lpd, dtype=np.float64)
    n = lpd.shape[0]
    alpha = np.random.default_rng(seed).dirichlet(np.ones(n), size=n_draws)
    elpd = n * alpha @ lpd  # [draws, L]
    z = np.exp(elpd - elpd.max(axis=1, keepdims=True))
    return np.mean(z / z.sum(axis=1, keepdims=True), axis=0)


def _weights(comparison: LawComparison, weights, seed: int) -> np.ndarray:
    names = list(comparison.laws)
    if isinstance(weights, Mapping):
        unknown = sorted(set(weights) - set(names))
        if unknown:
            raise KeyError(f"weights name {unknown[0]!r}, which is not among the laws {names}")
        w = np.array([float(weights.get(n, 0.0)) for n in names])
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError(f"weights must be finite, non-negative and not all zero; got {dict(weights)}")
        return w / w.sum()
    if weights not in WEIGHTINGS:
        raise ValueError(f"weights must be one of {WEIGHTINGS} or a mapping law -> weight; got {weights!r}")
    if weights == "equal":
        return np.full(len(names), 1.0 / len(names))
    if weights == "best":
        return np.array([1.0 if n == comparison.best else 0.0 for n in names])
    pts = comparison.points  # every law scores the same held-out rows in the same order
    lpd = np.stack([pts.loc[pts["law"] == n, "lpd"].to_numpy(dtype=np.float64) for n in names], axis=1)
    lpd = np.where(lpd == np.inf, np.nan, lpd)
    lpd = lpd[np.isfinite(lpd).any(axis=1)]  # a row no law gives any density says nothing between them
    if np.isnan(lpd).any() or not len(lpd):
        raise ValueError("weights need each held-out row's predictive density: run the comparison with "
                         "n_bootstrap > 0 (some law has no valid replicate in a fold)")
    return stacking_weights(lpd) if weights == "stacking" else pseudo_bma_weights(lpd, seed=seed)


def _pool_counts(weights: np.ndarray, total: int) -> np.ndarray:
    """Integer counts summing to ``total``, proportional to ``weights`` (largest remainders)."""
    raw = weights * total
    counts = np.floor(raw).astype(np.int64)
    short = total - counts.sum()
    if short > 0:
        counts[np.argsort(-(raw - counts), kind="stable")[:short]] += 1
    return counts


def _pick(rng, n_valid: int, count: int) -> np.ndarray:
    """``count`` replicate indices out of ``n_valid``: whole copies, then a subset without replacement."""
    whole, rest = divmod(count, n_valid)
    return np.concatenate([np.tile(np.arange(n_valid), whole), np.sort(rng.choice(n_valid, rest, replace=False))])


def forecast(
    data,
    laws: Sequence,
    x=None,
    y=None,
    *,
    level: float = DEFAULT_LEVEL,
    weights="equal",
    n_bootstrap: int = 200,
    comparison: LawComparison | None = None,
    by: str | None = None,
    folds: int = 4,
    min_train: float = 0.5,
    seed: int = 0,
    fit_kw: Mapping | None = None,
    **inputs,
) -> Forecast:
    """Forecast across ``laws`` (module docstring): ``sl.forecast(df, ["power", "bnsl"], x="C",
    C=[1e24, 1e25])``.

    Args:
        data, laws, x, y, by, folds, min_train, seed: as :func:`~scalinglaws.compare`, which is run
            with ``n_bootstrap`` replicates (default 200) unless ``comparison`` (one run with
            ``n_bootstrap > 0``) is given.
        level: band level (default 0.9).
        weights: ``"equal"`` (default), ``"stacking"``, ``"pseudo-bma"``, ``"best"`` or a
            mapping law -> weight (module docstring: what each covers, measured).
        fit_kw: more arguments for every law's fit (``objective``, ``bounds`` ...).
        **inputs: where to forecast, e.g. ``C=[1e24, 1e25]`` (``Forecast.table``); more with
            :meth:`Forecast.predict`.

    Returns:
        :class:`Forecast`.
    """
    level = check_level(level)
    seed = check_seed(seed)
    if comparison is None:
        comparison = compare(data, laws, x, y, by=by, folds=folds, min_train=min_train, n_bootstrap=n_bootstrap,
                             level=level, seed=seed, **dict(fit_kw or {}))
    elif not isinstance(comparison, LawComparison):
        raise TypeError(f"comparison must be a LawComparison (sl.compare), got {type(comparison).__name__}")
    if not comparison.ensembles:
        raise ValueError("the comparison has no bootstrap replicates to pool: run it with n_bootstrap > 0")
    names = list(comparison.laws)
    w = _weights(comparison, weights, seed)
    fits = {n: comparison.fits[n] for n in names}
    thetas = {}
    for n in names:
        ens = comparison.ensembles[n]["all"]
        thetas[n] = ens.theta[ens.valid]
        if len(thetas[n]) == 0:
            raise ValueError(f"law {n!r}: no bootstrap replicate of its fit on every row converged; "
                             "it cannot be pooled (see comparison.ensembles[law]['all'].diagnostics)")
    total = int(sum(len(t) for t in thetas.values()))
    counts = _pool_counts(w, total)
    rng = np.random.default_rng(seed)
    picks = {n: _pick(rng, len(thetas[n]), int(k)) for n, k in zip(names, counts) if k > 0}
    failed = {n: int(np.sum(~comparison.ensembles[n]["all"].valid)) for n in names}
    result = Forecast(comparison, fits, dict(zip(names, w)), picks, thetas, failed,
                      weights if isinstance(weights, str) else "given", level, seed)
    result.inputs = {k: np.atleast_1d(np.asarray(v, dtype=np.float64)) for k, v in inputs.items()}
    return result


class Forecast(Result):
    """A forecast across laws (:func:`forecast`).

    Attributes:
        comparison: the :class:`~scalinglaws.compare.LawComparison` the weights come from.
        fits: each law's fit on every row.
        weights: ``{law: weight}``; counts: ``{law: pooled draws}`` (``shares`` as fractions).
        replicates: each law's valid replicates [R, p] (internal parameters); picks: ``{law:
            indices into them}``, the pooled ensemble (``pooled``: those replicates).
        failed: each law's replicates that failed to converge (left out of the pool, counted here).
        table: the forecast at the inputs given to :func:`forecast` (empty without).
    """

    def __init__(self, comparison, fits, weights, picks, replicates, failed, weighting, level, seed):
        self.comparison, self.fits, self.weights = comparison, dict(fits), dict(weights)
        self.picks = {n: np.asarray(i, dtype=np.int64) for n, i in picks.items()}
        self.replicates, self.failed = dict(replicates), dict(failed)
        self.counts = {n: len(self.picks.get(n, ())) for n in comparison.laws}
        self.weighting, self.level, self.seed = weighting, float(level), int(seed)
        self.laws = tuple(comparison.laws)
        self.inputs: dict = {}

    @property
    def shares(self) -> dict:
        total = sum(self.counts.values())
        return {n: c / total for n, c in self.counts.items()}

    @property
    def pooled(self) -> dict:
        """``{law: [count, p]}`` the replicates in the pooled ensemble (laws with a share only)."""
        return {n: self.replicates[n][i] for n, i in self.picks.items()}

    @property
    def n_draws(self) -> int:
        return int(sum(self.counts.values()))

    # ------------------------------------------------------------------ draws
    def _law_values(self, name: str, thetas: np.ndarray, columns: Mapping) -> np.ndarray:
        """[R, m] law ``name`` at ``columns`` (its fitted columns or law input names; a law with
        an allocation given only ``C``: the loss at the compute-optimal split)."""
        fit = self.fits[name]
        law = fit.law
        try:
            inputs = fit._inputs_from_columns(columns)
        except KeyError:
            if law.has_allocation and set(columns) == {"C"}:
                C = np.atleast_1d(np.asarray(columns["C"], dtype=np.float64)).ravel()
                return _extrapolate.allocation_draws(law, thetas, C)["loss"]
            raise
        flat, _ = _extrapolate.broadcast_inputs(law, inputs)
        return _extrapolate.predict_draws(law, thetas, flat)

    def _pool(self, per_law: Mapping) -> np.ndarray:
        """Values over each law's replicates ``{law: [R, ...]}`` -> the pooled draws [n_draws, ...]."""
        return np.concatenate([per_law[n][i] for n, i in self.picks.items()], axis=0)

    def draws(self, **columns) -> np.ndarray:
        """[n_draws, m] the pooled ensemble's predictions at the inputs (points broadcast)."""
        return self._pool({n: self._law_values(n, self.replicates[n], columns) for n in self.picks})

    def predict(self, level: float | None = None, **columns) -> pd.DataFrame:
        """The forecast at the inputs: a row per point with the inputs, ``estimate`` (the pooled
        median), ``lower``/``upper`` (the pooled ``level`` band) and per law its point fit
        (``{law}``) and its own band (``{law}_lower``, ``{law}_upper``)."""
        level = self.level if level is None else check_level(level)
        if not columns:
            raise ValueError(f"predict needs inputs, e.g. {self.fits[self.laws[0]].x_columns[0]}=1e24")
        per_law = {n: self._law_values(n, self.replicates[n], columns) for n in self.laws}
        pooled = self._pool(per_law)
        arrays = np.broadcast_arrays(*[np.asarray(v, np.float64) for v in columns.values()])
        out = pd.DataFrame({k: np.ravel(a) for k, a in zip(columns, arrays)})
        out["estimate"] = np.median(pooled, axis=0)
        out["lower"], out["upper"] = percentile_interval(pooled, level)
        for n in self.laws:
            out[n] = self._law_values(n, self.fits[n].theta[None, :], columns)[0]
            out[f"{n}_lower"], out[f"{n}_upper"] = percentile_interval(per_law[n], level)
        out.attrs["level"] = level
        out.attrs["weights"] = dict(self.weights)
        return out

    @property
    def table(self) -> pd.DataFrame:
        return self.predict(**self.inputs) if self.inputs else pd.DataFrame()

    def _inverse_input(self) -> str:
        names = {_extrapolate.inverse_input(f.law) for f in self.fits.values()}
        if len(names) != 1:
            raise ValueError(f"the laws solve for different inputs ({sorted(names)}): compute_for needs one")
        return names.pop()

    def compute_for_draws(self, target: float) -> np.ndarray:
        """Per pooled draw, the compute (or x) that reaches ``target``; ``inf`` where unreachable.
        What :func:`scalinglaws.capex.plan` prices."""
        self._inverse_input()
        (value,) = check_targets(target)
        return self._pool({n: _extrapolate.inverse_draws(self.fits[n].law, self.replicates[n], value)[:, 0]
                           for n in self.picks})

    def compute_for(self, target, level: float | None = None) -> pd.DataFrame:
        """Compute (or x) to reach each target under law uncertainty: a row per target with the
        pooled median and band over the draws that reach it, ``reachable_share`` (the pooled
        draws that reach it at all), and per law its point fit's value and reachable share."""
        level = self.level if level is None else check_level(level)
        name = self._inverse_input()
        targets = check_targets(target)
        per_law = {n: _extrapolate.inverse_draws(self.fits[n].law, self.replicates[n], targets) for n in self.laws}
        pooled = self._pool(per_law)
        reach = np.isfinite(pooled)
        lo, hi = percentile_interval(np.where(reach, pooled, np.nan), level)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a target no draw reaches: inf below
            est = np.nanmedian(np.where(reach, pooled, np.nan), axis=0)
        none = ~reach.any(axis=0)
        out = pd.DataFrame({"target": targets, name: np.where(none, UNREACHABLE, est),
                            f"{name}_lower": np.where(none, UNREACHABLE, lo),
                            f"{name}_upper": np.where(none, UNREACHABLE, hi), "reachable_share": reach.mean(axis=0)})
        for n in self.laws:
            out[f"{name}_{n}"] = _extrapolate.inverse_draws(self.fits[n].law, self.fits[n].theta[None, :], targets)[0]
            out[f"reachable_{n}"] = np.isfinite(per_law[n]).mean(axis=0)
        out.attrs["level"] = level
        return out

    # ------------------------------------------------------------------ presentation
    def weights_table(self) -> pd.DataFrame:
        r = self.comparison.ranking
        rows = [{"law": n, "weight": self.weights[n], "share": self.shares[n], "draws": self.counts[n],
                 "replicates": len(self.replicates[n]), "failed": self.failed[n], "rank": int(r.loc[n, "rank"]),
                 "cv_rmse": float(r.loc[n, "cv_rmse"]), "elpd": float(r.loc[n, "elpd"])} for n in self.laws]
        return pd.DataFrame(rows).set_index("law")

    def summary(self) -> Summary:
        folds = f"{self.comparison.folds['fold'].nunique()} rolling-origin folds in {self.comparison.by}"
        source = (f"weights from the held-out rows of {folds}" if self.weighting in ("stacking", "pseudo-bma")
                  else f"the comparison ({folds})")
        notes = [f"{len(self.laws)} laws pooled by {self.weighting} weights into {self.n_draws} draws; "
                 f"{100 * self.level:g}% bands",
                 f"{source}: best by held-out error {self.comparison.best}"]
        for n, k in self.failed.items():
            if k:
                notes.append(f"WARNING {n}: {k} replicate(s) failed to converge and are not pooled")
        footer = []
        if self.inputs:
            footer = ["", "forecast:"] + str(Summary("", self.table)).splitlines()[2:]
        return Summary("forecast across laws", self.weights_table(), notes, footer, level=self.level,
                       formats={"weight": ".3f", "share": ".3f", "cv_rmse": ".4g", "elpd": ".5g"})

    def to_frame(self) -> pd.DataFrame:
        out = self.weights_table()
        out.attrs["level"] = self.level
        return out

    def __repr__(self):
        w = ", ".join(f"{n} {self.weights[n]:.2f}" for n in self.laws)
        return f"<Forecast: {w}; {self.n_draws} draws>"

    def to_dict(self) -> dict:
        return {**serialize.header("scalinglaws.Forecast"), "weighting": self.weighting, "level": self.level,
                "seed": self.seed, "weights": self.weights, "failed": self.failed,
                "inputs": {k: v.tolist() for k, v in self.inputs.items()},
                "picks": {n: i.tolist() for n, i in self.picks.items()},
                "replicates": {n: serialize.array_record(t) for n, t in self.replicates.items()},
                "comparison": self.comparison.to_dict()}

    @classmethod
    def from_dict(cls, d: dict) -> Forecast:
        """The forecast a :meth:`to_dict` record describes (its comparison's tables and fits, each
        law's replicates and which of them are pooled)."""
        comparison = LawComparison.from_dict(d["comparison"])
        out = cls(comparison, comparison.fits, d["weights"], d["picks"],
                  {n: serialize.array_from_record(r) for n, r in d["replicates"].items()}, d["failed"],
                  d["weighting"], d["level"], d["seed"])
        out.inputs = {k: np.asarray(v, dtype=np.float64) for k, v in d["inputs"].items()}
        return out

