"""The :class:`Law` type: a JAX prediction function with names, transforms, bounds, start grid,
optional analytic derivatives, and typed closed forms (inverse, allocation)."""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from .. import objectives as _objectives
from ..buckets import bucket_points

__all__ = ["Law", "product_grid", "LN10", "UNREACHABLE", "group_min", "group_max", "group_median", "one_group", "constant_grid"]

LN10 = math.log(10.0)

UNREACHABLE = np.inf
"""What an inverse returns where no finite input reaches the target: ``inf``, in every law, in
``Fit.compute_for``, ``Ensemble.compute_for`` and ``capex`` (which prices it as infinite). A
target already met with no input at all (a sigmoid's target on the near side of its start level)
is ``0``, the true answer; NaN is never an answer."""


@dataclass(frozen=True, eq=False)
class Law:
    """A scaling law: a JAX prediction function with names, transforms, bounds and start grid.

    Attributes:
        name: registry name.
        params: public parameter names, in the order of ``theta``.
        transforms: per parameter, ``"log"`` (fitted as ``log`` of the public value, which must be
            positive) or ``"identity"``.
        inputs: default input columns (``N``, ``D``, ``C`` ...).
        target: default target column.
        space: ``"log"`` or ``"linear"`` (see module docstring).
        fit_fn: ``(theta, F) -> prediction in fit space``, vectorised over the rows of ``F``.
        log_inputs: whether ``F`` holds the natural log of each input (then inputs must be > 0) or
            the raw inputs.
        grid: ``(F, y_fit) -> ndarray [G, p]`` of internal start points; data-dependent so that
            scale-free laws start near the data whatever its units.
        lower, upper: internal-space bounds per parameter (``-inf``/``inf`` for none).
        jacobian: optional ``(theta, F) -> (pred, J)`` with ``J`` of shape [n, p]; default
            ``jax.jacfwd``.
        curvature: optional ``(theta, F, c) -> sum_i c_i * Hessian(pred_i)`` of shape [p, p];
            default ``jax.hessian`` of ``c @ fit_fn``.
        curvature_parts: optional ``(theta, F) -> (columns, assemble)``: per-point columns ``K_q``
            [n] and a function of their ``c``-weighted sums such that ``sum_i c_i Hessian(pred_i)
            = assemble([sum_i c_i K_q,i]) - J^T diag(c) J``. Lets the solver get the curvature in
            the same single pass over the data as everything else.
        data_bounds: optional ``(F, y_fit) -> (lower, upper)`` internal bounds that depend on the
            data's scale, tightening ``lower``/``upper`` (e.g. an irreducible loss ``E`` at least
            1e-6 of the smallest loss: below that it is zero, and a fit that runs there is flagged
            as on a bound).
        default_objective: objective used when ``fit`` is given none.
        formula, reference: for docs and summaries.
        inverse: optional closed form ``(P, target) -> x``: the input (compute ``C`` for a
            two-input law with an allocation) at which the law reaches ``target``, ``P`` the public
            parameters as a dict of arrays broadcasting over replicates. Where no finite input
            reaches the target it returns ``inf`` (never NaN); see :data:`UNREACHABLE`.
        inverse_input: the name of the input ``inverse`` solves for (default: the law's one input,
            which a law without a closed form is inverted in by bisection).
        allocation: optional closed form ``(P, C) -> (N, D)``: the compute-optimal split of
            ``C = 6 N D``.
        check_inputs: optional ``(inputs, columns, index) -> None`` plausibility check of a table's
            inputs (e.g. chinchilla's "N and D look swapped"), raising ``InputError``.
        group_grid, group_data_bounds: optional batched forms of ``grid`` and ``data_bounds`` for
            many data sets at once: ``(F [G, n, k], y_fit [G, n], used [G, n]) -> [G, K, p]``
            (and ``-> (lower [G, p], upper [G, p])``), looking only at the rows where ``used``.
            Grouped fits (:mod:`scalinglaws.group_solve`) set up every group in one call with
            them instead of a Python call per group. The built-in laws define ``grid`` as
            ``group_grid`` on one data set (:func:`one_group`), so both give the same points.
        point_starts: how many of the best grid points a fit starts from when not told (32).
        race_starts: whether the solver races a fit's starts by default
            (:class:`~scalinglaws.solvers.SolverConfig` ``abandon_ratio``). A law whose wrong
            local optima converge fast while the right start is still far behind (the broken
            power law on smooth curves) turns it off.
    """

    name: str
    params: tuple[str, ...]
    transforms: tuple[str, ...]
    inputs: tuple[str, ...]
    target: str
    space: str
    fit_fn: Callable
    grid: Callable
    log_inputs: bool = True
    lower: tuple[float, ...] | None = None
    upper: tuple[float, ...] | None = None
    jacobian: Callable | None = None
    curvature: Callable | None = None
    curvature_parts: Callable | None = None
    data_bounds: Callable | None = None
    default_objective: object = None
    formula: str = ""
    reference: str = ""
    inverse: Callable | None = None
    inverse_input: str | None = None
    allocation: Callable | None = None
    check_inputs: Callable | None = None
    group_grid: Callable | None = None
    group_data_bounds: Callable | None = None
    point_starts: int = 32
    race_starts: bool = True

    def __post_init__(self):
        p = len(self.params)
        if len(self.transforms) != p:
            raise ValueError(f"law {self.name!r}: {p} params but {len(self.transforms)} transforms")
        bad = [t for t in self.transforms if t not in ("log", "identity")]
        if bad:
            raise ValueError(f"law {self.name!r}: unknown transform(s) {bad}; use 'log' or 'identity'")
        if self.space not in ("log", "linear"):
            raise ValueError(f"law {self.name!r}: space must be 'log' or 'linear', got {self.space!r}")
        object.__setattr__(self, "lower", tuple(self.lower) if self.lower else (-np.inf,) * p)
        object.__setattr__(self, "upper", tuple(self.upper) if self.upper else (np.inf,) * p)
        if self.inverse_input is None and len(self.inputs) == 1:
            object.__setattr__(self, "inverse_input", self.inputs[0])
        if self.inverse is not None and self.inverse_input is None:
            raise ValueError(f"law {self.name!r}: an inverse of a law with several inputs needs inverse_input")
        if self.default_objective is None:
            obj = _objectives.Huber(1e-3) if self.space == "log" else _objectives.LeastSquares()
            object.__setattr__(self, "default_objective", obj)

    @property
    def has_allocation(self) -> bool:
        """Whether the law splits compute ``C = 6 N D`` between two inputs in closed form."""
        return self.allocation is not None and len(self.inputs) == 2

    # ----------------------------------------------------------------- parameter transforms
    @property
    def n_params(self) -> int:
        return len(self.params)

    @property
    def mixed_params(self) -> tuple[str, ...]:
        """Public parameters that are not one fitted parameter but a combination of several
        (:class:`~scalinglaws.laws.broken.BrokenLaw`'s slope changes): they cannot be bounded,
        fixed, tied or shared."""
        return ()

    @property
    def internal_names(self) -> tuple[str, ...]:
        return tuple(f"log_{n}" if t == "log" else n for n, t in zip(self.params, self.transforms))

    def _log_mask(self):
        return np.array([t == "log" for t in self.transforms])

    def to_public(self, theta):
        """Internal vector(s) ``[..., p]`` -> public values ``[..., p]`` (numpy or JAX)."""
        xp = jnp if isinstance(theta, jax.Array) else np
        theta = xp.asarray(theta)
        mask = self._log_mask()
        # exp of the log-fitted entries only: an identity parameter's huge bound is not a log
        return xp.where(mask, xp.exp(xp.where(mask, theta, 0.0)), theta)

    def _public_vector(self, values) -> np.ndarray:
        """Public parameters, a mapping by name or a sequence in ``params`` order -> [..., p]."""
        if isinstance(values, Mapping):
            missing = [n for n in self.params if n not in values]
            if missing:
                raise KeyError(f"law {self.name!r} needs parameters {list(self.params)}; missing {missing}")
            values = [values[n] for n in self.params]
        v = np.asarray(values, dtype=np.float64)
        if v.shape[-1] != self.n_params:
            raise ValueError(f"law {self.name!r} has {self.n_params} parameters, got {v.shape[-1]} values")
        return v

    def from_public(self, values) -> np.ndarray:
        """Public parameters (a mapping by name, or a sequence in ``params`` order) -> internal."""
        v = self._public_vector(values)
        mask = self._log_mask()
        lo = np.array(self.lower, dtype=np.float64)
        below = (~mask) & np.isfinite(lo) & np.any(np.atleast_2d(v) < lo, axis=0)
        if below.any():
            bad = {n: float(lo[j]) for j, n in enumerate(self.params) if below[j]}
            raise ValueError(f"law {self.name!r}: parameters below their lower bounds {bad}")
        if np.any(v[..., mask] <= 0):
            bad = [n for n, m, x in zip(self.params, mask, np.atleast_2d(v).T) if m and np.any(x <= 0)]
            raise ValueError(f"law {self.name!r}: parameters {bad} must be positive (fitted as logs)")
        with np.errstate(divide="ignore"):
            return np.where(mask, np.log(np.where(mask, v, 1.0)), v)

    @property
    def public_names(self) -> tuple[str, ...]:
        """Every parameter a result reports: ``params`` (a tied law adds its tied ones)."""
        return self.params

    def public_values(self, theta) -> np.ndarray:
        """Internal ``[..., p]`` -> public values ``[..., len(public_names)]`` (numpy)."""
        return np.asarray(self.to_public(np.asarray(theta, dtype=np.float64)))

    @property
    def public_transforms(self) -> tuple[str, ...]:
        """The transform of each of ``public_names`` (``"log"``: a positive parameter)."""
        return self.transforms

    def public_jacobian(self, theta) -> np.ndarray:
        """``d public_values / d theta`` [..., len(public_names), p] (numpy): the public value of a
        log-fitted parameter on the diagonal, 1 for the others."""
        theta = np.asarray(theta, dtype=np.float64)
        d = np.where(self._log_mask(), self.public_values(theta), 1.0)
        return d[..., :, None] * np.eye(self.n_params)

    def public_source(self) -> np.ndarray:
        """For each of ``public_names``, the index in ``params`` it follows (itself, or its tie's
        source): bounds and flags of a tied parameter are its source's."""
        return np.arange(self.n_params)

    def params_dict(self, theta) -> dict[str, float]:
        """Internal vector -> ``{public name: float}``."""
        pub = np.asarray(self.to_public(np.asarray(theta, dtype=np.float64)))
        return {n: float(x) for n, x in zip(self.params, pub)}

    # ----------------------------------------------------------------- features and prediction
    def features(self, inputs: Mapping[str, np.ndarray]) -> np.ndarray:
        """Stack input columns into the [n, k] feature matrix the law reads (logs if ``log_inputs``).

        Callers validate positivity first (see :mod:`scalinglaws.inputs`); this only transforms.
        """
        cols = [np.asarray(inputs[c], dtype=np.float64).reshape(-1) for c in self.inputs]
        F = np.stack(cols, axis=-1)
        return np.log(F) if self.log_inputs else F

    def predict(self, params, **inputs) -> np.ndarray:
        """Evaluate the law in natural units for public ``params`` (a dict) at the given inputs.

        Inputs broadcast against each other: ``law.predict(p, N=[1e9, 1e10], D=2e11)``.
        """
        values, shape = self.checked_inputs(inputs)
        F = self.features(values)
        out = self.evaluate(self.from_public(params), F)
        if self.space == "log":
            out = np.exp(out)
        return out.reshape(shape)

    def checked_inputs(self, inputs) -> tuple[dict[str, np.ndarray], tuple]:
        """``({input: float64 array}, shape)``: the law's inputs broadcast to one shape, each
        numeric, finite, and > 0 where the law takes its log. Every refusal names the input (a
        NaN input would give a NaN prediction, and a NaN band, without a word)."""
        missing = [c for c in self.inputs if c not in inputs]
        if missing:
            raise KeyError(f"law {self.name!r} needs inputs {list(self.inputs)}; missing {missing}")
        arrays = []
        for c in self.inputs:
            try:
                arrays.append(np.asarray(inputs[c], dtype=np.float64))
            except (TypeError, ValueError):
                raise ValueError(f"input {c!r} must be numbers, got {inputs[c]!r}") from None
        try:
            arrays = np.broadcast_arrays(*arrays)
        except ValueError:
            shapes = ", ".join(f"{c} {a.shape}" for c, a in zip(self.inputs, arrays))
            raise ValueError(f"inputs of shapes {shapes} do not broadcast to one shape: give each input one value "
                             "or arrays of the same shape") from None
        for c, a in zip(self.inputs, arrays):
            bad = np.flatnonzero(~np.isfinite(a))
            if bad.size:
                raise ValueError(f"input {c!r} must be finite: position {int(bad[0])} is {a.ravel()[bad[0]]}")
            if self.log_inputs and np.any(a <= 0):
                raise ValueError(f"input {c!r} must be > 0: law {self.name!r} takes its log")
        return dict(zip(self.inputs, arrays)), arrays[0].shape

    def evaluate(self, theta, F) -> np.ndarray:
        """numpy in, numpy out: the fit-space prediction at feature rows ``F`` [m, k], compiled
        once per row bucket (op-by-op dispatch would compile every primitive for every new size)."""
        F = np.asarray(F, dtype=np.float64)
        m = F.shape[0]
        pad = bucket_points(m) - m
        if pad:
            F = np.concatenate([F, np.repeat(F[:1], pad, axis=0)])
        out = _fit_space(self, np.asarray(theta, dtype=np.float64), F)  # numpy in: jit moves it, cheaply
        return np.asarray(out)[:m]

    def predict_natural(self, theta, F):
        """JAX: prediction in natural units for internal ``theta``."""
        out = self.fit_fn(theta, F)
        return jnp.exp(out) if self.space == "log" else out

    def value_and_jacobian(self, theta, F):
        """``(pred [n], J [n, p])`` in fit space; analytic where the law provides it."""
        if self.jacobian is not None:
            return self.jacobian(theta, F)
        pred = self.fit_fn(theta, F)
        J = jax.jacfwd(self.fit_fn)(theta, F)
        return pred, J

    def curvature_term(self, theta, F, c):
        """``sum_i c_i * d^2 pred_i / d theta^2`` (the second-order part of the exact Hessian)."""
        if self.curvature is not None:
            return self.curvature(theta, F, c)
        return jax.hessian(lambda t: jnp.dot(c, self.fit_fn(t, F)))(theta)

    def bounds(self, F=None, y_fit=None) -> tuple[np.ndarray, np.ndarray]:
        """Internal (lower, upper) bounds, tightened by ``data_bounds`` when data is given."""
        lo, hi = np.array(self.lower, dtype=np.float64), np.array(self.upper, dtype=np.float64)
        if self.data_bounds is not None and F is not None and len(y_fit):
            dlo, dhi = self.data_bounds(np.asarray(F), np.asarray(y_fit))
            lo, hi = np.maximum(lo, dlo), np.minimum(hi, dhi)
        return lo, hi

    def start_grid(self, F, y_fit) -> np.ndarray:
        """Internal start points ``[G, p]`` for data ``F`` (features) and fit-space targets."""
        g = np.asarray(self.grid(np.asarray(F), np.asarray(y_fit)), dtype=np.float64)
        if g.ndim != 2 or g.shape[1] != self.n_params:
            raise ValueError(f"law {self.name!r}: start grid must be [G, {self.n_params}], got {g.shape}")
        lo, hi = self.bounds(F, y_fit)
        return np.clip(g, lo, hi)

    @property
    def sets_up_in_batch(self) -> bool:
        """Whether the law gives start grids and data bounds for many data sets in one call."""
        return self.group_grid is not None and (self.data_bounds is None or self.group_data_bounds is not None)

    def bounds_by_group(self, F, y_fit, used) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`bounds` of every data set at once: ``F`` [G, n, k], ``y_fit``, ``used`` [G, n]
        -> internal (lower, upper) [G, p]."""
        G = F.shape[0]
        lo = np.broadcast_to(np.array(self.lower, dtype=np.float64), (G, self.n_params)).copy()
        hi = np.broadcast_to(np.array(self.upper, dtype=np.float64), (G, self.n_params)).copy()
        if self.data_bounds is not None:
            dlo, dhi = self.group_data_bounds(F, y_fit, used)
            lo, hi = np.maximum(lo, dlo), np.minimum(hi, dhi)
        return lo, hi

    def start_grids(self, F, y_fit, used) -> np.ndarray:
        """:meth:`start_grid` of every data set at once: [G, K, p], clipped to each one's bounds."""
        g = np.asarray(self.group_grid(F, y_fit, used), dtype=np.float64)
        if g.ndim != 3 or g.shape[0] != F.shape[0] or g.shape[2] != self.n_params:
            raise ValueError(f"law {self.name!r}: group start grids must be [{F.shape[0]}, K, {self.n_params}], "
                             f"got {g.shape}")
        lo, hi = self.bounds_by_group(F, y_fit, used)
        return np.minimum(np.maximum(g, lo[:, None, :]), hi[:, None, :])  # np.clip, faster when broadcast

    def __repr__(self):
        return f"Law({self.name!r}: {self.formula or ', '.join(self.params)})"


@functools.partial(jax.jit, static_argnames=("law",))
def _fit_space(law, theta, F):
    return law.fit_fn(theta, F)


def group_min(a, used) -> np.ndarray:
    """Minimum over the last axis of ``a`` [..., n] among the entries where ``used``."""
    return np.min(np.where(used, a, np.inf), axis=-1)


def group_max(a, used) -> np.ndarray:
    """Maximum over the last axis among the entries where ``used``."""
    return np.max(np.where(used, a, -np.inf), axis=-1)


def group_median(a, used) -> np.ndarray:
    """Median over the last axis among the entries where ``used``: ``np.median`` of each row's
    used entries (the mean of the two middle ones for an even count)."""
    s = np.sort(np.where(used, a, np.inf), axis=-1)
    n = np.sum(used, axis=-1)
    take = lambda i: np.take_along_axis(s, np.maximum(i, 0)[..., None], axis=-1)[..., 0]  # noqa: E731
    return (take((n - 1) // 2) + take(n // 2)) / 2


def one_group(batched: Callable) -> Callable:
    """A ``group_grid`` or ``group_data_bounds`` as the single-data-set ``grid`` or ``data_bounds``
    (every row used): one definition serves the point fit and the grouped fit alike."""

    def single(F, y_fit):
        F, y_fit = np.asarray(F), np.asarray(y_fit)
        out = batched(F[None], y_fit[None], np.ones((1, len(y_fit)), dtype=bool))
        return tuple(o[0] for o in out) if isinstance(out, tuple) else out[0]

    return single


def constant_grid(points: Callable[[], np.ndarray]) -> Callable:
    """A ``group_grid`` that gives every data set the same start points ``points()`` [K, p]."""

    def grids(F, y_fit, used):
        g = np.asarray(points(), dtype=np.float64)
        return np.broadcast_to(g, (F.shape[0],) + g.shape)

    return grids


def product_grid(spec: Mapping[str, Sequence[float]], names: Sequence[str]) -> np.ndarray:
    """The product of per-parameter value lists, ``[G, p]`` in ``names`` order (public units)."""
    missing = [n for n in names if n not in spec]
    if missing:
        raise KeyError(f"start grid needs values for every parameter; missing {missing}")
    return np.array(list(itertools.product(*[np.atleast_1d(np.asarray(spec[n], float)) for n in names])))
