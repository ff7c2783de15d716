"""IsoFLOP profiles: Hoffmann et al. (2022) Approach 2, as used in the Llama 3 report.

Runs are grouped by a nominal compute budget (an isoFLOP curve: several model sizes trained at
the same compute). Within each budget, the loss is fitted by a parabola in log size (weighted
least squares of ``y`` on ``ln size`` and ``ln size^2``); its vertex is that budget's optimal size
``size_opt`` and the loss there. Across budgets, an ordinary least-squares line of ``ln size_opt``
on ``ln C`` gives the compute-optimal frontier ``size_opt = k C^a``::

    import scalinglaws as sl

    res = sl.isoflop(sl.datasets.load("marin-dclm"), budget="budget", size="N", y="loss")
    res.exponent, res.coefficient       # a and k in N_opt = k C^a
    res.interval()                      # estimate, lower, upper, se of a and k
    res.optimal([1e22, 1e24])           # N_opt (and the implied D = C / 6N) with bands
    res.profiles                        # one row per budget: optimum, curvature, flags
    print(res.summary())
    sl.plot.figure(res).savefig("isoflop.png")   # profiles and frontier

Budgets are flagged, kept in ``profiles`` and left out of the frontier (by default) when the
parabola has no minimum (curvature <= 0) or its minimum lies outside the sizes sampled at that
budget: an extrapolated vertex is a guess, not a measurement. Budgets with fewer than
``min_points`` runs are dropped and reported (``profiles``, ``summary()`` and a
:class:`IsoflopWarning`).

The bootstrap resamples runs within each budget (stratified multinomial counts from
``numpy.random.default_rng(seed)``), and refits every parabola and the frontier for all
replicates at once, in closed form over ``[replicates x budgets x runs]`` arrays. The same
exclusion rule is applied to every replicate: a resample with fewer than three distinct sizes,
no minimum, or (with ``exclude_flagged``) a minimum outside the sizes trained at that budget
drops the budget from that replicate's frontier, so the bands describe the whole procedure,
exclusions included. How often that happens, per budget and by reason, is in ``diagnostics``
and ``summary()``. A replicate left with fewer than two budgets has no frontier: it is counted
and left out of the bands, never a NaN inside them.

The package, bottom to top: ``parabolas`` (the closed-form arithmetic), ``budgets`` (runs grouped
into budgets and padded), ``result`` (:class:`IsoflopResult`), ``profiles`` (:func:`isoflop`).
"""

from .budgets import budget_label
from .profiles import isoflop
from .result import IsoflopResult, IsoflopWarning

__all__ = ["isoflop", "IsoflopResult", "IsoflopWarning", "budget_label"]
