"""Two fitted laws composed, the first's prediction being the second's input, with a band carried
through both: compute -> pre-training loss -> downstream error (:func:`chain`)."""

from __future__ import annotations

from collections.abc import Mapping

import jax.numpy as jnp
import numpy as np
import pandas as pd

from . import extrapolate as _extrapolate
from .ensemble import Ensemble
from .inputs import check_level
from .intervals import DEFAULT_LEVEL, percentile_interval

__all__ = ["chain"]


def _stage(result):
    """(point fit, replicate thetas [R, p] or None, valid mask [R] or None) of a Fit or Ensemble."""
    if isinstance(result, Ensemble):
        return result.fit, np.asarray(result.theta), np.asarray(result.valid)
    if hasattr(result, "theta") and hasattr(result, "law"):
        return result, None, None
    raise TypeError(f"chain takes scalinglaws Fit or Ensemble objects, got {type(result).__name__}")


def _first_stage_draws(fit, thetas, inputs: Mapping):
    """Natural-unit predictions [R, m] of the first law: at the compute-optimal allocation when it
    has one and only ``C`` is given, else at the given inputs. Returns (draws, flat inputs)."""
    law = fit.law
    if law.allocation is not None and set(inputs) == {"C"} and "C" not in (*law.inputs, *fit.x_columns):
        C = np.atleast_1d(np.asarray(inputs["C"], dtype=np.float64)).reshape(-1)
        return _extrapolate.allocation_draws(law, thetas, C)["loss"], {"C": C}
    flat, _ = _extrapolate.broadcast_inputs(law, fit._inputs_from_columns(inputs))
    cols = {c: flat[name] for name, c in zip(law.inputs, fit.x_columns)}
    return _extrapolate.predict_draws(law, thetas, flat), cols


def _second_stage_draws(law, thetas, values):
    """Row r of ``thetas`` [R, p] (a one-input law) at its own inputs ``values[r]`` [m]; NaN where
    a value is outside the law's domain (not finite, or <= 0 for a law that takes logs)."""
    v = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(v) & ((v > 0) if law.log_inputs else True)
    safe = np.where(ok, v, 1.0)
    F = (np.log(safe) if law.log_inputs else safe)[..., None]  # [R, m, 1]
    out = np.asarray(_extrapolate.predict_rowwise(law, jnp.asarray(np.atleast_2d(thetas)), jnp.asarray(F)))
    return np.where(ok, out, np.nan)


def chain(first, second, level: float = DEFAULT_LEVEL, include_failed: bool = False, **inputs):
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
    if fit2.has_data:
        lo, hi = next(iter(fit2.input_ranges().values()))
        table["beyond_second_fit"] = (mid_point < lo) | (mid_point > hi)
    else:
        table["beyond_second_fit"] = np.nan
    table.attrs["n_pairs"] = int(len(th1))
    table.attrs["level"] = float(level)
    return table
