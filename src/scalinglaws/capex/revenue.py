"""Revenue paths in JAX: lognormal yearly growth (:func:`simulate_revenue`), the plan a lab
commits against (:func:`planned_revenue`), a late market (:func:`slip`), slower growth
(:func:`slowdown`), and the growth
distribution's helpers (:func:`growth_sigma`, :func:`growth_probability_below`)."""

from __future__ import annotations

import functools
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from scipy import stats

from ..inputs import check_int, renamed_arguments


_Z90 = float(stats.norm.ppf(0.95))  # 1.6449: a central 90% interval is median * exp(+-z sigma)


def growth_sigma(growth_median: float, growth_interval90: tuple[float, float],
                 rtol: float = 0.01) -> float:
    """Log-scale sigma of lognormal yearly growth from its median and central 90% interval.

    ``sigma = (ln hi - ln lo) / (2 * 1.6449)``. The interval must be geometrically symmetric
    about the median, ``lo * hi = median**2`` (within ``rtol`` relative), as a lognormal's is:
    e.g. median 10x with [3.16x, 31.6x]. ``lo = hi = median`` gives sigma = 0 (no noise).
    """
    med = float(growth_median)
    if not (med > 0 and np.isfinite(med)):
        raise ValueError(
            f"growth_median must be positive and finite (x per year); got {growth_median!r}"
        )
    try:
        lo, hi = (float(v) for v in growth_interval90)
    except (TypeError, ValueError):
        raise ValueError(
            f"growth_interval90 must be a pair (low, high); got {growth_interval90!r}"
        ) from None
    if not (0 < lo <= med <= hi and np.isfinite(hi)):
        raise ValueError(
            f"growth_interval90 must satisfy 0 < low <= growth_median <= high; got "
            f"({lo!r}, {hi!r}) around median {med!r}"
        )
    centre = math.sqrt(lo * hi)
    if abs(math.log(centre / med)) > math.log1p(rtol):
        raise ValueError(
            f"growth_interval90 ({lo}, {hi}) is not geometrically symmetric about the median "
            f"{med}: its geometric centre is {centre:.4g}; a lognormal's 90% interval is "
            f"(median / k, median * k)"
        )
    return (math.log(hi) - math.log(lo)) / (2.0 * _Z90)


def growth_probability_below(threshold: float, growth_median: float,
                             growth_interval90: tuple[float, float]) -> float:
    """P(one year's growth < threshold) under the lognormal: ``Phi(ln(threshold/median) / sigma)``.

    Median 10x with 90% interval [3.16x, 31.6x]: P(growth < 5x) = 0.161.
    """
    sigma = growth_sigma(growth_median, growth_interval90)
    if not threshold > 0:
        raise ValueError(f"threshold must be positive; got {threshold!r}")
    if sigma == 0.0:
        return float(threshold > growth_median)
    return float(stats.norm.cdf(math.log(threshold / growth_median) / sigma))


def _log_growth_medians(growth_median: float, years: int, decay: float) -> np.ndarray:
    """ln(median growth) in years 1..T: ``ln(growth_median) * (1 - decay) ** (t - 1)``."""
    t = np.arange(years, dtype=np.float64)
    return math.log(growth_median) * (1.0 - decay) ** t


@functools.partial(jax.jit, static_argnames=("n",))
def _revenue_paths(key: jax.Array, r0: jax.Array, mu: jax.Array, sigma: jax.Array,
                   n: int) -> jax.Array:
    """(n, T+1) revenue: ``r0 * exp(cumsum(mu_t + sigma * z_t))`` with z standard normal; ``mu``
    is (T,) or (n, T), ``sigma`` a scalar or (n, 1)."""
    z = jax.random.normal(key, (n, mu.shape[-1]), dtype=jnp.float64)
    log_growth = jnp.broadcast_to(mu, (n, mu.shape[-1])) + sigma * z
    log_path = jnp.concatenate([jnp.zeros((n, 1)), jnp.cumsum(log_growth, axis=1)], axis=1)
    return r0 * jnp.exp(log_path)


def revenue_paths(r0: float, mu: Any, sigma: Any, n: int, seed: int) -> np.ndarray:
    """Paths from log median growths ``mu`` ((T,) or (n, T)) and spreads ``sigma`` (a number or
    (n, 1)), the normal draws from ``jax.random.key(seed)``."""
    return np.asarray(_revenue_paths(jax.random.key(seed), jnp.float64(r0), jnp.asarray(mu, jnp.float64),
                                     jnp.asarray(sigma, jnp.float64), n))


@renamed_arguments(n="n_paths")
def simulate_revenue(r0: Any, growth_median: float | None = None,
                     growth_interval90: tuple[float, float] | None = None, years: int | None = None,
                     n_paths: int | None = None, seed: int | None = None, decay: float = 0.0) -> np.ndarray:
    """Yearly revenue paths with lognormal yearly growth, shape (n_paths, years + 1) (``n`` is
    the old name of ``n_paths``).

    Column 0 is ``r0``; column t is ``R_t = R_{t-1} * g_t`` with independent
    ``ln g_t ~ Normal(mu_t, sigma)``:

    - ``mu_t = ln(growth_median) * (1 - decay) ** (t - 1)`` for t = 1..years: ``decay`` in
      [0, 1] shrinks the log of the median growth geometrically each year (decay = 0: constant
      median; decay = 0.5 with a 10x median gives medians 10x, 3.16x, 1.78x, ...; decay = 1:
      median 1x after the first year);
    - ``sigma`` from the central 90% interval of one year's growth in the first year,
      :func:`growth_sigma` (constant over years). The interval must be geometric-symmetric
      about the median; ``(m, m)`` gives deterministic growth.

    ``r0`` may instead be a :class:`~scalinglaws.capex.RevenueFit` (from
    :func:`~scalinglaws.capex.fit_revenue`) with only ``years``, ``n_paths`` and ``seed``
    given: the paths are then its posterior predictive (:meth:`RevenueFit.simulate`), starting
    from the history's last revenue, each path with its own growth parameters.

    Random numbers come from ``jax.random.key(seed)``: the same seed gives the same paths.
    """
    if years is None or n_paths is None or seed is None:
        raise ValueError("simulate_revenue needs years, n_paths and seed")
    if hasattr(r0, "simulate") and hasattr(r0, "draws"):
        if growth_median is not None or growth_interval90 is not None or decay != 0.0:
            raise ValueError("with a fitted revenue model as r0, give only years, n_paths and seed: the "
                             "growth comes from the fit")
        return r0.simulate(years, n_paths, seed)
    if growth_median is None or growth_interval90 is None:
        raise ValueError("simulate_revenue needs growth_median and growth_interval90 (or a RevenueFit as r0)")
    if isinstance(r0, bool) or np.ndim(r0) != 0 or not (np.isfinite(r0) and r0 > 0):
        raise ValueError(f"r0 must be positive and finite (revenue now); got {r0!r}")
    sigma = growth_sigma(growth_median, growth_interval90)
    years = check_int(years, "years", 1)
    n = check_int(n_paths, "n_paths", 1)
    seed = check_int(seed, "seed", 0)
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"decay must be in [0, 1]; got {decay!r}")
    return revenue_paths(float(r0), _log_growth_medians(growth_median, years, decay), sigma, n, seed)


def planned_revenue(r0: float, planned_growth: float, years: int) -> np.ndarray:
    """The plan: ``P_t = r0 * planned_growth ** t`` for t = 0..years (shape (years + 1,))."""
    if not (np.isfinite(r0) and r0 > 0):
        raise ValueError(f"r0 must be positive and finite; got {r0!r}")
    if not (np.isfinite(planned_growth) and planned_growth > 0):
        raise ValueError(f"planned_growth must be positive and finite; got {planned_growth!r}")
    years = check_int(years, "years", 0)
    return r0 * float(planned_growth) ** np.arange(years + 1, dtype=np.float64)


def slip(revenue: Any, years: int = 1) -> np.ndarray:
    """Revenue realised ``years`` late: ``R'_t = R_{max(t - years, 0)}``.

    The same paths, shifted right along the time axis, with revenue flat at R_0 until the slip
    has passed. Planning 10x a year and realising 10x a year one year late leaves year-2
    revenue at a tenth of plan.
    """
    arr = np.asarray(revenue, dtype=np.float64)
    if arr.ndim not in (1, 2):
        raise ValueError(f"revenue must be (years + 1,) or (n, years + 1); got shape {arr.shape}")
    years = check_int(years, "years", 0)
    idx = np.maximum(np.arange(arr.shape[-1]) - years, 0)
    return arr[..., idx]


def slowdown(revenue: Any, factor: float) -> np.ndarray:
    """Revenue whose yearly growth is ``factor`` times what it was: ``R'_t = R_t * factor**t``.

    The same paths, every year's growth multiplied by ``factor`` (0.5: 10x becomes 5x, a path that
    grew 3x grows 1.5x). The year-to-year spread is unchanged.
    """
    arr = np.asarray(revenue, dtype=np.float64)
    if arr.ndim not in (1, 2):
        raise ValueError(f"revenue must be (years + 1,) or (n, years + 1); got shape {arr.shape}")
    if isinstance(factor, bool) or not (np.isfinite(factor) and factor > 0):
        raise ValueError(f"factor must be positive and finite (multiplies each year's growth); got {factor!r}")
    return arr * float(factor) ** np.arange(arr.shape[-1])


def as_paths(revenue: Any) -> np.ndarray:
    """Revenue paths as a float64 ``(n, years + 1)`` array: one path may be given flat."""
    arr = np.asarray(revenue, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise ValueError(
            f"revenue must have shape (n, years + 1) with years >= 1; got {np.shape(revenue)}"
        )
    if not np.isfinite(arr).all() or (arr <= 0).any():
        raise ValueError("revenue must be positive and finite")
    return arr

