"""Bootstrap of grouped fits (``FitSet.bootstrap``): stratified and whole-group resampling, each
batched refit equal to the same refit alone, bands of shared parameters, and persistence."""

import warnings

import numpy as np
import pandas as pd
import pytest

import scalinglaws as sl
from scalinglaws import bootstrap, solvers
from scalinglaws.group_bootstrap import _Draws, resampling_units
from scalinglaws.inputs import InputError

from grouped_data import marin as _marin
from grouped_data import synthetic_power as _synthetic_power


@pytest.mark.parametrize("resampling", ["multinomial", "bayesian"])
def test_stratified_weights_keep_each_group_at_its_size(resampling):
    sizes = np.array([3, 7, 5])
    group = np.repeat(np.arange(3), sizes)
    base = np.ones(sizes.sum())
    draws = _Draws(base, resampling_units(group, base), 4, resampling)
    W = np.asarray(draws(np.arange(200)))
    for g, (lo, n) in enumerate(zip(np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes)):
        np.testing.assert_allclose(W[:, lo:lo + n].sum(axis=1), n)
    if resampling == "multinomial":
        assert np.array_equal(W, np.round(W))
        # each row of a group of n is drawn k times with probability Binomial(n, 1/n): mean 1
        assert abs(W[:, 3:10].mean() - 1.0) < 0.05
    np.testing.assert_array_equal(np.asarray(draws(np.arange(50, 60))), W[50:60])  # the same seed, any block


def test_cluster_labels_inside_groups_or_holding_them():
    group = np.repeat([0, 1], 4)
    base = np.ones(8)
    _, strata, n_strata, whole = resampling_units(group, base, np.array(list("aabbccdd")))
    assert not whole and n_strata == 2 and strata.tolist() == [0, 0, 1, 1]
    _, strata, n_strata, whole = resampling_units(group, base, np.array(["x"] * 4 + ["y"] * 4))
    assert whole and n_strata == 1 and len(strata) == 2
    with pytest.raises(InputError, match="cut across groups"):
        resampling_units(group, base, np.array(list("abababab")))


def test_each_batched_refit_equals_that_refit_alone():
    df = _marin()
    fs = sl.fit(df, "chinchilla", by="mixture")
    ens = fs.bootstrap(24, seed=3, n_starts=1)
    sizes = [len(f.problem.y_fit) for f in fs.fits.values()]
    base = np.concatenate([f.problem.weights for f in fs.fits.values()])
    W = np.asarray(_Draws(base, resampling_units(np.repeat(np.arange(3), sizes), base), 3, "multinomial")(np.arange(24)))
    lo = 0
    for key, n in zip(fs.keys, sizes):
        fit = fs[key]
        alone = fit.problem.solve(W[:, lo:lo + n], np.broadcast_to(fit.theta, (24, 1, len(fit.theta))).copy(),
                                  np.full((24, 1), solvers.WARM, np.int32))
        np.testing.assert_allclose(ens[key].objective, np.asarray(alone.objective), rtol=1e-9)
        np.testing.assert_allclose(ens[key].theta, np.asarray(alone.theta), rtol=1e-7, atol=1e-9)
        lo += n


def test_shared_band_recovers_and_is_narrower_than_separate_bands():
    rng = np.random.default_rng(7)
    df = _synthetic_power(rng)
    js = sl.fit(df, "power", x="C", by="family", shared=["alpha"])
    fs = sl.fit(df, "power", x="C", by="family")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bootstrap.ReplicateFailureWarning)
        shared = js.bootstrap(300, seed=1).shared_interval()
        separate = fs.bootstrap(300, seed=1).interval().query("parameter == 'alpha'")
    assert shared.loc["alpha", "lower"] <= 0.3 <= shared.loc["alpha", "upper"]
    width = shared.loc["alpha", "upper"] - shared.loc["alpha", "lower"]
    assert width < 0.6 * (separate.upper - separate.lower).median()


@pytest.mark.slow
def test_shared_band_covers_the_truth_at_its_level():
    rng = np.random.default_rng(11)
    hits, trials = 0, 40
    for i in range(trials):
        df = _synthetic_power(rng, noise=0.02)
        js = sl.fit(df, "power", x="C", by="family", shared=["alpha"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", bootstrap.ReplicateFailureWarning)
            iv = js.bootstrap(200, seed=i).shared_interval(level=0.9)
        hits += iv.loc["alpha", "lower"] <= 0.3 <= iv.loc["alpha", "upper"]
    # 90% nominal; 40 trials: a binomial 95% range is about 31-39 covers
    assert 31 <= hits <= 40, hits


def test_whole_group_resampling_flags_left_out_groups():
    df = _marin()
    js = sl.fit(df, "chinchilla", by="mixture", shared=["alpha", "beta"])
    ens = js.bootstrap(120, seed=0, cluster="mixture")
    assert ens.whole_groups
    for key in ens:
        e = ens[key]
        # a group left out of a replicate: (2/3)^3 = 30% of replicates
        assert 0.15 < e.unidentified.mean() < 0.45 and not e.valid[e.unidentified].any()
    si = ens.shared_interval()
    assert si.loc["alpha", "n_used"] == 120 and si.loc["alpha", "upper"] > si.loc["alpha", "lower"]
    fs = sl.fit(df, "chinchilla", by="mixture")
    with pytest.raises(InputError, match="holds whole groups"):
        fs.bootstrap(10, cluster="mixture")


def test_ensemble_set_tables_and_persistence(tmp_path):
    df = _marin()
    js = sl.fit(df, "chinchilla", by="mixture", shared=["alpha"])
    ens = js.bootstrap(40, seed=2)
    iv = ens.interval()
    assert list(iv.columns[:2]) == ["mixture", "parameter"] and iv.loc[iv.parameter == "alpha", "shared"].all()
    assert ens.predict(N=1e9, D=2e10).shape[0] == 3
    assert ens.compute_optimal([1e21]).shape[0] == 3 and ens.compute_for([3.0]).shape[0] == 3
    text = str(ens.summary())
    assert "shared: alpha" in text and "rows resampled within each group" in text
    back = sl.load(ens.save(tmp_path / "ens.json"))
    assert isinstance(back, sl.EnsembleSet) and back.shared == ("alpha",)
    pd.testing.assert_frame_equal(back.interval(), iv)
    with pytest.raises(ValueError, match="joint fit"):
        ens["dclm"].interval(method="bca")
    with pytest.raises(ValueError, match="bootstrap the grouped fit instead"):
        js["dclm"].bootstrap(10)


def test_ensemble_set_figure_has_a_panel_with_a_band_per_group():
    js = sl.fit(sl.datasets.load("hex-frontier"), "sigmoid", x="C", y="elo", by="boardsize", shared=["B"])
    ens = js.bootstrap(30, seed=0)
    fig = sl.plot.figure(ens, max_panels=3)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 3 and "sharing B" in fig._suptitle.get_text()
    from matplotlib.collections import PolyCollection

    assert all(any(isinstance(c, PolyCollection) for c in ax.collections) for ax in visible)  # a band each
    sl.plot.plt.close(fig)
    fig = sl.plot.figure(js, max_panels=3)  # the point fits: no band
    assert not any(isinstance(c, PolyCollection) for ax in fig.axes for c in ax.collections)
    sl.plot.plt.close(fig)


def test_per_group_draws_repeat_each_separate_bootstrap():
    df = sl.datasets.load("hex-frontier")
    fs = sl.fit(df, "sigmoid", x="C", y="elo", by="boardsize")
    ens = fs.bootstrap(64, seed=5, draws="per_group")
    for key in (3, 6, 9):
        alone = fs[key].bootstrap(64, seed=5, progress=False)
        both = ens[key].converged & alone.converged
        assert both.mean() > 0.9
        np.testing.assert_allclose(ens[key].objective[both], alone.objective[both], rtol=1e-9)
        pd.testing.assert_frame_equal(ens[key].interval(), alone.interval(), rtol=1e-6)
    js = sl.fit(df, "sigmoid", x="C", y="elo", by="boardsize", shared=["B"])
    with pytest.raises(ValueError, match="one joint problem"):
        js.bootstrap(8, draws="per_group")


def test_progress_bar_moves_within_blocks_and_changes_nothing(monkeypatch):
    """Grouped bootstraps (separate and joint) with a bar are solved in segments: the bar moves
    many times within each block, and the numbers are those of the run without a bar."""
    import tqdm.auto

    from scalinglaws import progress
    from scalinglaws.solvers import batch

    counts = []

    class Recording:
        def __init__(self, total, unit, desc):
            self.n = 0

        def update(self, k):
            self.n += k
            counts[-1].append(self.n)

        def refresh(self):
            pass

        def set_postfix_str(self, text, refresh=True):
            pass

        def close(self):
            pass

    df = _marin()
    for kw in ({}, {"shared": ["alpha", "beta"]}):
        fs = sl.fit(df, "chinchilla", by="mixture", **kw)
        plain = fs.bootstrap(64, seed=3, chunk_size=96, failed="drop", progress=False)
        with monkeypatch.context() as m:
            m.setattr(tqdm.auto, "tqdm", Recording)
            m.setattr(batch, "FIRST_SEGMENT", 1)
            m.setattr(progress, "SEGMENT_S", 1e-6)
            counts.append([])
            shown = fs.bootstrap(64, seed=3, chunk_size=96, failed="drop", progress=True)
        for key in plain.ensembles:
            np.testing.assert_array_equal(shown[key].theta, plain[key].theta)
            np.testing.assert_array_equal(shown[key].iterations, plain[key].iterations)
        assert counts[-1] == sorted(counts[-1]) and counts[-1][-1] == 64 and len(counts[-1]) > 10
