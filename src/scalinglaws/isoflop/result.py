"""The result of :func:`~scalinglaws.isoflop.isoflop`: profiles, the compute-optimal frontier
``size_opt = k C^a`` and its bootstrap bands, as tables, and saved and loaded like every result."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import serialize
from ..compute import params_for, tokens_for
from ..inputs import check_level
from ..intervals import percentile_interval
from ..results import Result, Summary
from .budgets import budget_label

__all__ = ["IsoflopResult", "IsoflopWarning"]


class IsoflopWarning(UserWarning):
    """A budget was dropped (too few runs), or the bootstrap lost replicates."""


def _fmt(v: float) -> str:
    return f"{v:.4g}"


class IsoflopResult(Result):
    """IsoFLOP profiles and the compute-optimal frontier ``size_opt = k C^a``, with bootstrap bands.

    Attributes:
        exponent, coefficient: point estimates of ``a`` and ``k`` (C in the budget's units, FLOP).
        size, budget, y: the column names used.
        level: default band level for :meth:`interval` and :meth:`optimal`.
        profiles: DataFrame, one row per budget (see :meth:`_profiles_table`).
        size_draws: [replicates, budgets] each replicate's optimal size per budget (NaN where the
            budget was left out of that replicate).
        runs: DataFrame, one row per run used: ``budget_index`` (position in ``profiles``),
            ``size`` and ``y``.
        parabolas: DataFrame, one row per budget: ``center``, ``scale`` (ln size = center +
            scale u) and ``b0``, ``b1``, ``b2`` (y = b0 + b1 u + b2 u^2; NaN without a fit).
        draws: DataFrame, one row per bootstrap replicate: exponent, coefficient, log_coefficient
            (ln k), n_budgets (budgets in that replicate's frontier) and valid (False for a replicate
            left with fewer than two budgets: no frontier, NaN exponent, left out of every band).
        diagnostics: dict of counts and fractions (dropped and flagged budgets, bootstrap exclusions,
            failed replicates, timing).
    """

    def __init__(self, *, size, budget, y, level, seed, n_bootstrap, min_points, exclude_flagged, compute_name,
                 exponent, coefficient, profiles, draws, size_draws, runs, parabolas, diagnostics):
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
        self.size_draws = np.asarray(size_draws, dtype=np.float64)
        self.runs = runs
        self.parabolas = parabolas
        self.diagnostics = diagnostics

    def profile_curve(self, budget: int, size) -> np.ndarray:
        """The fitted parabola of budget ``budget`` (its position in ``profiles``) at ``size``:
        ``y = b0 + b1 u + b2 u^2`` with ``u = (ln size - center) / scale``. NaN for a budget
        without a parabola (dropped, or fewer than three distinct sizes)."""
        p = self.parabolas.iloc[int(budget)]
        u = (np.log(np.asarray(size, dtype=np.float64)) - p["center"]) / p["scale"]
        return p["b0"] + p["b1"] * u + p["b2"] * u ** 2

    def budget_runs(self, budget: int) -> pd.DataFrame:
        """The runs of budget ``budget`` (its position in ``profiles``) the profile was fitted on."""
        return self.runs[self.runs["budget_index"].to_numpy() == int(budget)]

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

    # ------------------------------------------------------------------ persistence
    _SCALARS = ("size", "budget", "y", "level", "seed", "n_bootstrap", "min_points", "exclude_flagged",
                "compute_name", "exponent", "coefficient")
    _FRAMES = ("profiles", "draws", "runs", "parabolas")

    def to_dict(self) -> dict:
        """A JSON record of everything the result holds (``scalinglaws.load`` reads it back)."""
        return {**serialize.header("scalinglaws.IsoflopResult"),
                **{k: getattr(self, k) for k in self._SCALARS},
                **{k: serialize.frame_record(getattr(self, k)) for k in self._FRAMES},
                "size_draws": serialize.array_record(self.size_draws), "diagnostics": self.diagnostics}

    @classmethod
    def from_dict(cls, d: dict) -> IsoflopResult:
        """The result a :meth:`to_dict` record describes."""
        return cls(**{k: d[k] for k in cls._SCALARS}, **{k: serialize.frame_from_record(d[k]) for k in cls._FRAMES},
                   size_draws=serialize.array_from_record(d["size_draws"]), diagnostics=d["diagnostics"])

    def __repr__(self):
        band = ""
        if self.n_bootstrap:
            r = self.interval().loc["exponent"]
            band = f" (a in [{r.lower:.4f}, {r.upper:.4f}], {100 * self.level:g}%)"
        return (f"<IsoflopResult {self.size}_opt = {self.coefficient:.4g} * C^{self.exponent:.4f}{band}; "
                f"{int(self.profiles['in_frontier'].sum())} budgets, {self.n_bootstrap} replicates>")

