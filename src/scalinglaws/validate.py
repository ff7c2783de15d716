"""Test a forecast before trusting it: fit on the low-compute part, score the held-out rest.

:func:`validate_extrapolation` splits a table along one column (compute, by default the law's
input), fits the law on the part below the split, bootstraps it, and scores the held-out points
above it: the point fit's error per point, and whether each held-out point falls inside the
bootstrap band (its coverage). Every law works; laws with several inputs (chinchilla's N, D) are
split on a column named by ``by`` (compute ``C`` by default).

Hold-out schemes (``holdout=``):

- ``"median"`` (default): fit on the rows whose split value is below the median; hold out the rest.
- a fraction ``f`` in (0, 1): hold out the ``round(f n)`` rows with the largest split values
  (ties at the cut are held out together).
- ``"above:VALUE"``: hold out the rows whose split value exceeds VALUE (ScaleRL fits budgets up
  to 5e4 GPU-hours and checks the rest: ``holdout="above:5e4"``).
- ``"group:COL"``: leave one group out: one fit per value of COL on every other group, scored on
  that group (model families, runs).
- a boolean array or Series, one value per row: True marks a held-out row.

Scores: ``abs_error = |prediction - y|`` and ``abs_rel_error = |prediction - y| / |y|`` (NaN
where y = 0). The relative error needs a ratio scale with a meaningful zero (losses, pass rates,
error rates); for Elo (an interval scale whose zero is an arbitrary reference player: perfect
play in the Hex data) it is not meaningful and grows without bound near 0, so read ``abs_error``
(in Elo) there. ``inside`` says whether y lies in the ``level`` bootstrap band of the prediction;
``coverage`` is the fraction of held-out points inside. The band is for the fitted curve (the
parameters' sampling uncertainty), not a prediction interval for a new noisy point, so on noisy
data coverage below ``level`` is expected even for a correct law; far below it, with errors well
beyond the noise, says the law's extrapolation is not to be trusted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import extrapolate as _extrapolate
from . import laws as _laws
from .inputs import InputError, check_level, prepare
from .intervals import DEFAULT_LEVEL
from .results import Result, Summary

__all__ = ["validate_extrapolation", "ExtrapolationValidation"]


# --------------------------------------------------------------------------------------------
# splits


def _parse_holdout(holdout, n: int):
    """-> (kind, value): ("median", None) | ("fraction", f) | ("above", v) | ("group", col) | ("mask", arr)."""
    if isinstance(holdout, str):
        text = holdout.strip()
        if text == "median":
            return "median", None
        kind, sep, rest = text.partition(":")
        if sep and kind == "group" and rest:
            return "group", rest
        if sep and kind == "above":
            try:
                return "above", float(rest)
            except ValueError:
                raise ValueError(f"holdout {holdout!r}: {rest!r} is not a number") from None
        try:
            return _parse_holdout(float(text), n)
        except ValueError:
            pass
        raise ValueError(
            f"holdout must be 'median', a fraction in (0, 1), 'above:VALUE', 'group:COLUMN' or a boolean mask; "
            f"got {holdout!r}"
        )
    if isinstance(holdout, (bool, np.bool_)):
        raise ValueError("holdout=True/False is ambiguous: pass 'median', a fraction, or a boolean mask per row")
    if isinstance(holdout, (int, float, np.integer, np.floating)):
        f = float(holdout)
        if not 0.0 < f < 1.0:
            raise ValueError(f"a holdout fraction must be in (0, 1) (the share of rows held out), got {holdout}")
        return "fraction", f
    mask = np.asarray(holdout)
    if mask.dtype != bool or mask.shape != (n,):
        raise ValueError(f"a holdout mask must be booleans, one per row ({n}); got dtype {mask.dtype}, "
                         f"shape {mask.shape}")
    return "mask", mask


def _folds(kind, value, split: np.ndarray, table: pd.DataFrame, rows: np.ndarray):
    """Yield (fold label, held-out mask over ``rows``) for the rows of one ``each`` subset."""
    s = split[rows]
    if kind == "median":
        yield "median", s >= np.median(s)
    elif kind == "fraction":
        n_hold = max(1, int(round(value * len(s))))
        cut = np.sort(s)[len(s) - n_hold] if n_hold <= len(s) else -np.inf
        yield f"top {value:g}", s >= cut
    elif kind == "above":
        yield f"above {value:g}", s > value
    elif kind == "mask":
        yield "mask", value[rows]
    else:
        labels = table[value].to_numpy()[rows]
        if pd.isna(labels).any():
            raise InputError(f"holdout column {value!r} has missing values", column=value)
        for g in pd.unique(labels):
            yield g, labels == g


# --------------------------------------------------------------------------------------------
# result


@dataclass
class ExtrapolationValidation(Result):
    """What :func:`validate_extrapolation` found.

    Attributes:
        table: one row per held-out point: ``group`` (the ``each`` value or held-out group),
            ``fold``, the split column, the law's input columns, the target, ``prediction``,
            ``lower``/``upper`` (the ``level`` bootstrap band; NaN without a bootstrap),
            ``abs_error``, ``abs_rel_error``, ``inside`` and ``oom_beyond_fit`` (orders of
            magnitude of the split column beyond the fitted rows' range, 0 inside it).
        folds: one row per fit: its group and fold, the rows fitted and held out, the fitted
            range of the split column, the parameters, convergence, ``on_bound``, the fit's RMSE
            on its own rows, and the bootstrap's failed and on-bound replicate counts.
        fits, ensembles: ``{(group, fold): Fit}`` and ``{(group, fold): Ensemble}``.
        law, x_columns, y_column, by, level, holdout: what was run.
    """

    table: pd.DataFrame
    folds: pd.DataFrame
    fits: dict
    ensembles: dict
    law: object
    x_columns: tuple
    y_column: str
    by: str
    level: float
    holdout: str
    group_column: str | None = None
    _data: pd.DataFrame | None = field(default=None, repr=False)
    _rows: dict = field(default_factory=dict, repr=False)  # (group, fold) -> (subset rows of data, rows of table)

    # ------------------------------------------------------------------ scores
    @property
    def coverage(self) -> float:
        """Fraction of held-out points inside the bootstrap band (NaN without a bootstrap)."""
        inside = self.table["inside"].dropna()
        return float(inside.astype(float).mean()) if len(inside) else float("nan")

    @property
    def median_abs_rel_error(self) -> float:
        return float(np.nanmedian(self.table["abs_rel_error"])) if self.table["abs_rel_error"].notna().any() \
            else float("nan")

    @property
    def median_abs_error(self) -> float:
        return float(np.median(self.table["abs_error"]))

    @property
    def by_group(self) -> pd.DataFrame:
        """Per group (the ``each`` values, the held-out groups of ``group:COL``, or the
        ``groups`` column; one row ``all`` otherwise): held-out points, median and maximum
        absolute (relative) error, RMSE and coverage."""
        rows = []
        for g, t in self.table.groupby("group", sort=False):
            inside = t["inside"].dropna()
            rel = t["abs_rel_error"]
            rows.append({
                "group": g,
                "n_heldout": len(t),
                "median_abs_error": float(t["abs_error"].median()),
                "max_abs_error": float(t["abs_error"].max()),
                "rmse": float(np.sqrt(np.mean(t["abs_error"] ** 2))),
                "median_abs_rel_error": float(np.nanmedian(rel)) if rel.notna().any() else float("nan"),
                "max_abs_rel_error": float(np.nanmax(rel)) if rel.notna().any() else float("nan"),
                "coverage": float(inside.astype(float).mean()) if len(inside) else float("nan"),
            })
        out = pd.DataFrame(rows).set_index("group")
        out.index.name = self.group_column or "group"
        return out

    def summary(self) -> Summary:
        """The check in a few lines (what was fitted and held out, the held-out error and the
        band's coverage) and the per-group table (:class:`~scalinglaws.results.Summary`)."""
        t, f = self.table, self.folds
        lines = [
            f"{len(f)} fit(s); {int(f['n_fit'].sum())} rows fitted, {len(t)} held out; "
            + (f"{int(f['converged'].sum())} converged, {int(f['on_bound'].sum())} on a bound"),
            f"held-out error: median |error| {self.median_abs_error:.4g}, median |relative error| "
            f"{self.median_abs_rel_error:.4g}; {100 * self.level:g}% band coverage {self.coverage:.3f}",
        ]
        title = (f"extrapolation check: {self.law.name} ({self.law.formula}), {self.y_column} against "
                 f"{', '.join(self.x_columns)}; split on {self.by!r}, holdout {self.holdout}")
        formats = {c: ".4g" for c in self.by_group.columns} | {"coverage": ".3f"}
        return Summary(title, self.by_group, notes=lines, level=self.level, formats=formats)

    def __repr__(self):
        return (f"<ExtrapolationValidation {self.law.name}: {len(self.table)} held-out points, median |rel error| "
                f"{self.median_abs_rel_error:.3g}, coverage {self.coverage:.3g}>")


# --------------------------------------------------------------------------------------------
# the check


def validate_extrapolation(
    data,
    law,
    x=None,
    y=None,
    *,
    holdout="median",
    by: str | None = None,
    each: str | None = None,
    groups: str | None = None,
    n_bootstrap: int = 500,
    level: float = DEFAULT_LEVEL,
    seed: int = 0,
    bootstrap_kw: Mapping | None = None,
    **fit_kw,
) -> ExtrapolationValidation:
    """Fit ``law`` on the low-compute part of ``data`` and score its predictions on the rest.

    Args:
        data: a DataFrame, one row per run (or per point of a frontier).
        law: a law name or :class:`~scalinglaws.laws.Law`, as for :func:`~scalinglaws.fit`.
        x, y: input column(s) and target, as for ``fit``. For a law with several inputs, a single
            column name given as ``x`` that is not one of them is taken as ``by`` (so
            ``validate_extrapolation(df, "chinchilla", x="C")`` splits chinchilla runs on compute).
        holdout: ``"median"`` (default), a fraction of rows held out, ``"above:VALUE"``,
            ``"group:COL"`` (leave one group out) or a boolean mask; see the module docstring.
        by: the column to split on; default the law's input for one-input laws, ``C`` for laws
            with several inputs.
        each: fit and score separately within each value of this column (e.g. ``boardsize``:
            each board size has its own curve); ``by_group`` then reports per value.
        groups: a column to aggregate held-out scores by in ``by_group`` (default ``each``, or
            the ``group:COL`` column).
        n_bootstrap: bootstrap replicates per fit for the band (0: no band, coverage NaN).
        level: band level (default 0.9).
        seed: bootstrap seed.
        bootstrap_kw: more arguments for ``Fit.bootstrap`` (``method``, ``n_starts`` ...).
        **fit_kw: more arguments for ``fit`` (``bounds``, ``fixed``, ``objective``, ``weights``
            as a column name ...).

    Returns:
        :class:`ExtrapolationValidation` with ``.table``, ``.by_group``, ``.coverage``,
        ``.median_abs_rel_error``, ``.median_abs_error``, ``.folds``; ``sl.plot.figure(result)`` draws it.
    """
    law = _laws.get(law)
    if not isinstance(data, pd.DataFrame):
        data = pd.DataFrame(dict(data))
    table = data.reset_index(drop=True)
    level = check_level(level)
    if int(n_bootstrap) < 0:
        raise ValueError(f"n_bootstrap must be >= 0, got {n_bootstrap}")
    if len(law.inputs) > 1 and isinstance(x, str) and x not in law.inputs:
        if by is not None and by != x:
            raise ValueError(f"law {law.name!r} takes inputs {list(law.inputs)}: give them as x=[...] and the "
                             f"split column as by=; got x={x!r} and by={by!r}")
        by, x = x, None
    weights = fit_kw.get("weights")
    if weights is not None and not isinstance(weights, str):
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (len(table),):
            raise InputError(f"weights must have one value per row ({len(table)}), got shape {w.shape}")
        table = table.assign(_validate_weight=w)
        fit_kw = {**fit_kw, "weights": "_validate_weight"}
    prepared = prepare(table, law, x, y, fit_kw.get("weights"),
                       check_columns=fit_kw.get("check_columns", True))  # every row valid, or an error naming it
    x_cols, y_col = prepared.x_columns, prepared.y_column
    if by is None:
        if len(law.inputs) == 1:
            by = x_cols[0]
        elif "C" in table.columns:
            by = "C"
        else:
            raise InputError(f"law {law.name!r} has inputs {list(x_cols)}: name the column to split on with by= "
                             f"(compute, e.g. C = 6 N D)")
    if by not in table.columns:
        raise InputError(f"split column {by!r} is not in the table (columns {list(table.columns)})", column=by)
    split = pd.to_numeric(table[by], errors="coerce").to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(split)):
        pos = int(np.flatnonzero(~np.isfinite(split))[0])
        raise InputError(f"split column {by!r} must be numeric and finite; row {pos} holds {table[by].iloc[pos]!r}",
                         column=by, row=pos)
    kind, value = _parse_holdout(holdout, len(table))
    if kind == "group" and value not in table.columns:
        raise InputError(f"holdout group column {value!r} is not in the table (columns {list(table.columns)})",
                         column=value)
    for col in (each, groups):
        if col is not None and col not in table.columns:
            raise InputError(f"column {col!r} is not in the table (columns {list(table.columns)})", column=col)
    label = {"median": "median", "fraction": f"{value}", "above": f"above:{value:g}" if kind == "above" else "",
             "group": f"group:{value}", "mask": "mask"}[kind]
    group_col = each or groups or (value if kind == "group" else None)

    if each is None:
        subsets = [("all", np.arange(len(table)))]
    else:
        labels = table[each].to_numpy()
        subsets = [(g, np.flatnonzero(labels == g)) for g in pd.unique(labels)]

    fits, ensembles, rows, fold_rows, where_rows = {}, {}, [], [], {}
    n_rows = 0
    bkw = dict(bootstrap_kw or {})
    for sub_label, idx in subsets:
        for fold, held_local in _folds(kind, value, split, table, idx):
            held_idx, train_idx = idx[held_local], idx[~held_local]
            where = f"{each} = {sub_label}, " if each is not None else ""
            if len(held_idx) == 0:
                raise InputError(f"{where}holdout {label}: no row is held out (split column {by!r} ranges "
                                 f"{split[idx].min():.4g} to {split[idx].max():.4g})")
            if len(train_idx) == 0:
                raise InputError(f"{where}holdout {label}, fold {fold!r}: no row is left to fit")
            train, held = table.iloc[train_idx], table.iloc[held_idx]
            try:
                fit = _fit(train, law, x, y, fit_kw)
            except InputError as err:
                raise InputError(f"{where}fold {fold!r}: {err}") from None
            key = (sub_label, fold)
            fits[key] = fit
            where_rows[key] = (idx, np.arange(n_rows, n_rows + len(held_idx)))
            n_rows += len(held_idx)
            inputs = {c: held[c].to_numpy(dtype=np.float64) for c in fit.x_columns}
            pred = np.asarray(fit.predict(**inputs), dtype=np.float64).reshape(-1)
            lower = upper = np.full(len(held), np.nan)
            ens = None
            if n_bootstrap:
                ens = fit.bootstrap(int(n_bootstrap), seed=seed, **bkw)
                ensembles[key] = ens
                if ens.valid.any():
                    band = ens.predict(level=level, **inputs)
                    lower, upper = band["lower"].to_numpy(), band["upper"].to_numpy()
                # else: no replicate converged; the band stays NaN and the fold row says why
            yv = held[y_col].to_numpy(dtype=np.float64)
            err = np.abs(pred - yv)
            with np.errstate(divide="ignore", invalid="ignore"):
                rel = np.where(yv != 0, err / np.abs(yv), np.nan)
                tr = split[train_idx]
                beyond = _extrapolate.extrapolation_oom({by: (tr.min(), tr.max())}, {by: split[held_idx]}) \
                    if np.all(tr > 0) and np.all(split[held_idx] > 0) else np.full(len(held), np.nan)
            inside = pd.array(np.where(np.isnan(lower) | np.isnan(upper), None, (yv >= lower) & (yv <= upper)),
                              dtype="boolean")
            part = pd.DataFrame({"group": sub_label, "fold": fold}, index=held.index)
            if each is None and groups is not None:
                part["group"] = held[groups].to_numpy()
            elif each is None and kind == "group":
                part["group"] = fold
            for c in dict.fromkeys((by, *fit.x_columns)):
                part[c] = held[c].to_numpy()
            part[y_col] = yv
            part["prediction"], part["lower"], part["upper"] = pred, lower, upper
            part["abs_error"], part["abs_rel_error"] = err, rel
            part["inside"] = inside
            part["oom_beyond_fit"] = beyond
            rows.append(part)
            d = ens.diagnostics if ens is not None else {}
            fold_rows.append({
                "group": fold if (each is None and kind == "group") else sub_label, "fold": fold,
                "n_fit": len(train_idx), "n_heldout": len(held_idx),
                f"{by}_fit_min": float(split[train_idx].min()), f"{by}_fit_max": float(split[train_idx].max()),
                **fit.params, "converged": fit.converged, "on_bound": fit.on_bound,
                "rmse_fit": fit.diagnostics.get("rmse", float("nan")),
                "replicates_failed": d.get("failed_to_converge", np.nan),
                "replicates_on_bound": d.get("on_bound", np.nan),
            })
    result_table = pd.concat(rows).reset_index(drop=True)
    if group_col is None:
        result_table["group"] = "all"
    return ExtrapolationValidation(
        table=result_table, folds=pd.DataFrame(fold_rows), fits=fits, ensembles=ensembles, law=law,
        x_columns=tuple(x_cols), y_column=y_col, by=by, level=float(level), holdout=label,
        group_column=group_col, _data=table, _rows=where_rows,
    )


def _fit(train, law, x, y, fit_kw):
    from .fitting import fit

    return fit(train, law, x=x, y=y, **fit_kw)
