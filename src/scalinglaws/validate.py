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
from typing import NamedTuple

import numpy as np
import pandas as pd

from . import extrapolate as _extrapolate
from . import laws as _laws
from . import serialize
from .inputs import InputError, check_int, check_level, check_seed, prepare, renamed_arguments, split_column
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
        data: the table that was split (its rows renumbered from 0).
        fold_rows: ``{(group, fold): (rows of data in the fold's subset, rows of table held out)}``;
            :meth:`subset` and :meth:`heldout` read them.
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
    data: pd.DataFrame | None = field(default=None, repr=False)
    fold_rows: dict = field(default_factory=dict, repr=False)

    def subset(self, key) -> pd.DataFrame:
        """The rows of :attr:`data` in fold ``key``'s subset (its ``each`` value), fitted and held out."""
        return self.data.iloc[self.fold_rows[key][0]]

    def heldout(self, key) -> pd.DataFrame:
        """The rows of :attr:`table` (held-out points with their scores) of fold ``key``."""
        return self.table.iloc[self.fold_rows[key][1]]

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
        ``score_by`` column; one row ``all`` otherwise): held-out points, median and maximum
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

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict:
        """A JSON record: the tables, every fold's fit (with its data) and ensemble, and what was run."""
        folds = []
        for key, fit in self.fits.items():
            ens = self.ensembles.get(key)
            sub, held = self.fold_rows.get(key, ([], []))
            folds.append({"group": key[0], "fold": key[1], "fit": fit.to_dict(include_data=True),
                          "ensemble": None if ens is None else ens.to_dict(include_fit=False),
                          "subset_rows": np.asarray(sub).tolist(), "table_rows": np.asarray(held).tolist()})
        return {**serialize.header("scalinglaws.ExtrapolationValidation"), "law": self.law.name,
                "x_columns": list(self.x_columns), "y_column": self.y_column, "by": self.by, "level": self.level,
                "holdout": self.holdout, "group_column": self.group_column,
                "table": serialize.frame_record(self.table), "folds_table": serialize.frame_record(self.folds),
                "data": None if self.data is None else serialize.frame_record(self.data), "fold_records": folds}

    @classmethod
    def from_dict(cls, d: dict) -> ExtrapolationValidation:
        """The check a :meth:`to_dict` record describes (its fits and ensembles rebuilt)."""
        from .ensemble import Ensemble
        from .fitting import Fit

        fits, ensembles, rows = {}, {}, {}
        for f in d["fold_records"]:
            key = (f["group"], f["fold"])
            fits[key] = Fit.from_dict(f["fit"])
            if f["ensemble"] is not None:
                ensembles[key] = Ensemble.from_dict({**f["ensemble"], "fit": f["fit"]}, fits[key])
            rows[key] = (np.asarray(f["subset_rows"], dtype=np.int64), np.asarray(f["table_rows"], dtype=np.int64))
        law = next(iter(fits.values())).law if fits else _laws.get(d["law"])
        return cls(table=serialize.frame_from_record(d["table"]), folds=serialize.frame_from_record(d["folds_table"]),
                   fits=fits, ensembles=ensembles, law=law, x_columns=tuple(d["x_columns"]), y_column=d["y_column"],
                   by=d["by"], level=d["level"], holdout=d["holdout"], group_column=d["group_column"],
                   data=None if d["data"] is None else serialize.frame_from_record(d["data"]), fold_rows=rows)

    def __repr__(self):
        return (f"<ExtrapolationValidation {self.law.name}: {len(self.table)} held-out points, median |rel error| "
                f"{self.median_abs_rel_error:.3g}, coverage {self.coverage:.3g}>")


# --------------------------------------------------------------------------------------------
# the check


@renamed_arguments(groups="score_by")
def validate_extrapolation(
    data,
    law,
    x=None,
    y=None,
    *,
    holdout="median",
    by: str | None = None,
    each: str | None = None,
    score_by: str | None = None,
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
        score_by: a column to aggregate held-out scores by in ``by_group`` (default ``each``,
            or the ``group:COL`` column); ``groups`` is its old name.
        n_bootstrap: bootstrap replicates per fit for the band (0: no band, coverage NaN).
        level: band level (default 0.9).
        seed: bootstrap seed.
        bootstrap_kw: more arguments for ``Fit.bootstrap`` (``resampling``, ``n_starts`` ...).
        **fit_kw: more arguments for ``fit`` (``bounds``, ``fixed``, ``objective``, ``weights``
            as a column name ...).

    Returns:
        :class:`ExtrapolationValidation` with ``.table``, ``.by_group``, ``.coverage``,
        ``.median_abs_rel_error``, ``.median_abs_error``, ``.folds``; ``sl.plot.figure(result)`` draws it.
    """
    law = _laws.get(law)
    level = check_level(level)
    n_bootstrap = check_int(n_bootstrap, "n_bootstrap", 0)
    seed = check_seed(seed)
    table, x, split_on, fit_kw = _resolve(data, law, x, y, by, fit_kw)
    x_cols, y_col, by, split = split_on
    kind, value = _parse_holdout(holdout, len(table))
    if kind == "group" and value not in table.columns:
        raise InputError(f"holdout group column {value!r} is not in the table (columns {list(table.columns)})",
                         column=value)
    for col in (each, score_by):
        if col is not None and col not in table.columns:
            raise InputError(f"column {col!r} is not in the table (columns {list(table.columns)})", column=col)
    label = {"median": "median", "fraction": f"{value}", "above": f"above:{value:g}" if kind == "above" else "",
             "group": f"group:{value}", "mask": "mask"}[kind]
    group_col = each or score_by or (value if kind == "group" else None)
    if each is None:
        subsets = [("all", np.arange(len(table)))]
    else:
        labels = table[each].to_numpy()
        subsets = [(g, np.flatnonzero(labels == g)) for g in pd.unique(labels)]

    fold = _FoldSpec(table, law, x, y, fit_kw, by, split, y_col, int(n_bootstrap), seed, level,
                     dict(bootstrap_kw or {}), each, score_by, kind)
    fits, ensembles, parts, fold_records, fold_rows = {}, {}, [], [], {}
    n_rows = 0
    for sub_label, idx in subsets:
        for fold_label, held_local in _folds(kind, value, split, table, idx):
            held_idx, train_idx = idx[held_local], idx[~held_local]
            where = f"{each} = {sub_label}, " if each is not None else ""
            if len(held_idx) == 0:
                raise InputError(f"{where}holdout {label}: no row is held out (split column {by!r} ranges "
                                 f"{split[idx].min():.4g} to {split[idx].max():.4g})")
            if len(train_idx) == 0:
                raise InputError(f"{where}holdout {label}, fold {fold_label!r}: no row is left to fit")
            try:
                fit, ens, part, record = _score_fold(fold, sub_label, fold_label, train_idx, held_idx)
            except InputError as err:
                raise InputError(f"{where}fold {fold_label!r}: {err}") from None
            key = (sub_label, fold_label)
            fits[key] = fit
            if ens is not None:
                ensembles[key] = ens
            fold_rows[key] = (idx, np.arange(n_rows, n_rows + len(held_idx)))
            n_rows += len(held_idx)
            parts.append(part)
            fold_records.append(record)
    result_table = pd.concat(parts).reset_index(drop=True)
    if group_col is None:
        result_table["group"] = "all"
    return ExtrapolationValidation(
        table=result_table, folds=pd.DataFrame(fold_records), fits=fits, ensembles=ensembles, law=law,
        x_columns=tuple(x_cols), y_column=y_col, by=by, level=float(level), holdout=label,
        group_column=group_col, data=table, fold_rows=fold_rows,
    )


def _resolve(data, law, x, y, by, fit_kw):
    """The table (rows renumbered, array weights as a column), ``x`` for the fits (None when the
    column given was the split column), and what the table is split on:
    ``(x columns, y column, split column, split values)``; every row checked, or an error naming it."""
    if not isinstance(data, pd.DataFrame):
        data = pd.DataFrame(dict(data))
    table = data.reset_index(drop=True)
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
    prepared = prepare(table, law, x, y, fit_kw.get("weights"), check_columns=fit_kw.get("check_columns", True))
    x_cols, y_col = prepared.x_columns, prepared.y_column
    if by is None:
        if len(law.inputs) == 1:
            by = x_cols[0]
        elif "C" in table.columns:
            by = "C"
        else:
            raise InputError(f"law {law.name!r} has inputs {list(x_cols)}: name the column to split on with by= "
                             f"(compute, e.g. C = 6 N D)")
    return table, x, (x_cols, y_col, by, split_column(table, by)), fit_kw


class _FoldSpec(NamedTuple):
    """What every fold of one check shares."""

    table: pd.DataFrame
    law: object
    x: object
    y: object
    fit_kw: dict
    by: str
    split: np.ndarray
    y_col: str
    n_bootstrap: int
    seed: int
    level: float
    bootstrap_kw: dict
    each: str | None
    score_by: str | None
    kind: str


def _score_fold(spec: _FoldSpec, sub_label, fold, train_idx, held_idx):
    """Fit one fold, bootstrap it and score its held-out rows: ``(fit, ensemble or None, the
    held-out rows' scores, the fold's row of ``folds``)``."""
    from .fitting import fit as fit_law

    table, by, split = spec.table, spec.by, spec.split
    held = table.iloc[held_idx]
    fit = fit_law(table.iloc[train_idx], spec.law, x=spec.x, y=spec.y, **spec.fit_kw)
    inputs = {c: held[c].to_numpy(dtype=np.float64) for c in fit.x_columns}
    pred = np.asarray(fit.predict(**inputs), dtype=np.float64).reshape(-1)
    lower = upper = np.full(len(held), np.nan)
    ens = None
    if spec.n_bootstrap:
        ens = fit.bootstrap(spec.n_bootstrap, seed=spec.seed, **spec.bootstrap_kw)
        if ens.valid.any():
            band = ens.predict(level=spec.level, **inputs)
            lower, upper = band["lower"].to_numpy(), band["upper"].to_numpy()
        # else: no replicate converged; the band stays NaN and the fold row says why
    yv = held[spec.y_col].to_numpy(dtype=np.float64)
    err = np.abs(pred - yv)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(yv != 0, err / np.abs(yv), np.nan)
        tr = split[train_idx]
        beyond = _extrapolate.extrapolation_oom({by: (tr.min(), tr.max())}, {by: split[held_idx]}) \
            if np.all(tr > 0) and np.all(split[held_idx] > 0) else np.full(len(held), np.nan)
    inside = pd.array(np.where(np.isnan(lower) | np.isnan(upper), None, (yv >= lower) & (yv <= upper)),
                      dtype="boolean")
    part = pd.DataFrame({"group": sub_label, "fold": fold}, index=held.index)
    if spec.each is None and spec.score_by is not None:
        part["group"] = held[spec.score_by].to_numpy()
    elif spec.each is None and spec.kind == "group":
        part["group"] = fold
    for c in dict.fromkeys((by, *fit.x_columns)):
        part[c] = held[c].to_numpy()
    part[spec.y_col] = yv
    part["prediction"], part["lower"], part["upper"] = pred, lower, upper
    part["abs_error"], part["abs_rel_error"] = err, rel
    part["inside"] = inside
    part["oom_beyond_fit"] = beyond
    d = ens.diagnostics if ens is not None else {}
    record = {
        "group": fold if (spec.each is None and spec.kind == "group") else sub_label, "fold": fold,
        "n_fit": len(train_idx), "n_heldout": len(held_idx),
        f"{by}_fit_min": float(split[train_idx].min()), f"{by}_fit_max": float(split[train_idx].max()),
        **fit.params, "converged": fit.converged, "on_bound": fit.on_bound,
        "rmse_fit": fit.diagnostics.get("rmse", float("nan")),
        "replicates_failed": d.get("failed_to_converge", np.nan),
        "replicates_on_bound": d.get("on_bound", np.nan),
    }
    return fit, ens, part, record
