"""Point-fit inference: the covariance of a fitted law's parameters, their standard errors and
Wald intervals, which parameters the data do not identify, goodness of fit, information
criteria, and the residuals.

A fit minimises ``sum_i w_i rho(r_i)`` over the parameters ``theta`` (internal units: logs of
amplitudes), ``r_i = f(theta, x_i) - y_i`` in the law's fit space. Two covariances:

- ``"sandwich"`` (every objective): the M-estimator's covariance (Huber 1967, "The behavior of
  maximum likelihood estimates under nonstandard conditions")

      cov = H^-1 B H^-1 * n / (n - k),
      H = sum_i w_i psi'(r_i) J_i J_i^T + sum_i w_i psi(r_i) Hess f_i    (the objective's Hessian),
      B = sum_i g_i g_i^T,   g_i = w_i psi(r_i) J_i                       (per-point gradients),

  with ``n / (n - k)`` the HC1 small-sample factor (MacKinnon & White 1985), ``n`` the rows
  with positive weight and ``k`` the parameters estimated. Huber's ``psi'`` is a step (1 inside
  ``|r| <= delta``, 0 beyond): with ``delta = 1e-3`` on log losses only the few points inside
  the zone would carry curvature, and ``H`` would be an estimate from a handful of points. So
  ``psi'`` is replaced by its expectation under a Gaussian kernel, ``E[psi'(r_i + e)]`` with
  ``e ~ N(0, h^2)``, ``h`` Silverman's bandwidth of the residuals: the kernel estimate of the
  residual density at 0 that the covariance of least-absolute-deviation fits needs (Powell 1991,
  "Estimation of monotonic regression models under quantile restrictions"). For least squares
  the kernel changes nothing; for Huber with a wide ``delta`` it changes little.
- ``"classical"`` (least squares only): ``s^2 (J^T W J)^-1`` with ``s^2 = sum w r^2 / (n - k)``,
  the Gauss-Newton covariance that ``scipy.optimize.curve_fit`` reports (``sigma = w^-1/2``,
  ``absolute_sigma=False``).

Parameters held fixed, and free ones that ended on a bound, are not estimated in the interior
of their range: they get no standard error (the asymptotics do not hold on a bound) and the
others' covariance is conditional on their values. A parameter with a large loading on a
direction in which the objective's curvature is (numerically) zero or negative is not
identified by the data: it gets no standard error either. Public-unit standard errors follow
by the delta method. Wald intervals use Student's t quantile with ``n - k`` degrees of freedom
(as ``statsmodels`` does for least squares; it widens small-sample intervals towards their
nominal coverage); a positive (log-fitted) parameter's is formed in the log and is asymmetric.
"""

from __future__ import annotations

import functools
import math

import jax
import numpy as np
import pandas as pd

from . import objectives as _objectives
from . import programs as _programs
from . import serialize
from .buckets import bucket_points, pad_rows
from .intervals import DEFAULT_LEVEL
from .problem import storable
from .results import Result, Summary

__all__ = ["Inference", "KINDS", "infer", "infer_groups", "goodness", "information", "silverman_bandwidth",
           "SINGULAR_RTOL", "NULL_LOADING"]

KINDS = ("sandwich", "classical")

SINGULAR_RTOL = 1e-9
"""An eigenvalue of the scaled curvature (unit diagonal) below this times the largest marks a
direction the data do not fix."""

NULL_LOADING = 0.1
"""A parameter whose component in such a direction exceeds this (in the scaled curvature's unit
eigenvectors) is reported as not identified."""


@functools.partial(jax.jit, static_argnames=("law", "objective"))
def moments(law, objective, theta, F, y, w, h):
    """Per data set (leading axis G): the objective's Hessian ``H`` [G, p, p], the outer product
    of the per-point gradients ``B``, ``J^T W J`` and the fit-space residuals [G, n]. Rows with
    weight 0 (padding) add nothing."""

    def one(theta, F, y, w, h):
        pred, J = law.value_and_jacobian(theta, F)
        r = pred - y
        psi = objective.psi(r)
        g = (w * psi)[:, None] * J
        curv = objective.expected_psi_prime(r, h)
        H = (J * (w * curv)[:, None]).T @ J + law.curvature_term(theta, F, w * psi)
        return H, g.T @ g, (J * w[:, None]).T @ J, r

    return jax.vmap(one)(theta, F, y, w, h)


def silverman_bandwidth(r: np.ndarray, used: np.ndarray) -> np.ndarray:
    """[G] Silverman's rule ``0.9 min(sd, IQR / 1.349) n^(-1/5)`` on each row's used residuals
    (a tiny positive number for an exact fit)."""
    r = np.where(used, r, np.nan)
    n = np.sum(used, axis=-1)
    with np.errstate(invalid="ignore"), _quiet_nan_warnings():
        sd = np.nanstd(r, axis=-1)
        q75, q25 = np.nanpercentile(r, [75, 25], axis=-1)
    spread = np.minimum(sd, (q75 - q25) / 1.349)
    spread = np.where(spread > 0, spread, sd)
    h = 0.9 * spread * np.maximum(n, 1) ** -0.2
    return np.where(np.isfinite(h) & (h > 0), h, 1e-12)


class _quiet_nan_warnings:
    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


def _masked(M, keep, fill):
    """``M`` [G, p, p] with the rows and columns of parameters not in ``keep`` [G, p] replaced by
    ``fill`` (an identity for an inverse, zeros for a meat)."""
    both = keep[:, :, None] & keep[:, None, :]
    return np.where(both, M, fill)


def unidentified(H: np.ndarray, estimated: np.ndarray) -> np.ndarray:
    """[G, p] the estimated parameters the curvature ``H`` does not fix: those whose own
    curvature (diagonal) is not positive or below :data:`SINGULAR_RTOL` of the largest (the data
    do not move the objective along them at all; internal parameters are logs and exponents, so
    their scales are comparable), and those with a loading above :data:`NULL_LOADING` on a
    direction where the rest of ``H``, scaled to a unit diagonal, has an eigenvalue below
    :data:`SINGULAR_RTOL` of its largest, or a negative one."""
    p = H.shape[-1]
    diag = np.diagonal(H, axis1=-2, axis2=-1)
    top_diag = np.max(np.where(estimated, np.abs(diag), 0.0), axis=-1, keepdims=True)
    flat = estimated & ~(diag > SINGULAR_RTOL * top_diag)
    rest = estimated & ~flat
    # a flat parameter's tiny diagonal would blow up its row when scaled: it leaves the eigen
    # analysis, which is about directions mixing the others
    Hm = _masked(H, rest, np.eye(p))
    d = np.sqrt(np.abs(np.diagonal(Hm, axis1=-2, axis2=-1)))
    d = np.where(d > 0, d, 1.0)
    scaled = Hm / d[:, :, None] / d[:, None, :]
    scaled = np.where(np.isfinite(scaled), scaled, 0.0)
    vals, vecs = np.linalg.eigh(scaled)
    top = np.max(np.abs(vals), axis=-1, keepdims=True)
    null = vals <= SINGULAR_RTOL * top
    loading = np.sum(np.where(null[:, None, :], vecs**2, 0.0), axis=-1)
    return flat | rest & (loading > NULL_LOADING**2)


def covariances(H, B, JWJ, r, w, estimated, kind: str):
    """(internal covariance [G, p, p], identified [G, p], residual degrees of freedom [G]).

    The covariance is zero in the rows and columns of parameters not estimated or not
    identified; NaN everywhere when there are no residual degrees of freedom."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    p = H.shape[-1]
    bad = unidentified(H, estimated)
    ok = estimated & ~bad
    n = np.sum(w > 0, axis=-1)
    k = np.sum(estimated, axis=-1)
    dof = n - k
    both = ok[:, :, None] & ok[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "sandwich":
            Hi = np.where(both, _inverse(_masked(H, ok, np.eye(p))), 0.0)
            cov = Hi @ _masked(B, ok, 0.0) @ Hi * (n / np.where(dof > 0, dof, np.nan))[:, None, None]
        else:
            s2 = np.sum(w * r * r, axis=-1) / np.where(dof > 0, dof, np.nan)
            cov = np.where(both, _inverse(_masked(JWJ, ok, np.eye(p))), 0.0) * s2[:, None, None]
    return cov, ok, dof


def _inverse(M):
    """Batched inverse; a singular matrix gives NaN rather than an exception."""
    out = np.full_like(M, np.nan)
    for g in range(M.shape[0]):  # np.linalg.inv raises on the whole batch if one is singular
        try:
            out[g] = np.linalg.inv(M[g])
        except np.linalg.LinAlgError:
            pass
    return out


def goodness(law_space: str, y, yhat_fit, y_fit, w) -> dict:
    """R^2, RMSE (natural units and fit space) and MAPE (percent) per data set, weighted by ``w``
    (arrays [..., n]; a dict of arrays [...])."""
    y, yhat_fit, y_fit, w = (np.asarray(a, dtype=np.float64) for a in (y, yhat_fit, y_fit, w))
    yhat = np.exp(yhat_fit) if law_space == "log" else yhat_fit
    wsum = w.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ybar = np.sum(w * y, axis=-1) / wsum
        ss_res = np.sum(w * (y - yhat) ** 2, axis=-1)
        ss_tot = np.sum(w * (y - ybar[..., None]) ** 2, axis=-1)
        rel = np.where(w > 0, np.abs((yhat - y) / np.where(y != 0, y, np.nan)), 0.0)
        return {
            "r2": np.where(ss_tot > 0, 1.0 - ss_res / ss_tot, np.nan),
            "rmse": np.sqrt(ss_res / wsum),
            "rmse_fit": np.sqrt(np.sum(w * (yhat_fit - y_fit) ** 2, axis=-1) / wsum),
            "mape": 100.0 * np.sum(w * rel, axis=-1) / wsum,
        }


def information(objective, law_space: str, r, y, w, k: int) -> dict:
    """Gaussian log-likelihood, AIC, AICc and BIC of a least-squares fit (``w`` as precision
    weights: the variance of row ``i`` is ``sigma^2 / w_i``, ``sigma^2`` at its maximum-likelihood
    value), counting ``k`` estimated parameters plus ``sigma``. The likelihood is of ``y`` itself:
    a log-space law's includes the Jacobian ``-sum log y``, so laws fitted in either space compare.
    For other objectives, ``{"available": False, "reason": ...}``: they are not likelihoods."""
    if not isinstance(objective, _objectives.LeastSquares):
        label = {"huber": "Huber's loss", "expectile": "the expectile loss"}.get(objective.name, objective.name)
        return {"available": False,
                "reason": f"the objective ({label}) is not a likelihood, so AIC and BIC are not defined for this fit; "
                          "compare laws by their cross-validated extrapolation error instead"}
    used = w > 0
    n = int(np.sum(used))
    ww, rr = w[used], r[used]
    sigma2 = float(np.sum(ww * rr * rr) / n)
    if not sigma2 > 0:
        return {"available": False, "reason": "the fit is exact (zero residuals): the likelihood is unbounded"}
    loglik = -0.5 * n * (math.log(2 * math.pi * sigma2) + 1.0) + 0.5 * float(np.sum(np.log(ww)))
    if law_space == "log":
        loglik -= float(np.sum(np.log(y[used])))
    m = k + 1
    aic = 2 * m - 2 * loglik
    aicc = aic + 2 * m * (m + 1) / (n - m - 1) if n - m - 1 > 0 else float("inf")
    return {"available": True, "loglik": loglik, "aic": aic, "aicc": aicc, "bic": m * math.log(n) - 2 * loglik,
            "n": n, "k": m, "sigma": math.sqrt(sigma2)}


def _status(fixed, at_lo, at_hi, bad) -> np.ndarray:
    out = np.full(fixed.shape, "", dtype=object)
    out[bad] = "not identified"
    out[at_hi] = "on upper bound"
    out[at_lo] = "on lower bound"
    out[fixed] = "fixed"
    return out


def infer_groups(law, objective, theta, F, y_fit, w, lower, upper, fixed_mask, bound_tol, kind="sandwich",
                 level=DEFAULT_LEVEL) -> dict:
    """Inference for many data sets at once: ``theta`` [G, p], ``F`` [G, n, k], ``y_fit``, ``w``
    [G, n] (rows past a data set's own with weight 0), ``lower``, ``upper`` [G, p].

    Returns arrays: ``cov`` [G, p, p] (internal units), ``cov_public`` [G, q, q],
    ``std_error``, ``lower``, ``upper`` [G, q] (public units, NaN where not estimated),
    ``status`` [G, q] (``""``, ``"fixed"``, ``"on lower bound"``, ``"on upper bound"``, ``"not
    identified"``), ``residuals`` [G, n], ``bandwidth``, ``dof`` [G]."""
    from scipy.special import stdtrit  # the t quantile; scipy.special loads in a third of scipy.stats' time

    from .solvers import bound_hits

    theta = np.asarray(theta, dtype=np.float64)
    G, p = theta.shape
    w = np.asarray(w, dtype=np.float64)
    used = w > 0
    # Through stored programs: in a fresh process, tracing and lowering these two took 0.2 s of
    # a CLI fit's 1.4 s.
    keep = storable(law, objective)
    F, y_fit = np.asarray(F, np.float64), np.asarray(y_fit, np.float64)
    r0 = np.asarray(_programs.call(_predictions, "inference._predictions", {"law": law},
                                   {"F": F, "theta": theta}, storable=keep)) - y_fit
    h = silverman_bandwidth(r0, used)
    H, B, JWJ, r = (np.asarray(a) for a in _programs.call(
        moments, "inference.moments", {"law": law, "objective": objective},
        {"theta": theta, "F": F, "y": y_fit, "w": w, "h": np.asarray(h, np.float64)}, storable=keep))
    fixed = np.broadcast_to(np.asarray(fixed_mask, bool), (G, p))
    at_lo, at_hi = bound_hits(theta, lower, upper, fixed, bound_tol)
    estimated = ~fixed & ~at_lo & ~at_hi
    cov, ok, dof = covariances(H, B, JWJ, r, w, estimated, kind)
    status = _status(fixed, at_lo, at_hi, estimated & ~ok)
    D = law.public_jacobian(theta)  # [G, q, p]
    with np.errstate(over="ignore", invalid="ignore"):  # a public value beyond float range: its variance is inf
        cov_pub = D @ cov @ np.swapaxes(D, -1, -2)
    source = law.public_source()
    ok_pub = ok[:, source]
    se = np.where(ok_pub, np.sqrt(np.maximum(np.diagonal(cov_pub, axis1=-2, axis2=-1), 0.0)), np.nan)
    est = law.public_values(theta)
    z = stdtrit(np.where(dof > 0, dof, np.nan), 0.5 + level / 2)[:, None]
    positive = np.array([t == "log" for t in law.public_transforms])
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_se = se / np.abs(est)
        lo = np.where(positive, est * np.exp(-z * log_se), est - z * se)
        hi = np.where(positive, est * np.exp(z * log_se), est + z * se)
    return {"cov": cov, "cov_public": cov_pub, "estimate": est, "std_error": se, "lower": lo, "upper": hi,
            "status": status[:, source], "residuals": r, "bandwidth": h, "dof": dof,
            "n_estimated": np.sum(estimated, axis=-1)}


@functools.partial(jax.jit, static_argnames=("law",))
def _predictions(law, F, theta):
    return jax.vmap(law.fit_fn)(theta, F)


def infer(problem, theta, kind: str = "sandwich", level: float = DEFAULT_LEVEL) -> Inference:
    """The :class:`Inference` of one fitted :class:`~scalinglaws.problem.Problem` at ``theta``."""
    law, obj = problem.law, problem.objective
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if kind == "classical" and not isinstance(obj, _objectives.LeastSquares):
        raise ValueError(f"kind='classical' is the least-squares covariance s^2 (J^T W J)^-1; this fit minimises "
                         f"{obj.name}: use kind='sandwich'")
    n_pad = bucket_points(len(problem.y_fit))  # padded like the solver's arrays: programs are reused
    F = pad_rows(problem.F, n_pad)[None]
    y_fit = pad_rows(problem.y_fit, n_pad)[None]
    w = pad_rows(problem.weights, n_pad, fill=0.0)[None]
    a = infer_groups(law, obj, np.asarray(theta, np.float64)[None], F, y_fit, w, problem.lower[None],
                     problem.upper[None], problem.fixed_mask, problem.config.bound_tol, kind, level)
    m = len(problem.y_fit)
    r = a["residuals"][0, :m]
    names = list(law.public_names)
    table = pd.DataFrame({"estimate": a["estimate"][0], "std_error": a["std_error"][0], "lower": a["lower"][0],
                          "upper": a["upper"][0], "status": a["status"][0]}, index=pd.Index(names, name="parameter"))
    cov = pd.DataFrame(a["cov_public"][0], index=names, columns=names)
    prepared = problem.prepared
    k = int(a["n_estimated"][0])
    fit_good = {key: float(v) for key, v in goodness(law.space, prepared.y, r + problem.y_fit, problem.y_fit,
                                                   problem.weights).items()}
    info = information(obj, law.space, r, prepared.y, problem.weights, int(np.sum(~problem.fixed_mask)))
    return Inference(
        law_name=law.name, kind=kind, level=level, table=table, cov=cov, cov_internal=a["cov"][0],
        goodness={**fit_good, "n": int(np.sum(problem.weights > 0)), "k": k, "dof": int(a["dof"][0])},
        information=info, residuals=_residual_table(problem, r, int(a["dof"][0])),
        objective_label=_objectives_label(obj), bandwidth=float(a["bandwidth"][0]),
    )


def _objectives_label(obj) -> str:
    if isinstance(obj, _objectives.Huber):
        return f"Huber(delta={obj.delta:g})"
    if isinstance(obj, _objectives.Expectile):
        return f"expectile(tau={obj.tau:g})"
    return "least squares"


def _residual_table(problem, r, dof) -> pd.DataFrame:
    """A row per data row: inputs, target, fitted value, the fit-space residual (prediction minus
    observation), the natural-units error and relative error, the weight, and the residual scaled
    by the fit-space residual standard deviation ``sqrt(sum w r^2 / (n - k))``."""
    p = problem.prepared
    law = problem.law
    w = problem.weights
    fitted_fit = problem.y_fit + r
    fitted = np.exp(fitted_fit) if law.space == "log" else fitted_fit
    scale = math.sqrt(float(np.sum(w * r * r)) / dof) if dof > 0 else float("nan")
    cols = {c: p.inputs[name] for name, c in zip(law.inputs, p.x_columns)}
    y_name = p.y_column
    with np.errstate(divide="ignore", invalid="ignore"):
        cols |= {y_name: p.y, "fitted": fitted, "residual": r, "error": fitted - p.y,
                 "relative_error": (fitted - p.y) / np.where(p.y != 0, p.y, np.nan), "weight": w,
                 "scaled_residual": r * np.sqrt(w) / scale if scale > 0 else np.full(len(r), np.nan)}
    return pd.DataFrame(cols, index=p.index)


class Inference(Result):
    """Standard errors, intervals and goodness of fit of one point fit (``fit.inference()``).

    Attributes:
        kind: ``"sandwich"`` or ``"classical"`` (module docstring).
        level: the Wald intervals' coverage.
        table: a row per parameter: ``estimate``, ``std_error`` (public units, delta method),
            ``lower``, ``upper`` (Wald; in the log for positive parameters), ``status``
            (``""``, ``"fixed"``, ``"on lower bound"``, ``"on upper bound"``, ``"not
            identified"``: those have no standard error).
        std_errors: ``{parameter: standard error}``.
        cov: the public-unit covariance (a DataFrame); ``cov_internal`` the internal one (array).
        correlation: the parameters' correlations (NaN where not estimated).
        goodness: ``r2`` and ``rmse`` (natural units), ``rmse_fit`` (fit space: log residuals of
            a loss law), ``mape`` (percent), ``n`` (rows with positive weight), ``k``
            (parameters estimated), ``dof``.
        information: ``loglik``, ``aic``, ``aicc``, ``bic`` for least squares; otherwise
            ``available`` False and the ``reason``.
        residuals: a row per data row (:func:`_residual_table`).
        not_identified, on_bound: the parameters with those statuses.
    """

    def __init__(self, law_name, kind, level, table, cov, cov_internal, goodness, information, residuals,
                 objective_label, bandwidth):
        self.law_name = law_name
        self.kind = kind
        self.level = float(level)
        self.table = table
        self.cov = cov
        self.cov_internal = np.asarray(cov_internal)
        self.goodness = dict(goodness)
        self.information = dict(information)
        self.residuals = residuals
        self.objective_label = objective_label
        self.bandwidth = float(bandwidth)

    @property
    def std_errors(self) -> dict:
        return {n: float(v) for n, v in self.table["std_error"].items()}

    @property
    def correlation(self) -> pd.DataFrame:
        se = self.table["std_error"].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            c = self.cov.to_numpy() / se[:, None] / se[None, :]
        return pd.DataFrame(c, index=self.cov.index, columns=self.cov.columns)

    @property
    def not_identified(self) -> list[str]:
        return [n for n, s in self.table["status"].items() if s == "not identified"]

    @property
    def on_bound(self) -> list[str]:
        return [n for n, s in self.table["status"].items() if s.startswith("on ")]

    def summary(self) -> Summary:
        g = self.goodness
        how = {"sandwich": f"sandwich (Huber 1967, HC1) for {self.objective_label}",
               "classical": "classical least squares s^2 (J^T W J)^-1"}[self.kind]
        notes = [f"covariance: {how}; Wald intervals (t, {g['dof']} dof) at {self.level:g}, in the log for positive parameters",
                 f"{g['n']} points, {g['k']} parameters estimated, {g['dof']} residual degrees of freedom"]
        if self.kind == "sandwich" and self.objective_label.startswith("Huber"):
            notes.append(f"Huber's psi' smoothed by a Gaussian kernel, bandwidth {self.bandwidth:.3g} (Silverman)")
        for name, s in self.table["status"].items():
            if s == "not identified":
                notes.append(f"{name} is NOT IDENTIFIED: the objective is flat (or not convex) along a direction "
                             "that moves it; no standard error")
            elif s.startswith("on "):
                notes.append(f"{name} ended {s}: no standard error; the others' are conditional on it")
        if g["dof"] <= 0:
            notes.append("no residual degrees of freedom: no standard errors")
        footer = [f"R^2 {g['r2']:.4f}; RMSE {g['rmse']:.4g} (natural units), {g['rmse_fit']:.4g} (fit space); "
                  f"MAPE {g['mape']:.3g}%"]
        info = self.information
        if info.get("available"):
            footer.append(f"log-likelihood {info['loglik']:.6g}; AIC {info['aic']:.6g}; AICc {info['aicc']:.6g}; "
                          f"BIC {info['bic']:.6g} (k = {info['k']} with sigma)")
        else:
            footer.append(f"information criteria: {info['reason']}")
        return Summary(f"{self.law_name} fit: standard errors", self.table, notes=notes, footer=footer,
                       level=self.level)

    def __repr__(self):
        se = ", ".join(f"{n}={v:.3g}" for n, v in self.std_errors.items())
        return f"<Inference {self.law_name} ({self.kind}): std errors {se}>"

    def to_dict(self) -> dict:
        return {
            **serialize.header("scalinglaws.Inference"),
            "law": self.law_name, "covariance": self.kind, "level": self.level,
            "objective": self.objective_label, "bandwidth": self.bandwidth,
            "table": serialize.frame_record(self.table), "cov": serialize.frame_record(self.cov),
            "cov_internal": serialize.array_record(self.cov_internal),
            "goodness": self.goodness, "information": self.information,
            "residuals": serialize.frame_record(self.residuals),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Inference:
        return cls(d["law"], d["covariance"], d["level"], serialize.frame_from_record(d["table"]),
                   serialize.frame_from_record(d["cov"]), serialize.array_from_record(d["cov_internal"]),
                   d["goodness"], d["information"], serialize.frame_from_record(d["residuals"]), d["objective"],
                   d["bandwidth"])
