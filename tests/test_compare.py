"""sl.compare: rolling-origin folds, the ranking rule, the bands and flags, and the acceptance
test: on curves drawn from each law, the generating law ranks first in at least 90% of 50 draws."""

import warnings

import numpy as np
import pandas as pd
import pytest

import scalinglaws as sl
from scalinglaws.compare import rolling_folds

from law_draws import FAMILIES, draw


def _power_curve(seed=0, n=30, noise=0.01):
    rng = np.random.default_rng(seed)
    C = np.logspace(18, 23, n)
    y = sl.laws.get("power").predict(dict(E=1.7, A=2e4, alpha=0.25), C=C) * np.exp(rng.normal(0, noise, n))
    return pd.DataFrame({"C": C, "loss": y})


def test_rolling_folds_train_below_each_cutoff_and_score_the_next_slice():
    split = np.arange(20.0)
    folds = rolling_folds(split, 4, 0.5)
    assert [c for c, _ in folds] == [10.0, 12.0, 15.0, 17.0]
    assert [e for _, e in folds] == [12.0, 15.0, 17.0, np.inf]
    # ties at a cut-off stay together; coinciding cut-offs merge
    assert rolling_folds(np.array([1.0] * 10 + [2.0] * 10), 4, 0.5) == [(2.0, np.inf)]


def test_compare_tables_point_rows_and_reproducibility():
    df = _power_curve()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = sl.compare(df, ["power", "loglinear"], x="C", n_bootstrap=50, seed=3)
        b = sl.compare(df, ["power", "loglinear"], x="C", n_bootstrap=50, seed=3)
    pd.testing.assert_frame_equal(a.ranking, b.ranking)
    assert a.best == "power" and a.ranking.loc["loglinear", "cv_rmse"] > 3 * a.ranking.loc["power", "cv_rmse"]
    # every held-out row is scored once per law, above its fold's cut-off and below the next
    for (law, fold), pts in a.points.groupby(["law", "fold"]):
        row = a.folds[(a.folds["law"] == law) & (a.folds["fold"] == fold)].iloc[0]
        assert (pts["C"] >= row["cutoff"]).all() and (pts["C"] < row["end"]).all()
        assert len(pts) == row["n_heldout"] and row["n_fit"] == int((df["C"] < row["cutoff"]).sum())
    assert a.points.groupby("law").size().nunique() == 1
    # with a bootstrap: bands, coverage and predictive densities for every held-out row
    assert a.points["lpd"].notna().all() and a.points["inside"].notna().all()
    assert np.isfinite(a.ranking["elpd"]).all() and a.ranking.loc["power", "elpd"] > a.ranking.loc["loglinear", "elpd"]
    assert set(a.ensembles) == {"power", "loglinear"}
    lo, hi = a.ranking["cv_rmse_lower"], a.ranking["cv_rmse_upper"]
    assert ((lo <= a.ranking["cv_rmse"]) & (a.ranking["cv_rmse"] <= hi)).all()
    assert a.ranking["p_best"].sum() == pytest.approx(1.0)
    text = str(a)
    assert "best: power" in text and "rolling-origin" in text


def test_a_nested_law_that_only_fits_noise_is_tied_and_the_simpler_law_ranks_first():
    r = sl.compare(_power_curve(1, n=40), ["bnsl", "power"], x="C", n_bootstrap=0)
    assert list(r.ranking.index) == ["power", "bnsl"]
    assert np.isnan(r.ranking["elpd"]).all()  # no bootstrap, no predictive density


def test_an_on_bound_fit_is_flagged_in_the_ranking_and_the_summary():
    # a pure power law without a floor: power's E runs to its lower bound
    C = np.logspace(18, 23, 30)
    y = 2e4 * C**-0.25
    r = sl.compare(pd.DataFrame({"C": C, "loss": y}), ["power", "loglinear"], x="C", n_bootstrap=0)
    assert "on bound: E" in r.ranking.loc["power", "status"]
    assert "WARNING power: on bound: E" in str(r)


def test_compare_save_and_load_keep_the_tables(tmp_path):
    r = sl.compare(_power_curve(2), ["power", "loglinear"], x="C", n_bootstrap=0)
    back = sl.load(r.save(tmp_path / "cmp.json"))
    assert isinstance(back, sl.LawComparison) and back.best == r.best
    pd.testing.assert_frame_equal(back.ranking, r.ranking)
    pd.testing.assert_frame_equal(back.folds, r.folds)
    assert back.fits["power"].params == pytest.approx(r.fits["power"].params, rel=1e-12)


def test_compare_refuses_what_it_cannot_answer():
    df = _power_curve()
    with pytest.raises(ValueError, match="at least two laws"):
        sl.compare(df, ["power"], x="C")
    with pytest.raises(ValueError, match="lists 'power' twice"):
        sl.compare(df, ["power", "power"], x="C")
    with pytest.raises(sl.InputError, match="split column 'tokens'"):
        sl.compare(df, ["power", "bnsl"], x="C", by="tokens")
    bad = df.assign(C2=df["C"].where(df.index != 7))
    with pytest.raises(sl.InputError, match="row 7"):
        sl.compare(bad, ["power", "bnsl"], x="C", by="C2")
    runs = pd.DataFrame({"N": np.logspace(8, 9, 8), "D": np.logspace(9.5, 11, 8), "loss": np.linspace(3.0, 2.5, 8)})
    with pytest.raises(sl.InputError, match="name the column to split on"):
        sl.compare(runs, ["chinchilla", "kaplan"])
    with pytest.raises(ValueError, match="min_train"):
        sl.compare(df, ["power", "bnsl"], x="C", min_train=1.0)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_the_generating_law_ranks_first_in_at_least_90_percent_of_50_draws(name):
    firsts = 0
    for seed in range(50):
        df, laws, kw, _ = draw(name, np.random.default_rng([sum(map(ord, name)), seed]))
        firsts += sl.compare(df, laws, n_bootstrap=0, **kw).best == name
    assert firsts >= 45, f"{name} ranked first in {firsts} of 50 draws"


def test_the_comparison_figure_shows_each_law_on_each_fold_and_the_scores():
    import matplotlib.pyplot as plt

    r = sl.compare(_power_curve(4), ["power", "loglinear"], x="C", n_bootstrap=0)
    fig = sl.plot.figure(r)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    n_folds = r.folds["fold"].nunique()
    assert len(axes) == n_folds + 1
    (legend,) = fig.legends  # one legend for the grid, below the panels
    assert {"power", "loglinear"} <= {t.get_text() for t in legend.get_texts()}
    for ax in axes[:n_folds]:
        labels = ax.get_legend_handles_labels()[1]
        assert "power" in labels and "loglinear" in labels and any(t.startswith("held out") for t in labels)
        assert ax.get_xscale() == "log" and ax.get_xlabel() == "C [FLOP]"
    assert "best power" in axes[-1].get_title()
    plt.close(fig)
    # laws with other inputs than the split column: the held-out errors per fold
    runs = draw("chinchilla", np.random.default_rng(0))[0]
    fig = sl.plot.figure(sl.compare(runs, ["chinchilla", "kaplan"], n_bootstrap=0))
    assert fig.axes[0].get_ylabel() == "log(predicted / observed)"
    plt.close(fig)


def test_the_compare_command_prints_the_ranking_saves_and_draws(tmp_path, run_cli):
    path = tmp_path / "curve.csv"
    _power_curve(5).to_csv(path, index=False)
    out, png = tmp_path / "cmp.json", tmp_path / "cmp.png"
    code, stdout, _ = run_cli(["compare", path, "--laws", "power", "loglinear", "--x", "C", "--bootstrap", "0",
                               "--out", out, "--plot", png])
    assert code == 0 and "best: power" in stdout and "per fold:" in stdout
    assert sl.load(out).best == "power" and png.stat().st_size > 0
    code, stdout, _ = run_cli(["compare", path, "--laws", "power", "loglinear", "--x", "C", "--bootstrap", "0",
                               "--format", "csv"])
    table = pd.read_csv(__import__("io").StringIO(stdout))
    assert code == 0 and list(table["law"]) == ["power", "loglinear"] and table.loc[0, "rank"] == 1
    code, _, stderr = run_cli(["compare", path, "--laws", "power", "--x", "C"])
    assert code == 2 and "at least two laws" in stderr
