"""Which law extrapolates best here: :func:`compare` scores candidate laws by rolling-origin
cross-validation in compute, the way a forecast is used.

Each law is fitted on the rows below each of several cut-offs of the split column (compute by
default) and scored on the next slice above it: fold ``k`` of ``folds`` trains on the rows below
the ``min_train + (1 - min_train) k / folds`` quantile of the split values and holds out those
up to the next cut-off (the last fold: to the end). So every fold asks what a forecaster at that
cut-off would have been asked, and later folds train on more. The folds of one law and its fit
on all rows are one grouped solve (:mod:`scalinglaws.group_solve`); with ``n_bootstrap`` they
are bootstrapped in one grouped bootstrap.

Errors are in one space for every law: ``log(prediction / y)`` when every ``y`` is positive and
every law is fitted in log space (loss laws: relative errors), ``prediction - y`` otherwise. A
law's score is the root mean squared held-out error over every fold's held-out rows
(``cv_rmse``); ``cv_bias`` is their mean (positive: it over-predicts).

How sure the ranking is comes from resampling the held-out rows (within each fold, the same
rows for every law, ``n_resamples`` times): ``cv_rmse_lower``/``_upper`` are the ``level``
band of each law's score, ``p_best`` the share of resamples in which it scores best. The ranking
follows the one-standard-error rule (Breiman, Friedman, Olshen & Stone 1984; Hastie, Tibshirani
& Friedman, *Elements of Statistical Learning*, sec. 7.10): the laws whose score is within one
resampling standard error of the best law's are tied with it, and among those the one with the fewest parameters ranks first; the rest follow
by score. A more flexible law (``bnsl`` over ``power``) must beat the simpler one by more than
the noise in the held-out rows to be preferred. The standard error is the spread of the best
law's score over the resamples (``best_se`` in the summary); a paired difference's spread would
be smaller, but it calls two laws that predict alike different on differences far below the
noise (measured: 1 of 30 synthetic power curves went to ``bnsl`` by 0.00017 in an RMSE of 0.0105).

With ``n_bootstrap`` replicates each fold's fit gives a predictive distribution at its
held-out rows: normal in the comparison space, centred on the replicates' mean, with the
replicates' variance plus the fold fit's residual variance (the noise of a new point).
``cv_coverage`` is the share of held-out rows inside the ``level`` band of the curve (the
replicates' percentiles; the noise of the point is not in that band, as in
:func:`~scalinglaws.validate_extrapolation`), ``elpd`` the summed log predictive density of
the held-out rows (Vehtari, Gelman & Gabry 2017), which :func:`~scalinglaws.forecast` weights
laws by. A replicate that failed to converge is left out of its fold's band and counted in
``replicates_failed``; a fold whose point fit failed or ended on a bound is flagged in
:attr:`LawComparison.folds` and in the summary.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from . import extrapolate as _extrapolate
from . import laws as _laws
from . import serialize
from .grouped import fit as _grouped_fit
from .inputs import InputError, check_int, check_level, check_seed, prepare, split_column
from .intervals import DEFAULT_LEVEL, percentile_interval
from .results import Result, Summary

__all__ = ["compare", "LawComparison", "FOLD_COLUMN", "rolling_folds"]

FOLD_COLUMN = "__fold__"
"""The column that labels the folds in the stacked table of one law's grouped solve."""

ALL = "all"
"""The label of each law's fit on every row."""


def rolling_folds(split: np.ndarray, folds: int, min_train: float) -> list[tuple[float, float]]:
    """The (cut-off, end) of each fold over the split values ``split``: fold ``k`` trains on
    ``split < cut-off`` and holds out ``cut-off <= split < end`` (the last ``end`` is ``inf``).
    Cut-offs are split values at the quantiles ``min_train + (1 - min_train) k / folds``; folds
    whose cut-offs coincide (ties) are merged."""
    s = np.sort(split)
    n = len(s)
    cuts = []
    for k in range(folds):
        q = min_train + (1.0 - min_train) * k / folds
        pos = min(max(int(math.floor(q * n)), 1), n - 1)
        cuts.append(float(s[pos]))
    cuts = sorted(set(cuts))
    ends = cuts[1:] + [math.inf]
    return list(zip(cuts, ends))


def _law_list(laws) -> list:
    if isinstance(laws, (str, _laws.Law)):
        laws = [laws]
    if not isinstance(laws, Sequence) or len(laws) < 2:
        raise ValueError("laws must list at least two laws to compare, e.g. laws=['power', 'bnsl']")
    out = [_laws.get(law) for law in laws]
    names = [law.name for law in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"laws lists {dup[0]!r} twice")
    return out


def _x_for(law, x):
    """The ``x`` argument of ``law``'s fits: ``x`` itself, its entry when ``x`` maps law names to
    columns, or None (the law's own inputs)."""
    if isinstance(x, Mapping):
        return x.get(law.name)
    return x


def _comparison_space(laws, y: np.ndarray) -> str:
    return "log" if all(law.space == "log" for law in laws) and np.all(y > 0) else "linear"


def _errors(space: str, prediction, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(prediction / y) if space == "log" else prediction - y


def _to_space(space: str, v):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(v) if space == "log" else np.asarray(v, dtype=np.float64)


def compare(
    data,
    laws,
    x=None,
    y=None,
    *,
    by: str | None = None,
    folds: int = 4,
    min_train: float = 0.5,
    n_bootstrap: int = 200,
    n_resamples: int = 2000,
    level: float = DEFAULT_LEVEL,
    seed: int = 0,
    **fit_kw,
) -> LawComparison:
    """Rank laws by how well they extrapolate ``data`` in compute (module docstring).

    Args:
        data: a DataFrame, one row per run.
        laws: two or more law names (or :class:`~scalinglaws.laws.Law`), e.g. ``["power", "bnsl"]``
            or ``["chinchilla", "kaplan"]``.
        x: input column(s) for every law (``"C"``), a mapping from law name to its columns
            (``{"power": "C"}``: the others take their own inputs), or None (each law's inputs).
        y: target column (default the first law's target).
        by: the column to split on: default the common input when every law has the same one,
            else ``C``.
        folds: how many cut-offs (default 4); min_train: the share of rows below the first (0.5).
        n_bootstrap: bootstrap replicates per fold fit for the bands, coverage and predictive
            densities (0: none; then ``cv_coverage`` and ``elpd`` are NaN).
        n_resamples: resamples of the held-out rows for the score bands and ``p_best``.
        level: band level (default 0.9).
        seed: seeds the bootstrap and the resamples; the same seed gives the same numbers.
        **fit_kw: more arguments for every law's fit (``objective``, ``bounds``, ``weights`` as a
            column name, ``n_starts`` ...).

    Returns:
        :class:`LawComparison`.
    """
    candidates = _law_list(laws)
    level = check_level(level)
    folds, n_resamples = check_int(folds, "folds", 1), check_int(n_resamples, "n_resamples", 1)
    n_bootstrap = check_int(n_bootstrap, "n_bootstrap", 0)
    seed = check_seed(seed)
    if not 0.0 < float(min_train) < 1.0:
        raise ValueError(f"min_train must be in (0, 1), got {min_train!r}")
    if not isinstance(data, pd.DataFrame):
        data = pd.DataFrame(dict(data))
    table = data.reset_index(drop=True)
    y_col = y or candidates[0].target
    prepared = {law.name: prepare(table, law, _x_for(law, x), y_col, fit_kw.get("weights"),
                                  check_columns=fit_kw.get("check_columns", True)) for law in candidates}
    x_columns = {name: tuple(p.x_columns) for name, p in prepared.items()}
    if by is None:
        firsts = {cols[0] for cols in x_columns.values() if len(cols) == 1}
        if all(len(cols) == 1 for cols in x_columns.values()) and len(firsts) == 1:
            by = firsts.pop()
        elif "C" in table.columns:
            by = "C"
        else:
            raise InputError(f"the laws take different inputs ({x_columns}): name the column to split on with by= "
                             f"(compute, e.g. C = 6 N D)")
    split = split_column(table, by)
    yv = table[y_col].to_numpy(dtype=np.float64)
    space = _comparison_space(candidates, yv)
    cuts = rolling_folds(split, int(folds), float(min_train))
    labels = [f"fold {k + 1}" for k in range(len(cuts))]
    train = {lab: np.flatnonzero(split < cut) for lab, (cut, _) in zip(labels, cuts)}
    held = {lab: np.flatnonzero((split >= cut) & (split < end)) for lab, (cut, end) in zip(labels, cuts)}
    stacked = pd.concat([table.iloc[train[lab]].assign(**{FOLD_COLUMN: lab}) for lab in labels]
                        + [table.assign(**{FOLD_COLUMN: ALL})], ignore_index=True)
    rng = np.random.default_rng(seed)

    fold_records, point_parts, fitsets, ensembles = [], [], {}, {}
    for law in candidates:
        fs = _fit_folds(stacked, law, _x_for(law, x), y_col, fit_kw)
        fitsets[law.name] = fs
        ens = fs.bootstrap(int(n_bootstrap), seed=seed) if n_bootstrap else None
        if ens is not None:
            ensembles[law.name] = ens
        for lab, (cut, end) in zip(labels, cuts):
            fit = fs[lab]
            rows = held[lab]
            part, record = _score(law, fit, None if ens is None else ens[lab], table, rows, x_columns[law.name],
                                  y_col, by, space, level)
            part.insert(0, "law", law.name)
            part.insert(1, "fold", lab)
            point_parts.append(part)
            fold_records.append({"law": law.name, "fold": lab, "cutoff": cut, "end": end, "n_fit": len(train[lab]),
                                 **record})
    points = pd.concat(point_parts, ignore_index=True)
    fold_table = pd.DataFrame(fold_records)
    full_fits = {name: fs[ALL] for name, fs in fitsets.items()}
    ranking = _rank(candidates, points, fold_table, full_fits, space, level, int(n_resamples), rng)
    return LawComparison(ranking=ranking, folds=fold_table, points=points, fits=full_fits, fold_fits=fitsets,
                         ensembles=ensembles, laws=tuple(law.name for law in candidates), x_columns=x_columns,
                         y_column=y_col, by=by, space=space, level=level, seed=int(seed), data=table)


def _fit_folds(stacked, law, x, y, fit_kw):
    try:
        return _grouped_fit(stacked, law, x, y, by=FOLD_COLUMN, **fit_kw)
    except InputError as err:
        raise InputError(f"law {law.name!r}: {err}".replace(f"{FOLD_COLUMN}=", "")) from None


def _score(law, fit, ens, table, rows, x_cols, y_col, by, space, level):
    """The held-out rows of one (law, fold): their predictions, errors and (with an ensemble)
    bands and log predictive densities; and the fold's record."""
    held = table.iloc[rows]
    inputs = {c: held[c].to_numpy(dtype=np.float64) for c in x_cols}
    yv = held[y_col].to_numpy(dtype=np.float64)
    pred = np.asarray(fit.predict(**inputs), dtype=np.float64).reshape(-1)
    err = _errors(space, pred, yv)
    lower = upper = lpd = pred_sd = np.full(len(rows), np.nan)
    failed = on_bound = np.nan
    fitted = fit.data  # the fold fit's own residual spread: the noise of a new point
    fitted_pred = np.asarray(fit.predict(**{c: fitted[c].to_numpy(np.float64) for c in x_cols})).reshape(-1)
    sigma = float(np.sqrt(np.mean(_errors(space, fitted_pred, fitted[y_col].to_numpy(np.float64)) ** 2)))
    if ens is not None:
        failed, on_bound = int(np.sum(~ens.valid)), int(np.sum(ens.on_bound & ens.valid))
        if ens.valid.any():
            draws = _extrapolate.predict_draws(law, ens.theta[ens.valid], fit._inputs_from_columns(inputs))
            lower, upper = percentile_interval(draws, level)
            z = _to_space(space, draws)
            z = np.where(np.isfinite(z), z, np.nan)  # a replicate that blows up at a far point is left out there
            with np.errstate(all="ignore"):
                mean, var = np.nanmean(z, axis=0), np.nanvar(z, axis=0)
            pred_sd = np.sqrt(var + sigma**2)
            zy = _to_space(space, yv)
            lpd = -0.5 * np.log(2 * np.pi * pred_sd**2) - 0.5 * ((zy - mean) / pred_sd) ** 2
            if space == "log":
                lpd = lpd - np.log(yv)  # the density of y itself, so that log- and linear-space scores compare
    part = pd.DataFrame({"row": rows, by: held[by].to_numpy()})
    for c in x_cols:
        if c != by:
            part[c] = held[c].to_numpy()
    part[y_col] = yv
    part["prediction"], part["error"] = pred, err
    part["lower"], part["upper"] = lower, upper
    part["inside"] = pd.array(np.where(np.isnan(lower), None, (yv >= lower) & (yv <= upper)), dtype="boolean")
    part["predictive_sd"], part["lpd"] = pred_sd, lpd
    record = {"n_heldout": len(rows), "rmse": float(np.sqrt(np.mean(err**2))) if len(rows) else np.nan,
              "bias": float(np.mean(err)) if len(rows) else np.nan, "max_abs_error": float(np.max(np.abs(err)))
              if len(rows) else np.nan, "rmse_fit": sigma, "converged": bool(fit.converged),
              "on_bound": bool(fit.on_bound), "replicates_failed": failed, "replicates_on_bound": on_bound,
              **{f"param_{k}": v for k, v in fit.params.items()}}
    return part, record


def _rank(candidates, points, folds, full_fits, space, level, n_resamples, rng) -> pd.DataFrame:
    names = [law.name for law in candidates]
    E = np.stack([points.loc[points["law"] == n, "error"].to_numpy() for n in names])  # [L, m], same rows
    fold_of = points.loc[points["law"] == names[0], "fold"].to_numpy()
    m = E.shape[1]
    if m == 0:
        raise InputError("no row is held out: the data have too few distinct values of the split column")
    # resample the held-out rows within each fold, the same rows for every law (paired)
    idx = np.empty((n_resamples, m), dtype=np.int64)
    for f in pd.unique(fold_of):
        pos = np.flatnonzero(fold_of == f)
        idx[:, pos] = pos[rng.integers(0, len(pos), size=(n_resamples, len(pos)))]
    finite = np.where(np.isfinite(E), E, np.inf)
    rmse = np.sqrt(np.mean(finite**2, axis=1))
    rmse_r = np.sqrt(np.mean(finite[:, idx] ** 2, axis=2))  # [L, R]
    best = int(np.argmin(rmse))
    best_se = float(np.std(rmse_r[best], ddof=1)) if np.isfinite(rmse[best]) else 0.0
    tied = (rmse - rmse[best]) <= best_se
    winners = np.argmin(rmse_r, axis=0)
    lo, hi = percentile_interval(rmse_r.T, level)
    k = np.array([len(law.params) for law in candidates])
    order = sorted(range(len(names)), key=lambda i: (not tied[i], k[i] if tied[i] else 0, rmse[i]))
    rows = []
    for rank, i in enumerate(order, 1):
        name = names[i]
        f = folds[folds["law"] == name]
        pts = points[points["law"] == name]
        full = full_fits[name]
        inf = full.inference()
        info = inf.information
        status = []
        if not full.converged:
            status.append("fit failed")
        if full.on_bound:
            status.append("on bound: " + ",".join(full.diagnostics.get("on_bound_params", {})))
        if not f["converged"].all():
            status.append(f"{int((~f['converged']).sum())} fold fit(s) failed")
        n_failed = pd.to_numeric(f["replicates_failed"], errors="coerce").sum()
        if n_failed > 0:
            status.append(f"{int(n_failed)} replicate(s) failed")
        rows.append({
            "rank": rank, "law": name, "n_params": int(k[i]), "cv_rmse": float(rmse[i]),
            "cv_rmse_lower": float(lo[i]), "cv_rmse_upper": float(hi[i]),
            "tied_with_best": bool(tied[i]), "p_best": float(np.mean(winners == i)),
            "cv_bias": float(np.mean(E[i])), "cv_coverage": float(pts["inside"].astype(float).mean())
            if pts["inside"].notna().any() else np.nan,
            "elpd": float(pts["lpd"].sum()) if pts["lpd"].notna().all() else np.nan,
            "r2": float(inf.goodness["r2"]), "rmse_fit": float(inf.goodness["rmse_fit"]),
            "aic": float(info["aic"]) if info.get("available") else np.nan,
            "bic": float(info["bic"]) if info.get("available") else np.nan,
            "status": "; ".join(status),
        })
    out = pd.DataFrame(rows).set_index("law")
    out.attrs["best_se"] = best_se
    return out


class LawComparison(Result):
    """The result of :func:`compare`.

    Attributes:
        ranking: a row per law, best first (module docstring): ``rank``, ``n_params``,
            ``cv_rmse`` with its ``level`` band, ``tied_with_best`` (within one standard error),
            ``p_best``, ``cv_bias``, ``cv_coverage``, ``elpd``; in-sample ``r2``, ``rmse_fit``,
            ``aic``, ``bic`` (least squares only; NaN otherwise) of the fit on every row; ``status``
            (failed or on-bound fits, failed replicates: empty when all is well).
        folds: a row per (law, fold): the cut-off, rows fitted and held out, ``rmse``, ``bias``,
            ``max_abs_error``, convergence, failed replicates and the fold fit's parameters.
        points: a row per (law, held-out row): prediction, ``error`` (comparison space), the band,
            ``inside``, ``predictive_sd``, ``lpd``.
        fits: each law's fit on every row; fold_fits: each law's grouped fit (folds and ``"all"``);
            ensembles: each law's grouped bootstrap (empty without ``n_bootstrap``).
        best: the first law of the ranking.
        space: ``"log"`` (errors are log ratios) or ``"linear"``.
    """

    def __init__(self, ranking, folds, points, fits, fold_fits, ensembles, laws, x_columns, y_column, by, space,
                 level, seed, data):
        self.ranking, self.folds, self.points = ranking, folds, points
        self.fits, self.fold_fits, self.ensembles = dict(fits), dict(fold_fits), dict(ensembles)
        self.laws, self.x_columns, self.y_column, self.by = tuple(laws), dict(x_columns), y_column, by
        self.space, self.level, self.seed, self.data = space, float(level), int(seed), data

    @property
    def best(self) -> str:
        return str(self.ranking.index[0])

    def summary(self) -> Summary:
        cols = ["rank", "n_params", "cv_rmse", "cv_rmse_lower", "cv_rmse_upper", "tied_with_best", "p_best",
                "cv_bias", "cv_coverage", "elpd", "r2", "aic", "status"]
        cuts = self.folds.drop_duplicates("fold")
        unit = "log(prediction / observed)" if self.space == "log" else f"prediction - observed ({self.y_column})"
        notes = [
            f"{len(self.laws)} laws, {len(cuts)} rolling-origin folds in {self.by}: cut-offs "
            + ", ".join(f"{c:.3g}" for c in cuts["cutoff"]) + f"; {int(cuts['n_heldout'].sum())} held-out rows",
            f"errors in {unit}; cv_rmse band: {100 * self.level:g}% over resampled held-out rows; "
            "ties within one standard error go to the law with fewer parameters",
        ]
        flagged = self.ranking[self.ranking["status"] != ""]
        for name, row in flagged.iterrows():
            notes.append(f"WARNING {name}: {row['status']}")
        footer = [f"best: {self.best}"]
        tied = [n for n in self.ranking.index[1:] if self.ranking.loc[n, "tied_with_best"]]
        if tied:
            footer.append(f"not distinguishable from it on these folds: {', '.join(tied)}")
        return Summary("law comparison: rolling-origin cross-validation", self.ranking[cols], notes, footer,
                       level=self.level, formats={"cv_rmse": ".4g", "cv_rmse_lower": ".4g", "cv_rmse_upper": ".4g",
                                                  "cv_bias": ".3g", "p_best": ".3f", "cv_coverage": ".3f",
                                                  "elpd": ".5g", "r2": ".4f", "aic": ".5g"})

    def to_frame(self) -> pd.DataFrame:
        out = self.ranking.copy()
        out.attrs["level"] = self.level
        return out

    def __repr__(self):
        scores = ", ".join(f"{n} {r.cv_rmse:.4g}" for n, r in self.ranking.iterrows())
        return f"<LawComparison: {len(self.laws)} laws, best {self.best}; held-out rmse {scores}>"

    def to_dict(self) -> dict:
        return {**serialize.header("scalinglaws.LawComparison"), "laws": list(self.laws),
                "x_columns": {k: list(v) for k, v in self.x_columns.items()}, "y_column": self.y_column,
                "by": self.by, "space": self.space, "level": self.level, "seed": self.seed,
                "ranking": serialize.frame_record(self.ranking), "folds": serialize.frame_record(self.folds),
                "points": serialize.frame_record(self.points),
                "data": None if self.data is None else serialize.frame_record(self.data),
                "fits": {name: fit.to_dict() for name, fit in self.fits.items()}}

    @classmethod
    def from_dict(cls, d: dict) -> LawComparison:
        from .fitting import Fit

        """The comparison a :meth:`to_dict` record describes: its tables and full fits (the fold
        fits and ensembles are not stored)."""
        return cls(ranking=serialize.frame_from_record(d["ranking"]), folds=serialize.frame_from_record(d["folds"]),
                   points=serialize.frame_from_record(d["points"]),
                   fits={n: Fit.from_dict(f) for n, f in d["fits"].items()}, fold_fits={}, ensembles={},
                   laws=d["laws"], x_columns={k: tuple(v) for k, v in d["x_columns"].items()},
                   y_column=d["y_column"], by=d["by"], space=d["space"], level=d["level"], seed=d["seed"],
                   data=None if d["data"] is None else serialize.frame_from_record(d["data"]))
