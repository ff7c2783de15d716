"""One solve path: the point fit and the bootstrap run on ``solvers.stream``, honour every
``SolverConfig`` setting alike, and record why each problem and start stopped."""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np
import pytest

import scalinglaws as sl
from scalinglaws.solvers import SolverConfig, StopReason


@pytest.fixture(scope="module")
def chinchilla():
    return sl.fit(sl.datasets.load("chinchilla-240"), "chinchilla")


def test_point_fit_records_why_every_start_stopped(chinchilla):
    d = chinchilla.diagnostics
    assert d["stop_reason"] in ("converged: f", "converged: step", "converged: gradient")
    assert sum(d["starts_stopped"].values()) == d["n_starts"]
    assert d["starts_stopped"].get("abandoned", 0) > 0  # racing is on in the point fit


def test_iteration_cap_is_a_stop_reason():
    df = sl.datasets.load("chinchilla-240")
    f = sl.fit(df, "chinchilla", config=SolverConfig(max_iter=3, retry_factor=1))
    assert not f.converged
    assert f.diagnostics["stop_reason"] == "iteration cap"
    assert set(f.diagnostics["starts_stopped"]) <= {"iteration cap", "abandoned", "converged: f",
                                                    "converged: step", "converged: gradient"}


def test_converging_on_a_bound_is_its_own_stop_reason():
    # Irreducible loss forced against a bound it wants to cross: the fit converges there.
    df = sl.datasets.load("chinchilla-240")
    f = sl.fit(df, "chinchilla", bounds={"E": (1.9, None)})
    assert f.converged and f.on_bound
    assert f.diagnostics["stop_reason"] == "converged: on a bound"
    assert StopReason.ON_BOUND.converged and not StopReason.ABANDONED.converged


def test_a_start_where_the_objective_is_not_finite_stops_at_once():
    fit = sl.fit(sl.datasets.load("chinchilla-240"), "chinchilla")
    prob = fit.problem
    theta0 = np.stack([fit.theta, np.full_like(fit.theta, np.nan)])[None]
    res = prob.solve(prob.weights[None], theta0)
    reasons = np.asarray(res.stop_reason_starts[0])
    assert reasons[1] == StopReason.NOT_FINITE
    assert int(res.iterations_starts[0, 1]) <= 1
    assert StopReason(int(reasons[0])).converged and int(res.best_start[0]) == 0


def test_bootstrap_honours_the_racing_settings(chinchilla):
    raced = chinchilla.bootstrap(200, seed=0, progress=False)
    unraced = chinchilla.bootstrap(200, seed=0, progress=False,
                                   config=dataclasses.replace(chinchilla.problem.config, abandon_ratio=0.0))
    late = chinchilla.bootstrap(200, seed=0, progress=False,
                                config=dataclasses.replace(chinchilla.problem.config, abandon_after=40))
    n_raced = sum(raced.diagnostics["start_abandoned"])
    assert n_raced > 0
    assert sum(unraced.diagnostics["start_abandoned"]) == 0
    # Racing later lets starts run longer before they are judged.
    assert late._a.start_iterations[late._a.start_abandoned].min() >= 40
    assert raced._a.start_iterations[raced._a.start_abandoned].min() >= 6
    # Racing drops only starts that would not have won: the same optimum for every replicate.
    np.testing.assert_allclose(raced._a.objective, unraced._a.objective, rtol=1e-9)


def test_bootstrap_records_stop_reasons_and_round_trips_them(chinchilla, tmp_path):
    ens = chinchilla.bootstrap(100, seed=0, progress=False)
    d = ens.diagnostics
    assert sum(d["stop_reasons"].values()) == 100
    assert all(k.startswith("converged") for k in d["stop_reasons"])
    assert len(d["start_stop_reasons"]) == 4
    assert all(sum(c.values()) == 100 for c in d["start_stop_reasons"])
    assert "stopped: converged" in ens.summary()
    back = sl.load(ens.save(tmp_path / "ens.json"))
    np.testing.assert_array_equal(back._a.stop_reason, ens._a.stop_reason)
    assert back.diagnostics["stop_reasons"] == d["stop_reasons"]


def test_bootstrap_honours_the_iteration_cap_and_records_it(chinchilla):
    cfg = dataclasses.replace(chinchilla.problem.config, max_iter=3, retry_factor=1)
    ens = chinchilla.bootstrap(100, seed=0, progress=False, failed="drop", config=cfg)
    assert ens._a.start_iterations.max() <= 3
    assert ens.diagnostics["stop_reasons"].get("iteration cap", 0) == ens.diagnostics["failed_to_converge"] > 0


def test_point_fit_and_bootstrap_share_one_driver(chinchilla):
    # A replicate's weights solved as a point-fit batch give the stream's answer.
    from scalinglaws import bootstrap

    prob = chinchilla.problem
    ens = chinchilla.bootstrap(8, seed=3, progress=False)
    W = bootstrap.replicate_weight_matrix(prob, 3, "multinomial", None, np.arange(8))
    starts = np.concatenate([chinchilla.theta[None], chinchilla._ranked_starts[:3]])
    stage0 = np.array([sl.solvers.WARM, 0, 0, 0], np.int32)
    res = prob.solve(W, np.broadcast_to(starts, (8,) + starts.shape), np.broadcast_to(stage0, (8, 4)))
    np.testing.assert_allclose(np.asarray(res.objective), ens._a.objective, rtol=1e-12)
    np.testing.assert_array_equal(np.asarray(res.stop_reason), ens._a.stop_reason)
    assert jnp.all(res.converged)


def test_bootstrap_rejects_a_config_that_is_not_one(chinchilla):
    with pytest.raises(TypeError, match="config must be a SolverConfig"):
        chinchilla.bootstrap(10, config={"max_iter": 5})


def test_bootstrap_screens_cold_starts_far_above_a_quickly_converged_warm_start(chinchilla):
    cfg = chinchilla.problem.config
    ens = chinchilla.bootstrap(200, seed=0, progress=False)
    every = chinchilla.bootstrap(200, seed=0, progress=False, config=dataclasses.replace(cfg, screen_ratio=0.0))
    a = ens._a
    screened = a.start_stop_reason == StopReason.SCREENED
    assert screened[:, 0].sum() == 0  # the warm start is never screened
    assert screened[:, 1:].mean() > 0.5  # chinchilla-240: most cold starts (87% over 1,000 replicates)
    assert ens.diagnostics["start_screened"] == screened.sum(axis=0).tolist()
    # A screened start was never run, ends where it began, and began far above its replicate's
    # warm optimum, which converged within screen_iterations.
    assert np.all(a.start_iterations[screened] == 0)
    warm = np.broadcast_to(a.start_objective[:, :1], a.start_objective.shape)
    assert np.all(a.start_objective[screened] > cfg.screen_ratio * warm[screened])
    rows = screened.any(axis=1)
    assert np.all(a.start_iterations[rows, 0] <= cfg.screen_iterations)
    assert np.all(np.isin(a.start_stop_reason[rows, 0], [1, 2, 3, 4]))
    # Nothing is lost on this set: every replicate reaches the optimum running every start does.
    assert (every._a.start_stop_reason == StopReason.SCREENED).sum() == 0
    np.testing.assert_allclose(ens._a.objective, every._a.objective, rtol=1e-9)
    assert sum(a.start_iterations.sum(axis=1)) < 0.6 * sum(every._a.start_iterations.sum(axis=1))


def test_screening_runs_cold_starts_that_begin_close_or_follow_a_slow_warm_start(chinchilla):
    cfg = chinchilla.problem.config
    # A warm start that needed more than screen_iterations says the replicate moved: run them all.
    slow = chinchilla.bootstrap(100, seed=0, progress=False, config=dataclasses.replace(cfg, screen_iterations=0))
    assert (slow._a.start_stop_reason == StopReason.SCREENED).sum() == 0
    # A cold start that begins within screen_ratio of the warm optimum is run.
    loose = chinchilla.bootstrap(100, seed=0, progress=False, config=dataclasses.replace(cfg, screen_ratio=1e6))
    assert (loose._a.start_stop_reason == StopReason.SCREENED).sum() == 0
    with pytest.raises(ValueError, match="screen_ratio"):
        SolverConfig(screen_ratio=0.5)
    # Retries run every start.
    assert cfg.for_retry().screen_ratio == 0 and cfg.for_retry().max_iter == cfg.max_iter * cfg.retry_factor


def test_shared_start_terms_are_each_problems_own_terms(chinchilla):
    # A bootstrap's first pass (one matrix product over the weights) against one pass per replicate.
    from scalinglaws import bootstrap
    from scalinglaws.solvers import step

    prob = chinchilla.problem
    assert step.shares_terms(prob.law)
    F, y, _, _ = prob.device_arrays()
    W = jnp.asarray(prob.pad_rows(bootstrap.replicate_weight_matrix(prob, 5, "multinomial", None, np.arange(6)),
                                  axis=1, fill=0.0))
    for theta, newton in ((chinchilla.theta, True), (chinchilla._ranked_starts[2], False)):
        theta = jnp.asarray(theta)
        shared = step.shared_start_terms(prob.law, prob.objective, theta, F, y, W, 1.0, newton)
        for r in range(W.shape[0]):
            own = step.compute_terms(prob.law, prob.objective, theta, F, y, W[r], 1.0, newton)
            for a, b in zip(shared, own):
                np.testing.assert_allclose(np.asarray(a[r]), np.asarray(b), rtol=1e-11, atol=1e-14)
        f = step.shared_objective_values(prob.law, prob.objective, theta, F, y, W)
        np.testing.assert_allclose(np.asarray(f), np.asarray(shared.f), rtol=1e-12)
    # A point that is not finite: every problem's objective is inf (compute_terms' gradient is
    # NaN there even at weight 0, so the start could only stall); the screening objective
    # ignores it where its weight is 0, as _objective does.
    y_bad = y.at[7].set(jnp.nan)
    W0 = W.at[0, 7].set(0.0).at[1, 7].set(2.0)
    shared = step.shared_start_terms(prob.law, prob.objective, jnp.asarray(chinchilla.theta), F, y_bad, W0, 1.0, True)
    own = step.compute_terms(prob.law, prob.objective, jnp.asarray(chinchilla.theta), F, y_bad, W0[0], 1.0, True)
    assert np.all(np.isinf(np.asarray(shared.f))) and not np.all(np.isfinite(np.asarray(own.g)))
    f = np.asarray(step.shared_objective_values(prob.law, prob.objective, jnp.asarray(chinchilla.theta), F, y_bad, W0))
    assert np.isfinite(f[0]) and np.isinf(f[1])
    np.testing.assert_allclose(f[0], float(step._objective(prob.law, prob.objective, jnp.asarray(chinchilla.theta),
                                                           F, y_bad, W0[0])), rtol=1e-12)


def test_decrement_stop_and_warm_retries_save_iterations_not_optima(chinchilla):
    cfg = chinchilla.problem.config
    assert cfg.decrement_stop and cfg.newton_retries > 0
    ens = chinchilla.bootstrap(200, seed=1, progress=False)
    plain = chinchilla.bootstrap(200, seed=1, progress=False,
                                 config=dataclasses.replace(cfg, decrement_stop=False, newton_retries=0))
    np.testing.assert_allclose(ens._a.objective, plain._a.objective, rtol=1e-11)
    np.testing.assert_allclose(ens._a.theta, plain._a.theta, rtol=1e-5, atol=1e-8)
    assert ens._a.converged.all() and plain._a.converged.all()
    # Measured at 1,000 replicates: 12.97 against 8.36 iterations per replicate.
    assert ens._a.start_iterations[:, 0].sum() < 0.85 * plain._a.start_iterations[:, 0].sum()
    # Each alone saves iterations too.
    for off in (dict(decrement_stop=False), dict(newton_retries=0)):
        one = chinchilla.bootstrap(200, seed=1, progress=False, config=dataclasses.replace(cfg, **off))
        assert ens._a.start_iterations.sum() < one._a.start_iterations.sum() < plain._a.start_iterations.sum()
