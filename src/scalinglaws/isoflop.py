"""IsoFLOP profiles: Hoffmann et al. (2022) Approach 2, as used in the Llama 3 report.

Runs are grouped by a nominal compute budget (an isoFLOP curve: several model sizes trained at
the same compute). Within each budget, the loss is fitted by a parabola in log size (weighted
least squares of ``y`` on ``ln size`` and ``ln size^2``); its vertex is that budget's optimal size
``size_opt`` and the loss there. Across budgets, an ordinary least-squares line of ``ln size_opt``
on ``ln C`` gives the compute-optimal frontier ``size_opt = k C^a``::

    import scalinglaws as sl

    res = sl.isoflop(sl.datasets.load("marin-dclm"), budget="budget", size="N", y="loss")
    res.exponent, res.coefficient       # a and k in N_opt = k C^a
    res.interval()                      # estimate, lower, upper, se of a and k
    res.optimal([1e22, 1e24])           # N_opt (and the implied D = C / 6N) with bands
    res.profiles                        # one row per budget: optimum, curvature, flags
    print(res.summary())
    sl.plot.figure(res).savefig("isoflop.png")   # profiles and frontier

Budgets are flagged, kept in ``profiles`` and left out of the frontier (by default) when the
parabola has no minimum (curvature <= 0) or its minimum lies outside the sizes sampled at that
budget: an extrapolated vertex is a guess, not a measurement. Budgets with fewer than
``min_points`` runs are dropped and reported (``profiles``, ``summary()`` and a
:class:`IsoflopWarning`).

The bootstrap resamples runs within each budget (stratified multinomial counts from
``numpy.random.default_rng(seed)``), and refits every parabola and the frontier for all
replicates at once, in closed form over ``[replicates x budgets x runs]`` arrays. The same
exclusion rule is applied to every replicate: a resample with fewer than three distinct sizes,
no minimum, or (with ``exclude_flagged``) a minimum outside the sizes trained at that budget
drops the budget from that replicate's frontier, so the bands describe the whole procedure,
exclusions included. How often that happens, per budget and by reason, is in ``diagnostics``
and ``summary()``. A replicate left with fewer than two budgets has no frontier: it is counted
and left out of the bands, never a NaN inside them.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .compute import params_for, tokens_for
from .intervals import DEFAULT_LEVEL, percentile_interval
from .results import Result, Summary
from .inputs import (
    InputError, as_table, check_finite_column, check_level, check_positive_column, numeric_column, row_label,
    weights_column,
)

__all__ = ["isoflop", "IsoflopResult", "IsoflopWarning"]


class IsoflopWarning(UserWarning):
    """A budget was dropped (too few runs), or the bootstrap lost replicates."""


# --------------------------------------------------------------------------------------------
# Closed-form parabolas and frontiers, batched over replicates


def _parabolas(u, y, uid, n_unique, W):
    """Weighted least-squares parabolas ``y = b0 + b1 u + b2 u^2`` for every (replicate, budget).

    ``u``, ``y``, ``uid``: [B, M] (scaled log sizes, targets, index of each run's distinct size
    within its budget; padding carries zero weight). ``W``: [R, B, M] weights. Returns
    ``b`` [R, B, 3] and ``ok`` [R, B] (at least three distinct sizes with positive weight, so
    the normal equations are non-singular).
    """
    R, B, M = W.shape
    p = u[None, :, :] ** np.arange(5)[:, None, None]  # [5, B, M]
    S = np.einsum("rbm,kbm->rbk", W, p)  # sums of w u^k, k = 0..4
    T = np.einsum("rbm,kbm->rbk", W * y[None], p[:3])  # sums of w y u^k, k = 0..2
    onehot = (uid[:, :, None] == np.arange(n_unique)[None, None, :]).astype(np.float64)  # [B, M, U]
    distinct = (np.einsum("rbm,bmu->rbu", (W > 0).astype(np.float64), onehot) > 0).sum(axis=-1)
    ok = distinct >= 3
    A = np.stack([S[..., 0:3], S[..., 1:4], S[..., 2:5]], axis=-2)  # [R, B, 3, 3]
    A = np.where(ok[..., None, None], A, np.eye(3))  # degenerate systems: solve a dummy, mask later
    b = np.linalg.solve(A, T[..., None])[..., 0]
    return b, ok


def _classify(b, ok, exclude_outside: bool):
    """Vertex and exclusion reason per (replicate, budget).

    Sizes are scaled so that each budget's sampled range is u in [-1, 1]; a vertex outside it is
    outside the sizes trained at that budget. In a bootstrap replicate the range is the budget's
    design (all its runs), not the resample's: which sizes were trained is fixed, only which runs
    are drawn varies. Returns ``ustar`` (vertex in scaled units; 0 where undefined), ``usable``
    (bool) and ``code``: 0 usable, 1 fewer than three distinct sizes, 2 no minimum
    (curvature <= 0), 3 minimum outside the sampled sizes (usable anyway when
    ``exclude_outside`` is False).
    """
    b2 = b[..., 2]
    has_min = ok & (b2 > 0)
    ustar = np.where(has_min, -b[..., 1] / (2.0 * np.where(has_min, b2, 1.0)), 0.0)
    outside = has_min & (np.abs(ustar) > 1.0 + 1e-12)
    code = np.where(~ok, 1, np.where(~has_min, 2, np.where(outside, 3, 0)))
    usable = has_min & np.isfinite(ustar) & (~outside | (not exclude_outside))
    return ustar, usable, code


def _frontier(logC, logS, mask):
    """OLS of ``logS`` on ``logC`` over the budgets in ``mask``, per replicate.

    ``logC`` [B]; ``logS``, ``mask`` [R, B]. Returns slope, intercept (at ln C = 0), the number of
    budgets used and ``valid`` (at least two budgets at distinct C) per replicate.
    """
    m = mask.astype(np.float64)
    n = m.sum(axis=1)
    nn = np.maximum(n, 1.0)
    c0 = logC.mean()
    x = logC - c0  # centred for accuracy; the intercept is moved back below
    ys = np.where(mask, logS, 0.0)
    xbar = (m * x).sum(axis=1) / nn
    ybar = (m * ys).sum(axis=1) / nn
    dx = np.where(mask, x[None, :] - xbar[:, None], 0.0)
    sxx = (dx * dx).sum(axis=1)
    sxy = (dx * (ys - ybar[:, None])).sum(axis=1)
    valid = (n >= 2) & (sxx > 1e-12 * max(float(np.ptp(logC)) ** 2, 1e-300))
    slope = np.where(valid, sxy / np.where(valid, sxx, 1.0), np.nan)
    intercept = np.where(valid, ybar - slope * (xbar + c0), np.nan)
    return slope, intercept, n.astype(int), valid


# --------------------------------------------------------------------------------------------
# Input handling


_REASONS = {
    1: "fewer than 3 distinct sizes",
    2: "no minimum: curvature <= 0",
    3: "minimum outside the sampled sizes",
}


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def budget_label(v) -> str:
    """A budget as it reads in tables and legends (numbers to 4 significant digits)."""
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.4g}"
    return str(v)


def _budget_labels(table: pd.DataFrame, budget: str, compute) -> tuple[np.ndarray, np.ndarray | None]:
    """(label per row, numeric label values or None); errors name the column and row."""
    index = table.index
    if compute is None:
        values = numeric_column(table, budget)
        check_finite_column(values, budget, index)
        check_positive_column(values, budget, index,
                        "its values are the compute budgets C of the frontier, which takes ln C")
        return values, values
    s = table[budget]
    if isinstance(s, pd.DataFrame):
        raise InputError(f"column {budget!r} appears {s.shape[1]} times in the table", column=budget)
    missing = pd.isna(s).to_numpy()
    if missing.any():
        pos = int(np.flatnonzero(missing)[0])
        raise InputError(f"budget column {budget!r} is missing at {row_label(index, pos)}", column=budget, row=pos)
    return s.to_numpy(), None


def _check_groupable(labels: np.ndarray, budget: str, columns, min_points: int) -> None:
    n = len(labels)
    k = len(pd.unique(labels))
    if k > 2 and k > n / 2:
        hint = ""
        if "budget" in columns and budget != "budget":
            hint = " (this table has a 'budget' column: pass budget='budget')"
        raise InputError(
            f"column {budget!r} has {k} distinct values among {n} rows, so it cannot label isoFLOP groups: an "
            f"isoFLOP profile compares runs trained at one nominal compute budget, and each run's actual compute "
            f"(e.g. 6ND) differs from run to run. Pass the column holding the nominal budget{hint}, or round the "
            f"compute to the budgets the runs were planned at and pass that column; each budget needs at least "
            f"{min_points} runs",
            column=budget,
        )


def _group_compute(table, labels_sorted, inverse, compute, budget, numeric_labels) -> np.ndarray:
    """Compute C per budget (the frontier's x): the label itself, a column's geometric mean, or a mapping."""
    G = len(labels_sorted)
    if compute is None:
        return np.asarray(labels_sorted, dtype=np.float64)
    if isinstance(compute, str):
        if compute not in table.columns:
            raise InputError(f"compute column {compute!r} is not in the table; the table has columns "
                             f"{list(table.columns)}", column=compute)
        c = numeric_column(table, compute)
        check_finite_column(c, compute, table.index)
        check_positive_column(c, compute, table.index, "the frontier takes ln C")
        out = np.zeros(G)
        np.add.at(out, inverse, np.log(c))
        return np.exp(out / np.bincount(inverse, minlength=G))
    if isinstance(compute, Mapping):
        out = []
        for lab in labels_sorted:
            key = lab.item() if isinstance(lab, np.generic) else lab
            if key not in compute:
                raise InputError(f"compute mapping has no value for budget {key!r} (column {budget!r})", column=budget)
            v = float(compute[key])
            if not (math.isfinite(v) and v > 0):
                raise InputError(f"compute for budget {key!r} must be finite and > 0, got {compute[key]!r}",
                                 column=budget)
            out.append(v)
        return np.asarray(out)
    raise InputError(f"compute must be None (budget labels are the compute), a column name or a mapping "
                     f"budget -> FLOP; got {type(compute).__name__}")


# --------------------------------------------------------------------------------------------
# The result


class IsoflopResult(Result):
    """IsoFLOP profiles and the compute-optimal frontier ``size_opt = k C^a``, with bootstrap bands.

    Attributes:
        exponent, coefficient: point estimates of ``a`` and ``k`` (C in the budget's units, FLOP).
        size, budget, y: the column names used.
        level: default band level for :meth:`interval` and :meth:`optimal`.
        profiles: DataFrame, one row per budget (see :meth:`_profiles_table`).
        draws: DataFrame, one row per bootstrap replicate: exponent, coefficient, log_coefficient
            (ln k), n_budgets (budgets in that replicate's frontier) and valid (False for a replicate
            left with fewer than two budgets: no frontier, NaN exponent, left out of every band).
        diagnostics: dict of counts and fractions (dropped and flagged budgets, bootstrap exclusions,
            failed replicates, timing).
    """

    def __init__(self, *, size, budget, y, level, seed, n_bootstrap, min_points, exclude_flagged, compute_name,
                 exponent, coefficient, profiles, draws, size_draws, data, diagnostics):
        self.size = size
        self.budget = budget
        self.y = y
        self.level = float(level)
        self.seed = seed
        self.n_bootstrap = int(n_bootstrap)
        self.min_points = int(min_points)
        self.exclude_flagged = bool(exclude_flagged)
        self.compute_name = compute_name
        self.exponent = float(exponent)
        self.coefficient = float(coefficient)
        self.profiles = profiles
        self.draws = draws
        self._size_draws = size_draws  # [R, G] per-budget size_opt per replicate, NaN where excluded
        self._data = data  # per-budget arrays for plotting
        self.diagnostics = diagnostics

    # ------------------------------------------------------------------ bands
    def _level(self, level):
        level = self.level if level is None else check_level(level)
        return level

    def _valid_draws(self):
        d = self.draws
        v = d["valid"].to_numpy()
        # ln k, not k: with exclude_flagged=False a far-away vertex can put k beyond float range.
        return d["exponent"].to_numpy()[v], d["log_coefficient"].to_numpy()[v]

    @staticmethod
    def _quantiles(x, level, axis=0):
        if x.shape[axis] == 0:
            shape = list(x.shape)
            del shape[axis]
            nan = np.full(shape, np.nan)
            return nan, nan
        return percentile_interval(np.moveaxis(x, axis, 0), level)

    def interval(self, level: float | None = None) -> pd.DataFrame:
        """Percentile bands of the exponent ``a`` and coefficient ``k``.

        DataFrame indexed by ``exponent``, ``coefficient`` with ``estimate`` (the fit to all
        runs), ``lower``, ``upper`` (equal-tailed percentiles over the valid replicates) and ``se``
        (bootstrap standard deviation). Bounds are NaN only when there are no valid replicates
        (``n_bootstrap=0``, or every replicate failed: ``diagnostics`` says which).
        """
        level = self._level(level)
        a, lnk = self._valid_draws()
        lo, hi = self._quantiles(np.stack([a, lnk], axis=1), level)
        lo[1], hi[1] = np.exp(lo[1]), np.exp(hi[1])  # percentiles commute with exp
        with np.errstate(over="ignore", invalid="ignore"):
            se = (np.array([np.std(a, ddof=1), np.std(np.exp(lnk), ddof=1)]) if len(a) > 1
                  else np.full(2, np.nan))
        return pd.DataFrame(
            {"estimate": [self.exponent, self.coefficient], "lower": lo, "upper": hi, "se": se},
            index=pd.Index(["exponent", "coefficient"], name="parameter"),
        )

    def optimal(self, C, level: float | None = None) -> pd.DataFrame:
        """The frontier ``size_opt = k C^a`` at budgets ``C``, with percentile bands.

        One row per budget: ``C``, ``{size}_opt`` and its ``_lower``/``_upper`` band. For
        ``size="N"`` also the implied tokens ``D_opt = C / (6 N_opt)`` and ``tokens_per_param``;
        for ``size="D"`` the implied ``N_opt = C / (6 D_opt)``. ``oom_beyond_data`` is how many
        orders of magnitude ``C`` lies outside the budgets the frontier was fitted on (0 inside).
        """
        level = self._level(level)
        C = np.atleast_1d(np.asarray(C, dtype=np.float64)).ravel()
        if C.size == 0:
            raise ValueError("give at least one compute budget C")
        if not np.all(np.isfinite(C)) or np.any(C <= 0):
            raise ValueError(f"compute budgets C must be finite and > 0, got {C.tolist()}")
        lnC = np.log(C)
        est = self.coefficient * np.exp(self.exponent * lnC)
        a, lnk = self._valid_draws()
        with np.errstate(over="ignore"):
            draws = np.exp(lnk[:, None] + a[:, None] * lnC[None, :])
        lo, hi = self._quantiles(draws, level)
        s = self.size
        out = pd.DataFrame({"C": C, f"{s}_opt": est, f"{s}_opt_lower": lo, f"{s}_opt_upper": hi})
        other = {"N": "D", "D": "N"}.get(s)
        if other is not None:
            # C = 6 N D: the other quantity is C / (6 size); its band is the size band reversed.
            out[f"{other}_opt"] = tokens_for(C, est)  # C / (6 size), for either size
            out[f"{other}_opt_lower"] = tokens_for(C, hi)
            out[f"{other}_opt_upper"] = tokens_for(C, lo)
            n, d = (est, tokens_for(C, est)) if s == "N" else (params_for(C, est), est)
            out["tokens_per_param"] = d / n
        used = self.profiles["in_frontier"].to_numpy()
        cmin, cmax = self.profiles["C"].to_numpy()[used].min(), self.profiles["C"].to_numpy()[used].max()
        out["oom_beyond_data"] = np.maximum(0.0, np.maximum(np.log10(C / cmax), np.log10(cmin / C)))
        return out

    # ------------------------------------------------------------------ presentation
    def summary(self, level: float | None = None) -> Summary:
        """Data, the frontier estimate with its band, one row per budget, and notes
        (:class:`~scalinglaws.results.Summary`; ``to_frame()`` is the per-budget table)."""
        level = self._level(level)
        d = self.diagnostics
        p = self.profiles
        s = self.size
        iv = self.interval(level)
        used = p[p["in_frontier"]]
        lines = [
            f"isoFLOP profiles (Hoffmann et al. 2022, Approach 2): {s}_opt = k * C^a",
            f"data: {d['n_runs']} runs in {d['n_budgets']} budgets (column {self.budget!r}"
            + (f"; C from {self.compute_name!r}" if self.compute_name else "")
            + f"), C from {_fmt(p['C'].min())} to {_fmt(p['C'].max())}; {self.y} ~ parabola in ln {s} per budget",
            f"frontier: OLS of ln {s}_opt on ln C over {len(used)} of {d['n_budgets']} budgets"
            f" ({d['n_dropped']} dropped for fewer than {self.min_points} runs, {d['n_flagged']} flagged"
            + (", flagged budgets left out" if self.exclude_flagged else ", minima outside the sampled sizes kept")
            + ")",
        ]
        if self.n_bootstrap:
            lines.append(
                f"bootstrap: {self.n_bootstrap} replicates resampling runs within budgets, seed {self.seed}; "
                f"{d['replicates_failed']} without a frontier ({100 * d['replicates_failed_fraction']:.2f}%, left "
                f"out of bands); a budget left out of a replicate's frontier in "
                f"{100 * d['excluded_fraction']:.2f}% of (replicate, budget) pairs"
            )
        else:
            lines.append("bootstrap: none (n_bootstrap=0): no bands")
        lines.append(f"{'':<16}{'estimate':>14}{'lower':>14}{'upper':>14}{'se':>12}   ({100 * level:g}% percentile)")
        for name, label in (("exponent", "exponent a"), ("coefficient", "coefficient k")):
            r = iv.loc[name]
            lines.append(f"{label:<16}{r.estimate:>14.6g}{r.lower:>14.6g}{r.upper:>14.6g}{r.se:>12.4g}")
        # k and a are strongly correlated (k is the frontier at C = 1 FLOP); the frontier at the
        # geometric centre of the fitted budgets is the well-determined number.
        c_ref = float(np.exp(np.log(used["C"].to_numpy()).mean()))
        o = self.optimal([c_ref], level).iloc[0]
        band = f" [{o[f'{s}_opt_lower']:.4g}, {o[f'{s}_opt_upper']:.4g}]" if self.n_bootstrap else ""
        lines.append(f"{s}_opt at C = {c_ref:.3g} (geometric centre of the fitted budgets): {o[f'{s}_opt']:.4g}{band}")
        excl = [f"{100 * v:.1f}%" if np.isfinite(v) else "" for v in p["boot_excluded"]]
        table = pd.DataFrame({
            "C": p["C"].to_numpy(), "runs": p["n_points"].to_numpy(),
            f"{s}_opt": p["size_opt"].to_numpy(), "lower": p["size_opt_lower"].to_numpy(),
            "upper": p["size_opt_upper"].to_numpy(), f"{self.y}_opt": p["loss_opt"].to_numpy(),
            "curv.": p["curvature"].to_numpy(), "excl.": excl,
            "flag": [r.reason if r.flagged else "" for r in p.itertuples(index=False)],
        }, index=pd.Index([budget_label(b) for b in p["budget"]], name="budget"))
        footer = [f"curv.: coefficient of (ln {s})^2 in the parabola; excl.: share of bootstrap replicates whose "
                  "resample left the budget out"]
        notes = []
        for r in p.itertuples(index=False):
            if r.flagged:
                what = "dropped" if r.n_points < self.min_points else "flagged"
                action = "kept in the frontier" if r.in_frontier else "left out of the frontier"
                notes.append(f"budget {budget_label(r.budget)}: {what}, {r.reason}; {action}")
        if notes:
            footer.append("notes:")
            footer += [f"  {n}" for n in notes]
        title = lines.pop(0)
        return Summary(title, table, notes=lines, footer=footer, level=level,
                       formats={"C": ".4g", f"{s}_opt": ".4g", "lower": ".4g", "upper": ".4g",
                                f"{self.y}_opt": ".4f", "curv.": ".4f"})

    def __repr__(self):
        return (f"<IsoflopResult {self.size}_opt = {self.coefficient:.4g} * C^{self.exponent:.4f}; "
                f"{int(self.profiles['in_frontier'].sum())} budgets, {self.n_bootstrap} replicates>")


# --------------------------------------------------------------------------------------------
# The entry point


def isoflop(df, budget: str = "budget", size: str = "N", y: str = "loss", *, compute=None,
            n_bootstrap: int = 1000, seed: int = 0, level: float = DEFAULT_LEVEL, min_points: int = 3, weights=None,
            exclude_flagged: bool = True) -> IsoflopResult:
    """IsoFLOP profiles (Hoffmann et al. 2022, Approach 2) with a bootstrap over runs within budgets.

    Args:
        df: DataFrame (or mapping of columns), one row per training run.
        budget: column whose distinct values label the isoFLOP groups (a nominal budget, e.g. the
            Marin loaders' ``budget``; not each run's actual compute, which differs run to run).
        size: the size column fitted per budget (``"N"`` parameters or ``"D"`` tokens); > 0.
        y: the loss (or other target) column; finite.
        compute: the compute C of each budget on the frontier's x axis. None: the budget labels
            themselves (numeric, > 0). A column name: the geometric mean of that column over each
            budget's runs. A mapping: budget label -> C.
        n_bootstrap: replicates (0 for none: no bands).
        seed: seed of ``numpy.random.default_rng``; the same seed gives the same replicates.
        level: default band level of :meth:`IsoflopResult.interval` and ``optimal``.
        min_points: fewest runs a budget needs (at least 3); smaller budgets are dropped and reported.
        weights: per-run weights for the parabola fits: a column name or an array; finite, >= 0.
            A weight of 0 drops the run.
        exclude_flagged: leave budgets whose minimum lies outside their sampled sizes out of the
            frontier (default True). Budgets without a minimum are always left out.

    Returns:
        :class:`IsoflopResult`.
    """
    t0 = time.perf_counter()
    table = as_table(df)
    if len(table) == 0:
        raise InputError("the table is empty")
    for arg, col in (("budget", budget), ("size", size), ("y", y)):
        if not isinstance(col, str):
            raise InputError(f"{arg} must be a column name, got {col!r}")
    missing = [c for c in (budget, size, y) if c not in table.columns]
    if missing:
        raise InputError(
            f"missing column(s) {missing} for isoflop (budget={budget!r}, size={size!r}, y={y!r}); "
            f"the table has columns {list(table.columns)}",
            column=missing[0],
        )
    if len({budget, size, y}) < 3:
        raise InputError(f"budget, size and y must be three different columns; got budget={budget!r}, "
                         f"size={size!r}, y={y!r}")
    if isinstance(n_bootstrap, bool) or int(n_bootstrap) != n_bootstrap or n_bootstrap < 0:
        raise ValueError(f"n_bootstrap must be a whole number >= 0, got {n_bootstrap!r}")
    n_bootstrap = int(n_bootstrap)
    if isinstance(min_points, bool) or int(min_points) != min_points or min_points < 3:
        raise ValueError(f"min_points must be a whole number >= 3 (a parabola has 3 coefficients), got {min_points!r}")
    min_points = int(min_points)
    level = check_level(level)

    index = table.index
    sv = numeric_column(table, size)
    check_finite_column(sv, size, index)
    check_positive_column(sv, size, index, "isoFLOP profiles are parabolas in ln size")
    yv = numeric_column(table, y)
    check_finite_column(yv, y, index)
    w = weights_column(table, weights, index)
    labels, _ = _budget_labels(table, budget, compute)
    _check_groupable(labels, budget, table.columns, min_points)

    codes, uniques = pd.factorize(pd.Series(labels), sort=True)
    uniques = np.asarray(uniques)
    C_all = _group_compute(table, uniques, codes, compute, budget, None)
    order = np.argsort(C_all, kind="stable")  # budgets by compute
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    gidx = rank[codes]
    labels_sorted, C_g = uniques[order], C_all[order]
    G = len(labels_sorted)

    keep = w > 0  # a zero weight drops the run
    n_g = np.bincount(gidx[keep], minlength=G)
    enough = n_g >= min_points
    fitted = np.flatnonzero(enough)

    # Padded [B, M] layout of the budgets with enough runs.
    B = len(fitted)
    rows = [np.flatnonzero(keep & (gidx == g)) for g in fitted]
    M = max((len(r) for r in rows), default=1)
    logS = np.log(sv)
    u = np.zeros((B, M))
    yy = np.zeros((B, M))
    w0 = np.zeros((B, M))
    uid = np.zeros((B, M), dtype=np.int64)
    center, scale = np.zeros(B), np.ones(B)
    n_unique = 1
    for j, r in enumerate(rows):
        x = logS[r]
        center[j] = 0.5 * (x.min() + x.max())
        half = 0.5 * (x.max() - x.min())
        scale[j] = half if half > 0 else 1.0
        k = len(r)
        u[j, :k] = (x - center[j]) / scale[j]
        yy[j, :k] = yv[r]
        w0[j, :k] = w[r]
        _, inv = np.unique(x, return_inverse=True)
        uid[j, :k] = inv
        n_unique = max(n_unique, int(inv.max()) + 1)

    # Point fit: every parabola on all runs.
    b, ok = _parabolas(u, yy, uid, n_unique, w0[None])
    ustar, usable, code = _classify(b, ok, exclude_outside=exclude_flagged)
    b, ok, ustar, usable, code = b[0], ok[0], ustar[0], usable[0], code[0]
    _, _, flagged_code = _classify(b[None], ok[None], exclude_outside=True)
    flagged_code = flagged_code[0]
    logC = np.log(C_g)

    reason = np.array([""] * G, dtype=object)
    flagged = np.zeros(G, bool)
    in_frontier = np.zeros(G, bool)
    size_opt = np.full(G, np.nan)
    loss_opt = np.full(G, np.nan)
    curvature = np.full(G, np.nan)
    coefs: list = [None] * G
    for g in np.flatnonzero(~enough):
        flagged[g] = True
        reason[g] = f"too few runs ({n_g[g]} < min_points {min_points})"
    for j, g in enumerate(fitted):
        smin, smax = np.exp(logS[rows[j]].min()), np.exp(logS[rows[j]].max())
        if ok[j]:
            coefs[g] = b[j]
            curvature[g] = b[j, 2] / scale[j] ** 2  # coefficient of (ln size)^2
        if ok[j] and b[j, 2] > 0:
            size_opt[g] = math.exp(center[j] + scale[j] * ustar[j])
            loss_opt[g] = b[j, 0] - b[j, 1] ** 2 / (4.0 * b[j, 2])
        c = int(flagged_code[j])
        if c:
            flagged[g] = True
            reason[g] = _REASONS[c]
            if c == 3:
                reason[g] = f"minimum {size_opt[g]:.4g} outside the sampled sizes [{smin:.4g}, {smax:.4g}]"
            elif c == 2:
                reason[g] = f"no minimum: curvature {curvature[g]:.4g} <= 0"
        in_frontier[g] = bool(usable[j])

    dropped = [budget_label(labels_sorted[g]) for g in np.flatnonzero(~enough)]
    if dropped:
        warnings.warn(f"isoflop: budget(s) {', '.join(dropped)} of column {budget!r} have fewer than {min_points} "
                      f"runs and were dropped (see .profiles)", IsoflopWarning, stacklevel=2)
    used_j = np.flatnonzero(usable)  # positions within `fitted`
    used_g = fitted[used_j]
    if len(used_g) < 2 or np.ptp(logC[used_g]) <= 0:
        detail = "; ".join(f"{budget_label(labels_sorted[g])}: {reason[g] or 'usable'}" for g in range(G))
        raise InputError(
            f"the isoFLOP frontier needs at least 2 budgets (at distinct C) with a minimum inside their sampled "
            f"sizes; got {len(used_g)} ({detail})",
            column=budget,
        )
    mask0 = np.zeros((1, B), bool)
    mask0[0, used_j] = True
    logS_star = (center + scale * ustar)[None]
    slope, intercept, _, _ = _frontier(logC[fitted], logS_star, mask0)
    exponent, coefficient = float(slope[0]), float(math.exp(intercept[0]))

    # Bootstrap: stratified multinomial counts per budget, all replicates at once.
    R = n_bootstrap
    t_boot = time.perf_counter()
    size_draws = np.full((R, G), np.nan)
    boot_excl = np.full(G, np.nan)
    excl_by_reason = {}
    if R:
        rng = np.random.default_rng(seed)
        Bu = len(used_j)
        Wb = np.zeros((R, Bu, M))
        for i, j in enumerate(used_j):
            k = len(rows[j])
            counts = rng.multinomial(k, np.full(k, 1.0 / k), size=R)
            Wb[:, i, :k] = counts * w0[j, :k][None, :]
        bb, okb = _parabolas(u[used_j], yy[used_j], uid[used_j], n_unique, Wb)
        ustar_b, usable_b, code_b = _classify(bb, okb, exclude_outside=exclude_flagged)
        logS_b = center[used_j][None] + scale[used_j][None] * ustar_b
        a_b, c_b, nb, valid = _frontier(logC[used_g], logS_b, usable_b)
        size_draws[:, used_g] = np.where(usable_b, np.exp(np.where(usable_b, logS_b, 0.0)), np.nan)
        boot_excl[used_g] = 1.0 - usable_b.mean(axis=0)
        for c, name in _REASONS.items():
            hit = (code_b == c) & ~usable_b
            excl_by_reason[name] = {budget_label(labels_sorted[g]): float(hit[:, i].mean())
                                    for i, g in enumerate(used_g) if hit[:, i].any()}
        with np.errstate(over="ignore"):
            draws = pd.DataFrame({"exponent": a_b, "coefficient": np.exp(c_b), "log_coefficient": c_b,
                                  "n_budgets": nb, "valid": valid})
        excluded_fraction = float(1.0 - usable_b.mean())
        replicates_with_exclusion = float((~usable_b).any(axis=1).mean())
    else:
        valid = np.zeros(0, bool)
        draws = pd.DataFrame({"exponent": np.zeros(0), "coefficient": np.zeros(0), "log_coefficient": np.zeros(0),
                              "n_budgets": np.zeros(0, int), "valid": valid})
        excluded_fraction = 0.0
        replicates_with_exclusion = 0.0
    draws.index.name = "replicate"
    t_end = time.perf_counter()
    n_failed = int(np.sum(~valid))
    if R and n_failed:
        warnings.warn(f"isoflop: {n_failed} of {R} bootstrap replicates kept fewer than 2 budgets and have no "
                      f"frontier; they are left out of the bands (see .diagnostics)", IsoflopWarning, stacklevel=2)

    # Per-budget bands over the replicates that kept the budget (NaN for budgets outside the frontier).
    lo, hi = np.full(G, np.nan), np.full(G, np.nan)
    for g in used_g if R else ():
        kept = size_draws[:, g][np.isfinite(size_draws[:, g])]
        if kept.size:
            lo[g], hi[g] = percentile_interval(kept, level)
    s_min = np.full(G, np.nan)
    s_max = np.full(G, np.nan)
    for g in range(G):
        r = np.flatnonzero(keep & (gidx == g))
        if len(r):
            s_min[g], s_max[g] = sv[r].min(), sv[r].max()
    profiles = pd.DataFrame({
        "budget": labels_sorted,
        "C": C_g,
        "n_points": n_g,
        "size_min": s_min,
        "size_max": s_max,
        "size_opt": size_opt,
        "size_opt_lower": lo,
        "size_opt_upper": hi,
        "loss_opt": loss_opt,
        "curvature": curvature,
        "flagged": flagged,
        "reason": reason.astype(str),
        "in_frontier": in_frontier,
        "boot_excluded": boot_excl,
    })

    plot_data = {"size": [], "y": [], "coef": coefs, "center": [], "scale": []}
    pos = {g: j for j, g in enumerate(fitted)}
    for g in range(G):
        r = np.flatnonzero(keep & (gidx == g))
        plot_data["size"].append(sv[r])
        plot_data["y"].append(yv[r])
        plot_data["center"].append(center[pos[g]] if g in pos else np.nan)
        plot_data["scale"].append(scale[pos[g]] if g in pos else np.nan)

    diagnostics = {
        "n_runs": int(keep.sum()),
        "n_runs_zero_weight": int((~keep).sum()),
        "n_budgets": G,
        "n_dropped": int((~enough).sum()),
        "dropped": dropped,
        "n_flagged": int((flagged & enough).sum()),
        "flagged": {budget_label(labels_sorted[g]): reason[g] for g in range(G) if flagged[g] and enough[g]},
        "n_in_frontier": int(in_frontier.sum()),
        "n_bootstrap": R,
        "seed": seed,
        "replicates_failed": n_failed,
        "replicates_failed_fraction": float(n_failed / R) if R else 0.0,
        "excluded_fraction": excluded_fraction,
        "replicates_with_exclusion_fraction": replicates_with_exclusion,
        "excluded_by_reason": excl_by_reason,
        "time_point_s": t_boot - t0,
        "time_bootstrap_s": t_end - t_boot,
    }
    return IsoflopResult(
        size=size, budget=budget, y=y, level=level, seed=seed, n_bootstrap=R, min_points=min_points,
        exclude_flagged=exclude_flagged, compute_name=compute if isinstance(compute, str) else None,
        exponent=exponent, coefficient=coefficient, profiles=profiles, draws=draws, size_draws=size_draws,
        data=plot_data, diagnostics=diagnostics,
    )
