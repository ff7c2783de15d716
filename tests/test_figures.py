"""Each figure checked by its content, as a reader sees it: axis labels with units, the band
present (and inside a rate's range), legends that cover no data point, titles inside the figure,
tick labels that do not collide. Not by the size of the PNG."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection, PolyCollection

import scalinglaws as sl
from scalinglaws import capex


def _draw(fig):
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def points_under_legends(fig) -> int:
    """Data points (scatter markers) whose centre lies inside a legend's box."""
    renderer = _draw(fig)
    legends = [a.get_legend() for a in fig.axes if a.get_legend() is not None] + list(fig.legends)
    boxes = [lg.get_window_extent(renderer) for lg in legends]
    count = 0
    for ax in fig.axes:
        for coll in ax.collections:
            if not isinstance(coll, PathCollection):
                continue
            offsets = np.asarray(coll.get_offsets(), dtype=float)
            if offsets.size == 0:
                continue
            xy = coll.get_offset_transform().transform(offsets)
            for box in boxes:
                count += int(np.sum((xy[:, 0] > box.x0) & (xy[:, 0] < box.x1) & (xy[:, 1] > box.y0) & (xy[:, 1] < box.y1)))
    return count


def titles_inside(fig) -> bool:
    renderer = _draw(fig)
    texts = [ax.title for ax in fig.axes if ax.get_visible() and ax.get_title()]
    if fig._suptitle is not None:
        texts.append(fig._suptitle)
    box = fig.bbox
    for t in texts:
        e = t.get_window_extent(renderer)
        if e.x0 < box.x0 - 1 or e.x1 > box.x1 + 1 or e.y1 > box.y1 + 1:
            return False
    return True


def tick_labels_collide(ax) -> bool:
    renderer = _draw(ax.figure)
    for axis in (ax.xaxis, ax.yaxis):
        boxes = [t.get_window_extent(renderer) for t in axis.get_ticklabels(which="both")
                 if t.get_visible() and t.get_text()]
        boxes.sort(key=lambda b: (b.x0, b.y0))
        for a, b in zip(boxes, boxes[1:]):
            if a.overlaps(b):
                return True
    return False


def bands(ax) -> list:
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def check(fig, *, xunit=None, yunit=None, band=True, axes=None):
    """The common checks; ``axes`` (default all visible ones) are the panels that must carry
    the units and a band."""
    panels = axes if axes is not None else [a for a in fig.axes if a.get_visible() and a.get_xlabel()]
    for ax in panels:
        if xunit:
            assert f"[{xunit}]" in ax.get_xlabel(), ax.get_xlabel()
        if yunit:
            assert f"[{yunit}]" in ax.get_ylabel(), ax.get_ylabel()
        if band:
            assert bands(ax), f"no band in {ax.get_title()!r}"
        assert not tick_labels_collide(ax), ax.get_title()
    assert points_under_legends(fig) == 0
    assert titles_inside(fig)


@pytest.fixture(scope="module")
def chin_ens(chinchilla_fit):
    return chinchilla_fit.bootstrap(100, seed=0)


def test_chinchilla_fit_and_allocation(chin_ens):
    fig = sl.plot.plot_fit(chin_ens)
    check(fig, xunit="FLOP", yunit="nats/token", axes=[fig.axes[0]])
    fig = sl.plot.plot_allocation(chin_ens, [1e22, 1e24])
    check(fig, xunit="FLOP")
    assert "parameters" in fig.axes[0].get_ylabel() and "tokens" in fig.axes[0].get_ylabel()


def test_power_curve_and_point_fit():
    df = sl.datasets.load("chinchilla-240")
    ens = sl.fit(df, "power", x="C").bootstrap(60, seed=0)
    check(sl.plot.plot_fit(ens), xunit="FLOP", yunit="nats/token")
    check(sl.plot.plot_fit(ens.fit), xunit="FLOP", yunit="nats/token", band=False)


def test_error_from_loss_stays_near_its_data_and_in_range():
    """A law of the loss is drawn on a linear axis a little past its data, not decades of losses
    away, and a rate's band stays within [0, 1]."""
    rng = np.random.default_rng(0)
    L = np.linspace(2.2, 3.5, 40)
    err = np.clip(0.9 - 40 * np.exp(-1.6 * L) + rng.normal(0, 0.01, L.size), 0.0, 1.0)
    ens = sl.fit(pd.DataFrame({"loss": L, "error": err}), "error_from_loss", x="loss", y="error").bootstrap(100, seed=0)
    fig = sl.plot.plot_fit(ens)
    ax = fig.axes[0]
    check(fig, xunit="nats/token", yunit="fraction wrong")
    assert ax.get_xscale() == "linear"
    lo, hi = ax.get_xlim()
    assert lo > 2.2 - 0.5 * 1.3 and hi < 3.5 + 0.5 * 1.3
    for poly in bands(ax):
        for path in poly.get_paths():
            y = path.vertices[:, 1]
            assert y.min() >= 0.0 and y.max() <= 1.0


def test_data_constrained_is_drawn():
    ens = sl.fit(sl.datasets.load("datablations"), "data_constrained", x=["N", "D", "U"]).bootstrap(40, seed=0)
    fig = sl.plot.plot_fit(ens)
    ax = fig.axes[0]
    check(fig, xunit="tokens", yunit="nats/token")
    assert len([line for line in ax.get_lines() if line.get_linestyle() == "-"]) >= 2
    assert "8 of" in ax.get_title()


def test_validation_curves_and_parity():
    hex_check = sl.validate_extrapolation(sl.datasets.load("hex-frontier"), "sigmoid", x="C", y="elo",
                                          each="boardsize", fixed={"A": 0}, n_bootstrap=20)
    fig = sl.plot.figure(hex_check)
    panels = [a for a in fig.axes if a.get_visible()]
    check(fig, xunit="FLOP", yunit="Elo vs perfect play", axes=panels)
    assert len(fig.legends) == 1 and all(a.get_legend() is None for a in panels)  # one legend, below
    chin = sl.validate_extrapolation(sl.datasets.load("chinchilla-240"), "chinchilla", n_bootstrap=20)
    fig = sl.plot.figure(chin)
    check(fig, xunit="nats/token", yunit="nats/token", band=False)
    assert fig.axes[0].get_xscale() == "linear"  # under a decade of loss


def test_long_titles_are_wrapped_inside_the_figure():
    check_ = sl.validate_extrapolation(sl.datasets.load("chinchilla-240"), "power", x="C", n_bootstrap=0)
    fig = sl.plot.plot_validation(check_, title="a deliberately long title " * 8)
    assert titles_inside(fig)


def test_comparison_forecast_and_break():
    df = sl.datasets.load("chinchilla-240")
    cmp = sl.compare(df, ["power", "loglinear"], x="C", n_bootstrap=20)
    fig = sl.plot.figure(cmp)
    curve_panels = [a for a in fig.axes if a.get_visible() and a.get_xscale() == "log"]
    check(fig, xunit="FLOP", yunit="nats/token", band=False, axes=curve_panels)
    fc = sl.forecast(None, cmp.laws, comparison=cmp, C=[1e24])
    check(sl.plot.figure(fc), xunit="FLOP", yunit="nats/token")


def test_isoflop_and_capability(chin_ens):
    iso = sl.isoflop(sl.datasets.load("marin-dclm"), n_bootstrap=40)
    fig = sl.plot.figure(iso)
    ax0, ax1 = fig.axes[:2]
    assert "[parameters]" in ax0.get_xlabel() and "[nats/token]" in ax0.get_ylabel()
    assert "[FLOP]" in ax1.get_xlabel() and bands(ax1)
    assert titles_inside(fig)
    fig = sl.plot.plot_capability(chin_ens, targets=[1.95])
    check(fig, xunit="FLOP", yunit="nats/token")
    rev = capex.simulate_revenue(1.0, 4.0, (1.6, 10.0), years=3, n_paths=300, seed=0)
    fig = sl.plot.plot_revenue_cash(rev, {"up front": capex.simulate_cash(rev, planned_growth=4.0, spend_fraction=0.5,
                                                                                   lead_time=1, margin=0.8)})
    assert titles_inside(fig) and all(a.get_xlabel() == "year" for a in fig.axes if a.get_visible())
