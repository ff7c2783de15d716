"""One solver iteration, per (problem, start): the objective, gradient and step matrix in one
pass over the data (:func:`compute_terms`), the IRLS / Newton step with its damping and active
set (``_iterate``), slot (re)starts, and the bound checks. The phases are described in
:mod:`scalinglaws.solvers`."""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .arrow import Arrow
from .arrow import damped_solve as arrow_solve
from .arrow import quadratic as arrow_quadratic
from .config import WARM, StopReason
from ..sums import sum_columns as _sum_all  # the machine's form of the per-iteration sums

__all__ = ["Terms", "compute_terms", "fresh_state", "on_bound", "bound_hits", "objective_values",
           "grouped_objective_values", "grouped_predictions"]


class Terms(NamedTuple):
    """Everything one iteration needs at a point: f, gradient, the step matrix (the IRLS or the
    Newton matrix, whichever the next step uses) and the damping scale."""

    f: jax.Array
    g: jax.Array
    A: jax.Array
    scale: jax.Array


class _State(NamedTuple):
    theta: jax.Array
    terms: Terms
    lam: jax.Array
    lam_newton: jax.Array
    newton: jax.Array
    stage: jax.Array
    refresh: jax.Array
    done: jax.Array
    reason: jax.Array  # StopReason code; converged is is_converged(reason)
    k: jax.Array
    retries_used: jax.Array  # damped Newton retries used (``newton_retries`` per start)
    warm: jax.Array  # started warm (``stage0 >= WARM``) and not yet fallen back to IRLS
    step: jax.Array  # the next step, planned from ``terms`` at ``theta`` (ignored on a refresh)
    predicted: jax.Array  # the decrease the step's quadratic model predicts


def _symmetric(p, upper_entries, dtype):
    iu = np.triu_indices(p)
    M = jnp.zeros((p, p), dtype).at[iu].set(jnp.stack(upper_entries))
    return M + jnp.triu(M, 1).T


def compute_terms(law, objective, theta, F, y, w, smooth=1.0, newton=False) -> Terms:
    """Objective, gradient, step matrix and damping scale, in one pass over the data.

    ``newton`` (a traced bool) picks the matrix: the exact Hessian
    ``J^T diag(w psi') J + sum_i w_i psi_i Hess(pred_i)``, or the IRLS matrix
    ``J^T diag(w psi / r) J``. Choosing per lane with a weight vector, rather than reducing both,
    keeps the pass at one matrix's worth of sums (33 instead of 48 for Chinchilla: 25% faster).

    A grouped law with shared parameters (it has ``group_thetas``: see
    :mod:`scalinglaws.laws.shared`) gets the same sums per group and a block-arrow matrix
    (:func:`_grouped_terms`).
    """
    if hasattr(law, "group_thetas"):
        return _grouped_terms(law, objective, theta, F, y, w, smooth, newton)
    p = theta.shape[0]
    pred, J = law.value_and_jacobian(theta, F)
    columns, c = _point_columns(objective, pred, J, y, w, smooth, newton)
    parts = law.curvature_parts(theta, F) if law.curvature_parts is not None else None
    if parts is not None:
        curv_cols, assemble = parts
        columns += [c * k for k in curv_cols]
    f, g, A, scale, rest = _from_sums(_sum_all(columns), p, theta.dtype)
    if parts is not None:
        curvature = assemble(rest)
    else:
        # J^T diag(-c) J is already in A; add sum_i c_i Hess(pred_i) + J^T diag(c) J.
        curvature = law.curvature_term(theta, F, c) + (J * c[:, None]).T @ J
    A = A + jnp.where(newton, curvature, jnp.zeros_like(curvature))
    f = jnp.where(jnp.isfinite(f), f, jnp.inf)
    return Terms(f, g, A, scale)


def shares_terms(law) -> bool:
    """Whether :func:`shared_start_terms` applies: a law whose every per-point column is linear
    in the weights (its curvature comes as columns, not as a dense per-problem term)."""
    return law.curvature_parts is not None and not hasattr(law, "group_thetas")


def shared_start_terms(law, objective, theta, F, y, W, smooth=1.0, newton=False) -> Terms:
    """:func:`compute_terms` at one point ``theta`` for every weight vector of ``W`` [P, n] at
    once: [P]-batched terms.

    Every column of the pass is a per-point value times the point's weight, so at a point that
    many problems share (a bootstrap's starts) the per-point values are computed once and the
    sums for all problems are one matrix product ``W @ Q``. A point whose values are not finite
    makes every problem's objective ``inf``, weighed or not: :func:`compute_terms` drops such a
    point from ``f`` at weight 0 but its gradient is NaN there (``0 * inf``), so the start could
    only stall; it is stopped as not finite at once.
    """
    p = theta.shape[0]
    pred, J = law.value_and_jacobian(theta, F)
    ones = jnp.ones_like(y)
    columns, c = _point_columns(objective, pred, J, y, ones, smooth, newton)
    curv_cols, assemble = law.curvature_parts(theta, F)
    Q = jnp.stack(columns + [c * k for k in curv_cols], axis=1)  # [n, columns]
    bad = ~jnp.all(jnp.isfinite(Q), axis=1)
    sums = W @ jnp.where(bad[:, None], 0.0, Q)
    poisoned = jnp.any(bad)

    def one(s):
        f, g, A, scale, rest = _from_sums([s[i] for i in range(s.shape[0])], p, theta.dtype)
        curvature = assemble(rest)
        A = A + jnp.where(newton, curvature, jnp.zeros_like(curvature))
        f = jnp.where(jnp.isfinite(f) & ~poisoned, f, jnp.inf)
        return Terms(f, g, A, scale)

    return jax.vmap(one)(sums)


def shared_objective_values(law, objective, theta, F, y, W):
    """The objective at one point ``theta`` for every weight vector of ``W`` [P, n]: one matrix
    product (see :func:`shared_start_terms`); ``inf`` where a weighted point is not finite, and
    points of weight 0 ignored, as in :func:`_objective`."""
    rho = objective.rho(law.fit_fn(theta, F) - y, 1.0)
    bad = ~jnp.isfinite(rho)
    f = W @ jnp.where(bad, 0.0, rho)
    return jnp.where(((W @ bad.astype(W.dtype)) > 0) | ~jnp.isfinite(f), jnp.inf, f)


def _point_columns(objective, pred, J, y, w, smooth, newton):
    """The per-point columns whose sums are f, g, the step matrix's upper triangle and the
    damping scale (in that order), and ``c = w psi`` (the curvature's weights)."""
    p = J.shape[1]
    r = pred - y
    rho = objective.rho(r, smooth)
    c = w * objective.psi(r, smooth)
    # Newton: J^T diag(w psi' - c) J here, plus sum c (M^T diag(P) M) from the curvature parts.
    v = jnp.where(newton, w * objective.psi_prime(r, smooth) - c, w * objective.irls_weight(r, smooth))
    cols = [J[:, j] for j in range(p)]
    iu = list(zip(*np.triu_indices(p)))
    columns = [jnp.where(w > 0, w * rho, 0.0)]  # a weight of 0 drops the point, even a NaN one
    columns += [c * cj for cj in cols]
    columns += [v * cols[i] * cols[j] for i, j in iu]
    columns += [w * cj * cj for cj in cols]
    return columns, c


def _from_sums(sums, p, dtype):
    """``(f, g, A, scale, rest)`` from the sums of :func:`_point_columns`' columns (and any
    curvature columns after them, returned as ``rest``)."""
    m = p * (p + 1) // 2
    f = sums[0]
    g = jnp.stack(sums[1 : 1 + p])
    A = _symmetric(p, sums[1 + p : 1 + p + m], dtype)
    scale = jnp.stack(sums[1 + p + m : 1 + 2 * p + m])
    return f, g, A, scale, sums[1 + 2 * p + m :]


def _grouped_terms(law, objective, theta, F, y, w, smooth, newton) -> Terms:
    """:func:`compute_terms` of a grouped law with shared parameters: the base law's sums per
    group (a segment sum over the rows' group column, the last column of ``F``), then the joint
    gradient and the block-arrow matrix (:class:`~.arrow.Arrow`). Work is linear in the number
    of groups."""
    base, G = law.base, law.n_groups
    dtype = theta.dtype
    gid = F[:, -1].astype(jnp.int32)
    X = F[:, :-1]
    thetas = law.group_thetas(theta)  # [G, p_base]
    rows = thetas[gid]
    pred, J = jax.vmap(lambda t, x: base.value_and_jacobian(t, x[None]))(rows, X)
    pred, J = pred[:, 0], J[:, 0, :]
    pb = J.shape[1]
    columns, c = _point_columns(objective, pred, J, y, w, smooth, newton)
    has_parts = base.curvature_parts is not None
    if has_parts:
        curv_cols = jax.vmap(lambda t, x: base.curvature_parts(t, x[None])[0])(rows, X)
        columns += [c * k[:, 0] for k in curv_cols]
        curv_rows = None
    else:
        curv_rows = jax.vmap(lambda t, x, ci, j: base.curvature_term(t, x[None], ci[None]) + ci * jnp.outer(j, j))(
            rows, X, c, J)
    sums = jax.ops.segment_sum(jnp.stack(columns, axis=1), gid, num_segments=G)  # [G, columns]

    def per_group(t, s):
        f, g, A, scale, rest = _from_sums([s[i] for i in range(s.shape[0])], pb, dtype)
        return f, g, A, scale, (base.curvature_parts(t, X[:1])[1](rest) if has_parts else jnp.zeros_like(A))

    f_g, g_g, A_g, scale_g, curv_g = jax.vmap(per_group)(thetas, sums)
    if not has_parts:
        curv_g = jax.ops.segment_sum(curv_rows, gid, num_segments=G)
    A_g = A_g + jnp.where(newton, curv_g, jnp.zeros_like(curv_g))
    si, li = np.asarray(law.shared_index), np.asarray(law.local_index)
    joint = lambda v: jnp.concatenate([jnp.sum(v[:, si], axis=0), v[:, li].reshape(-1)])  # noqa: E731
    A = Arrow(ss=jnp.sum(A_g[:, si][:, :, si], axis=0), sl=A_g[:, si][:, :, li], ll=A_g[:, li][:, :, li])
    f = jnp.sum(f_g)
    f = jnp.where(jnp.isfinite(f), f, jnp.inf)
    return Terms(f, joint(g_g), A, joint(scale_g))


def _objective(law, objective, theta, F, y, w, smooth=1.0):
    r = law.fit_fn(theta, F) - y
    v = jnp.sum(jnp.where(w > 0, w * objective.rho(r, smooth), 0.0))
    return jnp.where(jnp.isfinite(v), v, jnp.inf)


def _n_stages(objective, config) -> int:
    return max(1, config.smoothing_stages) if getattr(objective, "smoothable", False) else 1


def _smoothing(objective, config, stage, dtype):
    last = _n_stages(objective, config) - 1
    return jnp.asarray(config.smoothing_factor, dtype) ** (last - stage)


def _scaled_max(v, theta):
    return jnp.max(jnp.abs(v) * jnp.maximum(jnp.abs(theta), 1.0))


def _held(theta, g, lower, upper, fixed):
    """Parameters that are fixed, or at a bound with the gradient pointing outward."""
    return fixed | ((theta <= lower) & (g > 0)) | ((theta >= upper) & (g < 0))


def fresh_state(objective, config, old: _State, theta0, stage0) -> _State:
    """A slot restarted at ``theta0`` without evaluating anything: the next iteration is a
    refresh (zero step, terms evaluated and accepted), which is the initial evaluation."""
    dtype = theta0.dtype
    return old._replace(
        theta=theta0,
        lam=jnp.asarray(config.lam0, dtype),
        lam_newton=jnp.asarray(config.newton_lam0, dtype),
        newton=stage0 >= WARM,
        stage=jnp.minimum(stage0, _n_stages(objective, config) - 1).astype(jnp.int32),
        refresh=jnp.asarray(True),
        done=jnp.asarray(False),
        reason=jnp.asarray(StopReason.RUNNING, jnp.int32),
        k=jnp.asarray(0, jnp.int32),
        retries_used=jnp.asarray(0, jnp.int32),
        warm=stage0 >= WARM,
        step=jnp.zeros_like(theta0),
        predicted=jnp.asarray(0.0, dtype),
        terms=old.terms._replace(f=jnp.asarray(jnp.inf, dtype)),
    )


def _init_state(law, objective, config, F, y, w, lower, upper, theta0, stage0, fixed=None) -> _State:
    theta0 = jnp.clip(theta0, lower, upper)
    fixed = jnp.zeros(theta0.shape, bool) if fixed is None else fixed
    warm = stage0 >= WARM
    stage0 = jnp.minimum(stage0, _n_stages(objective, config) - 1).astype(jnp.int32)
    dtype = theta0.dtype
    terms = compute_terms(law, objective, theta0, F, y, w, _smoothing(objective, config, stage0, dtype), warm)
    step, predicted = first_plan(config, terms, theta0, warm, lower, upper, fixed)
    return _State(
        theta=theta0,
        terms=terms,
        lam=jnp.asarray(config.lam0, dtype),
        lam_newton=jnp.asarray(config.newton_lam0, dtype),
        newton=jnp.asarray(warm),
        stage=stage0,
        refresh=jnp.asarray(False),
        done=~jnp.isfinite(terms.f),
        reason=jnp.where(jnp.isfinite(terms.f), StopReason.RUNNING, StopReason.NOT_FINITE).astype(jnp.int32),
        k=jnp.asarray(0, jnp.int32),
        retries_used=jnp.asarray(0, jnp.int32),
        warm=jnp.asarray(warm),
        step=step,
        predicted=predicted,
    )


def _iterate(law, objective, config, F, y, w, lower, upper, fixed, s: _State) -> _State:
    """One damped IRLS or Newton step for one problem and start (see module docstring).

    ``s.newton`` says which matrix ``s.terms.A`` holds and so which step this is. The trial
    point's terms are computed for the step after: Newton if this is a Newton step, or an IRLS
    step whose model predicts a small relative decrease (the switch); IRLS otherwise. A rejected
    Newton step re-evaluates the current point as IRLS (a refresh: no step) and carries on there.
    """
    dtype = s.theta.dtype
    tiny = jnp.finfo(dtype).tiny
    T = s.terms
    f = T.f
    last_stage = s.stage >= _n_stages(objective, config) - 1
    keep = ~_held(s.theta, T.g, lower, upper, fixed)
    g_free = jnp.where(keep, T.g, 0.0)
    lam = jnp.where(s.newton, s.lam_newton, s.lam)
    # The step was planned at the end of the last iteration (a refresh takes none).
    step = jnp.where(s.refresh, 0.0, s.step)
    predicted = jnp.where(s.refresh, 0.0, s.predicted)
    trial = s.theta + step
    fscale = jnp.maximum(f, tiny)
    # A refresh (new stage, restarted slot, Newton given up) re-evaluates in place as s.newton says.
    trial_newton = jnp.where(s.refresh, s.newton, s.newton | (predicted < config.newton_switch * fscale))
    T_trial = compute_terms(law, objective, trial, F, y, w, _smoothing(objective, config, s.stage, dtype),
                            trial_newton)
    accept = (T_trial.f < f) | s.refresh

    # Convergence: tiny predicted and actual decrease, or a tiny step, taken with little damping
    # (a step strangled by a large lam says nothing); or a tiny scaled gradient.
    # Tolerances below what the dtype resolves are raised to a floor (float32 runs).
    eps = float(jnp.finfo(dtype).eps)
    ftol = jnp.where(last_stage, max(config.ftol, 10 * eps), config.stage_tol)
    xtol = jnp.where(last_stage, max(config.xtol, 100 * eps), config.stage_tol)
    gtol = jnp.where(last_stage, max(config.gtol, 100 * eps), config.stage_tol)
    small_f = (jnp.abs(f - T_trial.f) <= ftol * fscale) & (jnp.abs(predicted) <= ftol * fscale)
    small_x = jnp.max(jnp.abs(step) / jnp.maximum(jnp.abs(s.theta), 1.0)) <= xtol
    small_g = _scaled_max(g_free, s.theta) <= gtol * fscale
    stepped = (small_g | ((small_f | small_x) & (lam <= 1.0))) & ~s.refresh
    # A rejected Newton step falls back to IRLS (a refresh: one pass to get its matrix). A warm
    # start away from the bounds first retries Newton with ``newton_retry_factor`` times the
    # damping, ``newton_retries`` times per start in all and not after a fallback: its first
    # Newton step from the full-data optimum often overshoots, and a retry costs the pass the
    # refresh would. Measured on the hard-fit suite (300 replicates a case): retries for cold
    # starts too, for warm starts on a bound, or without the budget cost up to 12% more
    # iterations on the weakly identified sets (a rejected step there follows a flat or
    # indefinite direction of the Hessian, which IRLS handles); as they are, chinchilla-240 takes
    # 8.4 instead of 12.2 iterations a replicate.
    rejected_newton = s.newton & ~accept & ~stepped & ~s.refresh
    at_bound = jnp.any(((s.theta <= lower) | (s.theta >= upper) | (trial <= lower) | (trial >= upper)) & ~fixed)
    retry = s.warm & ~at_bound & (s.retries_used < config.newton_retries)
    give_up_newton = rejected_newton & ~retry
    lam_irls = jnp.where(accept, jnp.maximum(s.lam * 0.3, 1e-12), s.lam * 10.0)
    lam_newton = jnp.where(accept, jnp.maximum(s.lam_newton * 0.1, 1e-15),
                           s.lam_newton * jnp.where(retry, config.newton_retry_factor, 10.0))
    lam_next = jnp.where(s.newton | s.refresh, s.lam, lam_irls)
    lam_newton_next = jnp.where(s.newton & ~s.refresh, lam_newton, s.lam_newton)
    newton_next = jnp.where(accept, trial_newton, s.newton) & ~give_up_newton
    theta_next = jnp.where(accept, trial, s.theta)
    T_next = jax.tree.map(lambda a, b: jnp.where(accept, a, b), T_trial, T)
    # The next step is planned here, so that the Newton decrement at the new point (the decrease
    # its quadratic model predicts, g^T (H + lam D)^-1 g / 2 at little damping; Boyd &
    # Vandenberghe 2004, 9.5.1) can stop the start now rather than after one more pass.
    lam_plan = jnp.where(newton_next, lam_newton_next, lam_next)
    step_next, predicted_next = _plan(T_next, theta_next, lam_plan, lower, upper, fixed)
    decrement = (newton_next & accept & (lam_plan <= 1.0) & (predicted_next >= 0)
                 & (predicted_next <= ftol * jnp.maximum(T_next.f, tiny)) & config.decrement_stop)
    stage_converged = stepped | decrement
    stalled = jnp.maximum(s.lam, s.lam_newton) >= config.lam_max
    converged = stage_converged & last_stage
    # A restarted slot whose start point is not finite has nothing to descend from.
    not_finite = s.refresh & ~jnp.isfinite(T_trial.f)
    # An intermediate stage only supplies a start for the next: move on when it settles or stalls.
    advance = (stage_converged | stalled) & ~last_stage
    lam0 = jnp.asarray(config.lam0, dtype)
    # Which test; a convergence on a bound is told apart where the result is filed (``stream``).
    why_converged = jnp.where(small_g, StopReason.CONVERGED_GRADIENT,
                              jnp.where(small_f | decrement, StopReason.CONVERGED_F, StopReason.CONVERGED_STEP))
    reason = jnp.where(converged, why_converged,
                       jnp.where(stalled & last_stage, StopReason.STALLED,
                                 jnp.where(not_finite, StopReason.NOT_FINITE, StopReason.RUNNING)))
    new = _State(
        theta=theta_next,
        terms=T_next,
        # A new smoothing stage starts afresh: IRLS, initial damping, terms refreshed.
        lam=jnp.where(advance, lam0, lam_next),
        lam_newton=jnp.where(advance, config.newton_lam0, lam_newton_next),
        newton=newton_next & ~advance,
        stage=s.stage + advance.astype(jnp.int32),
        refresh=advance | give_up_newton,
        done=converged | (stalled & last_stage) | not_finite,
        reason=reason.astype(jnp.int32),
        k=s.k + 1,
        retries_used=s.retries_used + (rejected_newton & retry).astype(jnp.int32),
        warm=s.warm & ~give_up_newton,
        step=step_next,
        predicted=predicted_next,
    )
    # Members already done stay frozen while the rest of the batch iterates.
    return jax.tree.map(lambda old, upd: jnp.where(s.done, old, upd), s, new)


def _plan(T: Terms, theta, lam, lower, upper, fixed):
    """The damped step from ``theta`` (held parameters still, bounds projected) and the decrease
    its quadratic model predicts, ``-g^T s - s^T A s / 2``."""
    tiny = jnp.finfo(theta.dtype).tiny
    keep = ~_held(theta, T.g, lower, upper, fixed)
    g_free = jnp.where(keep, T.g, 0.0)
    scale = jnp.maximum(T.scale, 1e-12 * jnp.max(T.scale) + tiny)
    step = _damped_solve(T.A, lam, scale, keep, -g_free)
    step = jnp.clip(theta + jnp.where(keep & jnp.isfinite(step), step, 0.0), lower, upper) - theta
    return step, -(g_free @ step) - 0.5 * _quadratic(T.A, step)


def first_plan(config, T: Terms, theta, warm, lower, upper, fixed):
    """:func:`_plan` from a start's first evaluation, at the damping a start begins with (Newton
    for a warm start, IRLS otherwise)."""
    lam = jnp.where(warm, config.newton_lam0, config.lam0).astype(theta.dtype)
    return _plan(T, theta, lam, lower, upper, fixed)


def _damped_solve(A, lam, scale, keep, rhs):
    """``(A + lam diag(scale)) x = rhs`` with held parameters' rows and columns the identity:
    dense, or block-arrow for a grouped fit with shared parameters (:mod:`.arrow`)."""
    if isinstance(A, Arrow):
        return arrow_solve(A, lam, scale, keep, rhs)
    p = A.shape[0]
    A = jnp.where(keep[:, None] & keep[None, :], A + lam * jnp.diag(scale), jnp.eye(p, dtype=A.dtype))
    return jnp.linalg.solve(A, rhs)


def _quadratic(A, v):
    return arrow_quadratic(A, v) if isinstance(A, Arrow) else v @ (A @ v)


def on_bound(theta, lower, upper, fixed, bound_tol):
    """[...] bool: a free parameter within ``bound_tol * max(1, |bound|)`` of a finite bound."""
    span_lo = jnp.maximum(1.0, jnp.abs(jnp.where(jnp.isfinite(lower), lower, 0.0)))
    span_hi = jnp.maximum(1.0, jnp.abs(jnp.where(jnp.isfinite(upper), upper, 0.0)))
    at_lo = jnp.isfinite(lower) & (theta <= lower + bound_tol * span_lo)
    at_hi = jnp.isfinite(upper) & (theta >= upper - bound_tol * span_hi)
    return jnp.any((at_lo | at_hi) & ~fixed, axis=-1)


def bound_hits(theta, lower, upper, fixed, bound_tol) -> tuple[np.ndarray, np.ndarray]:
    """numpy ``(at_lower, at_upper)`` [..., p]: which free parameters sit on which finite bound
    (the per-parameter form of :func:`on_bound`, same tolerance)."""
    theta = np.asarray(theta, dtype=np.float64)
    lower, upper = np.asarray(lower, np.float64), np.asarray(upper, np.float64)
    span_lo = np.maximum(1.0, np.abs(np.where(np.isfinite(lower), lower, 0.0)))
    span_hi = np.maximum(1.0, np.abs(np.where(np.isfinite(upper), upper, 0.0)))
    free = ~np.asarray(fixed, bool)
    at_lo = np.isfinite(lower) & (theta <= lower + bound_tol * span_lo) & free
    at_hi = np.isfinite(upper) & (theta >= upper - bound_tol * span_hi) & free
    return at_lo, at_hi


@partial(jax.jit, static_argnames=("law", "objective"))
def objective_values(law, objective, F, y, w, thetas):
    """Objective at many internal points ``thetas`` [G, p] for one weight vector ``w`` [n]."""
    return jax.vmap(lambda t: _objective(law, objective, t, F, y, w))(thetas)


@partial(jax.jit, static_argnames=("law", "objective", "keep"))
def screened_objective_values(law, objective, F, y, w, thetas, keep: int):
    """The objective at many internal points ``thetas`` [G, p] in float32, and in float64 at the
    ``keep`` best of them, in one call: ``(rough [G] float32, kept [keep] indices, values
    [keep] float64)``. ``F``, ``y``, ``w`` and ``thetas`` come in float64."""
    f32 = jnp.float32
    rough = jax.vmap(lambda t: _objective(law, objective, t, F.astype(f32), y.astype(f32), w.astype(f32)))(
        thetas.astype(f32))
    kept = jax.lax.top_k(-rough, keep)[1]
    return rough, kept, jax.vmap(lambda t: _objective(law, objective, t, F, y, w))(thetas[kept])


@partial(jax.jit, static_argnames=("law", "objective"))
def grouped_objective_values(law, objective, F, y, w, thetas):
    """Objective at internal points per data set: ``F`` [G, n, k], ``y``, ``w`` [G, n],
    ``thetas`` [G, K, p] -> [G, K] (every group's start grid scored in one call)."""
    one = lambda Fg, yg, wg, tg: jax.vmap(lambda t: _objective(law, objective, t, Fg, yg, wg))(tg)  # noqa: E731
    return jax.vmap(one)(F, y, w, thetas)


@partial(jax.jit, static_argnames=("law",))
def grouped_predictions(law, F, thetas):
    """Fit-space predictions per data set: ``F`` [G, n, k], ``thetas`` [G, p] -> [G, n]."""
    return jax.vmap(law.fit_fn)(thetas, F)
