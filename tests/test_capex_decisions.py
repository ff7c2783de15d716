"""capex.optimize_commitments: the largest commitment per policy with P(ruin) <= max_ruin, checked
on fresh paths, against brute force, and against what the theory says about the policies."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scalinglaws as sl
from scalinglaws import capex

TERMS = dict(planned_growth=10.0, lead_time=1, margin=0.5, initial_cash=1.0)


@pytest.fixture(scope="module")
def paths():
    fit = dict(r0=1.0, growth_median=10.0, growth_interval90=(3.16, 31.6), years=3, n_paths=100_000)
    return capex.simulate_revenue(**fit, seed=0), capex.simulate_revenue(**fit, seed=1)


@pytest.fixture(scope="module")
def decision(paths):
    return capex.optimize_commitments(paths[0], max_ruin=0.05, **TERMS)


def test_ruin_on_fresh_paths_is_within_a_point_of_max_ruin(decision, paths):
    """The schedule chosen on 100,000 paths, replayed on 100,000 fresh ones: P(ruin) within 0.01
    of max_ruin for every policy (binding: in sample it is max_ruin to the path)."""
    fresh = decision.evaluate(paths[1])
    for policy in ("upfront", "rolling", "staged"):
        assert decision.table.loc[policy, "prob_ruin"] == pytest.approx(0.05, abs=1e-5)
        assert abs(fresh.loc[policy, "prob_ruin"] - 0.05) <= 0.01, (policy, fresh.loc[policy, "prob_ruin"])


def test_it_is_the_largest_commitment(decision, paths):
    """A hair more spending ruins more than max_ruin of the same paths (simulate_cash, brute force)."""
    for policy in decision.table.index:
        spend = decision.spend(policy, paths[0])
        at = capex.simulate_cash(paths[0], spend=spend, margin=0.5, initial_cash=1.0)
        more = capex.simulate_cash(paths[0], spend=spend * (1 + 1e-6), margin=0.5, initial_cash=1.0)
        assert at.prob_ruin <= 0.05 < more.prob_ruin, policy
        assert at.var == pytest.approx(decision.table.loc[policy, "var"])


def test_staged_dominates_up_front_where_the_theory_says(decision, paths):
    """Milestone 0 is up front, so the staged frontier is never below it; with uncertain growth and a
    lead time shorter than the horizon, stopping tranches on paths behind plan buys strictly more
    compute at 5% ruin."""
    f = decision.frontier.pivot(index="target_ruin", columns="policy", values="flop_mean")
    assert (f["staged"] >= f["upfront"] * (1 - 1e-12)).all()
    assert decision.table.loc["staged", "flop_mean"] > 1.3 * decision.table.loc["upfront", "flop_mean"]
    # lead time as long as the horizon: every tranche is signed today, staged is up front
    signed_now = capex.optimize_commitments(paths[0], max_ruin=0.05, policies=("upfront", "staged"),
                                            **dict(TERMS, lead_time=3))
    a = signed_now.frontier.set_index(["policy", "target_ruin"])
    pd.testing.assert_series_equal(a.loc["staged", "flop_mean"], a.loc["upfront", "flop_mean"])


def test_on_plan_revenue_makes_every_policy_the_same():
    """Revenue exactly on plan (sigma 0): rolling, staged and up front spend the same, and the
    commitment is the one whose cash ends at zero."""
    revenue = capex.simulate_revenue(1.0, 4.0, (4.0, 4.0), years=3, n_paths=1000, seed=0)
    d = capex.optimize_commitments(revenue, planned_growth=4.0, lead_time=1, margin=0.5, initial_cash=0.0,
                                   max_ruin=0.05)
    f = d.table["spend_fraction"]
    assert f.max() == pytest.approx(f.min(), rel=1e-9)
    assert f["upfront"] == pytest.approx(0.5, rel=1e-9)  # spend half of revenue, which is the margin
    assert (d.table["prob_ruin"] == 0).all()


def test_split_cash_and_bisection_agree_with_brute_force(paths):
    """With a training/serving split cash is not linear in the commitment; the bisection's f* is
    where each path's cash turns negative."""
    revenue = paths[0][:20_000]
    d = capex.optimize_commitments(revenue, max_ruin=0.05, planned_growth=10.0, lead_time=1, margin=1.0,
                                   initial_cash=1.0, training_share=0.3, inference_margin=0.6)
    assert d.settings["capacity"] == pytest.approx(0.7 / 0.4)
    for policy in d.table.index:
        spend = d.spend(policy, revenue)
        kw = dict(margin=1.0, initial_cash=1.0, training_share=0.3, inference_margin=0.6)
        at = capex.simulate_cash(revenue, spend=spend, **kw)
        more = capex.simulate_cash(revenue, spend=spend * (1 + 1e-6), **kw)
        assert at.prob_ruin <= 0.05 < more.prob_ruin, policy
        assert at.prob_ruin == pytest.approx(d.table.loc[policy, "prob_ruin"])
        assert 0 < at.served_share < 1


def test_serving_that_loses_money_allows_only_the_initial_cash():
    """A dollar of commitment that serves 0.625 of revenue (training share 0.7, margin 0.52) loses
    money at any size: the commitment is what the initial cash pays for, whatever the demand."""
    revenue = capex.simulate_revenue(1.0, 10.0, (3.16, 31.6), years=2, n_paths=2000, seed=0)
    d = capex.optimize_commitments(revenue, planned_growth=10.0, lead_time=0, policies=("upfront",),
                                   training_share=0.7, inference_margin=0.52, initial_cash=2.0)
    unit_total = 10.0 + 100.0
    assert d.table.loc["upfront", "spend_fraction"] == pytest.approx(2.0 / (0.375 * unit_total), rel=1e-9)


def test_compute_bought_follows_the_price_trend(decision):
    """Training FLOP = spend / price, the price falling 0.14 orders of magnitude a year."""
    per_dollar = capex.flop_per_gpu_hour("H100", capex.DEFAULT_MFU) / capex.H100_RENTAL_MEDIAN.value
    row = decision.schedules.set_index(["policy", "year"]).loc["upfront"]
    expected = row["spend_mean"] * per_dollar * 10 ** (0.14 * row.index.to_numpy())
    np.testing.assert_allclose(row["flop_mean"], expected, rtol=1e-9)
    assert decision.unit_flop.shape == (100_000, 2 * 7)  # up front, rolling and five staged milestones
    total = decision.flop_draws("rolling", run="total")
    assert total.mean() == pytest.approx(decision.table.loc["rolling", "flop_mean"], rel=1e-12)
    final = decision.flop_draws("staged", 0.01)
    row = decision.frontier_row("staged", 0.01)
    assert final.mean() == pytest.approx(row["final_flop_mean"], rel=1e-9)


def test_same_paths_same_decision(paths):
    a = capex.optimize_commitments(paths[0][:5000], max_ruin=0.05, **TERMS)
    b = capex.optimize_commitments(paths[0][:5000], max_ruin=0.05, **TERMS)
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.frontier, b.frontier)


def test_decision_prints_saves_and_draws(decision, tmp_path):
    import matplotlib.pyplot as plt

    text = str(decision)
    assert "P(ruin) <= 0.05" in text and "staged" in text
    back = sl.load(decision.save(tmp_path / "d.npz"))
    pd.testing.assert_frame_equal(back.table, decision.table)
    pd.testing.assert_frame_equal(back.frontier, decision.frontier)
    fig = sl.plot.figure(decision)
    assert len(fig.axes[0].lines) >= 3
    plt.close(fig)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(max_ruin=0.0), "max_ruin must be in"),
        (dict(max_ruin=0.001), "too few to resolve; give at least 10000 paths"),
        (dict(policies=("upfront", "yolo")), "policies="),
        (dict(initial_cash=-1.0), "initial_cash must be non-negative"),
        (dict(training_share=1.5), "training_share must be in"),
        (dict(inference_margin=1.0), "inference_margin must be in"),
        (dict(milestones=(-1.0,)), "milestones"),
        (dict(gpu="B200"), "price_per_gpu_hour .* is required"),
        (dict(lead_time=-1), "lead_time"),
    ],
)
def test_optimize_commitments_refuses_bad_input(kwargs, match):
    revenue = capex.simulate_revenue(1.0, 10.0, (3.16, 31.6), years=2, n_paths=2000, seed=0)
    args = dict(TERMS, **kwargs)
    with pytest.raises(ValueError, match=match):
        capex.optimize_commitments(revenue, **args)


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(growth=st.floats(1.5, 12.0), spread=st.floats(1.0, 4.0), lead=st.integers(0, 3), margin=st.floats(0.1, 1.0),
       cash=st.floats(0.0, 3.0), share=st.one_of(st.none(), st.floats(0.0, 0.9)), seed=st.integers(0, 50))
def test_frontier_invariants(growth, spread, lead, margin, cash, share, seed):
    """Whatever the demand and terms: in-sample ruin never exceeds the level asked for, accepting more
    ruin never buys less, and the chosen commitment replayed with simulate_cash has the ruin reported."""
    revenue = capex.simulate_revenue(1.0, growth, (growth / spread, growth * spread), years=3, n_paths=2000,
                                     seed=seed)
    split = {} if share is None else dict(training_share=share, inference_margin=0.5)
    d = capex.optimize_commitments(revenue, planned_growth=growth, lead_time=lead, margin=margin, initial_cash=cash,
                                   max_ruin=0.05, **split)
    assert (d.frontier["prob_ruin"] <= d.frontier["target_ruin"] + 1e-12).all()
    for policy, part in d.frontier.groupby("policy"):
        flop = part.sort_values("target_ruin")["flop_mean"].to_numpy()
        assert (np.diff(flop) >= -1e-9 * flop[1:]).all(), policy
    for policy in d.table.index:
        replay = capex.simulate_cash(revenue, spend=d.spend(policy, revenue), margin=margin, initial_cash=cash, **split)
        assert replay.prob_ruin == pytest.approx(d.table.loc[policy, "prob_ruin"], abs=1e-12)
