"""``fit()``: a validated table -> arrays -> multi-start batched solve -> a :class:`Fit`.

Multi-start: the objective is evaluated on the law's whole start grid (cheap: one vectorised
pass), and the solver runs from the ``n_starts`` best grid points (expensive per start). On the
240 Chinchilla points, every one of the 32 best of Hoffmann et al.'s 4,500 grid points converges,
and most reach the global optimum (see ``Fit.diagnostics``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from . import bootstrap as _bootstrap
from . import inference as _inference
from . import laws as _laws
from . import objectives as _objectives
from . import serialize
from . import shards as _shards
from . import solvers as _solvers
from .inputs import (InputError, check_fixed_floor, check_identifiable, check_int, check_level, check_seed,
                     check_targets, prepare, renamed_arguments)
from .ensemble import Ensemble
from .intervals import DEFAULT_LEVEL
from .problem import Problem, default_config, internal_bounds, law_fit_space
from .results import Result, Summary

__all__ = ["fit", "Fit", "NoDataError"]

def _objective_label(obj, law) -> str:
    space = "log residuals" if law.space == "log" else "residuals"
    if isinstance(obj, _objectives.Huber):
        return f"sum of Huber(delta={obj.delta:g}) on {space}"
    if isinstance(obj, _objectives.Expectile):
        return f"sum of expectile(tau={obj.tau:g}) squared {space}"
    return f"sum of squared {space}"


def fit(
    data,
    law="chinchilla",
    x=None,
    y=None,
    *,
    weights=None,
    objective=None,
    delta: float | None = None,
    n_starts: int | None = None,
    grid=None,
    fixed: Mapping[str, float] | None = None,
    bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
    config: _solvers.SolverConfig | None = None,
    check_columns: bool = True,
    dtype="float64",
    tie=None,
) -> Fit:
    """Fit a scaling law to a table.

    Args:
        data: a DataFrame with one row per run.
        law: a registered law name (``"power"``, ``"chinchilla"``, ``"loglinear"``, ``"sigmoid"``,
            ``"data_constrained"``, ...) or a :class:`~scalinglaws.laws.Law`.
        x: input column(s), default the law's input names (``N``, ``D`` for chinchilla); for
            one-input laws a single name such as ``"C"``.
        y: target column, default the law's target (``loss`` for loss laws).
        weights: per-row weights (column name or array); 0 drops a row.
        objective: ``"huber"`` (default for loss laws, on log residuals), ``"lsq"`` (default for
            bounded metrics), ``"expectile"`` or an objective instance; ``delta`` sets Huber's
            threshold (default 1e-3).
        n_starts: how many of the best grid points (by objective) the solver starts from
            (default the law's ``point_starts``: 32, 128 for the broken power laws).
        grid: start points in public units, overriding the law's grid: a mapping name -> values
            (product grid) or an array [G, p].
        fixed: parameters held at a public value, e.g. ``{"E": 1.69}``.
        bounds: public-unit ``(lower, upper)`` per parameter (``None`` for open).
        config: :class:`~scalinglaws.solvers.SolverConfig` (default the law's: every law races
            its starts but the broken power laws, see ``Law.race_starts``).
        check_columns: run the law's plausibility checks on the inputs (swapped columns).
        dtype: ``"float64"`` (default) or ``"float32"`` for the solver's arithmetic (the reported
            objective is always evaluated in float64). float32 is no faster on a CPU
            (``benchmarks/``) and resolves the optimum only to ~1e-6; it is there for GPUs.
        tie: parameters tied to others, ``{"beta": "alpha"}`` or ``{"beta": "2*alpha"}``
            (public units, ``target = scale * source + offset``; :mod:`scalinglaws.laws.tied`).
            The fit is of the tied law (``"chinchilla[beta=alpha]"``), which keeps the base law's
            closed forms; ``params`` reports the tied parameters too.

    Returns:
        :class:`Fit`.
    """
    problem, start_grid, idx = setup(data, law, x, y, weights=weights, objective=objective, delta=delta,
                                     n_starts=n_starts, grid=grid, fixed=fixed, bounds=bounds, config=config,
                                     check_columns=check_columns, dtype=dtype, tie=tie)
    res = problem.solve(problem.weights[None, :], start_grid[idx][None])
    return finish(problem, res, start_grid, idx, data)


def setup(data, law, x=None, y=None, *, weights=None, objective=None, delta=None, n_starts=None, grid=None,
          fixed=None, bounds=None, config=None, check_columns=True, dtype="float64", tie=None):
    """Everything :func:`fit` does before the solve: the validated :class:`Problem`, its start
    grid (internal units) and the indices of the ``n_starts`` best grid points. Grouped fits
    (:mod:`scalinglaws.grouped`) run the same steps per group, with the table checked once and
    every group's grid scored in one call."""
    law, obj, n_starts = resolve_law(law, tie, objective, delta, n_starts)
    prepared = prepare(data, law, x, y, weights, check_columns=check_columns)
    problem, start_grid = build_problem(prepared, law, obj, grid=grid, fixed=fixed, bounds=bounds, config=config,
                                        dtype=dtype)
    return problem, start_grid, best_starts(problem.start_values(start_grid, n_starts), start_grid, law, n_starts)


def resolve_law(law, tie, objective, delta, n_starts):
    """The (tied) law, the objective and the number of starts a fit uses (``n_starts`` checked;
    None is the law's ``point_starts``)."""
    law = _laws.tie(_laws.get(law), tie)
    obj = law.default_objective if objective is None else _objectives.get(objective, delta)
    if objective is None and delta is not None:
        if not isinstance(obj, _objectives.Huber):
            raise ValueError(f"delta applies to the Huber objective; law {law.name!r} defaults to {obj.name}")
        obj = _objectives.Huber(float(delta))
    if n_starts is None:
        n_starts = law.point_starts
    if isinstance(n_starts, bool) or not isinstance(n_starts, (int, np.integer)) or n_starts < 1:
        raise ValueError(f"n_starts must be a positive integer, got {n_starts!r}")
    return law, obj, int(n_starts)


def build_problem(prepared, law, obj, *, grid=None, fixed=None, bounds=None, config=None, dtype="float64"):
    """A validated table's :class:`Problem` (bounds from its data, identifiability checked) and
    its start grid in internal units, clipped to the bounds."""
    F_all, y_all = law.features(prepared.inputs), law_fit_space(law, prepared.y)
    used = prepared.weights > 0
    lower, upper, fixed_mask, fixed_values = internal_bounds(law, bounds, fixed, F_all[used], y_all[used])
    check_identifiable(prepared, law, int(np.sum(~fixed_mask)))
    check_fixed_floor(prepared, law, fixed or {})
    problem = Problem(law, prepared, obj, lower, upper, fixed_mask, fixed_values, default_config(law, config),
                      dtype)
    if grid is None:
        used = problem.weights > 0  # data-dependent grids look only at the rows that count
        start_grid = law.start_grid(problem.F[used], problem.y_fit[used])
    elif isinstance(grid, Mapping):
        start_grid = law.from_public(_laws.product_grid(grid, law.params))
    else:
        start_grid = law.from_public(np.asarray(grid, dtype=np.float64))
    return problem, problem.with_fixed(np.clip(start_grid, lower, upper))


def best_starts(values: np.ndarray, start_grid: np.ndarray, law, n_starts: int) -> np.ndarray:
    """Indices of the ``n_starts`` grid points with the lowest objective ``values``."""
    if not np.isfinite(values).any():
        raise InputError(
            f"the objective is not finite at any of the {len(start_grid)} start points of law {law.name!r}; "
            "pass a grid= that suits the data's scale"
        )
    return _solvers.top_k_starts(values, n_starts)


def finish(problem: Problem, res: _solvers.SolveResult, start_grid: np.ndarray, idx: np.ndarray, data) -> Fit:
    """The :class:`Fit` of one problem's solve (``res`` for that one problem), retried with more
    iterations if its best start did not converge."""
    retried = False
    if not bool(res.converged[0]) and problem.config.retry_factor > 1:
        res, retried = _retry_point_fit(problem, res), True
    result = Fit._from_solve(problem, res, grid_size=len(start_grid), start_indices=idx)
    result.diagnostics["retried"] = retried
    result._ranked_starts = start_grid[idx]
    result._source = data if isinstance(data, pd.DataFrame) else None
    return result


def _retry_point_fit(problem: Problem, res: _solvers.SolveResult) -> _solvers.SolveResult:
    """A point fit whose best start stopped at the iteration cap (or stalled), solved again from
    every start's end point with ``config.retry_factor`` times the iterations; the better of the
    two results is kept."""
    again = problem.for_retry()
    theta0 = np.asarray(res.theta_starts)
    res2 = again.solve(problem.weights[None, :], theta0, np.full(theta0.shape[:2], _solvers.WARM, np.int32))
    if bool(res2.converged[0]) or float(res2.objective[0]) < float(res.objective[0]):
        return res2
    return res



def _shard_of(shard, devices) -> tuple[int, int, list | None]:
    """``(index, count, devices)`` of a bootstrap's ``shard`` argument: ``(0, 1)`` for the whole
    ensemble; with ``"processes"``, this process of the ``jax.distributed`` job, on its own
    devices."""
    if shard is None:
        return 0, 1, devices
    spec = _shards.shard_spec(shard)
    if spec != "processes":
        return spec[0], spec[1], devices
    import jax

    index = jax.process_index()
    devices = jax.local_devices() if devices is None else list(devices)
    foreign = [d for d in devices if d.process_index != index]
    if foreign:
        raise ValueError(f"shard='processes' solves each process's shard on its own devices, but devices holds "
                         f"{len(foreign)} of other processes (first {foreign[0]}): pass jax.local_devices() or none")
    return index, jax.process_count(), devices


def _solve_replicates(prob, starts, stage0, lo, hi, seed, resampling, labels, plan, progress):
    """Replicates ``lo .. hi - 1`` solved in ``plan``'s blocks, the failures of each block retried
    within it, the unidentified ones marked: ``(arrays, {"retried": k, "recovered": m})``."""
    if hi == lo:
        return _shards.empty(starts.shape[1], len(starts)), {"retried": 0, "recovered": 0}
    arrays = _bootstrap.run_ensemble(prob, starts, stage0, hi - lo, seed, resampling, labels, progress=progress,
                                     first_replicate=lo, plan=plan)
    n_retried = int(np.sum(~arrays.converged)) if prob.config.retry_factor > 1 else 0
    recovered = _bootstrap.retry_failed(prob, arrays, starts, seed, resampling, labels, first_replicate=lo,
                                        block=plan.size)
    # A replicate that converged to one point of a whole manifold of optima is not an answer.
    unidentified = _bootstrap.unidentified_replicates(prob, hi - lo, seed, resampling, labels, first_replicate=lo)
    arrays.unidentified = np.zeros(hi - lo, bool) if unidentified is None else unidentified
    return arrays, {"retried": n_retried, "recovered": recovered}

class Fit(Result):
    """A point fit: parameters, objective, convergence diagnostics, the data, and predictions.

    Attributes:
        law: the :class:`~scalinglaws.laws.Law`.
        params: ``{name: value}`` in public units (``E``, ``A``, ... not logs).
        objective: the minimised objective value (a sum over points).
        converged: whether the solver met a convergence test (not the iteration cap).
        on_bound: whether any free parameter ended on a bound.
        has_data: whether the fit holds its table (False for one built from parameters alone,
            whose ``data``, ``residuals``, ``input_ranges`` and ``bootstrap`` raise
            :class:`NoDataError`).
        problem: the :class:`~scalinglaws.problem.Problem` the solver saw (arrays, bounds,
            objective, solver configuration); None without data.
        diagnostics: dict with iterations, grad_norm, n_starts, grid_size, starts_converged,
            starts_at_best (how many starts reached the best objective to 1e-9 relative),
            best_start, stop_reason (why the best start stopped: ``solvers.StopReason`` label),
            starts_stopped (``{reason: count}`` over the starts), objective name, n_points,
            r2 (natural units) and rmse.
    """

    _ranked_starts: np.ndarray | None = None
    _source: pd.DataFrame | None = None
    has_data: bool = True

    def __init__(self, problem: Problem, theta: np.ndarray, objective_value: float, converged: bool,
                 on_bound: bool, diagnostics: dict, predictions=None):
        self.problem = problem
        self.law = problem.law
        self.theta = np.asarray(theta, dtype=np.float64)
        self.params = self.law.params_dict(self.theta)
        self.objective = float(objective_value)
        self.converged = bool(converged)
        self.on_bound = bool(on_bound)
        self.diagnostics = dict(diagnostics)
        self.diagnostics.setdefault("n_points", int(np.count_nonzero(problem.weights > 0)))
        self.diagnostics.update(self._goodness(predictions))
        self.diagnostics["on_bound_params"] = self.bounds_hit()

    # ------------------------------------------------------------------ construction
    @classmethod
    def _from_solve(cls, problem: Problem, res: _solvers.SolveResult, grid_size: int, start_indices) -> Fit:
        f_starts = np.asarray(res.objective_starts[0], dtype=np.float64)
        theta = np.asarray(res.theta[0], dtype=np.float64)
        best = float(res.objective[0])
        tol = 1e-9 if problem.dtype == np.float64 else 1e-5
        at_best = int(np.sum(np.abs(f_starts - best) <= tol * max(abs(best), 1e-300)))
        if problem.dtype != np.float64:
            best = float(problem.grid_values(theta[None])[0])  # report the float64 objective
        diagnostics = {
            "objective_name": _objective_label(problem.objective, problem.law),
            "iterations": int(res.iterations[0]),
            "grad_norm": float(res.grad_norm[0]),
            "grid_size": int(grid_size),
            "n_starts": int(len(start_indices)),
            "starts_converged": int(np.sum(np.asarray(res.converged_starts[0]))),
            "starts_at_best": at_best,
            "best_start": int(res.best_start[0]),
            "stop_reason": _solvers.StopReason(int(res.stop_reason[0])).label,
            "starts_stopped": _solvers.stop_reason_counts(res.stop_reason_starts[0]),
            "dtype": problem.dtype.name,
        }
        return cls(problem, theta, best, bool(res.converged[0]), bool(res.on_bound[0]), diagnostics)

    @classmethod
    def from_params(cls, law, params: Mapping[str, float], data=None, x=None, y=None, weights=None,
                    objective=None) -> Fit:
        """A fit from published parameters (no optimisation), optionally scored on ``data``.

        Without data, ``predict``, ``compute_optimal`` and ``compute_for`` work; the objective and
        goodness of fit are NaN.
        """
        law = _laws.get(law)
        theta = law.from_public(params)
        obj = law.default_objective if objective is None else _objectives.get(objective)
        if data is None:
            return _ParamsOnlyFit(law, theta, obj)
        prepared = prepare(data, law, x, y, weights)
        lower, upper, fm, fv = internal_bounds(law, None, None)
        problem = Problem(law, prepared, obj, lower, upper, fm, fv, default_config(law))
        value = float(problem.grid_values(theta[None])[0])
        diag = {"objective_name": _objective_label(obj, law), "source": "from_params"}
        return cls(problem, theta, value, converged=False, on_bound=False, diagnostics=diag)

    # ------------------------------------------------------------------ data access
    @property
    def weight_column(self) -> str:
        """Name of the weights column in :attr:`data` (``weight``, or ``_weight`` if taken)."""
        p = self.problem.prepared
        return "_weight" if "weight" in (*p.x_columns, p.y_column) else "weight"

    @property
    def data(self) -> pd.DataFrame:
        """The fitted table: input columns, target, and weights."""
        p = self.problem.prepared
        cols = {c: p.inputs[name] for name, c in zip(self.law.inputs, p.x_columns)}
        cols[p.y_column] = p.y
        cols[self.weight_column] = p.weights
        return pd.DataFrame(cols, index=p.index)

    @property
    def x_columns(self) -> tuple[str, ...]:
        return self.problem.prepared.x_columns

    @property
    def y_column(self) -> str:
        return self.problem.prepared.y_column

    # ------------------------------------------------------------------ predictions
    def _inputs_from_columns(self, columns: Mapping) -> dict:
        """Accept either law input names (N, D) or the fitted column names."""
        out = {}
        for name, col in zip(self.law.inputs, self.x_columns):
            if name in columns:
                out[name] = columns[name]
            elif col in columns:
                out[name] = columns[col]
            else:
                raise KeyError(
                    f"predict needs {col!r}" + (f" (law input {name!r})" if col != name else "")
                    + f"; got {sorted(columns)}"
                )
        return out

    def _known_inputs(self, columns: Mapping) -> dict:
        """``_inputs_from_columns``, refusing a name that is neither an input of the law nor a
        fitted column (``predict(N=..., Dd=...)`` must not ignore the misspelt ``Dd``)."""
        known = {*self.law.inputs, *self.x_columns}
        unknown = [c for c in columns if c not in known]
        if unknown:
            takes = ", ".join(dict.fromkeys([*self.x_columns, *self.law.inputs]))
            raise ValueError(f"unknown input(s) {unknown}: this {self.law.name} fit takes {takes}")
        return self._inputs_from_columns(columns)

    def predict(self, **columns) -> np.ndarray:
        """The law at the fitted parameters, in natural units: ``fit.predict(N=70e9, D=1.4e12)``."""
        return self.law.predict(self.params, **self._known_inputs(columns))

    def input_ranges(self) -> dict[str, tuple[float, float]]:
        """``{law input: (min, max)}`` over the rows with positive weight."""
        p = self.problem.prepared
        used = p.weights > 0
        return {name: (float(v[used].min()), float(v[used].max())) for name, v in p.inputs.items()}

    # ------------------------------------------------------------------ extrapolation
    def compute_optimal(self, C) -> pd.DataFrame:
        """Compute-optimal N, D, tokens per parameter and loss at budgets ``C`` (Chinchilla-form laws).

        ``N_opt = G (C/6)^(beta/(alpha+beta))``, ``G = (alpha A / (beta B))^(1/(alpha+beta))``,
        ``D_opt = C / (6 N_opt)`` (Hoffmann et al. 2022, Approach 3). No band: see
        :meth:`bootstrap`.
        """
        from . import extrapolate

        C = np.atleast_1d(np.asarray(C, dtype=np.float64))
        d = extrapolate.allocation_draws(self.law, self.theta, C)
        return pd.DataFrame({"C": C, **{k: v[0] for k, v in d.items()}})

    def compute_for(self, target) -> pd.DataFrame:
        """The compute (chinchilla: at the optimal allocation) or input x at which the fitted
        law reaches each ``target``; ``inf`` with ``reachable`` False where it never does (the one
        rule for an unreachable target, :data:`scalinglaws.laws.UNREACHABLE`)."""
        from . import extrapolate

        targets = check_targets(target)
        x = extrapolate.inverse_draws(self.law, self.theta, targets)[0]
        return pd.DataFrame({"target": targets, extrapolate.inverse_input(self.law): x, "reachable": np.isfinite(x)})

    # ------------------------------------------------------------------ bootstrap
    @renamed_arguments(n="n_bootstrap", method="resampling", groups="cluster")
    def bootstrap(self, n_bootstrap: int = 1000, seed: int = 0, resampling: str = "multinomial", cluster=None, *,
                  n_starts: int = 4, chunk_size: int = 8192, devices=None, progress=None,
                  slots: int | None = None, dtype=None, failed: str = "warn",
                  config: _solvers.SolverConfig | None = None, shard=None):
        """Refit on ``n_bootstrap`` resampled data sets: an :class:`~scalinglaws.ensemble.Ensemble`.

        Args:
            n_bootstrap: replicates (``n`` is its old name).
            seed: the same seed gives the same replicates (on any chunking or device count): a
                whole number from 0 to 2^63 - 1, or None for a fresh one (``Ensemble.seed``
                records it).
            resampling: ``"multinomial"`` (Efron) or ``"bayesian"`` (Dirichlet weights, Rubin
                1981); ``method`` is its old name.
            cluster: a column name of the fitted table (or an array, one label per row): resample
                whole clusters (runs, model sizes, families): the cluster bootstrap (``groups``
                is its old name).
            n_starts: starts per replicate: the full-data optimum plus the ``n_starts - 1`` best
                points of the law's start grid.
            chunk_size: replicates per block (memory is bounded by a block, not by ``n_bootstrap``).
            devices: devices to shard replicates over (default all of ``jax.devices()``).
            progress: show a progress bar (default: when stderr is a terminal).
            slots: solver slots per device (default ``bootstrap.default_slots()``).
            dtype: solver arithmetic, default the fit's (``"float64"``); ``"float32"`` for GPUs.
            failed: what to do about replicates that still fail to converge after a retry (each
                failed replicate is solved again with 5x the iterations, from its end point, the
                optimum, the grid starts and a perturbed optimum): ``"warn"`` (default: a
                ``ReplicateFailureWarning`` with the count and share), ``"raise"``
                (``ReplicateFailureError``) or ``"drop"`` (quietly). Failed replicates are
                left out of intervals and bands in every case, and each table says how many
                replicates it used (``n_used``).
            config: :class:`~scalinglaws.solvers.SolverConfig` for the replicates (default the
                fit's). Every setting applies as in the point fit; the racing of the grid starts
                against the replicate's warm-start optimum is ``abandon_after`` and
                ``abandon_ratio`` (``abandon_ratio=0`` runs every start to convergence).
            shard: solve part of the ensemble (:mod:`scalinglaws.shards`). ``(i, k)``: shard
                ``i`` of ``k``, whole blocks of ``chunk_size`` replicates, returned alone (its
                ``replicates`` say which); :meth:`Ensemble.concatenate` joins the shards.
                ``"processes"``: in a ``jax.distributed`` job, each process solves its shard on
                its own devices and every process returns the whole ensemble. Either way the
                joined ensemble is exactly the one-process ensemble of the same arguments (on the
                same kind and number of devices per process). A shard holds at least one block:
                spread a small ensemble with a smaller ``chunk_size``.
        """
        if self.diagnostics.get("shared"):
            raise ValueError(f"this group's fit shares {self.diagnostics['shared']} with the other groups of a joint "
                             "fit: refitting the group alone would free them; bootstrap the grouped fit instead "
                             "(fitset.bootstrap(...)[key] is this group's ensemble)")
        prob = self.problem
        if config is not None:
            if not isinstance(config, _solvers.SolverConfig):
                raise TypeError(f"config must be a SolverConfig, got {type(config).__name__}")
            prob = prob.with_config(config)
        if dtype is not None and np.dtype(dtype) != prob.dtype:
            prob = Problem(prob.law, prob.prepared, prob.objective, prob.lower, prob.upper, prob.fixed_mask,
                           prob.fixed_values, prob.config, dtype)
        if failed not in _bootstrap.FAILED_POLICIES:
            raise ValueError(f"failed must be one of {_bootstrap.FAILED_POLICIES}, got {failed!r}")
        labels = self._cluster_labels(cluster)
        if n_starts < 1:
            raise ValueError(f"n_starts must be >= 1, got {n_starts}")
        ranked = self._ranked_starts if self._ranked_starts is not None else prob.ranked_starts()
        extra = ranked[: max(n_starts - 1, 0)]
        starts = np.concatenate([self.theta[None, :], extra], axis=0)
        # The optimum starts at the real objective; grid points go through the continuation.
        stage0 = np.array([_solvers.WARM] + [0] * len(extra), dtype=np.int32)
        n_bootstrap = check_int(n_bootstrap, "n_bootstrap", 1)
        seed = check_seed(seed)
        index, count, devices = _shard_of(shard, devices)
        plan = _bootstrap.BlockPlan.make(n_bootstrap, chunk_size, devices, len(starts), slots, prob.n_padded)
        ranges = [_shards.shard_range(j, count, n_bootstrap, plan.size) for j in range(count)]
        lo, hi = ranges[index]
        if hi == lo and shard != "processes":
            raise ValueError(f"shard {index} of {count} holds no replicates: {n_bootstrap} replicates make "
                             f"{math.ceil(n_bootstrap / plan.size)} block(s) of {plan.size} (chunk_size {chunk_size}, "
                             f"{len(plan.devices)} device(s)), fewer than the shards; pass a smaller chunk_size")
        arrays, counts = _solve_replicates(prob, starts, stage0, lo, hi, seed, resampling, labels, plan, progress)
        if shard == "processes" and count > 1:
            arrays, counts = _shards.allgather(arrays, ranges, counts)
            lo, hi = 0, n_bootstrap
        n_retried, recovered = counts["retried"], counts["recovered"]
        n = hi - lo
        n_unidentified = int(arrays.unidentified.sum())
        not_converged = int(np.sum(~arrays.converged))
        n_failed = int(np.sum(~arrays.converged | arrays.unidentified))
        info = {"labels": ["full-data optimum"] + [f"grid point {i + 1}" for i in range(len(extra))],
                "retried": n_retried, "recovered": recovered, "failed_policy": failed}
        if shard == "processes":
            info["processes"] = count
        if (lo, hi) != (0, n_bootstrap):
            info["shard"] = {"index": index, "count": count, "first": lo, "stop": hi, "n_bootstrap": int(n_bootstrap)}
        if n_failed and failed != "drop":
            message = _bootstrap.failure_message(n_failed, n, not_converged, n_retried, recovered, n_unidentified)
            if failed == "raise":
                raise _bootstrap.ReplicateFailureError(message)
            import warnings

            warnings.warn(message, _bootstrap.ReplicateFailureWarning, stacklevel=2)
        return Ensemble(self, arrays, resampling, seed, cluster if isinstance(cluster, str) else None, info, labels)

    def _cluster_labels(self, cluster):
        if cluster is None:
            return None
        n = len(self.problem.y_fit)
        if isinstance(cluster, str):
            if self._source is not None and cluster in self._source.columns:
                values = self._source[cluster].to_numpy()
            else:
                data = self.data
                if cluster not in data.columns:
                    have = list(self._source.columns) if self._source is not None else list(data.columns)
                    raise InputError(f"cluster column {cluster!r} not in the fitted table (columns {have})", column=cluster)
                values = data[cluster].to_numpy()
        else:
            values = np.asarray(cluster)
        if values.shape != (n,):
            raise InputError(f"cluster must give one label per row ({n}), got shape {values.shape}")
        name = cluster if isinstance(cluster, str) else None
        if pd.isna(values).any():
            pos = int(np.flatnonzero(pd.isna(values))[0])
            raise InputError(f"cluster label missing at row {pos}", column=name, row=pos)
        used = self.problem.weights > 0
        n_clusters = len(pd.unique(values[used]))
        if n_clusters < 2:
            raise InputError(f"{f'cluster column {name!r}' if name else 'the cluster labels'} hold {n_clusters} cluster "
                             "among the rows with positive weight: a cluster bootstrap resamples whole clusters, so "
                             "with one cluster every replicate is the full data and every interval would have zero "
                             "width", column=name)
        return values

    def public_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """The fit's (lower, upper) bounds per parameter in public units (data floors included)."""
        p = self.problem
        return tuple(np.asarray(self.law.to_public(np.asarray(b, np.float64))) for b in (p.lower, p.upper))

    def bounds_hit(self) -> dict:
        """``{parameter: {"side": "lower" | "upper", "bound": value}}`` for each free parameter that
        ended on a bound (public units): the data do not pin it down inside its range."""
        p = self.problem
        at_lo, at_hi = _solvers.bound_hits(self.theta, p.lower, p.upper, p.fixed_mask, p.config.bound_tol)
        lo, hi = self.public_bounds()
        out = {}
        for j, name in enumerate(self.law.params):
            if at_lo[j] or at_hi[j]:
                side = "lower" if at_lo[j] else "upper"
                out[name] = {"side": side, "bound": float(lo[j] if at_lo[j] else hi[j])}
        return out

    def residuals(self) -> np.ndarray:
        """Fit-space residuals (``log y_hat - log y`` for loss laws) at the data."""
        return self.law.evaluate(self.theta, self.problem.F) - self.problem.y_fit

    def _goodness(self, yhat=None) -> dict:
        """R^2, RMSE (natural units and fit space) and MAPE; ``yhat`` the fit-space prediction at
        the data, when known."""
        p = self.problem
        yhat = self.law.evaluate(self.theta, p.F) if yhat is None else np.asarray(yhat, dtype=np.float64)
        return {k: float(v) for k, v in _inference.goodness(self.law.space, p.prepared.y, yhat, p.y_fit,
                                                            p.weights).items()}

    def inference(self, kind: str = "sandwich", level: float = DEFAULT_LEVEL) -> _inference.Inference:
        """Standard errors, correlations, Wald intervals, goodness of fit, information criteria
        and the residual table of this fit (:class:`~scalinglaws.inference.Inference`).

        Args:
            kind: ``"sandwich"`` (default, any objective): Huber's (1967) robust covariance
                ``H^-1 B H^-1`` with the HC1 factor; ``"classical"`` (least squares):
                ``s^2 (J^T W J)^-1``, ``scipy.optimize.curve_fit``'s ``pcov``. See
                :mod:`scalinglaws.inference`.
            level: the coverage of the Wald intervals.

        Parameters that are fixed, on a bound, or not identified (flat or non-convex curvature
        along them) get no standard error and are flagged in ``status``.
        """
        check_level(level)
        key = (kind, float(level))
        cache = self.__dict__.setdefault("_inference_cache", {})
        if key not in cache:
            cache[key] = _inference.infer(self.problem, self.theta, kind, level)
        return cache[key]

    # ------------------------------------------------------------------ presentation
    def summary(self) -> Summary:
        """Estimates and diagnostics: the data's ranges, the objective, convergence, bounds hit, the
        starts, R^2 and RMSE, and a table of the parameters (:class:`~scalinglaws.results.Summary`:
        prints as text, ``.to_frame()`` for the table, HTML in a notebook)."""
        d = self.diagnostics
        p = self.problem.prepared
        lines = [
            f"data: {d['n_points']} points; "
            + ", ".join(f"{c} [{v.min():.4g}, {v.max():.4g}]" for c, v in zip(p.x_columns, p.inputs.values()))
            + f"; {p.y_column} [{p.y.min():.4g}, {p.y.max():.4g}]",
            f"objective: {d['objective_name']} = {self.objective:.10g}",
            f"converged: {'yes' if self.converged else 'NO'}"
            + (f" ({d['iterations']} iterations, scaled gradient {d['grad_norm']:.2g})" if "iterations" in d else "")
            + f"; on a bound: {'YES' if self.on_bound else 'no'}",
        ]
        hits = d.get("on_bound_params", {})
        for name, hit in hits.items():
            lines.append(f"  {name} ended on its {hit['side']} bound {hit['bound']:.4g}: the data do not pin it "
                         "down inside its range")
        if "n_starts" in d:
            lines.append(
                f"starts: best {d['n_starts']} of {d['grid_size']} grid points; {d['starts_converged']} converged, "
                f"{d['starts_at_best']} reached the best objective"
            )
        lines.append(f"R^2 ({p.y_column}, natural units): {d['r2']:.4f}; RMSE {d['rmse']:.4g}")
        table = _params_table(self.params, hits)
        inf = self.inference()
        table.insert(1, "std_error", inf.table["std_error"].reindex(table.index))
        lines.append(f"std_error: {inf.kind} (fit.inference() for intervals, correlations, residuals)")
        if inf.not_identified:
            lines.append(f"NOT IDENTIFIED by the data: {', '.join(inf.not_identified)} (flat or non-convex objective "
                         "along them)")
        return Summary(f"{self.law.name} fit: {self.law.formula}", table, notes=lines)

    def __repr__(self):
        ps = ", ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        return f"<Fit {self.law.name}: {ps}; objective={self.objective:.6g}, converged={self.converged}>"

    # ------------------------------------------------------------------ persistence
    def to_dict(self, include_data: bool = True) -> dict:
        p = self.problem.prepared
        d = {
            **serialize.header("scalinglaws.Fit"),
            "law": self.law.name,
            "formula": self.law.formula,
            "params": self.params,
            "theta": self.theta.tolist(),
            "internal_names": list(self.law.internal_names),
            "objective": {**_objectives.to_json(self.problem.objective), "value": self.objective},
            "converged": self.converged,
            "on_bound": self.on_bound,
            "diagnostics": self.diagnostics,
            "columns": {"x": list(p.x_columns), "y": p.y_column},
            "bounds": {"lower": self.problem.lower.tolist(), "upper": self.problem.upper.tolist()},
            "fixed": {n: self.params[n] for n, m in zip(self.law.params, self.problem.fixed_mask) if m},
            "data_summary": {
                "n": int(len(p.y)),
                "n_positive_weight": int(np.count_nonzero(p.weights > 0)),
                "ranges": {c: [float(v.min()), float(v.max())] for c, v in zip(p.x_columns, p.inputs.values())}
                | {p.y_column: [float(p.y.min()), float(p.y.max())]},
            },
        }
        if include_data:
            d["data"] = {c: np.asarray(v) for c, v in zip(p.x_columns, p.inputs.values())} | {
                p.y_column: np.asarray(p.y),
                self.weight_column: np.asarray(p.weights),
            }
            d["columns"]["weight"] = self.weight_column
            if self._source is not None:
                # Every column of the table fitted, so that a reloaded fit can still resample
                # clusters of a column it did not fit (bootstrap(cluster="model")). A group's
                # rows of a grouped fit are read from the grouped table here.
                src = self._source
                d["source"] = serialize.frame_record(src if isinstance(src, pd.DataFrame) else src.to_frame())
        return d

    def save(self, path, include_data: bool = True) -> Path:
        """Write the fit (law, parameters, diagnostics, data summary, versions; by default the data,
        with every column of the table it was fitted to) to ``path``: a compact container (any name
        but ``*.json``; ``.npz`` recommended) or strict JSON (``*.json``)."""
        return serialize.write_record(path, self.to_dict(include_data))

    @classmethod
    def from_dict(cls, d: dict) -> Fit:
        """The fit a :meth:`to_dict` record describes (with its data, when the record holds them)."""
        law = _record_law(d)
        obj = _objectives.from_json(d["objective"])
        logged = serialize.stored_log_columns(law, d)
        theta = serialize.from_stored(d["theta"], logged)
        _check_record_params(law, theta, d)
        if "data" not in d:
            value = d["objective"].get("value")
            return _ParamsOnlyFit(
                law, theta, obj, diagnostics=d.get("diagnostics", {}),
                objective_value=float("nan") if value is None else value,
                converged=d.get("converged", False), on_bound=d.get("on_bound", False),
            )
        cols = d["columns"]
        lengths = {c: np.shape(v) for c, v in d["data"].items()}
        if len(set(lengths.values())) > 1 or any(len(s) != 1 for s in lengths.values()):
            raise serialize.RecordError("data", f"columns of different lengths or shapes: {lengths}")
        table = pd.DataFrame(d["data"])
        prepared = prepare(table, law, cols["x"], cols["y"], weights=cols.get("weight", "weight"), check_columns=False)
        fixed = d.get("fixed", {})
        fm = np.array([n in fixed for n in law.params], dtype=bool)
        fv = np.where(fm, theta, 0.0)  # fixed parameters were held at their values in theta
        lower, upper = (serialize.from_stored(d["bounds"][k], logged) for k in ("lower", "upper"))
        for k, b in (("lower", lower), ("upper", upper)):
            if b.shape != (law.n_params,):
                raise serialize.RecordError(f"bounds.{k}", f"{b.size} values for the {law.n_params} parameters of "
                                                           f"law {law.name!r}")
        problem = Problem(law, prepared, obj, lower, upper, fm, fv, default_config(law))
        fit = cls(problem, theta, d["objective"]["value"], d["converged"], d["on_bound"], d["diagnostics"])
        if d.get("source") is not None:
            source = serialize.frame_from_record(d["source"])
            if len(source) != len(table):
                raise serialize.RecordError("source", f"{len(source)} rows, but the fitted data have {len(table)}")
            fit._source = source
        return fit


def _record_law(d: dict):
    """The law a saved record names, or an error naming the field."""
    try:
        return _laws.get(d["law"])
    except KeyError as err:
        raise serialize.RecordError("law", str(err.args[0] if err.args else err)) from None


def _check_record_params(law, theta: np.ndarray, d: dict) -> None:
    """A record's ``theta`` has one value per parameter and gives the ``params`` it states: a
    hand-edited ``params`` is refused, not silently ignored."""
    if theta.shape != (law.n_params,):
        raise serialize.RecordError("theta", f"{theta.size} values for the {law.n_params} parameters of law "
                                             f"{law.name!r} ({', '.join(law.params)})")
    stated = d.get("params")
    if stated is None:
        return
    values = law.params_dict(theta)  # a tied law's include the parameters tied to others
    if not isinstance(stated, dict) or set(stated) != set(values):
        raise serialize.RecordError("params", f"names {sorted(stated) if isinstance(stated, dict) else stated!r}; "
                                              f"law {law.name!r} has {list(values)}")
    for name in values:
        v, s = values[name], stated[name]
        if not isinstance(s, (int, float)) or not (np.isclose(v, s, rtol=1e-9, atol=0.0) or (np.isnan(v) and
                                                                                              np.isnan(s))):
            raise serialize.RecordError("params", f"{name} is {s!r}, but the stored theta gives {v!r}: the file "
                                                  "was edited or damaged (theta is what a fit holds)")


def _params_table(params: Mapping[str, float], hits: Mapping[str, dict]) -> pd.DataFrame:
    """One row per parameter: its estimate and the bound it ended on ("" when inside its range)."""
    return pd.DataFrame({"estimate": list(params.values()),
                         "on_bound": [hits[n]["side"] if n in hits else "" for n in params]},
                        index=pd.Index(list(params), name="parameter"))


class NoDataError(ValueError):
    """Asked for the data of a fit that holds none (built from parameters, or saved without data)."""


class _ParamsOnlyFit(Fit):
    """A fit known only by its parameters (published values, or saved without data)."""

    has_data = False

    def __init__(self, law, theta, objective, diagnostics=None, objective_value=float("nan"),
                 converged=False, on_bound=False):
        self.problem = None
        self.law = law
        self.theta = np.asarray(theta, dtype=np.float64)
        self.params = law.params_dict(self.theta)
        self.objective = float(objective_value)
        self.converged = bool(converged)
        self.on_bound = bool(on_bound)
        self.diagnostics = dict(diagnostics or {"source": "from_params"})
        self._objective_spec = objective

    @property
    def x_columns(self):
        return tuple(self.law.inputs)

    @property
    def y_column(self):
        return self.law.target

    @property
    def data(self):
        raise NoDataError("this fit was built from parameters alone and holds no data (check fit.has_data)")

    def input_ranges(self):
        raise NoDataError("this fit was built from parameters alone: it has no fitted input range "
                          "(check fit.has_data)")

    def bootstrap(self, *args, **kwargs):
        raise NoDataError("this fit was built from parameters alone: there is no data to resample "
                          "(check fit.has_data)")

    def residuals(self):
        raise NoDataError("this fit was built from parameters alone and holds no data (check fit.has_data)")

    def inference(self, kind: str = "sandwich", level: float = DEFAULT_LEVEL):
        raise NoDataError("this fit was built from parameters alone: standard errors need its data "
                          "(check fit.has_data)")

    def bounds_hit(self) -> dict:
        return {}

    def summary(self) -> Summary:
        return Summary(f"{self.law.name} (parameters given, not fitted): {self.law.formula}",
                       _params_table(self.params, {}))

    def to_dict(self, include_data: bool = False) -> dict:
        return {
            **serialize.header("scalinglaws.Fit"),
            "law": self.law.name,
            "params": self.params,
            "theta": self.theta.tolist(),
            "internal_names": list(self.law.internal_names),
            "objective": {**_objectives.to_json(self._objective_spec),
                          "value": None if math.isnan(self.objective) else self.objective},
            "converged": self.converged,
            "on_bound": self.on_bound,
            "diagnostics": self.diagnostics,
        }

