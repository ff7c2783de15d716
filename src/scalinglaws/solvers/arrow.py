"""The block-arrow step matrix of a grouped fit with shared parameters, and its damped solve.

A law fitted to ``G`` groups with ``s`` parameters shared by every group and ``q`` of each
group's own has ``s + G q`` parameters, ordered ``[shared | group 0 | group 1 | ...]``. A data
point of group ``g`` moves only the shared parameters and group ``g``'s, so the Gauss-Newton and
Newton matrices are block-arrow shaped:

    A = [[A_ss,     A_s0, A_s1, ...],
         [A_s0^T,   A_00,  0,   ...],
         [A_s1^T,    0,   A_11, ...], ...]

:class:`Arrow` stores the three kinds of block (``s x s``, ``G`` of ``s x q``, ``G`` of ``q x q``),
so memory and work grow linearly in ``G`` where a dense matrix grows as ``G^2`` and its solve as
``G^3``. :func:`damped_solve` solves ``(A + lam diag(scale)) x = rhs`` by eliminating each
group's block first (the Schur complement onto the shared parameters, as in bundle adjustment's
reduced camera system, Triggs et al. 2000, "Bundle adjustment: a modern synthesis", section 6.1):

    X_g = A_gg^-1 [A_sg^T, r_g],   S = A_ss - sum_g A_sg X_g[:, :s],
    x_s = S^-1 (r_s - sum_g A_sg X_g[:, s]),   x_g = X_g[:, s] - X_g[:, :s] x_s.

A parameter held by the active set (fixed, or at a bound and pushed outward) has its row and
column replaced by the identity, exactly as the dense solve does.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

__all__ = ["Arrow", "damped_solve", "quadratic"]


class Arrow(NamedTuple):
    """A symmetric block-arrow matrix (see module docstring): ``ss`` [s, s], ``sl`` [G, s, q],
    ``ll`` [G, q, q]."""

    ss: jax.Array
    sl: jax.Array
    ll: jax.Array


def _split(v, s, G, q):
    return v[..., :s], v[..., s:].reshape(v.shape[:-1] + (G, q))


def damped_solve(A: Arrow, lam, scale, keep, rhs):
    """``x`` [s + G q] solving ``(A + lam diag(scale)) x = rhs`` on the kept parameters, with the
    held ones' rows and columns the identity (their ``rhs`` is 0, so their ``x`` is 0)."""
    s = A.ss.shape[0]
    G, q = A.ll.shape[0], A.ll.shape[1]
    dtype = A.ss.dtype
    keep_s, keep_l = _split(keep, s, G, q)
    scale_s, scale_l = _split(scale, s, G, q)
    r_s, r_l = _split(rhs, s, G, q)
    A_ss = jnp.where(keep_s[:, None] & keep_s[None, :], A.ss + lam * jnp.diag(scale_s), jnp.eye(s, dtype=dtype))
    A_sl = jnp.where(keep_s[None, :, None] & keep_l[:, None, :], A.sl, 0.0)
    diag_l = jax.vmap(jnp.diag)(scale_l)
    kept_ll = keep_l[:, :, None] & keep_l[:, None, :]
    A_ll = jnp.where(kept_ll, A.ll + lam * diag_l, jnp.broadcast_to(jnp.eye(q, dtype=dtype), (G, q, q)))
    X = jnp.linalg.solve(A_ll, jnp.concatenate([jnp.swapaxes(A_sl, 1, 2), r_l[:, :, None]], axis=2))
    S = A_ss - jnp.einsum("gsq,gqt->st", A_sl, X[:, :, :s])
    b = r_s - jnp.einsum("gsq,gq->s", A_sl, X[:, :, s])
    x_s = jnp.linalg.solve(S, b)
    x_l = X[:, :, s] - jnp.einsum("gqt,t->gq", X[:, :, :s], x_s)
    return jnp.concatenate([x_s, x_l.reshape(-1)])


def quadratic(A: Arrow, v):
    """``v^T A v``."""
    s = A.ss.shape[0]
    G, q = A.ll.shape[0], A.ll.shape[1]
    v_s, v_l = _split(v, s, G, q)
    return (v_s @ A.ss @ v_s + 2.0 * jnp.einsum("s,gsq,gq->", v_s, A.sl, v_l)
            + jnp.einsum("gq,gqr,gr->", v_l, A.ll, v_l))
