"""capex.stress_tests and capex.sensitivity: how the chosen commitment holds when its inputs are
wrong, checked against what must hold path by path."""

import numpy as np
import pytest

from scalinglaws import capex

INPUTS = capex.DecisionInputs(r0=1e9, growth_median=10.0, growth_interval90=(3.16, 31.6), years=3, margin=0.5,
                              initial_cash=1e9, n_paths=20_000)


@pytest.fixture(scope="module")
def stress():
    return capex.stress_tests(INPUTS)


@pytest.fixture(scope="module")
def sens():
    return capex.sensitivity(INPUTS)


def test_slowdown_scales_every_years_growth():
    revenue = capex.simulate_revenue(1.0, 10.0, (3.16, 31.6), years=3, n_paths=5, seed=0)
    slow = capex.slowdown(revenue, 0.5)
    np.testing.assert_allclose(slow[:, 1:] / slow[:, :-1], 0.5 * revenue[:, 1:] / revenue[:, :-1], rtol=1e-12)
    with pytest.raises(ValueError, match="factor must be positive"):
        capex.slowdown(revenue, 0.0)


def test_stresses_hurt_the_fixed_commitment(stress):
    """Up front spends the same whatever happens, so less revenue on every path can only add ruin:
    a slowdown (every path lower), and both together (lower still)."""
    p = stress.table["prob_ruin"].xs("upfront", level="policy")
    assert p["baseline"] == pytest.approx(0.05, abs=1e-4)
    assert p["slowdown to 5x"] > p["baseline"] + 0.2
    assert p["slip and slowdown"] >= p["slowdown to 5x"] and p["slip and slowdown"] >= p["1-year slip"]
    # had the slowdown been known, the safe commitment would have been smaller
    f = stress.table["flop_if_foreseen"].xs("upfront", level="policy")
    assert f["slowdown to 5x"] < f["baseline"]
    # the year of ruin: a slip ruins the reactive policies in year 1, which they signed before it
    slipped = stress.table.loc[("1-year slip", "rolling")]
    assert slipped["p_ruin_year_1"] > 0.9


def test_sensitivity_exact_where_the_model_is_linear(sens):
    """Compute is priced in dollars: GPU price, MFU and the price trend leave the signed
    commitment's ruin unchanged, and scale what it buys exactly."""
    sw = sens.swings("upfront")
    for name in ("price_per_gpu_hour", "mfu", "price_trend"):
        assert sw.loc[name, "prob_ruin_low"] == sw.loc[name, "prob_ruin_high"] == sens.base.loc["upfront", "prob_ruin"]
    assert sw.loc["mfu", "flop_ratio_high"] == pytest.approx(0.5 / capex.DEFAULT_MFU, rel=1e-9)
    assert sw.loc["price_per_gpu_hour", "flop_ratio_high"] == pytest.approx(3.95 / 12.29, rel=1e-9)
    # more margin or cash: less ruin; faster growth (same draws, scaled): less ruin, more compute
    assert sw.loc["margin", "prob_ruin_high"] < sens.base.loc["upfront", "prob_ruin"] < sw.loc["margin", "prob_ruin_low"]
    assert sw.loc["initial_cash", "prob_ruin_high"] <= sens.base.loc["upfront", "prob_ruin"]
    assert sw.loc["growth_median", "prob_ruin_high"] < sw.loc["growth_median", "prob_ruin_low"]
    assert sw.loc["growth_median", "flop_ratio_high"] > 1 > sw.loc["growth_median", "flop_ratio_low"]
    # up front signs everything today: its lead time changes nothing
    assert sw.loc["lead_time", "flop_ratio_low"] == pytest.approx(1.0)
    # ordered by swing in compute
    swing = (np.log(sw["flop_ratio_high"]) - np.log(sw["flop_ratio_low"])).abs().to_numpy()
    assert (np.diff(swing) <= 1e-12).all()


def test_figures_draw(stress, sens):
    import matplotlib.pyplot as plt

    fig = stress.figure()
    assert len(fig.axes[0].patches) == 12
    plt.close(fig)
    fig = sens.figure("staged")
    assert len(fig.axes) == 2 and len(fig.axes[0].patches) == 2 * len(sens.swings("staged"))
    plt.close(fig)


def test_bad_ranges_and_inputs():
    with pytest.raises(ValueError, match="cannot vary 'colour'"):
        capex.sensitivity(INPUTS, ranges={"colour": (1, 2)})
    with pytest.raises(ValueError, match=r"ranges\['mfu'\] must be a \(low, high\) pair"):
        capex.sensitivity(INPUTS, ranges={"mfu": (0.3,)})
    with pytest.raises(TypeError, match="DecisionInputs"):
        capex.stress_tests({"r0": 1})
    with pytest.raises(ValueError, match="slowdown_to must be a positive"):
        capex.stress_tests(INPUTS, slowdown_to=-1.0)
