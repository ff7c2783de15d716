"""Predictions, inverses and compute-optimal allocation, vectorised over bootstrap replicates.

Everything here takes the parameters of many fits at once (one row per replicate) and returns
one row per replicate, so a band is a pair of quantiles over rows. A single fit is the case of
one row.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from .laws.base import UNREACHABLE


__all__ = [
    "predict_draws",
    "allocation_draws",
    "inverse_draws",
    "extrapolation_oom",
    "inverse_input",
]


@partial(jax.jit, static_argnames=("law",))
def _predict_natural(law, thetas, F):
    return jax.vmap(lambda t: law.predict_natural(t, F))(thetas)


@partial(jax.jit, static_argnames=("law",))
def predict_rowwise(law, thetas, F):
    """Row r of ``thetas`` [R, p] at its own features ``F[r]`` [m, k]."""
    return jax.vmap(law.predict_natural)(thetas, F)


def broadcast_inputs(law, inputs: Mapping) -> tuple[dict, tuple]:
    values, shape = law.checked_inputs(inputs)
    return {c: a.reshape(-1) for c, a in values.items()}, shape


def predict_draws(law, thetas: np.ndarray, inputs: Mapping) -> np.ndarray:
    """Natural-unit predictions [R, m] for internal ``thetas`` [R, p] at m broadcast input points."""
    flat, _ = broadcast_inputs(law, inputs)
    if law.log_inputs:
        bad = [c for c, v in flat.items() if np.any(v <= 0)]
        if bad:
            raise ValueError(f"inputs {bad} must be > 0: law {law.name!r} takes their log")
    F = jnp.asarray(law.features(flat))
    return np.asarray(_predict_natural(law, jnp.asarray(np.atleast_2d(thetas)), F))


def _public(law, thetas: np.ndarray) -> dict[str, np.ndarray]:
    pub = np.asarray(law.to_public(np.atleast_2d(np.asarray(thetas, dtype=np.float64))))
    return {n: pub[:, j][:, None] for j, n in enumerate(law.params)}


def allocation_draws(law, thetas: np.ndarray, C) -> dict[str, np.ndarray]:
    """Compute-optimal N_opt, D_opt, tokens per parameter and loss, each [R, m], for compute C [m]."""
    alloc = law.allocation
    if alloc is None:
        raise ValueError(
            f"compute_optimal needs a law with a closed-form allocation of compute between N and D "
            f"(chinchilla); law {law.name!r} has none"
        )
    C = np.atleast_1d(np.asarray(C, dtype=np.float64))
    if np.any(C <= 0) or not np.all(np.isfinite(C)):
        raise ValueError(f"compute budgets C must be finite and > 0, got {C.tolist()}")
    P = _public(law, thetas)
    N, D = alloc(P, C[None, :])
    ok = np.isfinite(N) & np.isfinite(D) & (N > 0) & (D > 0)
    Nq, Dq = np.where(ok, N, 1.0), np.where(ok, D, 1.0)
    F = np.stack([np.log(Nq), np.log(Dq)], axis=-1)  # [R, m, 2]: each replicate at its own optimum
    loss = np.asarray(predict_rowwise(law, jnp.asarray(np.atleast_2d(thetas)), jnp.asarray(F)))
    nan = lambda a: np.where(ok, a, np.nan)
    return {"N_opt": nan(N), "D_opt": nan(D), "tokens_per_param": nan(D / Nq), "loss": nan(loss)}


def inverse_input(law) -> str:
    """The input a law's inverse solves for (compute ``C`` for chinchilla, else its one input)."""
    if law.inverse_input is not None:
        return law.inverse_input
    raise ValueError(f"law {law.name!r} has inputs {list(law.inputs)} and no inverse")


def inverse_draws(law, thetas: np.ndarray, target, bracket: tuple[float, float] | None = None) -> np.ndarray:
    """The input (compute, or x) at which each replicate reaches ``target``: [R, m], ``inf`` where
    the replicate never reaches it (a target below its asymptote, or beyond its ceiling): the
    package's one rule, :data:`scalinglaws.laws.UNREACHABLE`.

    Closed forms where the law has one; otherwise, for one-input laws, bisection in log x on
    ``bracket`` (default 1e-30..1e60), assuming the law is monotone there.
    """
    targets = np.atleast_1d(np.asarray(target, dtype=np.float64))
    thetas = np.atleast_2d(thetas)
    if law.inverse is not None:
        return law.inverse(_public(law, thetas), targets[None, :])
    if len(law.inputs) != 1:
        raise ValueError(f"compute_for: law {law.name!r} has several inputs and no closed-form inverse")
    lo, hi = bracket or (1e-30, 1e60)
    return _bisect(law, thetas, targets, np.log(lo), np.log(hi))


def _bisect(law, thetas, targets, llo, lhi, steps: int = 200):
    R, m = thetas.shape[0], targets.shape[0]

    def value(lx):
        F = (lx if law.log_inputs else np.exp(lx)).reshape(R, m, 1)
        return np.asarray(predict_rowwise(law, jnp.asarray(thetas), jnp.asarray(F)))

    a = np.full((R, m), llo)
    b = np.full((R, m), lhi)
    fa, fb = value(a) - targets, value(b) - targets
    reachable = np.sign(fa) * np.sign(fb) <= 0
    for _ in range(steps):
        mid = 0.5 * (a + b)
        fm = value(mid) - targets
        left = np.sign(fm) == np.sign(fa)
        a = np.where(left, mid, a)
        fa = np.where(left, fm, fa)
        b = np.where(left, b, mid)
    return np.where(reachable, np.exp(0.5 * (a + b)), UNREACHABLE)


def extrapolation_oom(ranges: Mapping[str, tuple[float, float]], inputs: Mapping) -> np.ndarray:
    """Orders of magnitude beyond the fitted range, per query point: the largest over inputs of
    log10(x / max) above the data or log10(min / x) below it (0 inside)."""
    out = None
    for c, (lo, hi) in ranges.items():
        if c not in inputs:
            continue
        x = np.asarray(inputs[c], dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            beyond = np.maximum(np.log10(x / hi), np.log10(lo / x))
        beyond = np.maximum(beyond, 0.0)
        out = beyond if out is None else np.maximum(out, beyond)
    return out
