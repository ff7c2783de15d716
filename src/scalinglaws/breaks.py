"""Is a curve bending off its power law? :func:`break_test` weighs the evidence that the newest
points of a loss (or error) curve leave a single power law.

Four pieces of evidence, each with its uncertainty:

1. **Extrapolation**: :func:`~scalinglaws.compare` of ``power`` against ``bnsl`` (the smoothly
   broken power law, Caballero et al. 2022) by rolling-origin cross-validation. A break the
   held-out newest points support makes ``bnsl`` extrapolate better by more than one standard
   error; a break that only fits noise does not (the one-standard-error rule then keeps
   ``power``).
2. **Where the break is**: the share of ``bnsl``'s bootstrap replicates (fit on every row) that
   put a break inside the data's range of ``x`` changing the slope by at least ``min_change``
   of the slope before it (``break_share``); a replicate with a break outside the data, or one
   too small to matter, counts against it.
3. **Its location**: the median and ``level`` band of the break ``d1`` over those replicates.
4. **What it costs**: the log-log slope of the reducible part ``y - a`` before the break (``-c0``)
   and after it (``-(c0 + c1)``), each read as the compute multiplier needed for the next 10% of
   improvement: with ``y - a`` falling as ``x^-s``, cutting it by 10% takes ``0.9^(-1/s)`` times
   the input (``s = 0.1``: 2.9x; ``s = 0.05``: 8.2x). A curve bending off its power law shows a
   larger multiplier after the break.

A loss curve that flattens because it approaches its floor is not a break: ``power`` and
``bnsl`` both have the floor ``a`` (``E``), so what the test weighs is a change of the slope of
the part above the floor.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import serialize
from .compare import LawComparison, compare
from .inputs import check_level, check_seed
from .intervals import DEFAULT_LEVEL, percentile_interval
from .results import Result, Summary

__all__ = ["break_test", "BreakTest", "multiplier_for", "IMPROVEMENT"]

IMPROVEMENT = 0.10
"""The improvement the compute multipliers are quoted for: cutting the reducible loss by 10%."""


def multiplier_for(slope, improvement: float = IMPROVEMENT):
    """The factor on ``x`` that cuts ``y - a`` by ``improvement`` where it falls as ``x^-slope``:
    ``(1 - improvement)^(-1 / slope)`` (``inf`` for a slope of 0 or less: no amount will do)."""
    s = np.asarray(slope, dtype=np.float64)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        return np.where(s > 0, (1.0 - improvement) ** (-1.0 / np.where(s > 0, s, 1.0)), np.inf)


def break_test(data, x: str = "C", y: str | None = None, *, n_bootstrap: int = 200, min_change: float = 0.1,
               level: float = DEFAULT_LEVEL, seed: int = 0, folds: int = 4, min_train: float = 0.5,
               comparison: LawComparison | None = None, **fit_kw) -> BreakTest:
    """Weigh the evidence that a curve bends off a single power law (module docstring).

    Args:
        data: a DataFrame, one row per point of the curve.
        x: the input column (compute by default; tokens for a learning curve).
        y: the target column (default ``loss``).
        n_bootstrap: replicates per fold fit and of the fit on every row (default 200).
        min_change: the smallest slope change, as a share of the slope before the break, that
            counts as a break (default 0.1).
        level, seed, folds, min_train: as :func:`~scalinglaws.compare`.
        comparison: a :func:`~scalinglaws.compare` of ``["power", "bnsl"]`` with ``n_bootstrap >
            0`` already run on these data (it is run otherwise).
        **fit_kw: more arguments for both fits.

    Returns:
        :class:`BreakTest`.
    """
    level = check_level(level)
    seed = check_seed(seed)
    if not 0.0 <= float(min_change) < 1.0:
        raise ValueError(f"min_change must be in [0, 1), got {min_change!r}")
    if comparison is None:
        comparison = compare(data, ["power", "bnsl"], x=x, y=y, folds=folds, min_train=min_train,
                             n_bootstrap=n_bootstrap, level=level, seed=seed, **fit_kw)
    if set(comparison.laws) != {"power", "bnsl"}:
        raise ValueError(f"the comparison must be of power and bnsl, got {list(comparison.laws)}")
    if "bnsl" not in comparison.ensembles:
        raise ValueError("the break test needs bnsl's bootstrap replicates: run the comparison with n_bootstrap > 0")
    ens = comparison.ensembles["bnsl"]["all"]
    fit = comparison.fits["bnsl"]
    P = ens.params.loc[ens.valid, list(fit.law.public_names)].reset_index(drop=True)
    lo, hi = fit.input_ranges()[fit.law.inputs[0]]
    change = np.abs(P["c1"]) / np.where(P["c0"] > 0, P["c0"], np.nan)
    inside = (P["d1"] >= lo) & (P["d1"] <= hi) & (change >= min_change)
    return BreakTest(comparison, P, inside.to_numpy(bool), int(np.sum(~ens.valid)), (lo, hi), float(min_change),
                     level)


class BreakTest(Result):
    """The evidence that a curve bends off a single power law (:func:`break_test`).

    Attributes:
        comparison: the :class:`~scalinglaws.compare.LawComparison` of ``power`` and ``bnsl``.
        replicates: ``bnsl``'s valid bootstrap replicates (public parameters), ``inside`` [R]
            whether each puts a break of at least ``min_change`` inside the data.
        break_share: the share of valid replicates with such a break; ``failed``: replicates
            that did not converge (left out, counted here).
        data_range: the smallest and largest ``x`` of the data.
        verdict: ``"bends"`` (``bnsl`` ranks first and most replicates break inside the data),
            ``"no evidence of a bend"`` (``power`` ranks first) or ``"inconclusive"``.
    """

    def __init__(self, comparison, replicates, inside, failed, data_range, min_change, level):
        self.comparison, self.replicates = comparison, replicates
        self.inside = np.asarray(inside, bool)
        self.failed, self.data_range = int(failed), tuple(float(v) for v in data_range)
        self.min_change, self.level = float(min_change), float(level)

    @property
    def break_share(self) -> float:
        return float(self.inside.mean()) if len(self.inside) else float("nan")

    @property
    def verdict(self) -> str:
        best = self.comparison.best
        if best == "bnsl" and self.break_share >= 0.5:
            return "bends"
        if best == "power":
            return "no evidence of a bend"
        return "inconclusive"

    def table(self) -> pd.DataFrame:
        """A row per quantity: the point fit's value (``bnsl`` on every row), the median and the
        ``level`` band over the replicates with a break inside the data."""
        fit = self.comparison.fits["bnsl"]
        p = fit.params
        R = self.replicates[self.inside]
        rows = {"break location d1": (p["d1"], R["d1"]),
                "slope before (c0)": (p["c0"], R["c0"]),
                "slope after (c0 + c1)": (p["c0"] + p["c1"], R["c0"] + R["c1"]),
                f"x multiplier for {100 * IMPROVEMENT:g}% less reducible loss, before": (
                    float(multiplier_for(p["c0"])), multiplier_for(R["c0"])),
                f"x multiplier for {100 * IMPROVEMENT:g}% less reducible loss, after": (
                    float(multiplier_for(p["c0"] + p["c1"])), multiplier_for(R["c0"] + R["c1"]))}
        out = []
        for name, (point, draws) in rows.items():
            d = np.asarray(draws, dtype=np.float64)
            if len(d):
                lo, hi = percentile_interval(d, self.level)
                med = float(np.median(d))
            else:
                lo = hi = med = np.nan
            out.append({"quantity": name, "point_fit": float(point), "median": med, "lower": float(lo),
                        "upper": float(hi)})
        return pd.DataFrame(out).set_index("quantity")

    def summary(self) -> Summary:
        r = self.comparison.ranking
        notes = [
            f"cross-validated extrapolation: power {r.loc['power', 'cv_rmse']:.4g} "
            f"[{r.loc['power', 'cv_rmse_lower']:.3g}, {r.loc['power', 'cv_rmse_upper']:.3g}], "
            f"bnsl {r.loc['bnsl', 'cv_rmse']:.4g} [{r.loc['bnsl', 'cv_rmse_lower']:.3g}, "
            f"{r.loc['bnsl', 'cv_rmse_upper']:.3g}] (held-out RMSE, {100 * self.level:g}%); ranked first: "
            f"{self.comparison.best}",
            f"{100 * self.break_share:.1f}% of {len(self.inside)} bnsl replicates put a break changing the slope by "
            f"at least {100 * self.min_change:g}% inside the data ({self.data_range[0]:.3g} to "
            f"{self.data_range[1]:.3g})",
        ]
        if self.failed:
            notes.append(f"WARNING {self.failed} bnsl replicate(s) failed to converge and are left out")
        for name in ("power", "bnsl"):
            if r.loc[name, "status"]:
                notes.append(f"WARNING {name}: {r.loc[name, 'status']}")
        return Summary("break test: does the curve bend off its power law?", self.table(), notes,
                       [f"verdict: {self.verdict}"], level=self.level)

    def to_frame(self) -> pd.DataFrame:
        out = self.table()
        out.attrs["level"] = self.level
        return out

    def __repr__(self):
        return f"<BreakTest: {self.verdict}; break share {self.break_share:.2f}>"

    def to_dict(self) -> dict:
        return {**serialize.header("scalinglaws.BreakTest"), "level": self.level, "min_change": self.min_change,
                "failed": self.failed, "data_range": list(self.data_range), "inside": self.inside.tolist(),
                "replicates": serialize.frame_record(self.replicates), "comparison": self.comparison.to_dict()}

    @classmethod
    def from_dict(cls, d: dict) -> BreakTest:
        """The test a :meth:`to_dict` record describes."""
        return cls(LawComparison.from_dict(d["comparison"]), serialize.frame_from_record(d["replicates"]),
                   d["inside"], d["failed"], d["data_range"], d["min_change"], d["level"])
