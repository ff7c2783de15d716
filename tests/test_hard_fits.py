"""The hard-fit suite's fast subset (benchmarks/hard_cases.py): weakly identified real data and
synthetic problems with known truth. The full suite, with scipy side by side, is
``python -m benchmarks.bench_hard``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import scalinglaws as sl
from benchmarks import hard_cases

FAST = [c for c in hard_cases.CASES if c.fast]

# Reference optima: scipy.optimize.least_squares (trf, exact Jacobian, tolerances 1e-15) from the 64
# best and 64 random points of each law's start grid, scored with our objective in float64
# (benchmarks/results/hard-after.json, written by `python -m benchmarks.bench_hard`).
REFERENCE = {
    "chinchilla-240": 0.0010182740178006008,
    "datablations": 0.008952652805458865,
    "marin-comma best per budget": 1.3979202991706702e-05,
    "marin-dclm": 0.0005358371772558,
    "obsscaling HellaSwag": 0.9919928888812718,
    "colpret OPT checkpoints": 0.002256399697019448,
    "colpret OLMo-1B late": 0.0009666666907178306,
    "porian tuned_no_decay RW": 0.006693239337615484,
    "routing-moe S-Base (custom)": 0.0003222424916825773,
    "routing-moe dense": 3.9940740044022843e-07,
    "hex-frontier board 9": 203320.59319190198,
    "synthetic chinchilla 3 sizes": 8.186285595893945e-05,
    "synthetic chinchilla short runs": 6.863172145578297e-05,
    "synthetic power 6 points": 5.994611510151948e-06,
    "synthetic sigmoid ceiling beyond data": 0.0031504658981661438,
}


def _fit(case, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return case.fit(**kw)


@pytest.mark.parametrize("case", FAST, ids=lambda c: c.name)
def test_point_fit_converges_to_the_reference_optimum(case):
    fit = _fit(case)
    assert fit.converged, fit.summary()
    ref = REFERENCE[case.name]
    assert fit.objective <= ref * (1 + 1e-9) + 1e-15, (fit.objective, ref)
    assert all(np.isfinite(v) for v in fit.params.values())


@pytest.mark.parametrize("case", FAST, ids=lambda c: c.name)
def test_bootstrap_failures_within_target(case):
    ens = _fit(case).bootstrap(200, seed=0, failed="drop")
    d = ens.diagnostics
    assert d["failed_fraction"] <= 0.005, (d["failed_to_converge"], d["retried"], d["recovered"])
    iv = ens.interval(level=0.9)
    assert (iv["n_used"] == 200 - d["left_out"]).all()
    assert d["left_out"] == int(np.sum(~ens.converged | ens.unidentified))


def test_replicates_with_too_few_distinct_x_are_left_out_loudly():
    # Five dense runs, a 3-parameter power law: a resample keeps 2 or fewer distinct sizes with
    # probability (5 + 10 * 30) / 5^5 = 9.8%, and then has a whole manifold of optima.
    fit = _fit(hard_cases.get("routing-moe dense"))
    with pytest.warns(sl.bootstrap.ReplicateFailureWarning, match="fewer distinct x values"):
        ens = fit.bootstrap(1000, seed=0)
    d = ens.diagnostics
    assert 0.07 < d["unidentified"] / 1000 < 0.13
    assert d["left_out"] >= d["unidentified"]
    assert ens.interval().attrs["n_used"] == 1000 - d["left_out"]
    assert ens.params["unidentified"].sum() == d["unidentified"]
    # With 240 distinct points nothing is checked or flagged.
    assert _fit(hard_cases.get("chinchilla-240")).bootstrap(50, seed=0).diagnostics["unidentified"] == 0


def test_irreducible_loss_running_to_zero_ends_on_its_floor():
    # OPT checkpoints: B D^-beta with beta 0.06 stands in for the constant, E -> 0.
    fit = _fit(hard_cases.get("colpret OPT checkpoints"))
    assert fit.converged and fit.on_bound
    hit = fit.diagnostics["on_bound_params"]
    assert list(hit) == ["E"] and hit["E"]["side"] == "lower"
    assert hit["E"]["bound"] == pytest.approx(1e-6 * hard_cases.get("colpret OPT checkpoints").data().loss.min())
    assert "E ended on its lower bound" in fit.summary()
    ens = fit.bootstrap(100, seed=0, failed="drop")
    iv = ens.interval(level=0.9)
    assert iv.loc["E", "at_bound"] in ("lower", "both")
    assert "an end of the interval sits on the parameter's bound" in ens.summary()
    assert ens.diagnostics["on_bound_by_parameter"]["E"]["lower"] > 0


def test_exponent_running_off_is_flagged_not_reported_as_infinite_amplitude():
    # Three model sizes: the N term becomes a step (alpha 30-3000, A overflowing to inf before).
    fit = _fit(hard_cases.get("colpret datablations 1 epoch c4"))
    assert fit.on_bound
    assert fit.diagnostics["on_bound_params"]["alpha"] == {"side": "upper", "bound": sl.laws.EXPONENT_MAX}
    assert np.isfinite(fit.params["A"])


GENERATORS = {
    "synthetic chinchilla 3 sizes": hard_cases.synthetic_chinchilla_3_sizes,
    "synthetic chinchilla short runs": hard_cases.synthetic_chinchilla_short_runs,
    "synthetic power 6 points": hard_cases.synthetic_power_6_points,
    "synthetic sigmoid ceiling beyond data": hard_cases.synthetic_sigmoid_below_ceiling,
    "synthetic data-constrained": hard_cases.synthetic_data_constrained,
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(GENERATORS))
def test_bands_cover_the_truth_at_about_their_nominal_rate(name):
    """50 noisy draws of each weakly identified synthetic problem: each parameter's 90% percentile
    interval (100 replicates) covers the true value in at least 80% of the draws."""
    case = hard_cases.get(name)
    covered, failed = [], 0
    for d in range(50):
        df = GENERATORS[name](seed=100 + d)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            fit = sl.fit(df, case.law, **case.kwargs)
        ens = fit.bootstrap(100, seed=d, failed="drop")
        failed += ens.diagnostics["failed_to_converge"]
        iv = ens.interval(level=0.9)
        covered.append([iv.loc[k, "lower"] <= v <= iv.loc[k, "upper"] for k, v in case.truth.items()])
    rate = dict(zip(case.truth, np.mean(covered, axis=0)))
    assert min(rate.values()) >= 0.8, rate
    assert failed <= 0.005 * 50 * 100
