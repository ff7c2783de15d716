"""One result protocol: every result's ``summary()`` is a Summary (prints as a table, searches and
compares as its text, ``to_frame()``, HTML in a notebook), ``to_frame()`` records the level of its
bands, and every band defaults to the one ``DEFAULT_LEVEL``."""

import inspect

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
    revenue = capex.simulate_revenue(1.0, 10.0, (3.16, 31.6), years=3, n=500, seed=0)
    cash = capex.simulate_cash(revenue, planned_growth=10.0, spend_fraction=0.5, lead_time=1, margin=0.8)
    return {
        "Fit": chinchilla_fit,
        "Fit from parameters": sl.Fit.from_params("chinchilla", chinchilla_fit.params),
        "Ensemble": ens,
        "IsoflopResult": iso,
        "ExtrapolationValidation": val,
        "Plan": capex.plan(ens, target=1.95),
        "CashResult": cash,
        "TrendFit": capex.fit_price_performance(),
    }


@pytest.mark.parametrize("kind", ["Fit", "Fit from parameters", "Ensemble", "IsoflopResult",
                                  "ExtrapolationValidation", "Plan", "CashResult", "TrendFit"])
def test_every_result_follows_the_protocol(results, kind):
    r = results[kind]
    s = r.summary()
    assert isinstance(s, Summary), kind
    frame = r.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0, kind
    assert "level" in frame.attrs and frame.attrs["level"] == s.level, kind
    assert str(r) == str(s) and s.title in str(r)
    assert "<table" in r._repr_html_()


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
              sl.Ensemble.summary, sl.validate_extrapolation, sl.isoflop, sl.chain.chain, capex.plan,
              sl.plot.plot_fit, sl.plot.plot_allocation, sl.plot.plot_capability]
    for f in banded:
        assert inspect.signature(f).parameters["level"].default == DEFAULT_LEVEL, f.__qualname__
