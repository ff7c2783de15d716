"""Point-fit inference (``Fit.inference``, ``FitSet.inference``): the sandwich and classical
covariances against scipy and the bootstrap, coverage of the Wald intervals over repeated draws,
the flags for parameters on a bound or not identified, goodness of fit and information criteria."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import curve_fit

import scalinglaws as sl
from scalinglaws import inference as _inference

TRUTH = {"E": 1.7, "A": 300.0, "alpha": 0.15}


def _power_curves(n_groups, seed, noise=0.02, n_points=20):
    rng = np.random.default_rng(seed)
    C = np.logspace(17, 21, n_points)
    mean = TRUTH["E"] + TRUTH["A"] * C ** -TRUTH["alpha"]
    y = mean * np.exp(rng.normal(0, noise, (n_groups, n_points)))
    return pd.DataFrame({"C": np.tile(C, n_groups), "loss": y.ravel(), "g": np.repeat(np.arange(n_groups), n_points)})


def _log_power(x, E, A, alpha):
    return np.log(E + A * x ** -alpha)


def _log_power_jacobian(x, E, A, alpha):
    m = E + A * x ** -alpha
    return np.stack([1 / m, x ** -alpha / m, -A * x ** -alpha * np.log(x) / m], axis=-1)


@pytest.mark.parametrize("weighted", [False, True])
def test_classical_covariance_equals_curve_fit(weighted):
    df = _power_curves(1, seed=0, noise=0.01, n_points=30).drop(columns="g")
    w = np.random.default_rng(1).uniform(0.5, 2.0, len(df)) if weighted else np.ones(len(df))
    df["w"] = w
    fit = sl.fit(df, "power", objective="lsq", weights="w")
    p0 = [fit.params[k] for k in ("E", "A", "alpha")]
    popt, pcov = curve_fit(_log_power, df["C"].to_numpy(), np.log(df["loss"].to_numpy()), p0=p0,
                           sigma=1 / np.sqrt(w), jac=_log_power_jacobian, xtol=1e-15, ftol=1e-15, gtol=1e-15)
    # The same formula at the same point: to rounding (scipy given the exact Jacobian: with its
    # default finite differences its pcov is off by 1.5e-6).
    at_scipy = _inference.infer(fit.problem, fit.law.from_public(popt), kind="classical")
    np.testing.assert_allclose(at_scipy.cov.to_numpy(), pcov, rtol=1e-6)
    # At our own optimum (1e-7 from scipy's along the flat E-A direction: the optimum is only
    # determined to about sqrt(machine epsilon) times the conditioning).
    ours = fit.inference(kind="classical")
    np.testing.assert_allclose(ours.cov.to_numpy(), pcov, rtol=1e-5)
    np.testing.assert_allclose(ours.table["std_error"].to_numpy(), np.sqrt(np.diag(pcov)), rtol=1e-5)


def test_sandwich_of_least_squares_is_hc1():
    """For least squares the sandwich is White's HC1: (J'WJ)^-1 (sum w^2 r^2 J J') (J'WJ)^-1 n/(n-k)
    with the exact Hessian in place of J'WJ (the second-order term is small at a good fit)."""
    df = _power_curves(1, seed=2, noise=0.01, n_points=30).drop(columns="g")
    fit = sl.fit(df, "power", objective="lsq")
    inf = fit.inference()
    law, p = fit.law, fit.problem
    _, J = law.value_and_jacobian(fit.theta, p.F)
    J = np.asarray(J)
    r = fit.residuals()
    H = 2 * (J.T @ J + np.asarray(law.curvature_term(fit.theta, p.F, r)))
    B = 4 * (J * r[:, None] ** 2).T @ J
    n, k = len(r), 3
    cov = np.linalg.inv(H) @ B @ np.linalg.inv(H) * n / (n - k)
    np.testing.assert_allclose(inf.cov_internal, cov, rtol=1e-8)


def test_sandwich_matches_bootstrap_on_chinchilla(chinchilla_fit):
    """Sandwich standard errors of E, alpha and beta within 25% of the bootstrap's. The bootstrap's
    standard error is read as half its central 68.3% interval: its standard deviation is inflated
    by a few replicates far in the tail (beta: 0.021 against 0.018)."""
    inf = chinchilla_fit.inference()
    ens = chinchilla_fit.bootstrap(1000, seed=0)
    draws = ens.params
    for name in ("E", "alpha", "beta"):
        lo, hi = np.quantile(draws[name], [0.15866, 0.84134])
        boot = (hi - lo) / 2
        se = inf.std_errors[name]
        assert abs(se / boot - 1) <= 0.25, (name, se, boot)
    assert inf.kind == "sandwich" and not inf.not_identified and not inf.on_bound
    assert inf.information["available"] is False and "not a likelihood" in inf.information["reason"]
    assert "std_error" in chinchilla_fit.summary().to_frame().columns


@pytest.mark.parametrize("kind", ["sandwich", "classical"])
def test_wald_intervals_cover_at_nominal_rate(kind):
    """400 independent synthetic curves fitted as one grouped fit: each parameter's 90% Wald
    interval covers the truth in 90% +- 4% of them (binomial sd 1.5%)."""
    fs = sl.fit(_power_curves(400, seed=1), "power", by="g", objective="lsq")
    table = fs.inference(kind=kind, level=0.9)
    assert (table["status"] == "").all()
    covered = (table["lower"] <= table["parameter"].map(TRUTH)) & (table["parameter"].map(TRUTH) <= table["upper"])
    rates = covered.groupby(table["parameter"]).mean()
    assert rates.between(0.86, 0.94).all(), rates.to_dict()


def test_grouped_inference_equals_each_fit():
    df = _power_curves(5, seed=3, noise=0.03)
    fs = sl.fit(df, "power", by="g", fixed={"E": 1.7}, n_starts=4)
    table = fs.inference(level=0.8)
    for g in (0, 4):
        one = fs[g].inference(level=0.8).table
        mine = table[table["g"] == g].set_index("parameter")
        np.testing.assert_allclose(mine["std_error"].to_numpy(), one["std_error"].to_numpy(), rtol=1e-8,
                                   equal_nan=True)
        np.testing.assert_allclose(mine["lower"].to_numpy(), one["lower"].to_numpy(), rtol=1e-8, equal_nan=True)
        assert list(mine["status"]) == ["fixed", "", ""]
    assert table.attrs["level"] == 0.8


def test_on_bound_and_fixed_parameters_have_no_standard_error():
    # A curve that keeps falling steeply: the fit wants E below its floor.
    C = np.logspace(17, 21, 12)
    df = pd.DataFrame({"C": C, "loss": 50.0 * C ** -0.08})
    fit = sl.fit(df, "power", objective="lsq")
    assert fit.on_bound
    inf = fit.inference()
    assert inf.table.loc["E", "status"] == "on lower bound"
    assert math.isnan(inf.std_errors["E"])
    assert inf.on_bound == ["E"]
    assert "E ended on lower bound" in str(inf)
    fixed = sl.fit(_power_curves(1, seed=4).drop(columns="g"), "power", fixed={"E": 1.7}).inference()
    assert fixed.table.loc["E", "status"] == "fixed" and math.isnan(fixed.std_errors["E"])
    assert np.isfinite(fixed.std_errors["alpha"])


def test_redundant_parameters_are_not_identified():
    """y = a b x + c: only the product a b is determined; a and b are flagged, c keeps its error."""
    law = sl.laws.custom("redundant_product", lambda p, x: p["a"] * p["b"] * x["x"] + p["c"], params=["a", "b", "c"],
                         inputs=["x"], grid={"a": [0.5, 1, 2], "b": [0.5, 1, 2], "c": [0, 1]})
    rng = np.random.default_rng(5)
    x = np.linspace(1, 10, 25)
    df = pd.DataFrame({"x": x, "y": 2.0 * x + 1.0 + rng.normal(0, 0.1, x.size)})
    inf = sl.fit(df, law, x="x", y="y").inference()
    assert inf.not_identified == ["a", "b"]
    assert math.isnan(inf.std_errors["a"]) and np.isfinite(inf.std_errors["c"])
    assert "NOT IDENTIFIED" in str(inf)


def test_goodness_information_and_residuals():
    df = _power_curves(1, seed=6, noise=0.02).drop(columns="g")
    fit = sl.fit(df, "power", objective="lsq")
    inf = fit.inference()
    yhat = fit.predict(C=df["C"])
    y = df["loss"].to_numpy()
    g = inf.goodness
    assert g["rmse"] == pytest.approx(np.sqrt(np.mean((yhat - y) ** 2)), rel=1e-10)
    assert g["rmse_fit"] == pytest.approx(np.sqrt(np.mean(fit.residuals() ** 2)), rel=1e-10)
    assert g["mape"] == pytest.approx(100 * np.mean(np.abs(yhat - y) / y), rel=1e-10)
    assert (g["n"], g["k"], g["dof"]) == (20, 3, 17)
    assert fit.diagnostics["mape"] == pytest.approx(g["mape"])
    # Gaussian likelihood of y: log residuals' likelihood plus the Jacobian -sum log y.
    info = inf.information
    sigma2 = np.mean(fit.residuals() ** 2)
    loglik = -10 * (math.log(2 * math.pi * sigma2) + 1) - np.sum(np.log(y))
    assert info["loglik"] == pytest.approx(loglik, rel=1e-10)
    assert info["aic"] == pytest.approx(2 * 4 - 2 * loglik, rel=1e-10)
    assert info["bic"] == pytest.approx(4 * math.log(20) - 2 * loglik, rel=1e-10)
    assert info["aicc"] == pytest.approx(info["aic"] + 2 * 4 * 5 / (20 - 5), rel=1e-10)
    res = inf.residuals
    assert list(res.columns[:3]) == ["C", "loss", "fitted"]
    np.testing.assert_allclose(res["residual"], fit.residuals())
    np.testing.assert_allclose(res["fitted"], yhat)
    scale = np.sqrt(np.sum(fit.residuals() ** 2) / 17)
    np.testing.assert_allclose(res["scaled_residual"], fit.residuals() / scale)


def test_classical_refused_for_huber_and_params_only_fit(chinchilla_fit):
    with pytest.raises(ValueError, match="classical"):
        chinchilla_fit.inference(kind="classical")
    with pytest.raises(ValueError, match="kind"):
        chinchilla_fit.inference(kind="hc3")
    with pytest.raises(ValueError, match="level"):
        chinchilla_fit.inference(level=1.5)
    with pytest.raises(sl.NoDataError):
        sl.Fit.from_params("power", TRUTH).inference()


def test_inference_saves_and_loads(tmp_path, chinchilla_fit):
    inf = chinchilla_fit.inference()
    back = sl.load(inf.save(tmp_path / "inf.json"))
    assert isinstance(back, sl.Inference)
    pd.testing.assert_frame_equal(back.table, inf.table)
    pd.testing.assert_frame_equal(back.residuals, inf.residuals)
    np.testing.assert_array_equal(back.cov_internal, inf.cov_internal)
    assert str(back) == str(inf)


def test_residual_figure(chinchilla_fit):
    fig = sl.plot.figure(chinchilla_fit.inference())
    axes = fig.get_axes()
    assert len(axes) == 4  # N, D, fitted, Q-Q
    assert [a.get_xlabel() for a in axes] == ["N [parameters]", "D [tokens]", "fitted loss [nats/token]",
                                              "normal quantile"]
    assert len(axes[-1].collections[0].get_offsets()) == 240
    assert sl.plot.plot_residuals(chinchilla_fit).get_axes()[0].get_xscale() == "log"
    sl.plot.plt.close("all")
