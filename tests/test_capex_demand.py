"""Revenue growth fitted to a short history (capex.fit_revenue): bands that cover the truth at their
nominal rate, a predictive that does too, refusals where the history cannot answer, and paths that
feed simulate_revenue."""

import math

import numpy as np
import pytest
from scipy import stats

from scalinglaws import capex

YEARS = np.arange(2019, 2026)


def _history(rng, growth=4.0, sigma=0.5, n=7):
    log_growth = math.log(growth) + sigma * rng.standard_normal(n)
    revenue = np.exp(np.concatenate([[0.0], np.cumsum(log_growth[: n - 1])]))
    return revenue, math.exp(log_growth[-1])


def test_bands_cover_known_growth_at_their_nominal_rate():
    """200 synthetic 7-year histories of lognormal growth (median 4x, sigma 0.5, no decay): the 90%
    band of the growth median holds 4x, that of sigma holds 0.5, and next year's actual growth lies
    in the 90% predictive interval, each in at least 85% of the histories (the t bands are exact:
    about 90% is expected, and 200 draws put 85% more than 2 standard errors below it)."""
    rng = np.random.default_rng(2024)
    median_in = sigma_in = next_in = 0
    for i in range(200):
        revenue, next_growth = _history(rng)
        fit = capex.fit_revenue(YEARS, revenue, level=0.9, seed=i)
        lo, hi = fit.table.loc["growth median next year (x)", ["lower", "upper"]]
        median_in += lo <= 4.0 <= hi
        lo, hi = fit.table.loc["sigma (log growth)", ["lower", "upper"]]
        sigma_in += lo <= 0.5 <= hi
        lo, hi = fit.table.loc["growth next year (x), predictive", ["lower", "upper"]]
        next_in += lo <= next_growth <= hi
    assert median_in >= 170 and sigma_in >= 170 and next_in >= 170, (median_in, sigma_in, next_in)
    assert max(median_in, sigma_in, next_in) <= 194  # not wider than nominal either


def test_no_decay_band_is_students_t():
    """Without decay and with sigma estimated, the band of the log median is the classical t
    interval: mean log growth +- t(n-1) s / sqrt(n)."""
    revenue = np.array([1.0, 3.0, 12.0, 30.0, 150.0])
    fit = capex.fit_revenue(np.arange(5), revenue, n_draws=200_000, seed=1)
    g = np.diff(np.log(revenue))
    half = stats.t.ppf(0.95, g.size - 1) * g.std(ddof=1) / math.sqrt(g.size)
    lo, hi = fit.table.loc["growth median next year (x)", ["lower", "upper"]]
    assert math.log(lo) == pytest.approx(g.mean() - half, abs=0.01)
    assert math.log(hi) == pytest.approx(g.mean() + half, abs=0.01)
    assert fit.growth_median == pytest.approx(math.exp(g.mean()), rel=0.01)
    assert fit.dof == g.size - 1


def test_gaps_count_as_several_years_of_growth():
    """A two-year gap is two growths: 1 -> 100 over two years is 10x a year."""
    fit = capex.fit_revenue([2020, 2022, 2023], [1.0, 100.0, 1000.0], sigma=0.3)
    assert fit.growth_median == pytest.approx(10.0, rel=0.02)


def test_three_points_at_ten_x_cannot_estimate_the_spread():
    """$0.1B, $1B, $10B: two growths of exactly 10x say nothing about how growth varies."""
    with pytest.raises(ValueError, match="every growth in the history is the same .*10x.*sigma="):
        capex.fit_revenue([2023, 2024, 2025], [0.1, 1.0, 10.0])
    fit = capex.fit_revenue([2023, 2024, 2025], [0.1, 1.0, 10.0], sigma=0.7)
    assert "ASSUMED" in str(fit.summary())
    assert fit.growth_median == pytest.approx(10.0, rel=0.02)
    # the median's band: 10x * exp(+-1.645 * 0.7 / sqrt(2)) with a known sigma
    lo, hi = fit.table.loc["growth median next year (x)", ["lower", "upper"]]
    assert math.log(hi / lo) == pytest.approx(2 * 1.6449 * 0.7 / math.sqrt(2), rel=0.03)
    # the predictive is wider than the plug-in: P(growth < 5x) rises above Phi(ln 0.5 / 0.7)
    plug = fit.prob_growth_below(5.0, parameter_uncertainty=False)
    assert plug == pytest.approx(stats.norm.cdf(math.log(0.5) / 0.7), abs=0.01)
    assert fit.prob_growth_below(5.0) > plug + 0.02


def test_decay_is_recovered_from_a_long_history():
    """Growth that decays 10x -> 5x-like over ten years: the decay's band holds the truth."""
    d, a = 0.15, math.log(10.0)
    rng = np.random.default_rng(3)
    log_growth = a * (1 - d) ** np.arange(10) + 0.05 * rng.standard_normal(10)
    revenue = np.exp(np.concatenate([[0.0], np.cumsum(log_growth)]))
    fit = capex.fit_revenue(np.arange(11), revenue, decay=True)
    lo, hi = fit.table.loc["decay", ["lower", "upper"]]
    assert lo <= d <= hi and hi - lo < 0.1
    assert fit.terms()["decay"] == pytest.approx(d, abs=0.03)


def test_decay_from_three_points_is_honestly_vague():
    """Three points can say almost nothing about decay: its band spans most of [0, 1)."""
    fit = capex.fit_revenue([2023, 2024, 2025], [0.1, 1.0, 10.0], sigma=0.7, decay=True)
    lo, hi = fit.table.loc["decay", ["lower", "upper"]]
    assert lo < 0.05 and hi > 0.5
    with pytest.raises(ValueError, match="at least 3 with decay=True"):
        capex.fit_revenue([2023, 2024, 2025], [0.1, 1.0, 5.0], decay=True)


def test_a_prior_on_sigma_combines_with_the_data():
    revenue = np.array([1.0, 3.0, 12.0, 30.0])
    data_only = capex.fit_revenue(np.arange(4), revenue)
    prior = capex.fit_revenue(np.arange(4), revenue, sigma=0.4, sigma_prior_years=10)
    known = capex.fit_revenue(np.arange(4), revenue, sigma=0.4)
    assert prior.dof == data_only.dof + 10 and math.isinf(known.dof)
    width = {k: np.subtract(*f.table.loc["sigma (log growth)", ["upper", "lower"]])
             for k, f in (("data", data_only), ("prior", prior), ("known", known))}
    assert width["data"] > width["prior"] > width["known"] == 0.0


def test_simulate_revenue_takes_the_fit():
    fit = capex.fit_revenue(YEARS, [1, 3, 10, 25, 90, 250, 900.0])
    paths = capex.simulate_revenue(fit, years=3, n_paths=50_000, seed=0)
    assert paths.shape == (50_000, 4) and (paths[:, 0] == 900.0).all()
    np.testing.assert_array_equal(paths, fit.simulate(3, 50_000, seed=0))  # same seed, same paths
    assert not np.array_equal(paths, fit.simulate(3, 50_000, seed=1))
    # next year's simulated growth follows the fit's predictive
    g = paths[:, 1] / paths[:, 0]
    lo, hi = fit.table.loc["growth next year (x), predictive", ["lower", "upper"]]
    assert np.mean((g >= lo) & (g <= hi)) == pytest.approx(0.9, abs=0.01)
    assert np.mean(g < 3.0) == pytest.approx(fit.prob_growth_below(3.0), abs=0.01)
    # the plug-in terms give simulate_revenue's own arguments
    plug = capex.simulate_revenue(**fit.terms(), years=3, n_paths=10, seed=0)
    assert plug.shape == (10, 4) and plug[0, 0] == 900.0
    with pytest.raises(ValueError, match="give only years, n_paths and seed"):
        capex.simulate_revenue(fit, 4.0, years=3, n_paths=10, seed=0)


@pytest.mark.parametrize(
    "years, revenue, kwargs, match",
    [
        ([2020, 2021], [1.0, 2.0, 3.0], {}, "same length"),
        ([2020], [1.0], {}, "at least two years"),
        ([2020, 2021.5, 2022], [1.0, 2.0, 3.0], {}, r"years\[1\] = 2021.5 must be a whole number"),
        ([2020, 2021, 2022], [1.0, -2.0, 3.0], {}, r"revenue\[1\] = -2.0 \(year 2021\) must be positive"),
        ([2020, 2021, 2022], [1.0, np.nan, 3.0], {}, r"revenue\[1\] = nan"),
        ([2020, 2022, 2021], [1.0, 2.0, 3.0], {}, r"increase strictly; years\[2\] = 2021"),
        ([2020, 2021], [1.0, 2.0], {}, "1 growth.*at least 2.*sigma="),
        ([2020, 2021, 2022], [1.0, 2.0, 5.0], {"sigma": -1.0}, "sigma must be positive"),
        ([2020, 2021, 2022], [1.0, 2.0, 5.0], {"sigma_prior_years": 3.0}, "give sigma too"),
        ([2020, 2021, 2022], [1.0, 2.0, 5.0], {"decay": 0.3}, "decay must be True or False"),
        ([2020, 2021, 2022], [1.0, 2.0, 5.0], {"level": 1.5}, "level"),
    ],
)
def test_fit_revenue_refuses_bad_input(years, revenue, kwargs, match):
    with pytest.raises(ValueError, match=match):
        capex.fit_revenue(years, revenue, **kwargs)


def test_same_seed_same_numbers():
    a = capex.fit_revenue(YEARS, [1, 3, 10, 25, 90, 250, 900.0], decay=True, seed=5)
    b = capex.fit_revenue(YEARS, [1, 3, 10, 25, 90, 250, 900.0], decay=True, seed=5)
    assert a.table.equals(b.table) and a.draws.equals(b.draws)
