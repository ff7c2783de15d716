"""sl.forecast: pooling laws' replicates by weight, the weighting rules, compute under law
uncertainty, capex.plan of it, persistence and the fan chart; and the acceptance test: where
two laws fit the data alike and part beyond them, the pooled band covers the truth at its
nominal rate where each single law's band does not."""

import warnings

import numpy as np
import pandas as pd
import pytest

import scalinglaws as sl
from scalinglaws.forecast import pseudo_bma_weights, stacking_weights

POWER = dict(E=2.0, A=1e19**0.3, alpha=0.3)  # reducible loss 1 at C = 1e19


def _line_like_power(lo=19.0, hi=20.0):
    """The loglinear line closest to POWER over [10^lo, 10^hi]: the same data, another future."""
    grid = np.logspace(lo, hi, 200)
    b, a = np.polyfit(np.log10(grid), sl.laws.get("power").predict(POWER, C=grid), 1)
    return dict(a=a, b=b)


def _curve(law, params, seed, noise=0.02, lo=19.0, hi=20.0, n=30):
    rng = np.random.default_rng([7, seed])
    C = np.sort(10 ** rng.uniform(lo, hi, n))
    y = sl.laws.get(law).predict(params, C=C) * np.exp(rng.normal(0, noise, n))
    return pd.DataFrame({"C": C, "loss": y})


@pytest.fixture(scope="module")
def fc():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # two decades at 0.5% noise: the held-out rows tell the power law from the line
        return sl.forecast(_curve("power", POWER, 0, noise=0.005, hi=21.0), ["power", "loglinear"], x="C",
                           weights="stacking", n_bootstrap=100, C=[1e22, 1e23])


def test_stacking_and_pseudo_bma_weights_follow_the_densities():
    rng = np.random.default_rng(0)
    lpd = np.stack([rng.normal(0.0, 1.0, 40), rng.normal(-3.0, 1.0, 40)], axis=1)
    assert stacking_weights(lpd)[0] > 0.99 and pseudo_bma_weights(lpd)[0] > 0.99
    same = np.repeat(rng.normal(size=(40, 1)), 3, axis=1)
    np.testing.assert_allclose(stacking_weights(same), 1 / 3)
    np.testing.assert_allclose(pseudo_bma_weights(same), 1 / 3)
    # a mixture that beats either law alone: each law predicts half the rows
    half = np.where(np.arange(40)[:, None] % 2 == np.array([0, 1]), 0.0, -5.0)
    np.testing.assert_allclose(stacking_weights(half), [0.5, 0.5], atol=1e-6)


def test_the_pool_holds_each_law_in_proportion_to_its_weight(fc):
    assert fc.n_draws == sum(len(r) for r in fc.replicates.values())
    for law in fc.laws:
        assert fc.counts[law] == pytest.approx(fc.weights[law] * fc.n_draws, abs=1)
        assert len(fc.pooled.get(law, [])) == fc.counts[law]
    assert fc.weights["power"] > 0.9  # the data are a power law; stacking says so
    table = fc.table
    assert list(table["C"]) == [1e22, 1e23] and (table["lower"] <= table["estimate"]).all()
    assert (table["estimate"] <= table["upper"]).all() and {"power", "power_lower", "loglinear_upper"} <= set(table)
    assert "forecast across laws" in str(fc) and "stacking" in str(fc)


def test_best_and_equal_weights(fc):
    best = sl.forecast(None, fc.laws, comparison=fc.comparison, weights="best")
    assert best.weights == {"power": 1.0, "loglinear": 0.0}
    row = best.predict(C=[1e22]).iloc[0]
    # all weight on one law: the pooled band is that law's own (its replicates, whole)
    assert row["lower"] == pytest.approx(row["power_lower"]) and row["upper"] == pytest.approx(row["power_upper"])
    equal = sl.forecast(None, fc.laws, comparison=fc.comparison)
    assert equal.weights == {"power": 0.5, "loglinear": 0.5} and equal.weighting == "equal"
    wide = equal.predict(C=[1e22]).iloc[0]
    assert wide["lower"] < row["lower"]  # the line falls faster: the cone widens downward


def test_compute_for_under_law_uncertainty_and_its_capex_plan(fc):
    table = fc.compute_for([2.3, 1.0])
    reach = table.set_index("target")["reachable_share"]
    # the power law floors at about E = 2: a loss of 1.0 is reachable only on the line's draws
    assert reach[2.3] == 1.0 and reach[1.0] == pytest.approx(fc.shares["loglinear"])
    assert table.loc[0, "C_lower"] <= table.loc[0, "C"] <= table.loc[0, "C_upper"]
    plan = sl.capex.plan(fc, target=2.3)
    assert plan.table.loc["compute (FLOP)", "estimate"] == pytest.approx(table.loc[0, "C"], rel=1e-9)


def test_forecast_is_reproducible_saved_and_drawn(fc, tmp_path):
    import matplotlib.pyplot as plt

    again = sl.forecast(None, fc.laws, comparison=fc.comparison, weights="stacking", C=[1e22, 1e23])
    pd.testing.assert_frame_equal(again.table, fc.table)
    back = sl.load(fc.save(tmp_path / "fc.json"))
    assert isinstance(back, sl.Forecast) and back.weights == pytest.approx(fc.weights)
    pd.testing.assert_frame_equal(back.table, fc.table)
    fig = sl.plot.figure(fc)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "90% across laws" in labels and any(t.startswith("power (weight") for t in labels)
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "C [FLOP]"
    plt.close(fig)


def test_forecast_refuses_what_it_cannot_pool(fc):
    no_boot = sl.compare(_curve("power", POWER, 1), ["power", "loglinear"], x="C", n_bootstrap=0)
    with pytest.raises(ValueError, match="no bootstrap replicates"):
        sl.forecast(None, no_boot.laws, comparison=no_boot)
    with pytest.raises(KeyError, match="'bnsl', which is not among the laws"):
        sl.forecast(None, fc.laws, comparison=fc.comparison, weights={"bnsl": 1.0})
    with pytest.raises(ValueError, match="not all zero"):
        sl.forecast(None, fc.laws, comparison=fc.comparison, weights={"power": 0.0})
    with pytest.raises(ValueError, match="weights must be one of"):
        sl.forecast(None, fc.laws, comparison=fc.comparison, weights="bma")


@pytest.mark.slow
def test_the_pooled_band_covers_where_laws_agree_on_the_data_and_part_beyond_it():
    """Half the curves from the power law, half from the line that matches it over the one decade
    of data; the forecast is 1.5 decades beyond. Measured: pooled 36 of 40, power 19, line 18."""
    line = _line_like_power()
    C_f = 10**21.5
    truth = {"power": sl.laws.get("power").predict(POWER, C=np.array([C_f]))[0],
             "loglinear": sl.laws.get("loglinear").predict(line, C=np.array([C_f]))[0]}
    covered = {"pooled": 0, "power": 0, "loglinear": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in range(40):
            gen = "power" if seed % 2 == 0 else "loglinear"
            df = _curve(gen, POWER if gen == "power" else line, seed)
            row = sl.forecast(df, ["power", "loglinear"], x="C", seed=seed, C=[C_f]).table.iloc[0]
            covered["pooled"] += row["lower"] <= truth[gen] <= row["upper"]
            for law in ("power", "loglinear"):
                covered[law] += row[f"{law}_lower"] <= truth[gen] <= row[f"{law}_upper"]
    assert covered["pooled"] >= 36, covered  # at least the nominal 90%
    assert covered["power"] <= 24 and covered["loglinear"] <= 24, covered


def test_the_forecast_command_prints_the_cone_and_the_compute(tmp_path, run_cli):
    path = tmp_path / "curve.csv"
    _curve("power", POWER, 2, noise=0.005, hi=21.0).to_csv(path, index=False)
    out, png = tmp_path / "fc.json", tmp_path / "fc.png"
    code, stdout, _ = run_cli(["forecast", path, "--laws", "power", "loglinear", "--x", "C", "--at", "C=1e22,1e23",
                               "--target", "2.3", "--bootstrap", "50", "--out", out, "--plot", png])
    assert code == 0 and "forecast across laws" in stdout and "compute to reach each target" in stdout
    assert isinstance(sl.load(out), sl.Forecast) and png.stat().st_size > 0
    code, stdout, _ = run_cli(["forecast", path, "--laws", "power", "loglinear", "--x", "C", "--at", "C=1e22",
                               "--bootstrap", "50", "--weights", "stacking", "--format", "csv",
                               "--table", "forecast"])
    table = pd.read_csv(__import__("io").StringIO(stdout))
    assert code == 0 and list(table["C"]) == [1e22] and {"estimate", "lower", "upper"} <= set(table)
    code, _, stderr = run_cli(["forecast", path, "--laws", "power", "loglinear", "--x", "C", "--at", "C"])
    assert code == 2 and "NAME=VALUE" in stderr
