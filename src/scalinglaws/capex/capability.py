"""What a commitment buys: the training compute of each point of a
:class:`~scalinglaws.capex.CommitmentDecision` frontier carried through a fitted scaling law
(compute -> loss, and on to a score through a second law), with a band and the probability of
reaching a target (:func:`capability_bought`, :class:`CapabilityBought`).

Two uncertainties meet here: how much compute a policy buys (it varies over revenue paths for
rolling and staged commitments) and what that compute buys (the law's bootstrap replicates, or a
law-comparison forecast's pooled draws). They are independent, so the capability a point buys is
drawn by pairing each revenue path with a replicate drawn at random (seeded): ``cap_r(C_i)``. Each
replicate's curve is evaluated once on a grid of 256 compute values, log-spaced over the range
the paths need, and interpolated in log compute (the curves are smooth in log compute; the
interpolation error is far below the bands).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import extrapolate as _extrapolate
from .. import serialize
from ..chain import _second_stage_draws, _stage
from ..ensemble import Ensemble
from ..ensemble_set import EnsembleSet
from ..fitting import Fit
from ..forecast import Forecast
from ..grouped import FitSet
from ..inputs import check_level, check_seed
from ..intervals import DEFAULT_LEVEL, percentile_interval
from ..results import Result, Summary
from .decisions import CommitmentDecision

GRID = 256


def _one_model(model: Any, group: Any) -> Any:
    if isinstance(model, (EnsembleSet, FitSet)):
        keys = list(model.keys() if callable(model.keys) else model.keys)  # FitSet.keys is a property
        if group is None:
            raise ValueError(f"a grouped fit needs group=, one of {keys}")
        if group not in keys:
            raise ValueError(f"group={group!r} is not one of {keys}")
        return model[group]
    if group is not None:
        raise ValueError("group= selects one group of a grouped fit (FitSet or EnsembleSet); this model has none")
    return model


def _law_curves(fit: Fit, thetas: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """[R, G] the law at each compute of ``grid``: at the compute-optimal allocation for a law with
    one, else at its single input."""
    law = fit.law
    if law.allocation is not None and "C" not in law.inputs:
        return _extrapolate.allocation_draws(law, thetas, grid)["loss"]
    if len(law.inputs) != 1:
        raise ValueError(f"law {law.name!r} takes {list(law.inputs)} and has no compute-optimal allocation: "
                         "capability at a compute budget needs a law of compute")
    return _extrapolate.predict_draws(law, thetas, {law.inputs[0]: grid})


def capability_curves(model: Any, grid: Any, group: Any = None) -> tuple[np.ndarray, str]:
    """``([R, G] draws, name)``: the capability each replicate (or pooled forecast draw) predicts at
    each compute of ``grid`` (FLOP). ``model``: a Fit (one row), an Ensemble (its converged
    replicates), a FitSet or EnsembleSet with ``group``, or a law-comparison Forecast (its pooled
    draws across laws)."""
    grid = np.asarray(grid, dtype=np.float64).ravel()
    model = _one_model(model, group)
    if isinstance(model, Forecast):
        fits = list(model.fits.values())
        law = fits[0].law
        name = "C" if (law.allocation is not None and "C" not in law.inputs) else fits[0].x_columns[0]
        return model.draws(**{name: grid}), fits[0].y_column
    if isinstance(model, Ensemble):
        return _law_curves(model.fit, np.asarray(model.theta)[np.asarray(model.valid)], grid), model.fit.y_column
    if isinstance(model, Fit):
        return _law_curves(model, np.asarray(model.theta)[None, :], grid), model.y_column
    raise TypeError(f"model must be a Fit, Ensemble, FitSet, EnsembleSet or Forecast; got {type(model).__name__}")


@dataclass(frozen=True, repr=False)
class CapabilityBought(Result):
    """What each point of a commitment frontier buys, from :func:`capability_bought`.

    - ``table``: one row per policy at the decision's ``max_ruin``: ``prob_ruin``, training FLOP
      of the run (median and band over paths), the capability (median and ``level`` band over
      paths and replicates together), and ``p_target`` (the probability that the run reaches
      ``target``, when one is given).
    - ``frontier``: the same for every point of the frontier (policy and level of ruin).
    - ``name``: the capability (the fitted column, e.g. ``loss``); ``better``: ``"lower"`` or
      ``"higher"`` (the direction in which the curve improves with compute).
    """

    table: pd.DataFrame
    frontier: pd.DataFrame
    name: str
    better: str
    target: float | None
    run: str
    level: float
    max_ruin: float
    source: str

    def figure(self, ax=None):
        """Capability against the probability of ruin, one band per policy, the target dashed."""
        from ..plot.frontier import plot_frontier

        fig = plot_frontier(self.frontier, self.table, self.max_ruin, ax=ax, column=self.name,
                            ylabel=f"{self.name} of the {self.run} run (median)", band=True, log_y=False)
        if self.target is not None:
            (ax if ax is not None else fig.axes[0]).axhline(self.target, color="black", linewidth=1, linestyle=":",
                                                            label=f"target {self.target:g}")
        return fig

    def summary(self) -> Summary:
        title = (f"CapabilityBought: {self.name} of the {self.run} year's training run at P(ruin) <= "
                 f"{self.max_ruin:g}, {self.source}")
        notes = [f"band: {self.level:.0%} over revenue paths and the law's draws together; {self.better} is better"]
        if self.target is not None:
            notes.append(f"p_target: P({self.name} {'<=' if self.better == 'lower' else '>='} {self.target:g})")
        return Summary(title, self.table.copy(), notes=notes, level=self.level,
                       formats={c: ".4g" for c in self.table.columns})

    def __repr__(self) -> str:
        return str(self.summary())

    def to_dict(self) -> dict:
        return {**serialize.header("scalinglaws.capex.CapabilityBought"), "table": serialize.frame_record(self.table),
                "frontier": serialize.frame_record(self.frontier), "name": self.name, "better": self.better,
                "target": self.target, "run": self.run, "level": self.level, "max_ruin": self.max_ruin,
                "source": self.source}

    @classmethod
    def from_dict(cls, d: dict) -> CapabilityBought:
        return cls(table=serialize.frame_from_record(d["table"]), frontier=serialize.frame_from_record(d["frontier"]),
                   name=d["name"], better=d["better"], target=d["target"], run=d["run"], level=d["level"],
                   max_ruin=d["max_ruin"], source=d["source"])


def _interpolate(curves: np.ndarray, log_grid: np.ndarray, rows: np.ndarray, log_c: np.ndarray) -> np.ndarray:
    """Row ``rows[i]`` of ``curves`` at ``log_c[i]``, linear in log compute."""
    pos = np.clip((log_c - log_grid[0]) / (log_grid[1] - log_grid[0]), 0.0, log_grid.size - 1.0)
    lo = np.minimum(pos.astype(np.int64), log_grid.size - 2)
    w = pos - lo
    return curves[rows, lo] * (1.0 - w) + curves[rows, lo + 1] * w


def capability_bought(
    decision: CommitmentDecision,
    model: Any,
    *,
    target: float | None = None,
    then: Any = None,
    group: Any = None,
    run: str = "final",
    level: float = DEFAULT_LEVEL,
    seed: int = 0,
) -> CapabilityBought:
    """Carry every point of ``decision``'s frontier through a scaling law: what loss (or score)
    the compute buys, with its band, and the probability of reaching ``target``.

    ``model``: a :class:`~scalinglaws.fitting.Fit`, an :class:`~scalinglaws.ensemble.Ensemble`, a
    grouped fit (``FitSet`` or ``EnsembleSet``, with ``group``), or a law-comparison
    :class:`~scalinglaws.forecast.Forecast`; a law of compute, or a two-input law with a
    compute-optimal allocation (the loss at that allocation). ``then``: an optional second stage,
    a Fit or Ensemble of a one-input law of the first's output (e.g. ``error_from_loss``), as in
    :func:`scalinglaws.chain.chain`. ``run``: the compute of the final year's training run
    (``"final"``, default) or all years' together (``"total"``).

    Each revenue path is paired with a replicate drawn at random (``seed``); the band is the
    central ``level`` interval of ``cap_r(C_i)`` over the pairs, and ``p_target`` the share of pairs
    at or beyond ``target`` in the direction the curve improves. A point fit gives the spread of
    compute alone, and says so in ``source``.
    """
    if not isinstance(decision, CommitmentDecision):
        raise TypeError(f"decision must be a CommitmentDecision (optimize_commitments); got {type(decision).__name__}")
    level = check_level(level)
    seed = check_seed(seed)
    if run not in ("final", "total"):
        raise ValueError(f"run must be 'final' or 'total'; got {run!r}")
    if target is not None and (isinstance(target, bool) or not np.isfinite(target)):
        raise ValueError(f"target must be a finite number (a loss or a score); got {target!r}")
    points = list(decision.frontier[["policy", "target_ruin"]].itertuples(index=False, name=None))
    draws = {(p, t): decision.flop_draws(p, t, run) for p, t in points}
    positive = np.concatenate([d[d > 0] for d in draws.values()])
    if positive.size == 0:
        raise ValueError("no point of the frontier buys any compute (every commitment is 0)")
    log_grid = np.linspace(np.log(positive.min() / 2.0), np.log(positive.max() * 2.0), GRID)
    model = _one_model(model, group)
    curves, name = capability_curves(model, np.exp(log_grid))
    source = _describe(model, curves.shape[0])
    if then is not None:
        fit2, th2, ok2 = _stage(then)
        if len(fit2.law.inputs) != 1:
            raise ValueError(f"then: the second law must take one input; law {fit2.law.name!r} takes "
                             f"{list(fit2.law.inputs)}")
        th2 = fit2.theta[None, :] if th2 is None else th2[ok2]
        second = np.random.default_rng([seed, 1]).integers(0, len(th2), size=curves.shape[0])
        curves = _second_stage_draws(fit2.law, th2[second], curves)
        name, source = fit2.y_column, f"{source}, then {_describe(then, len(th2))}"
    finite = np.isfinite(curves)
    if not finite.any():
        raise ValueError("the law gives no finite capability over the frontier's compute")
    median_curve = np.nanmedian(np.where(finite, curves, np.nan), axis=0)
    better = "lower" if median_curve[-1] < median_curve[0] else "higher"
    rng = np.random.default_rng(seed)
    rows = []
    for policy, t in points:
        compute = draws[(policy, t)]
        pick = rng.integers(0, curves.shape[0], size=compute.size)
        buys = compute > 0
        value = np.full(compute.size, np.nan)
        value[buys] = _interpolate(curves, log_grid, pick[buys], np.log(compute[buys]))
        lo, hi = percentile_interval(value, level)
        c_lo, c_hi = percentile_interval(compute, level)
        row = {"policy": policy, "target_ruin": t, "prob_ruin": decision.frontier_row(policy, t)["prob_ruin"],
               "flop": float(np.median(compute)), "flop_lower": float(c_lo), "flop_upper": float(c_hi),
               name: float(np.nanmedian(value)), f"{name}_lower": float(lo), f"{name}_upper": float(hi)}
        if target is not None:
            reached = value <= target if better == "lower" else value >= target
            row["p_target"] = float(np.mean(reached & np.isfinite(value)))
        rows.append(row)
    frontier = pd.DataFrame(rows)
    frontier.attrs["level"] = level
    at = frontier[np.isclose(frontier["target_ruin"], decision.settings["max_ruin"])].set_index("policy")
    table = at.drop(columns="target_ruin")
    table.attrs["level"] = level
    return CapabilityBought(table=table, frontier=frontier, name=name, better=better,
                            target=None if target is None else float(target), run=run, level=level,
                            max_ruin=float(decision.settings["max_ruin"]), source=source)


def _describe(model: Any, n: int) -> str:
    if isinstance(model, Forecast):
        return f"a forecast across {len(model.fits)} laws ({n} pooled draws)"
    if isinstance(model, Ensemble):
        return f"{model.fit.law.name} ensemble ({n} converged replicates)"
    if isinstance(model, Fit):
        return f"{model.law.name} point fit (no band from the law: the spread is the compute's alone)"
    return type(model).__name__
