"""One validated fit problem as arrays: features, targets, weights, bounds, fixed parameters,
the objective and the solver configuration, padded to a row bucket for the compiled solver.

A :class:`Problem` is what the point fit (:mod:`~scalinglaws.fitting`), the bootstrap
(:mod:`~scalinglaws.resample`) and the benchmarks hand to :func:`scalinglaws.solvers.solve`;
``Fit.problem`` gives the one behind a fit.
"""

from __future__ import annotations

import copy
import math

import jax
import jax.numpy as jnp
import numpy as np

from . import laws as _laws
from . import objectives as _objectives
from . import programs as _programs
from . import solvers as _solvers
from .buckets import bucket_points, pad_rows
from .inputs import real_number

__all__ = ["Problem", "default_config", "internal_bounds", "user_bounds", "combine_bounds", "law_fit_space", "objectives_by_group",
           "predictions_by_group"]


def default_config(law, config=None):
    """``config``, or where none is given the solver settings ``law`` asks for
    (:attr:`~scalinglaws.laws.Law.race_starts`)."""
    if config is not None:
        return config
    return _solvers.SolverConfig() if law.race_starts else _solvers.SolverConfig(abandon_ratio=0.0, screen_ratio=0.0)


def _bound_pair(name: str, pair) -> tuple[float | None, float | None]:
    """``bounds[name]`` as ``(lower, upper)`` floats, None for an open side."""
    shape = "a pair (lower, upper) with None for an open side, e.g. {%r: (0.0, 1.0)}" % name
    if isinstance(pair, (str, bytes)) or not hasattr(pair, "__len__") or len(pair) != 2:
        raise ValueError(f"bounds[{name!r}] must be {shape}; got {pair!r}")
    out = []
    for v in pair:
        if v is None:
            out.append(None)
            continue
        v = real_number(v, f"bounds[{name!r}] must be {shape}; got {pair!r}")
        if math.isnan(v):
            raise ValueError(f"bounds for {name!r} contain NaN; use None for an open side")
        out.append(v)
    return out[0], out[1]


def internal_bounds(law, bounds, fixed, F=None, y_fit=None):
    """Law bounds (tightened by the data's scale when given) intersected with user bounds (public
    units) -> internal lower, upper; fixed mask and values."""
    user = user_bounds(law, bounds, fixed)
    lo, hi = law.bounds(F, y_fit)
    lower, upper, empty = combine_bounds(lo, hi, user)
    names = list(law.params)
    for name in bounds or {}:
        if empty[names.index(name)]:
            raise ValueError(f"bounds for {name!r} do not meet the law's own range")
    return lower, upper, user[2], user[3]


def user_bounds(law, bounds, fixed):
    """The user's ``bounds`` and ``fixed`` values, validated, in internal units: ``(lower,
    upper, fixed_mask, fixed_values)`` [p] (``-inf``/``inf`` where the user set no bound)."""
    p = law.n_params
    lower, upper = np.full(p, -np.inf), np.full(p, np.inf)
    bounded = np.zeros(p, dtype=bool)
    fixed_mask = np.zeros(p, dtype=bool)
    fixed_internal = np.zeros(p)
    names = list(law.params)
    tied = {t.target: t for t in getattr(law, "ties", ())}
    for name in [*(bounds or {}), *(fixed or {})]:
        if name in law.mixed_params:
            raise ValueError(f"{name!r} of law {law.name!r} is derived from the fitted parameters ({law.internal_names}): "
                             "it cannot be bounded or fixed")
        if name in tied:
            raise KeyError(f"{name!r} is tied ({tied[name]}): bound or fix {tied[name].source!r} instead")
    for name, pair in (bounds or {}).items():
        if name not in names:
            raise KeyError(f"bounds name unknown parameter {name!r}; law {law.name!r} has {names}")
        lo, hi = _bound_pair(name, pair)
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"bounds for {name!r} are empty: lower {lo} > upper {hi}")
        j = names.index(name)
        if law.transforms[j] == "log":
            if hi is not None and hi <= 0:
                raise ValueError(f"upper bound {hi} for {name!r} must be > 0: the parameter is positive (fitted as a log)")
            lo = math.log(lo) if lo is not None and lo > 0 else None
            hi = math.log(hi) if hi is not None and np.isfinite(hi) else None
        lower[j] = -np.inf if lo is None else lo
        upper[j] = np.inf if hi is None else hi
        bounded[j] = True
    for name, value in (fixed or {}).items():
        if name not in names:
            raise KeyError(f"fixed names unknown parameter {name!r}; law {law.name!r} has {names}")
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"fixed value for {name!r} must be finite, got {value}")
        j = names.index(name)
        if law.transforms[j] == "log":
            if value <= 0:
                raise ValueError(f"fixed {name!r} must be > 0 (it is fitted as a log), got {value}")
            value = math.log(value)
        elif not law.lower[j] <= value <= law.upper[j]:
            raise ValueError(f"fixed {name!r} must be >= {law.lower[j]:g} and <= {law.upper[j]:g} "
                             f"(the law's range), got {value}")
        fixed_mask[j] = True
        fixed_internal[j] = value
    return lower, upper, fixed_mask, fixed_internal, bounded


def combine_bounds(lo, hi, user):
    """Law bounds ``lo``, ``hi`` [..., p] (data floors included) and the user's
    (:func:`user_bounds`) -> internal ``(lower, upper, empty)``: ``empty`` [..., p] marks a user
    bound that misses the law's range. A fixed parameter's range is widened to hold its value."""
    u_lo, u_hi, fixed_mask, fixed_values, bounded = user
    lower, upper = np.maximum(lo, u_lo), np.minimum(hi, u_hi)
    empty = bounded & (lower > upper)
    lower = np.where(fixed_mask, np.minimum(lower, fixed_values), lower)
    upper = np.where(fixed_mask, np.maximum(upper, fixed_values), upper)
    return lower, upper, empty


def law_fit_space(law, y: np.ndarray) -> np.ndarray:
    """Targets in the law's fit space: ``log y`` for loss laws, ``y`` otherwise."""
    return np.log(y) if law.space == "log" else np.asarray(y, dtype=np.float64).copy()


SCREEN_FACTOR = 4
"""A large start grid keeps ``SCREEN_FACTOR * k`` candidates from its float32 scoring
(:meth:`Problem.start_values`)."""

SCREEN_MIN_GRID = 1024
"""Start grids smaller than this are scored in float64 alone (the float32 pass would save less
than it costs)."""


def screens_grid(n_points: int, k: int) -> bool:
    """Whether a start grid of ``n_points`` is scored in float32 first when its ``k`` best are
    wanted (:meth:`Problem.start_values`)."""
    return n_points >= max(SCREEN_MIN_GRID, 2 * SCREEN_FACTOR * k)


def storable(law, objective) -> bool:
    """Whether programs traced from ``law`` and ``objective`` can be stored across processes
    (:mod:`scalinglaws.programs`): both the package's own, so that their ``repr`` names them."""
    return _laws.builtin(law) and type(objective).__module__ == _objectives.__name__


class Problem:
    """Arrays of one validated fit problem, shared by the point fit and its bootstrap.

    The solver sees the rows padded to a size bucket (:func:`~scalinglaws.buckets.bucket_points`) with weight 0,
    so data sets of nearby sizes (a leave-some-out refit, a new run appended) reuse the compiled
    program instead of compiling their own.
    """

    def __init__(self, law, prepared, objective, lower, upper, fixed_mask, fixed_values, config, dtype=np.float64):
        self.law = law
        self.prepared = prepared
        self.objective = objective
        self.F = law.features(prepared.inputs)
        self.y_fit = law_fit_space(law, prepared.y)
        self.weights = prepared.weights
        self.lower, self.upper = lower, upper
        self.fixed_mask, self.fixed_values = fixed_mask, fixed_values
        self.config = config
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float64, np.float32):
            raise ValueError(f"dtype must be float64 or float32, got {dtype}")

    @property
    def n_padded(self) -> int:
        return bucket_points(len(self.y_fit))

    def pad_rows(self, a: np.ndarray, axis: int = 0, fill=None) -> np.ndarray:
        """Pad ``a`` along ``axis`` to ``n_padded`` rows: copies of row 0 (finite features), or
        ``fill`` (0 for weights)."""
        return pad_rows(a, self.n_padded, axis, fill)

    def with_config(self, config: _solvers.SolverConfig) -> Problem:
        """The same problem under another solver configuration (a shallow copy)."""
        other = copy.copy(self)
        other.config = config
        return other

    def for_retry(self) -> Problem:
        """The same problem with ``config.retry_factor`` times the iterations: what a point fit
        or bootstrap replicate that failed to converge is solved again with
        (:meth:`~scalinglaws.solvers.SolverConfig.for_retry`)."""
        return self.with_config(self.config.for_retry())

    def host_arrays(self, dtype=None):
        """(F, y, lower, upper) padded, as numpy arrays of the solver dtype: what a one-off
        compiled call takes (jit moves numpy arguments itself, at a tenth of the cost of
        ``jnp.asarray`` each)."""
        dt = self.dtype if dtype is None else np.dtype(dtype)
        return (self.pad_rows(self.F).astype(dt), self.pad_rows(self.y_fit).astype(dt),
                np.asarray(self.lower, dt), np.asarray(self.upper, dt))

    def device_arrays(self, dtype=None):
        """(F, y, lower, upper) padded, as JAX arrays of the solver dtype (for arrays used by
        many calls)."""
        return tuple(jnp.asarray(a) for a in self.host_arrays(dtype))

    def with_fixed(self, theta: np.ndarray) -> np.ndarray:
        return np.where(self.fixed_mask, self.fixed_values, theta)

    def grid_values(self, grid: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
        """The (float64) objective at each internal point of ``grid`` [G, p]."""
        w = self.weights if w is None else w
        F, y, _, _ = self.host_arrays(np.float64)
        return np.asarray(
            _solvers.objective_values(self.law, self.objective, F, y, self.pad_rows(w, fill=0.0).astype(np.float64),
                                      np.asarray(grid, np.float64))
        )

    def start_values(self, grid: np.ndarray, k: int) -> np.ndarray:
        """The float64 objective at the points of ``grid`` [G, p] that can be among its ``k``
        best, ``inf`` at the others: what :func:`~scalinglaws.solvers.top_k_starts` ranks to
        pick a point fit's starts.

        A grid of at least :data:`SCREEN_MIN_GRID` points is scored in float32 first (3.5x
        faster on a CPU: twice the SIMD lanes, cheaper ``exp`` and ``log``), and only its
        ``SCREEN_FACTOR * k`` best are scored again in float64, in the same compiled call
        (:func:`~scalinglaws.solvers.screened_objective_values`); the others are ``inf``. float32
        moves an objective by about 1e-6 of itself, far less than the gap between the ``k``-th
        and the ``SCREEN_FACTOR * k``-th grid point, so the ``k`` best come out the same, in the
        same order (checked on the hard-fit suite, ``benchmarks/bench_point.py``). Where float32
        is not finite at every grid point (it overflows earlier), the whole grid is scored in
        float64.
        """
        if not screens_grid(len(grid), k):
            return self.grid_values(grid)
        F, y, _, _ = self.host_arrays(np.float64)
        w = self.pad_rows(self.weights, fill=0.0).astype(np.float64)
        rough, kept, kept_values = _programs.call(
            _solvers.screened_objective_values, "solvers.screened_objective_values",
            {"law": self.law, "objective": self.objective, "keep": SCREEN_FACTOR * k},
            {"F": F, "y": y, "w": w, "thetas": np.asarray(grid, np.float64)}, storable=self.storable)
        if not np.isfinite(np.asarray(rough)).all():
            return self.grid_values(grid)
        values = np.full(len(grid), np.inf)
        values[np.asarray(kept)] = np.asarray(kept_values)
        return values

    def solve(self, W: np.ndarray, theta0: np.ndarray, stage0: np.ndarray | None = None,
              n_valid: int | None = None, slots: int | None = None) -> _solvers.SolveResult:
        """``W`` [P, n] weights, ``theta0`` [P, S, p] internal starts, ``stage0`` [P, S]; only the
        first ``n_valid`` problems are solved (default all), through ``slots`` solver slots
        (default every task at once). The result's arrays are numpy arrays (every caller reads
        them on the host, and indexing a JAX array is a dispatched operation each)."""
        F, y, lower, upper = self.host_arrays()
        arrays = {"F": F, "y": y, "W": self.pad_rows(W, axis=1, fill=0.0).astype(self.dtype),
                  "theta0": self.with_fixed(theta0).astype(self.dtype), "lower": lower, "upper": upper,
                  "fixed": np.asarray(self.fixed_mask), "stage0": None if stage0 is None else np.asarray(stage0, np.int32),
                  "n_valid": None if n_valid is None else np.int32(n_valid)}
        _programs.register_namedtuple(_solvers.SolveResult)
        static = {"law": self.law, "objective": self.objective, "config": self.config, "slots": slots}
        res = _programs.call(_solvers.solve, "solvers.solve", static, arrays, storable=self.storable)
        return jax.tree.map(np.asarray, res)

    @property
    def storable(self) -> bool:
        """Whether this problem's compiled programs can be stored across processes
        (:mod:`scalinglaws.programs`): a built-in law and objective (:func:`storable`)."""
        return storable(self.law, self.objective)

    def ranked_starts(self) -> np.ndarray:
        """The law's start grid for this data, best objective first."""
        used = self.weights > 0
        grid = self.with_fixed(np.clip(self.law.start_grid(self.F[used], self.y_fit[used]), self.lower, self.upper))
        return grid[_solvers.top_k_starts(self.grid_values(grid), len(grid))]


def _by_bucket(problems) -> dict:
    """Group indices by their padded row count (each bucket's groups share one array shape)."""
    buckets: dict[int, list[int]] = {}
    for g, p in enumerate(problems):
        buckets.setdefault(p.n_padded, []).append(g)
    return buckets


def objectives_by_group(problems, thetas) -> np.ndarray:
    """[G] each problem's (float64) objective at its internal point ``thetas[g]`` [p], one call
    per row bucket: what each ``Problem.grid_values`` gives, on the same padded rows."""
    law, objective = problems[0].law, problems[0].objective
    out = np.empty(len(problems))
    for n, idx in _by_bucket(problems).items():
        F = np.stack([pad_rows(problems[g].F, n) for g in idx])
        y = np.stack([pad_rows(problems[g].y_fit, n) for g in idx])
        w = np.stack([pad_rows(problems[g].weights, n, fill=0.0) for g in idx])
        th = np.stack([np.asarray(thetas[g], np.float64) for g in idx])[:, None, :]
        v = _solvers.grouped_objective_values(law, objective, jnp.asarray(F), jnp.asarray(y), jnp.asarray(w),
                                              jnp.asarray(th))
        out[idx] = np.asarray(v)[:, 0]
    return out


def predictions_by_group(problems, thetas) -> list[np.ndarray]:
    """Each problem's fit-space prediction at its data for ``thetas[g]`` [p], one call per row bucket."""
    law = problems[0].law
    out: list = [None] * len(problems)
    for n, idx in _by_bucket(problems).items():
        F = np.stack([pad_rows(problems[g].F, n) for g in idx])
        th = np.stack([np.asarray(thetas[g], np.float64) for g in idx])
        v = np.asarray(_solvers.grouped_predictions(law, jnp.asarray(F), jnp.asarray(th)))
        for j, g in enumerate(idx):
            out[g] = v[j, : len(problems[g].y_fit)]
    return out
