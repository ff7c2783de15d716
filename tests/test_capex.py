"""Tests for scalinglaws.capex (and the fan chart in scalinglaws.plot).

The worked numbers come from the capex-planning issue: H100 at 40% MFU, 10x-a-year plans
against 5x realised, a one-year slip, and P(one-year growth < 5x) under a lognormal.
"""

import math
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import scalinglaws  # noqa: F401
from scalinglaws import capex, datasets


# --------------------------------------------------------------------------------------------
# Worked numbers


def test_h100_flop_per_gpu_hour_at_40_percent():
    assert capex.flop_per_gpu_hour("H100", 0.4) == pytest.approx(1.4248e18, rel=1e-4)
    assert capex.flop_per_gpu_hour("H100", 0.4) == pytest.approx(989.4e12 * 0.4 * 3600, rel=1e-12)


def test_1e26_flop_is_7_02e7_gpu_hours():
    assert capex.gpu_hours(1e26, gpu="H100", mfu=0.4) == pytest.approx(7.02e7, rel=1e-3)


def test_plan_10x_against_5x_realised_leaves_a_quarter():
    plan = capex.planned_revenue(1.0, 10.0, 2)
    realised = capex.simulate_revenue(1.0, 5.0, (5.0, 5.0), years=2, n_paths=3, seed=0)
    np.testing.assert_allclose(plan, [1.0, 10.0, 100.0])
    np.testing.assert_allclose(realised[:, 2] / plan[2], 0.25, rtol=1e-12)


def test_one_year_slip_leaves_a_tenth():
    plan = capex.planned_revenue(1.0, 10.0, 2)
    on_plan = capex.simulate_revenue(1.0, 10.0, (10.0, 10.0), years=2, n_paths=1, seed=0)
    np.testing.assert_allclose(on_plan[0], plan, rtol=1e-12)
    slipped = capex.slip(on_plan, years=1)
    np.testing.assert_allclose(slipped[0], [1.0, 1.0, 10.0], rtol=1e-12)
    assert slipped[0, 2] / plan[2] == pytest.approx(0.1, rel=1e-12)


def test_probability_growth_below_5x_analytic():
    p = capex.growth_probability_below(5.0, 10.0, (3.16, 31.6))
    assert p == pytest.approx(0.161, abs=5e-4)
    sigma = math.log(10.0) / (2 * stats.norm.ppf(0.95))
    assert p == pytest.approx(stats.norm.cdf(math.log(0.5) / sigma), rel=1e-12)


def test_probability_growth_below_5x_monte_carlo():
    paths = capex.simulate_revenue(1.0, 10.0, (3.16, 31.6), years=1, n_paths=100_000, seed=0)
    assert paths.shape == (100_000, 2)
    mc = float(np.mean(paths[:, 1] < 5.0))
    assert abs(mc - capex.growth_probability_below(5.0, 10.0, (3.16, 31.6))) < 0.01


# --------------------------------------------------------------------------------------------
# Revenue model details


def test_revenue_lognormal_moments():
    paths = capex.simulate_revenue(2.0, 10.0, (3.16, 31.6), years=3, n_paths=50_000, seed=1)
    assert np.all(paths[:, 0] == 2.0)
    log_growth = np.diff(np.log(paths), axis=1)
    np.testing.assert_allclose(np.median(log_growth, axis=0), math.log(10.0), atol=0.02)
    np.testing.assert_allclose(np.std(log_growth, axis=0), capex.growth_sigma(10.0, (3.16, 31.6)),
                               rtol=0.02)


def test_decay_shrinks_log_median_geometrically():
    paths = capex.simulate_revenue(1.0, 10.0, (10.0, 10.0), years=3, n_paths=1, seed=0, decay=0.5)
    growth = paths[0, 1:] / paths[0, :-1]
    np.testing.assert_allclose(growth, [10.0, 10.0 ** 0.5, 10.0 ** 0.25], rtol=1e-12)
    flat = capex.simulate_revenue(1.0, 10.0, (10.0, 10.0), years=3, n_paths=1, seed=0, decay=1.0)
    np.testing.assert_allclose(flat[0], [1.0, 10.0, 10.0, 10.0], rtol=1e-12)


def test_same_seed_same_numbers_and_different_seed_differs():
    a = capex.simulate_revenue(1.0, 10.0, (3.16, 31.6), years=4, n_paths=1000, seed=7)
    b = capex.simulate_revenue(1.0, 10.0, (3.16, 31.6), years=4, n_paths=1000, seed=7)
    c = capex.simulate_revenue(1.0, 10.0, (3.16, 31.6), years=4, n_paths=1000, seed=8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    kw = dict(planned_growth=10.0, spend_fraction=0.5, lead_time=1, margin=0.8, initial_cash=1.0)
    ra, rb = capex.simulate_cash(a, **kw), capex.simulate_cash(b, **kw)
    np.testing.assert_array_equal(ra.cash, rb.cash)
    assert ra.prob_ruin == rb.prob_ruin and ra.var == rb.var and ra.cvar == rb.cvar


def test_revenue_is_float64_numpy():
    paths = capex.simulate_revenue(1.0, 3.0, (1.5, 6.0), years=2, n_paths=10, seed=0)
    assert isinstance(paths, np.ndarray) and paths.dtype == np.float64


# --------------------------------------------------------------------------------------------
# Cash, ruin, commitments


def _constant_revenue(growth, years, n=1):
    return capex.simulate_revenue(1.0, growth, (growth, growth), years=years, n_paths=n, seed=0)


def test_cash_formula_by_hand():
    revenue = np.array([[1.0, 5.0, 25.0]])
    result = capex.simulate_cash(revenue, planned_growth=10.0, spend_fraction=0.5, lead_time=2,
                                 policy="upfront", margin=0.8, initial_cash=3.0)
    spend = np.array([0.5, 5.0, 50.0])
    np.testing.assert_allclose(result.spend[0], spend)
    expected = [3.0, 3.0 + 0.8 * 5 - 5.0, 3.0 + 0.8 * 5 - 5.0 + 0.8 * 25 - 50.0]
    np.testing.assert_allclose(result.cash[0], expected)
    assert result.ruin_year[0] == 2 and result.prob_ruin == 1.0
    assert list(result.ruin_years.index) == [1, 2]
    np.testing.assert_allclose(result.ruin_years["p_first_ruin"], [0.0, 1.0])
    np.testing.assert_allclose(result.ruin_years["p_ruined_by"], [0.0, 1.0])


def test_rolling_commitments_formula():
    revenue = np.array([[1.0, 5.0, 25.0, 125.0]])
    spend = capex.commitments(revenue, planned_growth=10.0, spend_fraction=1.0, lead_time=1)
    np.testing.assert_allclose(spend[0], [1.0, 10.0, 50.0, 250.0])
    spend2 = capex.commitments(revenue, planned_growth=10.0, spend_fraction=1.0, lead_time=2)
    np.testing.assert_allclose(spend2[0], [1.0, 10.0, 100.0, 500.0])
    spend0 = capex.commitments(revenue, planned_growth=10.0, spend_fraction=0.5, lead_time=0)
    np.testing.assert_allclose(spend0[0], 0.5 * revenue[0])


def test_staged_commitments_formula():
    # Plan 10x; revenue on plan in year 1, behind in year 2, back on plan in year 3.
    revenue = np.array([[1.0, 10.0, 20.0, 1000.0, 1000.0]])
    spend = capex.commitments(revenue, planned_growth=10.0, spend_fraction=1.0, lead_time=1,
                              policy="staged", milestone=1.0)
    # tranche 1 signed now; 2 (decided at t=1, 10 >= 10) yes; 3 (t=2, 20 < 100) no -> stays at
    # tranche 2; 4 (t=3, 1000 >= 1000) yes.
    np.testing.assert_allclose(spend[0], [1.0, 10.0, 100.0, 100.0, 10000.0])


def test_staged_never_spends_more_than_upfront():
    revenue = capex.simulate_revenue(1.0, 6.0, (2.0, 18.0), years=6, n_paths=2000, seed=3)
    kw = dict(planned_growth=10.0, spend_fraction=0.6, lead_time=1)
    staged = capex.commitments(revenue, policy="staged", **kw)
    upfront = capex.commitments(revenue, policy="upfront", **kw)
    assert np.all(staged <= upfront + 1e-9)


def test_staged_has_lower_ruin_probability_than_upfront():
    # Realised growth median 5x against a 10x plan: up-front commitments sized for 10x fail
    # often; staged tranches are only signed while revenue keeps up with the plan.
    revenue = capex.simulate_revenue(1.0, 5.0, (2.0, 12.5), years=5, n_paths=20_000, seed=11)
    table = capex.compare_commitments(revenue, planned_growth=10.0, spend_fraction=0.5,
                                      lead_time=1, milestone=1.0, margin=0.8, initial_cash=1.0)
    assert list(table.index) == ["upfront", "staged", "rolling"]
    assert table.loc["staged", "prob_ruin"] < table.loc["upfront", "prob_ruin"] - 0.2
    assert table.loc["staged", "spend_vs_upfront"] < 1.0
    assert table.loc["upfront", "spend_vs_upfront"] == pytest.approx(1.0)
    assert {"prob_ruin", "terminal_cash_median", "var", "cvar", "mean_total_spend"} <= set(table)


def test_slip_raises_ruin_probability():
    revenue = capex.simulate_revenue(1.0, 10.0, (3.16, 31.6), years=4, n_paths=20_000, seed=5)
    kw = dict(planned_growth=10.0, spend_fraction=0.5, lead_time=2, policy="upfront",
              margin=0.8, initial_cash=1.0)
    base = capex.simulate_cash(revenue, **kw)
    late = capex.simulate_cash(capex.slip(revenue, 1), **kw)
    assert late.prob_ruin > base.prob_ruin


def test_var_and_cvar_definitions():
    revenue = capex.simulate_revenue(1.0, 10.0, (3.16, 31.6), years=3, n_paths=10_000, seed=2)
    result = capex.simulate_cash(revenue, planned_growth=10.0, spend_fraction=0.5, lead_time=1,
                                 margin=0.8, initial_cash=1.0, level=0.9)
    terminal = result.cash[:, -1]
    assert result.var == pytest.approx(np.quantile(terminal, 0.1), rel=1e-9)
    assert result.cvar == pytest.approx(terminal[terminal <= result.var].mean(), rel=1e-9)
    assert result.cvar <= result.var
    assert result.ruin_years["p_ruined_by"].iloc[-1] == pytest.approx(result.prob_ruin)
    assert result.prob_ruin == pytest.approx(np.mean((result.cash[:, 1:] < 0).any(axis=1)))
    assert "P(ruin)" in str(result)


def test_simulate_cash_accepts_explicit_spend():
    revenue = _constant_revenue(2.0, 3)
    result = capex.simulate_cash(revenue, planned_growth=2.0, spend_fraction=0.0, lead_time=0,
                                 spend=np.array([0.0, 3.0, 3.0, 3.0]), initial_cash=0.0)
    np.testing.assert_allclose(result.cash[0], [0.0, -1.0, 0.0, 5.0])
    assert result.ruin_year[0] == 1 and result.policy == "given"


# --------------------------------------------------------------------------------------------
# Conversions: elementwise behaviour


def test_conversions_elementwise_on_numpy_arrays():
    flops = np.array([1e24, 1e25, 1e26])
    hours = capex.gpu_hours(flops, mfu=0.4)
    assert isinstance(hours, np.ndarray) and hours.shape == (3,)
    np.testing.assert_allclose(hours, [capex.gpu_hours(float(f), mfu=0.4) for f in flops])
    np.testing.assert_allclose(capex.rental_cost(flops, mfu=0.4, price_per_gpu_hour=2.0), 2.0 * hours)
    days = 90.0
    np.testing.assert_allclose(capex.gpu_count(flops, days, mfu=0.4), hours / (24 * days))
    cost = capex.amortised_cost(flops, mfu=0.4)
    np.testing.assert_allclose(cost / cost[0], [1.0, 10.0, 100.0])


def test_conversions_keep_series_index_and_jax_type():
    series = pd.Series([1e25, 2e25], index=["small", "large"])
    out = capex.gpu_hours(series, gpu="H200")
    assert isinstance(out, pd.Series) and list(out.index) == ["small", "large"]
    out_jax = capex.gpu_hours(jnp.array([1e25, 2e25]))
    assert isinstance(out_jax, jax.Array)
    np.testing.assert_allclose(np.asarray(out_jax), out.to_numpy())
    jitted = jax.jit(lambda f: capex.gpu_hours(f, mfu=0.4))(jnp.array([1e26]))
    np.testing.assert_allclose(np.asarray(jitted), [capex.gpu_hours(1e26, mfu=0.4)])
    assert isinstance(capex.gpu_hours(1e26), float)
    np.testing.assert_allclose(capex.gpu_hours([1e25, 1e26]), capex.gpu_hours(np.array([1e25, 1e26])))


def test_mfu_can_be_an_array():
    hours = capex.gpu_hours(1e26, mfu=np.array([0.3, 0.375, 0.5]))
    np.testing.assert_allclose(hours * np.array([0.3, 0.375, 0.5]), hours[0] * 0.3)


def test_amortised_cost_components_follow_epoch_method():
    flops = 1e26
    parts = capex.amortised_cost(flops, mfu=0.4, components=True)
    hours = capex.gpu_hours(flops, mfu=0.4)
    hardware = 33819.37 * 0.14 * math.log(10) / 8766.0 * hours
    assert parts["hardware"] == pytest.approx(hardware, rel=1e-12)
    assert parts["interconnect"] == pytest.approx(hardware * 0.19 / 0.81, rel=1e-12)
    energy = 0.7 * (10.2 / 8) / 0.7 * 0.75 * 1.25 * hours * 0.0806
    assert parts["energy"] == pytest.approx(energy, rel=1e-12)
    assert parts["total"] == pytest.approx(sum(parts[k] for k in ("hardware", "interconnect", "energy")))
    assert capex.amortised_cost(flops, mfu=0.4) == pytest.approx(parts["total"])


def test_power_and_gpu_count():
    gpus = capex.gpu_count(1e26, 100.0, "H100", 0.4)
    assert gpus == pytest.approx(7.0188e7 / 2400.0, rel=1e-4)
    mw = capex.power_mw(1e26, 100.0, "H100", 0.4, pue=1.1)
    assert mw == pytest.approx(gpus * 10.2 / 8 * 1.1 / 1000, rel=1e-12)
    assert capex.power_mw(1e26, 100.0, "H100", 0.4, pue=1.1, average=True) == pytest.approx(0.75 * mw)


def test_cost_in_years_follows_price_performance():
    assert capex.cost_in_years(100.0, 1.0) == pytest.approx(100.0 * 10 ** -0.14)
    np.testing.assert_allclose(capex.cost_in_years(np.array([1.0, 2.0]), 10.0, oom_per_year=0.1),
                               [0.1, 0.2])
    assert capex.cost_in_years(1.0, -1.0) > 1.0


# --------------------------------------------------------------------------------------------
# Validation


@pytest.mark.parametrize("mfu", [0.0, -0.1, 1.5, np.array([0.4, 1.2])])
def test_bad_mfu_is_rejected(mfu):
    with pytest.raises(ValueError, match="mfu"):
        capex.gpu_hours(1e25, mfu=mfu)


@pytest.mark.parametrize("flops", [-1.0, np.array([1e25, -1.0]), np.nan])
def test_bad_flops_are_rejected(flops):
    with pytest.raises(ValueError, match="flops"):
        capex.gpu_hours(flops)


def test_unknown_gpu_lists_known_ones():
    with pytest.raises(ValueError, match="H100, H200, B200"):
        capex.gpu_hours(1e25, gpu="A100")
    assert capex.gpu_hours(1e25, gpu="h100") == capex.gpu_hours(1e25, gpu="H100")
    custom = capex.GPU("mine", 1e15, 500.0)
    assert capex.gpu_hours(3.6e18, gpu=custom, mfu=1.0) == pytest.approx(1.0)


def test_rental_price_required_without_default():
    with pytest.raises(ValueError, match="price_per_gpu_hour"):
        capex.rental_cost(1e25, gpu="B200")
    with pytest.raises(ValueError, match="price_per_gpu_hour"):
        capex.rental_cost(1e25, price_per_gpu_hour=-1.0)


def test_other_argument_errors():
    with pytest.raises(ValueError, match="wall_clock_days"):
        capex.gpu_count(1e25, 0.0)
    with pytest.raises(ValueError, match="pue"):
        capex.power_mw(1e25, pue=0.9)
    with pytest.raises(ValueError, match="year"):
        capex.electricity_price(1999)
    with pytest.raises(TypeError, match="flops"):
        capex.gpu_hours("lots")


def test_growth_interval_must_be_geometric_symmetric():
    with pytest.raises(ValueError, match="geometrically symmetric"):
        capex.simulate_revenue(1.0, 10.0, (5.0, 31.6), years=1, n_paths=10, seed=0)
    with pytest.raises(ValueError, match="growth_interval90"):
        capex.simulate_revenue(1.0, 10.0, (12.0, 31.6), years=1, n_paths=10, seed=0)
    with pytest.raises(ValueError, match="growth_interval90"):
        capex.growth_sigma(10.0, 3.0)
    assert capex.growth_sigma(10.0, (10.0 / 3, 30.0)) == pytest.approx(math.log(9) / (2 * 1.6448536269514722))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(r0=0.0), "r0"),
        (dict(years=0), "years"),
        (dict(n_paths=0), "n_paths must"),
        (dict(seed=-1), "seed"),
        (dict(decay=1.5), "decay"),
        (dict(growth_median=-2.0), "growth_median"),
    ],
)
def test_simulate_revenue_argument_errors(kwargs, match):
    args = dict(r0=1.0, growth_median=10.0, growth_interval90=(3.16, 31.6), years=2, n_paths=10, seed=0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        capex.simulate_revenue(**args)


def test_simulate_cash_argument_errors():
    revenue = _constant_revenue(2.0, 2)
    kw = dict(planned_growth=2.0, spend_fraction=0.5, lead_time=1)
    with pytest.raises(ValueError, match="policy"):
        capex.simulate_cash(revenue, policy="yolo", **kw)
    with pytest.raises(ValueError, match="lead_time"):
        capex.simulate_cash(revenue, planned_growth=2.0, spend_fraction=0.5, lead_time=-1)
    with pytest.raises(ValueError, match="level"):
        capex.simulate_cash(revenue, level=1.0, **kw)
    with pytest.raises(ValueError, match="revenue"):
        capex.simulate_cash(np.array([[1.0, -2.0]]), **kw)
    with pytest.raises(ValueError, match="spend_fraction"):
        capex.simulate_cash(revenue, planned_growth=2.0, spend_fraction=-0.1, lead_time=1)


# --------------------------------------------------------------------------------------------
# Plan with a fake ensemble


class _FakeEnsemble:
    """Duck-typed stand-in for the lead's Ensemble: compute per replicate, inf if unreachable."""

    def __init__(self, draws):
        self.draws = np.asarray(draws, dtype=np.float64)
        self.asked = None

    def compute_for_draws(self, target):
        self.asked = target
        return self.draws


def test_plan_table_band_and_unreachable_fraction():
    rng = np.random.default_rng(0)
    reachable = 10 ** rng.normal(25.0, 0.3, size=900)
    ens = _FakeEnsemble(np.concatenate([reachable, np.full(100, np.inf)]))
    result = capex.plan(ens, target=1.9, gpu="H100", mfu=0.4, price_per_gpu_hour=2.0, level=0.9,
                        wall_clock_days=100.0)
    assert ens.asked == 1.9
    assert result.unreachable_fraction == pytest.approx(0.1)
    assert result.n_replicates == 1000
    table = result.table
    assert list(table.columns) == ["estimate", "lower", "upper", "point_fit"]
    assert table["point_fit"].isna().all()  # a duck-typed ensemble has no point fit
    assert list(table.index) == ["compute (FLOP)", "GPU-hours", "rental ($)", "amortised ($)",
                                 "GPUs", "power (MW)"]
    q = np.quantile(reachable, [0.5, 0.05, 0.95])
    table = table[["estimate", "lower", "upper"]]
    np.testing.assert_allclose(table.loc["compute (FLOP)"], q)
    np.testing.assert_allclose(table.loc["GPU-hours"], capex.gpu_hours(q, mfu=0.4))
    np.testing.assert_allclose(table.loc["rental ($)"], 2.0 * capex.gpu_hours(q, mfu=0.4))
    np.testing.assert_allclose(table.loc["GPUs"], capex.gpu_count(q, 100.0, mfu=0.4))
    np.testing.assert_allclose(table.loc["power (MW)"], capex.power_mw(q, 100.0, mfu=0.4), rtol=1e-12)
    assert np.all(table["lower"] <= table["estimate"]) and np.all(table["estimate"] <= table["upper"])
    text = str(result)
    assert "10.0% cannot reach it" in text and "GPU-hours" in text


def test_plan_all_unreachable_and_array_input():
    with pytest.warns(UserWarning, match="unreachable"):
        result = capex.plan(_FakeEnsemble([np.inf, np.inf]), target=1.0)
    # One rule for an unreachable target: inf (the fake ensemble has no point fit: NaN there).
    assert result.unreachable_fraction == 1.0
    assert np.isposinf(result.table[["estimate", "lower", "upper"]].to_numpy()).all()
    assert result.table["point_fit"].isna().all()
    direct = capex.plan(np.array([1e25, 2e25, 3e25]))
    assert direct.table.loc["compute (FLOP)", "estimate"] == pytest.approx(2e25)
    with pytest.raises(TypeError, match="compute_for_draws"):
        capex.plan(np.array([1e25]), target=2.0)
    with pytest.raises(ValueError, match="NaN"):
        capex.plan(np.array([1e25, np.nan]))
    with pytest.raises(ValueError, match="price"):
        capex.plan(np.array([1e25]), gpu="B200")
    b200 = capex.plan(np.array([1e25]), gpu="B200", price_per_gpu_hour=6.0)
    assert b200.table.loc["rental ($)", "estimate"] == pytest.approx(
        6.0 * capex.gpu_hours(1e25, "B200"))


# --------------------------------------------------------------------------------------------
# Constants and the shipped data


def test_constants_table_is_complete():
    table = capex.constants()
    assert list(table.columns) == ["name", "value", "unit", "source", "link", "date", "note",
                                   "volatile"]
    assert table["name"].is_unique
    assert (table["source"].str.len() > 0).all() and (table["unit"].str.len() > 0).all()
    assert table["link"].str.startswith("https://").all()
    by_name = table.set_index("name")["value"]
    assert by_name["h100_sxm_bf16_dense_flop_per_s"] == 989.4e12
    assert by_name["h200_sxm_bf16_dense_flop_per_s"] == 989.4e12
    assert by_name["b200_bf16_dense_flop_per_s"] == 2.25e15
    assert (by_name["mfu_low"], by_name["mfu_median"], by_name["mfu_high"]) == (0.30, 0.375, 0.50)
    assert by_name["ml_gpu_price_performance_oom_per_year"] == 0.14
    assert by_name["hardware_depreciation_per_year"] == pytest.approx(0.14 * math.log(10))
    assert (by_name["pue_hyperscaler"], by_name["pue_other"]) == (1.1, 1.25)
    assert {f"us_industrial_electricity_{y}" for y in range(2010, 2026)} <= set(table["name"])
    volatile = set(table.loc[table["volatile"], "name"])
    assert {"h100_rental_on_demand_low", "h100_rental_on_demand_median",
            "h100_rental_on_demand_high"} <= volatile


def test_gpu_specs_match_shipped_chip_database():
    chips = datasets.load("epoch-chips").set_index("hardware_name")
    for spec in capex.GPUS.values():
        row = chips.loc[spec.epoch_name]
        assert row["tensor_fp16_bf16_flop_per_s"] == pytest.approx(spec.peak_flop_per_s, rel=2e-4)
        assert row["tdp_w"] == spec.tdp_w


def test_price_constants_are_what_the_shipped_data_gives():
    rental = capex.hardware_price_summary("H100", "on_demand", since="2024-01-01")
    assert rental["n"] == 19
    assert rental["min"] == capex.H100_RENTAL_LOW.value
    assert rental["median"] == capex.H100_RENTAL_MEDIAN.value
    assert rental["max"] == capex.H100_RENTAL_HIGH.value
    for spec in capex.GPUS.values():
        purchase = capex.hardware_price_summary(spec, "purchase")
        assert purchase["median"] == pytest.approx(spec.purchase_price, rel=1e-12)


def test_mfu_constants_are_what_the_shipped_data_gives():
    q = capex.mfu_quantiles()
    assert q.attrs["n"] == 58
    assert q.loc[0.25] == pytest.approx(capex.MFU_LOW.value, abs=1e-9)
    assert q.loc[0.50] == pytest.approx(capex.MFU_MEDIAN.value, abs=1e-9)
    assert q.loc[0.75] < capex.MFU_HIGH.value < q.loc[0.90]


def test_price_performance_fit_on_shipped_chips():
    fit = capex.fit_price_performance()
    assert fit.n == 310
    assert fit.interval[0] < fit.slope < fit.interval[1]
    assert 2.0 < fit.doubling_years < 3.5
    assert fit.doubling_years == pytest.approx(math.log10(2) / fit.slope)
    row = fit.to_frame().iloc[0]  # the summary's one-row table
    assert row["n"] == 310 and row["level"] == 0.95 and fit.to_frame().attrs["level"] == 0.95
    assert "OOM/year" in fit.summary() and str(fit) == str(fit.summary())
    with pytest.raises(ValueError, match="precision"):
        capex.fit_price_performance(precision="fp8")


def test_training_cost_growth_fit_against_cottier():
    fit = capex.fit_training_cost_growth()
    lo, hi = fit.growth_interval
    assert fit.n == 79 and lo < fit.growth_per_year < hi
    # Restricted to models published before 2024, the fit brackets Cottier et al.'s 2.4x.
    early = capex.fit_training_cost_growth(end="2024-01-01")
    lo, hi = early.growth_interval
    assert lo < capex.PUBLISHED_COST_GROWTH.value < hi


def test_ols_trend_recovers_a_known_slope():
    years = np.linspace(2010, 2020, 50)
    dates = pd.Series(pd.to_datetime([f"{int(y)}-06-01" for y in years]))
    chips = pd.DataFrame({
        "release_price_usd": np.full(50, 100.0),
        "fp32_flop_per_s": 100.0 * 10 ** (0.2 * (years - 2010)),
        "release_date": dates,
        "year": years,
        "ml_hardware": True,
    })
    fit = capex.fit_price_performance(chips)
    assert fit.slope == pytest.approx(0.2, rel=1e-9) and fit.slope_se < 1e-9


# --------------------------------------------------------------------------------------------
# Figures


def test_fan_chart_writes_png(tmp_path):
    import matplotlib.pyplot as plt

    from scalinglaws import plot

    revenue = capex.simulate_revenue(1.0, 10.0, (3.16, 31.6), years=5, n_paths=2000, seed=0)
    fig = plot.fan_chart(revenue, label="revenue", log=True)
    ax0 = fig.axes[0]
    # What was drawn: the median line at the paths' median, and two nested bands (90%, 50%)
    # whose edges are the paths' 5th/95th and 25th/75th percentiles.
    (median,) = ax0.get_lines()
    np.testing.assert_allclose(median.get_ydata(), np.percentile(revenue, 50, axis=0), rtol=1e-12)
    bands = ax0.collections
    assert len(bands) == 2 and ax0.get_yscale() == "log"
    for band, (lo, hi) in zip(bands, [(5, 95), (25, 75)]):
        ys = band.get_paths()[0].vertices[:, 1]
        np.testing.assert_allclose([ys.min(), ys.max()],
                                   [np.percentile(revenue, lo, axis=0).min(), np.percentile(revenue, hi, axis=0).max()],
                                   rtol=1e-9)
    labels = [t.get_text() for t in ax0.get_legend().get_texts()]
    assert labels == ["revenue (median)", "revenue: 90% band", "revenue: 50% band"]
    out = tmp_path / "fan.png"
    fig.savefig(out, dpi=60)
    assert out.stat().st_size > 8000  # an empty 6 x 3.6 inch axis at 60 dpi is about 4.2 kB
    cash = capex.simulate_cash(revenue, planned_growth=10.0, spend_fraction=0.5, lead_time=1,
                               margin=0.8, initial_cash=1.0).cash
    fig2, ax = plt.subplots()
    assert plot.fan_chart(cash, years=np.arange(2025, 2031), ax=ax, label="cash") is fig2
    with pytest.raises(ValueError, match="log=True"):
        plot.fan_chart(cash - 1e9, log=True)
    with pytest.raises(ValueError, match="symmetric"):
        plot.fan_chart(revenue, quantiles=(10, 50, 95))
    plt.close("all")


# --------------------------------------------------------------------------------------------
# Plan with a real ensemble (Chinchilla, 300 replicates) and a point fit


@pytest.fixture(scope="module")
def chin_ens(chinchilla_fit):
    return chinchilla_fit.bootstrap(300, seed=0)  # the first bootstrap in a process compiles (seconds)


def _ordered(table):
    lo, est, hi = table["lower"], table["estimate"], table["upper"]
    return bool(np.all(lo <= est) and np.all(est <= hi) and np.all(lo < hi))


def test_plan_with_ensemble_reachable_target(chin_ens):
    result = capex.plan(chin_ens, 2.0, gpu="H100", mfu=0.4, price_per_gpu_hour=2.0, level=0.9)
    table = result.table
    assert result.source == "ensemble" and result.unreachable_fraction == 0.0
    assert result.n_replicates == int(chin_ens.valid.sum()) == len(result.draws)
    assert _ordered(table)
    # The compute band is compute_for's band (quantiles over the reachable replicates) and the
    # point_fit column is the point fit's compute.
    ref = chin_ens.compute_for(2.0, level=0.9).iloc[0]
    np.testing.assert_allclose(table.loc["compute (FLOP)", ["lower", "upper", "point_fit"]],
                               [ref["C_lower"], ref["C_upper"], ref["C"]], rtol=1e-12)
    assert ref["reachable_fraction"] == 1.0
    # GPU-hours = FLOP / flop_per_gpu_hour: per replicate exactly, and row by row.
    per_hour = capex.flop_per_gpu_hour("H100", 0.4)
    draws = chin_ens.compute_for_draws(2.0)
    np.testing.assert_array_equal(result.draws["compute (FLOP)"], draws)
    np.testing.assert_array_equal(result.draws["GPU-hours"], draws / per_hour)
    np.testing.assert_allclose(table.loc["GPU-hours"], table.loc["compute (FLOP)"] / per_hour,
                               rtol=1e-12)
    np.testing.assert_allclose(table.loc["rental ($)"], 2.0 * table.loc["GPU-hours"], rtol=1e-12)
    # Bands are quantiles of converted draws; for these increasing maps they equal the
    # converted quantiles of compute.
    q = np.quantile(draws, [0.5, 0.05, 0.95])
    np.testing.assert_allclose(table.loc["power (MW)", ["estimate", "lower", "upper"]],
                               capex.power_mw(q, mfu=0.4), rtol=1e-12)


@pytest.mark.parametrize("target", [1.85, 1.80])
def test_plan_with_ensemble_partly_unreachable(chin_ens, target):
    result = capex.plan(chin_ens, target)
    ref = chin_ens.compute_for(target, level=0.9).iloc[0]
    assert 0.0 < result.unreachable_fraction < 1.0
    assert result.unreachable_fraction == pytest.approx(1.0 - ref["reachable_fraction"], abs=1e-12)
    assert np.isinf(result.draws["rental ($)"]).mean() == pytest.approx(result.unreachable_fraction)
    assert _ordered(result.table)
    np.testing.assert_allclose(result.table.loc["compute (FLOP)", ["lower", "upper"]],
                               [ref["C_lower"], ref["C_upper"]], rtol=1e-12)
    if target < chin_ens.fit.params["E"]:  # below the point fit's asymptote: unreachable, inf
        assert np.isposinf(result.table["point_fit"]).all()
    # A budget at the upper end of the band covers 95% of the reachable replicates only.
    upper = result.table.loc["rental ($)", "upper"]
    assert result.share_within(upper) == pytest.approx(
        0.95 * (1 - result.unreachable_fraction), abs=0.01)
    assert f"{100 * result.unreachable_fraction:.1f}% cannot reach it" in str(result)


def test_plan_with_ensemble_wholly_unreachable(chin_ens):
    with pytest.warns(UserWarning, match="unreachable for every replicate"):
        result = capex.plan(chin_ens, 1.5)
    assert result.unreachable_fraction == 1.0
    assert chin_ens.compute_for(1.5)["reachable_fraction"].iloc[0] == 0.0
    assert np.isposinf(result.table.to_numpy()).all()
    assert result.share_within(1e30) == 0.0


def test_plan_with_a_fit_has_no_band(chinchilla_fit, chin_ens):
    result = capex.plan(chinchilla_fit, 2.0, mfu=0.4)
    assert result.source == "fit" and result.n_replicates == 1
    assert result.unreachable_fraction == 0.0
    C = chinchilla_fit.compute_for(2.0)["C"].iloc[0]
    for col in ("estimate", "lower", "upper", "point_fit"):
        assert result.table.loc["compute (FLOP)", col] == C
    assert result.table.loc["GPU-hours", "estimate"] == pytest.approx(
        C / capex.flop_per_gpu_hour("H100", 0.4), rel=1e-15)
    # The ensemble's point_fit column is the same number.
    assert capex.plan(chin_ens, 2.0, mfu=0.4).table.loc["compute (FLOP)", "point_fit"] == C
    assert "from a point fit (no band)" in str(result)
    with pytest.warns(UserWarning, match="unreachable"):
        never = capex.plan(chinchilla_fit, 1.5)
    assert never.unreachable_fraction == 1.0 and np.isposinf(never.table.to_numpy()).all()


def test_plan_from_draws_matches_the_ensemble(chin_ens):
    draws = chin_ens.compute_for_draws(1.85)
    direct = capex.plan(draws)
    via = capex.plan(chin_ens, 1.85)
    assert direct.source == "draws"
    pd.testing.assert_frame_equal(direct.table.drop(columns="point_fit"),
                                  via.table.drop(columns="point_fit"))
    assert direct.unreachable_fraction == via.unreachable_fraction


def test_plan_argument_checks(chin_ens):
    with pytest.raises(ValueError, match="target"):
        capex.plan(chin_ens)  # an ensemble needs a target
    with pytest.raises(ValueError, match="one number"):
        capex.plan(chin_ens, [1.9, 2.0])
    with pytest.raises(ValueError, match="mfu must be one number"):
        capex.plan(chin_ens, 2.0, mfu=np.array([0.3, 0.4]))


def test_conversions_take_ensemble_draws(chin_ens):
    draws = chin_ens.compute_for_draws(1.80)  # inf where unreachable
    hours = capex.gpu_hours(draws, "H100", 0.4)
    assert np.array_equal(np.isinf(hours), np.isinf(draws))
    cost = capex.amortised_cost(draws, "H100", 0.4)
    assert np.array_equal(np.isinf(cost), np.isinf(draws))
    # One mfu: quantiles commute with the (increasing) conversion. One mfu draw per replicate:
    # convert draw by draw, then take quantiles; converting the quantiles is wrong.
    finite = chin_ens.compute_for_draws(2.0)
    q = [0.05, 0.5, 0.95]
    np.testing.assert_allclose(np.quantile(capex.gpu_hours(finite, mfu=0.4), q),
                               capex.gpu_hours(np.quantile(finite, q), mfu=0.4), rtol=1e-12)
    mfu = np.random.default_rng(0).uniform(0.3, 0.5, finite.size)
    right = np.quantile(capex.gpu_hours(finite, mfu=mfu), q)
    naive = capex.gpu_hours(np.quantile(finite, q), mfu=np.quantile(mfu, q))
    assert not np.allclose(right, naive, rtol=1e-3)


# --------------------------------------------------------------------------------------------
# Buying a target ahead of revenue


def test_spend_fraction_for_worked_number():
    # The plan spends f r0 g^t; a $16 run in year 2 from revenue 1 growing 4x is f = 1.
    assert capex.spend_fraction_for(16.0, 1.0, 4.0, 2) == pytest.approx(1.0)
    assert capex.spend_fraction_for(2.732e6, 1e6, 4.0, 2) == pytest.approx(0.17075)
    with pytest.raises(ValueError, match="cost"):
        capex.spend_fraction_for(-1.0, 1.0, 4.0, 2)


def test_commitment_risk_by_hand():
    # Deterministic revenue on a 4x plan: 1, 4, 16. Budget $8 for the year-2 run: f = 0.5,
    # spend 2 then 8; margin 0.5 and cash 1: cash 1 + 2 - 2 = 1, then 1 + 8 - 8 = 1.
    # Rental cost of 1e18, 2e18, 3e18 FLOP on H100 at the default mfu and price: $2.96, $5.91,
    # $8.87; the fourth replicate never reaches the target. So $8 is enough for half of them.
    plan = capex.plan(np.array([1e18, 2e18, 3e18, np.inf]))
    revenue = capex.simulate_revenue(1.0, 4.0, (4.0, 4.0), 2, n_paths=4, seed=0)
    risk = capex.commitment_risk(plan, revenue, planned_growth=4.0, lead_time=1, budget=8.0,
                                 margin=0.5, initial_cash=1.0,
                                 policies=("upfront", "staged", "rolling"))
    assert risk.attrs["spend_fraction"] == pytest.approx(0.5) and risk.attrs["year"] == 2
    assert (risk["prob_ruin"] == 0.0).all() and (risk["p_target_run"] == 1.0).all()
    np.testing.assert_allclose(risk["terminal_cash_median"], 1.0, rtol=1e-9)
    assert plan.share_within(8.0) == 0.5
    np.testing.assert_allclose(risk["p_budget_enough"], 0.5)
    np.testing.assert_allclose(risk["p_target_solvent"], 0.5)


def test_commitment_risk_on_the_ensemble(chin_ens):
    plan = capex.plan(chin_ens, 1.96)
    revenue = capex.simulate_revenue(1e6, 4.0, (1.6, 10.0), 2, n_paths=20_000, seed=0)
    terms = dict(planned_growth=4.0, lead_time=1, margin=0.5, initial_cash=1e6)
    med = capex.commitment_risk(plan, revenue, budget="median", **terms)
    up = capex.commitment_risk(plan, revenue, budget="upper", **terms)
    assert med.attrs["budget"] == plan.table.loc["rental ($)", "estimate"]
    assert up.attrs["budget"] == plan.table.loc["rental ($)", "upper"]
    assert med["p_budget_enough"].iloc[0] == pytest.approx(0.5, abs=0.01)
    assert up["p_budget_enough"].iloc[0] == pytest.approx(0.95, abs=0.01)
    # A bigger budget costs more ruin; staging cuts ruin but signs the target run less often.
    for table in (med, up):
        assert table.loc["staged", "prob_ruin"] <= table.loc["upfront", "prob_ruin"]
        assert table.loc["upfront", "p_target_run"] == 1.0
        assert table.loc["staged", "p_target_run"] < 1.0
    assert up.loc["upfront", "prob_ruin"] > med.loc["upfront", "prob_ruin"]
    # Explicit spend fraction gives the same numbers as the budget it implies.
    same = capex.commitment_risk(plan, revenue, spend_fraction=up.attrs["spend_fraction"], **terms)
    pd.testing.assert_frame_equal(same, up, check_exact=False, rtol=1e-12)
    # Year-1 ruin by hand: cash_1 = cash_0 + margin R_1 - f P_1 < 0 iff growth < g*.
    upfront = capex.simulate_cash(revenue, policy="upfront", spend_fraction=up.attrs["spend_fraction"],
                                  planned_growth=4.0, lead_time=1, margin=0.5, initial_cash=1e6)
    g_star = (up.attrs["spend_fraction"] * 4e6 - 1e6) / (0.5 * 1e6)
    assert upfront.ruin_years["p_first_ruin"].iloc[0] == pytest.approx(
        capex.growth_probability_below(g_star, 4.0, (1.6, 10.0)), abs=0.01)
    with pytest.raises(ValueError, match="budget"):
        capex.commitment_risk(plan, revenue, budget="mean", **terms)
    with pytest.raises(ValueError, match="cost"):
        capex.commitment_risk(plan, revenue, budget="upper", cost="capex", **terms)


# --------------------------------------------------------------------------------------------
# Figures: capability against compute, revenue and cash


def test_plot_capability_ensemble_and_fit(tmp_path, chinchilla_fit, chin_ens):
    import matplotlib.pyplot as plt

    from scalinglaws import plot

    fig = plot.plot_capability(chin_ens, targets=[1.96, 1.80])
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(lbl.startswith("target 1.96: point fit 9.7e+23") for lbl in labels)
    assert any("never reach it" in lbl for lbl in labels)  # 1.80: most replicates never do
    assert any(lbl.startswith("fitted data") for lbl in labels)
    out = tmp_path / "capability.png"
    fig.savefig(out, dpi=60)
    assert out.stat().st_size > 8000
    fig2 = plot.plot_capability(chinchilla_fit, targets=1.96, C_range=(1e20, 1e26))
    assert fig2.axes[0].get_xlim() == pytest.approx((1e20, 1e26))
    params_only = scalinglaws.Fit.from_params("chinchilla", chinchilla_fit.params)
    with pytest.raises(ValueError, match="C_range"):
        plot.plot_capability(params_only)
    assert plot.plot_capability(params_only, C_range=(1e20, 1e25)) is not None
    with pytest.raises(ValueError, match="level"):
        plot.plot_capability(chin_ens, level=1.5)
    plt.close("all")


def test_plot_revenue_cash(tmp_path):
    import matplotlib.pyplot as plt

    from scalinglaws import plot

    revenue = capex.simulate_revenue(1e6, 4.0, (1.6, 10.0), 3, n_paths=2000, seed=0)
    kw = dict(planned_growth=4.0, spend_fraction=0.5, lead_time=1, margin=0.5, initial_cash=1e6)
    results = {"up front": capex.simulate_cash(revenue, policy="upfront", **kw),
               "staged": capex.simulate_cash(revenue, policy="staged", **kw)}
    fig = plot.plot_revenue_cash(revenue, results, planned=capex.planned_revenue(1e6, 4.0, 3),
                                 unit="$")
    assert len(fig.axes) == 3
    assert fig.axes[1].get_title() == f"up front: P(ruin) = {results['up front'].prob_ruin:.3f}"
    out = tmp_path / "rc.png"
    fig.savefig(out, dpi=60)
    assert out.stat().st_size > 8000
    with pytest.raises(ValueError, match="at least one"):
        plot.plot_revenue_cash(revenue, {})
    plt.close("all")


# --------------------------------------------------------------------------------------------
# The `scalinglaws capex SCENARIO.toml` command

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "capex_chinchilla.toml"




def _numbers_after(text, label, start=0):
    """The numbers on the first line (from line ``start`` on) that begins with ``label``."""
    lines = text.splitlines()
    for line in lines[start:]:
        if line.strip().startswith(label):
            return [float(v) for v in line.strip()[len(label):].split()]
    raise AssertionError(f"no line starting with {label!r} in:\n{text}")


@pytest.fixture(scope="module")
def capex_run(tmp_path_factory, run_cli):
    out = tmp_path_factory.mktemp("capex")
    code, stdout, stderr = run_cli(["capex", EXAMPLE, "--bootstrap", 300, "--paths", 20_000,
                                     "--out", out])
    return {"code": code, "out": out, "stdout": stdout, "stderr": stderr}


def test_example_scenario_loads():
    s = capex.load_scenario(EXAMPLE)
    assert s["fit"]["dataset"] == "chinchilla-240" and s["target"]["loss"] == 1.96
    assert s["bootstrap"] == {"replicates": 4000, "seed": 0, "level": 0.9,
                              "resampling": "multinomial", "enabled": True}
    assert s["revenue"]["growth_interval90"] == (1.6, 10.0)
    assert s["commitments"]["budget"] == "upper" and s["commitments"]["spend_fraction"] is None


def test_cli_capex_prints_what_the_api_gives(capex_run, chin_ens):
    assert capex_run["code"] == 0, capex_run["stderr"]
    text = capex_run["stdout"]
    s = capex.load_scenario(EXAMPLE)
    hw, rv, com = s["hardware"], s["revenue"], s["commitments"]
    plan = capex.plan(chin_ens, 1.96, gpu=hw["gpu"], mfu=hw["mfu"], price_per_gpu_hour=hw["price_per_gpu_hour"],
                      level=0.9, wall_clock_days=hw["wall_clock_days"])
    for row in plan.table.index:
        printed = _numbers_after(text, row)
        np.testing.assert_allclose(printed, plan.table.loc[row], rtol=1e-3)
    assert "unreachable: 0.00% of 300 replicates never reach loss 1.96" in text
    revenue = capex.simulate_revenue(rv["r0"], rv["growth_median"], rv["growth_interval90"],
                                     rv["years"], n_paths=20_000, seed=rv["seed"])
    terms = dict(planned_growth=com["planned_growth"], lead_time=com["lead_time"],
                 budget="upper", milestone=com["milestone"], margin=com["margin"],
                 initial_cash=com["initial_cash"], level=com["level"])
    risk = capex.commitment_risk(plan, revenue, **terms)
    assert f"spend fraction {risk.attrs['spend_fraction']:.4g} of planned revenue" in text
    assert f"the year-2 run costs {risk.attrs['budget']:.4g}" in text
    columns = ["prob_ruin", "terminal_cash_median", "var", "cvar", "spend_vs_upfront",
               "p_target_run", "p_target_solvent"]
    for policy in ("upfront", "staged"):
        np.testing.assert_allclose(_numbers_after(text, policy), risk.loc[policy, columns],
                                   rtol=1e-3)
    slipped = capex.commitment_risk(plan, capex.slip(revenue, 1),
                                    **dict(terms, budget=risk.attrs["budget"]))
    start = next(i for i, line in enumerate(text.splitlines()) if "late (slip)" in line)
    np.testing.assert_allclose(_numbers_after(text, "upfront", start),
                               slipped.loc["upfront", columns], rtol=1e-3)
    for name in ("capability.png", "revenue_cash.png"):
        path = capex_run["out"] / name
        assert path.stat().st_size > 8000
        assert str(path) in text


@pytest.mark.parametrize("body, message", [
    ("[fit\n", "not valid TOML"),
    ("[fit]\ndataset = 'chinchilla-240'\n[target]\nloss = 1.96\n[revenue]\nr0 = 1.0\n",
     "[revenue] missing key 'growth_median'"),
    ("[fit]\ndataset = 'chinchilla-240'\n", "missing section [target]"),
    ("[fitt]\n", "unknown section [fitt]"),
    ("[fit]\ndataset = 'chinchilla-240'\nlaww = 'power'\n", "[fit] unknown key 'laww'"),
])
def test_cli_capex_errors_are_one_line(tmp_path, body, message, run_cli):
    path = tmp_path / "bad.toml"
    path.write_text(body)
    code, stdout, stderr = run_cli(["capex", path])
    assert code == 2 and stdout == ""
    assert stderr.startswith("error: ") and stderr.count("\n") == 1
    assert message in stderr


def test_cli_capex_checks_values(tmp_path, run_cli):
    text = EXAMPLE.read_text()
    cases = [
        (text.replace('budget = "upper"', 'budget = "upper"\nspend_fraction = 0.2'),
         "exactly one of budget"),
        (text.replace('budget = "upper"', 'budget = "mean"'), "budget must be one of"),
        (text.replace("years = 2 ", "years = 2.5 "), "[revenue] years must be a whole number"),
        (text.replace('policies = ["upfront", "staged"]', 'policies = ["upfront", "yolo"]'),
         "'yolo' is not one of"),
        (text.replace('dataset = "chinchilla-240"', 'csv = "missing.csv"'), "missing.csv"),
    ]
    for i, (body, message) in enumerate(cases):
        path = tmp_path / f"case{i}.toml"
        path.write_text(body)
        code, _, stderr = run_cli(["capex", path, "--no-figures"])
        assert code == 2, (message, stderr)
        assert stderr.startswith("error: ") and message in stderr, stderr


def test_scenario_from_saved_files_and_spend_fraction(tmp_path, chinchilla_fit, chin_ens):
    ens_path, fit_path = tmp_path / "ens.json", tmp_path / "fit.json"
    chin_ens.save(ens_path)
    chinchilla_fit.save(fit_path)
    text = EXAMPLE.read_text().replace('dataset = "chinchilla-240"', 'file = "ens.json"')
    text = text.replace('budget = "upper"', "spend_fraction = 0.2")
    (tmp_path / "ens.toml").write_text(text)
    result = capex.run_scenario(capex.load_scenario(tmp_path / "ens.toml"), paths=2000,
                                figures=False)
    assert result.ensemble is not None and result.ensemble.n_replicates == 300
    assert result.risk.attrs["spend_fraction"] == 0.2
    assert result.risk.attrs["budget"] == pytest.approx(0.2 * 1e6 * 4.0 ** 2)
    assert result.figures == []
    # The result protocol: the summary's table is the policy table, and the report's lines are its text.
    policies = result.to_frame()
    assert list(policies.index) == list(result.risk.index) and "prob_ruin" in policies.columns
    assert policies.attrs["level"] == result.scenario["commitments"]["level"]
    assert result.summary().title in result.report() and "<table" in result._repr_html_()
    # Without [bootstrap], a saved point fit: one value, no band.
    body = text.replace('file = "ens.json"', 'file = "fit.json"')
    body = body[:body.index("[bootstrap]")] + body[body.index("[target]"):]
    (tmp_path / "fit.toml").write_text(body)
    point = capex.run_scenario(capex.load_scenario(tmp_path / "fit.toml"), paths=2000,
                               figures=False)
    assert point.ensemble is None and point.plan.source == "fit"
    row = point.plan.table.loc["compute (FLOP)"]
    assert row["estimate"] == row["lower"] == row["upper"] == row["point_fit"]
    assert "no bootstrap (point fit: no band)" in point.report()
    assert point.risk["p_budget_enough"].iloc[0] in (0.0, 1.0)
