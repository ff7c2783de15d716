"""capex.capability_bought: the compute of each point of a commitment frontier carried through a
fitted law (Fit, Ensemble, grouped fit, law-comparison forecast, and on to a score), with a band
and the probability of reaching a target."""

import numpy as np
import pandas as pd
import pytest

import scalinglaws as sl
from scalinglaws import capex


@pytest.fixture(scope="module")
def decision():
    revenue = capex.simulate_revenue(1e9, 10.0, (3.16, 31.6), years=3, n_paths=40_000, seed=0)
    return capex.optimize_commitments(revenue, planned_growth=10.0, lead_time=1, margin=0.5, initial_cash=1e9)


@pytest.fixture(scope="module")
def ensemble(chinchilla_fit):
    return chinchilla_fit.bootstrap(300, seed=0)


def test_point_fit_gives_the_law_at_the_compute(decision, chinchilla_fit):
    """Up front buys the same compute on every path: with a point fit the capability is the law's
    loss at the compute-optimal allocation of that compute (to the interpolation's accuracy)."""
    cb = capex.capability_bought(decision, chinchilla_fit)
    compute = cb.table.loc["upfront", "flop"]
    assert cb.table.loc["upfront", "flop_lower"] == cb.table.loc["upfront", "flop_upper"] == compute
    exact = chinchilla_fit.compute_optimal([compute])["loss"].iloc[0]
    assert cb.table.loc["upfront", "loss"] == pytest.approx(exact, rel=1e-6)
    assert cb.better == "lower" and "point fit" in cb.source


def test_ensemble_band_and_target_probability_match_the_ensemble(decision, ensemble):
    """Up front (one compute): the band is the ensemble's band at that compute, and P(reach target)
    is the share of replicates whose compute for the target is within it."""
    cb = capex.capability_bought(decision, ensemble, target=1.84, level=0.9)
    row = cb.table.loc["upfront"]
    band = ensemble.compute_optimal([row["flop"]], level=0.9).iloc[0]
    assert row["loss_lower"] == pytest.approx(band["loss_lower"], abs=0.003)
    assert row["loss_upper"] == pytest.approx(band["loss_upper"], abs=0.003)
    share = np.mean(ensemble.compute_for_draws(1.84) <= row["flop"])
    assert row["p_target"] == pytest.approx(share, abs=0.01)
    assert 0.05 < row["p_target"] < 0.95  # a target the band straddles: not a test that cannot fail


def test_rolling_compute_spread_widens_the_band(decision, chinchilla_fit):
    """With a point fit the only spread is the compute's over paths: none up front, some rolling."""
    cb = capex.capability_bought(decision, chinchilla_fit)
    width = cb.table["loss_upper"] - cb.table["loss_lower"]
    assert width["upfront"] == pytest.approx(0.0, abs=1e-12) and width["rolling"] > 0.005


def test_interpolation_matches_direct_evaluation(ensemble):
    from scalinglaws.capex.capability import GRID, _interpolate, capability_curves

    rng = np.random.default_rng(0)
    log_grid = np.linspace(np.log(1e22), np.log(1e27), GRID)
    curves, _ = capability_curves(ensemble, np.exp(log_grid))
    rows = rng.integers(0, curves.shape[0], 200)
    log_c = rng.uniform(log_grid[0], log_grid[-1], 200)
    got = _interpolate(curves, log_grid, rows, log_c)
    direct = np.array([capability_curves(ensemble, [np.exp(c)])[0][r, 0] for r, c in zip(rows, log_c)])
    np.testing.assert_allclose(got, direct, rtol=1e-5)


def test_forecast_grouped_and_second_stage(decision):
    power = sl.datasets.load("chinchilla-240")
    comparison = sl.compare(power, ["power", "loglinear"], x="C", n_bootstrap=20)
    forecast = sl.forecast(None, comparison.laws, comparison=comparison, C=[1e24])
    cb = capex.capability_bought(decision, forecast)
    assert "forecast across 2 laws" in cb.source and np.isfinite(cb.table["loss"]).all()
    # a grouped fit: one group at a time
    hex_fits = sl.fit(sl.datasets.load("hex-frontier"), "sigmoid", x="C", y="elo", by="boardsize")
    with pytest.raises(ValueError, match="needs group="):
        capex.capability_bought(decision, hex_fits)
    key = list(hex_fits.keys)[-1]
    with pytest.raises(ValueError, match="is not one of"):
        capex.capability_bought(decision, hex_fits, group="no such board")
    grouped = capex.capability_bought(decision, hex_fits.bootstrap(20, seed=0), group=key)
    assert grouped.better == "higher" and grouped.name == "elo"
    # loss -> error through a second law: lower loss gives lower error here
    L = np.linspace(2.2, 3.5, 40)
    err = 0.9 - 40 * np.exp(-1.6 * L)
    second = sl.fit(pd.DataFrame({"loss": L, "error": err}), "error_from_loss", x="loss", y="error")
    chained = capex.capability_bought(decision, sl.fit(power, "chinchilla"), then=second, target=0.88)
    assert chained.name == "error" and "then" in chained.source and "p_target" in chained.table


def test_capability_refuses_what_it_cannot_answer(decision, chinchilla_fit):
    with pytest.raises(TypeError, match="CommitmentDecision"):
        capex.capability_bought("nope", chinchilla_fit)
    with pytest.raises(ValueError, match="run must be"):
        capex.capability_bought(decision, chinchilla_fit, run="all")
    with pytest.raises(ValueError, match="target must be a finite number"):
        capex.capability_bought(decision, chinchilla_fit, target=np.nan)
    with pytest.raises(ValueError, match="group= selects one group"):
        capex.capability_bought(decision, chinchilla_fit, group="a")
    with pytest.raises(TypeError, match="model must be"):
        capex.capability_bought(decision, object())
