"""Robust objectives for scaling-law fits: rho(r) summed over points with weights.

Every objective is a frozen dataclass exposing four pure, elementwise functions of the residual
``r`` (prediction minus observation, in the law's fit space):

- ``rho(r)``: the per-point loss; the objective is ``sum_i w_i rho(r_i)``;
- ``psi(r) = rho'(r)``: its derivative, so the gradient is ``J^T (w * psi(r))``;
- ``psi_prime(r) = rho''(r)``: the exact second derivative, used by the Newton phase of the solver;
- ``expected_psi_prime(r, h)``: ``E[psi'(r + e)]`` with ``e ~ N(0, h^2)``, the kernel-smoothed
  curvature that point-fit inference (:mod:`scalinglaws.inference`) uses where ``psi'`` is a step;
- ``irls_weight(r)``: the curvature of the quadratic majoriser ``rho(s) <= rho(r) + psi(r)(s - r) +
  irls_weight(r)(s - r)^2 / 2``, so ``J^T diag(w * irls_weight) J`` is the iteratively reweighted
  Gauss-Newton matrix (Holland & Welsch 1977), which is a descent model wherever ``psi_prime`` is 0.

Each takes an optional smoothing scale ``s`` (default 1): objectives with ``smoothable = True``
(Huber) widen their quadratic zone to ``delta * s``, which the solver uses for continuation
(solve with a wide zone first, then narrow it to ``delta``); the others ignore it.

The objective is a SUM over points, never a mean: with a mean, gradient tolerances stop
quasi-Newton optimisers early, which is the documented cause of the biased published Chinchilla
fit (Besiroglu et al. 2024, arXiv:2404.10102, Section 3).
"""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp
from jax.scipy.stats import norm

__all__ = ["Huber", "LeastSquares", "Expectile", "Objective", "get"]


@dataclass(frozen=True)
class Huber:
    """Huber loss with threshold ``delta`` (Huber 1964).

    ``rho(r) = r^2 / 2`` for ``|r| <= delta`` and ``delta (|r| - delta / 2)`` beyond, matching
    ``scipy.special.huber(delta, r)``. Hoffmann et al. (2022, arXiv:2203.15556, Approach 3) fit
    log-loss residuals with ``delta = 1e-3``: nearly every Chinchilla residual is beyond it, so the
    fit is close to least absolute deviations and robust to the few bad runs.
    """

    delta: float = 1e-3

    name = "huber"
    smoothable = True

    def __post_init__(self):
        d = float(self.delta)
        if not (d > 0 and d < float("inf")):
            raise ValueError(f"Huber delta must be a positive finite number, got {self.delta!r}")

    def rho(self, r, s=1.0):
        d = self.delta * s
        a = jnp.abs(r)
        return jnp.where(a <= d, 0.5 * r * r, d * (a - 0.5 * d))

    def psi(self, r, s=1.0):
        d = self.delta * s
        return jnp.clip(r, -d, d)

    def psi_prime(self, r, s=1.0):
        return (jnp.abs(r) <= self.delta * s).astype(r.dtype)

    def expected_psi_prime(self, r, h):
        # P(|r + e| <= delta): the step smoothed by the kernel.
        return norm.cdf((self.delta - r) / h) - norm.cdf((-self.delta - r) / h)

    def irls_weight(self, r, s=1.0):
        # psi(r) / r, which is 1 inside the quadratic zone and delta / |r| outside.
        d = self.delta * s
        return jnp.minimum(1.0, d / jnp.maximum(jnp.abs(r), d * 1e-12))


@dataclass(frozen=True)
class LeastSquares:
    """Sum of squared residuals: ``rho(r) = r^2`` (so the objective is the weighted SSE)."""

    name = "lsq"
    smoothable = False

    def rho(self, r, s=1.0):
        return r * r

    def psi(self, r, s=1.0):
        return 2.0 * r

    def psi_prime(self, r, s=1.0):
        return jnp.full_like(r, 2.0)

    def expected_psi_prime(self, r, h):
        return jnp.full_like(r, 2.0)

    def irls_weight(self, r, s=1.0):
        return jnp.full_like(r, 2.0)


@dataclass(frozen=True)
class Expectile:
    """Asymmetric least squares (Newey & Powell 1987): ``rho(r) = |tau - 1[r < 0]| r^2``.

    Points above the curve (observation over prediction, ``r < 0`` since ``r`` is prediction minus
    observation) get weight ``tau`` and points below ``1 - tau``, the usual expectile convention:
    with ``tau`` near 1 the fit tracks the upper envelope of the data (a compute frontier drawn
    from many runs), and ``tau = 0.5`` is half of least squares.
    """

    tau: float = 0.9

    name = "expectile"
    smoothable = False

    def __post_init__(self):
        if not 0.0 < float(self.tau) < 1.0:
            raise ValueError(f"expectile tau must be in (0, 1), got {self.tau!r}")

    def _k(self, r):
        # Observation above the prediction <=> r < 0; give those weight tau.
        return jnp.where(r < 0, self.tau, 1.0 - self.tau)

    def rho(self, r, s=1.0):
        return self._k(r) * r * r

    def psi(self, r, s=1.0):
        return 2.0 * self._k(r) * r

    def psi_prime(self, r, s=1.0):
        return 2.0 * self._k(r)

    def expected_psi_prime(self, r, h):
        # tau where r + e < 0, 1 - tau elsewhere (psi is continuous at 0: no point mass).
        return 2.0 * (self.tau * norm.cdf(-r / h) + (1.0 - self.tau) * norm.cdf(r / h))

    def irls_weight(self, r, s=1.0):
        return 2.0 * self._k(r)


Objective = Huber | LeastSquares | Expectile


def get(spec, delta: float | None = None) -> Objective:
    """Objective from a name (``"huber"``, ``"lsq"``, ``"expectile"``) or an objective instance."""
    if isinstance(spec, (Huber, LeastSquares, Expectile)):
        return spec
    if spec == "huber":
        return Huber(1e-3 if delta is None else float(delta))
    if spec in ("lsq", "least_squares"):
        return LeastSquares()
    if spec == "expectile":
        return Expectile()
    raise ValueError(f"unknown objective {spec!r}: use 'huber', 'lsq', 'expectile' or an instance")


def to_json(obj) -> dict:
    """The objective as a JSON record: its name and its parameter (``delta``, ``tau``)."""
    d = {"name": obj.name}
    if isinstance(obj, Huber):
        d["delta"] = obj.delta
    if isinstance(obj, Expectile):
        d["tau"] = obj.tau
    return d


def from_json(d: dict):
    """The objective a :func:`to_json` record describes."""
    if d["name"] == "huber":
        return Huber(d["delta"])
    if d["name"] == "expectile":
        return Expectile(d["tau"])
    return LeastSquares()
