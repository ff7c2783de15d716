"""IsoFLOP profiles from a table of runs (:func:`isoflop`): a parabola per budget, the frontier
through their vertices, and the bootstrap over runs within budgets, as one pipeline of steps:
check the arguments, group the runs into budgets, fit the point profiles, draw the bootstrap,
and tabulate."""

from __future__ import annotations

import math
import time
import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..inputs import (
    InputError, as_table, check_finite_column, check_level, check_positive_column, check_seed, numeric_column,
    weights_column,
)
from ..intervals import DEFAULT_LEVEL, percentile_interval
from .budgets import Budgets, Layout, budget_label, group_budgets, layout
from .parabolas import REASONS, classify, frontier, parabolas
from .result import IsoflopResult, IsoflopWarning

__all__ = ["isoflop"]


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
    n_bootstrap, min_points, level = _check_arguments(table, budget, size, y, n_bootstrap, min_points, level)
    seed = check_seed(seed)
    index = table.index
    sv = numeric_column(table, size)
    check_finite_column(sv, size, index)
    check_positive_column(sv, size, index, "isoFLOP profiles are parabolas in ln size")
    yv = numeric_column(table, y)
    check_finite_column(yv, y, index)
    w = weights_column(table, weights, index)
    budgets = group_budgets(table, budget, compute, w, min_points)
    lay = layout(budgets, np.log(sv), yv, w)

    point = _point_profiles(budgets, lay, np.log(sv), exclude_flagged, min_points)
    dropped = [budget_label(budgets.labels[g]) for g in np.flatnonzero(~budgets.enough)]
    if dropped:
        warnings.warn(f"isoflop: budget(s) {', '.join(dropped)} of column {budget!r} have fewer than {min_points} "
                      f"runs and were dropped (see .profiles)", IsoflopWarning, stacklevel=2)
    logC = np.log(budgets.C)
    used_j = np.flatnonzero(point.usable)  # positions within lay.fitted
    used_g = lay.fitted[used_j]
    if len(used_g) < 2 or np.ptp(logC[used_g]) <= 0:
        detail = "; ".join(f"{budget_label(lab)}: {point.reason[g] or 'usable'}" for g, lab in enumerate(budgets.labels))
        raise InputError(
            f"the isoFLOP frontier needs at least 2 budgets (at distinct C) with a minimum inside their sampled "
            f"sizes; got {len(used_g)} ({detail})",
            column=budget,
        )
    mask0 = np.zeros((1, len(lay.fitted)), bool)
    mask0[0, used_j] = True
    slope, intercept, _, _ = frontier(logC[lay.fitted], (lay.center + lay.scale * point.ustar)[None], mask0)

    t_boot = time.perf_counter()
    boot = _bootstrap(lay, used_j, used_g, logC, budgets.labels, n_bootstrap, seed, exclude_flagged)
    t_end = time.perf_counter()
    n_failed = int(np.sum(~boot.valid))
    if n_bootstrap and n_failed:
        warnings.warn(f"isoflop: {n_failed} of {n_bootstrap} bootstrap replicates kept fewer than 2 budgets and "
                      f"have no frontier; they are left out of the bands (see .diagnostics)", IsoflopWarning,
                      stacklevel=2)

    G = len(budgets.labels)
    diagnostics = {
        "n_runs": int(budgets.keep.sum()),
        "n_runs_zero_weight": int((~budgets.keep).sum()),
        "n_budgets": G,
        "n_dropped": int((~budgets.enough).sum()),
        "dropped": dropped,
        "n_flagged": int((point.flagged & budgets.enough).sum()),
        "flagged": {budget_label(budgets.labels[g]): point.reason[g] for g in range(G)
                    if point.flagged[g] and budgets.enough[g]},
        "n_in_frontier": int(point.in_frontier.sum()),
        "n_bootstrap": n_bootstrap,
        "seed": seed,
        "replicates_failed": n_failed,
        "replicates_failed_fraction": float(n_failed / n_bootstrap) if n_bootstrap else 0.0,
        "excluded_fraction": boot.excluded_fraction,
        "replicates_with_exclusion_fraction": boot.replicates_with_exclusion,
        "excluded_by_reason": boot.excluded_by_reason,
        "time_point_s": t_boot - t0,
        "time_bootstrap_s": t_end - t_boot,
    }
    return IsoflopResult(
        size=size, budget=budget, y=y, level=level, seed=seed, n_bootstrap=n_bootstrap, min_points=min_points,
        exclude_flagged=exclude_flagged, compute_name=compute if isinstance(compute, str) else None,
        exponent=float(slope[0]), coefficient=float(math.exp(intercept[0])),
        profiles=_profiles_table(budgets, point, boot, sv, used_g if n_bootstrap else (), level),
        draws=boot.draws, size_draws=boot.size_draws, runs=_runs_table(budgets, sv, yv),
        parabolas=_parabolas_table(budgets, lay, point), diagnostics=diagnostics,
    )


def _check_arguments(table, budget, size, y, n_bootstrap, min_points, level):
    """The argument checks that need no column values; returns the checked counts and level."""
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
    if isinstance(min_points, bool) or int(min_points) != min_points or min_points < 3:
        raise ValueError(f"min_points must be a whole number >= 3 (a parabola has 3 coefficients), got {min_points!r}")
    return int(n_bootstrap), int(min_points), check_level(level)


class _Point(NamedTuple):
    """The point profiles: per fitted budget (``b`` [B, 3], ``ok``, ``ustar``, ``usable``) and
    per budget of the G (the rest)."""

    b: np.ndarray
    ok: np.ndarray
    ustar: np.ndarray
    usable: np.ndarray
    reason: np.ndarray
    flagged: np.ndarray
    in_frontier: np.ndarray
    size_opt: np.ndarray
    loss_opt: np.ndarray
    curvature: np.ndarray


def _point_profiles(budgets: Budgets, lay: Layout, log_size, exclude_flagged: bool, min_points: int) -> _Point:
    """Every parabola on all of its budget's runs, its vertex, and why a budget is flagged."""
    b, ok = parabolas(lay.u, lay.y, lay.uid, lay.n_unique, lay.w[None])
    ustar, usable, _ = classify(b, ok, exclude_outside=exclude_flagged)
    b, ok, ustar, usable = b[0], ok[0], ustar[0], usable[0]
    _, _, flagged_code = classify(b[None], ok[None], exclude_outside=True)
    flagged_code = flagged_code[0]
    G = len(budgets.labels)
    reason = np.array([""] * G, dtype=object)
    flagged, in_frontier = np.zeros(G, bool), np.zeros(G, bool)
    size_opt, loss_opt, curvature = np.full(G, np.nan), np.full(G, np.nan), np.full(G, np.nan)
    for g in np.flatnonzero(~budgets.enough):
        flagged[g] = True
        reason[g] = f"too few runs ({budgets.n_runs[g]} < min_points {min_points})"
    for j, g in enumerate(lay.fitted):
        smin, smax = np.exp(log_size[lay.rows[j]].min()), np.exp(log_size[lay.rows[j]].max())
        if ok[j]:
            curvature[g] = b[j, 2] / lay.scale[j] ** 2  # coefficient of (ln size)^2
        if ok[j] and b[j, 2] > 0:
            size_opt[g] = math.exp(lay.center[j] + lay.scale[j] * ustar[j])
            loss_opt[g] = b[j, 0] - b[j, 1] ** 2 / (4.0 * b[j, 2])
        c = int(flagged_code[j])
        if c:
            flagged[g] = True
            reason[g] = REASONS[c]
            if c == 3:
                reason[g] = f"minimum {size_opt[g]:.4g} outside the sampled sizes [{smin:.4g}, {smax:.4g}]"
            elif c == 2:
                reason[g] = f"no minimum: curvature {curvature[g]:.4g} <= 0"
        in_frontier[g] = bool(usable[j])
    return _Point(b, ok, ustar, usable, reason, flagged, in_frontier, size_opt, loss_opt, curvature)


class _Boot(NamedTuple):
    size_draws: np.ndarray  # [R, G]
    excluded: np.ndarray  # [G] share of replicates leaving the budget out (NaN outside the frontier)
    excluded_by_reason: dict
    draws: pd.DataFrame
    valid: np.ndarray
    excluded_fraction: float
    replicates_with_exclusion: float


def _bootstrap(lay: Layout, used_j, used_g, logC, labels, R: int, seed, exclude_flagged: bool) -> _Boot:
    """Stratified multinomial counts per budget, every parabola and frontier refitted for all
    replicates at once."""
    G = len(labels)
    size_draws = np.full((R, G), np.nan)
    excluded = np.full(G, np.nan)
    if not R:
        draws = pd.DataFrame({"exponent": np.zeros(0), "coefficient": np.zeros(0), "log_coefficient": np.zeros(0),
                              "n_budgets": np.zeros(0, int), "valid": np.zeros(0, bool)})
        draws.index.name = "replicate"
        return _Boot(size_draws, excluded, {}, draws, np.zeros(0, bool), 0.0, 0.0)
    rng = np.random.default_rng(seed)
    Wb = np.zeros((R, len(used_j), lay.u.shape[1]))
    for i, j in enumerate(used_j):
        k = len(lay.rows[j])
        counts = rng.multinomial(k, np.full(k, 1.0 / k), size=R)
        Wb[:, i, :k] = counts * lay.w[j, :k][None, :]
    bb, okb = parabolas(lay.u[used_j], lay.y[used_j], lay.uid[used_j], lay.n_unique, Wb)
    ustar_b, usable_b, code_b = classify(bb, okb, exclude_outside=exclude_flagged)
    logS_b = lay.center[used_j][None] + lay.scale[used_j][None] * ustar_b
    a_b, c_b, nb, valid = frontier(logC[used_g], logS_b, usable_b)
    size_draws[:, used_g] = np.where(usable_b, np.exp(np.where(usable_b, logS_b, 0.0)), np.nan)
    excluded[used_g] = 1.0 - usable_b.mean(axis=0)
    by_reason = {}
    for c, name in REASONS.items():
        hit = (code_b == c) & ~usable_b
        by_reason[name] = {budget_label(labels[g]): float(hit[:, i].mean())
                           for i, g in enumerate(used_g) if hit[:, i].any()}
    with np.errstate(over="ignore"):
        draws = pd.DataFrame({"exponent": a_b, "coefficient": np.exp(c_b), "log_coefficient": c_b,
                              "n_budgets": nb, "valid": valid})
    draws.index.name = "replicate"
    return _Boot(size_draws, excluded, by_reason, draws, valid, float(1.0 - usable_b.mean()),
                 float((~usable_b).any(axis=1).mean()))


def _profiles_table(budgets: Budgets, point: _Point, boot: _Boot, sv, banded, level) -> pd.DataFrame:
    """One row per budget: its runs, sampled sizes, optimum with band, curvature and flags."""
    G = len(budgets.labels)
    # Per-budget bands over the replicates that kept the budget (NaN for budgets outside the frontier).
    lo, hi = np.full(G, np.nan), np.full(G, np.nan)
    for g in banded:
        kept = boot.size_draws[:, g][np.isfinite(boot.size_draws[:, g])]
        if kept.size:
            lo[g], hi[g] = percentile_interval(kept, level)
    s_min, s_max = np.full(G, np.nan), np.full(G, np.nan)
    for g in range(G):
        r = budgets.rows(g)
        if len(r):
            s_min[g], s_max[g] = sv[r].min(), sv[r].max()
    return pd.DataFrame({
        "budget": budgets.labels,
        "C": budgets.C,
        "n_points": budgets.n_runs,
        "size_min": s_min,
        "size_max": s_max,
        "size_opt": point.size_opt,
        "size_opt_lower": lo,
        "size_opt_upper": hi,
        "loss_opt": point.loss_opt,
        "curvature": point.curvature,
        "flagged": point.flagged,
        "reason": point.reason.astype(str),
        "in_frontier": point.in_frontier,
        "boot_excluded": boot.excluded,
    })


def _runs_table(budgets: Budgets, sv, yv) -> pd.DataFrame:
    """The runs with positive weight, by budget (what the profiles figure draws)."""
    rows = np.concatenate([budgets.rows(g) for g in range(len(budgets.labels))])
    return pd.DataFrame({"budget_index": budgets.index[rows], "size": sv[rows], "y": yv[rows]})


def _parabolas_table(budgets: Budgets, lay: Layout, point: _Point) -> pd.DataFrame:
    """Each budget's parabola in scaled ln size (NaN where none was fitted)."""
    G = len(budgets.labels)
    out = np.full((G, 5), np.nan)
    for j, g in enumerate(lay.fitted):
        out[g, :2] = lay.center[j], lay.scale[j]
        if point.ok[j]:
            out[g, 2:] = point.b[j]
    return pd.DataFrame(out, columns=["center", "scale", "b0", "b1", "b2"])
