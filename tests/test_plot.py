"""Figures of fits and allocations (scalinglaws.plot.plot_fit, plot_allocation).

One small ensemble per law, shared by the module: a synthetic 30-point power law and the 240
Chinchilla points, each bootstrapped 200 times.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection, PolyCollection

import scalinglaws as sl
from scalinglaws import plot

BLANK_PNG_BYTES = 8000  # an empty 6.4 x 4.2 inch axis at 60 dpi is about 3.8 kB


@pytest.fixture(scope="module")
def power_table():
    rng = np.random.default_rng(0)
    x = np.logspace(15, 19, 30)
    y = (1.7 + 300.0 * x**-0.15) * np.exp(rng.normal(0.0, 0.01, x.size))
    return pd.DataFrame({"C": x, "loss": y})


@pytest.fixture(scope="module")
def power_fit(power_table):
    return sl.fit(power_table, "power")


@pytest.fixture(scope="module")
def power_ens(power_fit):
    return power_fit.bootstrap(200, seed=0)


@pytest.fixture(scope="module")
def chin_ens(chinchilla_fit):
    return chinchilla_fit.bootstrap(200, seed=0)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _png(fig, path):
    fig.savefig(path, dpi=60)
    assert path.exists() and path.stat().st_size > BLANK_PNG_BYTES
    return path


def _bands(ax):
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def _lines(ax, style):
    return [ln for ln in ax.get_lines() if ln.get_linestyle() == style]


def test_plot_fit_power_ensemble(power_ens, power_table, tmp_path):
    fig = plot.plot_fit(power_ens, level=0.9)
    _png(fig, tmp_path / "power.png")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"  # a loss law: log y
    assert _bands(ax), "the ensemble's band (fill_between) is drawn"
    (scatter,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(scatter.get_offsets()) == 30
    xmax = power_table["C"].max()
    # solid over the data, dashed beyond it to 2 decades past the largest x, meeting at the edge
    (solid,) = _lines(ax, "-")
    (dashed,) = _lines(ax, "--")
    assert solid.get_xdata()[-1] == pytest.approx(xmax) == dashed.get_xdata()[0]
    assert dashed.get_xdata()[-1] == pytest.approx(xmax * 100, rel=1e-9)
    assert dashed.get_ydata()[-1] == pytest.approx(float(power_ens.fit.predict(C=xmax * 100)), rel=1e-9)
    (edge,) = _lines(ax, ":")
    assert edge.get_xdata()[0] == pytest.approx(xmax)
    # the band holds the estimate where the data end
    band = power_ens.predict(level=0.9, C=[xmax])
    assert band["lower"][0] <= band["estimate"][0] <= band["upper"][0]
    assert ax.get_xlabel() == "C [FLOP]" and ax.get_ylabel() == "loss [nats/token]"
    assert ax.get_title().startswith("power: ") and ax.get_legend() is not None


def test_plot_fit_point_fit_options(power_fit, tmp_path):
    fig, ax = plt.subplots()
    xs = np.logspace(14, 22, 40)
    assert plot.plot_fit(power_fit, ax=ax, x=xs, show_data=False, title="mine") is fig
    _png(fig, tmp_path / "point.png")
    assert not _bands(ax), "a point fit has no band"
    assert not [c for c in ax.collections if isinstance(c, PathCollection)], "show_data=False"
    assert ax.get_title() == "mine"
    drawn = np.concatenate([ln.get_xdata() for ln in _lines(ax, "-") + _lines(ax, "--")])
    assert drawn.min() == pytest.approx(1e14) and drawn.max() == pytest.approx(1e22)


def test_plot_fit_extend_decades_and_level(power_ens):
    fig = plot.plot_fit(power_ens, extend_decades=0.5, level=0.5, n_points=50)
    ax = fig.axes[0]
    (dashed,) = _lines(ax, "--")
    assert dashed.get_xdata()[-1] == pytest.approx(1e19 * 10**0.5, rel=1e-9)
    assert any("50% bootstrap band" in t.get_text() for t in ax.get_legend().get_texts())
    with pytest.raises(ValueError, match="level"):
        plot.plot_fit(power_ens, level=1.5)
    with pytest.raises(ValueError, match="extend_decades"):
        plot.plot_fit(power_ens, extend_decades=-1)


def test_plot_fit_bounded_metric_has_linear_y(power_table):
    table = pd.DataFrame({"C": power_table["C"], "y": 0.2 + 0.05 * np.log10(power_table["C"])})
    fig = plot.plot_fit(sl.fit(table, "loglinear"))
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "linear"
    assert ax.get_ylabel() == "y"


def test_plot_fit_chinchilla_ensemble(chin_ens, tmp_path):
    fig = plot.plot_fit(chin_ens, level=0.9)
    _png(fig, tmp_path / "chinchilla.png")
    ax = fig.axes[0]
    assert len(fig.axes) == 2, "a colorbar for log10 N"
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert _bands(ax)
    (scatter,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(scatter.get_offsets()) == 240
    data = chin_ens.fit.data
    cmax = float((6 * data["N"] * data["D"]).max())
    (dashed,) = _lines(ax, "--")
    assert dashed.get_xdata()[0] == pytest.approx(cmax) and dashed.get_xdata()[-1] == pytest.approx(cmax * 100)
    expected = chin_ens.compute_optimal([cmax * 100])["loss"][0]
    assert dashed.get_ydata()[-1] == pytest.approx(expected, rel=1e-9)
    assert "6 N D" in ax.get_xlabel() and ax.get_ylabel() == "loss [nats/token]"
    assert ax.get_title().startswith("chinchilla: ")


def test_plot_fit_chinchilla_point_fit(chinchilla_fit, tmp_path):
    fig = plot.plot_fit(chinchilla_fit)
    _png(fig, tmp_path / "chinchilla_fit.png")
    ax = fig.axes[0]
    assert not _bands(ax) and _lines(ax, "-") and _lines(ax, "--")
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"


def test_plot_allocation_ensemble(chin_ens, tmp_path):
    C = [1e24, 1e25, 1e26]
    fig = plot.plot_allocation(chin_ens, C, level=0.9)
    _png(fig, tmp_path / "allocation.png")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert len(_bands(ax)) == 2, "one band for N_opt, one for D_opt"
    table = chin_ens.compute_optimal(C, level=0.9)
    n_line, d_line = _lines(ax, "-")
    for line, name in ((n_line, "N_opt"), (d_line, "D_opt")):
        at = np.isin(line.get_xdata(), C)
        np.testing.assert_allclose(line.get_ydata()[at], table[name], rtol=1e-12)
    assert "orders of magnitude beyond" in ax.get_title()


def test_plot_allocation_point_fit_and_errors(chinchilla_fit, power_fit, tmp_path):
    fig = plot.plot_allocation(chinchilla_fit, 1e24)
    _png(fig, tmp_path / "allocation_fit.png")
    assert not _bands(fig.axes[0])
    with pytest.raises(ValueError, match="allocation"):
        plot.plot_allocation(power_fit, [1e24])
    with pytest.raises(ValueError, match="> 0"):
        plot.plot_allocation(chinchilla_fit, [0.0, 1e24])


def test_unsupported_law_is_a_clear_error():
    fit = sl.Fit.from_params("data_constrained", {"E": 1.9, "A": 500.0, "B": 2000.0, "alpha": 0.35, "beta": 0.37,
                                                   "R_D_star": 15.0, "R_N_star": 5.0})
    with pytest.raises(ValueError, match="plot_fit draws a data_constrained fit against its data; this fit holds none"):
        plot.plot_fit(fit)
    with pytest.raises(TypeError, match="Fit or Ensemble"):
        plot.plot_fit({"E": 1.0})


def test_fit_without_data_needs_x():
    fit = sl.Fit.from_params("power", {"E": 1.7, "A": 300.0, "alpha": 0.15})
    with pytest.raises(ValueError, match="pass x="):
        plot.plot_fit(fit)
    ax = plot.plot_fit(fit, x=np.logspace(10, 25, 30)).axes[0]
    assert not _lines(ax, ":") and not _lines(ax, "--"), "no data: no edge, nothing drawn as extrapolated"
