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

from .inputs import check_level

__all__ = [
    "predict_draws",
    "allocation_draws",
    "inverse_draws",
    "extrapolation_oom",
    "inverse_input",
    "chain",
]


@partial(jax.jit, static_argnames=("law",))
def _predict_natural(law, thetas, F):
    return jax.vmap(lambda t: law.predict_natural(t, F))(thetas)


@partial(jax.jit, static_argnames=("law",))
def _predict_rowwise(law, thetas, F):
    """Row r of ``thetas`` [R, p] at its own features ``F[r]`` [m, k]."""
    return jax.vmap(law.predict_natural)(thetas, F)


def _broadcast_inputs(law, inputs: Mapping) -> tuple[dict, tuple]:
    missing = [c for c in law.inputs if c not in inputs]
    if missing:
        raise KeyError(f"law {law.name!r} needs inputs {list(law.inputs)}; missing {missing}")
    arrays = np.broadcast_arrays(*[np.asarray(inputs[c], dtype=np.float64) for c in law.inputs])
    shape = arrays[0].shape
    return {c: a.reshape(-1) for c, a in zip(law.inputs, arrays)}, shape


def predict_draws(law, thetas: np.ndarray, inputs: Mapping) -> np.ndarray:
    """Natural-unit predictions [R, m] for internal ``thetas`` [R, p] at m broadcast input points."""
    flat, _ = _broadcast_inputs(law, inputs)
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
    alloc = law.extras.get("allocation") if law.extras else None
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
    loss = np.asarray(_predict_rowwise(law, jnp.asarray(np.atleast_2d(thetas)), jnp.asarray(F)))
    nan = lambda a: np.where(ok, a, np.nan)
    return {"N_opt": nan(N), "D_opt": nan(D), "tokens_per_param": nan(D / Nq), "loss": nan(loss)}


def inverse_input(law) -> str:
    """The input a law's inverse solves for (compute ``C`` for chinchilla, else its one input)."""
    if law.extras and "inverse_input" in law.extras:
        return law.extras["inverse_input"]
    if len(law.inputs) == 1:
        return law.inputs[0]
    raise ValueError(f"law {law.name!r} has inputs {list(law.inputs)} and no inverse")


def inverse_draws(law, thetas: np.ndarray, target, bracket: tuple[float, float] | None = None) -> np.ndarray:
    """The input (compute, or x) at which each replicate reaches ``target``: [R, m], NaN where
    the replicate never reaches it (a target below its asymptote, or beyond its ceiling).

    Closed forms where the law has one; otherwise, for one-input laws, bisection in log x on
    ``bracket`` (default 1e-30..1e60), assuming the law is monotone there.
    """
    targets = np.atleast_1d(np.asarray(target, dtype=np.float64))
    thetas = np.atleast_2d(thetas)
    closed = law.extras.get("inverse") if law.extras else None
    if closed is not None:
        return closed(_public(law, thetas), targets[None, :])
    if len(law.inputs) != 1:
        raise ValueError(f"compute_for: law {law.name!r} has several inputs and no closed-form inverse")
    lo, hi = bracket or (1e-30, 1e60)
    return _bisect(law, thetas, targets, np.log(lo), np.log(hi))


def _bisect(law, thetas, targets, llo, lhi, steps: int = 200):
    R, m = thetas.shape[0], targets.shape[0]

    def value(lx):
        F = (lx if law.log_inputs else np.exp(lx)).reshape(R, m, 1)
        return np.asarray(_predict_rowwise(law, jnp.asarray(thetas), jnp.asarray(F)))

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
    return np.where(reachable, np.exp(0.5 * (a + b)), np.nan)


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


# --------------------------------------------------------------------------------------------
# chaining two fits: compute -> loss -> benchmark error


def _stage(result):
    """(point fit, replicate thetas [R, p] or None, valid mask [R] or None) of a Fit or Ensemble."""
    from .ensemble import Ensemble

    if isinstance(result, Ensemble):
        return result.fit, np.asarray(result.theta), np.asarray(result.valid)
    if hasattr(result, "theta") and hasattr(result, "law"):
        return result, None, None
    raise TypeError(f"chain takes scalinglaws Fit or Ensemble objects, got {type(result).__name__}")


def _first_stage_draws(fit, thetas, inputs: Mapping):
    """Natural-unit predictions [R, m] of the first law: at the compute-optimal allocation when it
    has one and only ``C`` is given, else at the given inputs. Returns (draws, flat inputs)."""
    law = fit.law
    alloc = law.extras.get("allocation") if law.extras else None
    if alloc is not None and set(inputs) == {"C"} and "C" not in (*law.inputs, *fit.x_columns):
        C = np.atleast_1d(np.asarray(inputs["C"], dtype=np.float64)).reshape(-1)
        return allocation_draws(law, thetas, C)["loss"], {"C": C}
    flat, _ = _broadcast_inputs(law, fit._inputs_from_columns(inputs))
    cols = {c: flat[name] for name, c in zip(law.inputs, fit.x_columns)}
    return predict_draws(law, thetas, flat), cols


def _second_stage_draws(law, thetas, values):
    """Row r of ``thetas`` [R, p] (a one-input law) at its own inputs ``values[r]`` [m]; NaN where
    a value is outside the law's domain (not finite, or <= 0 for a law that takes logs)."""
    v = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(v) & ((v > 0) if law.log_inputs else True)
    safe = np.where(ok, v, 1.0)
    F = (np.log(safe) if law.log_inputs else safe)[..., None]  # [R, m, 1]
    out = np.asarray(_predict_rowwise(law, jnp.asarray(np.atleast_2d(thetas)), jnp.asarray(F)))
    return np.where(ok, out, np.nan)


def chain(first, second, level: float = 0.9, include_failed: bool = False, **inputs):
    """Compose two fitted laws, the first's prediction being the second's input, with a band
    carried through both fits: e.g. compute -> pre-training loss -> downstream top-1 error.

    ``chain(loss_ens, error_ens, C=[1e23, 1e24])``: ``loss_ens`` a bootstrap ensemble of a loss
    law (``chinchilla``: the loss at the compute-optimal allocation of each ``C``; ``power`` in
    ``C``, or any law: at the inputs given, as for ``Ensemble.predict``); ``error_ens`` an ensemble
    of a one-input law of that loss (``error_from_loss``). Either may be a plain ``Fit`` (no
    uncertainty from that stage).

    Replicate ``i`` of the first ensemble is paired with replicate ``i`` of the second: the loss it
    predicts is fed to the second law with that replicate's parameters, and the band is the
    ``level`` percentile interval of the composed draws. Why pairing is valid: when the two fits
    use different data (pre-training runs for the loss law, benchmark evaluations for the error
    law) and are bootstrapped independently (different seeds, or different data), their
    replicates are independent draws, so any one-to-one pairing is a draw from the joint sampling
    distribution of the two parameter vectors; pairing by index is the simplest such pairing. When
    both fits resample the *same* rows (the same table, the same ``seed`` and ``n``), replicate
    ``i`` of each saw the same resampled data, so pairing by index keeps the dependence between
    the two fits, which is also right. Replicates that failed to converge in either ensemble are
    dropped pairwise (unless ``include_failed``); with ensembles of different sizes, each is
    filtered and the first ``min(R1, R2)`` of each are paired.

    Returns a DataFrame, one row per input point: the inputs; the first stage's point prediction
    (named for its fitted target, e.g. ``loss``) with ``_lower``/``_upper``; the composed point
    prediction (named for the second fit's target, e.g. ``error``: the second point fit at the
    first point fit's prediction) with ``_lower``/``_upper``; and ``beyond_second_fit``: whether
    the first stage's point prediction lies outside the input range the second law was fitted on.
    ``attrs["n_pairs"]`` holds the number of replicate pairs behind the bands.
    """
    import pandas as pd

    from .bootstrap import percentile_interval

    level = check_level(level)
    fit1, th1, ok1 = _stage(first)
    fit2, th2, ok2 = _stage(second)
    if len(fit2.law.inputs) != 1:
        raise ValueError(f"chain: the second law must take one input (the first's prediction); "
                         f"law {fit2.law.name!r} takes {list(fit2.law.inputs)}")
    if not inputs:
        raise ValueError("chain: give the first law's inputs, e.g. C=[1e23, 1e24]")
    if th1 is None and th2 is None:
        th1, th2 = fit1.theta[None, :], fit2.theta[None, :]
    elif th1 is None or th2 is None:  # one stage is a point fit: it is the same in every pair
        ens_th, ens_ok = (th2, ok2) if th1 is None else (th1, ok1)
        ens_th = ens_th if include_failed else ens_th[ens_ok]
        point = (fit1 if th1 is None else fit2).theta[None, :]
        rep = np.repeat(point, len(ens_th), axis=0)
        th1, th2 = (rep, ens_th) if th1 is None else (ens_th, rep)
    elif len(th1) == len(th2):
        keep = np.ones(len(th1), bool) if include_failed else ok1 & ok2
        th1, th2 = th1[keep], th2[keep]
    else:
        if not include_failed:
            th1, th2 = th1[ok1], th2[ok2]
        r = min(len(th1), len(th2))
        th1, th2 = th1[:r], th2[:r]
    if len(th1) == 0:
        raise ValueError("chain: no pair of converged replicates; see the ensembles' diagnostics")

    mid, cols = _first_stage_draws(fit1, th1, inputs)
    mid_point, _ = _first_stage_draws(fit1, fit1.theta[None, :], inputs)
    out_draws = _second_stage_draws(fit2.law, th2, mid)
    out_point = _second_stage_draws(fit2.law, fit2.theta[None, :], mid_point)[0]
    mid_point = mid_point[0]

    name1, name2 = fit1.y_column, fit2.y_column
    if name1 == name2:
        name2 = f"{name2}_2"
    table = pd.DataFrame(cols)
    table[name1] = mid_point
    table[f"{name1}_lower"], table[f"{name1}_upper"] = percentile_interval(mid, level)
    table[name2] = out_point
    table[f"{name2}_lower"], table[f"{name2}_upper"] = percentile_interval(out_draws, level)
    try:
        lo, hi = next(iter(fit2.input_ranges().values()))
        table["beyond_second_fit"] = (mid_point < lo) | (mid_point > hi)
    except AttributeError:  # a second fit built from parameters holds no data
        table["beyond_second_fit"] = np.nan
    table.attrs["n_pairs"] = int(len(th1))
    table.attrs["level"] = float(level)
    return table
