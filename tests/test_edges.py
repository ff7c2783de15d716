"""Edge values are refused with an error that names the argument, never answered: a NaN input, a
target that is not finite, a misspelt keyword, inputs that do not broadcast, a seed out of range,
a fractional count, a bound that is not a pair."""

from __future__ import annotations

import numpy as np
import pytest

import scalinglaws as sl


@pytest.fixture(scope="module")
def ens(chinchilla_fit):
    return chinchilla_fit.bootstrap(40, seed=0)


@pytest.mark.parametrize("call, message", [
    (lambda f, e: e.predict(N=np.nan, D=1.4e12), "input 'N' must be finite: position 0 is nan"),
    (lambda f, e: f.predict(N=[7e10, np.inf], D=1.4e12), "input 'N' must be finite: position 1 is inf"),
    (lambda f, e: e.predict(N=7e10, D=1.4e12, Dd=1e12), r"unknown input\(s\) \['Dd'\]: this chinchilla fit takes N, D"),
    (lambda f, e: f.predict(N=7e10, D=1.4e12, Dd=1e12), r"unknown input\(s\) \['Dd'\]"),
    (lambda f, e: e.predict(N=[1e9, 2e9], D=[1e12, 2e12, 3e12]), r"shapes N \(2,\), D \(3,\) do not broadcast"),
    (lambda f, e: f.predict(N=[1e9, 2e9], D=[1e12, 2e12, 3e12]), "do not broadcast"),
    (lambda f, e: e.predict(N="big", D=1e12), "input 'N' must be numbers"),
    (lambda f, e: e.predict(N=-1.0, D=1e12), "input 'N' must be > 0"),
    (lambda f, e: f.compute_for(np.nan), "target must be finite: position 0 is nan"),
    (lambda f, e: f.compute_for(np.inf), "target must be finite: position 0 is inf"),
    (lambda f, e: e.compute_for([1.9, np.nan]), "target must be finite: position 1 is nan"),
    (lambda f, e: e.compute_for_draws(np.inf), "target must be finite"),
    (lambda f, e: e.compute_for("low"), "target must be numbers"),
    (lambda f, e: f.bootstrap(2.5), "n_bootstrap must be an integer >= 1; got 2.5"),
    (lambda f, e: f.bootstrap(0), "n_bootstrap must be an integer >= 1; got 0"),
    (lambda f, e: f.bootstrap(10, seed=2**64), "seed must be from 0 to 9223372036854775807"),
    (lambda f, e: f.bootstrap(10, seed=-1), "seed must be an integer >= 0; got -1"),
    (lambda f, e: f.bootstrap(10, seed=1.5), "seed must be an integer >= 0; got 1.5"),
    (lambda f, e: f.bootstrap(10, seed=True), "seed must be an integer"),
    (lambda f, e: sl.fit(f.data, "chinchilla", bounds={"alpha": 0.3}),
     r"bounds\['alpha'\] must be a pair \(lower, upper\) with None for an open side"),
    (lambda f, e: sl.fit(f.data, "chinchilla", bounds={"alpha": (0.1, "x")}), r"bounds\['alpha'\] must be a pair"),
    (lambda f, e: sl.fit(f.data, "chinchilla", bounds={"alpha": (0.1, 0.2, 0.3)}), r"bounds\['alpha'\] must be a pair"),
    (lambda f, e: sl.fit(f.data, "chinchilla", bounds={"alpha": (np.nan, None)}), "contain NaN"),
])
def test_edge_values_are_refused(chinchilla_fit, ens, call, message):
    with pytest.raises(ValueError, match=message):
        call(chinchilla_fit, ens)


def test_seed_none_draws_a_seed_and_records_it(chinchilla_fit):
    """seed=None is a fresh draw, recorded, so the ensemble can be made again."""
    a = chinchilla_fit.bootstrap(20, seed=None)
    b = chinchilla_fit.bootstrap(20, seed=None)
    assert a.seed != b.seed and 0 <= a.seed <= sl.inputs.SEED_MAX
    again = chinchilla_fit.bootstrap(20, seed=a.seed)
    np.testing.assert_array_equal(again.theta, a.theta)


@pytest.mark.parametrize("call, message", [
    (lambda d: sl.isoflop(d, seed=-3, n_bootstrap=10), "seed must be an integer >= 0"),
    (lambda d: sl.isoflop(d, n_bootstrap=2.5), "n_bootstrap must be"),
])
def test_isoflop_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call(sl.datasets.load("marin-dclm"))


def test_other_entry_points_check_seeds_and_counts(chinchilla_fit):
    df = chinchilla_fit.data
    with pytest.raises(ValueError, match="seed must be from 0 to"):
        sl.validate_extrapolation(df, "chinchilla", n_bootstrap=5, seed=2**63)
    with pytest.raises(ValueError, match="n_bootstrap must be an integer >= 0; got 1.5"):
        sl.validate_extrapolation(df, "chinchilla", n_bootstrap=1.5)
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        sl.compare(df, ["chinchilla", "kaplan"], seed="zero")
    with pytest.raises(ValueError, match="seed must be from 0 to"):
        sl.forecast(df, ["chinchilla", "kaplan"], seed=2**70, C=[1e24])
