"""Functional forms of scaling laws.

A :class:`Law` is a pure JAX function of an internal parameter vector ``theta`` and a feature
matrix ``F`` (one row per data point), plus everything the solver needs around it: parameter
names and transforms (amplitudes are fitted as logs), input columns, which of them must be
positive, bounds, a start grid, and, where it pays, an analytic Jacobian and curvature.

Two fit spaces:

- ``space="log"`` (losses, y > 0): the law returns ``log y_hat`` and residuals are
  ``log y_hat - log y``. Sums of power laws are written in LogSumExp form, as Hoffmann et al.
  (2022, arXiv:2203.15556) do: ``log(E + A N^-alpha) = LSE(log E, log A - alpha log N)``.
- ``space="linear"`` (bounded metrics: pass rates, Elo): the law returns ``y_hat``.

Built-in laws (``get(name)``):

======================  ==========================================================  ==============================
name                    form                                                        parameters
======================  ==========================================================  ==============================
``power``               y = E + A x^-alpha                                          E, A, alpha
``chinchilla``          L = E + A N^-alpha + B D^-beta                              E, A, B, alpha, beta
``loglinear``           y = a + b log10 x                                           a, b
``sigmoid``             y = R0 + (A - R0) / (1 + (C_mid / x)^B)                     R0, A, C_mid, B
``data_constrained``    Muennighoff et al. (2023, arXiv:2305.16264), see below      E, A, B, alpha, beta,
                                                                                    R_D_star, R_N_star
``error_from_loss``     y = eps - k exp(-gamma L) (Gadre et al. 2024): benchmark    eps, k, gamma
                        top-1 error from pre-training loss L
======================  ==========================================================  ==============================
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from . import objectives as _objectives
from .buckets import bucket_points
from .inputs import check_at_most, check_not_swapped

__all__ = ["Law", "get", "register", "available", "custom"]

LN10 = math.log(10.0)


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
    extras: Mapping = field(default_factory=dict)

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
        if self.default_objective is None:
            obj = _objectives.Huber(1e-3) if self.space == "log" else _objectives.LeastSquares()
            object.__setattr__(self, "default_objective", obj)

    # ----------------------------------------------------------------- parameter transforms
    @property
    def n_params(self) -> int:
        return len(self.params)

    @property
    def internal_names(self) -> tuple[str, ...]:
        return tuple(f"log_{n}" if t == "log" else n for n, t in zip(self.params, self.transforms))

    def _log_mask(self):
        return np.array([t == "log" for t in self.transforms])

    def to_public(self, theta):
        """Internal vector(s) ``[..., p]`` -> public values ``[..., p]`` (numpy or JAX)."""
        xp = jnp if isinstance(theta, jax.Array) else np
        theta = xp.asarray(theta)
        return xp.where(self._log_mask(), xp.exp(theta), theta)

    def from_public(self, values) -> np.ndarray:
        """Public parameters (a mapping by name, or a sequence in ``params`` order) -> internal."""
        if isinstance(values, Mapping):
            missing = [n for n in self.params if n not in values]
            if missing:
                raise KeyError(f"law {self.name!r} needs parameters {list(self.params)}; missing {missing}")
            values = [values[n] for n in self.params]
        v = np.asarray(values, dtype=np.float64)
        if v.shape[-1] != self.n_params:
            raise ValueError(f"law {self.name!r} has {self.n_params} parameters, got {v.shape[-1]} values")
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

    def params_dict(self, theta) -> dict[str, float]:
        """Internal vector -> ``{public name: float}``."""
        pub = np.asarray(self.to_public(np.asarray(theta, dtype=np.float64)))
        return {n: float(x) for n, x in zip(self.params, pub)}

    # ----------------------------------------------------------------- features and prediction
    def features(self, inputs: Mapping[str, np.ndarray]) -> np.ndarray:
        """Stack input columns into the [n, k] feature matrix the law reads (logs if ``log_inputs``).

        Callers validate positivity first (see ``validation``); this only transforms.
        """
        cols = [np.asarray(inputs[c], dtype=np.float64).reshape(-1) for c in self.inputs]
        F = np.stack(cols, axis=-1)
        return np.log(F) if self.log_inputs else F

    def predict(self, params, **inputs) -> np.ndarray:
        """Evaluate the law in natural units for public ``params`` (a dict) at the given inputs.

        Inputs broadcast against each other: ``law.predict(p, N=[1e9, 1e10], D=2e11)``.
        """
        missing = [c for c in self.inputs if c not in inputs]
        if missing:
            raise KeyError(f"law {self.name!r} needs inputs {list(self.inputs)}; missing {missing}")
        arrays = np.broadcast_arrays(*[np.asarray(inputs[c], dtype=np.float64) for c in self.inputs])
        shape = arrays[0].shape
        for c, a in zip(self.inputs, arrays):
            if not np.all(np.isfinite(a)):
                raise ValueError(f"input {c!r} must be finite")
            if self.log_inputs and np.any(a <= 0):
                raise ValueError(f"input {c!r} must be > 0: law {self.name!r} takes its log")
        F = self.features(dict(zip(self.inputs, arrays)))
        out = self.evaluate(self.from_public(params), F)
        if self.space == "log":
            out = np.exp(out)
        return out.reshape(shape)

    def evaluate(self, theta, F) -> np.ndarray:
        """numpy in, numpy out: the fit-space prediction at feature rows ``F`` [m, k], compiled
        once per row bucket (op-by-op dispatch would compile every primitive for every new size)."""
        F = np.asarray(F, dtype=np.float64)
        m = F.shape[0]
        pad = bucket_points(m) - m
        if pad:
            F = np.concatenate([F, np.repeat(F[:1], pad, axis=0)])
        out = _fit_space(self, jnp.asarray(theta, dtype=jnp.float64), jnp.asarray(F))
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

    def __repr__(self):
        return f"Law({self.name!r}: {self.formula or ', '.join(self.params)})"


@functools.partial(jax.jit, static_argnames=("law",))
def _fit_space(law, theta, F):
    return law.fit_fn(theta, F)


# --------------------------------------------------------------------------------------------
# LogSumExp of affine terms: log y = LSE_t u_t with u_t = theta[c_t] - theta[s_t] * F[:, k_t], or
# u_t = log theta[c_t] for a term whose amplitude is fitted linearly (the irreducible loss E).
# Covers `power` (terms {log E}, {log A - alpha log x}) and `chinchilla`. Analytic Jacobian and
# curvature: with softmax weights P_t, d log y / d theta = sum_t P_t du_t/dtheta and the Hessian
# is M^T (diag P - P P^T) M + sum_t P_t Hess(u_t), M the (terms x params) matrix of du_t/dtheta.
#
# Why E is linear and not a log: when the data prefer E -> 0 (a second term standing in for the
# constant: OPT's B D^-beta with beta 0.06), log E runs off towards -inf and the solver crawls
# after it; measured on the 142 OPT checkpoints, 628 iterations to reach the floor in log E, 164 in
# E, and 52% against 0% of 200 bootstrap replicates at the 200-iteration cap. In E the floor is an
# ordinary bound, met by projection. Amplitudes A, B stay logs: they span many decades.
# --------------------------------------------------------------------------------------------
LINEAR = "linear"
"""Marks an LSE term ``(c, None, LINEAR)`` whose amplitude ``theta[c]`` is positive and linear."""


def _lse_terms(theta, F, terms):
    u = []
    for c, s, k in terms:
        ut = jnp.broadcast_to(jnp.log(theta[c]) if k == LINEAR else theta[c], F.shape[:1])
        if s is not None:
            ut = ut - theta[s] * F[:, k]
        u.append(ut)
    return u  # T arrays of [n]


def _log_sum_exp(u):
    """(log-sum-exp, list of softmax weights) of a list of [n] arrays.

    Kept as a list with pairwise max/sum: a stacked [T, n] array reduced over its first axis
    runs 5x slower under vmap on the CPU.
    """
    m = functools.reduce(jnp.maximum, u)
    ex = [jnp.exp(ut - m) for ut in u]
    s = functools.reduce(jnp.add, ex)
    inv = 1.0 / s
    return m + jnp.log(s), [e * inv for e in ex]


def _lse_softmax(theta, F, terms):
    """(log-sum-exp, list of softmax weights) of the affine terms."""
    return _log_sum_exp(_lse_terms(theta, F, terms))


def _assembler(p, places):
    """``assemble(sums)`` for curvature parts: ``sums[q]`` added at every ``(i, j)`` of ``places[q]``."""

    def assemble(sums):
        H = jnp.zeros((p, p), dtype=sums[0].dtype if sums else jnp.result_type(float))
        for total, where in zip(sums, places):
            for i, j in where:
                H = H.at[i, j].add(total)
        return H

    return assemble


def _lse_fn(terms):
    def fn(theta, F):
        # Hand-written rather than jax.nn.logsumexp, whose inf handling costs 4x on the CPU.
        return _lse_softmax(theta, F, terms)[0]

    return fn


def _lse_jacobian(terms, p):
    def jac(theta, F):
        pred, P = _lse_softmax(theta, F, terms)
        cols = [jnp.zeros_like(pred) for _ in range(p)]
        for t, (c, sl, k) in enumerate(terms):
            # E held at exactly 0 (fixed={"E": 0}) has P = 0: its column is 0, not 0/0.
            lin = P[t] / jnp.where(theta[c] > 0, theta[c], 1.0)
            cols[c] = cols[c] + (lin if k == LINEAR else P[t])
            if sl is not None:
                cols[sl] = cols[sl] - P[t] * F[:, k]
        return pred, jnp.stack(cols, axis=-1)

    return jac


def _lse_curvature_parts(terms, p):
    # sum_i c_i M_i^T diag(P_i) M_i: for each term, entries [int, int] += c P, [int, exp] -= c P x,
    # [exp, exp] += c P x^2 (M is sparse: each term touches its intercept and one exponent).
    # A linear amplitude adds nothing: its M^T diag(P) M entry P / E^2 cancels P Hess(log E) = -P / E^2.
    def parts(theta, F):
        _, P = _lse_softmax(theta, F, terms)
        cols, places = [], []
        for t, (ci, sl, k) in enumerate(terms):
            if k == LINEAR:
                continue
            cols.append(P[t])
            places.append(((ci, ci),))
            if sl is not None:
                x = F[:, k]
                cols.append(-P[t] * x)
                places.append(((ci, sl), (sl, ci)))
                cols.append(P[t] * x * x)
                places.append(((sl, sl),))
        return cols, _assembler(p, places)

    return parts


def _curvature_from_parts(parts, jacobian):
    """Dense ``sum_i c_i Hessian(pred_i)`` from a law's ``curvature_parts``."""

    def curv(theta, F, c):
        cols, assemble = parts(theta, F)
        _, J = jacobian(theta, F)
        return assemble([jnp.sum(c * k) for k in cols]) - (J * c[:, None]).T @ J

    return curv


def _irreducible_floor(p, index=0, ratio=1e-6):
    """Data bounds: E >= ratio * min y (E linear; log y is the fit-space target of loss laws).
    Below the floor E is indistinguishable from 0, and a fit that ends there is flagged on it."""

    def bounds(F, y_fit):
        lo = np.full(p, -np.inf)
        lo[index] = ratio * math.exp(float(np.min(y_fit)))
        return lo, np.full(p, np.inf)

    return bounds


def _lse_functions(terms, p) -> dict:
    """The fit function, analytic Jacobian and curvature of an LSE-of-affine-terms law."""
    parts = _lse_curvature_parts(terms, p)
    return {"fit_fn": _lse_fn(terms), "jacobian": _lse_jacobian(terms, p),
            "curvature": _curvature_from_parts(parts, _lse_jacobian(terms, p)), "curvature_parts": parts}


# --------------------------------------------------------------------------------------------
# Closed forms, on public parameters given as dicts of numpy arrays (broadcasting over replicates).
# An "inverse" returns the input that reaches a target, NaN where no input does; an "allocation"
# returns the compute-optimal (N, D) for compute C.
# --------------------------------------------------------------------------------------------
def _power_inverse(P, target):
    """x with E + A x^-alpha = target: x = (A / (target - E))^(1/alpha); none if target <= E."""
    E, A, alpha = P["E"], P["A"], P["alpha"]
    gap = target - E
    ok = (gap > 0) & (alpha > 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        x = np.exp(np.log(A / np.where(ok, gap, 1.0)) / np.where(ok, alpha, 1.0))
    return np.where(ok, x, np.nan)


def chinchilla_allocation(P, C):
    """Compute-optimal N, D for C = 6 N D (Hoffmann et al. 2022, eq. 4):
    N_opt = G (C/6)^(beta/(alpha+beta)), D_opt = C / (6 N_opt), G = (alpha A / (beta B))^(1/(alpha+beta))."""
    A, B, alpha, beta = P["A"], P["B"], P["alpha"], P["beta"]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        G = (alpha * A / (beta * B)) ** (1.0 / (alpha + beta))
        N = G * (C / 6.0) ** (beta / (alpha + beta))
    return N, C / (6.0 * N)


def _chinchilla_inverse(P, target):
    """Compute C whose compute-optimal loss is ``target``.

    At the optimum L(C) = E + K (C/6)^-gamma with gamma = alpha beta / (alpha + beta) and
    K = A G^-alpha + B G^beta, so C = 6 (K / (target - E))^(1/gamma); none if target <= E.
    """
    E, A, B, alpha, beta = P["E"], P["A"], P["B"], P["alpha"], P["beta"]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        G = (alpha * A / (beta * B)) ** (1.0 / (alpha + beta))
        K = A * G**-alpha + B * G**beta
        gamma = alpha * beta / (alpha + beta)
        gap = target - E
        ok = (gap > 0) & (gamma > 0) & np.isfinite(K)
        C = 6.0 * np.exp(np.log(K / np.where(ok, gap, 1.0)) / np.where(ok, gamma, 1.0))
    return np.where(ok, C, np.nan)


def _loglinear_inverse(P, target):
    """x = 10^((target - a) / b); none if b = 0."""
    a, b = P["a"], P["b"]
    ok = b != 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        x = 10.0 ** ((target - a) / np.where(ok, b, 1.0))
    return np.where(ok & np.isfinite(x), x, np.nan)


def _sigmoid_inverse(P, target):
    """x = C_mid (s / (1 - s))^(1/B) with s = (target - R0) / (A - R0), the share of the way from
    the start level R0 to the ceiling A.

    A target at or beyond the ceiling (s >= 1) is unreachable: ``inf`` (no finite compute gets
    there; ``compute_for`` reports it as not reachable, and ``capex`` prices it as infinite). A
    target at or before the start level (s <= 0) is met with no compute: ``0``. NaN only for a
    degenerate curve (B <= 0 or A = R0: flat). Either direction works (A < R0: a falling curve).
    """
    R0, A, C_mid, B = P["R0"], P["A"], P["C_mid"], P["B"]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        s = (target - R0) / (A - R0)
        live = (B > 0) & (A != R0) & np.isfinite(s)
        ok = live & (s > 0) & (s < 1)
        x = C_mid * np.exp(np.log(np.where(ok, s / (1 - s), 1.0)) / np.where(ok, B, 1.0))
    x = np.where(live & (s >= 1), np.inf, x)
    x = np.where(live & (s <= 0), 0.0, x)
    return np.where(live, x, np.nan)


# --------------------------------------------------------------------------------------------
# power: y = E + A x^-alpha
# --------------------------------------------------------------------------------------------
_POWER_TERMS = ((0, None, LINEAR), (1, 2, 0))  # (log E), (log A - alpha log x)
EXPONENT_MAX = 10.0
"""Upper bound on power-law exponents: past it a term is a step between neighbouring sizes (three
model sizes let alpha run to 30-3000 with A overflowing to inf), so the fit ends on the bound and
is flagged rather than reporting an amplitude of 1e300."""


def _power_grid(F, y):
    lx = F[:, 0]
    lx_mid = float(np.median(lx))
    ymin = float(np.min(np.exp(y)))
    ymed = float(np.median(np.exp(y)))
    rows = []
    for alpha in (0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5):
        for frac in (0.01, 0.3, 0.6, 0.8, 0.9, 0.97):
            E = frac * ymin
            for shift in (-1.0, 0.0, 1.0):
                a = math.log(max(ymed - E, 1e-12 * ymed)) + alpha * lx_mid + shift
                rows.append((E, a, alpha))
    return np.array(rows)


def _make_power() -> Law:
    terms = _POWER_TERMS
    return Law(
        name="power",
        params=("E", "A", "alpha"),
        transforms=("identity", "log", "identity"),
        lower=(0.0, -np.inf, -np.inf),
        upper=(np.inf, np.inf, EXPONENT_MAX),
        inputs=("C",),
        target="loss",
        space="log",
        **_lse_functions(terms, 3),
        data_bounds=_irreducible_floor(3),
        grid=_power_grid,
        extras={"inverse": _power_inverse},
        formula="y = E + A * x^-alpha",
        reference="Kaplan et al. 2020, arXiv:2001.08361; Hoffmann et al. 2022, arXiv:2203.15556",
    )


# --------------------------------------------------------------------------------------------
# chinchilla: L = E + A N^-alpha + B D^-beta
# --------------------------------------------------------------------------------------------
# theta = (E, log A, log B, alpha, beta); F = (log N, log D)
_CHINCHILLA_TERMS = ((0, None, LINEAR), (1, 3, 0), (2, 4, 1))


def chinchilla_grid() -> np.ndarray:
    """Hoffmann et al.'s 4,500-point start grid in internal units (see ``_chinchilla_grid``); a copy."""
    return _chinchilla_grid().copy()


@functools.lru_cache(maxsize=1)
def _chinchilla_grid() -> np.ndarray:
    """Hoffmann et al.'s grid as used by Besiroglu et al.: alpha, beta in {0, 0.5, ..., 2},
    e = log E in {-1, -0.5, ..., 1}, a, b in {0, 5, ..., 25}; 4,500 internal points (E, log A,
    log B, alpha, beta)."""
    alphas = np.arange(0.0, 2.01, 0.5)
    es = np.arange(-1.0, 1.01, 0.5)
    abs_ = np.arange(0.0, 25.01, 5.0)
    rows = [(math.exp(e), a, b, al, be) for al, be, e, a, b in itertools.product(alphas, alphas, es, abs_, abs_)]
    return np.array(rows, dtype=np.float64)


def _make_chinchilla() -> Law:
    terms = _CHINCHILLA_TERMS
    return Law(
        name="chinchilla",
        params=("E", "A", "B", "alpha", "beta"),
        transforms=("identity", "log", "log", "identity", "identity"),
        lower=(0.0, -np.inf, -np.inf, -np.inf, -np.inf),
        upper=(np.inf, np.inf, np.inf, EXPONENT_MAX, EXPONENT_MAX),
        inputs=("N", "D"),
        target="loss",
        space="log",
        **_lse_functions(terms, 5),
        data_bounds=_irreducible_floor(5),
        grid=lambda F, y: chinchilla_grid(),
        extras={
            "check_inputs": check_not_swapped("N", "D", "language-model runs see more tokens than parameters"),
            "allocation": chinchilla_allocation,
            "inverse": _chinchilla_inverse,
            "inverse_input": "C",
        },
        formula="L = E + A * N^-alpha + B * D^-beta",
        reference="Hoffmann et al. 2022, arXiv:2203.15556 (Approach 3); Besiroglu et al. 2024, arXiv:2404.10102",
    )


# --------------------------------------------------------------------------------------------
# loglinear: y = a + b log10 x
# --------------------------------------------------------------------------------------------
def _loglinear_fn(theta, F):
    return theta[0] + theta[1] * F[:, 0] / LN10


def _loglinear_jac(theta, F):
    pred = _loglinear_fn(theta, F)
    return pred, jnp.stack([jnp.ones_like(pred), F[:, 0] / LN10], axis=-1)


def _loglinear_curvature_parts(theta, F):
    # The law is linear in theta, so sum_i c_i Hess(pred_i) = 0. The parts contract is
    # assemble(c-weighted sums) - J^T diag(c) J = that, so assemble must give J^T diag(c) J
    # (returning zeros there made the Newton matrix J^T diag(w psi' - c) J: wrong wherever the
    # residuals are not small, and the solver then crawled to max_iter on, e.g., Elo data).
    x = F[:, 0] / LN10
    return [jnp.ones_like(x), x, x * x], lambda s: jnp.stack([jnp.stack([s[0], s[1]]), jnp.stack([s[1], s[2]])])


def _loglinear_grid(F, y):
    # Closed-form OLS is the optimum of the unweighted problem; the solver polishes for weights.
    X = np.stack([np.ones_like(F[:, 0]), F[:, 0] / LN10], axis=-1)
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    return np.array([coef, [float(np.mean(y)), 0.0]])


def _make_loglinear() -> Law:
    return Law(
        name="loglinear",
        params=("a", "b"),
        transforms=("identity", "identity"),
        inputs=("C",),
        target="y",
        space="linear",
        fit_fn=_loglinear_fn,
        jacobian=_loglinear_jac,
        curvature=lambda theta, F, c: jnp.zeros((2, 2), dtype=F.dtype),
        curvature_parts=_loglinear_curvature_parts,
        grid=_loglinear_grid,
        extras={"inverse": _loglinear_inverse},
        formula="y = a + b * log10(x)",
        reference="log-linear RL compute curves, e.g. Khatri et al. 2025 (ScaleRL), arXiv:2510.13786",
    )


# --------------------------------------------------------------------------------------------
# sigmoid (ScaleRL): y = R0 + (A - R0) / (1 + (C_mid / x)^B)
# --------------------------------------------------------------------------------------------
# theta = (R0, A, log C_mid, B); (C_mid / x)^B = exp(-B (log x - log C_mid)).
def _sigmoid_fn(theta, F):
    z = theta[3] * (F[:, 0] - theta[2])
    return theta[0] + (theta[1] - theta[0]) * jax.nn.sigmoid(z)


def _sigmoid_jac(theta, F):
    lx = F[:, 0]
    d = lx - theta[2]
    s = jax.nn.sigmoid(theta[3] * d)
    amp = theta[1] - theta[0]
    ds = s * (1.0 - s)
    pred = theta[0] + amp * s
    J = jnp.stack([1.0 - s, s, -amp * ds * theta[3], amp * ds * d], axis=-1)
    return pred, J


def _sigmoid_grid(F, y):
    lx = F[:, 0]
    lo, hi = float(np.min(lx)), float(np.max(lx))
    span = max(hi - lo, 1e-6)
    ymin, ymax = float(np.min(y)), float(np.max(y))
    yr = max(ymax - ymin, 1e-12)
    rows = []
    for R0 in (ymin - 0.1 * yr, ymin, ymin + 0.2 * yr):
        for A in (ymax, ymax + 0.25 * yr, ymax + yr):
            for q in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.5):
                for Bs in (1.0, 2.0, 4.0, 8.0, 16.0):
                    rows.append((R0, A, lo + q * span, Bs / span))
    return np.array(rows)


SIGMOID_REACH = 2.0
"""How far beyond the data the sigmoid's levels and midpoint may go, in multiples of the data's
range (of y for R0 and A, of log x for C_mid). With the data on one flank only, the curve can
otherwise slide off to infinity: the lower level R0 to -150 and C_mid to 1e-8 while the visible
flank stays a straight line in log x (obsscaling HellaSwag: 2.6% of replicates crawling to the
1,200-iteration cap). On the bound the fit converges and is flagged: the data do not identify it."""


def _sigmoid_bounds(F, y):
    lx = F[:, 0]
    lo_x, hi_x = float(np.min(lx)), float(np.max(lx))
    span = max(hi_x - lo_x, 1e-6)
    ymin, ymax = float(np.min(y)), float(np.max(y))
    yr = max(ymax - ymin, 1e-12 * max(abs(ymax), 1.0))
    k = SIGMOID_REACH
    lo = np.array([ymin - k * yr, ymin - k * yr, lo_x - k * span, -np.inf])
    hi = np.array([ymax + k * yr, ymax + k * yr, hi_x + k * span, np.inf])
    return lo, hi


def _make_sigmoid() -> Law:
    return Law(
        name="sigmoid",
        params=("R0", "A", "C_mid", "B"),
        transforms=("identity", "identity", "log", "identity"),
        inputs=("C",),
        target="y",
        space="linear",
        fit_fn=_sigmoid_fn,
        jacobian=_sigmoid_jac,
        grid=_sigmoid_grid,
        data_bounds=_sigmoid_bounds,
        extras={"inverse": _sigmoid_inverse},
        lower=(-np.inf, -np.inf, -np.inf, 0.0),
        formula="y = R0 + (A - R0) / (1 + (C_mid / x)^B)",
        reference="Khatri et al. 2025, 'The Art of Scaling RL Compute' (ScaleRL), arXiv:2510.13786",
    )


# --------------------------------------------------------------------------------------------
# error_from_loss (Gadre et al. 2024): downstream top-1 error from pre-training loss
# y = eps - k exp(-gamma L)
# --------------------------------------------------------------------------------------------
# theta = (eps, log k, gamma); F = L itself (log_inputs=False: a loss is already a log quantity).
def _error_from_loss_fn(theta, F):
    return theta[0] - jnp.exp(theta[1] - theta[2] * F[:, 0])


def _error_from_loss_jac(theta, F):
    L = F[:, 0]
    e = jnp.exp(theta[1] - theta[2] * L)
    return theta[0] - e, jnp.stack([jnp.ones_like(e), -e, L * e], axis=-1)


def _error_from_loss_curvature(theta, F, c):
    # pred = eps - exp(u), u = log k - gamma L: Hess = -e [[0, 0, 0], [0, 1, -L], [0, -L, L^2]].
    L = F[:, 0]
    ce = c * jnp.exp(theta[1] - theta[2] * L)
    s0, s1, s2 = jnp.sum(ce), jnp.sum(ce * L), jnp.sum(ce * L * L)
    z = jnp.zeros((), dtype=F.dtype)
    return -jnp.stack([jnp.stack([z, z, z]), jnp.stack([z, s0, -s1]), jnp.stack([z, -s1, s2])])


def _error_from_loss_grid(F, y):
    """Variable projection: for each gamma on a log grid the law is linear in (eps, k), so solve
    that least-squares problem exactly; the starts are then the best (eps, k) per gamma. Works
    whatever the losses' range (L is centred before exponentiating) and the errors' scale."""
    L = F[:, 0]
    Lc = float(np.median(L))
    yr = max(float(np.ptp(y)), 1e-12)
    rows = []
    for gamma in np.geomspace(0.01, 30.0, 40):
        e = np.exp(-gamma * (L - Lc))  # k exp(-gamma L) = (k exp(-gamma Lc)) e
        X = np.stack([np.ones_like(e), -e], axis=-1)
        (eps, kc), *_ = np.linalg.lstsq(X, y, rcond=None)
        if not (np.isfinite(eps) and np.isfinite(kc)):
            continue
        kc = max(float(kc), 1e-6 * yr / max(float(np.max(e)), 1e-300))
        rows.append((float(eps), math.log(kc) + gamma * Lc, float(gamma)))
    ymax = float(np.max(y))
    for gamma in (0.3, 1.0, 3.0):  # data-free fallbacks: ceiling just above the data
        rows.append((ymax + 0.1 * yr, math.log(yr) + gamma * float(np.min(L)), gamma))
    return np.array(rows)


def _error_from_loss_inverse(P, target):
    """The loss at which the error equals ``target``: L = (log k - log(eps - target)) / gamma.
    NaN where no positive loss gives that error (target >= eps, the error at infinite loss, or
    target <= eps - k, the error at zero loss)."""
    eps, k, gamma = P["eps"], P["k"], P["gamma"]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        gap = eps - target
        ok = (gap > 0) & (gamma > 0)
        L = (np.log(k) - np.log(np.where(ok, gap, 1.0))) / np.where(ok, gamma, 1.0)
        ok = ok & np.isfinite(L) & (L > 0)
    return np.where(ok, L, np.nan)


def _make_error_from_loss() -> Law:
    return Law(
        name="error_from_loss",
        params=("eps", "k", "gamma"),
        transforms=("identity", "log", "identity"),
        inputs=("L",),
        target="error",
        space="linear",
        fit_fn=_error_from_loss_fn,
        jacobian=_error_from_loss_jac,
        curvature=_error_from_loss_curvature,
        grid=_error_from_loss_grid,
        log_inputs=False,
        # gamma = 0 is a flat line (eps - k everywhere): a fit that runs there is flagged on a bound.
        lower=(-np.inf, -np.inf, 0.0),
        extras={"inverse": _error_from_loss_inverse},
        formula="y = eps - k * exp(-gamma * L)",
        reference="Gadre et al. 2024, 'Language models scale reliably with over-training and on downstream "
                  "tasks', arXiv:2403.08540 (eq. 4: top-1 error from loss)",
    )


# --------------------------------------------------------------------------------------------
# data_constrained (Muennighoff et al. 2023, arXiv:2305.16264)
# --------------------------------------------------------------------------------------------
# theta = (E, log A, log B, alpha, beta, log R_D*, log R_N*); F = (log N, log D, log U).
# log L = LSE(u_E, u_N, u_D) with u_E = log E, u_N = a - alpha l_neff, u_D = b - beta l_deff, and
#   l_deff = log U + log(1 + q(R_D, R_D*)),   q(R, R*) = R* (1 - exp(-R / R*)),
#   l_neff = z + log(1 + q(exp(log N - z) - 1, R_N*))  where N > N_for(U) = exp(z), else log N,
#   z = log N_for(U) = (log alpha + a - log beta - b) / alpha + (beta / alpha) log U,
# the compute-optimal parameter count for U tokens under the Chinchilla allocation.
# The analytic Jacobian and curvature use, per term, its gradient g_t and Hessian H_t in theta:
# Hess(log L) = sum_t P_t (H_t + g_t g_t^T) - J J^T (P the softmax weights), so the curvature parts
# are the 18 nonzero entries of sum_t P_t (H_t + g_t g_t^T). Measured against jax.jacfwd and
# jax.hessian on the 182 datablations rows: see docs/performance.md.
_DC_E, _DC_A, _DC_B, _DC_ALPHA, _DC_BETA, _DC_RD, _DC_RN = range(7)


def _repetition(R, log_rstar):
    """``log(1 + q)`` with ``q = R* (1 - exp(-R / R*))`` (the repeated data's worth, in unique
    units), and its first and second derivatives in ``log R*`` and in ``R``: a dict."""
    rstar = jnp.exp(log_rstar)
    x = R / rstar
    eps = jnp.exp(-x)
    q = -rstar * jnp.expm1(-x)
    inv = 1.0 / (1.0 + q)
    q_r, q_rr = q - R * eps, q - R * eps - R * x * eps  # d/d log R*, d^2/d log R*^2
    q_R, q_RR, q_Rr = eps, -eps / rstar, eps * x  # d/dR, d^2/dR^2, d^2/dR d log R*
    return {"value": jnp.log1p(q), "inv": inv, "q_r": q_r, "q_rr": q_rr, "q_R": q_R, "q_RR": q_RR, "q_Rr": q_Rr}


def _data_constrained_terms(theta, F, second_order):
    """Per term t: ``u_t`` [n], its gradient ``{index: [n]}`` and (if ``second_order``) its
    upper-triangle Hessian ``{(i, j): [n]}``; u_E = log E is handled by the callers."""
    E, a, b, alpha, beta, lrd, lrn = (theta[i] for i in range(7))
    lN, lD, lU = F[:, 0], F[:, 1], F[:, 2]
    K = jnp.log(alpha) + a - jnp.log(beta) - b
    z = K / alpha + (beta / alpha) * lU
    excess = lN > z  # the model is larger than U tokens can use: its extra parameters repeat
    lUN = jnp.where(excess, z, lN)
    R_N = jnp.maximum(jnp.expm1(lN - lUN), 0.0)
    Rt = 1.0 + R_N
    rn = _repetition(R_N, lrn)
    rd = _repetition(jnp.maximum(jnp.expm1(lD - lU), 0.0), lrd)
    l_neff = lUN + rn["value"]
    l_deff = lU + rd["value"]
    u_N = a - alpha * l_neff
    u_D = b - beta * l_deff

    # l_deff depends on log R_D* only.
    hD = rd["q_r"] * rd["inv"]
    g_D = {_DC_B: jnp.ones_like(lN), _DC_BETA: -l_deff, _DC_RD: -beta * hD}

    # l_neff = phi(z, log R_N*) past the kink, log N before it; R_N = exp(lN - z) - 1, dR/dz = -Rt.
    inv = rn["inv"]
    q_z = -Rt * rn["q_R"]
    phi_z = jnp.where(excess, 1.0 + q_z * inv, 0.0)
    phi_r = jnp.where(excess, rn["q_r"] * inv, 0.0)
    z_grad = {_DC_A: 1.0 / alpha, _DC_B: -1.0 / alpha, _DC_ALPHA: (1.0 - K - beta * lU) / alpha**2,
              _DC_BETA: (lU - 1.0 / beta) / alpha}
    dl = {i: phi_z * gz for i, gz in z_grad.items()}
    dl[_DC_RN] = phi_r
    g_N = {i: -alpha * v for i, v in dl.items()}
    g_N[_DC_A] = g_N[_DC_A] + 1.0
    g_N[_DC_ALPHA] = g_N[_DC_ALPHA] - l_neff
    if not second_order:
        return (u_N, g_N, None), (u_D, g_D, None)

    q_zz = Rt * Rt * rn["q_RR"] + Rt * rn["q_R"]
    q_zr = -Rt * rn["q_Rr"]
    phi_zz = jnp.where(excess, q_zz * inv - (q_z * inv) ** 2, 0.0)
    phi_zr = jnp.where(excess, q_zr * inv - q_z * rn["q_r"] * inv**2, 0.0)
    phi_rr = jnp.where(excess, rn["q_rr"] * inv - (rn["q_r"] * inv) ** 2, 0.0)
    z_hess = {(_DC_A, _DC_ALPHA): -1.0 / alpha**2, (_DC_B, _DC_ALPHA): 1.0 / alpha**2,
              (_DC_ALPHA, _DC_ALPHA): (2.0 * K + 2.0 * beta * lU - 3.0) / alpha**3,
              (_DC_ALPHA, _DC_BETA): (1.0 / beta - lU) / alpha**2, (_DC_BETA, _DC_BETA): 1.0 / (beta**2 * alpha)}
    idx = sorted(z_grad)
    ddl = {}
    for ii, i in enumerate(idx):
        for j in idx[ii:]:
            ddl[(i, j)] = phi_zz * z_grad[i] * z_grad[j] + phi_z * z_hess.get((i, j), 0.0)
        ddl[(i, _DC_RN)] = phi_zr * z_grad[i]
    ddl[(_DC_RN, _DC_RN)] = phi_rr
    # u_N = a - alpha l_neff: Hessian -alpha ddl - (e_alpha dl^T + dl e_alpha^T).
    H_N = {ij: -alpha * v for ij, v in ddl.items()}
    for i, v in dl.items():
        ij = (min(i, _DC_ALPHA), max(i, _DC_ALPHA))
        H_N[ij] = H_N[ij] - (2.0 * v if i == _DC_ALPHA else v)
    # u_D = b - beta l_deff: d^2/dbeta dlrd = -hD, d^2/dlrd^2 = -beta hD'.
    hD2 = rd["q_rr"] * rd["inv"] - hD**2
    H_D = {(_DC_BETA, _DC_RD): -hD, (_DC_RD, _DC_RD): -beta * hD2}
    return (u_N, g_N, H_N), (u_D, g_D, H_D)


def _data_constrained_softmax(theta, F, second_order=False):
    (u_N, g_N, H_N), (u_D, g_D, H_D) = _data_constrained_terms(theta, F, second_order)
    value, P = _log_sum_exp([jnp.broadcast_to(jnp.log(theta[_DC_E]), u_N.shape), u_N, u_D])
    return value, P, ((g_N, H_N), (g_D, H_D))


def _data_constrained_fn(theta, F):
    return _data_constrained_softmax(theta, F)[0]


def _data_constrained_jac(theta, F):
    pred, P, ((g_N, _), (g_D, _)) = _data_constrained_softmax(theta, F)
    E = theta[_DC_E]
    cols = [jnp.zeros_like(pred) for _ in range(7)]
    cols[_DC_E] = P[0] / jnp.where(E > 0, E, 1.0)  # E held at 0: P = 0, a 0 column, not 0/0
    for Pt, g in ((P[1], g_N), (P[2], g_D)):
        for i, v in g.items():
            cols[i] = cols[i] + Pt * v
    return pred, jnp.stack(cols, axis=-1)


def _data_constrained_curvature_parts(theta, F):
    # log E adds nothing: its H + g g^T is -1/E^2 + 1/E^2.
    _, P, terms = _data_constrained_softmax(theta, F, second_order=True)
    K = {}
    for Pt, (g, H) in zip(P[1:], terms):
        keys = sorted(g)
        for ii, i in enumerate(keys):
            for j in keys[ii:]:
                v = g[i] * g[j] + H.get((i, j), 0.0)
                K[(i, j)] = K.get((i, j), 0.0) + Pt * v
    keys = sorted(K)
    places = [((i, j),) if i == j else ((i, j), (j, i)) for i, j in keys]
    return [K[ij] for ij in keys], _assembler(7, places)


def _data_constrained_grid(F, y):
    rows = []
    for e, a, b, al, be, rd, rn in itertools.product(
        (0.0, 0.5, 1.0), (0.0, 5.0, 10.0, 15.0, 20.0, 25.0), (0.0, 5.0, 10.0, 15.0, 20.0, 25.0),
        (0.25, 0.5), (0.25, 0.5), (5.0, 15.0, 40.0), (2.0, 5.0, 15.0),
    ):
        rows.append((math.exp(e), a, b, al, be, math.log(rd), math.log(rn)))
    return np.array(rows)


def _make_data_constrained() -> Law:
    return Law(
        name="data_constrained",
        params=("E", "A", "B", "alpha", "beta", "R_D_star", "R_N_star"),
        transforms=("identity", "log", "log", "identity", "identity", "log", "log"),
        inputs=("N", "D", "U"),
        target="loss",
        space="log",
        fit_fn=_data_constrained_fn,
        jacobian=_data_constrained_jac,
        curvature=_curvature_from_parts(_data_constrained_curvature_parts, _data_constrained_jac),
        curvature_parts=_data_constrained_curvature_parts,
        grid=_data_constrained_grid,
        # log(alpha), log(beta) enter N_for(U): keep the exponents away from 0.
        # R_D*, R_N* are repetition half-lives in epochs; past 1e4 the data cannot tell them from
        # infinity, so a fit that runs there ends on the bound and is flagged.
        lower=(0.0, -np.inf, -np.inf, 1e-3, 1e-3, math.log(1e-2), math.log(1e-2)),
        upper=(np.inf, np.inf, np.inf, EXPONENT_MAX, EXPONENT_MAX, math.log(1e4), math.log(1e4)),
        data_bounds=_irreducible_floor(7),
        extras={"check_inputs": check_at_most("U", "D", "unique tokens cannot exceed tokens seen")},
        formula=(
            "L = E + A / N_eff^alpha + B / D_eff^beta, D_eff = U + U R_D* (1 - exp(-R_D / R_D*)), "
            "N_eff = U_N + U_N R_N* (1 - exp(-R_N / R_N*)), R_D = max(D/U - 1, 0), "
            "U_N = min(N, N_for(U)), R_N = max(N/U_N - 1, 0)"
        ),
        reference="Muennighoff et al. 2023, 'Scaling Data-Constrained Language Models', arXiv:2305.16264",
    )


# --------------------------------------------------------------------------------------------
# user-defined laws
# --------------------------------------------------------------------------------------------
def _product_grid(spec: Mapping[str, Sequence[float]], names: Sequence[str]) -> np.ndarray:
    missing = [n for n in names if n not in spec]
    if missing:
        raise KeyError(f"start grid needs values for every parameter; missing {missing}")
    return np.array(list(itertools.product(*[np.atleast_1d(np.asarray(spec[n], float)) for n in names])))


def custom(
    name: str,
    fn: Callable,
    params: Sequence[str],
    inputs: Sequence[str],
    grid,
    *,
    target: str = "y",
    space: str = "linear",
    log_params: Sequence[str] = (),
    lower: Mapping[str, float] | None = None,
    upper: Mapping[str, float] | None = None,
    formula: str = "",
) -> Law:
    """Define a law from a JAX function in natural units.

    Args:
        fn: ``fn(p, x) -> y_hat``, where ``p`` maps parameter names to scalars and ``x`` maps input
            names to arrays of raw (not logged) inputs; it must use ``jax.numpy`` and broadcast.
        params, inputs: names.
        grid: start points in public units: a mapping name -> values (their product is the grid) or
            an array ``[G, p]``.
        space: ``"log"`` to fit ``log y`` with the Huber objective (``fn`` must then be positive),
            ``"linear"`` for least squares on ``y``.
        log_params: parameters fitted as logs (must be positive; typical for amplitudes).
        lower, upper: public-unit bounds by parameter name.

    Example::

        law = sl.laws.custom("my_power", lambda p, x: p["E"] + p["A"] * x["C"] ** -p["alpha"],
                             params=["E", "A", "alpha"], inputs=["C"], target="loss", space="log",
                             log_params=["E", "A"], grid={"E": [1, 2], "A": [10, 1e3], "alpha": [.1, .3]})
    """
    params, inputs = tuple(params), tuple(inputs)
    transforms = tuple("log" if p in set(log_params) else "identity" for p in params)
    mask = np.array([t == "log" for t in transforms])

    def fit_fn(theta, F):
        pub = jnp.where(mask, jnp.exp(theta), theta)
        p = {n: pub[i] for i, n in enumerate(params)}
        x = {n: F[:, j] for j, n in enumerate(inputs)}
        y = fn(p, x)
        return jnp.log(y) if space == "log" else y

    g = _product_grid(grid, params) if isinstance(grid, Mapping) else np.asarray(grid, float)

    def to_internal_bound(bounds, default):
        out = []
        for n, t in zip(params, transforms):
            v = (bounds or {}).get(n, default)
            if t == "log" and np.isfinite(v):
                v = math.log(v) if v > 0 else -np.inf
            out.append(v)
        return tuple(out)

    law = Law(
        name=name,
        params=params,
        transforms=transforms,
        inputs=inputs,
        target=target,
        space=space,
        fit_fn=fit_fn,
        grid=lambda F, y: g_internal,
        log_inputs=False,
        lower=to_internal_bound(lower, -np.inf),
        upper=to_internal_bound(upper, np.inf),
        formula=formula,
    )
    g_internal = law.from_public(g)
    return law


# --------------------------------------------------------------------------------------------
# registry
# --------------------------------------------------------------------------------------------
_REGISTRY: dict[str, Law] = {}


def register(law: Law, overwrite: bool = False) -> Law:
    """Add a law to the registry so ``fit(df, law.name)`` finds it."""
    if law.name in _REGISTRY and not overwrite:
        raise ValueError(f"a law named {law.name!r} is already registered; pass overwrite=True")
    _REGISTRY[law.name] = law
    return law


def get(name) -> Law:
    """The registered law called ``name`` (a :class:`Law` is returned unchanged)."""
    if isinstance(name, Law):
        return name
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown law {name!r}; available: {sorted(_REGISTRY)}") from None


def available() -> list[str]:
    """Names of the registered laws."""
    return sorted(_REGISTRY)


for _make in (_make_power, _make_chinchilla, _make_loglinear, _make_sigmoid, _make_data_constrained,
              _make_error_from_loss):
    register(_make())
