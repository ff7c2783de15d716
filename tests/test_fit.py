"""Point fits: reproduction of published numbers on real data, and recovery of known parameters."""

import math

import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

import scalinglaws as sl

# Published values (data/README.md).
EPOCH_PLAIN_FIT = dict(A=477.8, B=2143.9, E=1.8172, alpha=0.3473, beta=0.3672)
EPOCH_OBJECTIVE = 0.00101827
MUENNIGHOFF = dict(
    E=math.exp(0.6254804), A=math.exp(6.255414), B=math.exp(7.3049974),
    alpha=0.3526596, beta=0.3526596, R_D_star=15.387756, R_N_star=5.309743,
)


def test_chinchilla_reproduces_epoch_plain_fit(chinchilla_fit):
    f = chinchilla_fit
    assert f.objective <= 0.0010183
    assert f.converged and not f.on_bound
    p = f.params
    assert abs(p["A"] / EPOCH_PLAIN_FIT["A"] - 1) < 0.01
    assert abs(p["B"] / EPOCH_PLAIN_FIT["B"] - 1) < 0.02
    assert abs(p["E"] - EPOCH_PLAIN_FIT["E"]) < 0.001
    assert abs(p["alpha"] - EPOCH_PLAIN_FIT["alpha"]) < 0.001
    assert abs(p["beta"] - EPOCH_PLAIN_FIT["beta"]) < 0.001


@pytest.mark.slow
def test_chinchilla_optimum_matches_scipy_polish(chinchilla_fit):
    """Our optimum is a true local minimum: scipy's BFGS started there cannot improve on it."""
    from scipy.optimize import minimize
    from scipy.special import huber, logsumexp

    df = sl.datasets.load("chinchilla-240")
    lN, lD, lL = np.log(df.N.values), np.log(df.D.values), np.log(df.loss.values)

    def objective(t):
        e, a, b, al, be = t
        pred = logsumexp([a - al * lN, b - be * lD, np.full_like(lN, e)], axis=0)
        return np.sum(huber(1e-3, pred - lL))

    t0 = chinchilla_fit.theta.copy()
    t0[0] = np.log(t0[0])  # internal E is linear; this objective takes log E
    assert objective(t0) == pytest.approx(chinchilla_fit.objective, rel=1e-12)
    polished = minimize(objective, t0, method="Nelder-Mead", options=dict(xatol=1e-12, fatol=1e-18, maxiter=4000))
    assert chinchilla_fit.objective <= polished.fun * (1 + 1e-9)


def test_chinchilla_multistart_diagnostics(chinchilla_fit):
    d = chinchilla_fit.diagnostics
    assert d["grid_size"] == 4500 and d["n_starts"] == 32
    # Every start either converged or was raced off behind a converged one; none hit the cap.
    assert sum(d["starts_stopped"].values()) == 32
    assert set(d["starts_stopped"]) <= {"converged: f", "converged: step", "converged: gradient", "abandoned"}
    assert d["stop_reason"].startswith("converged")
    assert d["starts_at_best"] >= 3
    assert 0 < d["iterations"] < 200
    assert d["grad_norm"] < 1e-8


def test_unraced_starts_reach_the_same_optimum(chinchilla_fit):
    # Run to the end, the optimum is reached from many starts, not by luck, and racing lost nothing.
    full = sl.fit(sl.datasets.load("chinchilla-240"), "chinchilla", config=sl.solvers.SolverConfig(abandon_ratio=0))
    d = full.diagnostics
    assert "abandoned" not in d["starts_stopped"]
    assert d["starts_at_best"] >= 10
    assert chinchilla_fit.objective <= full.objective * (1 + 1e-12)


def test_chinchilla_grid_is_hoffmann_grid():
    g = sl.laws.chinchilla_grid()
    assert g.shape == (4500, 5)
    # internal order: E (linear), log A, log B, alpha, beta; Hoffmann's grid is in log E
    np.testing.assert_allclose(sorted(set(g[:, 0])), np.exp([-1.0, -0.5, 0.0, 0.5, 1.0]))
    assert sorted(set(g[:, 1])) == [0.0, 5.0, 10.0, 15.0, 20.0, 25.0]
    assert sorted(set(g[:, 3])) == [0.0, 0.5, 1.0, 1.5, 2.0]


def test_data_constrained_reference_values():
    law = sl.laws.get("data_constrained")
    v1 = law.predict(MUENNIGHOFF, N=6.34e9, D=242e9, U=25e9)
    v2 = law.predict(MUENNIGHOFF, N=8.67e9, D=178e9, U=25e9)
    assert v1 == pytest.approx(2.2256440889984477, rel=1e-9)
    assert v2 == pytest.approx(2.2269634075087867, rel=1e-9)


def test_data_constrained_published_fit_on_182_rows():
    df = sl.datasets.load("datablations")
    f = sl.Fit.from_params("data_constrained", MUENNIGHOFF, data=df)
    assert f.diagnostics["r2"] == pytest.approx(0.7722, abs=5e-5)
    assert f.objective == pytest.approx(0.0158259, rel=1e-5)


def test_predict_shapes_and_units(chinchilla_fit):
    f = chinchilla_fit
    one = f.predict(N=70e9, D=1.4e12)
    assert np.ndim(one) == 0
    p = f.params
    expected = p["E"] + p["A"] * 70e9 ** -p["alpha"] + p["B"] * 1.4e12 ** -p["beta"]
    assert float(one) == pytest.approx(expected, rel=1e-12)
    grid = f.predict(N=np.array([1e9, 1e10]), D=2e11)
    assert grid.shape == (2,)


def test_summary_is_a_table(chinchilla_fit):
    import re

    summary = chinchilla_fit.summary()
    s = str(summary)
    assert re.search(r"^parameter\s+estimate\s+std_error\s+on_bound$", s, re.M), s
    # one row per parameter, named and with its estimate and standard error (a name elsewhere in
    # the text is not enough)
    se = chinchilla_fit.inference().std_errors
    for name, value in chinchilla_fit.params.items():
        assert re.search(rf"^{name}\s+{re.escape(f'{value:.6g}')}\s+{re.escape(f'{se[name]:.6g}')}$", s, re.M), (name, s)
    assert re.search(rf"^objective: .* = {re.escape(f'{chinchilla_fit.objective:.10g}')}$", s, re.M)
    assert re.search(r"^converged: yes", s, re.M)
    assert str(chinchilla_fit) == s and "converged: yes" in summary
    # the same table as a frame, and as HTML in a notebook
    table = chinchilla_fit.to_frame()
    assert list(table.index) == list(chinchilla_fit.params) and table.attrs["level"] is None
    np.testing.assert_array_equal(table["estimate"], list(chinchilla_fit.params.values()))
    assert "<table" in chinchilla_fit._repr_html_() and "alpha" in chinchilla_fit._repr_html_()


def test_save_load_round_trip(chinchilla_fit, tmp_path):
    path = chinchilla_fit.save(tmp_path / "fit.json")
    g = sl.load(path)
    assert g.params == chinchilla_fit.params
    assert g.objective == chinchilla_fit.objective
    assert g.converged == chinchilla_fit.converged
    np.testing.assert_array_equal(g.predict(N=[1e9, 1e11], D=[2e10, 2e12]),
                                  chinchilla_fit.predict(N=[1e9, 1e11], D=[2e10, 2e12]))
    import json

    d = json.loads(path.read_text())
    assert d["law"] == "chinchilla" and d["data_summary"]["n"] == 240
    assert {"scalinglaws", "jax", "numpy"} <= set(d["versions"])


def test_from_params_without_data():
    f = sl.Fit.from_params("chinchilla", dict(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28))
    assert f.predict(N=1e9, D=2e10) == pytest.approx(1.69 + 406.4 * 1e9 ** -0.34 + 410.7 * 2e10 ** -0.28)
    assert math.isnan(f.objective)


# ------------------------------------------------------------------ recovery on synthetic data
RNG = np.random.default_rng(20241123)
N_SYN = np.exp(RNG.uniform(np.log(5e7), np.log(2e10), 60))
D_SYN = N_SYN * np.exp(RNG.uniform(np.log(2), np.log(200), 60))
C_SYN = np.logspace(18, 24, 30)
X_RL = np.logspace(np.log10(1.5e3), 5, 40)

CASES = {
    "power": (dict(E=1.7, A=400.0, alpha=0.12), dict(C=C_SYN)),
    "chinchilla": (dict(E=1.82, A=478.0, B=2144.0, alpha=0.347, beta=0.367), dict(N=N_SYN, D=D_SYN)),
    "loglinear": (dict(a=0.1, b=0.15), dict(C=X_RL)),
    "sigmoid": (dict(R0=0.4, A=0.64, C_mid=1.1e4, B=1.7), dict(C=X_RL)),
}


def _table(law_name, params, inputs, noise_sd=0.0, seed=0):
    law = sl.laws.get(law_name)
    y = law.predict(params, **inputs)
    if noise_sd:
        eps = np.random.default_rng(seed).normal(0.0, noise_sd, size=y.shape)
        y = y * np.exp(eps) if law.space == "log" else y + eps
    return {**inputs, law.target: y}


@pytest.mark.parametrize("law_name", sorted(CASES))
def test_noise_free_recovery(law_name):
    params, inputs = CASES[law_name]
    f = sl.fit(_table(law_name, params, inputs), law_name)
    assert f.converged
    for k, v in params.items():
        assert f.params[k] == pytest.approx(v, rel=1e-6), k


def test_noise_free_recovery_data_constrained():
    df = sl.datasets.load("datablations")
    inputs = dict(N=df.N.values, D=df.D.values, U=df.U.values)
    f = sl.fit(_table("data_constrained", MUENNIGHOFF, inputs), "data_constrained")
    assert f.converged
    for k, v in MUENNIGHOFF.items():
        assert f.params[k] == pytest.approx(v, rel=1e-6), k


@pytest.mark.parametrize("law_name", sorted(CASES))
def test_noisy_recovery_within_asymptotic_error(law_name):
    """With noise sd s, the estimate lies within 5 asymptotic standard errors of the truth.

    Least squares: Cov = s^2 (J^T J)^-1 with J the Jacobian at the truth. The Huber fits with
    delta = 1e-3 << s are least-absolute-deviation fits, whose asymptotic covariance is
    (pi / 2) s^2 (J^T J)^-1 for Gaussian noise (the median's efficiency). A 5-sigma band fails
    with probability ~6e-7 per parameter; the seed is fixed, so the test is deterministic.
    """
    params, inputs = CASES[law_name]
    law = sl.laws.get(law_name)
    sd = 0.01 if law.space == "log" else 0.005
    f = sl.fit(_table(law_name, params, inputs, noise_sd=sd, seed=7), law_name)
    assert f.converged
    F = jnp.asarray(law.features(inputs))
    theta = jnp.asarray(law.from_public(params))
    _, J = law.value_and_jacobian(theta, F)
    J = np.asarray(J)
    cov = sd**2 * np.linalg.inv(J.T @ J) * (math.pi / 2 if law.space == "log" else 1.0)
    se = np.sqrt(np.diag(cov))
    err = np.abs(f.theta - np.asarray(theta))  # internal space: logs for amplitudes
    assert np.all(err <= 5 * se), dict(zip(law.internal_names, err / se))


def test_custom_law_recovery():
    law = sl.laws.custom(
        "test_offset_power",
        lambda p, x: p["E"] + p["A"] * x["C"] ** -p["alpha"],
        params=["E", "A", "alpha"], inputs=["C"], target="loss", space="log", log_params=["E", "A"],
        grid={"E": [0.5, 1.0, 2.0], "A": [10.0, 100.0, 1000.0], "alpha": [0.05, 0.1, 0.3]},
    )
    truth = dict(E=1.7, A=400.0, alpha=0.12)
    y = 1.7 + 400.0 * C_SYN**-0.12
    f = sl.fit({"C": C_SYN, "loss": y}, law)
    assert f.converged
    for k, v in truth.items():
        assert f.params[k] == pytest.approx(v, rel=1e-6)
    # the same law through the registry
    sl.laws.register(law, overwrite=True)
    assert sl.fit({"C": C_SYN, "loss": y}, "test_offset_power").params["alpha"] == pytest.approx(0.12, rel=1e-6)


def test_fixed_parameter_is_held():
    params, inputs = CASES["power"]
    f = sl.fit(_table("power", params, inputs, noise_sd=0.01, seed=3), "power", fixed={"E": 1.5})
    assert f.params["E"] == pytest.approx(1.5, rel=1e-12)
    assert f.converged


def test_objective_choice_changes_the_fit():
    params, inputs = CASES["power"]
    data = _table("power", params, inputs, noise_sd=0.02, seed=11)
    huber = sl.fit(data, "power")
    lsq = sl.fit(data, "power", objective="lsq")
    assert "Huber" in huber.diagnostics["objective_name"]
    assert "squared" in lsq.diagnostics["objective_name"]
    assert huber.params != lsq.params


def test_batched_solver_matches_one_at_a_time():
    """Problems in one batch do not influence each other."""
    from scalinglaws.problem import Problem, internal_bounds
    from scalinglaws.inputs import prepare

    params, inputs = CASES["power"]
    data = _table("power", params, inputs, noise_sd=0.02, seed=5)
    law = sl.laws.get("power")
    prob = Problem(law, prepare(data, law), law.default_objective, *internal_bounds(law, None, None),
                   sl.solvers.SolverConfig())
    rng = np.random.default_rng(0)
    W = rng.multinomial(30, np.ones(30) / 30, size=6).astype(float)
    starts = np.broadcast_to(law.start_grid(prob.F, prob.y_fit)[:4], (6, 4, 3)).copy()
    together = prob.solve(W, starts)
    for i in range(6):
        alone = prob.solve(W[i : i + 1], starts[i : i + 1])
        # Batching changes XLA's reduction order, so the last bits differ; near a Huber optimum
        # theta is pinned only to ~1e-9 relative, the objective to ~1e-15.
        np.testing.assert_allclose(np.asarray(alone.theta[0]), np.asarray(together.theta[i]), rtol=1e-7)
        assert float(alone.objective[0]) == pytest.approx(float(together.objective[i]), rel=1e-12)
        assert int(alone.iterations[0]) == pytest.approx(int(together.iterations[i]), abs=2)


def test_point_fit_stopped_by_the_cap_is_retried():
    from scalinglaws.solvers import SolverConfig

    df = sl.datasets.load("chinchilla-240")
    fit = sl.fit(df, "chinchilla", config=SolverConfig(max_iter=15))  # every start stops at 15
    assert fit.diagnostics["retried"] and fit.converged
    assert fit.objective == pytest.approx(0.00101827401780060, rel=1e-9)
    assert not sl.fit(df, "chinchilla").diagnostics["retried"]


def test_start_values_pick_the_float64_best_of_the_grid(chinchilla_fit):
    # The float32 screen keeps SCREEN_FACTOR * k candidates; the k best by the float64 objective
    # on the whole grid are among them, in the same order.
    from scalinglaws import problem as _problem
    from scalinglaws.solvers import top_k_starts

    prob = chinchilla_fit.problem
    grid = np.clip(prob.law.start_grid(prob.F, prob.y_fit), prob.lower, prob.upper)
    full = prob.grid_values(grid)
    screened = prob.start_values(grid, 32)
    kept = np.isfinite(screened)
    assert kept.sum() == _problem.SCREEN_FACTOR * 32
    np.testing.assert_array_equal(screened[kept], full[kept])  # the candidates carry float64 values
    np.testing.assert_array_equal(top_k_starts(screened, 32), top_k_starts(full, 32))
    np.testing.assert_array_equal(chinchilla_fit._ranked_starts, grid[top_k_starts(full, 32)])


def test_start_values_fall_back_to_float64_where_float32_overflows():
    # Squared residuals near 1e40 overflow float32 (3.4e38) but not float64: the whole grid is
    # then scored in float64, and the fit starts from its true best points.
    from scalinglaws.solvers import top_k_starts

    law = sl.laws.custom("huge_linear", lambda p, x: p["a"] * x["x"] + p["b"], params=["a", "b"], inputs=["x"],
                         target="y", space="linear", grid={"a": np.linspace(-1e20, 1e20, 40),
                                                           "b": np.linspace(-1e20, 1e20, 40)})
    x = np.linspace(1.0, 10.0, 12)
    df = pd.DataFrame({"x": x, "y": 3e19 * x + 1e19})
    fit = sl.fit(df, law, objective="lsq", n_starts=4)
    prob = fit.problem
    grid = law.from_public(sl.laws.product_grid({"a": np.linspace(-1e20, 1e20, 40),
                                                 "b": np.linspace(-1e20, 1e20, 40)}, law.params))
    values = prob.start_values(grid, 4)
    assert np.isfinite(values).all()  # scored in float64 throughout
    np.testing.assert_array_equal(values, prob.grid_values(grid))
    np.testing.assert_array_equal(fit._ranked_starts, grid[top_k_starts(prob.grid_values(grid), 4)])
    assert fit.params["a"] == pytest.approx(3e19, rel=1e-9) and fit.params["b"] == pytest.approx(1e19, rel=1e-6)


def test_a_start_outside_the_bounds_is_solved_from_the_bound(chinchilla_fit):
    # Starts are clipped into the bounds before the first step is planned: a start with alpha far
    # above its upper bound is evaluated at the bound, never outside it.
    prob = chinchilla_fit.problem
    bad = chinchilla_fit.theta.copy()
    bad[3] = prob.upper[3] + 5.0
    res = prob.solve(prob.weights[None, :], np.stack([bad, chinchilla_fit.theta])[None])
    assert np.all(res.theta_starts[0] <= prob.upper + 1e-12) and np.all(res.theta_starts[0] >= prob.lower - 1e-12)
    assert np.isfinite(res.objective_starts[0]).all()
    assert float(res.objective[0]) == pytest.approx(chinchilla_fit.objective, rel=1e-12)
