"""User-defined laws: :func:`custom` wraps a JAX function in natural units as a :class:`Law`."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import jax.numpy as jnp
import numpy as np

from .base import Law, product_grid

__all__ = ["custom"]


# user-defined laws
# --------------------------------------------------------------------------------------------



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

    g = product_grid(grid, params) if isinstance(grid, Mapping) else np.asarray(grid, float)

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


