"""One law over many groups with some parameters shared by all of them (:class:`SharedLaw`).

Fitting ``law`` to ``G`` groups with the parameters ``shared`` common to every group and the
others each group's own is one problem in ``s + G q`` parameters, laid out
``[shared | group 0's own | group 1's own | ...]`` (internal units, as the base law's). The data
are every group's rows stacked, with the group's number (0 .. G-1) as an extra last feature
column, so a row is predicted by the base law at its group's parameters.

Published uses: Gadre et al. (2024, arXiv:2403.08540) share one exponent between model and data
scaling across their runs; ColPret-style analyses borrow exponents across model families; a
planner sharing a benchmark's slope across model families while each keeps its offset.

The solver reads the group structure (``group_thetas``, ``shared_index``, ``local_index``) and
builds the block-arrow step matrix per group (:mod:`scalinglaws.solvers.arrow`), so a step costs
work linear in ``G``; the base law's analytic Jacobian and curvature are used row by row.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from .base import Law

__all__ = ["SharedLaw", "share"]


@dataclass(frozen=True, eq=False)
class SharedLaw:
    """``base`` fitted jointly to ``n_groups`` groups, ``shared`` parameters common to all.

    Attributes:
        base: the law of each group (a tied law too).
        n_groups: ``G``.
        shared: the shared parameters' names (in ``base.params`` order).
        shared_index, local_index: positions in ``base.params`` of the shared and own parameters.
    """

    base: Law
    n_groups: int
    shared: tuple[str, ...]
    shared_index: tuple[int, ...]
    local_index: tuple[int, ...]

    @property
    def name(self) -> str:
        return f"{self.base.name} over {self.n_groups} groups sharing {', '.join(self.shared)}"

    @property
    def n_params(self) -> int:
        return len(self.shared_index) + self.n_groups * len(self.local_index)

    def group_thetas(self, theta):
        """Joint internal ``theta`` [..., s + G q] -> each group's base-law vector [..., G, p_base]."""
        xp = jnp if isinstance(theta, jax.Array) else np
        s, q, G = len(self.shared_index), len(self.local_index), self.n_groups
        lead = theta.shape[:-1]
        shared = xp.broadcast_to(theta[..., None, :s], lead + (G, s))
        own = theta[..., s:].reshape(lead + (G, q))
        order = np.argsort(np.array(self.shared_index + self.local_index))
        return xp.concatenate([shared, own], axis=-1)[..., order]

    def joint_theta(self, thetas: np.ndarray) -> np.ndarray:
        """Each group's base vector [..., G, p_base] -> joint [..., s + G q]; the shared values are
        taken from group 0 (callers set them equal first)."""
        thetas = np.asarray(thetas, dtype=np.float64)
        si, li = list(self.shared_index), list(self.local_index)
        lead = thetas.shape[:-2]
        return np.concatenate([thetas[..., 0, si], thetas[..., li].reshape(lead + (-1,))], axis=-1)

    def fit_fn(self, theta, F):
        """Fit-space prediction of rows ``F`` [n, k + 1] (the last column: the row's group)."""
        rows = self.group_thetas(theta)[F[:, -1].astype(jnp.int32)]
        return jax.vmap(lambda t, x: self.base.fit_fn(t, x[None])[0])(rows, F[:, :-1])

    def joint_bounds(self, lowers: np.ndarray, uppers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-group internal bounds [G, p_base] -> joint bounds: a shared parameter must be
        inside every group's range (their intersection)."""
        si = list(self.shared_index)
        lo = self.joint_theta(np.asarray(lowers, dtype=np.float64))
        hi = self.joint_theta(np.asarray(uppers, dtype=np.float64))
        s = len(si)
        lo[:s] = np.max(np.asarray(lowers)[:, si], axis=0)
        hi[:s] = np.min(np.asarray(uppers)[:, si], axis=0)
        return lo, hi


def share(law: Law, n_groups: int, shared) -> SharedLaw:
    """``law`` over ``n_groups`` groups with the parameters ``shared`` common to all (cached, so
    the same arguments give the same object and reuse the compiled solver)."""
    shared = (shared,) if isinstance(shared, str) else tuple(shared)
    names = list(law.params)
    tied = {t.target: t for t in getattr(law, "ties", ())}
    for n in shared:
        if n in tied:
            raise KeyError(f"shared names {n!r}, which is tied ({tied[n]}): share {tied[n].source!r} instead")
        if n not in names:
            raise KeyError(f"shared names unknown parameter {n!r}; law {law.name!r} has {names}")
        if n in law.mixed_params:
            raise ValueError(f"{n!r} of law {law.name!r} is derived from the fitted parameters ({law.internal_names}) "
                             "and cannot be shared")
    if len(set(shared)) != len(shared):
        raise ValueError(f"a parameter is named twice in shared: {list(shared)}")
    if not shared:
        raise ValueError("shared must name at least one parameter")
    if len(shared) == len(names):
        raise ValueError(f"shared names every parameter of law {law.name!r}: that is one curve through every "
                         "group's rows; fit the table without by= instead")
    if isinstance(n_groups, bool) or not isinstance(n_groups, (int, np.integer)) or n_groups < 1:
        raise ValueError(f"n_groups must be a positive integer, got {n_groups!r}")
    return _shared(law, int(n_groups), tuple(n for n in names if n in shared))


@functools.lru_cache(maxsize=64)
def _shared(law: Law, n_groups: int, shared: tuple[str, ...]) -> SharedLaw:
    names = list(law.params)
    si = tuple(names.index(n) for n in shared)
    li = tuple(j for j in range(len(names)) if j not in si)
    return SharedLaw(law, n_groups, shared, si, li)
