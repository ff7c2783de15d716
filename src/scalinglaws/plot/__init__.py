"""Matplotlib figures of every result, reached the same way: ``sl.plot.figure(result, ...)``.

:func:`figure` picks the figure for the result it is given:

==============================  ==================================================
result                          figure
==============================  ==================================================
``Fit``, ``Ensemble``           :func:`plot_fit`: the law over its data, extrapolated,
                                with the ensemble's band
``FitSet``, ``EnsembleSet``     :func:`plot_groups`: one :func:`plot_fit` panel per group
                                (with its band, for an ``EnsembleSet``)
``Inference``                   :func:`plot_residuals`: residuals against each input and
                                the fitted value, and a normal Q-Q plot
``IsoflopResult``               :func:`plot_isoflop`: profiles and frontier
``ExtrapolationValidation``     :func:`plot_validation`: fitted, held out, predicted
``LawComparison``               :func:`plot_comparison`: every law's extrapolation per
                                rolling-origin fold, and their held-out errors
``Forecast``                    :func:`plot_forecast`: the cone across laws
``BreakTest``                   :func:`plot_break`: the curve, both fits, the break's band
``capex.CashResult``            its ``figure()``: a fan chart of the cash paths
``capex.ScenarioResult``        its ``figure(which)``: ``"revenue_cash"`` (the revenue
                                fan beside a cash fan per policy) or ``"capability"``
``capex.RevenueFit``            its ``figure()``: the history and the predictive fan
``capex.CommitmentDecision``    its ``figure()``: :func:`plot_frontier`, compute bought
                                against the probability of ruin per policy
``capex.CapabilityBought``      its ``figure()``: the capability each frontier point buys
``capex.StressTests``           its ``figure()``: :func:`plot_stress`
``capex.Sensitivity``           its ``figure(policy)``: :func:`plot_tornado`
==============================  ==================================================

Results built above this layer (``capex``) draw themselves with a ``figure()`` method that
calls the functions here, and :func:`figure` calls it, so one call reaches every figure.
``capex.Plan`` and ``capex.TrendFit`` are tables with no figure of their own.

and the specific functions stay available: :func:`plot_allocation` (compute-optimal
``N_opt``, ``D_opt`` against compute), :func:`plot_capability` (capability against compute
with targets), :func:`fan_chart` (nested percentile bands of simulated paths),
:func:`plot_revenue_cash`, :func:`plot_frontier` (the efficient frontier of a capex decision), :func:`plot_stress` and
:func:`plot_tornado` (how it holds when its inputs are wrong).

Every function takes an optional ``ax`` where it draws one panel and returns the
:class:`~matplotlib.figure.Figure` it drew on, so figures compose and save with
``fig.savefig(...)``. This package is the presentation layer: it imports the result modules,
and no result module imports it.
"""

from __future__ import annotations

from typing import Any

from ..ensemble import Ensemble
from ..fitting import Fit
from ..grouped import EnsembleSet, FitSet
from ..inference import Inference
from ..isoflop import IsoflopResult
from ..validate import ExtrapolationValidation
from ..compare import LawComparison
from ..forecast import Forecast
from ..breaks import BreakTest
from .capability import plot_capability
from .comparison import plot_comparison
from .forecast import plot_forecast
from .breaks import plot_break
from .fits import fit_plot_kind, plot_allocation, plot_fit
from .groups import plot_groups
from .isoflop import plot_isoflop
from .frontier import plot_frontier
from .sensitivity import plot_stress, plot_tornado
from .paths import fan_chart, plot_revenue_cash
from .residuals import plot_residuals
from .style import Figure, plt
from .validation import plot_validation

__all__ = ["figure", "plot_fit", "plot_residuals", "plot_groups", "plot_allocation", "plot_capability", "plot_isoflop", "plot_validation",
           "plot_comparison", "plot_forecast", "plot_break", "fan_chart", "plot_revenue_cash", "plot_frontier", "plot_stress", "plot_tornado", "fit_plot_kind", "plt"]


def figure(result: Any, **options) -> Figure:
    """The figure of ``result`` (see the table above); ``options`` go to that figure's function."""
    if isinstance(result, (Fit, Ensemble)):
        return plot_fit(result, **options)
    if isinstance(result, (FitSet, EnsembleSet)):
        return plot_groups(result, **options)
    if isinstance(result, Inference):
        return plot_residuals(result, **options)
    if isinstance(result, IsoflopResult):
        return plot_isoflop(result, **options)
    if isinstance(result, ExtrapolationValidation):
        return plot_validation(result, **options)
    if isinstance(result, LawComparison):
        return plot_comparison(result, **options)
    if isinstance(result, Forecast):
        return plot_forecast(result, **options)
    if isinstance(result, BreakTest):
        return plot_break(result, **options)
    draw = getattr(result, "figure", None)
    if callable(draw):
        return draw(**options)
    raise TypeError(
        f"no figure for a {type(result).__name__}; figure() draws a Fit, Ensemble, IsoflopResult, "
        "ExtrapolationValidation, capex CashResult or ScenarioResult (simulated paths: fan_chart)"
    )
