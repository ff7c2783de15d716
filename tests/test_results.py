"""One result protocol: every result's ``summary()`` is a Summary (prints as a table, searches and
compares as its text, ``to_frame()``, HTML in a notebook), ``to_frame()`` records the level of its
bands, and every band defaults to the one ``DEFAULT_LEVEL``."""

import inspect
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import scalinglaws as sl
from scalinglaws import capex
from scalinglaws.intervals import DEFAULT_LEVEL
from scalinglaws.results import Summary


def test_summary_renders_searches_and_converts():
    table = pd.DataFrame({"estimate": [1.81722, 477.8], "lower": [1.7, np.inf], "flag": ["", "upper"]},
                         index=pd.Index(["E", "alpha"], name="parameter"))
    s = Summary("a title", table, notes=["note one"], footer=["after"], level=0.9, formats={"lower": ".3g"})
    text = str(s)
    assert text.splitlines() == ["a title", "note one", "", "parameter  estimate  lower   flag",
                                 "E           1.81722    1.7", "alpha         477.8    inf  upper", "after"]
    assert "note one" in s and s == text and s == Summary("a title", table, ["note one"], ["after"], 0.9,
                                                          {"lower": ".3g"})
    frame = s.to_frame()
    assert frame.attrs == {"level": 0.9, "title": "a title"} and frame.equals(table)
    frame.loc["E", "estimate"] = 0.0  # a copy: the summary's table is untouched
    assert table.loc["E", "estimate"] == 1.81722
    html = s._repr_html_()
    assert html.count("<table") == 1 and "note one" in html and "a title" in html


@pytest.fixture(scope="module")
def results(chinchilla_fit):
    ens = chinchilla_fit.bootstrap(100, seed=0)
    power = sl.datasets.load("chinchilla-240")
    iso = sl.isoflop(sl.datasets.load("marin-dclm"), budget="budget", size="N", y="loss", n_bootstrap=50)
    val = sl.validate_extrapolation(power, "power", x="C", n_bootstrap=20)
    comparison = sl.compare(power, ["power", "loglinear"], x="C", n_bootstrap=20)
    revenue = capex.simulate_revenue(1.0, 10.0, (3.16, 31.6), years=3, n_paths=500, seed=0)
    cash = capex.simulate_cash(revenue, planned_growth=10.0, spend_fraction=0.5, lead_time=1, margin=0.8)
    hex_fits = sl.fit(sl.datasets.load("hex-frontier"), "sigmoid", x="C", y="elo", by="boardsize")
    inputs = capex.DecisionInputs(r0=1e9, growth_median=10.0, growth_interval90=(3.16, 31.6), years=3, margin=0.5,
                                  initial_cash=1e9, n_paths=2000)
    decision = inputs.decide()
    return {
        "FitSet": hex_fits,
        "EnsembleSet": hex_fits.bootstrap(30, seed=0),
        "Inference": chinchilla_fit.inference(),
        "Fit": chinchilla_fit,
        "Fit from parameters": sl.Fit.from_params("chinchilla", chinchilla_fit.params),
        "Ensemble": ens,
        "IsoflopResult": iso,
        "ExtrapolationValidation": val,
        "LawComparison": comparison,
        "Forecast": sl.forecast(None, comparison.laws, comparison=comparison, C=[1e24]),
        "Plan": capex.plan(ens, target=1.95),
        "CashResult": cash,
        "TrendFit": capex.fit_price_performance(),
        "RevenueFit": capex.fit_revenue([2020, 2021, 2022, 2023, 2024], [0.1, 0.5, 1.2, 6.0, 20.0], decay=True,
                                        n_draws=2000),
        "CommitmentDecision": decision,
        "CapabilityBought": capex.capability_bought(decision, ens, target=1.9),
        "StressTests": capex.stress_tests(inputs),
        "Sensitivity": capex.sensitivity(inputs, ranges={"mfu": (0.3, 0.5), "growth_median": (8.0, 12.0)}),
        "ScenarioResult": capex.run_scenario(capex.load_scenario(SCENARIO), n_bootstrap=50, paths=500, figures=False),
    }


SCENARIO = Path(__file__).resolve().parents[1] / "examples" / "capex_chinchilla.toml"
KINDS = ["Fit", "Fit from parameters", "Ensemble", "FitSet", "EnsembleSet", "Inference", "IsoflopResult",
         "ExtrapolationValidation", "LawComparison", "Forecast", "Plan", "CashResult", "TrendFit", "RevenueFit",
         "CommitmentDecision", "CapabilityBought", "StressTests", "Sensitivity", "ScenarioResult"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_result_follows_the_protocol(results, kind):
    r = results[kind]
    s = r.summary()
    assert isinstance(s, Summary), kind
    frame = r.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0, kind
    assert "level" in frame.attrs and frame.attrs["level"] == s.level, kind
    assert str(r) == str(s) and s.title in str(r)
    assert "<table" in r._repr_html_()
    # the repr shows numbers (a parameter, a band, a probability), not only counts
    text = repr(r)
    assert "object at 0x" not in text and any(ch.isdigit() for ch in text), text
    assert "." in text, text


@pytest.mark.parametrize("suffix", [".npz", ".json"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_result_saves_and_loads(results, kind, tmp_path, suffix):
    r = results[kind]
    path = r.save(tmp_path / f"r{suffix}")
    back = sl.load(path)
    assert type(back) is type(r), kind
    assert back.summary() == r.summary(), kind
    pd.testing.assert_frame_equal(back.to_frame(), r.to_frame())
    assert back.to_frame().attrs == r.to_frame().attrs


@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_saved_results_keep_what_their_methods_use(results, tmp_path, suffix):
    """Not only the summary: bands, per-fold data and paths come back the same."""
    iso = sl.load(results["IsoflopResult"].save(tmp_path / f"iso{suffix}"))
    pd.testing.assert_frame_equal(iso.optimal([1e22, 1e24]), results["IsoflopResult"].optimal([1e22, 1e24]))
    np.testing.assert_array_equal(iso.size_draws, results["IsoflopResult"].size_draws)
    pd.testing.assert_frame_equal(iso.runs, results["IsoflopResult"].runs)
    val = sl.load(results["ExtrapolationValidation"].save(tmp_path / f"val{suffix}"))
    key = next(iter(val.fits))
    pd.testing.assert_frame_equal(val.heldout(key), results["ExtrapolationValidation"].heldout(key))
    pd.testing.assert_frame_equal(val.ensembles[key].interval(), results["ExtrapolationValidation"].ensembles[key]
                                  .interval())
    plan = sl.load(results["Plan"].save(tmp_path / f"plan{suffix}"))
    assert plan.share_within(1e6) == results["Plan"].share_within(1e6)
    cash = sl.load(results["CashResult"].save(tmp_path / f"cash{suffix}"))
    np.testing.assert_array_equal(cash.cash, results["CashResult"].cash)
    scen = sl.load(results["ScenarioResult"].save(tmp_path / f"scen{suffix}"))
    assert scen.report() == results["ScenarioResult"].report()
    np.testing.assert_array_equal(scen.revenue, results["ScenarioResult"].revenue)


def test_load_refuses_what_it_cannot_read(tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="bad.json: not a file saved by scalinglaws: not JSON"):
        sl.load(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text('{"kind": "somebody.Else"}')
    with pytest.raises(ValueError, match="field 'kind' is 'somebody.Else': not a result this version reads"):
        sl.load(tmp_path / "other.json")


def test_banded_results_record_their_level(results):
    ens = results["Ensemble"]
    assert ens.to_frame().attrs["level"] == DEFAULT_LEVEL
    assert ens.to_frame(0.8).attrs["level"] == 0.8
    for table in (ens.interval(), ens.predict(N=7e10, D=1.4e12), ens.compute_optimal([1e24]),
                  ens.compute_for(2.0)):
        assert table.attrs["level"] == DEFAULT_LEVEL
    assert results["IsoflopResult"].to_frame().attrs["level"] == DEFAULT_LEVEL
    assert results["Plan"].to_frame().attrs["level"] == DEFAULT_LEVEL


def test_one_default_level_for_every_band():
    banded = [sl.Ensemble.interval, sl.Ensemble.predict, sl.Ensemble.compute_optimal, sl.Ensemble.compute_for,
              sl.Ensemble.summary, sl.validate_extrapolation, sl.compare, sl.forecast, sl.isoflop, sl.chain.chain, capex.plan,
              sl.plot.plot_fit, sl.plot.plot_allocation, sl.plot.plot_capability, capex.fit_revenue,
              capex.optimize_commitments, capex.capability_bought]
    for f in banded:
        assert inspect.signature(f).parameters["level"].default == DEFAULT_LEVEL, f.__qualname__


@pytest.mark.parametrize("kind", KINDS)
def test_every_figure_is_reached_the_same_way(results, kind):
    import matplotlib.pyplot as plt

    r = results[kind]
    if kind in ("Plan", "TrendFit"):  # tables with no figure of their own
        with pytest.raises(TypeError, match=f"no figure for a {kind}"):
            sl.plot.figure(r)
        return
    options = {}
    if kind == "Fit from parameters":  # no data: the curve needs its points
        with pytest.raises(ValueError, match="holds no data: pass x="):
            sl.plot.figure(r)
        options = {"x": np.logspace(18, 24, 20)}
    fig = sl.plot.figure(r, **options)
    assert fig.axes and any(ax.lines or ax.collections for ax in fig.axes), kind
    plt.close(fig)
    if kind == "ScenarioResult":
        fig = sl.plot.figure(r, which="capability")
        assert fig.axes[0].get_xscale() == "log"
        plt.close(fig)


def test_point_values_are_arrays_and_bands_are_tables(results):
    """The rule README states: predict on a Fit is the curve (an array like the inputs); on an
    Ensemble the same values are the estimate column of a banded table."""
    fit, ens = results["Fit"], results["Ensemble"]
    N, D = np.array([7e10, 1e11]), np.array([1.4e12, 2e12])
    point = fit.predict(N=N, D=D)
    assert isinstance(point, np.ndarray) and point.shape == (2,)
    band = ens.predict(N=N, D=D)
    assert isinstance(band, pd.DataFrame) and band.attrs["level"] == DEFAULT_LEVEL
    np.testing.assert_allclose(band["estimate"].to_numpy(), point, rtol=1e-12)
    assert (band["lower"] <= band["estimate"]).all() and (band["estimate"] <= band["upper"]).all()
    for table in (fit.compute_optimal([1e24]), fit.compute_for([2.0])):
        assert isinstance(table, pd.DataFrame)
