"""The solver's settings, stop reasons and result: :class:`SolverConfig`, :class:`StopReason`,
:class:`SolveResult`, and ``WARM``, the stage that marks a warm start."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import NamedTuple

import jax
import numpy as np

__all__ = ["SolverConfig", "StopReason", "SolveResult", "WARM", "is_converged", "stop_reason_counts"]


@dataclass(frozen=True)
class SolverConfig:
    """Solver settings (static under ``jit``: changing one recompiles).

    Attributes:
        max_iter: iteration cap per problem; a problem that hits it is flagged not converged.
        ftol: stop when the actual and the predicted relative decrease of ``f`` are both below
            it, or (``decrement_stop``) when an accepted Newton step lands where the next
            step's predicted relative decrease (the Newton decrement) is below it.
        xtol: stop when ``max_j |s_j| / max(|theta_j|, 1)`` is below it.
        gtol: stop when ``max_j |g_j| max(|theta_j|, 1)`` is below ``gtol * max(f, tiny)``.
        lam0, newton_lam0: initial damping of the IRLS and the Newton phase.
        newton_switch: relative decrease of an accepted IRLS step below which Newton is tried.
        lam_max: damping beyond which the problem is declared stalled.
        bound_tol: a parameter within ``bound_tol * max(1, |bound|)`` of a bound is on it.
        smoothing_stages, smoothing_factor: continuation for smoothable objectives (Huber).
        stage_tol: the (looser) ftol/xtol/gtol that ends an intermediate stage.
        abandon_after, abandon_ratio: racing between the starts of one problem. From iteration
            ``abandon_after`` on, a start (at the real objective) whose objective exceeds
            ``abandon_ratio`` times the lowest objective another start of the same problem has
            converged to is abandoned (done, not converged, stop reason ``ABANDONED``). Local
            descent only ever lowers ``f``, so such a start can win only by falling below a
            finished optimum from more than twice as high. Measured on Chinchilla (4,000
            bootstrap replicates x 3 grid starts run to convergence): none of the abandoned starts
            would have won, and running them costs 8x the time (``benchmarks/bench_bootstrap.py``);
            on the hard-fit suite the point fits racing so match a 128-start scipy reference
            (``benchmarks/bench_hard.py``). ``abandon_ratio=0`` runs every start to the end. The
            point fit and the bootstrap race by the same rule (both run on :func:`stream`).
        screen_ratio, screen_iterations: screening, which spares a problem's cold starts before
            they cost an iteration. Once a warm start (``stage0 >= WARM``: a bootstrap replicate
            started from the full-data optimum) has converged within ``screen_iterations``
            iterations, every cold start of its problem whose objective at the start exceeds
            ``screen_ratio`` times that optimum is not run (stop reason ``SCREENED``). A warm
            start that converges in a few Newton steps has found its replicate's optimum next to
            the full-data one; a start far above it would have to descend more than
            ``screen_ratio``-fold to beat it. Where the warm start needed longer, failed, or has
            not finished when the cold start is dispatched, the cold start runs, raced. Measured
            on the hard-fit suite (21 cases x 1,000 replicates x 3 cold starts run unraced,
            ``benchmarks/bench_screen.py``): at 14 iterations and 8x no replicate loses a
            start that found a lower optimum, while 87% of chinchilla-240's cold starts are
            screened; at 16 iterations the first such start is lost. ``screen_ratio=0`` turns
            screening off (so do laws that do not race, and retries).
        newton_retries, newton_retry_factor: a warm start whose Newton step is rejected, with
            no free parameter on a bound, retries it with ``newton_retry_factor`` times the
            damping before falling back to IRLS, ``newton_retries`` times per start in all
            (cold starts and starts on a bound fall back at once). Measured on the hard-fit
            suite (300 replicates a case): chinchilla-240 takes 8.4 instead of 12.2 iterations
            a replicate, the suite 2,909 instead of 2,952 summed; retrying every start, or
            without the budget, cost up to 12% more iterations on the weakly identified sets.
        decrement_stop: stop on a small Newton decrement (see ``ftol``); it saves the pass
            that would confirm convergence.
        retry_factor: a point fit or bootstrap replicate that failed to converge is solved again
            with ``retry_factor * max_iter`` iterations from more starts (``fitting``,
            ``bootstrap.retry_failed``); 1 or less turns the retry off.
    """

    max_iter: int = 200
    ftol: float = 1e-13
    xtol: float = 1e-11
    gtol: float = 1e-10
    lam0: float = 1e-3
    newton_lam0: float = 1e-6
    newton_switch: float = 3e-2
    lam_max: float = 1e10
    bound_tol: float = 1e-8
    smoothing_stages: int = 1
    smoothing_factor: float = 10.0
    stage_tol: float = 1e-6
    abandon_after: int = 6
    abandon_ratio: float = 2.0
    screen_ratio: float = 8.0
    screen_iterations: int = 14
    retry_factor: int = 5
    newton_retries: int = 2
    newton_retry_factor: float = 100.0
    decrement_stop: bool = True

    def __post_init__(self):
        if self.screen_ratio != 0 and self.screen_ratio < 1:
            raise ValueError(f"screen_ratio must be 0 (off) or at least 1, got {self.screen_ratio}")

    def for_retry(self) -> SolverConfig:
        """What a point fit or replicate that failed to converge is solved again with:
        ``retry_factor`` times the iterations, every start run (no screening: the retry is the
        screen's safety net)."""
        return replace(self, max_iter=int(self.max_iter * self.retry_factor), screen_ratio=0.0)


class StopReason(enum.IntEnum):
    """Why a (problem, start) stopped: the first four are convergence, the rest are not."""

    RUNNING = 0  #: not stopped (never in a result)
    CONVERGED_F = 1  #: actual and predicted relative decrease, or the Newton decrement, below ``ftol``
    CONVERGED_STEP = 2  #: scaled step below ``xtol``
    CONVERGED_GRADIENT = 3  #: scaled gradient below ``gtol``
    ON_BOUND = 4  #: converged (any test) with a free parameter held on a bound
    ITERATION_CAP = 5  #: ``max_iter`` reached
    STALLED = 6  #: damping beyond ``lam_max``: no step decreases ``f``
    ABANDONED = 7  #: raced off: far behind another start of its problem (``abandon_ratio``)
    NOT_FINITE = 8  #: the objective is not finite at the start
    SCREENED = 9  #: not run: far above its problem's quickly converged warm start (``screen_ratio``)

    @property
    def label(self) -> str:
        return _STOP_LABELS[self]

    @property
    def converged(self) -> bool:
        return bool(is_converged(self))


def is_converged(reason):
    """Whether stop reason codes (an int, numpy or JAX array) are convergence: 1 to 4."""
    return (reason >= StopReason.CONVERGED_F) & (reason <= StopReason.ON_BOUND)


_STOP_LABELS = {
    StopReason.RUNNING: "running",
    StopReason.CONVERGED_F: "converged: f",
    StopReason.CONVERGED_STEP: "converged: step",
    StopReason.CONVERGED_GRADIENT: "converged: gradient",
    StopReason.ON_BOUND: "converged: on a bound",
    StopReason.ITERATION_CAP: "iteration cap",
    StopReason.STALLED: "stalled",
    StopReason.ABANDONED: "abandoned",
    StopReason.NOT_FINITE: "not finite at start",
    StopReason.SCREENED: "screened",
}


def stop_reason_counts(reasons) -> dict[str, int]:
    """``{label: count}`` of an array of :class:`StopReason` codes (labels with a zero count left out)."""
    codes, counts = np.unique(np.asarray(reasons).ravel(), return_counts=True)
    return {StopReason(int(c)).label: int(k) for c, k in zip(codes, counts)}


class SolveResult(NamedTuple):
    """Per-problem results (best start) and per-start results, as JAX arrays.

    ``theta``: [P, p] internal parameters of the best start; ``objective``, ``grad_norm``,
    ``iterations``, ``converged``, ``on_bound``, ``best_start``, ``stop_reason``: [P];
    ``*_starts``: [P, S(, p)]. ``grad_norm`` is ``max_j |g_j| max(|theta_j|, 1)`` over free
    parameters, the scaled gradient the solver tests. Objectives are always the real
    (unsmoothed) objective. ``stop_reason`` holds :class:`StopReason` codes.
    """

    theta: jax.Array
    objective: jax.Array
    grad_norm: jax.Array
    iterations: jax.Array
    converged: jax.Array
    on_bound: jax.Array
    best_start: jax.Array
    stop_reason: jax.Array
    theta_starts: jax.Array
    objective_starts: jax.Array
    converged_starts: jax.Array
    iterations_starts: jax.Array
    abandoned_starts: jax.Array
    stop_reason_starts: jax.Array


WARM = 2**30
"""``stage0 >= WARM`` marks a warm start (already at an optimum of a nearby problem, such as a
bootstrap replicate started from the full-data fit): it begins at the real objective, in the
Newton phase, where a few steps converge it; IRLS from there would crawl at its linear rate."""
