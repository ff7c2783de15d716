"""The joint fit of many groups with shared parameters: one problem, one solver call.

``sl.fit(df, law, by="family", shared=["alpha"])`` comes here once every group is set up and fitted
on its own (:mod:`scalinglaws.grouped`). The joint problem (:class:`~scalinglaws.laws.shared.SharedLaw`)
stacks every group's rows with the group's number as a last feature column; its bounds are each
group's own for the group's parameters and their intersection for a shared one; its starts are
the separate fits, with each shared parameter set to the median of the groups' values and then to
each group's own value (nearest the median first): where the groups agree, every start is near
the optimum; where they do not, the starts span their range. The solver's step matrix is
block-arrow (:mod:`scalinglaws.solvers.arrow`), so one step costs work linear in the number of
groups.

The answer is a :class:`~scalinglaws.fitting.Fit` per group, at that group's share of the joint
optimum: its parameters (the shared ones equal across groups), its own objective (they sum to the
joint one), the joint fit's convergence, and the bounds it ended on.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from . import solvers as _solvers
from .buckets import bucket_points, pad_rows
from .fitting import Fit, _objective_label
from .inputs import InputError
from .problem import objectives_by_group, predictions_by_group

__all__ = ["fit_shared", "JointResult", "joint_arrays", "MAX_STARTS"]

MAX_STARTS = 8
"""At most this many starts for the joint problem (it is G times larger than one group's)."""


class JointResult(NamedTuple):
    fits: list
    diagnostics: dict
    starts: np.ndarray  # [S, s + G q] the joint starts (the bootstrap's extra starts)


def joint_arrays(jlaw, problems):
    """The joint problem's padded arrays: ``F`` [n, k + 1] (the group number last), ``y``,
    weights, and the joint ``lower``, ``upper``, fixed mask and fixed values (internal units)."""
    F = np.concatenate([np.column_stack([p.F, np.full(len(p.y_fit), g, np.float64)]) for g, p in enumerate(problems)])
    y = np.concatenate([p.y_fit for p in problems])
    w = np.concatenate([p.weights for p in problems])
    n = bucket_points(len(y))
    lower, upper = jlaw.joint_bounds(np.stack([p.lower for p in problems]), np.stack([p.upper for p in problems]))
    fixed_mask = jlaw.joint_theta(np.stack([p.fixed_mask for p in problems]).astype(np.float64)) > 0.5
    fixed_values = jlaw.joint_theta(np.stack([p.fixed_values for p in problems]))
    return pad_rows(F, n), pad_rows(y, n), pad_rows(w, n, fill=0.0), lower, upper, fixed_mask, fixed_values


def _check_bounds(jlaw, lower, upper):
    for j, name in enumerate(jlaw.shared):
        if lower[j] > upper[j]:
            base = jlaw.base
            k = jlaw.shared_index[j]
            lo, hi = (np.exp([lower[j], upper[j]]) if base.transforms[k] == "log" else (lower[j], upper[j]))
            raise InputError(f"shared parameter {name!r} has no value inside every group's range: the groups' "
                             f"data bound it to [{lo:.4g}, {hi:.4g}], which is empty; share another parameter or "
                             "fit the groups separately")


def starts(jlaw, separate: np.ndarray, lower, upper, fixed_mask, fixed_values, n_starts: int) -> np.ndarray:
    """[S, s + G q] joint starts from the groups' separate optima ``separate`` [G, p_base]."""
    si = list(jlaw.shared_index)
    own = jlaw.joint_theta(separate)
    values = separate[:, si]  # [G, s]
    median = np.median(values, axis=0)
    order = np.argsort(np.sum(np.abs(values - median), axis=1), kind="stable")
    candidates = [median] + [values[g] for g in order]
    out = []
    for c in candidates:
        theta = own.copy()
        theta[: len(si)] = c
        theta = np.where(fixed_mask, fixed_values, np.clip(theta, lower, upper))
        if not any(np.array_equal(theta, t) for t in out):
            out.append(theta)
        if len(out) == n_starts:
            break
    return np.stack(out)


def fit_shared(jlaw, problems, separate_thetas, tables, n_starts: int = MAX_STARTS) -> JointResult:
    """The joint fit of ``problems`` (one per group, set up by :func:`scalinglaws.fitting.setup`)
    under ``jlaw``, started from their separate optima; a :class:`Fit` per group."""
    first = problems[0]
    F, y, w, lower, upper, fixed_mask, fixed_values = joint_arrays(jlaw, problems)
    _check_bounds(jlaw, lower, upper)
    theta0 = starts(jlaw, np.stack(separate_thetas), lower, upper, fixed_mask, fixed_values,
                    max(1, min(int(n_starts), MAX_STARTS)))
    config = first.config
    res = _solve(jlaw, first, config, F, y, w, theta0, lower, upper, fixed_mask, np.zeros(len(theta0), np.int32))
    retried = False
    if not bool(res.converged[0]) and config.retry_factor > 1:
        retry = dataclasses.replace(config, max_iter=int(config.max_iter * config.retry_factor))
        res2 = _solve(jlaw, first, retry, F, y, w, np.asarray(res.theta_starts[0]), lower, upper, fixed_mask,
                      np.full(len(theta0), _solvers.WARM, np.int32))
        if bool(res2.converged[0]) or float(res2.objective[0]) < float(res.objective[0]):
            res = res2
        retried = True
    theta = np.asarray(res.theta[0], dtype=np.float64)
    converged = bool(res.converged[0])
    thetas = jlaw.group_thetas(theta)
    g_lower, g_upper = jlaw.group_thetas(lower), jlaw.group_thetas(upper)
    f_starts = np.asarray(res.objective_starts[0], dtype=np.float64)
    best = float(res.objective[0])
    diagnostics = {
        "shared": list(jlaw.shared),
        "joint_objective": best,
        "joint_converged": converged,
        "joint_iterations": int(res.iterations[0]),
        "joint_grad_norm": float(res.grad_norm[0]),
        "joint_stop_reason": _solvers.StopReason(int(res.stop_reason[0])).label,
        "joint_starts": int(len(theta0)),
        "joint_starts_converged": int(np.sum(np.asarray(res.converged_starts[0]))),
        "joint_starts_at_best": int(np.sum(np.abs(f_starts - best) <= 1e-9 * max(abs(best), 1e-300))),
        "joint_retried": retried,
    }
    # Every group's share of the objective and its predictions, one call each (not one per group).
    values = objectives_by_group(problems, thetas)
    predictions = predictions_by_group(problems, thetas)
    fits = []
    for g, (problem, table) in enumerate(zip(problems, tables)):
        own = copy.copy(problem)
        own.lower, own.upper = g_lower[g], g_upper[g]
        value = float(values[g])
        at_lo, at_hi = _solvers.bound_hits(thetas[g], own.lower, own.upper, own.fixed_mask, config.bound_tol)
        diag = {"objective_name": f"{_objective_label(problem.objective, problem.law)} (this group's share of the "
                                  "joint objective)",
                "iterations": diagnostics["joint_iterations"], "grad_norm": diagnostics["joint_grad_norm"],
                "stop_reason": diagnostics["joint_stop_reason"], "shared": list(jlaw.shared),
                "dtype": problem.dtype.name}
        fit = Fit(own, thetas[g], value, converged, bool(np.any(at_lo | at_hi)), diag, predictions[g])
        fit._source = table
        fits.append(fit)
    return JointResult(fits, diagnostics, theta0)


def _solve(jlaw, problem, config, F, y, w, theta0, lower, upper, fixed_mask, stage0) -> _solvers.SolveResult:
    dt = problem.dtype
    res = _solvers.solve(jlaw, problem.objective, config, jnp.asarray(F, dt), jnp.asarray(y, dt),
                         jnp.asarray(w[None], dt), jnp.asarray(theta0[None], dt), jnp.asarray(lower, dt),
                         jnp.asarray(upper, dt), jnp.asarray(fixed_mask), jnp.asarray(stage0[None], jnp.int32))
    return jax.tree.map(np.asarray, jax.block_until_ready(res))
