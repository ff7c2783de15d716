"""Batched robust Levenberg-Marquardt / Newton solver over [problems x starts x points].

Each problem minimises ``f(theta) = sum_i w_i rho(r_i(theta))`` with ``r = law(theta, F) - y``
(in the law's fit space), ``w`` the problem's weights (bootstrap counts, user weights, and 0 for
padding), and ``rho`` a robust objective (``objectives``). Problems share ``F`` and ``y``; only
their weights and start points differ, so a whole bootstrap ensemble is one array program.

The iteration (per problem and start, all in lock-step under ``vmap``):

1. IRLS phase: the step solves ``(J^T W_irls J + lam D) s = -g`` with ``W_irls = w psi(r) / r``, the
   curvature of the quadratic majoriser of ``rho``: a reweighted Gauss-Newton step that decreases
   Huber objectives from far away (Holland & Welsch 1977).
2. Newton phase, entered once IRLS steps stall (relative decrease below ``newton_switch``): the
   exact Hessian ``J^T diag(w psi'(r)) J + sum_i w_i psi(r_i) Hess(r_i)``, lightly damped. Huber's
   IRLS converges only linearly on these near-L1 problems (about 0.75 per step on Chinchilla);
   once the set of points inside the quadratic zone is settled, Newton converges in a few steps.
   A Newton step that fails to decrease ``f`` drops the problem back to the IRLS phase; a warm
   start (a bootstrap replicate started from the full-data optimum) away from the bounds first
   retries with ``newton_retry_factor`` times the damping, ``newton_retries`` times per start.
   A Newton-phase start also stops when the Newton decrement at its new point, the decrease its
   next step's quadratic model predicts, is below ``ftol`` (Boyd & Vandenberghe 2004, 9.5.1):
   the next step is planned at the end of each iteration, so the pass that would only confirm
   convergence is saved.
3. Continuation (smoothable objectives only): stage ``k`` of ``K`` solves with Huber's quadratic
   zone widened by ``smoothing_factor ** (K - 1 - k)``; each stage starts from the last one's
   solution, and only the final stage is the real objective.

Steps are accepted only when they decrease ``f`` (a NaN trial is a rejection); the damping ``lam``
shrinks on success and grows on failure (Levenberg 1944, Marquardt 1963), scaled by the diagonal
of ``J^T diag(w) J``. Bounds are handled by projection with an active set: a parameter at a bound
whose gradient points outward is held for that step.

One pass over the data per iteration: the objective, gradient and both matrices are computed
together at the trial point (one variadic reduction), and kept if the step is accepted. Where
many problems start at one point (a bootstrap's starts), their first pass is one matrix product
of the weights with the per-point columns (``step.shared_start_terms``).
``lax.while_loop`` runs until every member of the batch is done or ``max_iter``.

Why not L-BFGS or a line search: under ``vmap`` every ``while_loop`` (and each line search) runs
until its slowest batch member is done, so line-search methods batch badly; an LM step is one
small dense solve per member. docs/performance.md records the measurements.

The package, bottom to top: ``config`` (settings, stop reasons, the result), ``step`` (one
iteration and the bound checks), ``stream`` (the slot pool that runs every task), ``batch``
(:func:`solve`, and start selection).
"""

from .batch import solve, solve_in_segments, top_k_starts
from .config import WARM, SolverConfig, SolveResult, StopReason, is_converged, stop_reason_counts
from .step import (  # noqa: F401  (the private names are used by benchmarks/ and tests)
    Terms, _init_state, _iterate, _objective, _sum_all, bound_hits, compute_terms, fresh_state,
    grouped_objective_values, grouped_predictions, objective_values, on_bound, screened_objective_values,
)
from .stream import stream

__all__ = ["SolverConfig", "StopReason", "SolveResult", "solve", "solve_in_segments", "stream", "objective_values", "screened_objective_values",
           "grouped_objective_values", "grouped_predictions",
           "top_k_starts", "stop_reason_counts", "WARM", "compute_terms", "bound_hits", "on_bound", "is_converged"]
